"""descend.nn: layers, losses, Sequential, check_gradients, save/load."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import descend
from descend import DescendError, nn
from descend.nn.io import atomic_savez

RNG = np.random.default_rng(20191130)


def _data(n=7, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d))


def _readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


# ---------------------------------------------------------------------------------------------
# check_gradients on every layer and every loss (float64, relative error <= 1e-7)
# ---------------------------------------------------------------------------------------------

def _layer_models():
    f64 = np.float64
    return {
        "linear": lambda: nn.Sequential(nn.Linear(4, 3, rng=1, dtype=f64)),
        "linear_nobias": lambda: nn.Sequential(nn.Linear(4, 3, bias=False, rng=1, dtype=f64)),
        "relu": lambda: nn.Sequential(nn.Linear(4, 6, rng=1, dtype=f64), nn.ReLU(), nn.Linear(6, 3, rng=2, dtype=f64)),
        "leaky_relu": lambda: nn.Sequential(nn.Linear(4, 6, rng=1, dtype=f64), nn.LeakyReLU(0.1),
                                            nn.Linear(6, 3, rng=2, dtype=f64)),
        "sigmoid": lambda: nn.Sequential(nn.Linear(4, 6, rng=1, dtype=f64), nn.Sigmoid(),
                                         nn.Linear(6, 3, rng=2, dtype=f64)),
        "tanh": lambda: nn.Sequential(nn.Linear(4, 6, rng=1, dtype=f64), nn.Tanh(), nn.Linear(6, 3, rng=2, dtype=f64)),
        "dropout": lambda: nn.Sequential(nn.Linear(4, 6, rng=1, dtype=f64), nn.Tanh(), nn.Dropout(0.4, rng=3),
                                         nn.Linear(6, 3, rng=2, dtype=f64)),
        "deep": lambda: nn.mlp((4, 5, 5, 3), activation="tanh", rng=4, dtype=f64),
    }


def _targets(loss_name, n=7, c=3, seed=5):
    rng = np.random.default_rng(seed)
    if loss_name == "mse":
        return nn.MSELoss(), rng.standard_normal((n, c))
    if loss_name == "ce_labels":
        return nn.CrossEntropyLoss(), rng.integers(0, c, n)
    if loss_name == "ce_onehot":
        return nn.CrossEntropyLoss(), np.eye(c)[rng.integers(0, c, n)]
    if loss_name == "ce_soft":
        p = rng.random((n, c))
        return nn.CrossEntropyLoss(), p / p.sum(axis=1, keepdims=True)
    if loss_name == "bce":
        return nn.BCEWithLogitsLoss(), rng.random((n, c))
    if loss_name == "mse_sum":
        return nn.MSELoss(reduction="sum"), rng.standard_normal((n, c))
    if loss_name == "ce_sum":
        return nn.CrossEntropyLoss(reduction="sum"), rng.integers(0, c, n)
    raise AssertionError(loss_name)


@pytest.mark.parametrize("loss_name", ["mse", "ce_labels", "ce_onehot", "ce_soft", "bce", "mse_sum", "ce_sum"])
@pytest.mark.parametrize("model_name", list(_layer_models()))
def test_check_gradients_every_layer_and_loss(model_name, loss_name):
    model = _layer_models()[model_name]()
    loss, y = _targets(loss_name)
    X = _data(7, 4, seed=6)
    reports = nn.check_gradients(model, loss, X, y, inputs=True)
    assert set(reports) == set(model.params) | {"input"}
    for name, r in reports.items():
        assert r.passed and r.max_rel_error <= 1e-7, (name, r.max_rel_error)


def test_check_gradients_catches_a_wrong_backward():
    class BadTanh(nn.Tanh):
        def backward(self, dout, *, need_input_grad=True):
            return dout * (1 - self._Y)  # wrong: should be 1 - Y**2

    model = nn.Sequential(nn.Linear(4, 5, rng=1, dtype=np.float64), BadTanh(), nn.Linear(5, 2, rng=2, dtype=np.float64))
    reports = nn.check_gradients(model, "mse", _data(), np.zeros((7, 2)))
    assert not reports["0.weight"].passed and reports["0.weight"].max_rel_error > 1e-3
    assert reports["2.weight"].passed  # the layer after the bug is still right


def test_check_gradients_leaves_the_model_alone_and_checks_float32_on_a_copy():
    model = nn.Sequential(nn.Linear(4, 6, rng=1), nn.Dropout(0.3, rng=2), nn.Linear(6, 2, rng=3))
    before = {k: v.copy() for k, v in model.params.items()}
    state = model.rng_state()
    reports = nn.check_gradients(model, "mse", _data(), np.zeros((7, 2)))
    assert all(r.passed for r in reports.values())
    assert all(np.array_equal(before[k], model.params[k]) for k in before)
    assert model.params["0.weight"].dtype == np.float32
    assert model.rng_state() == state


# ---------------------------------------------------------------------------------------------
# Seed 003: the mini-batch gradient is the mean of the per-sample gradients
# ---------------------------------------------------------------------------------------------

def _seed003_network(dtype=np.float64):
    return nn.Sequential(nn.Linear(2, 10, rng=0, dtype=dtype), nn.ReLU(), nn.Linear(10, 1, rng=1, dtype=dtype))


def test_batch_gradient_is_mean_of_per_sample_gradients():
    data = descend.datasets.linear(10, seed=3)
    model, loss = _seed003_network(), nn.MSELoss()
    loss.forward(model.forward(data.X), data.y)
    batch = {k: v.copy() for k, v in model.backward(loss.backward()).items()}
    per_sample = []
    for i in range(10):
        loss.forward(model.forward(data.X[i:i + 1]), data.y[i:i + 1])
        per_sample.append({k: v.copy() for k, v in model.backward(loss.backward()).items()})
    for k in batch:
        np.testing.assert_allclose(batch[k], np.mean([g[k] for g in per_sample], axis=0), rtol=1e-12, atol=1e-15)


def test_seed003_representative_sample_gradient_is_wrong():
    """Seed 003's mini-batch backward (x[0], z1[0], mean(delta2), sigmoid derivative) fails the check."""
    data = descend.datasets.linear(10, seed=3)
    model, loss = _seed003_network(), nn.MSELoss()
    W1, b1, W2, b2 = (model.params[k] for k in ("0.weight", "0.bias", "2.weight", "2.bias"))
    u1 = data.X @ W1 + b1
    z1 = np.maximum(u1, 0)
    y = (z1 @ W2 + b2).ravel()
    delta2 = 2 * (y - data.y) / len(y)  # d(mean squared error)/dy
    # the seed's way: one "representative" sample and the mean delta; sigmoid's derivative after ReLU
    d_sigmoid = (1 - descend.sigmoid(z1[0])) * descend.sigmoid(z1[0])
    seed_W2 = np.outer(z1[0], delta2.mean())
    seed_W1 = np.outer(data.X[0], (delta2.mean() * W2.ravel()) * d_sigmoid)
    # the right way: delta2 of shape (B,), averaged through the matrix products, ReLU's derivative
    loss.forward(model.forward(data.X), data.y)
    grads = model.backward(loss.backward())
    np.testing.assert_allclose(grads["2.weight"], z1.T @ delta2[:, None], rtol=1e-12)
    delta1 = np.outer(delta2, W2.ravel()) * (u1 > 0)
    np.testing.assert_allclose(grads["0.weight"], data.X.T @ delta1, rtol=1e-12)
    assert not np.allclose(seed_W2, grads["2.weight"], rtol=1e-2)
    assert not np.allclose(seed_W1, grads["0.weight"], rtol=1e-2)


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [nn.Linear(4, 3, rng=0), nn.ReLU(), nn.LeakyReLU(), nn.Sigmoid(), nn.Tanh(),
                                   nn.Dropout(0.5, rng=0)])
def test_layers_never_write_their_inputs(layer):
    X = _readonly(_data(5, 4).astype(np.float32))  # any write into X or dout would raise
    out = layer.forward(X)
    dout = _readonly(np.ones_like(out))
    dX = layer.backward(dout)
    assert dX.shape == X.shape
    out[...] = 123  # writing into the output must not break backward
    np.testing.assert_array_equal(layer.backward(dout), dX)


def test_model_never_writes_caller_arrays_and_casts_to_its_dtype():
    model = nn.mlp((4, 6, 3), rng=0)
    X = _readonly(_data(5, 4))  # float64 input to a float32 model
    out = model.forward(X)
    assert out.dtype == np.float32
    grads = model.backward(_readonly(np.ones((5, 3))), input_grad=True)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert model.input_grad.shape == X.shape


def test_float64_on_request():
    model = nn.mlp((4, 6, 3), rng=0, dtype=np.float64)
    assert model.dtype == np.float64
    assert all(p.dtype == np.float64 for p in model.params.values())
    assert model.forward(_data(5, 4).astype(np.float32)).dtype == np.float64


@pytest.mark.parametrize("init, std", [("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 600)), (0.05, 0.05)])
def test_linear_init(init, std):
    layer = nn.Linear(400, 200, init=init, rng=0)
    w = layer.params["weight"]
    assert w.shape == (400, 200) and w.dtype == np.float32
    assert abs(w.std() / std - 1) < 0.02
    assert abs(w.mean()) < 0.01 * std * 10
    np.testing.assert_array_equal(layer.params["bias"], 0)


def test_linear_init_is_seeded():
    a, b, c = nn.Linear(5, 4, rng=7), nn.Linear(5, 4, rng=7), nn.Linear(5, 4, rng=8)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], c.params["weight"])
    gen = np.random.default_rng(1)
    d, e = nn.Linear(5, 4, rng=gen), nn.Linear(5, 4, rng=gen)
    assert not np.array_equal(d.params["weight"], e.params["weight"])


@pytest.mark.parametrize("n", [1, 6])  # one sample takes the outer-product path
def test_linear_forward_backward_formulas(n):
    layer = nn.Linear(4, 3, rng=0, dtype=np.float64)
    X = _data(n, 4)
    W, b = layer.params["weight"], layer.params["bias"]
    b[...] = [0.1, -0.2, 0.3]
    Y = layer.forward(X)
    np.testing.assert_allclose(Y, X @ W + b, rtol=1e-14)
    dY = _data(n, 3, seed=1)
    dX = layer.backward(dY)
    np.testing.assert_allclose(dX, dY @ W.T, rtol=1e-14)
    np.testing.assert_allclose(layer.grads["weight"], X.T @ dY, rtol=1e-14)
    np.testing.assert_allclose(layer.grads["bias"], dY.sum(axis=0), rtol=1e-14)


def test_activations_values():
    X = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(nn.ReLU().forward(X), [[0, 0, 0, 0.5, 2.0]])
    np.testing.assert_allclose(nn.LeakyReLU(0.1).forward(X), [[-0.2, -0.05, 0, 0.5, 2.0]])
    np.testing.assert_allclose(nn.Sigmoid().forward(X), 1 / (1 + np.exp(-X)), rtol=1e-15)
    np.testing.assert_allclose(nn.Tanh().forward(X), np.tanh(X), rtol=1e-15)
    relu = nn.ReLU()
    relu.forward(X)
    np.testing.assert_array_equal(relu.backward(np.ones_like(X)), [[0, 0, 0, 1, 1]])  # 1[x > 0]
    s = nn.Sigmoid()
    assert np.all(np.isfinite(s.forward(np.array([[-1e4, 1e4]], np.float32))))


def test_dropout_modes():
    drop = nn.Dropout(0.25, rng=0)
    X = np.ones((200, 100), np.float32)
    out = drop.forward(X)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)  # inverted dropout: E[out] = X
    np.testing.assert_array_equal(drop.backward(np.ones_like(X)) != 0, kept)  # same mask backwards
    drop.eval()
    np.testing.assert_array_equal(drop.forward(X), X)
    assert not np.array_equal(nn.Dropout(0.5, rng=1).forward(X), nn.Dropout(0.5, rng=2).forward(X))


def test_sequential_modes_and_predict():
    model = nn.Sequential(nn.Linear(3, 50, rng=0), nn.Dropout(0.5, rng=1), nn.Linear(50, 2, rng=2))
    assert model.training
    X = _data(4, 3)
    a = model.predict(X)
    assert model.training  # predict restores the mode
    np.testing.assert_array_equal(a, model.eval().forward(X))
    assert not model.training and not model[1].training
    assert model.train() is model and model[1].training
    assert not np.array_equal(model.forward(X), a)  # dropout on in training mode


def test_sequential_params_are_the_layers_arrays():
    model = nn.mlp((3, 4, 2), rng=0)
    assert list(model.params) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.params["0.weight"] is model[0].params["weight"]
    assert model.n_params == 3 * 4 + 4 + 4 * 2 + 2
    model.params["2.bias"] += 1  # in place, as an optimizer does
    np.testing.assert_array_equal(model[2].params["bias"], 1)


def test_reprs():
    model = nn.Sequential(nn.Linear(2, 10, rng=0), nn.LeakyReLU(0.2), nn.Dropout(0.1), nn.Sigmoid(), nn.Tanh(),
                          nn.ReLU(), nn.Linear(10, 1, init="xavier", bias=False, rng=0, dtype=np.float32))
    text = repr(model)
    for part in ["(0): Linear(in_features=2, out_features=10, init='he', dtype=float32)", "(1): LeakyReLU(negative_slope=0.2)",
                 "(2): Dropout(p=0.1)", "(3): Sigmoid()", "(4): Tanh()", "(5): ReLU()",
                 "(6): Linear(in_features=10, out_features=1, init='xavier', bias=False, dtype=float32)"]:
        assert part in text
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"


def test_mlp_builds_the_layers():
    model = nn.mlp((5, 8, 8, 2), activation="tanh", dropout=0.2, rng=0, dtype="float64")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert model.dtype == np.float64
    np.testing.assert_array_equal(nn.mlp((5, 3), rng=1).params["0.weight"], nn.mlp((5, 3), rng=1).params["0.weight"])


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------

def test_mse_value_and_column_target():
    loss = nn.MSELoss()
    pred = np.array([[1.0], [2.0], [4.0]])
    assert loss.forward(pred, np.array([1.0, 1.0, 1.0])) == pytest.approx((0 + 1 + 9) / 3, rel=1e-15)
    np.testing.assert_allclose(loss.backward(), 2 * np.array([[0.0], [1.0], [3.0]]) / 3)
    assert nn.MSELoss(reduction="sum").forward(pred, np.ones((3, 1))) == pytest.approx(10.0)


def test_cross_entropy_labels_and_onehot_agree_and_match_formula():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    a, b = nn.CrossEntropyLoss(), nn.CrossEntropyLoss()
    va = a.forward(z, labels)
    vb = b.forward(z, np.eye(4)[labels])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert va == pytest.approx(-np.mean(np.log(p[np.arange(6), labels])), rel=1e-13)
    assert vb == pytest.approx(va, rel=1e-14)
    np.testing.assert_allclose(a.backward(), (p - np.eye(4)[labels]) / 6, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(b.backward(), a.backward(), rtol=1e-12, atol=1e-16)


def test_cross_entropy_is_stable_for_huge_logits():
    loss = nn.CrossEntropyLoss()
    z = np.array([[1e4, 0.0, -1e4], [0.0, 5e3, 0.0]], np.float32)
    value = loss.forward(z, np.array([2, 1]))
    assert np.isfinite(value) and value == pytest.approx(2e4 / 2, rel=1e-6)
    assert np.all(np.isfinite(loss.backward()))


def test_bce_with_logits_matches_formula_and_is_stable():
    loss = nn.BCEWithLogitsLoss()
    z = np.array([[-3.0], [0.5], [2.0]])
    t = np.array([0.0, 1.0, 1.0])
    s = 1 / (1 + np.exp(-z.ravel()))
    expected = -np.mean(t * np.log(s) + (1 - t) * np.log(1 - s))
    assert loss.forward(z, t) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(loss.backward().ravel(), (s - t) / 3, rtol=1e-13)
    assert loss.forward(np.array([[1000.0], [-1000.0]]), np.array([0.0, 1.0])) == pytest.approx(1000.0)


def test_loss_keeps_float32():
    z = np.zeros((3, 4), np.float32)
    loss = nn.CrossEntropyLoss()
    loss.forward(z, np.array([0, 1, 2]))
    assert loss.backward().dtype == np.float32


def test_loss_get_and_names():
    assert nn.loss_names() == ["mse", "cross_entropy", "bce_with_logits"]
    assert isinstance(nn.get_loss("cross_entropy"), nn.CrossEntropyLoss)
    assert isinstance(nn.get_loss("MSELoss"), nn.MSELoss)
    l = nn.BCEWithLogitsLoss()
    assert nn.get_loss(l) is l


# ---------------------------------------------------------------------------------------------
# Every error message
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, match", [
    (lambda: nn.Linear(0, 3), r"in_features must be an integer >= 1, got 0"),
    (lambda: nn.Linear(2, 2.5), r"out_features must be an integer >= 1, got 2.5"),
    (lambda: nn.Linear(2, 3, init="glorot"), r"unknown init 'glorot'; valid: he, xavier"),
    (lambda: nn.Linear(2, 3, init=-1.0), r"init \(a weight scale\) must be a finite number > 0, got -1.0"),
    (lambda: nn.Linear(2, 3, init=None), r"init must be 'he', 'xavier' or a scale > 0, got None"),
    (lambda: nn.Linear(2, 3, dtype=np.int32), r"dtype must be float32 or float64, got <class 'numpy.int32'>"),
    (lambda: nn.Linear(2, 3, dtype="float16"), r"dtype must be float32 or float64, got 'float16'"),
    (lambda: nn.Linear(2, 3, rng=-1), r"rng must be None, an integer seed >= 0 or a numpy.random.Generator, got -1"),
    (lambda: nn.LeakyReLU(1.5), r"negative_slope must be in \[0, 1\), got 1.5"),
    (lambda: nn.Dropout(1.0), r"p must be in \[0, 1\), got 1.0"),
    (lambda: nn.Sequential(), r"Sequential needs at least one layer, got none"),
    (lambda: nn.Sequential(nn.Sequential(nn.ReLU())), r"layer 0 is a Sequential; nesting is not supported"),
    (lambda: nn.Sequential(nn.ReLU(), "relu"), r"layer 1 must be a descend.nn layer \(Linear, ReLU, ...\), got 'relu'"),
    (lambda: nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2, dtype=np.float64)),
     r"all layers must share one dtype, got float32, float64"),
    (lambda: (lambda g: nn.Sequential(nn.Dropout(rng=g), nn.Dropout(rng=g)))(np.random.default_rng(0)),
     r"layers 0 and 1 share one random generator"),
    (lambda: nn.MSELoss(reduction="none"), r"unknown reduction 'none'; valid: mean, sum"),
    (lambda: nn.get_loss("hinge"), r"unknown loss 'hinge'; valid: mse, cross_entropy, bce_with_logits"),
    (lambda: nn.mlp((3,)), r"sizes must list at least inputs and outputs, got \[3\]"),
    (lambda: nn.mlp((3, 2), activation="gelu"), r"unknown activation 'gelu'; valid: relu, leaky_relu, sigmoid, tanh"),
])
def test_construction_errors(make, match):
    with pytest.raises(DescendError, match=match):
        make()


def test_forward_backward_errors():
    model = nn.mlp((3, 4, 2), rng=0)
    with pytest.raises(DescendError, match=r"Sequential.backward called before forward"):
        model.backward(np.ones((2, 2)))
    with pytest.raises(DescendError, match=r"X must be a 2-D batch of shape \(N, features\), got shape \(3,\); "
                                           r"use X.reshape\(1, -1\) for one sample"):
        model.forward(np.ones(3))
    with pytest.raises(DescendError, match=r"X must hold real numbers, got dtype <U1"):
        model.forward(np.array([["a", "b", "c"]]))
    with pytest.raises(DescendError, match=r"Linear\(in_features=3, out_features=4, init='he', dtype=float32\) "
                                           r"expects inputs of shape \(N, 3\), got \(2, 5\)"):
        model.forward(np.ones((2, 5)))
    model.forward(np.ones((2, 3)))
    with pytest.raises(DescendError, match=r"dout must have the output's shape \(2, 2\), got \(2, 3\)"):
        model.backward(np.ones((2, 3)))
    with pytest.raises(DescendError, match=r"ReLU.backward called before forward"):
        nn.ReLU().backward(np.ones(3))
    relu = nn.ReLU()
    relu.forward(np.ones((2, 2)))
    with pytest.raises(DescendError, match=r"ReLU.backward: dout must have the forward output's shape \(2, 2\), "
                                           r"got \(2, 3\)"):
        relu.backward(np.ones((2, 3)))
    with pytest.raises(DescendError, match=r"parameter names differ from the model's: missing \['2.bias'\], "
                                           r"unexpected \['x'\]"):
        model.load_params({"0.weight": 0, "0.bias": 0, "2.weight": 0, "x": 0})
    bad = {k: v for k, v in model.params.items()}
    bad["0.bias"] = np.zeros(5)
    with pytest.raises(DescendError, match=r"parameter '0.bias' must have shape \(4,\), got \(5,\)"):
        model.load_params(bad)
    bad["0.bias"] = np.zeros(4, dtype=np.int64)
    with pytest.raises(DescendError, match=r"parameter '0.bias' must hold floats, got dtype int64"):
        model.load_params(bad)
    with pytest.raises(DescendError, match=r"random state is for layers \['1'\], the model's random layers are \[\]"):
        model.set_rng_state({"1": "{}"})


def test_loss_errors():
    ce = nn.CrossEntropyLoss()
    z = np.zeros((3, 4))
    with pytest.raises(DescendError, match=r"CrossEntropyLoss.backward called before forward"):
        ce.backward()
    with pytest.raises(DescendError, match=r"a target of shape \(N,\) must hold integer class labels, got dtype "
                                           r"float64; pass y.astype\(int\), or one-hot floats of shape \(3, 4\)"):
        ce.forward(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(DescendError, match=r"a target of the logits' shape \(3, 4\) must hold floats \(one-hot or "
                                           r"probabilities\), got dtype int64"):
        ce.forward(z, np.eye(4, dtype=np.int64)[:3])
    with pytest.raises(DescendError, match=r"target must be integer labels of shape \(3,\) or float one-hot rows "
                                           r"of shape \(3, 4\), got shape \(4,\) dtype int64"):
        ce.forward(z, np.array([0, 1, 2, 3]))
    with pytest.raises(DescendError, match=r"class labels must be in \[0, 4\), got 4"):
        ce.forward(z, np.array([0, 4, 1]))
    with pytest.raises(DescendError, match=r"class labels must be in \[0, 4\), got -1"):
        ce.forward(z, np.array([0, -1, 1]))
    with pytest.raises(DescendError, match=r"CrossEntropyLoss: logits must have shape \(N, C\), got \(3,\)"):
        ce.forward(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(DescendError, match=r"needs at least 2 classes \(logits of shape \(N, C>=2\)\), got shape "
                                           r"\(3, 1\); for one logit per sample use BCEWithLogitsLoss"):
        ce.forward(np.zeros((3, 1)), np.array([0, 0, 0]))
    with pytest.raises(DescendError, match=r"CrossEntropyLoss: pred must be a float array, got dtype int64"):
        ce.forward(np.zeros((3, 4), np.int64), np.array([0, 1, 2]))
    mse = nn.MSELoss()
    with pytest.raises(DescendError, match=r"MSELoss: target shape \(3,\) must equal pred shape \(3, 2\) "
                                           r"\(or be \(N,\) for pred \(N, 1\)\)"):
        mse.forward(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(DescendError, match=r"MSELoss: pred must have a batch axis, got a scalar"):
        mse.forward(np.float64(1.0), np.float64(1.0))
    with pytest.raises(DescendError, match=r"MSELoss: target must hold numbers, got dtype <U1"):
        mse.forward(np.zeros((1, 1)), np.array([["a"]]))
    with pytest.raises(DescendError, match=r"BCEWithLogitsLoss: targets must be in \[0, 1\], got values in "
                                           r"\[0.0, 2.0\]"):
        nn.BCEWithLogitsLoss().forward(np.zeros((2, 1)), np.array([0.0, 2.0]))


def test_check_gradients_errors():
    with pytest.raises(DescendError, match=r"model must be a descend.nn.Sequential, got Linear"):
        nn.check_gradients(nn.Linear(2, 2), "mse", np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(DescendError, match=r"X must be a 2-D batch of shape \(N, features\), got shape \(2,\)"):
        nn.check_gradients(nn.mlp((2, 2)), "mse", np.ones(2), np.ones((1, 2)))


# ---------------------------------------------------------------------------------------------
# Save and load
# ---------------------------------------------------------------------------------------------

def test_save_load_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 8, rng=0), nn.LeakyReLU(0.05), nn.Dropout(0.2, rng=4),
                          nn.Linear(8, 2, init="xavier", rng=1))
    model.params["0.bias"][:] = np.arange(8)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    for k in model.params:
        np.testing.assert_array_equal(loaded.params[k], model.params[k])
        assert loaded.params[k].dtype == model.params[k].dtype
    X = _data(5, 3)
    np.testing.assert_array_equal(loaded.forward(X), model.forward(X))  # same dropout mask too
    assert sorted(os.listdir(tmp_path)) == [".descend-manifest.json", "model.npz"]  # no temporary file left


def test_save_refuses_to_overwrite(tmp_path):
    path = tmp_path / "mine.npz"
    path.write_bytes(b"precious")
    model = nn.mlp((2, 2), rng=0)
    with pytest.raises(DescendError, match=r"mine.npz' already exists; pass overwrite=True to replace it"):
        model.save(path)
    assert path.read_bytes() == b"precious"
    # overwrite=True replaces a model descend saved, never the user's own file
    with pytest.raises(DescendError, match=r"mine.npz already exists and was not written by descend"):
        model.save(path, overwrite=True)
    assert path.read_bytes() == b"precious"
    ours = tmp_path / "ours.npz"
    nn.mlp((2, 3, 2), rng=1).save(ours)
    model.save(ours, overwrite=True)
    assert nn.load(ours).n_params == model.n_params


def _model_file(tmp_path, mutate):
    model = nn.mlp((3, 4, 2), rng=0)
    path = tmp_path / "m.npz"
    model.save(path)
    with np.load(path) as f:
        data = dict(f)
    mutate(data)
    atomic_savez(path, data)
    return path


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch BOOM",))


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.pop("__format__"), r"is not a descend model file \(no '__format__' = 'descend.model' marker\)"),
    (lambda d: d.update(__format__=np.array("descend.checkpoint")), r"is not a descend model file"),
    (lambda d: d.update(__version__=np.array(99)), r"is a descend model file of version 99; this descend reads "
                                                    r"version 1"),
    (lambda d: d.update(__version__=np.array("1")), r"field '__version__' must be an integer"),
    (lambda d: d.pop("param/2.bias"), r"is missing the parameter '2.bias'"),
    (lambda d: d.update({"param/0.weight": np.zeros((4, 3), np.float32)}),
     r"parameter '0.weight' must be float32 of shape \(3, 4\), got float32 of shape \(4, 3\)"),
    (lambda d: d.update({"param/0.weight": np.zeros((3, 4))}),
     r"parameter '0.weight' must be float32 of shape \(3, 4\), got float64 of shape \(3, 4\)"),
    (lambda d: d.update({"param/0.bias": np.full(4, np.nan, np.float32)}), r"parameter '0.bias' holds non-finite"),
    (lambda d: d.update({"param/9.weight": np.zeros(2)}), r"has parameters the architecture does not: \['9.weight'\]"),
    (lambda d: d.update(extra=np.zeros(2)), r"has unexpected fields \['extra'\]"),
    (lambda d: d.update(architecture=np.array("{not json")), r"field 'architecture' is not valid JSON"),
    (lambda d: d.update(architecture=np.array("[1, 2]")), r"field 'architecture' must be a JSON dict, got list"),
    (lambda d: d.update(architecture=np.array(json.dumps({"type": "Sequential", "layers": [{"type": "os.system"}]}))),
     r"architecture layer 0: unknown layer \{'type': 'os.system'\}; valid types: Linear, ReLU"),
    (lambda d: d.update(architecture=np.array(json.dumps({"type": "Sequential", "layers": [
        {"type": "Linear", "in_features": 3, "out_features": 4, "evil": 1}]}))),
     r"architecture layer 0 \(Linear\): bad arguments"),
    (lambda d: d.update(architecture=np.array(json.dumps({"type": "Sequential", "layers": [
        {"type": "Linear", "in_features": -3, "out_features": 4}]}))),
     r"architecture layer 0 \(Linear\): in_features must be an integer >= 1, got -3"),
    (lambda d: d.update(architecture=np.zeros(3)), r"field 'architecture' must be a string, got dtype float64"),
    (lambda d: d.update(rng_state=np.array(json.dumps({"0": "{}"}))), r"random state is for layers"),
])
def test_load_refuses_malformed_model_files(tmp_path, mutate, match):
    path = _model_file(tmp_path, mutate)
    with pytest.raises(DescendError, match=match):
        nn.load(path)


def test_load_refuses_foreign_and_broken_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    with pytest.raises(DescendError, match=r"notes.txt' is not a readable descend model file"):
        nn.load(text)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.arange(3))
    with pytest.raises(DescendError, match=r"foreign.npz' is not a descend model file"):
        nn.load(foreign)
    evil = tmp_path / "evil.npz"
    np.savez(evil, __format__=np.array("descend.model"), x=np.array([_Boom()], dtype=object))
    # refused from the zip directory, before any array is read
    with pytest.raises(DescendError, match=r"evil.npz' has unexpected fields \['x'\]"):
        nn.load(evil)
    assert not (tmp_path / "BOOM").exists()  # nothing was unpickled
    npy = tmp_path / "one.npy"
    np.save(npy, np.arange(3))
    with pytest.raises(DescendError, match=r"one.npy' is not a descend model file \(it is a single .npy array\)"):
        nn.load(npy)
    good = tmp_path / "good.npz"
    nn.mlp((3, 4, 2), rng=0).save(good)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DescendError, match=r"cut.npz' is not a readable descend model file"):
        nn.load(cut)
    with pytest.raises(DescendError, match=r"model file '.*missing.npz' does not exist"):
        nn.load(tmp_path / "missing.npz")
    with pytest.raises(DescendError, match=r"model must be a descend.nn.Sequential, got Linear"):
        nn.save(nn.Linear(2, 2), tmp_path / "x.npz")


# --------------------------------------------------------------------------- layers of your own

class Scale(nn.Layer):
    """y = alpha * x, one learnable alpha per feature: a user's own layer."""

    def __init__(self, features, init=1.0):
        super().__init__()
        self.features, self.init = features, init
        self.params["alpha"] = np.full(features, init, dtype=np.float32)
        self.grads["alpha"] = np.zeros(features, dtype=np.float32)
        self._X = None

    def forward(self, X):
        self._X = np.asarray(X)
        return self._X * self.params["alpha"]

    def backward(self, dout, *, need_input_grad=True):
        np.sum(dout * self._X, axis=0, out=self.grads["alpha"])
        return dout * self.params["alpha"] if need_input_grad else None

    def config(self):
        return {"type": "Scale", "features": self.features, "init": self.init}


@pytest.fixture
def scale_registered():
    from descend.nn.layers import LAYERS
    yield nn.register_layer(Scale)
    LAYERS.pop("Scale", None)


def _scale_model():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), Scale(4, init=0.5), nn.ReLU(), nn.Linear(4, 2, rng=1))
    model.params["1.alpha"][:] = [0.5, 1.5, -2.0, 3.0]
    return model


def test_a_registered_layer_of_your_own_saves_and_loads(tmp_path, scale_registered):
    model = _scale_model()
    nn.save(model, tmp_path / "m.npz")
    back = nn.load(tmp_path / "m.npz")
    assert isinstance(back.layers[1], Scale)
    X = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    assert np.array_equal(back.forward(X), model.forward(X))
    assert np.array_equal(back.params["1.alpha"], [0.5, 1.5, -2.0, 3.0])


def test_an_unregistered_layer_is_refused_when_saving_and_before_training_with_a_checkpoint(tmp_path):
    model = _scale_model()
    msg = r"layer 1 \(Scale\) is not a registered layer class.*descend.nn.register_layer\(Scale\)"
    with pytest.raises(DescendError, match=msg):
        nn.save(model, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()
    X, y = np.ones((4, 3), np.float32), np.zeros(4, np.int64)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(DescendError, match=msg):
        descend.train(model, X, y, loss="cross_entropy", optimizer="sgd", checkpoint=tmp_path / "c.npz",
                      progress=False)
    assert all(np.array_equal(model.params[k], before[k]) for k in before)  # refused before any step


def test_loading_an_unregistered_layer_says_how_to_register_it(tmp_path, scale_registered):
    from descend.nn.layers import LAYERS
    nn.save(_scale_model(), tmp_path / "m.npz")
    LAYERS.pop("Scale")
    with pytest.raises(DescendError, match=r"unknown layer \{'type': 'Scale'.*register_layer before loading"):
        nn.load(tmp_path / "m.npz")


def test_register_layer_refuses_non_layers_and_taken_names(scale_registered):
    assert nn.register_layer(Scale) is Scale  # registering the same class again is harmless
    with pytest.raises(DescendError, match=r"register_layer takes a subclass of descend.nn.Layer, got <class 'int'>"):
        nn.register_layer(int)

    class ReLU(nn.Layer):
        pass

    with pytest.raises(DescendError, match=r"a layer named 'ReLU' is already a built-in layer"):
        nn.register_layer(ReLU)

    class Scale2(nn.Layer):
        pass

    Scale2.__name__ = "Scale"
    with pytest.raises(DescendError, match=r"a layer named 'Scale' is already another registered class"):
        nn.register_layer(Scale2)
