"""Constraints: projections, projected gradient descent, KKT residuals, Goodfellow 4.5's least squares."""

import numpy as np
import pytest

import descend
from descend import problems
from descend.constraints import (Ball, Box, Simplex, constrained_least_squares, kkt, least_squares_three_ways)
from descend.errors import DescendError


def test_box_clips_and_ball_rescales():
    X = np.array([[3.0, -4.0], [0.1, 0.2]])
    np.testing.assert_array_equal(Box([-1, -1], [1, 1]).project(X), [[1.0, -1.0], [0.1, 0.2]])
    P = Ball(1.0).project(X)
    np.testing.assert_allclose(P[0], [0.6, -0.8], rtol=1e-15)
    np.testing.assert_array_equal(P[1], X[1])  # inside: untouched, bit for bit
    c = Ball(2.0, center=[1.0, 1.0]).project(np.array([[1.0, 5.0]]))
    np.testing.assert_allclose(c, [[1.0, 3.0]])


@pytest.mark.parametrize("seed", range(5))
def test_simplex_projection_is_the_nearest_point(seed):
    rng = np.random.default_rng(seed)
    V = rng.normal(size=(4, 6)) * 2
    Y = Simplex().project(V)
    assert np.all(Y >= 0)
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=1e-14)
    for v, y in zip(V, Y):
        # y = P(v) iff (v - y).(z - y) <= 0 for every z of the set; the vertices suffice.
        assert np.all((np.eye(6) - y) @ (v - y) <= 1e-12)


CONSTRAINTS = [Box([-2.0, -2.0], [0.5, 0.2]), Ball(1.0), Simplex()]


@pytest.mark.parametrize("c", CONSTRAINTS, ids=repr)
@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "booth", "sphere"])
def test_projected_gradient_descent_ends_at_a_kkt_point(name, c):
    p = problems.get(name)
    r = descend.minimize(p, constraint=c, lr=1e-3, steps=50_000, gtol=1e-9, history=True)
    assert r.status == "converged", r.message
    assert c.contains(r.x, tol=1e-12)
    assert all(c.contains(x, tol=1e-12) for x in r.history.x)  # every iterate is feasible
    res = kkt(p, r.x, c)
    assert res.ok(1e-7), res
    assert "projected gradient" in r.message


def test_a_batch_of_constrained_runs_is_each_run_bit_for_bit():
    p = problems.get("rosenbrock")
    X0 = np.random.default_rng(0).uniform(-2, 2, size=(5, 2))
    batch = descend.minimize(p, X0, constraint=Ball(1.0), lr=1e-3, steps=300)
    for i in range(5):
        one = descend.minimize(p, X0[i], constraint=Ball(1.0), lr=1e-3, steps=300)
        np.testing.assert_array_equal(batch.x[i], one.x)
        assert batch.message[i] == one.message


def test_backtracking_along_the_projected_direction():
    p = problems.get("rosenbrock")
    fixed = descend.minimize(p, constraint=Ball(1.0), lr=1e-3, steps=20_000, gtol=1e-8)
    ls = descend.minimize(p, constraint=Ball(1.0), lr=1e-2, line_search="backtracking", steps=20_000, gtol=1e-6)
    assert fixed.status == ls.status == "converged"
    assert ls.nit < fixed.nit
    np.testing.assert_allclose(ls.x, fixed.x, atol=1e-6)
    assert np.all(np.diff(descend.minimize(p, constraint=Ball(1.0), lr=1e-2, line_search="backtracking",
                                           steps=200).history.f) <= 0)


def test_kkt_residuals_see_each_violation():
    p = problems.get("sphere")  # min |x|^2 on the ball around (3, 0) of radius 1: x* = (2, 0), lambda = 2
    c = Ball(1.0, center=[3.0, 0.0])
    good = kkt(p, [2.0, 0.0], c)
    assert good.ok(1e-12) and good.lam[0] == pytest.approx(2.0)
    assert kkt(p, [1.5, 0.0], c).primal == pytest.approx(1.25)        # outside: (1.5 - 3)^2 - 1
    assert kkt(p, [2.0, 0.0], c, lam=[-1.0]).dual == 1.0              # a negative multiplier
    assert kkt(p, [2.5, 0.0], c, lam=[1.0]).complementarity == pytest.approx(0.75)  # lambda g != 0
    assert kkt(p, [2.0, 0.5], c, lam=[2.0]).stationarity > 0.1


# Goodfellow sec. 4.5: min 1/2 |Ax - b|^2 subject to x'x <= 1.
def _ls_data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(5, 3)), rng.normal(size=5) * 5


@pytest.mark.parametrize("seed", range(3))
def test_constrained_least_squares_lagrange_and_projection_agree(seed):
    A, b = _ls_data(seed)
    lagrange = constrained_least_squares(A, b, radius=1.0)
    assert lagrange.converged and lagrange.lam > 0
    p = problems.get("least_squares", A=A, b=b)
    L = np.linalg.eigvalsh(A.T @ A)[-1]
    projected = descend.minimize(p, np.zeros(3), constraint=Ball(1.0), lr=1.0 / L, steps=100_000, gtol=1e-12)
    np.testing.assert_allclose(projected.x, lagrange.x, atol=1e-10)
    assert lagrange.x @ lagrange.x == pytest.approx(1.0, abs=1e-12)
    res = kkt(p, lagrange.x, Ball(1.0))
    assert res.ok(1e-9) and res.lam[0] == pytest.approx(lagrange.lam, rel=1e-8)
    # The book's plain gradient ascent on lambda (a fixed step) reaches the same multiplier, slowly.
    plain = constrained_least_squares(A, b, radius=1.0, lr=0.02, steps=200_000)
    assert plain.converged and plain.nit > 10 * lagrange.nit
    np.testing.assert_allclose(plain.x, lagrange.x, atol=1e-9)


def test_feasible_unconstrained_minimizer_is_the_answer():
    A, b = np.eye(2), np.array([0.3, 0.4])
    r = constrained_least_squares(A, b)
    assert r.lam == 0.0 and r.nit == 0
    np.testing.assert_allclose(r.x, b)


def test_least_squares_three_ways_agree_to_1e12():
    A, b = _ls_data(1)
    out = least_squares_three_ways(A, b, radius=1.0)
    ref = out["pinv"]
    for name in ("gradient_descent", "newton"):
        np.testing.assert_allclose(out[name], ref, atol=1e-12, rtol=0)
    np.testing.assert_allclose(out["constrained"], out["projected"], atol=1e-10)


@pytest.mark.parametrize("kwargs,match", [
    (dict(constraint=Box([0, 0, 0], [1, 1, 1])), "a set in 3 dimensions, but x has 2 coordinates"),
    (dict(constraint=Ball(1.0, center=[0.0])), "a set in 1 dimensions, but x has 2"),
    (dict(constraint=Ball(1.0), optimizer="adam"), "optimizer='gd'"),
    (dict(constraint=Ball(1.0), method="bfgs"), "takes no constraint"),
    (dict(constraint=Ball(1.0), line_search="wolfe"), "Wolfe"),
    (dict(constraint=Ball(1.0), lr=lambda k: 0.1), "fixed lr"),
    (dict(constraint="ball"), "must be a descend.constraints"),
])
def test_bad_constraint_input_is_a_clear_error(kwargs, match):
    with pytest.raises(DescendError, match=match):
        descend.minimize(problems.get("rosenbrock"), **kwargs)


@pytest.mark.parametrize("make,match", [
    (lambda: Box([1.0, 0.0], [0.0, 1.0]), "lo <= hi"),
    (lambda: Box([0.0, 0.0], [1.0, 1.0, 1.0]), "same length"),
    (lambda: Ball(0.0), "radius must be a finite number > 0"),
    (lambda: Simplex(-1.0), "total must be a finite number > 0"),
    (lambda: kkt(problems.get("sphere"), [0.0, 0.0], Ball(1.0), lam=[1.0, 2.0]), "1 inequalities"),
])
def test_bad_sets_are_refused(make, match):
    with pytest.raises(DescendError, match=match):
        make()
