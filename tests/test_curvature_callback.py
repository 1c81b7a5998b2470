"""The Sharpness callback: sharpness every k epochs of a training run, against 2/lr (and Adam's threshold)."""

from __future__ import annotations

import numpy as np
import pytest

from descend import nn, optim
from descend.curvature import eigenvalues, preconditioned_sharpness
from descend.errors import DescendError
from descend.training import train
from descend.training.callbacks import Sharpness


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = np.tanh(X @ np.array([1.0, -2.0, 0.5]))
    return X, y


def _model():
    return nn.mlp([3, 8, 1], activation="tanh", rng=1, dtype="float64")


def test_records_every_k_epochs_with_2_over_lr(data):
    X, y = data
    model = _model()
    cb = Sharpness(X, y, "mse", every=2, tol=1e-8)
    history = train(model, X, y, loss="mse", optimizer="sgd", lr=0.05, epochs=5, callbacks=[cb], progress=False)
    assert cb.records["epoch"] == [1, 3, 5]
    assert cb.records["threshold"] == [pytest.approx(40.0)] * 3
    assert cb.records["loss"] == [history["loss"][e - 1] for e in (1, 3, 5)]
    # epoch 5 was measured after the last update: the model as it is now
    assert cb.records["sharpness"][-1] == pytest.approx(eigenvalues(model, "mse", X, y, tol=1e-10).eigenvalues[0],
                                                        rel=1e-7)
    assert cb.records["sharpness"][0] != cb.records["sharpness"][-1]
    assert cb.epoch_records()["sharpness"] == cb.records["sharpness"][-1]


def test_adam_records_the_preconditioned_sharpness_and_its_threshold(data):
    X, y = data
    model = _model()
    opt = optim.get("adam", lr=0.01)
    cb = Sharpness(X, y, "mse", optimizer=opt, every=3, tol=1e-8)
    train(model, X, y, loss="mse", optimizer=opt, epochs=3, callbacks=[cb], progress=False)
    assert cb.records["epoch"] == [1]
    assert cb.records["threshold"] == [pytest.approx(3800.0)]
    assert len(cb.records["preconditioned_sharpness"]) == 1
    now = preconditioned_sharpness(model, "mse", X, y, opt, tol=1e-10).eigenvalues[0]
    assert now > 0 and cb.records["preconditioned_sharpness"][0] > 0


def test_state_round_trip_and_off_epochs_are_nan(data):
    X, y = data
    cb = Sharpness(X, y, "mse", every=2)
    train(_model(), X, y, loss="mse", optimizer="sgd", lr=0.05, epochs=2, callbacks=[cb], progress=False)
    assert np.isnan(cb.epoch_records()["sharpness"])  # epoch 2 was not measured
    meta, arrays = cb.state()
    other = Sharpness(X, y, "mse", every=2)
    other.set_state(meta, arrays)
    assert other.records == cb.records


def test_errors(data):
    X, y = data
    with pytest.raises(DescendError, match="every must be an integer >= 1, got 0"):
        Sharpness(X, y, "mse", every=0)
    with pytest.raises(DescendError, match="known for gd, sgd, momentum, nesterov, adam and adamw .*, got rmsprop"):
        Sharpness(X, y, "mse", optimizer=optim.get("rmsprop", lr=0.01))
    with pytest.raises(DescendError, match="at least one sample"):
        Sharpness(X[:0], y[:0], "mse")


def test_the_history_holds_the_sharpness_one_entry_per_epoch_and_a_resume_keeps_it(data, tmp_path):
    X, y = data
    cb = Sharpness(X, y, "mse", every=2, tol=1e-8)
    history = train(_model(), X, y, loss="mse", optimizer="sgd", lr=0.05, epochs=5, callbacks=[cb], progress=False)
    assert len(history["sharpness"]) == len(history["loss"]) == 5
    assert list(history["sharpness"][[0, 2, 4]]) == cb.records["sharpness"]
    assert np.isnan(history["sharpness"][[1, 3]]).all()  # epochs not measured
    assert list(history["threshold"][[0, 2, 4]]) == cb.records["threshold"]
    # the same run in two halves through a checkpoint: the same per-epoch records
    ckpt = tmp_path / "run.npz"
    first = Sharpness(X, y, "mse", every=2, tol=1e-8)
    train(_model(), X, y, loss="mse", optimizer="sgd", lr=0.05, epochs=3, callbacks=[first], progress=False,
          checkpoint=ckpt)
    resumed = train(_model(), X, y, loss="mse", optimizer="sgd", lr=0.05, epochs=5, progress=False,
                    callbacks=[Sharpness(X, y, "mse", every=2, tol=1e-8)], checkpoint=ckpt, resume=True)
    np.testing.assert_array_equal(resumed["sharpness"], history["sharpness"])
