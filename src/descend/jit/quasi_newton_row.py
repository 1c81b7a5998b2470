"""BFGS, L-BFGS and conjugate gradient on one run, compiled: the directions and updates of
:mod:`descend.methods.quasi_newton` and :mod:`descend.methods.cg`, operation for operation.

Plain functions that :mod:`descend.jit.second_order` compiles with numba in one namespace
(with ``pairwise``, the dot products of :mod:`descend.jit.wolfe_row` and :func:`blas_gemv`):
a dot product is NumPy's ``np.add.reduce(a * b)``, BFGS's ``H g`` is the ``cblas_dgemv`` that
``np.matmul`` calls.  A run's integer state is one small array (slots named below).
"""

from __future__ import annotations

import numpy as np

from .wolfe_row import dot

__all__ = ["FUNCTIONS", "blas_gemv", "bfgs_direction", "bfgs_update", "lbfgs_direction", "lbfgs_update",
           "cg_direction", "S_HEAD", "S_SINCE", "S_FALLBACKS"]

# a run's integer state: the rule's counters and the driver's
S_HEAD, S_COUNT, S_SKIPPED, S_UPDATES, S_SINCE, S_RESTARTS, S_FALLBACKS = range(7)


def blas_gemv(address, n, H, x, y):  # pragma: no cover - the intrinsic of _intrinsics() where compiled
    """``y = H x`` (H (n, n) C-contiguous) by the ``cblas_dgemv`` at ``address``, as np.matmul calls it."""
    raise NotImplementedError("blas_gemv runs compiled only")


# -- the rules' directions and updates (methods.quasi_newton, methods.cg) ---------------------------

def minus_or_steepest(g, d, tmp):
    """d <- -d, or -g where that does not descend (g'd not < 0: rounding); True when -g was taken."""
    n = g.shape[0]
    for j in range(n):
        d[j] = -d[j]
    if dot(g, d, tmp) < 0:
        return False
    for j in range(n):
        d[j] = -g[j]
    return True


def bfgs_direction(g, d, H, st, tmp, loops):
    """``BFGS.direction``: -H g, or -g with H reset to the identity."""
    n = g.shape[0]
    blas_gemv(loops[2], n, H, g, d)  # np.matmul's cblas_dgemv
    if minus_or_steepest(g, d, tmp):  # rounding in H: start again from the identity
        for i in range(n):
            for j in range(n):
                H[i, j] = 1.0 if i == j else 0.0
        st[S_UPDATES] = 0


def curvature(s, y, st, tmp):
    """y's, or 0 where it is not > 0: the pair is then skipped, and counted (``_curved_pairs``)."""
    ys = dot(y, s, tmp)
    if ys > 0:
        return ys
    st[S_SKIPPED] += 1
    return 0.0


def bfgs_update(s, y, H, st, tmp, hy, loops):
    """``BFGS.update`` from s and y (a pair with y's <= 0 skipped)."""
    ys = curvature(s, y, st, tmp)
    if ys == 0.0:
        return
    n = s.shape[0]
    rho = 1.0 / ys
    blas_gemv(loops[2], n, H, y, hy)
    yhy = dot(y, hy, tmp)
    c = rho * rho * yhy + rho
    for i in range(n):
        for j in range(n):
            H[i, j] = (H[i, j] - rho * (s[i] * hy[j] + hy[i] * s[j])) + c * (s[i] * s[j])
    st[S_UPDATES] += 1


def dot_row(A, r, b, tmp):
    """``np.add.reduce(A[r] * b)`` without making the view A[r] (a view costs a reference count)."""
    n = b.shape[0]
    if n < 8:
        res = 0.0
        for j in range(n):
            res += A[r, j] * b[j]
        return res
    for j in range(n):
        tmp[j] = A[r, j] * b[j]
    return pairwise(tmp, 0, n)  # noqa: F821


def lbfgs_direction(g, d, S, Y, rho, st, tmp, q, al):
    """The two-loop recursion (``LBFGS._direction_one``)."""
    m, n = S.shape[0], g.shape[0]
    used, head = st[S_COUNT], st[S_HEAD]
    for j in range(n):
        q[j] = g[j]
    for k in range(used):  # newest to oldest
        slot = (head - k) % m
        a = rho[slot] * dot_row(S, slot, q, tmp)
        for j in range(n):
            q[j] = q[j] - a * Y[slot, j]
        al[k] = a
    gamma = 1.0
    if used:
        for j in range(n):
            d[j] = Y[head, j]  # y, for its dot products (d is r only below)
        yy = dot(d, d, tmp)
        gamma = dot_row(S, head, d, tmp) / (yy if yy > 0 else 1.0)
    for j in range(n):
        d[j] = gamma * q[j]  # r
    for k in range(used - 1, -1, -1):  # oldest to newest
        slot = (head - k) % m
        b = rho[slot] * dot_row(Y, slot, d, tmp)
        for j in range(n):
            d[j] = d[j] + S[slot, j] * (al[k] - b)
    if minus_or_steepest(g, d, tmp):  # not a descent direction (rounding): start again from -g
        st[S_COUNT] = 0
        for k in range(m):
            rho[k] = 0.0


def lbfgs_update(s, y, S, Y, rho, st, tmp):
    """``LBFGS.update``: the pair into the ring's next slot (a pair with y's <= 0 skipped)."""
    ys = curvature(s, y, st, tmp)
    if ys == 0.0:
        return
    m = S.shape[0]
    slot = (st[S_HEAD] + 1) % m
    S[slot, :] = s
    Y[slot, :] = y
    rho[slot] = 1.0 / ys
    st[S_HEAD] = slot
    st[S_COUNT] = min(st[S_COUNT] + 1, m)


def cg_direction(g, d, dprev, gprev, st, tmp, q, fr, restart):
    """``ConjugateGradient.direction`` (PR+, or FR with ``fr``; restart 0: every n steps)."""
    n = g.shape[0]
    period = restart if restart > 0 else n
    gg_prev = dot(gprev, gprev, tmp)
    if fr:
        beta = dot(g, g, tmp) / gg_prev
    else:
        for j in range(n):
            q[j] = g[j] - gprev[j]
        v = dot(g, q, tmp) / gg_prev
        beta = 0.0 if 0.0 >= v else v  # np.maximum(0.0, v): a NaN v stays
    since = st[S_SINCE]
    fresh = since < 0 or since >= period or not np.isfinite(beta)
    if fresh:
        beta = 0.0
    for j in range(n):
        d[j] = -g[j] + beta * dprev[j]
    uphill = not dot(g, d, tmp) < 0
    if uphill:
        for j in range(n):
            d[j] = -g[j]
    if (fresh or uphill) and since >= 0:
        st[S_RESTARTS] += 1
    if fresh or uphill:
        st[S_SINCE] = 0
    dprev[:] = d


#: the functions compiled together (with the solver of descend.jit.second_order)
FUNCTIONS = (minus_or_steepest, curvature, bfgs_direction, bfgs_update, dot_row, lbfgs_direction, lbfgs_update, cg_direction)
