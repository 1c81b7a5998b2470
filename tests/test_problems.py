"""descend.problems: one table over every registered problem, then the parameters and every error message."""

import dataclasses
import math
import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descend
from descend import DescendError, problems
from descend.problems import Problem

# --------------------------------------------------------------------------- the table

_RNG = np.random.default_rng(20240601)
_A43 = _RNG.standard_normal((4, 3))
_M3 = _RNG.standard_normal((3, 3))
_SPD3 = _M3 @ _M3.T + 0.5 * np.eye(3)

N_D = ["sphere", "rastrigin", "ackley", "styblinski_tang"]  # n >= 1
CASES = (
    [(name, {}) for name in problems.names()]
    + [(name, {"n": n}) for name in N_D for n in (1, 5)]
    + [("rosenbrock", {"n": 3}), ("rosenbrock", {"n": 5}), ("rosenbrock", {"n": 2, "a": 0.5, "b": 10.0})]
    + [("ill_conditioned", {"n": 5}), ("ill_conditioned", {"n": 3, "kappa": 1e4, "rotate": True}),
       ("ill_conditioned", {"n": 4, "spacing": "linear", "rotate": True, "seed": 3})]
    + [("least_squares", {"A": _A43, "b": np.arange(4.0)}),
       ("quadratic", {"A": _SPD3, "b": np.array([1.0, -2.0, 0.5]), "c": 4.0})]
)
IDS = [name + "".join(f"-{k}={v}" for k, v in kw.items() if not isinstance(v, np.ndarray)) for name, kw in CASES]


def _make(case):
    name, kw = case
    return problems.get(name, **kw)


@pytest.fixture(params=CASES, ids=IDS)
def problem(request):
    return _make(request.param)


def _points(p, k=6, seed=0):
    """k seeded random points inside the plotting window (the search domain beyond 2-D)."""
    box = np.asarray(p.window) if p.window is not None else p.domain
    return np.random.default_rng(seed).uniform(box[:, 0], box[:, 1], size=(k, p.dim))


def test_the_table_covers_every_registered_problem():
    assert {name for name, _ in CASES} == set(problems.names())
    assert problems.names() == sorted(problems.names()) and len(problems.names()) == 18


def test_gradient_matches_central_differences(problem):
    X = _points(problem)
    g = problem.grad(X)
    g_num = descend.gradient(problem.f, X)
    scale = 1.0 + np.max(np.abs(problem.f(X)))  # rounding error of central differences grows with |f|
    np.testing.assert_allclose(g_num, g, rtol=1e-6, atol=1e-6 * scale)


def test_gradient_matches_complex_step(problem):
    # f is written with analytic operations only, so the complex step works and agrees to rounding
    X = _points(problem, seed=1)
    g = problem.grad(X)
    g_cs = descend.gradient(problem.f, X, method="complex")
    np.testing.assert_allclose(g_cs, g, rtol=1e-11, atol=1e-11 * (1.0 + np.max(np.abs(g))))


def test_hessian_matches_the_gradients_derivative(problem):
    assert problem.hessian is not None, "every registered problem has its analytic Hessian"
    for x in _points(problem, k=3, seed=2):
        H = problem.hessian(x)
        assert H.shape == (problem.dim, problem.dim)
        np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * (1 + np.max(np.abs(H))))
        H_cs = np.stack([descend.gradient(lambda z, i=i: problem.grad(z)[i], x, method="complex")
                         for i in range(problem.dim)])
        np.testing.assert_allclose(H_cs, H, rtol=1e-10, atol=1e-10 * (1 + np.max(np.abs(H))))
    X = _points(problem, k=4, seed=3)
    np.testing.assert_allclose(problem.hessian(X), [problem.hessian(x) for x in X], rtol=1e-13)


def test_value_at_each_minimizer_is_the_minimum_and_the_gradient_vanishes(problem):
    assert problem.minimizers.ndim == 2 and problem.minimizers.shape[1] == problem.dim
    assert problem.minimizers.shape[0] >= 1 and math.isfinite(problem.minimum)
    for m in problem.minimizers:
        assert float(problem.f(m)) == pytest.approx(problem.minimum, rel=1e-12, abs=1e-12)
        g = problem.grad(m)
        assert np.max(np.abs(g)) <= 1e-10 * (1.0 + abs(problem.minimum))
        assert problem.distance_to_minimizer(m) == 0.0


def test_minimum_is_global_over_random_points(problem):
    X = _points(problem, k=2000, seed=4)
    assert np.min(problem.f(X)) >= problem.minimum - 1e-12 * (1.0 + abs(problem.minimum))


def test_batch_equals_row_by_row(problem):
    X = _points(problem, k=5, seed=5)
    fX, gX = problem.f(X), problem.grad(X)
    assert fX.shape == (5,) and gX.shape == (5, problem.dim)
    np.testing.assert_allclose(fX, [problem.f(x) for x in X], rtol=1e-13, atol=0)
    np.testing.assert_allclose(gX, [problem.grad(x) for x in X], rtol=1e-13, atol=1e-300)
    # any leading axes: a (2, 5, n) stack of batches
    X2 = np.stack([X, X[::-1]])
    np.testing.assert_allclose(problem.f(X2), np.stack([fX, fX[::-1]]), rtol=1e-13)
    np.testing.assert_allclose(problem.grad(X2), np.stack([gX, gX[::-1]]), rtol=1e-13, atol=1e-300)


def test_one_point_gives_a_scalar_and_the_callers_array_is_untouched(problem):
    x = _points(problem, k=1, seed=6)[0]
    keep = x.copy()
    v = problem(x)
    assert np.ndim(v) == 0 and np.isrealobj(v)
    assert problem.grad(x).shape == (problem.dim,)
    np.testing.assert_array_equal(x, keep)
    assert float(problem(x.tolist())) == float(v)  # lists are accepted


def test_start_window_domain_and_description(problem):
    n = problem.dim
    assert problem.x0.shape == (n,) and problem.x0.dtype == np.float64
    assert np.isfinite(problem(problem.x0))
    assert not problem.x0.flags.writeable and not problem.minimizers.flags.writeable
    assert problem.domain.shape == (n, 2)
    assert np.all((problem.domain[:, 0] <= problem.x0) & (problem.x0 <= problem.domain[:, 1]))
    if n <= 2:
        assert len(problem.window) == n and all(lo < hi for lo, hi in problem.window)
        assert np.all((np.asarray(problem.window)[:, 0] <= problem.x0)
                      & (problem.x0 <= np.asarray(problem.window)[:, 1]))
    else:
        assert problem.window is None
    assert "\n" not in problem.description and "f(x" in problem.description
    assert repr(problem).startswith(f"Problem({problem.name!r}") and f"dim={n}" in repr(problem)
    # the start is not already a minimizer: there is something to do
    assert problem.distance_to_minimizer(problem.x0) > 0.1


def test_pickles_by_recipe(problem):
    q = pickle.loads(pickle.dumps(problem))
    assert repr(q) == repr(problem)
    X = _points(problem, k=3, seed=7)
    np.testing.assert_array_equal(q.f(X), problem.f(X))
    np.testing.assert_array_equal(q.grad(X), problem.grad(X))
    np.testing.assert_array_equal(q.minimizers, problem.minimizers)


# --------------------------------------------------------------------------- the seeds' numbers

def test_seed_numbers():
    sphere = problems.get("sphere")
    # seed 001: numerical_gradient(function_2, [3.0, 4.0]) -> array([6., 8.])
    np.testing.assert_array_equal(sphere.grad(np.array([3.0, 4.0])), [6.0, 8.0])
    np.testing.assert_array_equal(sphere.x0, [-3.0, 4.0])
    # seed 001 line search: A = I, b = (1, 1), start (2, 2), gradient A^T A x - A^T b, minimizer (1, 1)
    ls = problems.get("least_squares")
    np.testing.assert_array_equal(ls.x0, [2.0, 2.0])
    np.testing.assert_array_equal(ls.grad(ls.x0), [1.0, 1.0])
    np.testing.assert_array_equal(ls.minimizers, [[1.0, 1.0]])
    # seed 001 function_1 = 0.01 x^2 + 0.1 x: at the tangent point x = 5, f = 0.75 and f' = 0.2
    p1 = problems.get("poly1d")
    assert p1(5.0) == pytest.approx(0.75, rel=1e-15) and p1.grad(5.0) == pytest.approx(0.2, rel=1e-15)
    assert p1.window == ((0.0, 20.0),)
    # seed 002 func1 = x^2 + 1 from -3
    p2 = problems.get("parabola")
    assert p2(-3.0) == 10.0 and p2.x0.tolist() == [-3.0] and p2.minimum == 1.0


def test_one_dimensional_problems_take_plain_numbers():
    for name in ("poly1d", "parabola"):
        p = problems.get(name)
        assert p(2.5) == p(np.array([2.5]))
        assert np.ndim(p.grad(2.5)) == 0 and p.grad(2.5) == p.grad(np.array([2.5]))[0]
        assert p.hessian(2.5).shape == (1, 1)
        np.testing.assert_array_equal(p.f(np.array([[1.0], [2.0]])), [p(1.0), p(2.0)])
        assert isinstance(p.distance_to_minimizer(2.5), float)
    assert problems.get("sphere", n=1)(3.0) == 9.0


def test_integer_input_is_computed_in_float():
    p = problems.get("rosenbrock")
    assert p.f(np.array([3, 4])) == p.f(np.array([3.0, 4.0]))
    assert p.grad([3, 4]).dtype == np.float64


# --------------------------------------------------------------------------- literature values

@pytest.mark.parametrize("name, printed_minimizers, printed_minimum, digits", [
    # Himmelblau's four minimizers as usually printed (6 decimals)
    ("himmelblau", [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)], 0.0, 6),
    # six-hump camel (Surjanovic & Bingham): +-(0.0898, -0.7126), f* = -1.0316
    ("six_hump_camel", [(0.0898, -0.7126), (-0.0898, 0.7126)], -1.0316, 4),
    ("goldstein_price", [(0.0, -1.0)], 3.0, 15),
    ("beale", [(3.0, 0.5)], 0.0, 15),
    ("booth", [(1.0, 3.0)], 0.0, 15),
])
def test_minimizers_agree_with_the_printed_values(name, printed_minimizers, printed_minimum, digits):
    p = problems.get(name)
    np.testing.assert_allclose(p.minimizers, printed_minimizers, rtol=0, atol=0.6 * 10.0 ** -digits)
    assert p.minimum == pytest.approx(printed_minimum, abs=0.6 * 10.0 ** -digits)


def test_six_hump_camel_is_polished_past_the_printed_digits():
    p = problems.get("six_hump_camel")
    # the 16-digit value quoted by e.g. Jamil & Yang (2013) and the Virtual Library
    assert p.minimum == pytest.approx(-1.0316284534898774, rel=1e-14)
    np.testing.assert_array_equal(p.minimizers[1], -p.minimizers[0])  # f(x, y) = f(-x, -y)
    np.testing.assert_allclose(np.linalg.eigvalsh(p.hessian(p.minimizers[0])) > 0, True)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_styblinski_tang_minimum_is_the_cubics_root(n):
    p = problems.get("styblinski_tang", n=n)
    z = p.minimizers[0, 0]
    assert 4 * z**3 - 32 * z + 5 == pytest.approx(0.0, abs=1e-13)
    assert z == pytest.approx(-2.903534, abs=1e-6)
    # literature: -39.16599 n (f at the rounded root); the exact value is -39.16616570377...
    assert p.minimum == pytest.approx(-39.16599 * n, rel=1e-5)
    assert p.minimum == pytest.approx(-39.166165703771416 * n, rel=1e-13)


def test_ackley_gradient_is_finite_at_and_near_the_minimizer():
    for n in (1, 2, 5):
        p = problems.get("ackley", n=n)
        np.testing.assert_array_equal(p.grad(np.zeros(n)), np.zeros(n))
        assert p(np.zeros(n)) == 0.0  # exactly: no -20 - e + 20 + e cancellation
        for scale in (1e-300, 1e-160, 1e-8, 1e-3):
            x = scale * np.linspace(-1.0, 1.0, n) if n > 1 else np.array([scale])
            g = p.grad(x)
            assert np.all(np.isfinite(g)) and np.max(np.abs(g)) <= 20.0 * 0.2 + 2 * np.pi * np.e
        # near 0 along e_1 the cone term has slope 4 / sqrt(n): the gradient is bounded, not 0
        e1 = np.eye(n)[0] * 1e-12
        assert p.grad(e1)[0] == pytest.approx(4.0 / math.sqrt(n), rel=1e-6)


def test_rosenbrock_variants():
    p = problems.get("rosenbrock", n=4)
    np.testing.assert_array_equal(p.x0, [-1.2, 1.0, -1.2, 1.0])
    np.testing.assert_array_equal(p.minimizers, [[1.0] * 4])
    assert p.window is None and p.log_levels
    q = problems.get("rosenbrock", a=2.0)
    np.testing.assert_array_equal(q.minimizers, [[2.0, 4.0]])
    r = problems.get("rosenbrock", n=3, a=2.0)  # no closed form: nothing claimed
    assert r.minimizers.shape == (0, 3) and math.isnan(r.minimum)
    assert np.isnan(r.distance_to_minimizer(r.x0))


# --------------------------------------------------------------------------- parameterized families

@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0, 1e6])
@pytest.mark.parametrize("n", [2, 3, 6])
@pytest.mark.parametrize("rotate", [False, True])
@pytest.mark.parametrize("spacing", ["log", "linear"])
def test_ill_conditioned_has_the_requested_condition_number(kappa, n, rotate, spacing):
    p = problems.get("ill_conditioned", kappa=kappa, n=n, rotate=rotate, spacing=spacing)
    H = p.hessian(p.x0)
    assert descend.condition_number(H) == pytest.approx(kappa, rel=1e-9)
    lam = np.linalg.eigvalsh(H)
    want = np.geomspace(1, kappa, n) if spacing == "log" else np.linspace(1, kappa, n)
    np.testing.assert_allclose(lam, want, rtol=1e-9)
    off_diagonal = np.max(np.abs(H - np.diag(np.diag(H))))
    assert (off_diagonal > 1e-3) == (rotate and kappa > 1)


def test_ill_conditioned_start_is_boyd_vandenberghes_worst_case():
    p = problems.get("ill_conditioned", kappa=10.0)
    np.testing.assert_array_equal(p.x0, [10.0, 1.0])
    # exact line search on 1/2 (x^2 + k y^2) from (k, 1): the error shrinks by (k-1)/(k+1) per step
    x = p.x0.copy()
    H = p.hessian(x)
    for _ in range(3):
        g = p.grad(x)
        x = x - (g @ g) / (g @ H @ g) * g
    np.testing.assert_allclose(x, p.x0 * np.array([1, -1]) * (9.0 / 11.0) ** 3, rtol=1e-13)


def test_ill_conditioned_rotation_is_seeded():
    a = problems.get("ill_conditioned", rotate=True, seed=1)
    b = problems.get("ill_conditioned", rotate=True, seed=1)
    c = problems.get("ill_conditioned", rotate=True, seed=2)
    np.testing.assert_array_equal(a.hessian(a.x0), b.hessian(b.x0))
    assert not np.allclose(a.hessian(a.x0), c.hessian(c.x0))


def test_quadratic_default_is_shewchuks_example():
    p = problems.get("quadratic")
    np.testing.assert_array_equal(p.minimizers, [[2.0, -2.0]])
    assert p.minimum == -10.0
    np.testing.assert_array_equal(p.x0, [-2.0, -2.0])
    assert p.window == ((-4.0, 6.0), (-6.0, 4.0))
    assert problems.quadratic(np.eye(2)).minimizers.tolist() == [[0.0, 0.0]]  # b defaults to 0 with A given


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**32 - 1), c=st.floats(-10, 10))
def test_quadratic_minimizer_solves_ax_eq_b(n, seed, c):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T + 0.1 * np.eye(n)
    b = rng.standard_normal(n)
    p = problems.quadratic(A, b, c)
    xs = p.minimizers[0]
    np.testing.assert_allclose(A @ xs, b, rtol=1e-9, atol=1e-9 * np.linalg.cond(A))
    d = rng.standard_normal(n)
    # f(x* + d) - f* = 1/2 d^T A d exactly for a quadratic
    assert p(xs + d) - p.minimum == pytest.approx(0.5 * d @ A @ d, rel=1e-7, abs=1e-9 * (1 + abs(c)))
    np.testing.assert_array_equal(p.hessian(xs), 0.5 * (A + A.T))


def test_quadratic_without_a_minimizer():
    indefinite = problems.quadratic(np.diag([1.0, -1.0]), [1.0, 0.0])
    assert indefinite.minimizers.shape == (0, 2) and math.isnan(indefinite.minimum)
    np.testing.assert_array_equal(indefinite.x0, [1.0, 1.0])
    assert math.isnan(indefinite.distance_to_minimizer([0.0, 0.0]))
    singular = problems.quadratic(np.diag([1.0, 0.0]))
    assert singular.minimizers.shape == (0, 2)
    assert indefinite(np.array([0.0, 3.0])) == -4.5


def test_least_squares_matches_lstsq_and_knows_the_minimum_when_rank_deficient():
    p = problems.get("least_squares", A=_A43, b=np.arange(4.0))
    x_ls = np.linalg.lstsq(_A43, np.arange(4.0), rcond=None)[0]
    np.testing.assert_allclose(p.minimizers[0], x_ls, rtol=1e-14)
    np.testing.assert_allclose(p.x0, x_ls + 1.0)
    A = np.array([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]])  # rank 1: a line of minimizers
    b = np.array([1.0, 1.0, 1.0])
    q = problems.least_squares(A, b)
    assert q.minimizers.shape == (0, 2)
    # on the line x + y = t the residual is (t - 1, 2t - 1, -1): least at t = 3/5
    assert q.minimum == pytest.approx(0.5 * ((0.6 - 1) ** 2 + (1.2 - 1) ** 2 + 1), rel=1e-14)
    assert q(np.array([0.6, 0.0])) == pytest.approx(q.minimum, rel=1e-14)


def test_himmelblau_distance_to_the_nearest_of_four():
    p = problems.get("himmelblau")
    X = p.minimizers + np.array([0.3, -0.4])
    np.testing.assert_allclose(p.distance_to_minimizer(X), 0.5, rtol=1e-14)
    d = p.distance_to_minimizer(np.zeros(2))
    assert d == pytest.approx(np.min(np.linalg.norm(p.minimizers, axis=1)), rel=1e-15)


def test_parameters_are_stored_and_frozen():
    p = problems.get("least_squares", A=[[2.0, 0.0], [0.0, 1.0]])
    A = p.params["A"]
    assert not A.flags.writeable
    with pytest.raises(TypeError):
        p.params["A"] = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x0 = np.zeros(2)
    caller = np.array([[2.0, 0.0], [0.0, 1.0]])
    q = problems.quadratic(caller)
    assert caller.flags.writeable  # the caller's array is copied, never frozen in place
    assert q.params["A"] is not caller


def test_replace_rechecks_and_rewraps():
    p = problems.get("sphere")
    q = dataclasses.replace(p, x0=[1.0, 1.0])
    assert q(q.x0) == 2.0 and q.f.fn is p.f.fn  # the math is not wrapped twice
    with pytest.raises(DescendError, match=re.escape("minimizers must have shape (k, 3)")):
        dataclasses.replace(p, x0=[1.0, 1.0, 1.0])


def test_home_made_problem():
    p = Problem("cube", lambda x: np.sum(x * x * x, axis=-1), lambda x: 3 * x * x, x0=[1.0, 2.0, 3.0],
                minimizers=[], minimum=float("nan"), window=None, description="f(x) = sum x^3")
    assert p.dim == 3 and p.minimizers.shape == (0, 3) and p.hessian is None
    np.testing.assert_array_equal(p.domain, [[0.0, 2.0], [0.0, 4.0], [0.0, 6.0]])
    assert p([1, 1, 1]) == 3.0
    with pytest.raises((pickle.PicklingError, AttributeError)):  # lambdas cannot be pickled; no silent swap
        pickle.dumps(p)
    replaced = dataclasses.replace(problems.get("sphere"), x0=[1.0, 1.0])
    with pytest.raises((pickle.PicklingError, AttributeError)):  # not the registered recipe any more
        pickle.dumps(replaced)


# --------------------------------------------------------------------------- every error message

def _raises(match):
    return pytest.raises(DescendError, match=re.escape(match))


def test_unknown_name_lists_the_valid_ones():
    with _raises("unknown problem 'rosenbrok'; valid: ackley, beale, booth,") as e:
        problems.get("rosenbrok")
    assert all(name in str(e.value) for name in problems.names())
    with _raises("unknown problem 3"):
        problems.get(3)


def test_unknown_parameter_lists_the_valid_ones():
    with _raises("problem 'rosenbrock' has no parameter 'm'; valid: n, a, b"):
        problems.get("rosenbrock", m=3)
    with _raises("problem 'beale' has no parameter 'n'; valid: (none)"):
        problems.get("beale", n=3)


@pytest.mark.parametrize("name, params, message", [
    ("sphere", {"n": 0}, "n must be an integer >= 1, got 0"),
    ("sphere", {"n": 2.5}, "n must be an integer >= 1, got 2.5"),
    ("rastrigin", {"n": True}, "n must be an integer >= 1, got True"),
    ("ackley", {"n": "3"}, "n must be an integer >= 1, got '3'"),
    ("styblinski_tang", {"n": -1}, "n must be an integer >= 1, got -1"),
    ("rosenbrock", {"n": 1}, "n must be an integer >= 2, got 1"),
    ("rosenbrock", {"a": float("nan")}, "a must be a finite real number, got nan"),
    ("rosenbrock", {"b": 0.0}, "b must be a finite real number > 0, got 0.0"),
    ("ill_conditioned", {"kappa": 0.5}, "kappa must be a finite real number >= 1, got 0.5"),
    ("ill_conditioned", {"kappa": float("inf")}, "kappa must be a finite real number >= 1, got inf"),
    ("ill_conditioned", {"kappa": "big"}, "kappa must be a finite real number >= 1, got 'big'"),
    ("ill_conditioned", {"n": 1}, "n must be an integer >= 2, got 1"),
    ("ill_conditioned", {"rotate": "yes"}, "rotate must be True or False, got 'yes'"),
    ("ill_conditioned", {"seed": -1}, "seed must be an integer >= 0, got -1"),
    ("ill_conditioned", {"spacing": "cubic"}, "unknown spacing 'cubic'; valid: log, linear"),
    ("quadratic", {"A": [[1.0, 2.0, 3.0], [2.0, 1.0, 0.0]]}, "A must be square, got shape (2, 3)"),
    ("quadratic", {"A": [1.0, 2.0]}, "A must have 2 dimensions, got shape (2,)"),
    ("quadratic", {"A": [[1.0, np.nan], [np.nan, 1.0]]}, "A must be finite, got nan at index (0, 1)"),
    ("quadratic", {"A": [[1j, 0], [0, 1]]}, "A must be real, got dtype complex128"),
    ("quadratic", {"A": [[1.0, 2.0], [0.0, 1.0]]}, "A must be symmetric (1/2 x^T A x only sees (A + A^T)/2), "
                                                   "got max |A - A^T| = 2"),
    ("quadratic", {"A": np.eye(2), "b": [1.0, 2.0, 3.0]}, "b must have shape (2,) to match A of shape (2, 2), "
                                                          "got shape (3,)"),
    ("quadratic", {"A": np.eye(2), "c": float("nan")}, "c must be a finite real number, got nan"),
    ("quadratic", {"A": np.eye(2), "x0": [1.0]},
     "x0 must have shape (2,) to match A of shape (2, 2), got shape (1,)"),
    ("least_squares", {"A": [1.0, 2.0]}, "A must have 2 dimensions, got shape (2,)"),
    ("least_squares", {"A": [[1.0, np.inf]]}, "A must be finite, got inf at index (0, 1)"),
    ("least_squares", {"A": np.ones((3, 2)), "b": [1.0, 2.0]},
     "b must have shape (3,) to match A of shape (3, 2), got shape (2,)"),
    ("least_squares", {"b": "ab"}, "b must be an array of numbers, got dtype <U2"),
])
def test_invalid_parameters(name, params, message):
    with _raises(message):
        problems.get(name, **params)


@pytest.mark.parametrize("name, x, message", [
    ("rosenbrock", [1.0, 2.0, 3.0], "rosenbrock is a function of 2 variables: x must have shape (2,) or (m, 2), "
                                    "got shape (3,)"),
    ("rosenbrock", np.ones((4, 3)), "got shape (4, 3)"),
    ("rosenbrock", 1.0, "got shape ()"),
    ("parabola", [1.0, 2.0], "parabola is a function of 1 variable: x must have shape (1,) or (m, 1), "
                             "got shape (2,)"),
    ("sphere", ["a", "b"], "sphere: x must be an array of real or complex numbers, got dtype <U1"),
])
@pytest.mark.parametrize("which", ["f", "grad", "hessian"])
def test_a_point_of_the_wrong_dimension(name, x, message, which):
    p = problems.get(name)
    with _raises(message):
        getattr(p, which)(x)


def test_distance_to_minimizer_checks_the_dimension():
    with _raises("himmelblau: x must have shape (2,) or (R, 2), got shape (3,)"):
        problems.get("himmelblau").distance_to_minimizer([1.0, 2.0, 3.0])


def _home_made(**overrides):
    kw = dict(name="p", f=lambda x: x[..., 0], grad=lambda x: np.ones_like(x), x0=[0.0, 0.0],
              minimizers=[], minimum=math.nan, window=None, description="f(x) = x_0")
    kw.update(overrides)
    return Problem(**kw)


@pytest.mark.parametrize("overrides, message", [
    ({"name": ""}, "name must be a non-empty string, got ''"),
    ({"x0": [[0.0, 0.0]]}, "x0 must have 1 dimensions, got shape (1, 2)"),
    ({"x0": [0.0, np.inf]}, "x0 must be finite, got inf at index (1,)"),
    ({"x0": [1j, 0.0]}, "x0 must be real, got dtype complex128"),
    ({"minimizers": [0.0, 0.0]}, "minimizers must have shape (k, 2) to match x0 of shape (2,), got shape (2,)"),
    ({"minimizers": [[0.0, np.nan]]}, "minimizers must be finite"),
    ({"minimum": "low"}, "minimum must be a number (nan when unknown), got 'low'"),
    ({"window": ((0, 1),)}, "window must be ((lo, hi),) for 1-D or ((xlo, xhi), (ylo, yhi)) for 2-D problems "
                            "and None otherwise; got ((0, 1),) for dim=2"),
    ({"window": ((0, 1), (1, 0))}, "window must have finite lo < hi in every pair, got ((0, 1), (1, 0))"),
    ({"window": "wide"}, "window must be ((lo, hi), ...) with one pair per variable, got 'wide'"),
    ({"f": 3}, "f must be callable, got 3"),
    ({"grad": None}, "grad must be callable, got None"),
    ({"hessian": "H"}, "hessian must be callable or None, got 'H'"),
    ({"domain": [[0.0, 1.0]]}, "domain must be (lo, hi) or an (2, 2) array of finite lo < hi, got [[0.0, 1.0]]"),
])
def test_problem_construction_errors(overrides, message):
    with _raises(message):
        _home_made(**overrides)


def test_every_registered_problem_is_defined_once_or_says_why_not():
    # f and gradient of a registered problem come from one definition (descend.problems.formulas),
    # which the compiled rows are generated from, or the problem says why it has none
    from descend.problems import formulas

    defined, numpy_only = set(formulas.definitions()), set(formulas.NUMPY_ONLY)
    assert defined | numpy_only == set(problems.names()) and not defined & numpy_only
