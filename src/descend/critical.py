"""The second-derivative test and the optimal step of the local quadratic model (Goodfellow et al., sec. 4.3).

At a critical point (gradient 0) the eigenvalues of the Hessian decide: all positive, a
local minimum; all negative, a local maximum; both signs, a saddle point; a zero
eigenvalue with the rest of one sign, the test is inconclusive.  Along the gradient
the second-order model ``f(x - eps g) ~ f(x) - eps g'g + eps^2 g'Hg / 2`` is smallest at
``eps* = g'g / g'Hg`` (eq. 4.10) when ``g'Hg > 0``; otherwise it decreases without bound.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .errors import DescendError, check_finite_array, check_positive
from .problems.problem import DENSE_MATRICES, check_memory

__all__ = ["CriticalPoint", "critical_point", "optimal_step", "KINDS", "CurvatureWarning"]

#: The verdicts of :func:`critical_point` (``"not critical"`` where the gradient is not ~0).
KINDS = ("minimum", "maximum", "saddle", "inconclusive", "not critical")


class CurvatureWarning(UserWarning):
    """The quadratic model has no minimum along the gradient (g'Hg <= 0)."""


@dataclass(frozen=True)
class CriticalPoint:
    """What the second-derivative test says at a point.

    Attributes
    ----------
    x : the point (after Newton's refinement when asked).
    fun : f(x).
    grad_norm : Euclidean norm of the gradient at x.
    kind : one of :data:`KINDS`.
    eigenvalues : the Hessian's, ascending.
    eigenvectors : columns, matching ``eigenvalues``.
    condition_number : max |lambda| / min |lambda| (inf with a zero eigenvalue).
    hessian : the Hessian at x.
    """

    x: np.ndarray
    fun: float
    grad_norm: float
    kind: str
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    condition_number: float
    hessian: np.ndarray

    def __repr__(self) -> str:
        lam = np.array2string(self.eigenvalues, precision=6, threshold=6)
        x = np.array2string(np.asarray(self.x), precision=6, threshold=6)
        return (f"CriticalPoint(kind={self.kind!r}, x={x}, fun={self.fun:.6g}, grad_norm={self.grad_norm:.3g}, "
                f"eigenvalues={lam}, condition_number={self.condition_number:.4g})")


def _derivatives(f, grad, hess):
    """f, its gradient and Hessian as functions of one point (n,), from a Problem or by finite differences."""
    from .problems import Problem

    if isinstance(f, Problem):
        grad = f.grad if grad is None else grad
        hess = f.hessian if hess is None else hess
        f = f.f
    if not callable(f):
        raise DescendError(f"f must be a callable or a descend Problem, got {type(f).__name__}")
    for name, fn in (("grad", grad), ("hess", hess)):
        if fn is not None and not callable(fn):
            raise DescendError(f"{name} must be a callable or None, got {type(fn).__name__}")
    if grad is None:
        from .diff import gradient

        def grad(x, f=f):
            return gradient(f, x)
    if hess is None:
        from .diff import hessian

        def hess(x, f=f):
            return hessian(f, x)
    return f, grad, hess


def _point(x):
    x = check_finite_array("x", x, ndim=(0, 1))
    return x.astype(float).reshape(-1)


def critical_point(f, x, *, grad=None, hess=None, gtol=1e-6, tol=None, refine=False, steps=50):
    """Classify ``x`` by the second-derivative test.

    Parameters
    ----------
    f : callable or Problem
        A Problem brings its gradient and Hessian; for a plain function they come from
        ``grad``/``hess`` or from :func:`descend.gradient` / :func:`descend.hessian`.
    x : array_like, shape (n,)
    gtol : float
        x counts as critical when the gradient norm is <= gtol (else kind is
        "not critical": the test says nothing there).
    tol : float or None
        An eigenvalue with ``|lambda| <= tol * max(1, max |lambda|)`` counts as zero;
        default ``sqrt(eps)`` with an analytic Hessian, ``1e-5`` with finite differences.
    refine : bool
        First move to the nearest critical point by pure Newton steps (at most
        ``steps``): Newton goes to critical points of every kind, which is what the
        test needs (Goodfellow sec. 4.3).

    Returns
    -------
    CriticalPoint
    """
    analytic_hessian = hess is not None or getattr(f, "hessian", None) is not None
    fn, grad_fn, hess_fn = _derivatives(f, grad, hess)
    x = _point(x)
    check_memory(8.0 * DENSE_MATRICES["critical_point"] * float(x.size) ** 2,  # 6.2 n x n measured at its peak
                 f"n = {x.size} (a dense {x.size} x {x.size} Hessian)",
                 "the second-derivative test keeps the Hessian, its eigenvectors, eigh's copy and work")
    check_positive("gtol", gtol)
    tol = (np.sqrt(np.finfo(float).eps) if analytic_hessian else 1e-5) if tol is None else check_positive("tol", tol)
    if refine:
        from .minimize import minimize

        r = minimize(fn, x, grad=lambda p: np.asarray(grad_fn(p), dtype=float).reshape(-1),
                     hess=lambda p: np.asarray(hess_fn(p), dtype=float).reshape(x.size, x.size),
                     method="newton", steps=steps, gtol=gtol * 1e-3, history=False)
        x = np.asarray(r.x, dtype=float).reshape(-1)
    g = np.asarray(grad_fn(x), dtype=float).reshape(-1)
    H = np.asarray(hess_fn(x), dtype=float).reshape(x.size, x.size)
    if not np.all(np.isfinite(H)):
        raise DescendError(f"the Hessian at x is not finite: {np.array2string(H, threshold=8)}")
    lam, V = np.linalg.eigh(0.5 * (H + H.T))
    zero = tol * max(1.0, float(np.max(np.abs(lam))))
    gnorm = float(np.linalg.norm(g))
    if not gnorm <= gtol:
        kind = "not critical"
    elif np.all(lam > zero):
        kind = "minimum"
    elif np.all(lam < -zero):
        kind = "maximum"
    elif np.any(lam > zero) and np.any(lam < -zero):
        kind = "saddle"
    else:
        kind = "inconclusive"
    small = float(np.min(np.abs(lam)))
    cond = float(np.max(np.abs(lam)) / small) if small > 0 else float("inf")
    return CriticalPoint(x=x, fun=float(fn(x)), grad_norm=gnorm, kind=kind, eigenvalues=lam, eigenvectors=V,
                         condition_number=cond, hessian=H)


def optimal_step(f, x, *, grad=None, hess=None):
    """The step ``eps* = g'g / g'Hg`` that minimizes the quadratic model along -g (Goodfellow eq. 4.10).

    Returns ``inf`` with a :class:`CurvatureWarning` when ``g'Hg <= 0`` (the model
    decreases without bound along -g: the step must come from elsewhere), and ``nan``
    when the gradient is 0.
    """
    fn, grad_fn, hess_fn = _derivatives(f, grad, hess)
    x = _point(x)
    check_memory(8.0 * float(x.size) ** 2, f"n = {x.size} (a dense {x.size} x {x.size} Hessian)")
    g = np.asarray(grad_fn(x), dtype=float).reshape(-1)
    H = np.asarray(hess_fn(x), dtype=float).reshape(x.size, x.size)
    gg = float(g @ g)
    if gg == 0.0:
        return float("nan")
    gHg = float(g @ H @ g)
    if not gHg > 0:
        warnings.warn(f"g'Hg = {gHg:.3g} <= 0 at x: the quadratic model has no minimum along -g, "
                      f"so no optimal step exists there (negative curvature)", CurvatureWarning, stacklevel=2)
        return float("inf")
    return gg / gHg
