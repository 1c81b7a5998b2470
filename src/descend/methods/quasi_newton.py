"""Quasi-Newton methods: BFGS and limited-memory BFGS, an inverse-Hessian estimate from steps and gradient changes.

With ``s = x_new - x`` and ``y = g_new - g``, BFGS keeps the inverse Hessian
``H <- (I - rho s y') H (I - rho y s') + rho s s'`` with ``rho = 1 / y's``
(Nocedal & Wright, *Numerical Optimization*, 2nd ed., eq. 6.17); L-BFGS keeps the
last m pairs (s, y) and applies H to g by the two-loop recursion (alg. 7.4),
starting from ``H0 = (s'y / y'y) I`` (eq. 7.20).  Goodfellow et al., sec. 8.6.3.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import DescendError, check_nonnegative_int
from ._linalg import dot_rows, matvec

__all__ = ["BFGS", "LBFGS"]


def _sum_products(a, b):
    """``np.add.reduce(a * b)`` of two lists of fewer than 8 floats: NumPy's pairwise sum starts
    from 0.0 and adds in order below 8 terms."""
    res = 0.0
    for x, y in zip(a, b):
        res += x * y
    return res


def _curved_pairs(state, rows, S, Y):
    """The pairs with ``y's > 0`` (each other one counted in ``state.skipped``): rows, S, Y and y's."""
    ys = dot_rows(Y, S)
    good = ys > 0
    state.skipped[rows[~good]] += 1
    return rows[good], S[good], Y[good], ys[good]


class BFGSState(NamedTuple):
    """The inverse-Hessian estimate of every run, and how many updates built it."""

    H: np.ndarray        # (R, n, n)
    updates: np.ndarray  # (R,) int
    skipped: np.ndarray  # (R,) int: updates skipped because y's <= 0


class BFGS:
    """BFGS: ``d = -H g`` with H the inverse-Hessian estimate, strong-Wolfe steps.

    H starts as the identity, unscaled, as in scipy (scaling it by ``y's / y'y``
    before the first update, Nocedal & Wright eq. 6.20, lets the unit step pass the
    Wolfe test early and costs quadratic termination: 106 steps instead of 59 on a
    convex quadratic with n = 50).  A pair with ``y's <= 0`` (impossible after a
    strong-Wolfe step, possible after a backtracking one) is skipped, keeping H
    positive definite.  A direction that does not descend (rounding in H) resets H.
    """

    name = "bfgs"
    needs_hessian = False
    default_line_search = "wolfe"
    c2 = 0.9

    def __repr__(self):
        return "BFGS()"

    def init(self, R, n):
        return BFGSState(H=np.broadcast_to(np.eye(n), (R, n, n)).copy(), updates=np.zeros(R, dtype=np.int64),
                         skipped=np.zeros(R, dtype=np.int64))

    def direction(self, state, rows, X, G, hess):
        D = -matvec(state.H[rows], G)
        uphill = ~(dot_rows(G, D) < 0)
        if uphill.any():
            reset = rows[uphill]
            state.H[reset] = np.eye(G.shape[1])
            state.updates[reset] = 0
            D[uphill] = -G[uphill]
        return D, np.full(len(rows), None)

    def update(self, state, rows, S, Y, G_new):
        rows, S, Y, ys = _curved_pairs(state, rows, S, Y)
        if rows.size == 0:
            return
        H = state.H[rows]
        rho = 1.0 / ys
        Hy = matvec(H, Y)
        yHy = dot_rows(Y, Hy)
        # (I - rho s y') H (I - rho y s') + rho s s', expanded: H is symmetric.
        H = (H - rho[:, None, None] * (S[:, :, None] * Hy[:, None, :] + Hy[:, :, None] * S[:, None, :])
             + (rho * rho * yHy + rho)[:, None, None] * (S[:, :, None] * S[:, None, :]))
        state.H[rows] = H
        state.updates[rows] += 1


class LBFGSState(NamedTuple):
    """The last m pairs of every run in a ring buffer: slot ``head`` is the newest."""

    S: np.ndarray      # (m, R, n)
    Y: np.ndarray      # (m, R, n)
    rho: np.ndarray    # (m, R): 1 / y's, 0 in empty slots
    head: np.ndarray   # (R,) int
    count: np.ndarray  # (R,) int: pairs stored (<= m)
    skipped: np.ndarray  # (R,) int


class LBFGS:
    """L-BFGS with memory ``m`` (default 10) and strong-Wolfe steps.

    The first step goes along -g with the trial step ``1 / |g|`` (as L-BFGS-B does);
    afterwards the trial step is 1, refined by one look along the line (below).
    Pairs with ``y's <= 0`` are skipped.

    Parameters
    ----------
    m : int >= 1
        The number of (s, y) pairs kept.
    quadratic_start : bool
        Start each Wolfe search at the minimizer of a quadratic fitted along the line
        through f at the usual trial step (:func:`descend.linesearch.quadratic_trial`).
        Default True: near-exact steps keep the conjugacy that gives L-BFGS on a
        convex quadratic CG's termination (1.6n steps with n = 50, condition 100, where
        unit steps take 2.0-2.6n); the extra f per step is paid back in steps (on the
        Moré-Garbow-Hillstrom set, median evaluations 1.00x scipy's L-BFGS-B against
        1.02x with unit steps, 30% fewer steps).  False: the unit step, which the Wolfe
        test usually accepts at once.
    """

    name = "lbfgs"
    needs_hessian = False
    default_line_search = "wolfe"
    c2 = 0.9

    def __init__(self, m=10, quadratic_start=True):
        self.quadratic_start = bool(quadratic_start)
        if check_nonnegative_int("m", m) < 1:
            raise DescendError(f"m must be an integer >= 1, got {m!r}")
        self.m = int(m)

    def __repr__(self):
        return f"LBFGS(m={self.m}, quadratic_start={self.quadratic_start})"

    def init(self, R, n):
        m = self.m
        return LBFGSState(S=np.zeros((m, R, n)), Y=np.zeros((m, R, n)), rho=np.zeros((m, R)),
                          head=np.full(R, m - 1, dtype=np.int64), count=np.zeros(R, dtype=np.int64),
                          skipped=np.zeros(R, dtype=np.int64))

    def direction(self, state, rows, X, G, hess):
        """The two-loop recursion; empty slots have rho = 0 and contribute exactly nothing."""
        if rows.size == 1:
            return self._direction_one(state, int(rows[0]), G[0])
        m = self.m
        used = int(state.count[rows].max()) if rows.size else 0
        q = G.copy()
        head = state.head[rows]
        alphas = []
        for j in range(used):  # newest to oldest
            slot = (head - j) % m
            s, y, rho = state.S[slot, rows], state.Y[slot, rows], state.rho[slot, rows]
            a = rho * dot_rows(s, q)
            q = q - a[:, None] * y
            alphas.append((slot, a))
        if used:
            s, y = state.S[head, rows], state.Y[head, rows]
            yy = dot_rows(y, y)
            gamma = np.where(state.count[rows] > 0, dot_rows(s, y) / np.where(yy > 0, yy, 1.0), 1.0)
        else:
            gamma = np.ones(len(rows))
        r = gamma[:, None] * q
        for slot, a in reversed(alphas):  # oldest to newest
            s, y, rho = state.S[slot, rows], state.Y[slot, rows], state.rho[slot, rows]
            b = rho * dot_rows(y, r)
            r = r + s * (a - b)[:, None]
        D = -r
        uphill = ~(dot_rows(G, D) < 0)
        if uphill.any():
            state.count[rows[uphill]] = 0
            state.rho[:, rows[uphill]] = 0.0
            D[uphill] = -G[uphill]
        return D, np.full(len(rows), None)

    def _direction_one(self, state, i, g):
        """:meth:`direction` for the one active run i, on its vectors: the same operations in the
        same order as row i of the batch (a dot product is the same pairwise sum on a vector as
        on a row), without indexing stacks of one row."""
        if g.shape[0] < 8:
            return self._direction_floats(state, i, g)
        m, used, head = self.m, int(state.count[i]), int(state.head[i])
        q = g.copy()
        alphas = []
        for j in range(used):  # newest to oldest
            slot = (head - j) % m
            a = state.rho[slot, i] * np.add.reduce(state.S[slot, i] * q)
            q = q - a * state.Y[slot, i]
            alphas.append((slot, a))
        gamma = 1.0
        if used:
            s, y = state.S[head, i], state.Y[head, i]
            yy = np.add.reduce(y * y)
            gamma = np.add.reduce(s * y) / (yy if yy > 0 else 1.0)
        r = gamma * q
        for slot, a in reversed(alphas):  # oldest to newest
            b = state.rho[slot, i] * np.add.reduce(state.Y[slot, i] * r)
            r = r + state.S[slot, i] * (a - b)
        d = -r
        if not np.add.reduce(g * d) < 0:  # not a descent direction (rounding): start again from -g
            state.count[i] = 0
            state.rho[:, i] = 0.0
            d = -g
        return d[None, :], (None,)

    def _direction_floats(self, state, i, g):
        """:meth:`_direction_one` on Python floats, for fewer than 8 variables: NumPy's pairwise sum
        of so few terms is the plain loop from 0.0 written here, and + - * are the same IEEE
        operations, so the numbers are the same; a few hundred float operations instead of ~80
        NumPy calls of ~1 us each."""
        m, used, head = self.m, int(state.count[i]), int(state.head[i])
        gl = g.tolist()
        q = list(gl)
        pairs = []
        for j in range(used):  # newest to oldest
            slot = (head - j) % m
            s, y, rho = state.S[slot, i].tolist(), state.Y[slot, i].tolist(), float(state.rho[slot, i])
            a = rho * _sum_products(s, q)
            q = [qk - a * yk for qk, yk in zip(q, y)]
            pairs.append((s, y, rho, a))
        gamma = 1.0
        if used:
            s, y = pairs[0][0], pairs[0][1]  # the newest pair, in slot head
            yy = _sum_products(y, y)
            gamma = _sum_products(s, y) / (yy if yy > 0 else 1.0)
        r = [gamma * qk for qk in q]
        for s, y, rho, a in reversed(pairs):  # oldest to newest
            b = rho * _sum_products(y, r)
            r = [rk + sk * (a - b) for rk, sk in zip(r, s)]
        d = [-rk for rk in r]
        if not _sum_products(gl, d) < 0:  # not a descent direction (rounding): start again from -g
            state.count[i] = 0
            state.rho[:, i] = 0.0
            d = [-gk for gk in gl]
        return np.array([d]), (None,)

    def update(self, state, rows, S, Y, G_new):
        rows, S, Y, ys = _curved_pairs(state, rows, S, Y)
        slot = (state.head[rows] + 1) % self.m
        state.S[slot, rows] = S
        state.Y[slot, rows] = Y
        state.rho[slot, rows] = 1.0 / ys
        state.head[rows] = slot
        state.count[rows] = np.minimum(state.count[rows] + 1, self.m)
