"""Newton's method: step to the minimizer of the local quadratic model, ``d = -H^-1 g``.

Goodfellow et al., *Deep Learning*, sec. 4.3 (eq. 4.12); Nocedal & Wright,
*Numerical Optimization*, 2nd ed., ch. 3.3 and 3.4.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._linalg import solve_rows

__all__ = ["Newton", "DampedNewton", "SteepestDescent"]

_EPS = np.finfo(float).eps


class NewtonState(NamedTuple):
    """Newton's method keeps nothing between steps but the Hessian shifts it used."""

    shift: np.ndarray  # (R,): the lambda added to the Hessian's diagonal at the last step (0: none)


class Newton:
    """Pure Newton: ``x <- x - H(x)^-1 grad f(x)``, a full step, no line search.

    It finds the critical point of the quadratic model, whatever its kind: near a
    saddle or a maximum it is attracted to it (Goodfellow sec. 4.3).  A singular or
    non-finite Hessian stops the run with a status.
    """

    name = "newton"
    needs_hessian = True
    default_line_search = None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def init(self, R, n):
        return NewtonState(shift=np.zeros(R))

    def direction(self, state, rows, X, G, hess):
        H = hess(X, rows)
        D, ok = solve_rows(H, -G)
        state.shift[rows] = 0.0
        finite = np.isfinite(H).reshape(len(rows), -1).all(axis=1)
        return D, np.where(ok, None, np.where(finite, "stopped_singular_hessian", "stopped_nonfinite_hessian"))

    def update(self, state, rows, S, Y, G_new):
        return None


class DampedNewton(Newton):
    """Newton's direction with a line search, made a descent direction where H is not
    positive definite.

    Where the Hessian's smallest eigenvalue ``lambda_min`` is below
    ``delta = sqrt(eps) * max(1, max |lambda|)``, the Hessian is shifted by
    ``lambda I`` (Nocedal & Wright sec. 3.4, "modified Newton"): by
    ``lambda = -lambda_min + max(|lambda_min|, delta)`` where the curvature is negative
    (the smallest eigenvalue becomes ``max(|lambda_min|, delta)``), by
    ``delta - lambda_min`` where H is nearly singular.  ``(H + lambda I) d = -g`` then
    always descends, and a large shift leans the step towards -g.  It never falls
    back to -g itself.  The step along d comes from the line
    search (strong Wolfe from the full step 1 by default, so that near a minimum the
    full Newton step is taken and convergence is quadratic; ``line_search=
    "backtracking"`` for Armijo backtracking).
    """

    name = "damped_newton"
    default_line_search = "wolfe"
    c2 = 0.9

    def direction(self, state, rows, X, G, hess):
        if hess.kind == "hessp":
            return _truncated_cg_directions(hess, rows, X, G), np.full(len(rows), None)
        H = hess(X, rows)
        k, n = G.shape
        finite = np.isfinite(H).reshape(k, -1).all(axis=1)
        lam = np.zeros((k, n))
        if finite.any():
            lam[finite] = np.linalg.eigvalsh(H[finite])
        lam[~finite] = np.nan
        delta = np.sqrt(_EPS) * np.maximum(1.0, np.max(np.abs(lam), axis=1))
        lam_min = lam[:, 0]
        # Negative curvature: shift by 2 |lambda_min| (the smallest eigenvalue becomes |lambda_min|,
        # as far from 0 as it was), so the step along that eigenvector stays the size the
        # curvature suggests instead of blowing up; nearly singular: lift it to delta.
        shift = np.where(lam_min < 0, -lam_min + np.maximum(-lam_min, delta),
                         np.where(lam_min < delta, delta - lam_min, 0.0))
        Hs = H + shift[:, None, None] * np.eye(n)
        D, ok = solve_rows(Hs, -G)
        state.shift[rows] = shift
        why = np.where(finite, "stopped_singular_hessian", "stopped_nonfinite_hessian")
        return D, np.where(ok, None, why)


def _truncated_cg_directions(hess, rows, X, G):
    """Newton-CG's direction on each row: CG on ``H d = -g`` with products ``H v`` only, stopped
    at the residual ``min(0.5, sqrt|g|) |g|`` (superlinear near a minimum) or at the first
    direction of non-positive curvature (then the last iterate, or -g at the first step):
    Nocedal & Wright alg. 7.1, as scipy's Newton-CG.  At most 2n products per row."""
    D = np.empty_like(G)
    for j, (x, g) in enumerate(zip(X, G)):
        row = rows[j]
        gn = np.sqrt(g @ g)
        tol = min(0.5, np.sqrt(gn)) * gn
        z = np.zeros_like(g)
        r = g.copy()
        d = -r
        rr = r @ r
        for i in range(2 * g.size):
            Bd = hess.hvp(x, d, row)
            curv = d @ Bd
            if not curv > 0:  # non-positive curvature (or nan): stop with what descends
                if i == 0:
                    z = -g
                break
            a = rr / curv
            z = z + a * d
            r = r + a * Bd
            rr_new = r @ r
            if np.sqrt(rr_new) <= tol:
                break
            d = -r + (rr_new / rr) * d
            rr = rr_new
        D[j] = z
    return D


class SteepestDescent:
    """Gradient descent with the step of the local quadratic model: ``x <- x - eps* g``,
    ``eps* = g'g / g'Hg`` (Goodfellow eq. 4.10; ``line_search="quadratic"``).

    On a quadratic it is the exact line search; where ``g'Hg <= 0`` the model has no
    minimum along -g and the run stops with a status.
    """

    name = "gd"
    needs_hessian = True
    default_line_search = "quadratic"

    def init(self, R, n):
        return None

    def direction(self, state, rows, X, G, hess):
        return -G, np.full(len(rows), None)

    def update(self, state, rows, S, Y, G_new):
        return None
