"""descend.diff: the seeds' numbers bit for bit, orders of accuracy, error estimates,
batches and vectorization, the gradient check, the error-versus-step experiment,
and every error message."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from descend.diff import (HESSIAN_METHODS, METHODS, DiffInfo, GradCheck, TangentLine, check_grad, taylor_test,
                          default_step, derivative, diff_error, gradient, hessian,
                          hessian_vector_product, jacobian, tangent_line)
from descend.errors import DescendError

EPS = np.finfo(np.float64).eps
ORDER = {"forward": 1, "backward": 1, "central": 2, "five-point": 4, "complex": 2}


# --------------------------------------------------------------------------- copies of the seeds

def seed001_numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def seed001_tangent_line(f, x):
    d = seed001_numerical_diff(f, x)
    y = f(x) - d * x
    return lambda t: d * t + y


def seed001_numerical_gradient_no_batch(f, x):
    h = 1e-4  # 0.0001
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad


def seed001_numerical_gradient(f, X):
    if X.ndim == 1:
        return seed001_numerical_gradient_no_batch(f, X)
    grad = np.zeros_like(X)
    for idx, x in enumerate(X):
        grad[idx] = seed001_numerical_gradient_no_batch(f, x)
    return grad


def seed002_gradient(f, params):
    h = 1e-7
    grad = np.zeros_like(params)
    for idx in range(params.size):
        tmp_val = params[idx]
        params[idx] = tmp_val + h
        fxh1 = f(params)
        params[idx] = tmp_val - h
        fxh2 = f(params)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        params[idx] = tmp_val
    return grad


def function_1(x):
    return 0.01 * x**2 + 0.1 * x


def function_2(x):
    return np.sum(x**2)


def mixed(p):
    """A non-quadratic test function of 3 variables, written for one point or a batch."""
    return p[..., 0] ** 2 * p[..., 1] + np.sin(p[..., 2]) * p[..., 0] + np.exp(0.3 * p[..., 1])


def mixed_grad(p):
    x, y, z = p
    return np.array([2 * x * y + np.sin(z), x**2 + 0.3 * np.exp(0.3 * y), np.cos(z) * x])


def mixed_hess(p):
    x, y, z = p
    return np.array([[2 * y, 2 * x, np.cos(z)],
                     [2 * x, 0.09 * np.exp(0.3 * y), 0.0],
                     [np.cos(z), 0.0, -np.sin(z) * x]])


class Counting:
    """Wraps f, counting calls and points (rows, for a vectorized f)."""

    def __init__(self, f, vectorized=False):
        self.f, self.vectorized, self.calls, self.points = f, vectorized, 0, 0

    def __call__(self, p):
        self.calls += 1
        self.points += len(p) if self.vectorized else 1
        return self.f(p)


# --------------------------------------------------------------------------- the seeds' numbers

def test_seed_numbers_bit_for_bit():
    assert derivative(lambda x: x**2, 3.0, h=1e-4) == 6.000000000012662
    assert derivative(lambda x: x**2, 4.0, h=1e-4) == 7.999999999999119
    assert derivative(np.exp, 0.0, h=1e-3) == 1.0000001666666813
    assert derivative(np.exp, 0.0, h=1e-4) == 1.0000000016668897
    assert derivative(np.exp, 0.0, method="forward", h=0.0005) == 1.000250041671702


@pytest.mark.parametrize("x", [0.0, 3.0, 5.0, -7.25, 123.456])
def test_derivative_equals_seed_numerical_diff(x):
    assert derivative(function_1, x, h=1e-4) == seed001_numerical_diff(function_1, x)
    assert derivative(np.sin, x, h=1e-4) == seed001_numerical_diff(np.sin, x)


def test_gradient_equals_seed001_loop_bit_for_bit():
    rng = np.random.default_rng(1)
    for x in (np.array([3.0, 4.0]), rng.normal(size=7) * 10):
        expected = seed001_numerical_gradient(function_2, x.copy())
        assert np.array_equal(gradient(function_2, x, h=1e-4), expected)
    # the batch form: one gradient per row, as the seed's numerical_gradient(f, X)
    X = rng.normal(size=(2, 18))
    expected = seed001_numerical_gradient(function_2, X.copy())
    assert np.array_equal(gradient(function_2, X, h=1e-4), expected)


def test_gradient_equals_seed002_loop_bit_for_bit():
    def func2(params):
        return np.sum(np.power(params, 2))

    rng = np.random.default_rng(2)
    for x in (np.array([3.0, 3.0]), np.array([3.0, 6.0, 9.0]), rng.normal(size=6)):
        expected = seed002_gradient(func2, x.copy())
        got = gradient(func2, x, h=1e-7)
        assert np.array_equal(got, expected)


def test_tangent_line_equals_seed():
    line = tangent_line(function_1, 5, h=1e-4)
    seed = seed001_tangent_line(function_1, 5)
    t = np.arange(0.0, 20.0, 0.1)
    assert np.array_equal(line(t), seed(t))
    assert line.slope == seed001_numerical_diff(function_1, 5)
    assert line.x0 == 5.0
    assert line.intercept == function_1(5) - line.slope * 5
    assert math.isclose(line.slope, 0.2, rel_tol=1e-10)
    assert isinstance(line, TangentLine)
    assert re.fullmatch(r"TangentLine\(slope=0\.19999\d+, intercept=-0\.2499\d+, x0=5\.0\)", repr(line))


def test_tangent_line_touches_the_curve_with_default_step():
    line = tangent_line(np.sin, 1.0, method="complex")
    assert math.isclose(line(1.0), np.sin(1.0), rel_tol=1e-15)
    assert math.isclose(line.slope, np.cos(1.0), rel_tol=1e-15)


# --------------------------------------------------------------------------- accuracy

@pytest.mark.parametrize("method", list(ORDER))
@pytest.mark.parametrize("f, df, x", [(np.sin, np.cos, 0.7), (np.exp, np.exp, 0.3)])
def test_order_of_accuracy(method, f, df, x):
    h = {1: 1e-3, 2: 1e-2, 4: 1e-1}[ORDER[method]]
    errors = [abs(derivative(f, x, method=method, h=h / 2**k) - df(x)) for k in range(3)]
    observed = [math.log2(errors[k] / errors[k + 1]) for k in range(2)]
    for p in observed:
        assert abs(p - ORDER[method]) < 0.15, (method, observed)


@pytest.mark.parametrize("f, df", [(np.sin, np.cos), (np.exp, np.exp), (np.tanh, lambda x: 1 / np.cosh(x) ** 2),
                                   (lambda x: x**3.5, lambda x: 3.5 * x**2.5)])
@pytest.mark.parametrize("x", [0.3, 1.7, 12.0])
def test_complex_step_reaches_machine_precision(f, df, x):
    d = derivative(f, x, method="complex")
    assert abs(d - df(x)) <= 4 * EPS * abs(df(x))  # a few ulps: the "exact" formula rounds too


@pytest.mark.parametrize("method, rel", [("forward", 1e-7), ("backward", 1e-7), ("central", 1e-10),
                                         ("five-point", 1e-12), ("richardson", 1e-12)])
def test_default_step_accuracy(method, rel):
    for f, df, x in [(np.exp, np.exp, 1.0), (np.sin, np.cos, 0.5), (np.log, lambda x: 1 / x, 3.0)]:
        assert abs(derivative(f, x, method=method) - df(x)) <= rel * abs(df(x)), (method, f)


RICHARDSON_CASES = [
    (np.exp, np.exp, [0.0, 1.0, 5.0, -3.0]),
    (np.sin, np.cos, [0.3, 1.0, 10.0, 100.0]),
    (lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2) ** 2, [0.1, 1.0, 3.0]),
    (np.log, lambda x: 1 / x, [0.5, 1.0, 7.0]),
    (lambda x: np.sin(10 * x), lambda x: 10 * np.cos(10 * x), [0.2, 1.0]),
    (lambda x: np.sin(100 * x), lambda x: 100 * np.cos(100 * x), [0.2, 1.0]),
    (np.arctan, lambda x: 1 / (1 + x * x), [0.5, 1e3]),
    (np.tanh, lambda x: 1 / np.cosh(x) ** 2, [0.1, 1.0]),
]


@pytest.mark.parametrize("f, df, xs", RICHARDSON_CASES)
def test_richardson_error_estimate_bounds_the_true_error(f, df, xs):
    for x in xs:
        d, info = derivative(f, x, method="richardson", full_output=True)
        true = abs(d - df(x))
        assert true <= info.error, (x, true, info.error)
        assert info.error <= 1e-9 * max(1.0, abs(df(x)))  # and it is a useful estimate, not a huge one
        assert info.nfev == 16 and info.ncalls == 16
        assert 0 < info.h <= default_step("richardson", x)


@pytest.mark.parametrize("method", ["forward", "backward", "central", "five-point", "complex"])
def test_error_estimates_bound_the_true_error(method):
    for f, df, xs in RICHARDSON_CASES[:4]:
        for x in xs:
            d, info = derivative(f, x, method=method, full_output=True)
            assert abs(d - df(x)) <= info.error, (method, x, abs(d - df(x)), info.error)


def test_full_output_info_fields_and_counts():
    # full_output adds the stencil at 2h for the truncation estimate (richardson has its own)
    # (the complex step also evaluates f(x + 0i), the check that f is real-valued, and its
    # check against real values: f(x +- hc), f(x + i hc), and f(x +- 2 hc) for the estimate)
    expected_nfev = {"forward": 3, "backward": 3, "central": 4, "five-point": 6, "complex": 8,
                     "richardson": 16}
    for method in METHODS:
        counting = Counting(np.exp)
        d, info = derivative(counting, 0.5, method=method, full_output=True)
        assert isinstance(info, DiffInfo)
        assert info.method == method
        assert info.nfev == info.ncalls == counting.calls == expected_nfev[method]
        assert d == derivative(np.exp, 0.5, method=method)  # the value does not change
        assert method in repr(info) and "nfev=" in repr(info)


@pytest.mark.parametrize("method, per_coord, center, extra", [
    ("forward", 1, 1, 1), ("backward", 1, 1, 1), ("central", 2, 0, 2), ("five-point", 4, 0, 2),
    ("complex", 4, 1, 3), ("richardson", 16, 0, 0)])
def test_evaluation_counts(method, per_coord, center, extra):
    """One call per perturbed point (f(x) once for one-sided methods); full_output adds the 2h stencil."""
    x = np.linspace(-1, 1, 5)
    f = Counting(lambda p: np.sum(np.sin(p)))
    gradient(f, x, method=method)
    assert f.calls == 5 * per_coord + center
    f = Counting(lambda p: np.sum(np.sin(p)))
    g, info = gradient(f, x, method=method, full_output=True)
    assert f.calls == info.nfev == info.ncalls == 5 * (per_coord + extra) + center
    fv = Counting(lambda P: np.sum(np.sin(P), axis=-1), vectorized=True)
    X = np.stack([x, 2 * x, 3 * x])
    gradient(fv, X, method=method, vectorized=True)
    assert fv.calls == 1  # every perturbed point of every row in ONE call
    assert fv.points == 3 * (5 * per_coord + center)


def test_elementwise_derivative_equals_scalar_derivatives():
    x = np.array([[0.1, 1.0, 2.5], [-3.0, 40.0, 1e6]])
    for method in METHODS:
        counting = Counting(np.sin)
        d = derivative(counting, x, method=method)
        assert d.shape == x.shape
        expected = np.array([derivative(np.sin, v, method=method) for v in x.ravel()]).reshape(x.shape)
        assert np.array_equal(d, expected)
        assert counting.calls == {"forward": 2, "backward": 2, "central": 2, "five-point": 4,
                                  "complex": 5, "richardson": 16}[method]


# --------------------------------------------------------------------------- steps

@pytest.mark.parametrize("method, power", [("forward", 1 / 2), ("backward", 1 / 2), ("central", 1 / 3),
                                           ("five-point", 1 / 5), ("complex", 2.0)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_default_step_follows_method_and_dtype(method, power, dtype):
    eps = float(np.finfo(dtype).eps)
    x = np.array([0.0, 0.5, -3.0, 1e20], dtype=dtype)
    h = default_step(method, x)
    assert h.dtype == dtype
    scale = np.maximum(1.0, np.abs(x.astype(np.float64)))
    np.testing.assert_allclose(h / scale, eps**power, rtol=1e-5 if dtype == np.float64 else 1e-2)
    if method != "complex":
        assert np.array_equal((x + h) - x, h)  # exactly representable: the step really taken
        assert np.all(x + h != x)


def test_default_step_scalar_and_dtype_argument():
    h = default_step("central", 2)
    assert isinstance(h, np.floating) and h == (2.0 + h) - 2.0
    h32 = default_step("central", 0.0, dtype=np.float32)
    assert h32.dtype == np.float32 and h32 == pytest.approx(np.finfo(np.float32).eps ** (1 / 3), rel=1e-6)
    assert default_step("richardson", 0.0) == pytest.approx(4 * EPS ** (1 / 9))


def test_huge_x_works_with_automatic_step():
    for method in METHODS:
        d = derivative(lambda x: x**2, 1e20, method=method)
        assert d == pytest.approx(2e20, rel=1e-6), method
    g = gradient(lambda p: np.sum(p**2), np.array([1e20, -3e19]))
    np.testing.assert_allclose(g, [2e20, -6e19], rtol=1e-6)
    # the seeds' fixed h = 1e-4 is below the spacing of 1e20: x + h == x and the formula gives 0
    assert derivative(lambda x: x**2, 1e20, h=1e-4) == 0.0


def test_explicit_step_below_the_spacing_of_x_gives_the_seeds_zero():
    # seed 002 with lr=10 freezes at 2459382288.1580424, where x + 1e-7 == x - 1e-7
    def differentiation(f, x):  # copied from seed 002
        h = 1e-7
        return (f(x + h) - f(x - h)) / (2 * h)

    def func1(x):
        return x**2 + 1

    x = 2459382288.1580424
    assert derivative(func1, x, h=1e-7) == differentiation(func1, x) == 0.0
    assert derivative(func1, x) == pytest.approx(2 * x, rel=1e-9)  # h=None scales the step with |x|


def test_explicit_array_h_is_used_per_coordinate():
    x = np.array([0.3, 1.2, -2.0])
    hs = np.array([1e-3, 1e-4, 1e-5])
    f = lambda p: np.sum(np.exp(p))  # noqa: E731
    g = gradient(f, x, h=hs)
    expected = []
    for i in range(3):
        up, down = x.copy(), x.copy()
        up[i], down[i] = x[i] + hs[i], x[i] - hs[i]
        expected.append((f(up) - f(down)) / (2 * hs[i]))
    assert np.array_equal(g, expected)
    _, info = gradient(lambda p: np.sum(np.exp(p)), x, h=hs, full_output=True)
    assert np.array_equal(info.h, hs)


# --------------------------------------------------------------------------- gradient, batches, vectorized

def quadratic_strategy():
    @st.composite
    def build(draw):
        n = draw(st.integers(1, 6))
        floats = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
        M = draw(hnp.arrays(np.float64, (n, n), elements=floats))
        b = draw(hnp.arrays(np.float64, (n,), elements=floats))
        x = draw(hnp.arrays(np.float64, (n,), elements=floats))
        return (M + M.T) / 2, b, x
    return build()


@settings(max_examples=60, deadline=None)
@given(quadratic_strategy(), st.sampled_from(["central", "five-point", "complex", "richardson"]))
def test_gradient_of_random_quadratic(case, method):
    A, b, x = case

    def f(p):
        return 0.5 * p @ A @ p + b @ p

    g = gradient(f, x, method=method)
    exact = A @ x + b
    scale = 1 + np.abs(A).sum() * (1 + np.abs(x).max()) ** 2 + np.abs(b).sum()
    np.testing.assert_allclose(g, exact, rtol=0, atol=1e-8 * scale)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 6),
                  elements=st.floats(-5, 5).filter(lambda v: v == 0 or abs(v) > 1e-200)),
       hnp.arrays(np.float64, 6, elements=st.floats(-1e3, 1e3)))
def test_linear_functions_are_exact_up_to_rounding(b_all, x_all):
    n = b_all.size
    b, x = b_all, x_all[:n]
    # complex step: Im(b.(x + ih e_i)) = b_i h exactly, so only the final division rounds
    g = gradient(lambda p: b @ p, x, method="complex")
    np.testing.assert_allclose(g, b, rtol=4 * EPS, atol=0)
    # real differences: the only error is the rounding of f's values, eps |f| / h
    noise = 4 * EPS * (np.abs(b) @ np.abs(x) + 1) / default_step("central", x)
    assert np.all(np.abs(gradient(lambda p: b @ p, x) - b) <= noise)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(3)), elements=st.floats(-4, 4)),
       st.sampled_from(METHODS))
def test_vectorized_equals_loop(X, method):
    loop = gradient(mixed, X, method=method)
    vect = gradient(mixed, X, method=method, vectorized=True)
    assert np.array_equal(loop, vect)  # elementwise f: the same floating-point operations
    per_row = np.stack([gradient(mixed, row, method=method) for row in X])
    assert np.array_equal(loop, per_row)
    np.testing.assert_allclose(loop, np.stack([mixed_grad(r) for r in X]), rtol=1e-6, atol=1e-6)


def test_batch_of_points_and_the_seed_meshgrid():
    x0 = np.arange(-2, 2.5, 0.25)
    X, Y = np.meshgrid(x0, x0)
    pts = np.array([X.flatten(), Y.flatten()])  # shape (2, 324): the seed's two long rows
    g = gradient(function_2, pts)
    np.testing.assert_allclose(g, 2 * pts, atol=1e-9)
    g3 = gradient(lambda p: np.sum(p**2), np.ones((2, 3, 4)))  # leading axes are all batch axes
    np.testing.assert_allclose(g3, 2 * np.ones((2, 3, 4)), atol=1e-9)


def test_batch_false_treats_a_matrix_as_one_point():
    W = np.arange(6.0).reshape(2, 3)
    g = gradient(lambda w: np.sum(w**2) * w[0, 0], W, batch=False, method="complex")
    expected = 2 * W * W[0, 0]
    expected[0, 0] += np.sum(W**2)
    np.testing.assert_allclose(g, expected, rtol=1e-15)
    gv = gradient(lambda Ws: np.sum(Ws**2, axis=(1, 2)) * Ws[:, 0, 0], W, batch=False, vectorized=True,
                  method="complex")
    np.testing.assert_allclose(gv, expected, rtol=1e-15)


def test_scalar_point_gradient():
    g = gradient(np.sin, 0.5)
    assert np.ndim(g) == 0 and g == derivative(np.sin, 0.5)
    gv = gradient(np.sin, 0.5, vectorized=True)  # f takes (m,) points and returns (m,)
    assert gv == g


def test_callers_array_is_never_touched():
    x = np.array([1.0, -2.0, 3.0])
    x.setflags(write=False)  # any write, even a temporary one, would raise
    seen = []

    def f(p):
        seen.append(p)
        assert p is not x and not np.shares_memory(p, x)
        return np.sum(p**2)

    for method in METHODS:
        gradient(f, x, method=method)
        gradient(lambda P: np.sum(P**2, axis=-1), x, method=method, vectorized=True)
        jacobian(lambda p: p**2, x, method=method)
        check_grad(f, lambda p: 2 * p, x, method=method)
    for method in HESSIAN_METHODS:
        hessian(f, x, method=method)
    hessian_vector_product(lambda p: 2 * p, x, x)
    derivative(np.sin, x)
    # every evaluation got a fresh array: an f that keeps its inputs sees distinct points
    assert len({id(p) for p in seen}) == len(seen)
    assert np.array_equal(x, [1.0, -2.0, 3.0])


def test_an_f_that_mutates_its_input_cannot_corrupt_the_result():
    x = np.array([0.5, 1.5])

    def rude(p):
        value = np.sum(np.sin(p))
        p[:] = 1e6  # writes into the point it was given
        return value

    np.testing.assert_allclose(gradient(rude, x), np.cos(x), rtol=1e-9)
    assert np.array_equal(x, [0.5, 1.5])


@pytest.mark.parametrize("method", METHODS)
def test_float32_stays_float32(method):
    x = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    g = gradient(lambda p: np.sum(np.sin(p)), x, method=method)
    assert g.dtype == np.float32
    tol = 1e-2 if method in ("forward", "backward") else 2e-3
    np.testing.assert_allclose(g, np.cos(x), rtol=tol)
    d = derivative(np.sin, np.float32(0.5), method=method)
    assert d.dtype == np.float32
    assert jacobian(np.sin, x, method=method).dtype == np.float32


def test_float32_hessian_and_integer_input():
    H = hessian(lambda p: np.sum(p**3), np.array([1.0, 2.0], dtype=np.float32))
    assert H.dtype == np.float32
    np.testing.assert_allclose(H, np.diag([6.0, 12.0]), rtol=1e-2, atol=1e-2)
    g = gradient(lambda p: np.sum(p**2), np.array([3, 4]))  # integers become float64
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, [6.0, 8.0], rtol=1e-10)


# --------------------------------------------------------------------------- jacobian, hessian, hvp

def vec_f(p):
    return np.array([p[0] * p[1], np.sin(p[0]) + p[2] ** 2, np.exp(p[1] - p[2]), p[0]])


def vec_jac(p):
    x, y, z = p
    e = np.exp(y - z)
    return np.array([[y, x, 0.0], [np.cos(x), 0.0, 2 * z], [0.0, e, -e], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("method", METHODS)
def test_jacobian(method):
    x = np.array([0.4, -1.1, 0.7])
    J = jacobian(vec_f, x, method=method)
    assert J.shape == (4, 3)
    tol = 1e-6 if method in ("forward", "backward") else 1e-9
    np.testing.assert_allclose(J, vec_jac(x), atol=tol)

    def batched(P):
        return np.stack([vec_f(p) for p in P])

    counting = Counting(batched, vectorized=True)
    Jv, info = jacobian(counting, x, method=method, vectorized=True, full_output=True)
    assert counting.calls == 1 and info.nfev == counting.points
    np.testing.assert_allclose(Jv, J, rtol=1e-12, atol=1e-15)
    assert info.error.shape == (4, 3)


@pytest.mark.parametrize("method", HESSIAN_METHODS)
def test_hessian(method):
    x = np.array([0.9, -0.4, 1.3])
    counting = Counting(mixed)
    H, info = hessian(counting, x, method=method, full_output=True)
    assert H.shape == (3, 3)
    assert np.array_equal(H, H.T)
    tol = {"central": 1e-7, "forward": 1e-4, "complex": 1e-8, "richardson": 1e-11}[method]
    np.testing.assert_allclose(H, mixed_hess(x), atol=tol)
    n = 3
    expected_nfev = {"central": 2 * n * n + 1, "forward": n + n * (n + 1) // 2 + 1, "complex": 2 * n * n + 1,
                         "richardson": 13 * (n * n + n + 1)}
    assert counting.calls == info.nfev == expected_nfev[method]
    Hv = hessian(mixed, x, method=method, vectorized=True)
    np.testing.assert_allclose(Hv, H, rtol=1e-12, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(quadratic_strategy())
def test_hessian_of_random_quadratic(case):
    A, b, x = case
    H = hessian(lambda p: 0.5 * p @ A @ p + b @ p, x)
    scale = 1 + np.abs(A).sum() * (1 + np.abs(x).max()) ** 2 + np.abs(b).sum() * (1 + np.abs(x).max())
    np.testing.assert_allclose(H, A, atol=1e-6 * scale)


def test_hessian_vector_product():
    rng = np.random.default_rng(3)
    M = rng.normal(size=(4, 4))
    A = M @ M.T
    x, v = rng.normal(size=4), rng.normal(size=4)
    np.testing.assert_allclose(hessian_vector_product(lambda p: A @ p, x, v), A @ v, rtol=1e-8)
    np.testing.assert_allclose(hessian_vector_product(lambda p: A @ p, x, v, method="forward"), A @ v,
                               rtol=1e-6)
    # explicit h is used as given: one central difference of the gradient along v
    h = 1e-3
    expected = (mixed_grad(x[:3] + h * v[:3]) - mixed_grad(x[:3] - h * v[:3])) / (2 * h)
    assert np.array_equal(hessian_vector_product(mixed_grad, x[:3], v[:3], h=h), expected)
    np.testing.assert_allclose(hessian_vector_product(mixed_grad, x[:3], v[:3]), mixed_hess(x[:3]) @ v[:3],
                               rtol=1e-7, atol=1e-8)
    calls = Counting(lambda p: A @ p)
    assert np.array_equal(hessian_vector_product(calls, x, np.zeros(4)), np.zeros(4)) and calls.calls == 0


# --------------------------------------------------------------------------- check_grad

def test_check_grad_passes_a_right_gradient():
    x = np.array([0.9, -0.4, 1.3])
    for method in METHODS:
        report = check_grad(mixed, mixed_grad, x, method=method)
        assert isinstance(report, GradCheck)
        assert report and report.passed
        assert report.max_rel_error <= report.tol
        assert report.tol == (1e-5 if method in ("forward", "backward") else 1e-7)
        assert report.numerical.shape == report.analytic.shape == x.shape
        assert len(report.worst) == 3 and report.worst[0] == tuple(
            int(i) for i in np.unravel_index(np.argmax(report.errors), x.shape))


def test_check_grad_fails_a_wrong_gradient_naming_the_worst_coordinate():
    x = np.array([0.9, -0.4, 1.3])

    def wrong(p):
        g = mixed_grad(p)
        g[2] *= 1.001
        return g

    report = check_grad(mixed, wrong, x)
    assert not report and report.passed is False
    assert report.worst[0] == (2,)
    expected = abs(wrong(x)[2] - mixed_grad(x)[2]) / np.abs(mixed_grad(x)).max()
    assert report.max_rel_error == pytest.approx(expected, rel=1e-5)
    assert "passed=False" in repr(report) and "(2,)" in repr(report)
    text = report.summary()
    assert text.startswith("gradient check FAILED") and "(2,)" in text.splitlines()[1]
    assert str(report) == text


def test_check_grad_on_a_weight_matrix_and_float32():
    rng = np.random.default_rng(4)
    W = rng.normal(size=(3, 4))
    X = rng.normal(size=(5, 3))

    def loss(w):
        return 0.5 * np.sum(np.tanh(X @ w) ** 2)

    def loss_grad(w):
        t = np.tanh(X @ w)
        return X.T @ (t * (1 - t**2))

    assert check_grad(loss, loss_grad, W)
    bad = check_grad(loss, lambda w: loss_grad(w).T.reshape(3, 4), W)
    assert not bad and len(bad.worst[0]) == 2
    r32 = check_grad(lambda w: np.sum(w**2), lambda w: 2 * w, W.astype(np.float32))
    assert r32 and r32.tol == 1e-3 and r32.numerical.dtype == np.float32


def test_check_grad_at_a_stationary_point_and_floor_rtol():
    def rosen(p):
        return 100 * (p[1] - p[0] ** 2) ** 2 + (1 - p[0]) ** 2

    def rosen_grad(p):
        return np.array([-400 * p[0] * (p[1] - p[0] ** 2) - 2 * (1 - p[0]), 200 * (p[1] - p[0] ** 2)])

    at_min = check_grad(rosen, rosen_grad, np.array([1.0, 1.0]))
    assert at_min  # analytic gradient 0, numerical one round-off: the floor keeps this a pass
    assert not check_grad(rosen, rosen_grad, np.array([1.0, 1.0]), floor=1e-30)
    strict = check_grad(mixed, mixed_grad, np.array([0.9, -0.4, 1.3]), rtol=1e-30)
    assert not strict and strict.tol == 1e-30


# --------------------------------------------------------------------------- diff_error

def test_diff_error_finds_the_theoretical_best_steps():
    r = diff_error(np.exp, 1.0, np.e)
    assert r.methods == ("forward", "backward", "central", "five-point", "complex")
    assert r.hs[0] == pytest.approx(1e-16) and r.hs[-1] == 1.0
    assert 1e-7 <= r.best_h["central"] <= 1e-4  # eps^(1/3) ~ 6e-6
    assert 1e-10 <= r.best_h["forward"] <= 1e-6  # eps^(1/2) ~ 1.5e-8
    assert 1e-5 <= r.best_h["five-point"] <= 1e-2  # eps^(1/5) ~ 7e-4
    assert r.best_error["complex"] <= 2 * EPS * np.e
    assert r.best_error["central"] < 1e-9 < r.best_error["forward"] < 1e-7
    for m in r.methods:
        assert r.errors[m].shape == r.hs.shape
        assert r.best_error[m] == np.nanmin(r.errors[m])
        assert r.default_h[m] == default_step(m, 1.0)
    # truncation regime: the error grows like h^p over the large steps
    big = (r.hs >= 1e-3) & (r.hs <= 1e-1)
    slope = np.polyfit(np.log10(r.hs[big]), np.log10(r.errors["central"][big]), 1)[0]
    assert abs(slope - 2) < 0.1
    rows = r.table()
    assert len(rows) == r.hs.size and len(rows[0]) == 1 + len(r.methods)
    assert "best h" in str(r) and "central" in str(r) and "DiffErrorResult" in repr(r)


def test_diff_error_relative_custom_steps_and_domain_errors():
    r = diff_error(np.log, 0.5, 2.0, methods=("central", "richardson"), hs=[1.0, 1e-3, 1e-5], relative=True)
    assert np.array_equal(r.hs, [1e-5, 1e-3, 1.0])
    assert np.isnan(r.errors["central"][-1])  # log(0.5 - 1) is outside the domain: recorded as nan
    assert r.errors["central"][0] == abs(derivative(np.log, 0.5, h=1e-5) - 2.0) / 2.0
    assert r.relative and r.best_h["central"] in (1e-5, 1e-3)
    # one string is accepted for one method
    assert diff_error(np.sin, 0.0, 1.0, methods="central").methods == ("central",)


# --------------------------------------------------------------------------- error messages

def test_unknown_method_lists_the_valid_ones():
    for call in (lambda: derivative(np.sin, 1.0, method="centered"),
                 lambda: gradient(np.sin, [1.0], method="centered"),
                 lambda: jacobian(np.sin, [1.0], method="centered"),
                 lambda: check_grad(np.sin, np.cos, 1.0, method="centered"),
                 lambda: default_step("centered", 1.0),
                 lambda: diff_error(np.sin, 1.0, 1.0, methods=("centered",))):
        with pytest.raises(DescendError, match="unknown method 'centered'; valid: forward, backward, central, "
                                               "five-point, complex, richardson"):
            call()
    with pytest.raises(DescendError, match="unknown method 'five-point'; valid: forward, central, complex"):
        hessian(mixed, [1.0, 2.0, 3.0], method="five-point")
    with pytest.raises(DescendError, match="unknown method 'five-point'; valid: central, forward, richardson, "
                                           "complex"):
        hessian_vector_product(np.cos, [1.0], [1.0], method="five-point")
    with pytest.raises(DescendError, match=r"unknown method 3; valid:"):
        derivative(np.sin, 1.0, method=3)


@pytest.mark.parametrize("h, shown", [(0.0, "0.0"), (-1e-3, "-0.001"), (float("nan"), "nan"), (float("inf"), "inf"),
                                      ("1e-3", "'1e-3'"), ([1e-3, -1.0], r"\[ 0.001 -1.   \]")])
def test_bad_h(h, shown):
    with pytest.raises(DescendError, match=rf"h must be a finite number > 0, got {shown}"):
        gradient(np.sum, np.ones(2), h=h)
    with pytest.raises(DescendError, match="h must be a finite number > 0"):
        derivative(np.sin, 1.0, h=h)


def test_h_of_the_wrong_shape():
    with pytest.raises(DescendError, match=r"h must be a number or an array of shape \(3,\) .*got shape \(2,\)"):
        gradient(np.sum, np.ones(3), h=[1e-3, 1e-3])
    with pytest.raises(DescendError, match=r"h must be a number or an array of shape \(2, 2\)"):
        hessian(mixed, np.ones((2, 2)), h=[1e-3, 1e-3, 1e-3])
    with pytest.raises(DescendError, match="h must be a finite number > 0"):
        hessian_vector_product(np.cos, [1.0], [1.0], h=-1.0)


@pytest.mark.parametrize("x, message", [
    ([1.0, np.nan], r"x must be finite, got nan at index \(1,\)"),
    (np.inf, r"x must be finite, got inf"),
    ([1 + 2j], r"x must be real, got dtype complex128"),
    (["a"], r"x must be an array of numbers, got dtype <U1"),
    ([], r"x must not be empty"),
])
def test_bad_x(x, message):
    for call in (derivative, gradient, jacobian, hessian):
        with pytest.raises(DescendError, match=message):
            call(np.sum, x)


def test_f_returning_the_wrong_shape():
    with pytest.raises(DescendError, match=r"f must return a scalar, got an array of shape \(2,\)"):
        gradient(lambda p: p * 2, np.ones(2))
    with pytest.raises(DescendError, match=r"f must return a scalar, got an array of shape \(1,\)"):
        derivative(lambda x: np.array([x]), 1.0)
    with pytest.raises(DescendError, match=r"f must work elementwise: for x of shape \(3,\) it returned shape \(\)"):
        derivative(np.sum, np.ones(3))
    with pytest.raises(DescendError, match=r"with vectorized=True f must map points of shape \(m, 2\) to values "
                                           r"of shape \(4,\); got shape \(4, 1\)"):
        gradient(lambda P: np.sum(P, axis=1, keepdims=True), np.ones(2), vectorized=True)
    with pytest.raises(DescendError, match=r"with vectorized=True .* got shape \(\)"):
        gradient(np.sum, np.ones(2), vectorized=True)
    with pytest.raises(DescendError, match=r"f must return an array of shape \(2,\) at every point, got shape \(3,\)"):
        calls = iter(range(100))
        jacobian(lambda p: np.ones(2 if next(calls) == 0 else 3), np.ones(2))
    with pytest.raises(DescendError, match=r"f must return a scalar, got an array of shape \(2,\)"):
        hessian(lambda p: p, np.ones(2))
    with pytest.raises(DescendError, match=r"f must return numbers, got dtype object"):
        gradient(lambda p: object(), np.ones(2))


def test_f_not_callable():
    with pytest.raises(DescendError, match="f must be callable, got 3"):
        gradient(3, np.ones(2))
    with pytest.raises(DescendError, match="f must be callable, got 3"):
        derivative(3, 1.0)


def test_non_finite_values_of_f_give_nan_not_an_exception():
    """A step outside f's domain (or an overflow) is data for a minimizer's divergence status."""
    def log_sum(p):
        with np.errstate(invalid="ignore"):  # the warning is f's own business
            return np.sum(np.log(p), axis=-1)

    x = np.array([0.1, 1.0])
    for vectorized in (False, True):
        g = gradient(log_sum, x, h=0.25, vectorized=vectorized)  # log(0.1 - 0.25) is nan
        assert np.isnan(g[0]) and g[1] == pytest.approx(1.0, rel=0.1)
    with np.errstate(invalid="ignore"):
        assert np.isnan(derivative(np.log, 0.1, h=0.25))
    inf_f = lambda p: np.sum(np.where(p > 1.0, np.inf, p))  # noqa: E731
    g = gradient(inf_f, np.array([1.0, 0.0]), h=0.5)  # inf - finite, no RuntimeWarning raised
    assert g[0] == np.inf and g[1] == 1.0
    H = hessian(inf_f, np.array([1.0, 0.0]), h=0.5)
    assert np.isnan(H[0, 0]) or np.isinf(H[0, 0])
    with pytest.raises(DescendError, match=r"the numerical gradient is nan at coordinate \(0,\): f is not finite "
                                           r"near x \(the step may leave f's domain"):
        check_grad(log_sum, lambda p: 1 / p, x, h=0.25)


def test_complex_method_needs_a_complex_safe_f():
    with pytest.raises(DescendError, match="method='complex' needs an f that accepts complex input; f raised "
                                           "ComplexWarning: Casting complex values to real"):
        derivative(math.sin, 1.0, method="complex")
    with pytest.raises(DescendError, match="method='complex' needs an f that accepts complex input; f raised "
                                           "TypeError"):
        derivative(lambda x: "abc"[x], 1.0, method="complex")
    with pytest.raises(DescendError, match="method='complex' needs an f that accepts complex input"):
        gradient(lambda p: math.sin(p[0]), np.ones(1), method="complex")
    with pytest.raises(DescendError, match=r"method='complex' needs an f that keeps complex input complex .* "
                                           r"f returned dtype float64"):
        gradient(lambda p: np.sum(np.abs(p)), np.ones(2), method="complex")
    with pytest.raises(DescendError, match="keeps complex input complex"):
        hessian(lambda p: float(np.sum(p.real)), np.ones(2), method="complex")
    with pytest.raises(TypeError):  # other methods do not hide the caller's own TypeError
        derivative(lambda x: x + "a", 1.0)


def test_check_grad_messages():
    x = np.ones(3)
    with pytest.raises(DescendError, match="grad must be callable, got None"):
        check_grad(np.sum, None, x)
    with pytest.raises(DescendError, match=r"grad must return an array of x's shape \(3,\), got shape \(2,\)"):
        check_grad(np.sum, lambda p: np.ones(2), x)
    with pytest.raises(DescendError, match="grad must return finite real numbers"):
        check_grad(np.sum, lambda p: p * np.nan, x)
    with pytest.raises(DescendError, match="rtol must be a finite number > 0, got -1"):
        check_grad(np.sum, np.ones_like, x, rtol=-1)
    with pytest.raises(DescendError, match="floor must be a finite number > 0, got 0"):
        check_grad(np.sum, np.ones_like, x, floor=0)


def test_other_messages():
    with pytest.raises(DescendError, match=r"v must have the shape of x \(2,\), got shape \(3,\)"):
        hessian_vector_product(lambda p: p, np.ones(2), np.ones(3))
    with pytest.raises(DescendError, match=r"grad must return an array of x's shape \(2,\), got shape \(\)"):
        hessian_vector_product(np.sum, np.ones(2), np.ones(2))
    with pytest.raises(DescendError, match="grad must be callable, got 1"):
        hessian_vector_product(1, np.ones(2), np.ones(2))
    with pytest.raises(DescendError, match=r"v must be finite"):
        hessian_vector_product(lambda p: p, np.ones(2), [np.inf, 0])
    with pytest.raises(DescendError, match=r"x0 must be a scalar, got an array of shape \(2,\)"):
        tangent_line(np.sin, [1.0, 2.0])
    with pytest.raises(DescendError, match=r"f must return a scalar, got an array of shape \(2,\)"):
        tangent_line(lambda x: np.array([x, x]), 1.0)
    with pytest.raises(DescendError, match="dtype must be a floating-point type, got int64"):
        default_step("central", 1.0, dtype=np.int64)
    with pytest.raises(DescendError, match=r"x must be a scalar, got an array of shape \(2,\)"):
        diff_error(np.sin, [1.0, 2.0], 1.0)
    with pytest.raises(DescendError, match="exact must be a finite number, got nan"):
        diff_error(np.sin, 1.0, float("nan"))
    with pytest.raises(DescendError, match="relative=True needs exact != 0, got exact=0.0"):
        diff_error(np.sin, 1.0, 0.0, relative=True)
    with pytest.raises(DescendError, match="methods must name at least one method; valid: forward"):
        diff_error(np.sin, 1.0, 1.0, methods=())
    with pytest.raises(DescendError, match="h must be a finite number > 0"):
        diff_error(np.sin, 1.0, 1.0, hs=[1e-3, 0.0])


def test_public_orders_table_matches_the_measured_orders_and_is_read_only():
    from descend import diff
    for method, p in ORDER.items():
        assert diff.ORDERS[method] == p
    assert set(diff.ORDERS) == set(diff.METHODS)
    with pytest.raises(TypeError):
        diff.ORDERS["central"] = 3


# --------------------------------------------------------------------------- the Taylor test

def _rosen(p):
    return np.sum(100.0 * (p[1:] - p[:-1] ** 2) ** 2 + (1.0 - p[:-1]) ** 2)


def _rosen_grad(p):
    a, b = p[:-1], p[1:]
    g = np.zeros_like(p)
    g[:-1] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
    g[1:] += 200.0 * (b - a * a)
    return g


TAYLOR_CASES = [
    ("mixed", mixed, mixed_grad, np.array([0.9, -0.4, 1.3])),
    ("rosenbrock", _rosen, _rosen_grad, np.array([-1.2, 1.0, 0.7, 2.0])),
    ("matrix", lambda W: np.sum(np.tanh(W) ** 2), lambda W: 2 * np.tanh(W) / np.cosh(W) ** 2,
     np.arange(6.0).reshape(2, 3) / 7),
]


@pytest.mark.parametrize("name, f, g, x", TAYLOR_CASES, ids=[c[0] for c in TAYLOR_CASES])
def test_taylor_test_passes_a_right_gradient_and_fails_wrong_ones(name, f, g, x):
    from descend.diff import TaylorCheck
    right = check_grad(f, g, x, method="taylor")
    assert isinstance(right, TaylorCheck) and right and abs(right.rate - 2) < 0.1
    assert right.nfev == 3 * 24 + 1
    flipped = check_grad(f, lambda p: -g(p), x, method="taylor")
    assert not flipped and abs(flipped.rate - 1) < 0.05
    # small errors: failed, at a rate well below 2 (near the crossover of the h and h^2 terms
    # the two can cancel, so the rate is not always 1 there)
    big = np.max(np.abs(g(x)))
    for wrong in (lambda p: g(p) * (1 + 1e-5), lambda p: g(p) + 1e-6 * big * np.ones_like(p)):
        report = check_grad(f, wrong, x, method="taylor")
        assert not report and report.rate < 1.5, report
    assert "rate" in right.summary() and "PASSED" in str(right)


def test_taylor_verdict_does_not_depend_on_a_step():
    """A right gradient that a finite-difference check fails for the wrong reason (its step
    is too large for exp(10 x)); the Taylor test passes it from any largest step."""
    f = lambda p: np.sum(np.exp(10 * p))  # noqa: E731
    g = lambda p: 10 * np.exp(10 * p)  # noqa: E731
    x = np.array([0.1, -0.2])
    assert not check_grad(f, g, x, h=1e-2)
    for h0 in (1e-3, 1e-1, 1.0):
        assert taylor_test(f, g, x, h0=h0)
        assert not taylor_test(f, lambda p: g(p) * (1 + 1e-6), x, h0=h0)


def test_taylor_test_linear_f_float32_vectorized_and_seeded():
    lin = taylor_test(lambda p: np.sum(3 * p), lambda p: np.full_like(p, 3.0), np.ones(3))
    assert lin and np.isnan(lin.rate) and not lin.used.any()  # at rounding level: exact
    assert not taylor_test(lambda p: np.sum(3 * p), lambda p: np.full_like(p, 3.001), np.ones(3))
    x32 = np.array([0.9, -0.4, 1.3], dtype=np.float32)
    assert taylor_test(mixed, lambda p: mixed_grad(p).astype(np.float32), x32)
    loop = taylor_test(mixed, mixed_grad, np.array([0.9, -0.4, 1.3]), seed=5)
    vec = taylor_test(mixed, mixed_grad, np.array([0.9, -0.4, 1.3]), seed=5, vectorized=True)
    np.testing.assert_allclose(vec.remainders, loop.remainders, rtol=1e-12, atol=1e-300)
    other = taylor_test(mixed, mixed_grad, np.array([0.9, -0.4, 1.3]), seed=6)
    assert not np.array_equal(other.directions, loop.directions)


def test_taylor_test_refusals():
    x = np.array([1.0, 2.0])
    with pytest.raises(DescendError, match=r"h do not apply to method='taylor' \(it needs no step"):
        check_grad(mixed, mixed_grad, [1.0, 2.0, 3.0], method="taylor", h=1e-3)
    with pytest.raises(DescendError, match=r"rtol do not apply to method='taylor'"):
        check_grad(mixed, mixed_grad, [1.0, 2.0, 3.0], method="taylor", rtol=1e-3)
    with pytest.raises(DescendError, match=r"directions must be an integer >= 1, got 0"):
        taylor_test(np.sum, np.ones_like, x, directions=0)
    with pytest.raises(DescendError, match=r"tol must be a number in \(0, 1\)"):
        taylor_test(np.sum, np.ones_like, x, tol=1.5)
    with pytest.raises(DescendError, match=r"grad must return an array of x's shape \(2,\), got shape \(3,\)"):
        taylor_test(np.sum, lambda p: np.ones(3), x)
    with pytest.raises(DescendError, match=r"f is not finite at every point x \+ h d of the Taylor test"):
        with np.errstate(invalid="ignore", divide="ignore"):
            taylor_test(lambda p: np.sum(np.log(p)), lambda p: 1 / p, np.array([0.01, 0.02]))
    with pytest.raises(DescendError, match="unknown method 'taylr'"):
        check_grad(mixed, mixed_grad, [1.0, 2.0, 3.0], method="taylr")


def test_taylor_picture():
    pytest.importorskip("matplotlib")
    from descend import plot
    from descend.plot._base import tagged
    ax = plot.taylor_test(mixed, mixed_grad, np.array([0.9, -0.4, 1.3]))
    assert len(tagged(ax, "fit")) == 3 and len(tagged(ax, "slope")) == 2
    assert "passed" in ax.get_title()
    with pytest.raises(DescendError, match="grad and x are required"):
        plot.taylor_test(mixed)


def test_nn_check_gradients_with_the_taylor_test():
    """nn.check_gradients passes its method to check_grad: method="taylor" is the step-free
    verdict there too; a wrong backward fails at rate 1, the layers after it pass at 2."""
    from descend import nn

    class BadTanh(nn.Tanh):
        def backward(self, dout, *, need_input_grad=True):
            return dout * (1 - self._Y)  # wrong: should be 1 - Y**2

    X = np.random.default_rng(6).standard_normal((7, 4))
    good = nn.Sequential(nn.Linear(4, 5, rng=1, dtype=np.float64), nn.Tanh(), nn.Linear(5, 2, rng=2, dtype=np.float64))
    reports = nn.check_gradients(good, "mse", X, np.zeros((7, 2)), method="taylor", inputs=True)
    assert all(r.passed and abs(r.rate - 2) < 0.1 for r in reports.values())
    bad = nn.Sequential(nn.Linear(4, 5, rng=1, dtype=np.float64), BadTanh(), nn.Linear(5, 2, rng=2, dtype=np.float64))
    reports = nn.check_gradients(bad, "mse", X, np.zeros((7, 2)), method="taylor")
    assert not reports["0.weight"] and abs(reports["0.weight"].rate - 1) < 0.1
    assert reports["2.weight"]
