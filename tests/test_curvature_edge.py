"""The edge of stability reproduced: progressive sharpening, sharpness settling at 2/lr, a non-monotone loss.

The numbers the tour shows come from :func:`descend.curvature.edge_of_stability` with its
defaults; this test computes them and checks the three findings of Cohen et al. (2021).
"""

from __future__ import annotations

import numpy as np
import pytest

from descend import nn
from descend.curvature import edge_of_stability, gradient_descent, sharpness
from descend.errors import DescendError

pytest.importorskip("sklearn")  # the bundled digits


@pytest.fixture(scope="module")
def eos():
    return edge_of_stability()


def test_progressive_sharpening_then_the_edge_then_a_falling_non_monotone_loss(eos):
    assert [run.lr for run in eos.runs] == [0.6, 0.8]
    for run in eos.runs:
        s = run.summary()
        # 1. the sharpness starts well below 2/lr and rises to it
        assert s["sharpness_first"] < 0.8 * run.threshold
        assert s["reached"] is not None and s["reached"] > 0
        assert s["sharpening"] > 1.25
        # 2. then it stays at 2/lr, within 10%
        after = run.sharpness[run.steps >= s["reached"]]
        assert abs(s["settled"] - 1) <= 0.1
        assert np.all(np.abs(after / run.threshold - 1) <= 0.15)
        # 3. the loss falls over the run, but goes up on many steps
        assert s["loss_last"] < 0.25 * s["loss_first"]
        assert s["loss_increases"] >= 20
        # before the edge gradient descent is a plain descent
        assert np.all(np.diff(run.loss[: s["reached"] // 2]) <= 0)


def test_the_larger_learning_rate_reaches_its_lower_edge_sooner(eos):
    slow, fast = eos.runs
    assert fast.reached < slow.reached
    assert fast.loss_increases > slow.loss_increases


def test_gradient_descent_measures_what_sharpness_measures_and_stops_where_the_loss_is_not_finite():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 2)), rng.standard_normal(30)
    model = nn.mlp([2, 4, 1], activation="tanh", rng=0, dtype="float64")
    run = gradient_descent(model, "mse", X, y, lr=0.05, steps=10, every=5, tol=1e-8)
    assert run.steps.tolist() == [0, 5, 10]
    assert run.sharpness[-1] == pytest.approx(sharpness(model, "mse", X, y, tol=1e-10), rel=1e-6)
    blown = gradient_descent(nn.mlp([2, 4, 1], rng=0, dtype="float64"), "mse", X, 1e3 * y, lr=1e3, steps=50)
    assert not np.isfinite(blown.loss[-1]) and len(blown.loss) < 51
    with pytest.raises(DescendError, match="lr must be a finite number > 0"):
        gradient_descent(model, "mse", X, y, lr=-1, steps=1)
    with pytest.raises(DescendError, match="n_samples must be at most 1797"):
        edge_of_stability(n_samples=5000)
