"""Trace, spectral density, preconditioned sharpness and thresholds against the full Hessian of tiny networks."""

from __future__ import annotations

import numpy as np
import pytest

from descend import nn, optim
from descend.curvature import (HessianOperator, density, eigenvalues, fixed_batch, preconditioned_sharpness,
                               stability_threshold, trace)
from descend.errors import DescendError


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    model = nn.mlp([4, 6, 3], activation="tanh", rng=3, dtype="float64")
    X = rng.standard_normal((20, 4))
    y = rng.integers(0, 3, 20)
    loss = nn.CrossEntropyLoss()
    op = HessianOperator(model, loss, X, y)
    H = np.stack([op.matvec(e) for e in np.eye(op.n)])
    return model, loss, X, y, (H + H.T) / 2


def test_hutchinson_trace_is_within_its_stated_error(problem):
    model, loss, X, y, H = problem
    m = 200
    out = trace(model, loss, X, y, samples=m, seed=1)
    exact = np.trace(H)
    # the variance of one Rademacher sample, in closed form
    sd = np.sqrt(2 * (np.sum(H * H) - np.sum(np.diag(H) ** 2)) / m)
    assert abs(out.value - exact) <= 3 * sd
    assert 0.5 * sd <= out.stderr <= 2 * sd  # the estimated standard error is the right size
    assert out.nhvp == m and len(out.samples) == m
    again = trace(model, loss, X, y, samples=m, seed=1)
    assert again.value == out.value  # seeded


def test_slq_quadrature_reproduces_the_moments_of_its_vector(problem):
    model, loss, X, y, H = problem
    n = H.shape[0]
    out = density(model, loss, X, y, steps=10, runs=2, seed=5)
    rng = np.random.default_rng(5)  # the vectors density() drew
    for nodes, weights in zip(out.nodes, out.weights):
        v = rng.standard_normal(n)
        v /= np.linalg.norm(v)
        assert weights.sum() == pytest.approx(1.0, abs=1e-12)
        # Gauss quadrature with 10 nodes is exact for polynomials of degree < 20
        for p in (1, 2, 5):
            exact = v @ np.linalg.matrix_power(H, p) @ v
            assert np.sum(weights * nodes ** p) == pytest.approx(exact, rel=1e-8, abs=1e-12)


def test_slq_with_n_steps_finds_every_eigenvalue_and_the_density_integrates_to_one(problem):
    model, loss, X, y, H = problem
    exact = np.linalg.eigvalsh(H)
    out = density(model, loss, X, y, steps=H.shape[0], seed=0)
    top = np.sort(out.nodes[0])[-3:]
    np.testing.assert_allclose(top, exact[-3:], rtol=1e-8)
    assert out.nodes[0].min() == pytest.approx(exact[0], abs=1e-8)
    grid, phi = out.evaluate()
    assert np.trapezoid(phi, grid) == pytest.approx(1.0, abs=1e-3)


def _adam_after_steps(model, loss, X, y, steps=5):
    opt = optim.get("adam", lr=0.01)
    for _ in range(steps):
        loss.forward(model.forward(X), y)
        opt.step(model.params, model.backward(loss.backward()))
    return opt


def test_preconditioned_sharpness_is_the_top_eigenvalue_of_p_inverse_h():
    rng = np.random.default_rng(2)
    model = nn.mlp([3, 5, 2], activation="tanh", rng=1, dtype="float64")
    X, y, loss = rng.standard_normal((16, 3)), rng.integers(0, 2, 16), nn.CrossEntropyLoss()
    opt = _adam_after_steps(model, loss, X, y)
    op = HessianOperator(model, loss, X, y)
    H = np.stack([op.matvec(e) for e in np.eye(op.n)])
    v_hat = op.flatten(opt.state.exp_avg_sq) / (1 - 0.999 ** 5)
    P = (1 - 0.9 ** 5) * (np.sqrt(v_hat) + 1e-8)
    exact = np.max(np.linalg.eigvals(H / P[:, None]).real)  # P^-1 H, not symmetric
    out = preconditioned_sharpness(model, loss, X, y, opt, tol=1e-10)
    assert out.eigenvalues[0] == pytest.approx(exact, rel=1e-8)
    assert out.eigenvalues[0] > 10 * eigenvalues(model, loss, X, y).eigenvalues[0]  # Adam magnifies it


def test_stability_thresholds():
    assert stability_threshold("gd", lr=0.1) == pytest.approx(20.0)
    assert stability_threshold(optim.get("sgd", lr=0.1)) == pytest.approx(20.0)
    assert stability_threshold(optim.get("sgd", lr=0.1, momentum=0.9)) == pytest.approx(38.0)
    assert stability_threshold(optim.get("sgd", lr=0.1, momentum=0.9, nesterov=True)) == pytest.approx(38 / 2.8)
    assert stability_threshold(optim.get("adam", lr=0.01)) == pytest.approx(3800.0)
    assert stability_threshold(optim.get("adamw", lr=0.01, betas=(0.5, 0.9))) == pytest.approx(600.0)
    # the SGD family by its own classes (issue 24: the playground's gd, momentum and nesterov were refused)
    assert stability_threshold(optim.get("gd", lr=0.1)) == pytest.approx(20.0)
    assert stability_threshold(optim.get("momentum", lr=0.1)) == pytest.approx(38.0)
    assert stability_threshold(optim.get("momentum", lr=0.1, momentum=0.5)) == pytest.approx(30.0)
    assert stability_threshold(optim.get("nesterov", lr=0.1)) == pytest.approx(38 / 2.8)
    assert stability_threshold(optim.get("nesterov", lr=0.1, momentum=0.5)) == pytest.approx(15.0)
    assert stability_threshold(optim.get("sgd", lr=0.1, momentum=0.9, dampening=0.5)) == pytest.approx(76.0)
    assert stability_threshold(optim.get("sgd", lr=0.1, dampening=0.5)) == pytest.approx(20.0)  # no buffer
    assert stability_threshold(optim.get("sgd", lr=0.1, momentum=0.9, dampening=1.0)) == np.inf
    assert stability_threshold(optim.get("momentum", lr=0.1), lr=0.2) == pytest.approx(19.0)  # the lr given


SGD_FAMILY = [("gd", {}), ("sgd", {}), ("sgd", {"momentum": 0.6, "dampening": 0.3}), ("momentum", {}),
              ("momentum", {"momentum": 0.5}), ("nesterov", {}), ("nesterov", {"momentum": 0.3}),
              ("book.sgd", {}), ("book.momentum", {})]


@pytest.mark.parametrize("name, hp", SGD_FAMILY, ids=[f"{n}{hp}" for n, hp in SGD_FAMILY])
def test_the_threshold_is_where_the_optimizer_starts_to_diverge_on_a_quadratic(name, hp):
    # the optimizer itself on f(x) = lam x^2 / 2: it converges at 0.97 of its threshold and diverges at 1.03
    make = optim.book.get if name.startswith("book.") else optim.get
    threshold = stability_threshold(make(name.removeprefix("book."), lr=0.1, **hp))
    for factor, converges in ((0.97, True), (1.03, False)):
        opt, x, lam = make(name.removeprefix("book."), lr=0.1, **hp), {"x": np.array([1.0])}, factor * threshold
        for _ in range(3000):
            opt.step(x, {"x": lam * x["x"]})
            if abs(x["x"][0]) > 1e6:  # diverged (and no overflow after it)
                break
        assert (abs(x["x"][0]) < 1e-3) == converges, (factor, x["x"][0])


def test_the_book_s_nesterov_and_adam_have_no_threshold_here():
    for name in ("nesterov", "adam"):
        with pytest.raises(DescendError, match=f"got book.{name}"):
            stability_threshold(optim.book.get(name, lr=0.1))


def test_fixed_batch_is_a_seeded_subset(problem):
    model, loss, X, y, _ = problem
    Xb, yb = fixed_batch(X, y, 8, seed=4)
    assert len(Xb) == 8
    a = eigenvalues(model, loss, X, y, batch=8, seed=4)
    b = eigenvalues(model, loss, Xb, yb, seed=4)
    np.testing.assert_array_equal(a.eigenvalues, b.eigenvalues)
    full = eigenvalues(model, loss, X, y, seed=4)
    assert a.eigenvalues[0] != full.eigenvalues[0]


def test_errors(problem):
    model, loss, X, y, _ = problem
    with pytest.raises(DescendError, match="samples must be an integer >= 2"):
        trace(model, loss, X, y, samples=1)
    with pytest.raises(DescendError, match="steps must be an integer >= 1"):
        density(model, loss, X, y, steps=0)
    with pytest.raises(DescendError, match="no step yet"):
        preconditioned_sharpness(model, loss, X, y, optim.get("adam", lr=0.01))
    with pytest.raises(DescendError, match="Adam's \\(Adam, AdamW\\), got SGD"):
        preconditioned_sharpness(model, loss, X, y, optim.get("sgd", lr=0.01))
    with pytest.raises(DescendError, match="known for gd, sgd, momentum, nesterov, adam and adamw \\(and the book's sgd and momentum\\), got rmsprop"):
        stability_threshold(optim.get("rmsprop", lr=0.01))
    with pytest.raises(DescendError, match="tol must be a finite number > 0"):
        eigenvalues(model, loss, X, y, tol=0)
    with pytest.raises(DescendError, match="which"):
        eigenvalues(model, loss, X, y, which="SA")
