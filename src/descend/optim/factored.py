"""Adafactor's factored step for one matrix, compiled by numba: four passes, no temporaries.

The rule (:func:`descend.optim.adafactor.adafactor`) works on whole float64 arrays: a
float32 matrix costs a float64 copy of the parameter and of the gradient and three more
temporaries of that size.  This module computes the same numbers in four parallel
sweeps over the matrix, each element read in its own precision and worked in float64:

1. per row: the sums of p^2 and of g^2 (NumPy's pairwise order);
2. per column: the sum of g^2 (NumPy's order for ``axis=-2``: row after row);
3. per row: the sum of u^2, u = g / sqrt(max(R_i C_j, eps1^2));
4. the update p <- p * decay - u * alpha / denom.

Between the sweeps the row and column factors, the step size and the clipping
denominator are computed from those sums exactly as the rule does, on vectors.  Each
sum is added in the order NumPy adds it (:func:`pairwise_sum` is NumPy's own pairwise
summation), so the kernel gives the NumPy path's bits; the tests check it.

numba is optional, as for :mod:`descend.optim.fused`: :func:`kernels` returns None
when it is missing or fails, and the rule runs on NumPy.
"""

from __future__ import annotations

import numpy as np

from . import fused
from .tensorwise import lerp
from .transforms import prepare

__all__ = ["pairwise_sum", "row_sumsq", "step_matrix", "kernels"]


def _pairwise_leaf(a, lo, n):
    """NumPy's pairwise sum of at most 128 elements: 8 accumulators, then the rest."""
    if n < 8:
        res = -0.0  # -0.0 + x is x for every x, as NumPy's first element is
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        k = lo + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


def pairwise_sum(a, lo, n):
    """``np.sum(a[lo:lo + n])`` of a float64 vector, added in NumPy's pairwise order: up
    to 128 elements with 8 accumulators, above that the sum of the two halves (the first
    a multiple of 8 long), rounding error O(log n).

    NumPy recurses; this walks the same tree with a stack (numba cannot cache a
    recursive function), adding the same pairs (x + y is y + x, bit for bit).
    """
    if n <= 128:
        return _pairwise_leaf(a, lo, n)
    todo_lo = np.empty(192, np.int64)  # 3 entries per level: 64 levels, any n
    todo_n = np.empty(192, np.int64)
    done = np.empty(64)
    top, ndone = 1, 0
    todo_lo[0], todo_n[0] = lo, n
    while top:
        top -= 1
        lo_k, n_k = todo_lo[top], todo_n[top]
        if n_k < 0:  # both halves are done: add them
            ndone -= 1
            done[ndone - 1] = done[ndone - 1] + done[ndone]
        elif n_k <= 128:
            done[ndone] = _pairwise_leaf(a, lo_k, n_k)
            ndone += 1
        else:
            n2 = n_k // 2
            n2 -= n2 % 8
            todo_lo[top], todo_n[top] = 0, -1
            todo_lo[top + 1], todo_n[top + 1] = lo_k + n2, n_k - n2
            todo_lo[top + 2], todo_n[top + 2] = lo_k, n2
            top += 3
    return done[0]


def row_sumsq(x, rows=256):
    """Sum of squares of each row of ``x`` over its last axis, in float64, as
    ``(x * x).sum(axis=-1)`` adds them, a block of rows at a time (no temporary the
    size of x).  A vector is one row; a scalar, a row of one."""
    x2 = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
    out = np.empty(x2.shape[0])
    for i in range(0, x2.shape[0], rows):
        b = x2[i:i + rows].astype(np.float64, copy=False)
        out[i:i + rows] = (b * b).sum(axis=-1)
    return out


_ROWS = 16    # rows per task in the row sweeps
_COLS = 256   # columns per task in the column sweep

# what the sweeps call, as plain Python (the sweeps then run, slowly, without numba);
# :func:`kernels` hands them numba's prange and float64 instead
prange = range
float64 = float


def _pass_rows(p, g, psq, gsq, t):
    """Sweep 1: per row, pairwise sums of p^2 and of g^2 (g after the shared transforms)."""
    m, n = p.shape
    for blk in prange((m + _ROWS - 1) // _ROWS):
        bp = np.empty(n)
        bg = np.empty(n)
        for i in range(blk * _ROWS, min(m, (blk + 1) * _ROWS)):
            for j in range(n):
                pi, gi = prepare(float64(p[i, j]), float64(g[i, j]), t[0], t[1], t[2] != 0.0, t[3], t[4] != 0.0,
                                 t[5], t[6] != 0.0, False)
                bp[j] = pi * pi
                bg[j] = gi * gi
            psq[i] = pairwise_sum(bp, 0, n)
            gsq[i] = pairwise_sum(bg, 0, n)


def _pass_cols(p, g, csq, t):
    """Sweep 2: per column, the sum of g^2 row after row (NumPy's order for axis=-2)."""
    m, n = p.shape
    for blk in prange((n + _COLS - 1) // _COLS):
        j0, j1 = blk * _COLS, min(n, (blk + 1) * _COLS)
        for i in range(m):
            for j in range(j0, j1):
                _, gi = prepare(float64(p[i, j]), float64(g[i, j]), t[0], t[1], t[2] != 0.0, t[3], t[4] != 0.0,
                                t[5], t[6] != 0.0, False)
                if i == 0:
                    csq[j] = gi * gi
                else:
                    csq[j] += gi * gi


def _pass_update(p, g, r, c, eps1sq, usq, scale, decay, use_decay, write, t):
    """Sweeps 3 and 4: u = g / sqrt(max(R_i C_j, eps1^2)); per row the pairwise sum of
    u^2 (``write`` False), or p <- p * decay - u * scale (``write`` True)."""
    m, n = p.shape
    for blk in prange((m + _ROWS - 1) // _ROWS):
        bu = np.empty(n)
        for i in range(blk * _ROWS, min(m, (blk + 1) * _ROWS)):
            for j in range(n):
                pi, gi = prepare(float64(p[i, j]), float64(g[i, j]), t[0], t[1], t[2] != 0.0, t[3], t[4] != 0.0,
                                 t[5], t[6] != 0.0, False)
                v = r[i] * c[j]
                u = gi / np.sqrt(v if not v < eps1sq else eps1sq)  # np.maximum's: a nan v stays nan
                if write:
                    if use_decay:
                        pi = pi * decay
                    p[i, j] = pi - u * scale
                else:
                    bu[j] = u * u
            if not write:
                usq[i] = pairwise_sum(bu, 0, n)


def step_matrix(sweeps, p, g, row_var, col_var, t, rho, beta2_t, eps1, eps2, d, decay, use_decay):
    """One Adafactor step of the C-contiguous matrix ``p`` in place, with the compiled
    ``sweeps`` (:func:`kernels`); ``t`` holds the shared transforms' numbers (lr,
    clip_value, use_clip_value, factor, use_factor, weight_decay, coupled).  The
    factors ``row_var`` (m, 1) and ``col_var`` (1, n) are updated in place."""
    rows, cols, update = sweeps
    m, n = p.shape
    psq, gsq, csq, usq = np.empty(m), np.empty(m), np.empty(n), np.empty(m)
    rows(p, g, psq, gsq, t)
    cols(p, g, csq, t)
    # from here on the rule's own lines, on the sums
    alpha = max(eps2, float(np.sqrt(np.sum(psq))) / p.size ** 0.5) * rho
    R = lerp(row_var.astype(np.float64), (gsq / n).reshape(m, 1), beta2_t)
    C = lerp(col_var.astype(np.float64), (csq / m).reshape(1, n), beta2_t)
    c = C / np.maximum(np.mean(R, axis=-2, keepdims=True), eps1)
    r, c = R.reshape(-1), c.reshape(-1)
    update(p, g, r, c, eps1 * eps1, usq, 0.0, decay, use_decay, False, t)
    denom = max(1.0, float(np.sqrt(np.sum(usq))) / (p.size ** 0.5 * d))
    update(p, g, r, c, eps1 * eps1, usq, alpha / denom, decay, use_decay, True, t)
    row_var[...] = R
    col_var[...] = C


_compiled = None


def kernels():
    """The three compiled sweeps ``(rows, cols, update)``, or None without numba."""
    global _compiled
    if _compiled is not None:
        return _compiled or None
    if not fused.available():
        return None
    import numba as nb  # lazy: optional, and loaded by fused.available() first (its OpenMP settings)
    try:
        ns = {"__name__": __name__, "prange": nb.prange, "float64": nb.float64, "np": np,
              "_ROWS": _ROWS, "_COLS": _COLS}
        for f in (_pairwise_leaf, pairwise_sum):
            ns[f.__name__] = nb.njit(cache=True)(type(f)(f.__code__, ns, f.__name__))
        ns["prepare"] = nb.njit(inline="always")(prepare)
        # the sweeps as written above, with numba's prange and the jitted helpers as globals
        _compiled = tuple(nb.njit(parallel=True, cache=True, fastmath=False, nogil=True)(
            type(f)(f.__code__, ns, f.__name__)) for f in (_pass_rows, _pass_cols, _pass_update))
    except Exception as exc:  # pragma: no cover - depends on the numba version
        fused.failures["adafactor"] = repr(exc)
        _compiled = False
        return None
    return _compiled
