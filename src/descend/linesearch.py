"""Line searches along a descent direction, for one run or many rows at once.

Each search is a one-dimensional core over ``phi(a) = f(x + a * d)`` (scipy's
``scalar_search_*`` model): ``phi`` takes one step size per row, shape (k,), and
returns f at the k points ``x_i + a_i * d_i``.  :func:`search` is the thin vector
wrapper that builds ``phi`` from the objective, the points and the directions.

Every core returns ``(alpha, phi(alpha), nfev_per_row)``; a row whose search found
no decrease gets ``alpha = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import DescendError, check_in_range, check_positive

__all__ = ["LineSearch", "METHODS", "backtracking", "grid", "golden", "search", "get"]

METHODS = ("backtracking", "grid", "exact")

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0  # 0.618...: the interval shrinks by this factor per step


@dataclass(frozen=True)
class LineSearch:
    """Settings of a line search.

    Parameters
    ----------
    method : {"backtracking", "grid", "exact"}
        "backtracking": Armijo backtracking, start at ``alpha0`` and multiply by
        ``rho`` until ``f(x + a d) <= f(x) + c1 * a * grad.d``.
        "grid": the seeds' idea, try every step in ``grid`` and keep the best.
        "exact": minimize ``phi`` on ``[0, alpha_max]`` by golden-section search
        (after bracketing), to a relative tolerance ``xtol``.
    """

    method: str = "backtracking"
    alpha0: float = 1.0
    rho: float = 0.5
    c1: float = 1e-4
    max_iter: int = 60
    grid: tuple = tuple(np.logspace(-4, 1, 21))
    xtol: float = 1e-10

    def __post_init__(self):
        if self.method not in METHODS:
            raise DescendError(f"unknown line search {self.method!r}; valid: {', '.join(METHODS)}")
        check_positive("alpha0", self.alpha0)
        check_in_range("rho", self.rho, 0, 1, lo_open=True, hi_open=True)
        check_in_range("c1", self.c1, 0, 1, lo_open=True, hi_open=True)
        if len(self.grid) == 0:
            raise DescendError("grid must hold at least one step size, got an empty grid")
        for a in self.grid:
            check_positive("grid step", a)
        check_positive("xtol", self.xtol)


def get(line_search) -> LineSearch | None:
    """None, a method name or a :class:`LineSearch`."""
    if line_search is None or isinstance(line_search, LineSearch):
        return line_search
    if isinstance(line_search, str):
        return LineSearch(method=line_search)
    raise DescendError(f"line_search must be None, one of {', '.join(METHODS)} or a LineSearch, got {line_search!r}")


def backtracking(phi, phi0, dphi0, alpha0=1.0, rho=0.5, c1=1e-4, max_iter=60):
    """Armijo backtracking on each row: the largest ``alpha0 * rho**j`` with
    ``phi(a) <= phi0 + c1 * a * dphi0``.  ``dphi0`` (< 0 for a descent direction) is
    the directional derivative at 0."""
    k = phi0.shape[0]
    alpha = np.full(k, float(alpha0))
    value = np.full(k, np.nan)
    todo = np.ones(k, dtype=bool)
    nfev = np.zeros(k, dtype=np.int64)
    descent = dphi0 < 0
    todo &= descent  # no step along an ascent direction can satisfy Armijo for small a
    for _ in range(max_iter):
        if not todo.any():
            break
        rows = np.flatnonzero(todo)
        trial = phi(alpha[rows], rows)
        nfev[rows] += 1
        # Armijo, plus a strict decrease: a step so small that x + a d == x in floating point
        # satisfies phi(a) <= phi0 + (a rounded-away term) without moving at all.
        ok = np.isfinite(trial) & (trial <= phi0[rows] + c1 * alpha[rows] * dphi0[rows]) & (trial < phi0[rows])
        value[rows[ok]] = trial[ok]
        todo[rows[ok]] = False
        alpha[rows[~ok]] *= rho
    failed = ~np.isfinite(value)
    alpha[failed] = 0.0
    value[failed] = phi0[failed]
    return alpha, value, nfev


def grid(phi, phi0, steps):
    """Try every step size of ``steps`` on every row and keep the one with the lowest phi
    (0 when none decreases phi)."""
    steps = np.asarray(steps, dtype=float)
    k = phi0.shape[0]
    rows = np.repeat(np.arange(k), steps.size)
    trial = phi(np.tile(steps, k), rows).reshape(k, steps.size)
    trial = np.where(np.isfinite(trial), trial, np.inf)
    best = np.argmin(trial, axis=1)
    value = trial[np.arange(k), best]
    alpha = steps[best]
    worse = ~(value < phi0)
    alpha[worse] = 0.0
    value[worse] = phi0[worse]
    return alpha, value, np.full(k, steps.size, dtype=np.int64)


def golden(phi, phi0, alpha0=1.0, xtol=1e-10, max_iter=200):
    """Exact line search: bracket a minimum of phi on [0, b] by doubling b while phi
    keeps decreasing, then golden-section search inside the bracket."""
    k = phi0.shape[0]
    everyone = np.arange(k)
    nfev = np.zeros(k, dtype=np.int64)
    # Bracket: grow b until phi(b) >= phi(b/2) (phi is then not monotone on [0, b]).
    b = np.full(k, float(alpha0))
    fb = phi(b, everyone)
    nfev += 1
    growing = np.isfinite(fb) & (fb < phi0)
    for _ in range(60):
        if not growing.any():
            break
        rows = np.flatnonzero(growing)
        trial = phi(2.0 * b[rows], rows)
        nfev[rows] += 1
        better = np.isfinite(trial) & (trial < fb[rows])
        b[rows[better]] *= 2.0
        fb[rows[better]] = trial[better]
        growing[rows[~better]] = False
    hi = 2.0 * b
    lo = np.zeros(k)
    # Golden section on [lo, hi]: keep two interior points c < d.
    c = hi - _GOLDEN * (hi - lo)
    d = lo + _GOLDEN * (hi - lo)
    fc = phi(c, everyone)
    fd = phi(d, everyone)
    nfev += 2
    for _ in range(max_iter):
        if np.all(hi - lo <= xtol * np.maximum(1.0, hi)):
            break
        fc = np.where(np.isfinite(fc), fc, np.inf)
        fd = np.where(np.isfinite(fd), fd, np.inf)
        left = fc <= fd  # the minimum lies in [lo, d], else in [c, hi]
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        # The interior point that survives is reused: one new evaluation per row.
        keep = np.where(left, c, d)
        f_keep = np.where(left, fc, fd)
        new = np.where(left, hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo))
        f_new = phi(new, everyone)
        nfev += 1
        c, fc = np.where(left, new, keep), np.where(left, f_new, f_keep)
        d, fd = np.where(left, keep, new), np.where(left, f_keep, f_new)
    alpha = np.where(fc <= fd, c, d)
    value = np.minimum(fc, fd)
    worse = ~(value < phi0)
    alpha[worse] = 0.0
    value[worse] = phi0[worse]
    return alpha, value, nfev



def search(ls: LineSearch, evaluate, X, D, F, G):
    """Run ``ls`` along directions ``D`` from the rows of ``X``.

    ``evaluate(points, rows)`` returns f at ``points`` (shape (m, n)), which belong to the
    runs ``rows`` (shape (m,)); ``F`` and ``G`` are f and the gradient at ``X``.
    Returns ``(alpha, f_new, nfev)``, one entry per row.
    """

    def phi(alpha, rows):
        return evaluate(X[rows] + alpha[:, None] * D[rows], rows)

    dphi0 = np.einsum("ij,ij->i", G, D)
    if ls.method == "backtracking":
        return backtracking(phi, F, dphi0, ls.alpha0, ls.rho, ls.c1, ls.max_iter)
    if ls.method == "grid":
        return grid(phi, F, ls.grid)
    return golden(phi, F, ls.alpha0, ls.xtol)
