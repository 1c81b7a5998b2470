"""Goodfellow et al., *Deep Learning*, sec. 4.5: linear least squares, with and without ``x'x <= r^2``.

:func:`constrained_least_squares` is the book's Lagrange-multiplier update (solve for x
given lambda, then gradient ascent on lambda); :func:`least_squares_three_ways` solves the
unconstrained problem by gradient descent, by Newton's method in one step and by the
pseudo-inverse (and by projected gradient descent onto the ball when a radius is given).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DescendError, check_finite_array, check_positive
from .sets import Ball

__all__ = ["ConstrainedLeastSquares", "constrained_least_squares", "least_squares_three_ways"]


def _ls_data(A, b):
    A = check_finite_array("A", A, ndim=(2,)).astype(float)
    b = check_finite_array("b", b, ndim=(1,)).astype(float)
    if A.shape[0] != b.shape[0]:
        raise DescendError(f"A has {A.shape[0]} rows but b has {b.shape[0]} entries")
    return A, b


@dataclass(frozen=True)
class ConstrainedLeastSquares:
    """The result of :func:`constrained_least_squares`: x, the multiplier lam, the steps taken,
    and the path of lam."""

    x: np.ndarray
    lam: float
    nit: int
    lam_history: np.ndarray
    converged: bool


def constrained_least_squares(A, b, radius=1.0, *, lr=None, steps=1000, tol=1e-13):
    """``min 1/2 |Ax - b|^2`` subject to ``x'x <= radius^2`` by the book's Lagrange-multiplier method.

    Goodfellow et al. sec. 4.5: the Lagrangian ``L(x, lam) = f(x) + lam (x'x - r^2)`` is
    smallest in x at ``x = (A'A + 2 lam I)^-1 A'b``; gradient ascent on lam,
    ``lam <- max(0, lam + lr (x'x - r^2))``, raises lam while the constraint is violated.
    Where the unconstrained minimizer (lam = 0, the pseudo-inverse solution) is already
    feasible, that is the answer.  ``lr`` None takes at each step
    ``lr = 1 / |d(x'x)/d lam| = 1 / (4 x'(A'A + 2 lam I)^-1 x)``: then the ascent is
    Newton's method on ``x(lam)'x(lam) = r^2``, a convex decreasing function of lam, so
    lam rises monotonically to the root without overshooting.  A fixed ``lr`` is the
    book's plain gradient ascent (slow when lam is large).
    """
    A, b = _ls_data(A, b)
    check_positive("radius", radius)
    if lr is not None:
        check_positive("lr", lr)
    n = A.shape[1]
    AtA, Atb = A.T @ A, A.T @ b
    r2 = float(radius) ** 2
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    if x @ x <= r2:
        return ConstrainedLeastSquares(x=x, lam=0.0, nit=0, lam_history=np.zeros(1), converged=True)
    lam, path = 0.0, [0.0]
    eye = np.eye(n)
    converged = False
    k = 0
    for k in range(1, steps + 1):
        M = AtA + 2.0 * lam * eye
        x = np.linalg.lstsq(M, Atb, rcond=None)[0] if lam == 0 else np.linalg.solve(M, Atb)
        violation = x @ x - r2
        step = lr if lr is not None else 1.0 / (4.0 * float(x @ np.linalg.lstsq(M, x, rcond=None)[0]))
        new = max(0.0, lam + step * violation)
        path.append(new)
        if abs(new - lam) <= tol * max(1.0, lam):
            lam = new
            converged = True
            break
        lam = new
    x = np.linalg.solve(AtA + 2.0 * lam * eye, Atb)
    return ConstrainedLeastSquares(x=x, lam=lam, nit=k, lam_history=np.array(path), converged=converged)


def least_squares_three_ways(A, b, *, steps=200_000, gtol=1e-13, radius=None):
    """``min 1/2 |Ax - b|^2`` by gradient descent, by one Newton step and by the pseudo-inverse
    (Goodfellow sec. 4.5), and under ``x'x <= radius^2`` when a radius is given.

    Gradient descent uses the step ``1 / L`` (L the largest eigenvalue of A'A); Newton's
    step from 0, ``x = (A'A)^-1 A'b``, is exact for a quadratic.  Returns a dict
    name -> minimizer (and ``"constrained"``, ``"projected"`` for the radius).
    """
    from .. import problems
    from ..minimize import minimize  # the driver sits above the sets it projects onto

    A, b = _ls_data(A, b)
    p = problems.get("least_squares", A=A, b=b)
    x0 = np.zeros(A.shape[1])
    L = float(np.linalg.eigvalsh(A.T @ A)[-1])
    gd = minimize(p, x0, lr=1.0 / L, steps=steps, gtol=gtol, history=False)
    newton = minimize(p, x0, method="newton", steps=1, gtol=gtol, history=False)
    out = {"gradient_descent": gd.x, "newton": newton.x, "pinv": np.linalg.pinv(A) @ b}
    if radius is not None:
        out["constrained"] = constrained_least_squares(A, b, radius).x
        out["projected"] = minimize(p, x0, lr=1.0 / L, steps=steps, gtol=gtol, constraint=Ball(radius),
                                    history=False).x
    return out
