"""Every number the seeds print, reproduced with descend.

Seed 001: softmax, condition numbers, numerical derivatives, the gradient (6, 8),
gradient descent from (-3, 4), the least-squares tolerance stop.
Seed 002: gradient descent on x^2 + 1 and on sums of squares with h = 1e-7.
Seed 004: the derivative of e^x at 0 for several h.
"""

import numpy as np
import pytest

import descend

# --------------------------------------------------------------------------- seed 001


@pytest.mark.parametrize("c", [10, 10e2, -10e2])
def test_001_softmax_equal_entries(c):
    x = np.full((1, 5), c, dtype=float)
    np.testing.assert_array_equal(descend.softmax(x), [[0.2, 0.2, 0.2, 0.2, 0.2]])


def test_001_softmax_one_to_five():
    printed = [0.01165623, 0.03168492, 0.08612854, 0.23412166, 0.63640865]
    np.testing.assert_allclose(descend.softmax(np.array([1, 2, 3, 4, 5])), printed, atol=5e-9)


def test_001_condition_numbers():
    assert descend.condition_number(np.array([[1, 0, -1], [0, 1, 0], [1, 0, 1]])) == 1.4142135623730951
    assert descend.condition_number(np.diag([1, 10, 100])) == 100.0


def test_001_partial_derivatives():
    assert descend.derivative(lambda x0: x0**2 + 0**2, 3.0, h=1e-4) == 6.000000000012662
    assert descend.derivative(lambda x1: 0**2 + x1**2, 4.0, h=1e-4) == 7.999999999999119


def test_001_gradient_at_3_4():
    g = descend.gradient(lambda x: np.sum(x**2), np.array([3.0, 4.0]), h=1e-4)
    np.testing.assert_allclose(g, [6.0, 8.0], rtol=1e-10)
    # with descend's own step (eps^(1/3) * max(1, |x|)) the error is round-off, about eps^(2/3)
    np.testing.assert_allclose(descend.gradient(lambda x: np.sum(x**2), np.array([3.0, 4.0])), [6, 8], rtol=1e-9)


def test_001_tangent_line_of_function_1_at_5():
    f = descend.problems.get("poly1d").f
    h = 1e-4
    d = (f(5 + h) - f(5 - h)) / (2 * h)  # the seed's numerical_diff
    t = descend.tangent_line(lambda x: 0.01 * x**2 + 0.1 * x, 5.0, h=1e-4)
    assert t.slope == d
    y = (0.01 * 25 + 0.1 * 5) - d * 5
    assert t(10.0) == d * 10.0 + y
    assert t.slope == pytest.approx(0.2, abs=1e-9)


def _seed_gradient_descent(lr, step_num=20):
    """The seed's loop, to compare trajectories with."""
    x = np.array([-3.0, 4.0])
    hist = []
    for _ in range(step_num):
        hist.append(x.copy())
        g = np.zeros_like(x)
        for i in range(x.size):
            t = x[i]
            x[i] = float(t) + 1e-4
            a = np.sum(x**2)
            x[i] = t - 1e-4
            b = np.sum(x**2)
            g[i] = (a - b) / (2 * 1e-4)
            x[i] = t
        x -= lr * g
    return x, np.array(hist)


@pytest.mark.parametrize("lr", [0.1, 0.01, 1.0])
def test_001_gradient_descent_from_minus3_4(lr):
    r = descend.minimize(lambda x: np.sum(x**2), np.array([-3.0, 4.0]), lr=lr, steps=20, h=1e-4)
    x_seed, hist_seed = _seed_gradient_descent(lr)
    np.testing.assert_array_equal(r.x, x_seed)
    np.testing.assert_array_equal(r.history.x[:-1], hist_seed)
    # and the end point is (1 - 2 lr)^20 (-3, 4) up to the finite-difference rounding
    np.testing.assert_allclose(r.x, (1 - 2 * lr) ** 20 * np.array([-3.0, 4.0]), rtol=1e-6, atol=1e-12)


def test_001_lr_one_oscillates_and_says_so():
    r = descend.minimize(descend.problems.get("sphere"), np.array([-3.0, 4.0]), lr=1.0, steps=20)
    assert r.status == "max_steps"
    np.testing.assert_allclose(r.x, [-3.0, 4.0])  # 20 jumps to the mirror point: back at the start
    assert "oscillate" in r.message and "smaller lr" in r.message


def test_001_least_squares_tolerance_stop():
    p = descend.problems.get("least_squares")
    r = descend.minimize(p, np.array([2.0, 2.0]), lr=0.01, steps=10_000, gtol=0.01)
    assert r.status == "converged"
    assert r.nit == 493  # len(history) in the seed
    # the seed's history[-1] is the iterate before the last update
    np.testing.assert_allclose(r.history.x[-2], [1.00712059, 1.00712059], atol=5e-9)
    assert r.grad_norm <= 0.01 < r.history.grad_norm[-2]


# --------------------------------------------------------------------------- seed 002

def func1(x):
    return x**2 + 1


def func2(params):
    return np.sum(np.power(params, 2))


@pytest.mark.parametrize("lr, steps, printed", [
    (0.01, 500, -0.00012307192187321903),
    (0.001, 5000, -0.00013484277838493597),
    (0.999, 5000, -0.00013485598670825993),
    (1e-9, 100, -2.99999940000006),
    # the seed's code says step=100 for these two, but its outputs are those of 1000 and 10000 steps
    (1e-9, 1000, -2.9999940000060055),
    (1e-9, 10000, -2.999940000600035),
])
def test_002_desc_meth(lr, steps, printed):
    r = descend.minimize(func1, -3.0, lr=lr, steps=steps, h=1e-7)
    assert r.x == printed


def test_002_lr_10_is_diverged():
    r = descend.minimize(func1, -3.0, lr=10.0, steps=100, h=1e-7)
    assert r.status == "diverged" and not r.success
    assert "step" in r.message and "smaller lr" in r.message
    assert np.isfinite(r.x) and r.nit < 100


def test_002_lr_10_frozen_value_comes_from_x_plus_h_equal_x():
    # With the divergence test off, the seed's fixed h = 1e-7 freezes x near 2.46e9, where
    # x + h == x - h makes the central difference 0: exactly the number the seed prints.
    r = descend.minimize(func1, -3.0, lr=10.0, steps=100, h=1e-7, max_growth=None)
    assert r.x == 2459382288.1580424
    assert r.x + 1e-7 == r.x - 1e-7


def test_002_grad_desc_meth_chained_as_the_blog_ran_it():
    # The blog's grad_desc_meth updates init_params in place, so each call starts where the
    # previous one stopped; descend leaves x0 alone, so the chain is explicit here.
    x = np.array([3.0, 3.0])
    expected = [(0.01, 100, 0.39785867), (0.1, 100, 8.1045242e-11), (0.0001, 100, 7.94402798e-11),
                (0.01, 1000, 1.33695391e-19)]
    for lr, steps, printed in expected:
        before = x.copy()
        r = descend.minimize(func2, x, lr=lr, steps=steps, h=1e-7)
        np.testing.assert_array_equal(x, before)  # descend did not move the caller's start
        x = r.x
        np.testing.assert_allclose(x, [printed, printed], rtol=5e-8)


def test_002_three_dimensional_chain():
    # printed in the opposite order to the calls: 1000 steps first, then 100 more
    x = descend.minimize(func2, np.array([3.0, 6.0, 9.0]), lr=0.01, steps=1000, h=1e-7).x
    np.testing.assert_allclose(x, [5.04890208e-09, 1.00978041e-08, 1.51467062e-08], rtol=5e-8)
    x = descend.minimize(func2, x, lr=0.01, steps=100, h=1e-7).x
    np.testing.assert_allclose(x, [6.69583151e-10, 1.33916630e-09, 2.00874945e-09], rtol=5e-8)


def test_002_caller_array_is_not_modified():
    x0 = np.array([3.0, 3.0])
    descend.minimize(func2, x0, lr=0.01, steps=10, h=1e-7)
    np.testing.assert_array_equal(x0, [3.0, 3.0])


# --------------------------------------------------------------------------- seed 004

def test_004_derivative_of_exp_at_0():
    assert descend.derivative(np.exp, 0.0, h=1e-3) == 1.0000001666666813
    assert descend.derivative(np.exp, 0.0, h=1e-4) == 1.0000000016668897
    assert descend.derivative(np.exp, 0.0, method="forward", h=0.0005) == 1.000250041671702
