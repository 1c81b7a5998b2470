"""Stable numerics: no overflow, no 0/0, no warnings, dtypes kept."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import descend

EXTREME = [
    np.array([1e3, -1e3, 0.0]),
    np.array([1e308, -1e308, 1e308]),
    np.array([-1e308, -1e308]),
    np.array([1e308, 1e308, 1e308]),
    np.array([-1e3, -1e3, -1e3, -1e3, -1e3]),
    np.array([0.0]),
]


@pytest.mark.parametrize("x", EXTREME, ids=lambda a: np.array2string(a))
def test_extreme_inputs_are_finite_and_silent(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = descend.softmax(x)
        ls = descend.log_softmax(x)
        lse = descend.logsumexp(x)
        sig = descend.sigmoid(x)
    assert np.all(np.isfinite(s)) and np.isclose(s.sum(), 1.0)
    assert np.all(s >= 0) and np.all(s <= 1)
    assert not np.any(np.isnan(ls)) and np.all(ls <= 0)
    assert np.isfinite(lse) and lse >= x.max() - 1e-300
    assert np.all((sig >= 0) & (sig <= 1))


def test_softmax_axis_and_batch():
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])
    s = descend.softmax(x, axis=-1)
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    s0 = descend.softmax(x, axis=0)
    np.testing.assert_allclose(s0.sum(axis=0), 1.0)


def test_float32_stays_float32():
    x = np.array([1e3, -1e3, 3.0], dtype=np.float32)
    for fn in (descend.softmax, descend.log_softmax, descend.sigmoid):
        assert fn(x).dtype == np.float32
    assert descend.logsumexp(x).dtype == np.float32


def test_integer_input_becomes_float64():
    assert descend.softmax(np.array([1, 2])).dtype == np.float64


def test_sigmoid_extremes_and_symmetry():
    x = np.array([-1e308, -800.0, -1.0, 0.0, 1.0, 800.0, 1e308])
    s = descend.sigmoid(x)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    np.testing.assert_allclose(s + descend.sigmoid(-x), 1.0, rtol=1e-15)
    assert descend.sigmoid(-1.0) == pytest.approx(1 / (1 + np.e))


def test_logsumexp_axis_keepdims_and_values():
    x = np.array([[0.0, np.log(3.0)], [-1e308, -1e308]])
    out = descend.logsumexp(x, axis=1)
    assert out.shape == (2,)
    assert out[0] == pytest.approx(np.log(4.0))
    assert out[1] == -1e308
    assert descend.logsumexp(x, axis=1, keepdims=True).shape == (2, 1)
    assert np.ndim(descend.logsumexp(x)) == 0


def test_log_softmax_equals_log_of_softmax_where_safe():
    x = np.array([0.5, -2.0, 3.0])
    np.testing.assert_allclose(descend.log_softmax(x), np.log(descend.softmax(x)), rtol=1e-14)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e308, 1e308, allow_nan=False)))
def test_property_softmax_is_a_distribution(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = descend.softmax(x)
        lse = descend.logsumexp(x)
    assert np.all(np.isfinite(s)) and abs(s.sum() - 1.0) < 1e-12
    assert lse >= x.max()


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-700, 700, allow_nan=False)))
def test_property_logsumexp_matches_naive_in_safe_range(x):
    naive = np.log(np.sum(np.exp(x)))
    assert descend.logsumexp(x) == pytest.approx(naive, rel=1e-12, abs=1e-12)


def test_condition_number_singular_and_errors():
    assert descend.condition_number(np.array([[1.0, 0.0], [0.0, 0.0]])) == float("inf")
    with pytest.raises(descend.DescendError, match="A must have 2 dimensions, got shape \\(3,\\)"):
        descend.condition_number(np.ones(3))
    with pytest.raises(descend.DescendError, match="A must be finite"):
        descend.condition_number(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_non_numeric_input_is_refused():
    with pytest.raises(descend.DescendError, match="expected real numbers, got dtype"):
        descend.softmax(np.array(["a", "b"]))
