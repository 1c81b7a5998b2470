"""Line searches on phi's values alone: Armijo backtracking, a grid of steps, golden section.

Each is a one-dimensional core over ``phi(a) = f(x + a * d)`` for k rows at once
(``phi(alpha, rows)`` takes one step per row) and returns ``(alpha, phi(alpha),
nfev_per_row)``; a row whose search found no decrease gets ``alpha = 0``.
:func:`descend.linesearch.search` is their vector wrapper.
"""

from __future__ import annotations

import numpy as np

__all__ = ["backtracking", "grid", "golden"]

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0  # 0.618...: the interval shrinks by this factor per step


def backtracking(phi, phi0, dphi0, alpha0=1.0, rho=0.5, c1=1e-4, max_iter=60):
    """Armijo backtracking on each row: the largest ``alpha0 * rho**j`` (``alpha0`` a number or one per row) with
    ``phi(a) <= phi0 + c1 * a * dphi0``.  ``dphi0`` (< 0 for a descent direction) is
    the directional derivative at 0."""
    k = phi0.shape[0]
    alpha = np.broadcast_to(np.asarray(alpha0, dtype=float), (k,)).copy()  # one start, or one per row
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
