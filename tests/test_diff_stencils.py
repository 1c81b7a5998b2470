"""descend.diff.stencil: Fornberg's weights against the published tables, their moments,
higher-order derivatives from them, and every refusal."""

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descend.diff import KINDS, Stencil, derivative, fornberg_weights, stencil
from descend.errors import DescendError

# The table of central coefficients (Fornberg 1988, Table 1; the same numbers as
# Wikipedia's "Finite difference coefficient"), keyed by (derivative, accuracy).
CENTRAL = {
    (1, 2): "-1/2 0 1/2",
    (1, 4): "1/12 -2/3 0 2/3 -1/12",
    (1, 6): "-1/60 3/20 -3/4 0 3/4 -3/20 1/60",
    (1, 8): "1/280 -4/105 1/5 -4/5 0 4/5 -1/5 4/105 -1/280",
    (2, 2): "1 -2 1",
    (2, 4): "-1/12 4/3 -5/2 4/3 -1/12",
    (2, 6): "1/90 -3/20 3/2 -49/18 3/2 -3/20 1/90",
    (2, 8): "-1/560 8/315 -1/5 8/5 -205/72 8/5 -1/5 8/315 -1/560",
    (3, 2): "-1/2 1 0 -1 1/2",
    (3, 4): "1/8 -1 13/8 0 -13/8 1 -1/8",
    (3, 6): "-7/240 3/10 -169/120 61/30 0 -61/30 169/120 -3/10 7/240",
    (4, 2): "1 -4 6 -4 1",
    (4, 4): "-1/6 2 -13/2 28/3 -13/2 2 -1/6",
    (4, 6): "7/240 -2/5 169/60 -122/15 91/8 -122/15 169/60 -2/5 7/240",
    (5, 2): "-1/2 2 -5/2 0 5/2 -2 1/2",
    (6, 2): "1 -6 15 -20 15 -6 1",
}
# forward coefficients at offsets 0, 1, 2, ...
FORWARD = {
    (1, 1): "-1 1",
    (1, 2): "-3/2 2 -1/2",
    (1, 3): "-11/6 3 -3/2 1/3",
    (1, 4): "-25/12 4 -3 4/3 -1/4",
    (2, 1): "1 -2 1",
    (2, 2): "2 -5 4 -1",
    (2, 3): "35/12 -26/3 19/2 -14/3 11/12",
    (3, 1): "-1 3 -3 1",
    (3, 2): "-5/2 9 -12 7 -3/2",
    (4, 1): "1 -4 6 -4 1",
}


def parse(row):
    return tuple(F(w) for w in row.split())


@pytest.mark.parametrize("key", sorted(CENTRAL))
def test_central_weights_match_the_table(key):
    n, acc = key
    s = stencil(n, acc)
    want = parse(CENTRAL[key])
    m = len(want) // 2
    assert s.offsets == tuple(range(-m, m + 1))
    assert s.fractions == want
    np.testing.assert_array_equal(s.weights, [float(w) for w in want])


@pytest.mark.parametrize("key", sorted(FORWARD))
def test_one_sided_weights_match_the_table(key):
    n, acc = key
    fwd = stencil(n, acc, kind="forward")
    want = parse(FORWARD[key])
    assert fwd.offsets == tuple(range(len(want)))
    assert fwd.fractions == want
    # the backward stencil is the mirror image, with the sign (-1)^n
    bwd = stencil(n, acc, kind="backward")
    assert bwd.offsets == tuple(-c for c in reversed(fwd.offsets))
    assert bwd.fractions == tuple((-1) ** n * w for w in reversed(want))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 9), st.sampled_from([2, 4, 6, 8]), st.sampled_from(KINDS))
def test_moments_define_the_order_and_the_error_term(n, acc, kind):
    """sum_j w_j c_j^k = n! [k == n] for k < n + accuracy, the next moment gives the error."""
    acc = acc if kind == "central" else acc - 1
    s = stencil(n, acc, kind=kind)
    for k in range(n + acc):
        moment = sum(w * F(c) ** k for w, c in zip(s.fractions, s.offsets))
        assert moment == (math.factorial(n) if k == n else 0)
    q = n + acc
    assert s.error_coefficient == sum(w * F(c) ** q for w, c in zip(s.fractions, s.offsets)) / math.factorial(q)
    assert s.error_coefficient != 0 or n == 0  # exactly the accuracy asked for (n=0: f(x) itself, exact)


def test_fornberg_on_an_uneven_grid():
    # f'(0) from f(-1), f(0), f(2): the Lagrange interpolant's slope, worked by hand
    assert fornberg_weights((-1, 0, 2), 1) == (F(-2, 3), F(1, 2), F(1, 6))
    assert fornberg_weights((-1, 0, 2), 0) == (0, 1, 0)


def test_repr_and_len():
    s = stencil(2, 2)
    assert isinstance(s, Stencil) and len(s) == 3
    assert repr(s) == "Stencil(n=2, accuracy=2, kind='central', offsets=(-1, 0, 1), weights=(1, -2, 1))"


# ------------------------------------------------------------------ higher derivatives with them

@pytest.mark.parametrize("n", range(1, 9))
def test_orders_one_to_eight_of_exp(n):
    d = derivative(np.exp, 0.5, n=n, accuracy=6)
    # truncation h^6 against round-off eps / h^n at h = eps^(1/(n + 6)): about eps^(6/(n+6))
    assert abs(d - np.exp(0.5)) / np.exp(0.5) < 100 * np.finfo(float).eps ** (6 / (n + 6))


@pytest.mark.parametrize("kind", ["forward", "backward"])
def test_one_sided_higher_orders_stay_on_their_side(kind):
    seen = []

    def f(x):
        seen.append(float(x))
        return np.sqrt(x) if kind == "forward" else np.sqrt(-x)

    d = derivative(f, 1.0 if kind == "forward" else -1.0, n=2, method=kind, accuracy=3)
    exact = -0.25  # (sqrt x)'' at 1 and (sqrt(-x))'' at -1
    assert abs(d - exact) < 1e-6
    assert all(x >= 1.0 for x in seen) if kind == "forward" else all(x <= -1.0 for x in seen)


def test_order_zero_is_the_value_and_arrays_are_elementwise():
    x = np.linspace(0.1, 2.0, 7)
    assert np.array_equal(derivative(np.sin, x, n=0), np.sin(x))
    d3 = derivative(np.sin, x, n=3, accuracy=6)
    np.testing.assert_allclose(d3, -np.cos(x), atol=1e-7)


def test_error_estimate_of_a_stencil_bounds_the_error():
    for n in range(1, 6):
        d, info = derivative(np.exp, 1.0, n=n, accuracy=4, full_output=True)
        assert abs(d - np.e) <= info.error
        assert info.nfev == info.ncalls  # one call per point, x an array or not


def test_named_first_derivatives_are_unchanged():
    """n=1 with the method's own accuracy is the module docstring's formula, bit for bit."""
    assert derivative(lambda x: x**2, 3.0, h=1e-4, n=1, accuracy=2) == 6.000000000012662
    assert derivative(np.exp, 1.0, method="five-point") == derivative(np.exp, 1.0, method="five-point", accuracy=4)


# ------------------------------------------------------------------ refusals

@pytest.mark.parametrize("kwargs, message", [
    ({"n": -1}, r"n must be an integer >= 0 \(the order of the derivative\), got -1"),
    ({"n": 1.5}, r"n must be an integer >= 0"),
    ({"n": True}, r"n must be an integer >= 0"),
    ({"n": 1, "accuracy": 3}, r"accuracy must be an even integer >= 2 for a central stencil"),
    ({"n": 1, "accuracy": 0}, r"accuracy must be an integer >= 2 and even for a central stencil, got 0"),
    ({"n": 1, "accuracy": 0, "kind": "forward"}, r"accuracy must be an integer >= 1 for a forward stencil, got 0"),
    ({"n": 1, "kind": "sideways"}, r"kind"),
])
def test_a_stencil_that_cannot_be_built(kwargs, message):
    with pytest.raises(DescendError, match=message):
        stencil(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"n": -1}, r"n must be an integer >= 0"),
    ({"n": 3, "method": "richardson"}, r"method='richardson' gives first derivatives only \(n=1\), got n=3; "
                                       r"for n=3 use method='adaptive'"),
    ({"n": 3, "method": "complex", "accuracy": 4}, r"accuracy applies to the stencil methods"),
    ({"method": "complex", "accuracy": 4}, r"accuracy applies to the stencil methods"),
    ({"n": 2, "method": "five-point", "accuracy": 6}, r"method='five-point' is the central stencil of accuracy 4"),
    ({"n": 2, "accuracy": 5}, r"accuracy must be an even integer >= 2 for a central stencil"),
    ({"method": "sideways"}, r"method"),
])
def test_derivative_refuses_what_it_cannot_build(kwargs, message):
    with pytest.raises(DescendError, match=message):
        derivative(np.exp, 1.0, **kwargs)
