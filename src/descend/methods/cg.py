"""Nonlinear conjugate gradient: ``d <- -g + beta d``, each direction conjugate to the last.

Nocedal & Wright, *Numerical Optimization*, 2nd ed., sec. 5.2 (Fletcher-Reeves
eq. 5.41a, Polak-Ribiere+ eq. 5.45); Goodfellow et al., *Deep Learning*, sec. 8.6.2.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import DescendError, check_nonnegative_int, unknown_name
from ._linalg import dot_rows

__all__ = ["ConjugateGradient", "BETAS"]

BETAS = ("pr+", "fr")


class CGState(NamedTuple):
    """The previous direction and gradient of every run, and steps since the last restart."""

    d: np.ndarray          # (R, n)
    g: np.ndarray          # (R, n)
    since_restart: np.ndarray  # (R,) int; -1: no previous direction yet
    restarts: np.ndarray   # (R,) int: how many times the run fell back to -g


class ConjugateGradient:
    """Nonlinear CG with a strong-Wolfe line search.

    ``beta="pr+"`` (default): ``beta = max(0, g'(g - g_prev) / g_prev'g_prev)``;
    ``beta="fr"``: ``beta = g'g / g_prev'g_prev``.  The direction restarts at -g every
    ``restart`` steps (default n, the dimension) and whenever ``g'd >= 0`` (not a
    descent direction); PR+ also restarts by itself when its beta is clipped to 0.

    Parameters
    ----------
    beta : {"pr+", "fr"}
    restart : int or None
        Restart period in steps (None: the dimension n).
    quadratic_start : bool
        Start each Wolfe search at the minimizer of a quadratic fitted along the line
        (one extra evaluation of f per step, :func:`descend.linesearch.quadratic_trial`):
        close to the exact line search CG's conjugacy rests on.  Default True.
    """

    name = "cg"
    needs_hessian = False
    default_line_search = "wolfe"
    c2 = 0.4  # scipy's CG uses 0.4; Fletcher-Reeves needs c2 < 1/2 to guarantee descent

    def __init__(self, beta="pr+", restart=None, quadratic_start=True):
        self.quadratic_start = bool(quadratic_start)
        if not isinstance(beta, str) or beta.lower() not in BETAS:
            raise DescendError(unknown_name("cg beta", beta, BETAS))
        self.beta = beta.lower()
        if restart is not None and check_nonnegative_int("restart", restart) < 1:
            raise DescendError(f"restart must be an integer >= 1 or None, got {restart!r}")
        self.restart = restart

    def __repr__(self):
        return f"ConjugateGradient(beta={self.beta!r}, restart={self.restart!r}, quadratic_start={self.quadratic_start})"

    def init(self, R, n):
        return CGState(d=np.zeros((R, n)), g=np.zeros((R, n)), since_restart=np.full(R, -1, dtype=np.int64),
                       restarts=np.zeros(R, dtype=np.int64))

    def direction(self, state, rows, X, G, hess):
        n = G.shape[1]
        period = n if self.restart is None else self.restart
        g_prev, d_prev = state.g[rows], state.d[rows]
        gg_prev = dot_rows(g_prev, g_prev)
        with np.errstate(divide="ignore", invalid="ignore"):  # no previous gradient yet: beta unused
            if self.beta == "fr":
                beta = dot_rows(G, G) / gg_prev
            else:
                beta = np.maximum(0.0, dot_rows(G, G - g_prev) / gg_prev)
        fresh = (state.since_restart[rows] < 0) | (state.since_restart[rows] >= period) | ~np.isfinite(beta)
        beta = np.where(fresh, 0.0, beta)
        D = -G + beta[:, None] * d_prev
        uphill = ~(dot_rows(G, D) < 0)  # not a descent direction: start again from -g
        D[uphill] = -G[uphill]
        restart = fresh | uphill
        state.restarts[rows] += restart & (state.since_restart[rows] >= 0)
        state.since_restart[rows] = np.where(restart, 0, state.since_restart[rows])
        state.d[rows] = D
        return D, np.full(len(rows), None)

    def update(self, state, rows, S, Y, G_new):
        state.g[rows] = G_new - Y  # the gradient the step left from
        state.since_restart[rows] += 1
