"""The driver: stopping, divergence, line search, batches, counts, callbacks, errors."""

import numpy as np
import pytest

import descend
from descend import DescendError
from descend.linesearch import LineSearch


def sphere(x):
    return np.sum(x**2)


def sphere_grad(x):
    return 2 * x


def test_problem_brings_gradient_and_start():
    p = descend.problems.get("sphere")
    r = descend.minimize(p, lr=0.1, steps=200, gtol=1e-8)
    assert r.status == "converged" and r.success
    np.testing.assert_allclose(r.x, 0.0, atol=1e-8)
    np.testing.assert_array_equal(r.history.x[0], p.x0)
    assert r.history.x.shape == (r.nit + 1, 2)
    assert r.history.f.shape == (r.nit + 1,) and r.history.lr.shape == (r.nit + 1,)
    assert r.nfev == r.nit + 1 and r.ngev == r.nit + 1  # analytic gradient: one f and one grad per iterate


def test_numerical_gradient_counts_its_evaluations():
    r = descend.minimize(sphere, np.array([1.0, 2.0, 3.0]), lr=0.1, steps=5)
    assert r.nit == 5
    assert r.nfev == (r.nit + 1) * (1 + 2 * 3)  # f itself + 2n central-difference points per iterate


def test_numerical_and_analytic_agree():
    a = descend.minimize(sphere, np.array([1.0, -2.0]), grad=sphere_grad, lr=0.1, steps=30)
    b = descend.minimize(sphere, np.array([1.0, -2.0]), lr=0.1, steps=30)
    c = descend.minimize(sphere, np.array([1.0, -2.0]), grad="complex", lr=0.1, steps=30)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(a.x, c.x, rtol=1e-12, atol=1e-15)


def test_vectorized_user_function():
    f = lambda X: np.sum(X**2, axis=-1)  # noqa: E731
    r = descend.minimize(f, np.array([1.0, -2.0]), vectorized=True, lr=0.1, steps=30)
    s = descend.minimize(sphere, np.array([1.0, -2.0]), lr=0.1, steps=30)
    np.testing.assert_allclose(r.x, s.x, rtol=1e-9)


def test_gtol_checked_before_each_update():
    r = descend.minimize(sphere, np.array([0.0, 0.0]), grad=sphere_grad, lr=0.1, steps=10, gtol=1e-3)
    assert r.nit == 0 and r.status == "converged"
    r = descend.minimize(sphere, np.array([1.0, 0.0]), grad=sphere_grad, lr=0.25, steps=100, gtol=1e-3)
    # |grad| = 2 * 0.5^k: the first k with 2 * 0.5^k <= 1e-3 is 11
    assert r.nit == 11
    assert r.history.grad_norm[-1] <= 1e-3 < r.history.grad_norm[-2]


def test_steps_zero_and_max_steps():
    r = descend.minimize(sphere, np.array([1.0, 1.0]), steps=0)
    assert r.nit == 0 and r.status == "max_steps" and r.success
    r = descend.minimize(sphere, np.array([1.0, 1.0]), steps=3, gtol=1e-12)
    assert r.status == "max_steps" and not r.success
    assert "step limit (3 steps)" in r.message


def test_growth_divergence_keeps_finite_iterate_and_names_the_step():
    p = descend.problems.get("parabola")
    r = descend.minimize(p, lr=10.0, steps=100)
    assert r.status == "diverged" and not r.success
    assert f"step {r.nit}" in r.message and "smaller lr (now 10)" in r.message
    assert np.all(np.isfinite(r.x)) and np.isfinite(r.fun)


def test_nonfinite_divergence_keeps_last_finite_iterate():
    f = lambda x: np.sum(x**4)  # noqa: E731
    g = lambda x: 4 * x**3  # noqa: E731
    r = descend.minimize(f, np.array([3.0]), grad=g, lr=1.0, steps=50, max_growth=None)
    assert r.status == "diverged"
    assert "non-finite" in r.message and "kept the last finite iterate" in r.message
    assert np.all(np.isfinite(r.x)) and np.isfinite(r.fun)
    assert np.all(np.isfinite(r.history.x))


def test_nonfinite_start_is_diverged_at_step_0():
    r = descend.minimize(lambda x: np.log(x[0] - 5.0), np.array([1.0]), steps=5)
    assert r.status == "diverged" and r.nit == 0 and "step 0" in r.message


# ----------------------------------------------------------------- line search

@pytest.mark.parametrize("name", ["rosenbrock", "elongated_bowl", "least_squares", "himmelblau"])
def test_backtracking_accepts_only_armijo_steps(name):
    p = descend.problems.get(name)
    ls = LineSearch("backtracking")
    r = descend.minimize(p, steps=200, line_search=ls)
    h = r.history
    assert r.nit > 0
    for k in range(r.nit):
        a = h.lr[k]
        g2 = h.grad_norm[k] ** 2
        assert a > 0
        assert h.f[k + 1] <= h.f[k] - ls.c1 * a * g2 + 1e-12 * abs(h.f[k])  # Armijo along d = -grad


def test_grid_line_search_never_increases_f():
    p = descend.problems.get("rosenbrock")
    r = descend.minimize(p, steps=300, line_search="grid")
    assert np.all(np.diff(r.history.f[: r.nit + 1]) <= 0)
    assert r.fun < p.f(p.x0)
    assert set(np.unique(r.history.lr[:-1])) <= set(LineSearch().grid)


def test_exact_line_search_gives_orthogonal_steps_on_a_quadratic():
    p = descend.problems.get("ill_conditioned", kappa=10.0)
    r = descend.minimize(p, np.array([3.0, 1.0]), steps=20, line_search="exact", gtol=1e-10)
    x = r.history.x
    g = np.array([p.grad(xi) for xi in x[: r.nit + 1]])
    for k in range(min(r.nit, 6) - 1):
        cos = g[k] @ g[k + 1] / (np.linalg.norm(g[k]) * np.linalg.norm(g[k + 1]))
        assert abs(cos) < 1e-6  # exact minimization along -g makes the next gradient orthogonal
    assert r.nit < descend.minimize(p, np.array([3.0, 1.0]), lr=0.1, steps=10_000, gtol=1e-10).nit


def test_line_search_beats_fixed_lr_on_least_squares():
    p = descend.problems.get("least_squares")
    fixed = descend.minimize(p, lr=0.01, steps=10_000, gtol=0.01)
    for method in ("backtracking", "grid", "exact"):
        r = descend.minimize(p, steps=10_000, gtol=0.01, line_search=method)
        assert r.status == "converged" and r.nit < fixed.nit / 10


def test_line_search_failure_is_stopped():
    # a gradient that points uphill: no step along -grad decreases f
    r = descend.minimize(sphere, np.array([1.0, 1.0]), grad=lambda x: -2 * x, steps=5, line_search="backtracking")
    assert r.status == "stopped" and "line search" in r.message


# ----------------------------------------------------------------- many runs at once

def test_batched_rows_equal_single_runs_bit_for_bit():
    p = descend.problems.get("rosenbrock")
    rng = np.random.default_rng(0)
    X0 = rng.uniform(-2, 2, size=(7, 2))
    lrs = np.array([1e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2])  # the last ones diverge
    batch = descend.minimize(p, X0, lr=lrs, steps=300, gtol=1e-3)
    assert batch.batched and batch.x.shape == (7, 2) and batch.history.x.shape == (301, 7, 2)
    assert "diverged" in set(batch.status)
    for i in range(7):
        single = descend.minimize(p, X0[i], lr=lrs[i], steps=300, gtol=1e-3)
        row = batch.run(i)
        np.testing.assert_array_equal(row.x, single.x)
        assert row.fun == single.fun and row.nit == single.nit and row.status == single.status
        assert row.nfev == single.nfev and row.message == single.message
        np.testing.assert_array_equal(row.history.x, single.history.x)
        np.testing.assert_array_equal(row.history.f, single.history.f)


def test_batched_numerical_gradient_rows_equal_single_runs():
    X0 = np.array([[1.0, 2.0], [-3.0, 4.0], [0.5, 0.5]])
    batch = descend.minimize(sphere, X0, lr=np.array([0.1, 0.01, 1.0]), steps=20)
    for i in range(3):
        single = descend.minimize(sphere, X0[i], lr=[0.1, 0.01, 1.0][i], steps=20)
        np.testing.assert_array_equal(batch.x[i], single.x)
        assert batch.nfev[i] == single.nfev


def test_batched_line_search_rows_equal_single_runs():
    p = descend.problems.get("himmelblau")
    X0 = np.array([[0.0, 0.0], [-4.0, 4.0], [4.0, -4.0]])
    for method in ("backtracking", "grid", "exact"):
        batch = descend.minimize(p, X0, steps=50, line_search=method, gtol=1e-8)
        for i in range(3):
            single = descend.minimize(p, X0[i], steps=50, line_search=method, gtol=1e-8)
            np.testing.assert_array_equal(batch.x[i], single.x)
            assert batch.nit[i] == single.nit


def test_converged_runs_stop_moving_while_others_go_on():
    X0 = np.array([[1e-9, 0.0], [3.0, 4.0]])
    r = descend.minimize(descend.problems.get("sphere"), X0, lr=0.1, steps=100, gtol=1e-6)
    assert r.nit[0] == 0 and r.nit[1] > 0
    np.testing.assert_array_equal(r.history.x[:, 0], np.tile(X0[0], (r.history.x.shape[0], 1)))


def test_scalar_start_gives_scalar_results():
    r = descend.minimize(lambda x: x**2 + 1, -3.0, lr=0.1, steps=50)
    assert isinstance(r.x, float) and r.history.x.shape == (51,)
    assert abs(r.x) < 1e-4


# ----------------------------------------------------------------- callbacks and history

def test_callback_can_stop():
    seen = []

    def cb(state):
        seen.append(state.nit)
        return state.nit >= 3

    r = descend.minimize(sphere, np.array([1.0, 1.0]), lr=0.01, steps=100, callback=cb)
    assert r.status == "stopped" and r.nit == 3 and seen == [1, 2, 3]
    assert "callback" in r.message


def test_callback_stopiteration():
    def cb(state):
        raise StopIteration

    r = descend.minimize(sphere, np.array([1.0, 1.0]), steps=100, callback=cb)
    assert r.status == "stopped" and r.nit == 1


def test_history_modes():
    p = descend.problems.get("sphere")
    assert descend.minimize(p, steps=5, history=False).history is None
    h = descend.minimize(p, steps=5, history="f").history
    assert h.x is None and h.f.shape == (6,)


def test_x0_is_never_modified():
    x0 = np.array([1.0, 2.0])
    x0.setflags(write=False)
    descend.minimize(sphere, x0, lr=0.1, steps=3)
    descend.minimize(descend.problems.get("sphere"), x0, lr=0.1, steps=3, line_search="backtracking")
    np.testing.assert_array_equal(x0, [1.0, 2.0])


def test_result_repr_and_html():
    r = descend.minimize(descend.problems.get("sphere"), steps=3)
    assert "status='max_steps'" in repr(r) and "<table>" in r._repr_html_()
    b = descend.minimize(descend.problems.get("sphere"), np.ones((3, 2)), steps=3)
    assert "3 runs" in repr(b) and b._repr_html_().count("<tr>") == 4


# ----------------------------------------------------------------- errors

@pytest.mark.parametrize("kwargs, message", [
    (dict(x0=np.array([np.nan, 1.0])), "x0 must be finite"),
    (dict(x0=np.ones((2, 2, 2))), r"x0 must be a number, an \(n,\) point or an \(R, n\) batch of starts, got shape \(2, 2, 2\)"),
    (dict(x0=np.array([])), "x0 must not be empty"),
    (dict(x0=np.array(["a"])), "x0 must hold real numbers"),
    (dict(lr=0.0), "lr must be a finite number > 0, got 0.0"),
    (dict(lr=-1.0), "lr must be a finite number > 0, got -1.0"),
    (dict(lr=float("inf")), "lr must be a finite number > 0, got inf"),
    (dict(lr=np.array([0.1, 0.2])), r"lr must be a number for a single start"),
    (dict(steps=-1), "steps must be an integer >= 0, got -1"),
    (dict(steps=2.5), "steps must be an integer >= 0, got 2.5"),
    (dict(h=0.0), "h must be a finite number > 0, got 0.0"),
    (dict(gtol=-1.0), "gtol must be a finite number > 0, got -1.0"),
    (dict(line_search="armijo"), "unknown line search 'armijo'; valid: backtracking, grid, exact, wolfe, quadratic"),
    (dict(grad="sideways"), "unknown gradient method 'sideways'; valid: forward, backward, central"),
    (dict(history="yes"), "history must be True, False or 'f'"),
    (dict(max_growth=-1.0), "max_growth must be a finite number > 0"),
    (dict(callback=3), "callback must be callable"),
])
def test_error_messages(kwargs, message):
    args = dict(x0=np.array([1.0, 2.0]))
    args.update(kwargs)
    x0 = args.pop("x0")
    with pytest.raises(DescendError, match=message):
        descend.minimize(sphere, x0, **args)


def test_batched_lr_shape_error():
    with pytest.raises(DescendError, match=r"lr must be a number or have shape \(3,\) \(one per run\), got shape \(2,\)"):
        descend.minimize(sphere, np.ones((3, 2)), lr=np.array([0.1, 0.2]))


def test_f_returning_non_scalar_shows_the_shape():
    with pytest.raises(DescendError, match=r"f must return a scalar for one point, got an array of shape \(2,\)"):
        descend.minimize(lambda x: x**2, np.array([1.0, 2.0]), grad=sphere_grad)


def test_vectorized_f_wrong_shape():
    with pytest.raises(DescendError, match=r"one value per row, shape \(1,\); got shape \(\)"):
        descend.minimize(lambda X: np.sum(X**2), np.array([1.0, 2.0]), vectorized=True, grad=sphere_grad)


def test_grad_wrong_shape():
    with pytest.raises(DescendError, match=r"grad must return shape \(2,\) for one point, got shape \(3,\)"):
        descend.minimize(sphere, np.array([1.0, 2.0]), grad=lambda x: np.ones(3))


def test_unknown_problem_lists_valid_names():
    with pytest.raises(DescendError, match="rosenbrock"):
        descend.problems.get("rosenbrok")


def test_unknown_optimizer_lists_valid_names():
    with pytest.raises(DescendError, match="gd"):
        descend.minimize(sphere, np.array([1.0]), optimizer="adamm")


def test_line_search_needs_gd():
    with pytest.raises(DescendError, match="line_search works with optimizer='gd' only"):
        descend.minimize(sphere, np.array([1.0]), optimizer="adam", line_search="grid")


def test_f_must_be_callable_and_x0_required():
    with pytest.raises(DescendError, match="f must be a callable or a descend Problem"):
        descend.minimize(3.0, np.array([1.0]))
    with pytest.raises(DescendError, match="x0 is required"):
        descend.minimize(sphere)


@pytest.mark.parametrize("kwargs, message", [
    (dict(rho=1.5), r"rho must be in \(0, 1\), got 1.5"),
    (dict(c1=0.0), r"c1 must be in \(0, 1\), got 0.0"),
    (dict(alpha0=-1.0), "alpha0 must be a finite number > 0"),
    (dict(grid=()), "grid must hold at least one step size"),
])
def test_line_search_settings_are_checked(kwargs, message):
    with pytest.raises(DescendError, match=message):
        LineSearch(**kwargs)


def test_a_one_variable_problem_takes_a_number_as_x0_on_every_path():
    """A Problem's f takes (k, n) rows: a number x0 of a 1-D problem is one row of one variable
    (the NumPy path passed the column instead and refused it), and the result keeps the number's shape."""
    p = descend.problems.get("parabola")
    numpy_path = descend.minimize(p, 3.0, lr=0.1, steps=10, compiled=False)
    as_point = descend.minimize(p, [3.0], lr=0.1, steps=10, compiled=False)
    assert np.ndim(numpy_path.x) == 0 and numpy_path.x == as_point.x[0]
    np.testing.assert_array_equal(numpy_path.history.f, as_point.history.f)
    assert descend.minimize(p, 3.0, method="newton").status == "converged"
    assert descend.minimize(p, 3.0, method="bfgs").x == pytest.approx(descend.minimize(p, [3.0], method="bfgs").x[0])
