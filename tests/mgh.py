"""The Moré-Garbow-Hillstrom test problems for unconstrained minimization.

J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing unconstrained optimization
software", ACM TOMS 7 (1981) 17-41.  Each problem is a sum of squares
``f(x) = sum_i r_i(x)^2`` of m residuals; the paper's list for unconstrained
minimization is its problems 7, 18, 9, 3, 12, 25, 20, 23, 24, 4, 16, 11, 26, 21, 22,
5, 14 and 35 (the 18 of :data:`UNCONSTRAINED`); Rosenbrock (1), Freudenstein and Roth (2)
and Bard (8) are added (issue 22 names them).  Starts: the paper's ``x0`` and 10x and
100x it (a zero start scaled is replaced by the factor times ones, as the paper does).

The residuals are written once, for real or complex x; the Jacobian is the complex step
``J[:, j] = Im r(x + i h e_j) / h`` (h = 1e-20: exact to rounding, no cancellation), so
the gradient ``2 J' r`` is exact to rounding without a hand-written derivative per problem.
The one non-analytic piece, ``|t|`` in Gulf research, is written ``t sign(Re t)``.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np


class MGH(NamedTuple):
    """One problem: its number in the paper, its residuals, its start and the known minimum."""

    number: int
    name: str
    residuals: Callable  # x (n,) real or complex -> r (m,)
    x0: np.ndarray
    fmin: float  # the smallest f the paper reports at this size

    def f(self, x):
        r = self.residuals(np.asarray(x, dtype=float))
        return float(r @ r)

    def grad(self, x):
        x = np.asarray(x, dtype=float)
        r = self.residuals(x)
        n = x.size
        h = 1e-20
        J = np.empty((r.size, n))
        for j in range(n):
            z = x.astype(complex)
            z[j] += 1j * h
            J[:, j] = self.residuals(z).imag / h
        return 2.0 * J.T @ r

    def start(self, factor):
        x0 = np.array(self.x0, dtype=float)
        if factor != 1 and not np.any(x0):
            return np.full_like(x0, float(factor))
        return factor * x0


def rosenbrock(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])


def freudenstein_roth(x):
    return np.array([-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1], -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]])


def powell_badly_scaled(x):
    return np.array([1e4 * x[0] * x[1] - 1, np.exp(-x[0]) + np.exp(-x[1]) - 1.0001])


def brown_badly_scaled(x):
    return np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2])


def beale(x):
    i = np.arange(1, 4)
    return np.array([1.5, 2.25, 2.625]) - x[0] * (1 - x[1] ** i)


def helical_valley(x):
    theta = np.arctan(x[1] / x[0]) / (2 * np.pi) + (0.5 if np.real(x[0]) < 0 else 0.0)
    return np.array([10 * (x[2] - 10 * theta), 10 * (np.sqrt(x[0] ** 2 + x[1] ** 2) - 1), x[2]])


_BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39])


def bard(x):
    u = np.arange(1, 16)
    v = 16 - u
    w = np.minimum(u, v)
    return _BARD_Y - (x[0] + u / (v * x[1] + w * x[2]))


_GAUSS_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295,
                     0.0540, 0.0175, 0.0044, 0.0009])


def gaussian(x):
    t = (8 - np.arange(1, 16)) / 2
    return x[0] * np.exp(-x[1] * (t - x[2]) ** 2 / 2) - _GAUSS_Y


def gulf(x, m=99):
    t = np.arange(1, m + 1) / 100
    y = 25 + (-50 * np.log(t)) ** (2 / 3)
    d = y - x[1]
    ad = d * np.sign(np.real(d))  # |y - x2|, analytic for the complex step
    return np.exp(-ad ** x[2] / x[0]) - t


def box3d(x, m=10):
    t = 0.1 * np.arange(1, m + 1)
    return np.exp(-t * x[0]) - np.exp(-t * x[1]) - x[2] * (np.exp(-t) - np.exp(-10 * t))


def wood(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0], np.sqrt(90) * (x[3] - x[2] ** 2), 1 - x[2],
                     np.sqrt(10) * (x[1] + x[3] - 2), (x[1] - x[3]) / np.sqrt(10)])


def brown_dennis(x):
    t = np.arange(1, 21) / 5
    return (x[0] + t * x[1] - np.exp(t)) ** 2 + (x[2] + x[3] * np.sin(t) - np.cos(t)) ** 2


def biggs_exp6(x):
    t = 0.1 * np.arange(1, 14)
    y = np.exp(-t) - 5 * np.exp(-10 * t) + 3 * np.exp(-4 * t)
    return x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - y


def watson(x):
    n = x.size
    t = np.arange(1, 30) / 29
    j = np.arange(1, n)
    s1 = (j * x[1:] * t[:, None] ** (j - 1)).sum(axis=1)
    s2 = (x * t[:, None] ** np.arange(n)).sum(axis=1)
    return np.concatenate([s1 - s2 ** 2 - 1, [x[0], x[1] - x[0] ** 2 - 1]])


def extended_rosenbrock(x):
    r = np.empty(x.size, dtype=x.dtype)
    r[0::2] = 10 * (x[1::2] - x[0::2] ** 2)
    r[1::2] = 1 - x[0::2]
    return r


def extended_powell(x):
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    return np.stack([a + 10 * b, np.sqrt(5) * (c - d), (b - 2 * c) ** 2, np.sqrt(10) * (a - d) ** 2], axis=1).ravel()


def penalty1(x):
    return np.concatenate([np.sqrt(1e-5) * (x - 1), [np.sum(x * x) - 0.25]])


def penalty2(x):
    n = x.size
    i = np.arange(2, n + 1)
    y = np.exp(i / 10) + np.exp((i - 1) / 10)
    a = np.sqrt(1e-5)
    return np.concatenate([[x[0] - 0.2], a * (np.exp(x[1:] / 10) + np.exp(x[:-1] / 10) - y),
                           a * (np.exp(x[1:] / 10) - np.exp(-0.1)), [np.sum((n - np.arange(n)) * x * x) - 1]])


def variably_dimensioned(x):
    j = np.arange(1, x.size + 1)
    s = np.sum(j * (x - 1))
    return np.concatenate([x - 1, [s, s * s]])


def trigonometric(x):
    n = x.size
    i = np.arange(1, n + 1)
    return n - np.sum(np.cos(x)) + i * (1 - np.cos(x)) - np.sin(x)


def chebyquad(x):
    n = x.size
    y = 2 * x - 1
    T = [np.ones_like(y), y]
    for _ in range(2, n + 1):
        T.append(2 * y * T[-1] - T[-2])
    i = np.arange(1, n + 1)
    integral = np.zeros(n)
    even = i % 2 == 0
    integral[even] = -1.0 / (i[even] ** 2 - 1.0)  # the integral of T_i over [0, 1]; 0 for odd i
    return np.array([T[k].sum() / n for k in range(1, n + 1)]) - integral


def _ones(n, v):
    return np.full(n, float(v))


#: The paper's 18 problems for unconstrained minimization, in its order, at its usual sizes.
UNCONSTRAINED = (
    MGH(7, "helical_valley", helical_valley, np.array([-1.0, 0.0, 0.0]), 0.0),
    MGH(18, "biggs_exp6", biggs_exp6, np.array([1.0, 2, 1, 1, 1, 1]), 5.65565e-3),
    MGH(9, "gaussian", gaussian, np.array([0.4, 1.0, 0.0]), 1.12793e-8),
    MGH(3, "powell_badly_scaled", powell_badly_scaled, np.array([0.0, 1.0]), 0.0),
    MGH(12, "box3d", box3d, np.array([0.0, 10.0, 20.0]), 0.0),
    MGH(25, "variably_dimensioned", variably_dimensioned, 1 - np.arange(1, 11) / 10, 0.0),
    MGH(20, "watson", watson, np.zeros(6), 2.28767e-3),
    MGH(23, "penalty1", penalty1, np.arange(1.0, 11.0), 7.08765e-5),
    MGH(24, "penalty2", penalty2, _ones(4, 0.5), 9.37629e-6),
    MGH(4, "brown_badly_scaled", brown_badly_scaled, np.array([1.0, 1.0]), 0.0),
    MGH(16, "brown_dennis", brown_dennis, np.array([25.0, 5.0, -5.0, -1.0]), 85822.2),
    MGH(11, "gulf", gulf, np.array([5.0, 2.5, 0.15]), 0.0),
    MGH(26, "trigonometric", trigonometric, _ones(10, 0.1), 0.0),
    MGH(21, "extended_rosenbrock", extended_rosenbrock, np.tile([-1.2, 1.0], 5), 0.0),
    MGH(22, "extended_powell", extended_powell, np.tile([3.0, -1.0, 0.0, 1.0], 2), 0.0),
    MGH(5, "beale", beale, np.array([1.0, 1.0]), 0.0),
    MGH(14, "wood", wood, np.array([-3.0, -1.0, -3.0, -1.0]), 0.0),
    MGH(35, "chebyquad", chebyquad, np.arange(1, 9) / 9, 3.51687e-3),
)

#: Three more of the paper's problems named in issue 22.
EXTRA = (
    MGH(1, "rosenbrock", rosenbrock, np.array([-1.2, 1.0]), 0.0),
    MGH(2, "freudenstein_roth", freudenstein_roth, np.array([0.5, -2.0]), 0.0),
    MGH(8, "bard", bard, np.array([1.0, 1.0, 1.0]), 8.21487e-3),
)

PROBLEMS = {p.name: p for p in UNCONSTRAINED + EXTRA}
FACTORS = (1, 10, 100)
