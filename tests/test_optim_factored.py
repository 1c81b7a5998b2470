"""Adafactor's compiled sweeps (descend.optim.factored) against the NumPy rule, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from descend import optim
from descend.optim import factored, fused


@pytest.mark.parametrize("n", [1, 7, 8, 9, 127, 128, 129, 255, 1000, 4096, 8193, 100_003])
def test_pairwise_sum_adds_in_numpys_order(n):
    a = np.random.default_rng(n).standard_normal(n) ** 2 * 10.0 ** np.random.default_rng(0).integers(-8, 8, n)
    assert factored.pairwise_sum(a, 0, n) == np.sum(a)  # == on floats: the same bits
    assert factored.pairwise_sum(a, 3, n - 3) == np.sum(a[3:]) if n > 3 else True


def test_row_sumsq_is_numpys_per_row_sum_in_blocks():
    x = np.random.default_rng(0).standard_normal((700, 333)).astype(np.float32)
    x64 = x.astype(np.float64)
    assert np.array_equal(factored.row_sumsq(x, rows=64), (x64 * x64).sum(axis=-1))
    assert factored.row_sumsq(np.float64(3.0)).tolist() == [9.0]


CASES = [{}, {"weight_decay": 0.1},
         {"weight_decay": 0.1, "decoupled_weight_decay": False, "clip_value": 0.5},
         {"clip_norm": 1.0, "maximize": True, "d": 2.0, "eps": (1e-6, 1e-3)}]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", CASES, ids=["plain", "decoupled", "coupled_clip", "clipnorm_max"])
def test_compiled_sweeps_equal_the_rule_bit_for_bit(kw, dtype):
    pytest.importorskip("numba")
    x0 = np.random.default_rng(1).standard_normal((203, 517)).astype(dtype)
    out = []
    for use in (False, True):
        x = x0.copy()
        opt = optim.Adafactor(lr=0.05, fused=use, **kw)
        for k in range(4):
            opt.step(x, (np.sin(x.astype(np.float64) * (k + 1)) + 0.1).astype(dtype))
        out.append((x, opt.state_dict()))
    assert factored.kernels() is not None and "adafactor" not in fused.failures
    (xa, da), (xb, db) = out
    assert not np.array_equal(xa, x0)
    assert np.array_equal(xa, xb)
    for k in da:
        assert np.array_equal(np.asarray(da[k]), np.asarray(db[k])), k


def test_sweeps_take_the_matrices_and_leave_the_rest_to_the_rule(monkeypatch):
    pytest.importorskip("numba")
    seen = []
    real = factored.step_matrix
    monkeypatch.setattr(factored, "step_matrix", lambda sweeps, p, *a: seen.append(p.shape) or real(sweeps, p, *a))
    rng = np.random.default_rng(2)
    params = {"w": rng.standard_normal((200, 300)), "b": rng.standard_normal(300), "t": rng.standard_normal((2, 3, 4))}
    grads = {k: np.cos(v) for k, v in params.items()}
    ref = {k: v.copy() for k, v in params.items()}
    optim.Adafactor(fused=None).step(params, grads)   # 60k + 300 + 24 elements: the sweeps take "w"
    optim.Adafactor(fused=False).step(ref, grads)
    assert seen == [(200, 300)]
    assert all(np.array_equal(params[k], ref[k]) for k in params)
    seen.clear()
    small = {"w": rng.standard_normal((20, 30))}
    optim.Adafactor().step(small, {"w": small["w"]})       # below FUSED_MIN_SIZE: the rule
    optim.Adafactor(lr=np.array([0.1, 0.2]), fused=True).step(rng.standard_normal((2, 20, 30)),
                                                              np.ones((2, 20, 30)), runs=2)  # per run: the rule
    assert seen == []


def test_without_numba_the_rule_runs(monkeypatch):
    monkeypatch.setenv("DESCEND_NO_NUMBA", "1")
    monkeypatch.setattr(factored, "_compiled", None)
    x = np.random.default_rng(3).standard_normal((300, 200))
    y = x.copy()
    optim.Adafactor(fused=True).step(x, np.sin(x))
    optim.Adafactor(fused=False).step(y, np.sin(y))
    assert np.array_equal(x, y) and factored._compiled is None
