"""No silent wrong answer from the complex step (issue 22, point 4): it is checked against real
values of f at central's step, and DiffInfo.checked says which value was returned."""

import numpy as np
import pytest

from descend.diff import derivative, gradient, jacobian

X = 1.5

#: Functions that keep a complex type without being analytic, and f'(x) for real x > 0.  Before
#: the check the complex step gave 0 for x * conj(x) (exact 3) and 1.5 for abs(x) * x (exact 3).
NOT_ANALYTIC = {
    "x * conj(x)": (lambda z: z * np.conj(z), lambda x: 2 * x),
    "abs(x) * x": (lambda z: np.abs(z) * z, lambda x: 2 * x),
    "conj(x) ** 2": (lambda z: np.conj(z) ** 2, lambda x: 2 * x),
    "x + conj(x)": (lambda z: z + np.conj(z), lambda x: 2 + 0 * x),
    "abs(x) ** 2 + 0j": (lambda z: np.abs(z) ** 2 + 0j, lambda x: 2 * x),
    "exp(conj(x))": (lambda z: np.exp(np.conj(z)), np.exp),
    "sqrt(x * conj(x))": (lambda z: np.sqrt(z * np.conj(z)), lambda x: 1 + 0 * x),
    "sin(conj(x)) * x": (lambda z: np.sin(np.conj(z)) * z, lambda x: np.cos(x) * x + np.sin(x)),
    "real(x) ** 2 + 0j": (lambda z: np.real(z) ** 2 + 0j * z, lambda x: 2 * x),
}


@pytest.mark.parametrize("name", list(NOT_ANALYTIC))
def test_not_analytic_falls_back_to_central_and_says_so(name):
    f, df = NOT_ANALYTIC[name]
    d, info = derivative(f, X, method="complex", full_output=True)
    assert info.checked == "central"
    assert abs(d - df(X)) <= 1e-9 * abs(df(X))
    assert abs(d - df(X)) <= info.error  # central's estimate, not the complex step's
    assert d == derivative(f, X, method="central")  # exactly central's value and step
    assert "checked='central'" in repr(info)


@pytest.mark.parametrize("name", list(NOT_ANALYTIC))
def test_not_analytic_elementwise_and_in_a_gradient(name):
    f, df = NOT_ANALYTIC[name]
    x = np.array([0.5, 1.5, 3.0])
    d, info = derivative(f, x, method="complex", full_output=True)
    np.testing.assert_allclose(d, df(x), rtol=1e-9)
    assert list(info.checked) == ["central"] * 3
    g, ginfo = gradient(lambda p: np.sum(f(p)), x, method="complex", full_output=True)
    np.testing.assert_allclose(g, df(x), rtol=1e-8)
    assert np.all(ginfo.checked == "central")


@pytest.mark.parametrize("f, df, x", [
    (np.exp, np.exp, 1.0), (np.sin, np.cos, 0.3), (lambda z: z**3, lambda x: 3 * x * x, 0.0),
    (np.log, lambda x: 1 / x, 7.0), (np.arctan, lambda x: 1 / (1 + x * x), 1e3),
    (lambda z: np.exp(np.sin(z)) / (1 + z * z), None, 2.0)])
def test_analytic_functions_pass_and_keep_the_complex_step(f, df, x):
    d, info = derivative(f, x, method="complex", full_output=True)
    assert info.checked == "passed" and info.h < 1e-27
    if df is not None:
        assert abs(d - df(x)) <= 4 * np.finfo(float).eps * abs(df(x)) + 1e-60  # z^3 at 0: -h^2


def test_an_explicit_step_is_used_as_given_for_an_analytic_f():
    for h in (1e-2, 1e-5, 1e-20):
        d, info = derivative(np.sin, 0.7, method="complex", h=h, full_output=True)
        assert info.checked == "passed" and d == np.sin(0.7 + 1j * h).imag / h


def test_exp_at_minus_700_the_complex_step_underflows_and_the_check_combines():
    """h f' = 1e-304 * 5e-32 is subnormal: the complex step alone keeps a few digits; the mean
    of central and the complex step at central's step cancels both truncation errors."""
    d, info = derivative(np.exp, -700.0, method="complex", full_output=True)
    exact = np.exp(-700.0)
    assert info.checked == "combined"
    assert abs(d - exact) <= 1e-10 * exact
    assert abs(d - exact) <= info.error


@pytest.mark.parametrize("f, exact, x", [(lambda z: 1 / z, -1e12, 1e-6), (np.log, 1e7, 1e-7)])
def test_a_pole_within_centrals_step_leaves_the_complex_step_unchecked(f, exact, x):
    """Central's points (x +- 6e-6) cross the pole: the check cannot judge, the complex step
    (a step of 5e-32) is right and is returned, marked unchecked."""
    with np.errstate(all="ignore"):
        d, info = derivative(f, x, method="complex", full_output=True)
    assert info.checked == "unchecked"
    assert abs(d - exact) <= 1e-14 * abs(exact)


def test_jacobian_entry_by_entry():
    J, info = jacobian(lambda p: np.array([p[0] * np.conj(p[1]), np.exp(p[0]) * p[1]]),
                       np.array([1.0, 2.0]), method="complex", full_output=True)
    np.testing.assert_allclose(J, [[2.0, 1.0], [2 * np.e, np.e]], rtol=1e-9)
    # p0 * conj(p1) is analytic in p0 (the complex step along p0 is right) but not in p1
    assert info.checked.tolist() == [["passed", "central"], ["passed", "passed"]]
    assert info.h[0, 1] > 1e-6 and info.h[0, 0] < 1e-30  # each entry's own step


def test_other_methods_have_no_check():
    assert derivative(np.exp, 1.0, full_output=True)[1].checked is None
    assert gradient(lambda p: np.sum(p * p), np.ones(2), method="richardson", full_output=True)[1].checked is None
