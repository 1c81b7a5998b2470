"""Hessian-vector products of descend.nn models: the R-operator against torch and the full Hessian.

The references live in tests/fixtures/torch_curvature.npz, written by
scripts/make_curvature_fixtures.py (torch 2.13, ``torch.autograd.functional.hvp`` and
``hessian`` in float64 on the same network and data); that part always runs.  When torch is
importable the references are recomputed live as well.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from descend import nn
from descend.curvature import HessianOperator, eigenvalues, hvp
from descend.errors import DescendError

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "torch_curvature.npz"


def _script():
    spec = importlib.util.spec_from_file_location("make_curvature_fixtures",
                                                  ROOT / "scripts" / "make_curvature_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()
CASES = list(SCRIPT.CASES)


@pytest.fixture(scope="module")
def refs():
    with np.load(FIXTURE, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _case(name):
    model, X, y, v = SCRIPT.case_data(name)
    _, _, loss, reduction, _, _ = SCRIPT.CASES[name]
    return model, nn.get_loss(loss, reduction=reduction), X, y, v


def _full_hessian(op):
    return np.stack([op.matvec(e) for e in np.eye(op.n)])


def test_fixture_covers_every_layer_with_an_r_operator_and_every_loss(refs):
    kinds = {type(layer).__name__ for name in CASES for layer in SCRIPT.case_data(name)[0].layers}
    assert kinds >= {"Linear", "Tanh", "Sigmoid", "ReLU", "LeakyReLU"}
    assert {SCRIPT.CASES[c][2] for c in CASES} == set(nn.loss_names())
    assert {SCRIPT.CASES[c][3] for c in CASES} == {"mean", "sum"}


@pytest.mark.parametrize("name", CASES)
def test_hvp_matches_torch_fixture(refs, name):
    model, loss, X, y, v = _case(name)
    theta = np.concatenate([p.reshape(-1) for p in model.params.values()])
    np.testing.assert_array_equal(theta, refs[f"{name}/theta"])  # the same network as the script's
    out = hvp(model, loss, X, y, v)
    assert out.method == "r-operator" and out.message == ""
    ref = refs[f"{name}/hvp"]
    assert np.max(np.abs(out.value - ref)) <= 1e-10 * max(1.0, np.max(np.abs(ref)))


@pytest.mark.parametrize("name", CASES)
def test_hessian_matches_torch_fixture_and_is_symmetric(refs, name):
    model, loss, X, y, _ = _case(name)
    H = _full_hessian(HessianOperator(model, loss, X, y))
    ref = refs[f"{name}/hessian"]
    assert np.max(np.abs(H - ref)) <= 1e-10 * max(1.0, np.max(np.abs(ref)))
    assert np.max(np.abs(H - H.T)) <= 1e-12 * max(1.0, np.max(np.abs(H)))


@pytest.mark.parametrize("name", CASES)
def test_hvp_matches_torch_live(name):
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    model, loss, X, y, v = _case(name)
    hv, _ = SCRIPT.torch_references(torch, name)
    out = hvp(model, loss, X, y, v)
    assert np.max(np.abs(out.value - hv)) <= 1e-10 * max(1.0, np.max(np.abs(hv)))


def test_hvp_keeps_the_form_of_v_and_leaves_model_and_loss_alone():
    model, loss, X, y, v = _case("tanh_cross_entropy")
    before = {k: p.copy() for k, p in model.params.items()}
    op = HessianOperator(model, loss, X, y)
    V = op.unflatten(v)
    out = hvp(model, loss, X, y, V)
    assert set(out.value) == set(model.params)
    np.testing.assert_allclose(op.flatten(out.value), hvp(model, loss, X, y, v).value, rtol=0, atol=1e-14)
    for k, p in model.params.items():
        np.testing.assert_array_equal(p, before[k])
    assert loss._cache is None  # the caller's loss object was not run


def test_float32_model_is_differentiated_in_float64():
    model, loss, X, y, v = _case("sigmoid_mse")
    exact = hvp(model, loss, X, y, v).value
    out = hvp(model.astype(np.float32), loss, X, y, v)
    assert out.value.dtype == np.float64
    np.testing.assert_allclose(out.value, exact, rtol=1e-5, atol=1e-6)


def test_dropout_is_off_in_the_curvature():
    model, loss, X, y, v = _case("relu_bce")
    dropped = nn.Sequential(*model.layers[:2], nn.Dropout(0.5, rng=0), *model.layers[2:])
    np.testing.assert_array_equal(hvp(dropped, loss, X, y, v).value, hvp(model, loss, X, y, v).value)


def test_top_eigenvalues_match_eigvalsh_of_the_full_hessian():
    model, loss, X, y, _ = _case("tanh_cross_entropy")
    H = _full_hessian(HessianOperator(model, loss, X, y))
    exact = np.linalg.eigvalsh(H)[::-1]
    out = eigenvalues(model, loss, X, y, k=3, tol=1e-10)
    assert out.converged and out.method == "r-operator"
    np.testing.assert_allclose(out.eigenvalues, exact[:3], rtol=1e-9)
    for lam, u in zip(out.eigenvalues, out.eigenvectors):
        assert np.linalg.norm(H @ u - lam * u) <= 1e-8 * abs(lam)
    assert out.nhvp < HessianOperator(model, loss, X, y).n  # fewer products than forming H


def test_largest_magnitude_finds_a_negative_eigenvalue():
    model, loss, X, y, _ = _case("sigmoid_mse")
    exact = np.linalg.eigvalsh(_full_hessian(HessianOperator(model, loss, X, y)))
    out = eigenvalues(model, loss, X, y, k=2, which="LM", tol=1e-10)
    top = exact[np.argsort(-np.abs(exact))[:2]]
    np.testing.assert_allclose(out.eigenvalues, top, rtol=1e-8)


# ---- a layer of your own: finite differences, said in the result

class Softsign(nn.Layer):
    """x / (1 + |x|): a user layer with forward and backward but no R-operator."""

    def forward(self, X):
        self._X = np.asarray(X, dtype=np.float64)
        return self._X / (1 + np.abs(self._X))

    def backward(self, dout, *, need_input_grad=True):
        return dout / (1 + np.abs(self._X)) ** 2


def test_a_layer_without_r_operator_falls_back_to_finite_differences_and_says_so():
    model, loss, X, y, v = _case("tanh_cross_entropy")
    exact = hvp(model, loss, X, y, v).value
    layers = list(model.layers)
    soft = nn.Sequential(layers[0], Softsign(), layers[2])
    out = hvp(soft, loss, X, y, v)
    assert out.method == "finite-difference"
    assert "layer 1 (Softsign) has no R-operator" in out.message
    # the fallback against the exact product of the same function, taken by torch-free means:
    # a Tanh network's exact product differs, so compare with central differences at two steps
    op = HessianOperator(soft, loss, X, y)
    g = op._gradient_at
    h = 1e-4
    rough = (g(op.theta + h * v) - g(op.theta - h * v)) / (2 * h)
    assert np.max(np.abs(out.value - rough)) <= 1e-6 * np.max(np.abs(rough))
    assert not np.allclose(out.value, exact)


# ---- bad input

def test_errors_name_what_is_wrong():
    model, loss, X, y, v = _case("tanh_cross_entropy")
    with pytest.raises(DescendError, match="at least one sample"):
        hvp(model, loss, X[:0], y[:0], v)
    bad = model.astype(np.float64)
    bad.params["0.weight"][0, 0] = np.nan
    with pytest.raises(DescendError, match="parameter '0.weight' holds non-finite values"):
        hvp(bad, loss, X, y, v)
    with pytest.raises(DescendError, match="flat vector of the 51 parameters"):
        hvp(model, loss, X, y, v[:-1])
    with pytest.raises(DescendError, match="k must be at most the number of parameters \\(51\\), got 52"):
        eigenvalues(model, loss, X, y, k=52)
    with pytest.raises(DescendError, match="k must be an integer >= 1"):
        eigenvalues(model, loss, X, y, k=0)
    with pytest.raises(DescendError, match="one row per sample"):
        hvp(model, loss, X, y[:-1], v)
    with pytest.raises(DescendError, match="batch must be None"):
        eigenvalues(model, loss, X, y, batch=0)
    with pytest.raises(DescendError, match="descend.nn.Sequential"):
        hvp(model.layers[0], loss, X, y, v)
