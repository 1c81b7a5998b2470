"""Constraint sets with a cheap Euclidean projection, and the KKT conditions at a point.

A constraint set is convex and has a projection ``P``; projected gradient descent
(:mod:`descend.methods.projected`) steps ``x <- P(x - lr grad f(x))`` and stops where the
projected gradient ``x - P(x - grad f(x))`` vanishes.  Each set also describes itself as
inequalities ``g_i(x) <= 0`` and equalities ``h_j(x) = 0`` for :func:`kkt`, which
reports how far a point is from satisfying the Karush-Kuhn-Tucker conditions of the
generalized Lagrangian ``L = f + sum_i lambda_i g_i + sum_j mu_j h_j``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DescendError, check_finite_array, check_positive

__all__ = ["Constraint", "Box", "Ball", "Simplex", "check_constraint", "KKT", "kkt"]


class Constraint:
    """A convex set with a projection, as inequalities ``g(x) <= 0`` and equalities ``h(x) = 0``."""

    dim: int | None = None  # None: any dimension

    def check_dim(self, n: int) -> None:
        if self.dim is not None and self.dim != n:
            raise DescendError(f"{self!r} is a set in {self.dim} dimensions, but x has {n} coordinates")

    def project(self, X):  # pragma: no cover - every set defines it
        raise NotImplementedError

    def inequalities(self, x):
        """``(g(x), jacobian of g)``, shapes (m,) and (m, n)."""
        return np.zeros(0), np.zeros((0, x.size))

    def equalities(self, x):
        """``(h(x), jacobian of h)``, shapes (p,) and (p, n)."""
        return np.zeros(0), np.zeros((0, x.size))

    def contains(self, x, tol=1e-9) -> bool:
        x = np.asarray(x, dtype=float).reshape(-1)
        g, _ = self.inequalities(x)
        h, _ = self.equalities(x)
        return bool(np.all(g <= tol) and np.all(np.abs(h) <= tol))


def _bound(name, v):
    arr = np.asarray(v, dtype=float)
    if arr.ndim > 1 or arr.size == 0 or np.any(np.isnan(arr)):
        raise DescendError(f"{name} must be a number or a 1-D array of numbers (inf allowed), got {v!r}")
    return arr


class Box(Constraint):
    """``lo <= x <= hi`` coordinatewise (either may be +-inf); P clips."""

    def __init__(self, lo=-np.inf, hi=np.inf):
        lo, hi = _bound("lo", lo), _bound("hi", hi)
        if lo.ndim and hi.ndim and lo.shape != hi.shape:
            raise DescendError(f"lo and hi must have the same length, got {lo.shape[0]} and {hi.shape[0]}")
        if np.any(lo > hi):
            raise DescendError(f"Box needs lo <= hi in every coordinate, got lo={lo} and hi={hi}")
        self.lo, self.hi = lo, hi
        self.dim = lo.shape[0] if lo.ndim else (hi.shape[0] if hi.ndim else None)

    def __repr__(self):
        return f"Box(lo={np.array2string(self.lo, threshold=6)}, hi={np.array2string(self.hi, threshold=6)})"

    def project(self, X):
        return np.minimum(np.maximum(X, self.lo), self.hi)

    def inequalities(self, x):
        n = x.size
        lo, hi = np.broadcast_to(self.lo, (n,)), np.broadcast_to(self.hi, (n,))
        keep_lo, keep_hi = np.isfinite(lo), np.isfinite(hi)
        eye = np.eye(n)
        g = np.concatenate([(lo - x)[keep_lo], (x - hi)[keep_hi]])
        J = np.concatenate([-eye[keep_lo], eye[keep_hi]])
        return g, J


class Ball(Constraint):
    """``|x - center|^2 <= radius^2`` (Goodfellow's ``x'x <= 1`` with the defaults); P rescales."""

    def __init__(self, radius=1.0, center=None):
        self.radius = float(check_positive("radius", radius))
        self.center = None if center is None else check_finite_array("center", center, ndim=(1,)).astype(float)
        self.dim = None if center is None else self.center.shape[0]

    def __repr__(self):
        c = "" if self.center is None else f", center={np.array2string(self.center, threshold=6)}"
        return f"Ball(radius={self.radius:g}{c})"

    def project(self, X):
        c = 0.0 if self.center is None else self.center
        Z = X - c
        norm = np.sqrt(np.sum(Z * Z, axis=1))
        inside = norm <= self.radius
        safe = np.where(inside, 1.0, norm)
        return np.where(inside[:, None], X, c + Z * (self.radius / safe)[:, None])  # inside points stay bit for bit

    def inequalities(self, x):
        c = 0.0 if self.center is None else self.center
        z = x - c
        return np.array([z @ z - self.radius ** 2]), (2.0 * z)[None, :]


class Simplex(Constraint):
    """``x >= 0, sum x = total`` (the probability simplex for total = 1).

    P is the sort-based projection of Held, Wolfe and Crowder (1974) / Duchi et al. (2008):
    ``max(x - theta, 0)`` with the one theta that makes the sum right.
    """

    def __init__(self, total=1.0):
        self.total = float(check_positive("total", total))

    def __repr__(self):
        return f"Simplex(total={self.total:g})"

    def project(self, X):
        k, n = X.shape
        U = -np.sort(-X, axis=1)  # each row descending
        css = np.cumsum(U, axis=1) - self.total
        ind = np.arange(1, n + 1)
        cond = U - css / ind > 0
        rho = n - 1 - np.argmax(cond[:, ::-1], axis=1)  # the last index where cond holds
        theta = css[np.arange(k), rho] / (rho + 1)
        return np.maximum(X - theta[:, None], 0.0)

    def inequalities(self, x):
        return -x, -np.eye(x.size)

    def equalities(self, x):
        return np.array([np.sum(x) - self.total]), np.ones((1, x.size))


def check_constraint(constraint, n):
    if not isinstance(constraint, Constraint):
        raise DescendError(f"constraint must be a descend.constraints Box, Ball or Simplex, "
                           f"got {type(constraint).__name__}")
    constraint.check_dim(n)
    return constraint


# --------------------------------------------------------------------------- KKT

@dataclass(frozen=True)
class KKT:
    """The KKT residuals at a point (all 0 at a KKT point).

    ``stationarity``: ``|grad f + J_g' lambda + J_h' mu|``; ``primal``: the largest
    violation ``max(g_i, 0)``, ``|h_j|``; ``dual``: the largest ``max(-lambda_i, 0)``;
    ``complementarity``: the largest ``|lambda_i g_i|``; ``multipliers``: lambda and mu
    (estimated by least squares on the active constraints unless given).
    """

    stationarity: float
    primal: float
    dual: float
    complementarity: float
    lam: np.ndarray
    mu: np.ndarray
    active: np.ndarray

    def ok(self, tol=1e-6) -> bool:
        return max(self.stationarity, self.primal, self.dual, self.complementarity) <= tol

    def __repr__(self):
        return (f"KKT(stationarity={self.stationarity:.3g}, primal={self.primal:.3g}, dual={self.dual:.3g}, "
                f"complementarity={self.complementarity:.3g}, lambda={np.array2string(self.lam, precision=6)}, "
                f"mu={np.array2string(self.mu, precision=6)})")


def kkt(f, x, constraint, *, grad=None, lam=None, mu=None, active_tol=1e-8):
    """The KKT residuals of ``min f subject to constraint`` at ``x``.

    Parameters
    ----------
    f : callable or Problem
        Only its gradient is used (``grad``, the Problem's, or finite differences).
    x : array_like, shape (n,)
    constraint : Constraint
    lam, mu : array_like or None
        The multipliers of the inequalities and equalities; None: the least-squares
        fit of ``grad f = -(J_g' lambda + J_h' mu)`` over the constraints active at x
        (``g_i >= -active_tol``), the inactive ones getting 0.
    """
    from ..problems import Problem

    x = check_finite_array("x", x, ndim=(1,)).astype(float)
    check_constraint(constraint, x.size)
    if grad is None:
        grad = f.grad if isinstance(f, Problem) else None
    if grad is None:
        from ..diff import gradient

        gf = np.asarray(gradient(f.f if isinstance(f, Problem) else f, x), dtype=float)
    else:
        gf = np.asarray(grad(x.copy()), dtype=float).reshape(-1)
    g, Jg = constraint.inequalities(x)
    h, Jh = constraint.equalities(x)
    active = g >= -active_tol
    if lam is None or mu is None:
        A = np.concatenate([Jg[active], Jh]).T  # n x (active + p)
        coef = np.linalg.lstsq(A, -gf, rcond=None)[0] if A.size else np.zeros(0)
        est_lam = np.zeros(g.size)
        est_lam[active] = coef[:int(active.sum())]
        lam = est_lam if lam is None else lam
        mu = coef[int(active.sum()):] if mu is None else mu
    lam = np.asarray(lam, dtype=float).reshape(-1)
    mu = np.asarray(mu, dtype=float).reshape(-1)
    if lam.shape != g.shape or mu.shape != h.shape:
        raise DescendError(f"{constraint!r} has {g.size} inequalities and {h.size} equalities; got lam of shape "
                           f"{lam.shape} and mu of shape {mu.shape}")
    r = gf + Jg.T @ lam + Jh.T @ mu

    def biggest(v):
        return float(np.max(v)) if v.size else 0.0

    return KKT(stationarity=float(np.linalg.norm(r)),
               primal=max(biggest(np.maximum(g, 0.0)), biggest(np.abs(h))),
               dual=biggest(np.maximum(-lam, 0.0)), complementarity=biggest(np.abs(lam * g)),
               lam=lam, mu=mu, active=active)
