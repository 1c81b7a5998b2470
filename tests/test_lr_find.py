"""The learning-rate finder: suggestions below 2/L, curvature by power iteration, the GD boundary."""

import io
import json
import math

import numpy as np
import pytest

import descend
from descend import DescendError, nn, problems
from descend.sweeps import TrainingSetup, curvature, lr_find
from descend.cli.sweeps import cli_lr_find


@pytest.mark.parametrize("kappa, n, rotate", [(1.0, 2, False), (10.0, 2, True), (100.0, 2, False),
                                              (1000.0, 5, True), (1e4, 10, False)])
@pytest.mark.parametrize("steps", [100, 300])
def test_suggestion_lies_below_two_over_L_on_quadratics(kappa, n, rotate, steps):
    p = problems.ill_conditioned(kappa=kappa, n=n, rotate=rotate)
    L = kappa  # the eigenvalues run from 1 to kappa
    r = lr_find(p, steps=steps, curvature_at_start=False)
    assert r.suggestion < 2 / L
    assert r.stopped_early and r.lrs[-1] < 10.0  # the loss blew up before max_lr
    assert r.lrs[0] == 1e-7 and np.all(np.diff(r.lrs) > 0)
    assert r.lr_min_loss == r.lrs[np.argmin(r.smoothed)] and r.suggestion == r.lr_min_loss / 10


def test_a_general_quadratic_with_known_L():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    p = problems.quadratic(A=A, b=[1.0, -1.0])
    L = np.linalg.eigvalsh(A).max()
    r = lr_find(p)
    assert r.suggestion < 2 / L
    np.testing.assert_allclose(r.curvature.L, L, rtol=1e-7)
    assert 1.0 < r.boundary_ratio < 64 ** (1 / 60) * 1.0001  # the first lr past 2/L of a grid 64x wide
    assert r.boundary_ratio == r.boundary / (2 / r.curvature.L)


@pytest.mark.parametrize("kappa, n, rotate", [(100.0, 2, False), (50.0, 6, True)])
def test_curvature_matches_the_hessian_spectrum(kappa, n, rotate):
    p = problems.ill_conditioned(kappa=kappa, n=n, rotate=rotate)
    x = p.x0 * 0.3
    ev = np.linalg.eigvalsh(p.hessian(x))
    c = curvature(p, x)
    np.testing.assert_allclose([c.L, c.mu], [ev.max(), ev.min()], rtol=1e-6)
    np.testing.assert_allclose(c.kappa, ev.max() / ev.min(), rtol=1e-6)
    assert c.stable_lr == 2 / c.L and c.rate == (c.kappa - 1) / (c.kappa + 1)
    assert c.converged and c.iterations >= 2
    np.testing.assert_array_equal(c.x, x)


def test_gradient_descent_rate_on_the_local_model_is_the_measured_one():
    p = problems.ill_conditioned(kappa=20.0, n=2)
    c = curvature(p)
    lr = 2 / (c.L + c.mu)
    r = descend.minimize(p, lr=lr, steps=30, history=True)
    errors = np.linalg.norm(r.history.x, axis=1)
    np.testing.assert_allclose(errors[1:] / errors[:-1], c.rate, rtol=1e-6)


def test_boundary_is_the_first_lr_at_which_gd_diverges():
    p = problems.ill_conditioned(kappa=10.0, n=2)
    r = lr_find(p)
    diverged = r.boundary_status == "diverged"
    assert diverged.any() and not diverged.all()
    first = np.flatnonzero(diverged)[0]
    assert r.boundary == r.boundary_lrs[first] and not diverged[:first].any()
    assert r.boundary_lrs[first - 1] <= 2 / r.curvature.L < r.boundary
    single = descend.minimize(p, lr=r.boundary, steps=500)
    assert single.status == "diverged"


def test_rosenbrock_curvature_at_the_start_and_at_the_minimum():
    p = problems.rosenbrock()
    for x in (p.x0, np.array([1.0, 1.0])):
        ev = np.linalg.eigvalsh(p.hessian(x))
        c = curvature(p, x)
        np.testing.assert_allclose([c.L, c.mu], [ev.max(), ev.min()], rtol=1e-5)


def test_negative_curvature_at_a_maximum():
    p = problems.get("himmelblau")  # x0 = (0, 0) is a local maximum
    c = curvature(p)
    ev = np.linalg.eigvalsh(p.hessian(p.x0))
    np.testing.assert_allclose([c.L, c.mu], [ev.max(), ev.min()], rtol=1e-6)
    assert c.L < 0 and math.isnan(c.stable_lr) and c.kappa == math.inf and c.rate == 1.0


def test_training_setup_full_batch_linear_regression_below_two_over_L():
    d = descend.datasets.linear(200, seed=0, noise=0.1)
    X, y = d.X, d.y.reshape(-1, 1)
    setup = TrainingSetup(lambda seed: nn.Sequential(nn.Linear(2, 1, rng=seed, dtype=np.float64)), X, y, "mse")
    A = np.hstack([X, np.ones((len(X), 1))])
    L = np.linalg.eigvalsh(2 * A.T @ A / len(X)).max()  # Hessian of mean((A w - y)^2)
    r = lr_find(setup, optimizer="gd", batch_size=None, smooth=0.0, min_lr=1e-4, max_lr=100.0)
    assert r.suggestion < 2 / L
    assert r.stopped_early and r.curvature is None and r.boundary is None


def test_training_setup_mini_batches_give_a_finite_suggestion():
    d = descend.datasets.moons(200, seed=0)
    setup = TrainingSetup(lambda seed: nn.mlp((2, 16, 2), rng=seed), d.X, d.y, "cross_entropy")
    r = lr_find(setup, steps=150)
    assert 1e-7 <= r.suggestion <= 10 and np.all(np.isfinite(r.smoothed))
    assert len(r.lrs) == len(r.losses) == len(r.smoothed) <= 150
    assert r.optimizer == "sgd"


def test_smoothing_is_a_bias_corrected_average():
    from descend.sweeps.lr_find import _smooth

    v = np.array([4.0, 2.0, 6.0])
    beta = 0.5
    # avg_k = beta avg_{k-1} + (1 - beta) v_k, divided by 1 - beta^(k+1)
    expect = [4.0, (0.5 * 2.0 + 0.25 * 4.0) / 0.75, (0.5 * 6.0 + 0.25 * 2.0 + 0.125 * 4.0) / 0.875]
    np.testing.assert_allclose(_smooth(v, beta), expect, rtol=1e-15)
    np.testing.assert_array_equal(_smooth(v, 0.0), v)


def test_result_table_summary_plot():
    pytest.importorskip("matplotlib")
    p = problems.ill_conditioned(kappa=10.0)
    r = lr_find(p)
    rows = r.table(as_records=True)
    assert len(rows) == len(r.lrs) and rows[0]["lr"] == r.lrs[0] and rows[-1]["loss"] == r.losses[-1]
    text = r.summary()
    assert f"{r.suggestion:.4g}" in text and "2/L" in text and "GD diverges from lr" in text
    assert repr(r).startswith("LRFinderResult(suggestion=")
    fig = r.plot()
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    gids = {line.get_gid() for line in ax.get_lines()}
    assert {"descend:lr_find_loss", "descend:lr_find_smoothed"} <= gids
    xs = {line.get_xdata()[0] for line in ax.get_lines() if line.get_gid() is None}
    assert r.suggestion in xs and r.curvature.stable_lr in xs and r.boundary in xs


def test_steepest_method():
    p = problems.ill_conditioned(kappa=1.0)
    r = lr_find(p, method="steepest", curvature_at_start=False)
    assert r.suggestion == r.lr_steepest < 2.0
    slope = np.gradient(r.smoothed, np.log(r.lrs))
    skip = max(1, len(r.lrs) // 10)
    assert r.lr_steepest == r.lrs[skip + np.argmin(slope[skip:])]


def test_momentum_hyperparameters_reach_the_optimizer():
    p = problems.ill_conditioned(kappa=10.0)
    a = lr_find(p, optimizer="sgd", curvature_at_start=False)
    b = lr_find(p, optimizer="sgd", momentum=0.9, curvature_at_start=False)
    assert not np.array_equal(a.losses[:20], b.losses[:20])


@pytest.mark.parametrize("kwargs, message", [
    ({"min_lr": 1.0, "max_lr": 0.1}, "min_lr must be < max_lr, got min_lr=1, max_lr=0.1"),
    ({"min_lr": -1.0}, "min_lr must be a finite number > 0, got -1.0"),
    ({"steps": 1}, "steps must be an integer >= 2, got 1"),
    ({"smooth": 1.0}, r"smooth must be in \[0, 1\), got 1.0"),
    ({"diverge": 1.0}, "diverge must be > 1, got 1"),
    ({"method": "valley"}, "unknown method 'valley'; valid: minimum, steepest"),
    ({"lr": 0.1}, "lr_find sets lr itself"),
    ({"optimizer": "adamm"}, "unknown optimizer 'adamm'"),
    ({"optimizer": "sgd", "momentun": 0.9}, "unknown hyperparameter 'momentun'"),
    ({"start": [1.0]}, r"start must be a finite point of shape \(2,\)"),
    ({"boundary_points": 1}, "boundary_points must be an integer >= 2, got 1"),
])
def test_lr_find_errors(kwargs, message):
    with pytest.raises(DescendError, match=message):
        lr_find(problems.get("booth"), **kwargs)


def test_lr_find_target_errors():
    with pytest.raises(DescendError, match="lr_find needs a Problem or a TrainingSetup, got int"):
        lr_find(3)
    d = descend.datasets.linear(20, seed=0)
    setup = TrainingSetup(lambda seed: nn.Sequential(nn.Linear(2, 1, rng=seed)), d.X, d.y.reshape(-1, 1), "mse")
    with pytest.raises(DescendError, match="start applies to problems"):
        lr_find(setup, start=[0.0])
    with pytest.raises(DescendError, match="batch_size must be an integer >= 1, got 0"):
        lr_find(setup, batch_size=0)


def test_loss_not_finite_after_the_first_update():
    with pytest.raises(DescendError, match="the loss was not finite after the first update"):
        lr_find(problems.get("rosenbrock"), min_lr=1e200, max_lr=1e300)


def test_curvature_errors():
    with pytest.raises(DescendError, match="curvature needs a descend Problem"):
        curvature(lambda x: x)
    with pytest.raises(DescendError, match=r"x must be a finite point of shape \(2,\) for 'booth'"):
        curvature(problems.get("booth"), [np.nan, 0.0])
    with pytest.raises(DescendError, match="iters must be an integer >= 1, got 0"):
        curvature(problems.get("booth"), iters=0)


def test_cli_lr_find(tmp_path):
    out = io.StringIO()
    res = cli_lr_find("ill_conditioned", plot=str(tmp_path / "lr.png"), out=out)
    text = out.getvalue()
    assert "suggested lr" in text and "stable step 2/L" in text and (tmp_path / "lr.png").stat().st_size > 0
    out = io.StringIO()
    cli_lr_find("booth", as_json=True, out=out)
    data = json.loads(out.getvalue())
    np.testing.assert_allclose(data["curvature"]["L"], 18.0, rtol=1e-7)  # booth's Hessian [[10, 8], [8, 10]]
    assert data["suggestion"] < 2 / 18 and res.suggestion < 2 / 100
    with pytest.raises(DescendError, match="--batch-size takes one value for lr-find"):
        cli_lr_find("linear", batch_size="8,16", out=io.StringIO())
