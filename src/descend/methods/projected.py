"""Projected gradient descent onto a convex set: ``x <- P(x - lr grad f(x))`` (Goodfellow et al., sec. 4.4)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["ProjectedGradient"]


class ProjectedState(NamedTuple):
    """The step size of every run."""

    lr: np.ndarray  # (R,)


class ProjectedGradient:
    """Gradient steps projected back onto a :mod:`descend.constraints` set.

    The direction is ``d = P(x - lr g) - x``: the full step lands on ``P(x - lr g)``;
    with ``line_search="backtracking"`` the Armijo search runs along d (every point of
    the segment is feasible, the set being convex).  A run converges when the
    projected gradient ``|x - P(x - g)|`` is <= gtol: zero exactly at the points
    that satisfy the KKT conditions.
    """

    name = "projected_gd"
    needs_hessian = False
    default_line_search = None
    message_keys = ("projected_converged", "projected_max_steps")

    def __init__(self, constraint, lr):
        self.constraint, self.lr = constraint, lr

    def __repr__(self):
        return f"ProjectedGradient({self.constraint!r}, lr={self.lr!r})"

    def init(self, R, n):
        return ProjectedState(lr=np.broadcast_to(np.asarray(self.lr, dtype=float), (R,)).copy())

    def direction(self, state, rows, X, G, hess):
        return self.constraint.project(X - state.lr[rows][:, None] * G) - X, np.full(len(rows), None)

    def place(self, X):
        """Where a step lands: on the set (the projection also absorbs the rounding of x + d)."""
        return self.constraint.project(X)

    def stationarity(self, X, G):
        P = self.constraint.project(X - G)
        D = X - P
        return np.sqrt(np.sum(D * D, axis=1))

    def update(self, state, rows, S, Y, G_new):
        return None
