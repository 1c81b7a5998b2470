"""Accurate defaults (issue 22, point 3): ``hessian(f, x)`` and ``derivative(f, x, n)`` with no
method and no step, against closed forms (and numdifftools where it is installed).

Targets: the Hessian <= 1e-10 relative (max |H - exact| / max |exact|) on smooth functions and
on Rosenbrock at n = 100 anywhere (met to |x| ~ 100), without aliasing periodic terms; the n-th
derivative <= 1e-9 relative for n = 2 to 4 and <= 1e-7 for n = 5 and 6, asserted for every case
of the table; around the table's points (0.7 to 1.42 times them) the n = 6 default misses by
1.03x at one of 108 (the rounding of f amplified by 1/h^6: the target is at the edge of what
real differences in double give)."""

import math

import numpy as np
import pytest
from numpy.polynomial.hermite import hermval

from descend import problems
from descend.diff import derivative, hessian

# ------------------------------------------------------------------------------- derivatives


def _atan(x, n):  # d^n/dx^n atan(x) = (-1)^(n-1) (n-1)! sin(n t) sin(t)^n, t = acot(x)
    t = math.atan2(1.0, x)
    return (-1) ** (n - 1) * math.factorial(n - 1) * math.sin(n * t) * math.sin(t) ** n


def _gauss(x, n):  # d^n/dx^n exp(-x^2) = (-1)^n H_n(x) exp(-x^2)
    c = np.zeros(n + 1)
    c[n] = 1.0
    return (-1) ** n * hermval(x, c) * math.exp(-x * x)


#: (name, f, f^(n)(x), x): numdifftools' test functions and a few more, at points of size 1
CASES = [
    ("exp", np.exp, lambda x, n: math.exp(x), 1.0),
    ("sin", np.sin, lambda x, n: math.sin(x + n * math.pi / 2), 1.0),
    ("cos", np.cos, lambda x, n: math.cos(x + n * math.pi / 2), 3.0),
    ("log", np.log, lambda x, n: (-1) ** (n - 1) * math.factorial(n - 1) / x ** n, 2.0),
    ("1/x", lambda x: 1 / x, lambda x, n: (-1) ** n * math.factorial(n) / x ** (n + 1), 0.5),
    ("x^7", lambda x: x ** 7, lambda x, n: math.perm(7, n) * x ** (7 - n), 1.5),
    ("atan", np.arctan, _atan, 0.7),
    ("sqrt", np.sqrt, lambda x, n: math.prod(0.5 - j for j in range(n)) * x ** (0.5 - n), 3.0),
    ("exp(-x^2)", lambda x: np.exp(-x * x), _gauss, 0.3),
]
TARGET = {2: 1e-9, 3: 1e-9, 4: 1e-9, 5: 1e-7, 6: 1e-7}


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_default_derivative_of_order_n(n):
    """Every case meets the target (before: sqrt at n = 4 2e-9, log and atan at n = 6 1.0e-7
    and 7e-6; numdifftools' default misses 15 of these 45, atan at n = 6 by 7e-6)."""
    errors = {}
    for name, f, d, x in CASES:
        exact = d(x, n)
        errors[name] = abs(float(derivative(f, x, n=n)) - exact) / abs(exact)
    for name, err in errors.items():
        assert err <= TARGET[n], (name, n, err)


#: around each point of the table: the defaults are not tuned to the table's points alone
AROUND = np.array([0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.05, 1.1, 1.17, 1.25, 1.33, 1.42])


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_default_derivative_around_the_table_points(n):
    """At 0.7 to 1.42 times the table's points (108 per order), relative to the larger of
    |f^(n)| there and at the table's point (near a zero of f^(n), atan's 4th derivative at 1,
    no relative error is small): the target everywhere for n = 2 to 5 (worst 0.38 of it, at
    n = 4), and for n = 6 but one point by at most 1.5x (measured: sqrt at 2.55, 1.03e-7);
    every error bar holds."""
    over = []
    for name, f, d, x in CASES:
        value, info = derivative(f, x * AROUND, n=n, full_output=True)
        exact = np.array([d(float(t), n) for t in x * AROUND])
        err = np.abs(value - exact)
        assert np.all(err <= info.error), (name, n)
        rel = err / np.maximum(np.abs(exact), abs(d(x, n)))
        over += [(name, float(at), float(r)) for r, at in zip(rel, x * AROUND) if r > TARGET[n]]
        assert np.all(rel <= 1.5 * TARGET[n]), (name, n, rel)
    assert len(over) <= (1 if n == 6 else 0), over


def test_the_default_is_adaptive_without_a_step_and_central_with_one():
    assert derivative(np.exp, 1.0, n=3, full_output=True)[1].method == "adaptive"
    assert derivative(np.exp, 1.0, n=3, h=1e-2, full_output=True)[1].method == "central"
    assert derivative(np.exp, 1.0, n=3, accuracy=4, full_output=True)[1].method == "central"
    assert derivative(np.exp, 1.0, full_output=True)[1].method == "central"  # n = 1: as before
    h = 1e-2  # an explicit step is used as given: the central stencil's formula, bit for bit
    want = (np.exp(1.0 - h) - 2 * np.exp(1.0) + np.exp(1.0 + h)) / h ** 2
    assert derivative(np.exp, 1.0, n=2, h=h) == want


def test_old_default_missed_the_target():
    """The central stencil of accuracy 2 at its balanced step (the default before): 1.5e-7 at n = 3."""
    err = abs(derivative(np.exp, 1.0, n=3, method="central") - math.e) / math.e
    assert err > 1e-8


# ------------------------------------------------------------------------------- Hessians

#: Rosenbrock's sum of 99 terms at n = 100: f and its analytic Hessian from descend.problems
ROSEN = problems.get("rosenbrock", n=100)


def _rel(H, exact):
    return float(np.max(np.abs(H - exact)) / np.max(np.abs(exact)))


#: where: the minimum, the standard start, and uniform random points in [-spread, spread]^100
ROSEN_POINTS = [("minimum", None, None), ("start", None, None)] + [
    ("random", seed, spread) for seed, spread in [(1, 1.5), (2, 3.0), (3, 10.0), (4, 0.1)]]


def _rosen_point(where, seed, spread):
    x = {"minimum": np.ones(100), "start": ROSEN.x0}.get(where)
    return np.random.default_rng(seed).uniform(-spread, spread, 100) if x is None else x


@pytest.mark.parametrize("where, seed, spread", ROSEN_POINTS)
def test_default_hessian_of_rosenbrock_at_n_100(where, seed, spread):
    """The issue: richardson gave 1e-10 to 4.8e-10 at random points (rounding of f, a sum of 99
    terms, at steps too small); central (the old default) 1e-7.  13 (n^2 + n + 1) evaluations
    (the 9-step ladder before: 9 (n^2 + n + 1))."""
    x = _rosen_point(where, seed, spread)
    H, info = hessian(ROSEN.f, x, vectorized=True, full_output=True)
    exact = ROSEN.hessian(x)
    assert _rel(H, exact) <= 1e-10
    assert np.all(np.abs(H - exact) <= info.error)
    assert info.method == "richardson" and info.nfev == 13 * (100 * 100 + 100 + 1)
    if where == "random" and spread >= 1:
        assert _rel(hessian(ROSEN.f, x, vectorized=True, method="central"), exact) > 1e-9


@pytest.mark.parametrize("spread", [30.0, 100.0])
def test_default_hessian_of_rosenbrock_far_out(spread):
    """Met since the ladder has 4 larger steps above the 9 it had (up to 3.3 times the scale,
    where f's rounding eps |f| / h^2 is small even at f ~ 1e11): at |x| ~ 30 and 100, 8 seeds,
    worst 2.3e-13 and 2.1e-12 (the 9-step ladder: 7e-10 and 6.8e-9); every error bar holds."""
    worst = 0.0
    for seed in range(8):
        x = _rosen_point("random", seed, spread)
        H, info = hessian(ROSEN.f, x, vectorized=True, full_output=True)
        exact = ROSEN.hessian(x)
        assert np.all(np.abs(H - exact) <= info.error), seed
        worst = max(worst, _rel(H, exact))
    assert worst <= 1e-10


TWO_PI = 2 * math.pi
#: where a step of a ladder from 16 c max(1, |x|) / 4 (c = pi / (e sqrt 2), the factor of
#: descend.diff.hessians) is a round multiple of the period p: at |x| = m p / (4 c) the large
#: steps are m p, m p / 2, ...: every second difference of a term of period p vanishes there
_C = math.pi / (math.e * math.sqrt(2.0))


def _periodic(p):
    """sum_i cos(w x_i) + sin(w (x_0 + 2 x_1)) / 2 + |x|^2 / 10 (w = 2 pi / p) and its Hessian."""
    w = TWO_PI / p

    def f(X):
        return np.sum(np.cos(w * X), axis=1) + 0.5 * np.sin(w * (X[:, 0] + 2 * X[:, 1])) + 0.1 * np.sum(X * X, axis=1)

    def hess(x):
        u = np.zeros(x.size)
        u[:2] = 1.0, 2.0
        return np.diag(0.2 - w * w * np.cos(w * x)) - 0.5 * w * w * np.sin(w * (x[0] + 2 * x[1])) * np.outer(u, u)
    return f, hess


def _aliasing_points(p, rng):
    """Random points, points of integer multiples of p, and points where the ladder's large steps
    are multiples of p (m p, m p / 2, m p / 4, m p / 8 for m = 16, 8, 4, 2, 3, 6, 12)."""
    return [rng.uniform(-3, 3, 3) * p for _ in range(12)] + \
        [np.array([m, m + 1.0, -m]) * p for m in (1, 2, 5)] + \
        [np.array([m, -m, m]) * p / (4 * _C) for m in (2, 4, 8, 16, 3, 6, 12)]


@pytest.mark.parametrize("p", [1.0, 0.5, TWO_PI])
def test_default_hessian_does_not_alias_periodic_terms(p):
    """A ladder of large steps from 4 max(1, |x|) (4, 2, 1, ...) aliased Rastrigin's cos(2 pi x):
    394.8 for 396.8 at its start, with a small error estimate.  Now no step is a round multiple
    of a simple period, and a large step's value is taken only within the small steps' error
    bar: at 22 points per period (random, multiples of p, and points that make the large steps
    exact multiples of p) every error bar holds, and the error is <= 1e-10 where |x| is within
    10 lengths 1/w of the origin (steps scale with max(1, |x|)), <= 1e-9 farther, and over 1e-10
    at one point per period at most (measured, worst per period: 1e-11, 1e-11, 1.7e-10 at w |x|
    = 16, the only one over; the 9-step ladder: 2.8e-11, 1.4e-11, 2.3e-10)."""
    f, hess = _periodic(p)
    over = []
    for x in _aliasing_points(p, np.random.default_rng(int(100 * p))):
        H, info = hessian(f, x, vectorized=True, full_output=True)
        exact = hess(x)
        assert np.all(np.abs(H - exact) <= info.error), x
        far = TWO_PI / p * np.max(np.abs(x)) > 10  # |x| > 10 lengths on which f varies
        assert _rel(H, exact) <= (1e-9 if far else 1e-10), x
        over += [x] if _rel(H, exact) > 1e-10 else []
    assert len(over) <= 1, over


def test_default_hessian_of_rastrigin_does_not_alias():
    """Rastrigin (period 1) at its start, 30 random points in [-5.12, 5.12]^4 and points where
    the large steps are multiples of 1: <= 1e-10 and every error bar holds (the ladder from 4
    max(1, |x|): 394.8 for 396.8 at the start)."""
    rast = problems.get("rastrigin", n=2)
    H = hessian(rast.f, rast.x0)
    assert _rel(H, rast.hessian(rast.x0)) <= 1e-10
    rast = problems.get("rastrigin", n=4)
    rng = np.random.default_rng(3)
    points = [rng.uniform(-5.12, 5.12, 4) for _ in range(30)] + \
        [np.array([m, -m, m / 2, 3.0]) / (4 * _C) for m in (4, 8, 16)]
    for x in points:
        H, info = hessian(rast.f, x, full_output=True)
        exact = rast.hessian(x)
        assert np.all(np.abs(H - exact) <= info.error), x
        assert _rel(H, exact) <= 1e-10, x


def test_richardson_with_an_explicit_h_keeps_its_ladder():
    """An explicit h is used as given: the 9 steps h, h/2, ..., h/256 (the largest step is h, no
    larger ones), 9 (n^2 + n + 1) evaluations; without h, 13 (n^2 + n + 1) up to 3.3 max(1, |x|)."""
    x = np.array([0.9, -2.5, 1.3])
    seen = []

    def f(P):
        seen.append(np.max(np.abs(P - x)))
        return np.sum(P ** 4, axis=1) + P[:, 0] * P[:, 1] ** 2
    H, info = hessian(f, x, method="richardson", h=0.3, vectorized=True, full_output=True)
    assert info.nfev == 9 * 13 and max(seen) == pytest.approx(0.3, rel=1e-12)
    assert np.allclose(H, [[12 * 0.81, 2 * -2.5, 0], [2 * -2.5, 12 * 6.25 + 2 * 0.9, 0], [0, 0, 12 * 1.69]])
    seen.clear()
    H, info = hessian(f, x, vectorized=True, full_output=True)
    assert info.nfev == 13 * 13 and 2.5 * 3.2 < max(seen) < 2.5 * 3.3


def test_large_steps_out_of_fs_domain():
    """The large steps (up to 3.3 max(1, |x_i|)) cross 0 where the small ones (0.2 max(1, |x_i|))
    do not: an f defined for x > 0 only still gets its Hessian.  np.log's nan there loses those
    windows, without a warning (pytest here turns RuntimeWarning into an error); math.log's and
    math.sqrt's ValueError leaves the large steps out (the 9-step ladder)."""
    x = np.array([2.0, 3.0])
    exact = np.array([[-0.25, 1 / 3], [1 / 3, -2 / 9]])
    for f in (lambda p: np.log(p[0]) + np.log(p[1]) * p[0], lambda p: math.log(p[0]) + math.log(p[1]) * p[0]):
        H, info = hessian(f, x, full_output=True)
        assert _rel(H, exact) <= 1e-10 and np.all(np.abs(H - exact) <= info.error)
    H = hessian(lambda p: math.sqrt(p[0]) * p[1], [5.0, 1.0])
    assert _rel(H, [[-0.25 * 5 ** -1.5, 0.5 / math.sqrt(5)], [0.5 / math.sqrt(5), 0]]) <= 1e-10


#: f(x) = sum_k a_k g_k(w_k . x + c_k), its Hessian sum_k a_k g_k''(w_k . x + c_k) w_k w_k^T
_G = {
    "exp": (np.exp, np.exp),
    "sin": (np.sin, lambda u: -np.sin(u)),
    "cos": (np.cos, lambda u: -np.cos(u)),
    "log1p(u^2)": (lambda u: np.log1p(u * u), lambda u: 2 * (1 - u * u) / (1 + u * u) ** 2),
    "1/(1+u^2)": (lambda u: 1 / (1 + u * u), lambda u: (6 * u * u - 2) / (1 + u * u) ** 3),
    "u^3": (lambda u: u ** 3, lambda u: 6 * u),
}


def _random_smooth(rng):
    n = int(rng.integers(2, 6))
    terms = []
    for _ in range(3):
        kind = str(rng.choice(list(_G)))
        w = rng.normal(size=n) * 2.0 ** int(rng.integers(-3, 2))
        terms.append((kind, float(rng.choice([-1, 1]) * 10 ** rng.uniform(-1, 1)), w, float(rng.normal())))

    def f(X):
        return sum(a * _G[k][0](X @ w + c) for k, a, w, c in terms)

    def H(x):
        return sum(a * _G[k][1](x @ w + c) * np.outer(w, w) for k, a, w, c in terms)
    return f, H, rng.normal(size=n) * 10 ** rng.uniform(-1, 0.5)


@pytest.fixture(scope="module")
def smooth_hessians():
    rng = np.random.default_rng(20261206)
    rows = []
    for _ in range(100):
        f, Hx, x = _random_smooth(rng)
        H, info = hessian(f, x, vectorized=True, full_output=True)
        rows.append((H, Hx(x), info.error, f, x))
    return rows


def test_default_hessian_of_random_smooth_functions(smooth_hessians):
    """97 of these 100 within 1e-10, the median 3.3e-12; the other three (1.3e-10, 2.0e-10 and
    3.2e-9: 1/(1 + u^2) with |w| up to 7, poles 0.1 away in x) are within 50x numdifftools' (see
    below); the 9-step ladder before: median 2e-12, 1.9e-10, 2.6e-10, 6e-9.  (A window of the
    large steps taken on its own estimate alone, without the factor 10: 89 of 100, median 1e-11.)  NOT MET for those three: the issue's 1e-10 holds where f varies on a length of
    about 1 or more."""
    errors = np.array([_rel(H, exact) for H, exact, *_ in smooth_hessians])
    assert np.sum(errors <= 1e-10) >= 97 and np.median(errors) <= 1e-11 and np.max(errors) <= 1e-8


def test_hessian_error_bars_hold(smooth_hessians):
    for H, exact, error, *_ in smooth_hessians:
        assert np.all(np.abs(H - exact) <= error)


def test_default_hessian_against_numdifftools(smooth_hessians):
    """numdifftools' default Hessian on the same functions (1e-13 to 9e-9): descend's default
    is within 1e-10 or 50 times numdifftools' error on every one."""
    nd = pytest.importorskip("numdifftools")
    for H, exact, _, f, x in smooth_hessians:
        theirs = _rel(nd.Hessian(lambda p: f(p[None])[0])(x), exact)
        assert _rel(H, exact) <= max(1e-10, 50 * theirs)
