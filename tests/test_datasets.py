"""descend.datasets: the generators, digits, and the one-epoch batch iterator."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descend import DescendError, datasets


def test_linear_is_seed003s_data():
    d = datasets.linear(1000, seed=0)
    assert d.X.shape == (1000, 2) and d.y.shape == (1000,)
    assert d.X.min() >= 0 and d.X.max() < 1
    np.testing.assert_array_equal(d.y, 3 * d.X[:, 0] + 2 * d.X[:, 1])
    np.testing.assert_array_equal(datasets.linear(1000, seed=0).X, d.X)
    assert not np.array_equal(datasets.linear(1000, seed=1).X, d.X)


def test_linear_weights_bias_noise():
    d = datasets.linear(500, weights=(1, -2, 0.5), bias=4, seed=1)
    np.testing.assert_allclose(d.y, d.X @ [1, -2, 0.5] + 4, rtol=1e-15)
    noisy = datasets.linear(20000, bias=4, noise=0.3, seed=1)
    resid = noisy.y - (noisy.X @ [3, 2] + 4)
    assert abs(resid.std() - 0.3) < 0.01 and abs(resid.mean()) < 0.01


def test_data_split_and_repr():
    d = datasets.moons(100, seed=0)
    s = d.split(0.2, seed=3)
    assert s.X_train.shape == (80, 2) and s.X_test.shape == (20, 2)
    rows = {tuple(r) for r in np.vstack([s.X_train, s.X_test])}
    assert rows == {tuple(r) for r in d.X}  # a split, not a sample
    assert repr(d) == "Data(X (100, 2) float64, y (100,) int64)"
    assert repr(s) == "Split(train: X (80, 2) y (80,), test: X (20, 2) y (20,))"


def test_digits():
    s = datasets.digits(test_size=0.25, seed=0)
    assert s.X_train.shape == (1348, 64) and s.X_test.shape == (449, 64)
    assert s.X_train.min() == 0 and s.X_train.max() == 1
    assert set(np.unique(s.y_train)) == set(range(10)) and s.y_train.dtype == np.int64
    np.testing.assert_array_equal(datasets.digits(seed=0).y_test, s.y_test)
    assert not np.array_equal(datasets.digits(seed=1).y_test, s.y_test)
    assert datasets.digits(dtype=np.float32).X_train.dtype == np.float32


def test_digits_without_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(DescendError, match=r"digits\(\) needs scikit-learn, which is not installed: "
                                           r"pip install 'descend\[data\]' \(or pip install scikit-learn\)"):
        datasets.digits()


def test_spirals():
    d = datasets.spirals(301, classes=3, noise=0.0, seed=0)
    assert d.X.shape == (301, 2)
    assert np.bincount(d.y).tolist() == [101, 100, 100]
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    assert r.max() == pytest.approx(1.0) and r.min() == 0
    assert not np.array_equal(datasets.spirals(300, seed=1).X, datasets.spirals(300, seed=2).X)


def test_moons_and_xor():
    m = datasets.moons(201, noise=0.0, seed=0)
    assert np.bincount(m.y).tolist() == [100, 101]
    np.testing.assert_allclose(np.hypot(*m.X[m.y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(m.X[m.y == 1, 0] - 1, m.X[m.y == 1, 1] - 0.5), 1.0)
    x = datasets.xor(500, seed=0)
    np.testing.assert_array_equal(x.y, (np.sign(x.X[:, 0]) != np.sign(x.X[:, 1])).astype(int))
    assert abs(x.y.mean() - 0.5) < 0.1
    noisy = datasets.xor(500, noise=0.1, seed=0)
    assert not np.array_equal(noisy.X, x.X) and np.array_equal(noisy.y, x.y)


def test_circles():
    c = datasets.circles(201, noise=0.0, factor=0.4, seed=0)
    assert np.bincount(c.y).tolist() == [100, 101]
    np.testing.assert_allclose(np.hypot(*c.X[c.y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*c.X[c.y == 1].T), 0.4)
    noisy = datasets.circles(201, noise=0.1, factor=0.4, seed=0)
    assert not np.array_equal(noisy.X, c.X) and np.array_equal(noisy.y, c.y)
    np.testing.assert_array_equal(noisy.X, datasets.circles(201, noise=0.1, factor=0.4, seed=0).X)
    with pytest.raises(DescendError, match="factor"):
        datasets.circles(10, factor=1.0)


def test_get_and_names():
    assert datasets.names() == ["linear", "digits", "spirals", "moons", "xor", "circles"]
    np.testing.assert_array_equal(datasets.get("xor", n=10, seed=2).X, datasets.xor(10, seed=2).X)


# ---------------------------------------------------------------------------------------------
# batches: an epoch visits every sample exactly once
# ---------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), size=st.one_of(st.none(), st.integers(1, 70)), drop_last=st.booleans(),
       shuffle=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_batches_visit_every_sample_once(n, size, drop_last, shuffle, seed):
    X = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n)
    if drop_last and size is not None and size > n:
        with pytest.raises(DescendError):
            list(datasets.batches(X, y, size, shuffle, seed, drop_last=drop_last))
        return
    got = list(datasets.batches(X, y, size, shuffle, seed, drop_last=drop_last))
    b = n if size is None else size
    sizes = [len(yb) for _, yb in got]
    if drop_last:
        assert sizes == [b] * (n // b)
    else:
        assert sizes == [b] * (n // b) + ([n % b] if n % b else [])
    seen = np.concatenate([yb for _, yb in got]) if got else np.array([], int)
    assert len(set(seen.tolist())) == len(seen)  # no sample twice
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))  # every sample
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)  # rows stay paired
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))


def test_batches_reshuffle_each_epoch_from_one_generator():
    y = np.arange(100)
    rng = np.random.default_rng(0)
    e1 = np.concatenate([b for _, b in datasets.batches(y, y, 10, True, rng)])
    e2 = np.concatenate([b for _, b in datasets.batches(y, y, 10, True, rng)])
    assert sorted(e1) == sorted(e2) == list(range(100)) and not np.array_equal(e1, e2)
    again = np.random.default_rng(0)
    np.testing.assert_array_equal(np.concatenate([b for _, b in datasets.batches(y, y, 10, True, again)]), e1)


def test_batches_do_not_share_memory_when_shuffled():
    X = np.zeros((4, 2))
    for xb, _ in datasets.batches(X, np.arange(4), 2, True, 0):
        xb[...] = 1
    np.testing.assert_array_equal(X, 0)


# ---------------------------------------------------------------------------------------------
# Every error message
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: datasets.linear(0), r"n must be an integer >= 1, got 0"),
    (lambda: datasets.linear(True), r"n must be an integer >= 1, got True"),
    (lambda: datasets.linear(10, weights=()), r"weights must be a non-empty sequence of finite numbers, got \(\)"),
    (lambda: datasets.linear(10, weights=[1, np.nan]), r"weights must be a non-empty sequence of finite numbers"),
    (lambda: datasets.linear(10, bias="1"), r"bias must be a finite number, got '1'"),
    (lambda: datasets.linear(10, noise=-1), r"noise must be a finite number >= 0, got -1"),
    (lambda: datasets.linear(10, seed=-2), r"seed must be None, an integer >= 0 or a numpy.random.Generator, got -2"),
    (lambda: datasets.spirals(10, classes=1), r"classes must be an integer >= 2, got 1"),
    (lambda: datasets.spirals(2, classes=3), r"n must be at least classes=3, got 2"),
    (lambda: datasets.moons(1), r"n must be an integer >= 2, got 1"),
    (lambda: datasets.xor(10, noise=float("inf")), r"noise must be a finite number >= 0, got inf"),
    (lambda: datasets.digits(test_size=1.5), r"test_size must be in \(0, 1\), got 1.5"),
    (lambda: datasets.split(np.ones((3, 2)), np.ones(2)), r"X and y must have the same number of rows, got 3 and 2"),
    (lambda: datasets.split(np.ones((3, 2)), np.ones(3), test_size=0.01),
     r"test_size=0.01 leaves an empty train or test set for 3 samples"),
    (lambda: datasets.get("mnist"), r"unknown data set 'mnist'; valid: linear, digits, spirals, moons, xor"),
    (lambda: datasets.get("xor", size=3), r"data set 'xor': xor\(\) got an unexpected keyword argument 'size'"),
    (lambda: list(datasets.batches(np.ones((3, 2)), np.ones(4), 2)),
     r"X and y must have the same number of rows, got 3 and 4"),
    (lambda: list(datasets.batches(np.float64(1), np.ones(4), 2)),
     r"X and y must have a sample axis, got shapes \(\) and \(4,\)"),
    (lambda: list(datasets.batches(np.ones((3, 2)), np.ones(3), 0)), r"batch_size must be an integer >= 1, got 0"),
    (lambda: list(datasets.batches(np.ones((3, 2)), np.ones(3), 5, drop_last=True)),
     r"batch_size=5 with drop_last=True leaves no batch of 3 samples"),
    (lambda: list(datasets.batches(np.ones((3, 2)), np.ones(3), 2, True, "seed")),
     r"seed must be None, an integer >= 0 or a numpy.random.Generator, got 'seed'"),
])
def test_errors(call, match):
    with pytest.raises(DescendError, match=match):
        call()
