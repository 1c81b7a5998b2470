"""The typed-formula parser: what it accepts, what it refuses, its values and its derivatives."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descend
from descend.problems import expression
from descend.errors import DescendError
from descend.expression import parse
from descend.problems import from_expression

# (formula, the same function written in NumPy)
FORMULAS = [
    ("x**2/20 + y**2", lambda x, y: x ** 2 / 20 + y ** 2),
    ("sin(x)*cos(y)", lambda x, y: np.sin(x) * np.cos(y)),
    ("(1-x)**2 + 100*(y-x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2),
    ("exp(-x**2 - y**2) * tanh(x + 2*y)", lambda x, y: np.exp(-x ** 2 - y ** 2) * np.tanh(x + 2 * y)),
    ("log(1 + x**2) - sqrt(1 + y**2)", lambda x, y: np.log(1 + x ** 2) - np.sqrt(1 + y ** 2)),
    ("arctan(x*y) + sinh(x/3) * cosh(y/3)", lambda x, y: np.arctan(x * y) + np.sinh(x / 3) * np.cosh(y / 3)),
    ("tan(x/4) + log2(2 + y**2) + log10(3 + x**2)",
     lambda x, y: np.tan(x / 4) + np.log2(2 + y ** 2) + np.log10(3 + x ** 2)),
    ("arcsin(x/4) + arccos(y/4)", lambda x, y: np.arcsin(x / 4) + np.arccos(y / 4)),
    ("(2 + x**2)**(y/3) - -x + +y", lambda x, y: (2 + x ** 2) ** (y / 3) + x + y),
    ("pi*x - e*y + 1.5e-1", lambda x, y: math.pi * x - math.e * y + 0.15),
    ("abs(x - 0.3) + y**3", lambda x, y: np.abs(x - 0.3) + y ** 3),
    ("x**-2 + 1/(1 + y*y)", lambda x, y: x ** -2.0 + 1 / (1 + y * y)),
]

POINTS = np.array([[0.7, -0.4], [-1.3, 1.1], [2.1, 0.35], [-0.45, -2.2]])


@pytest.mark.parametrize("text,reference", FORMULAS)
def test_values_match_numpy(text, reference):
    e = parse(text)
    got = e(x=POINTS[:, 0], y=POINTS[:, 1])
    np.testing.assert_allclose(got, reference(POINTS[:, 0], POINTS[:, 1]), rtol=1e-13)


@pytest.mark.parametrize("text,reference", FORMULAS)
def test_gradient_matches_finite_differences(text, reference):
    p = from_expression(text)
    for point in POINTS:
        numerical = descend.gradient(p.f, point, method="five-point")
        np.testing.assert_allclose(p.grad(point), numerical, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("text,reference", FORMULAS[:6])
def test_hessian_matches_finite_differences(text, reference):
    p = from_expression(text)
    for point in POINTS:
        np.testing.assert_allclose(p.hessian(point), descend.hessian(p.f, point), rtol=1e-4, atol=1e-4)


def test_rosenbrock_typed_is_the_registered_one():
    typed = from_expression("(1 - x)**2 + 100*(y - x**2)**2")
    ref = descend.problems.get("rosenbrock")
    X = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_allclose(typed.f(X), ref.f(X), rtol=1e-14)
    np.testing.assert_allclose(typed.grad(X), ref.grad(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(typed.hessian(X), ref.hessian(X), rtol=1e-12, atol=1e-12)
    a = descend.minimize(typed, [-1.2, 1.0], optimizer="adam", lr=0.01, steps=50)
    b = descend.minimize(ref, [-1.2, 1.0], optimizer="adam", lr=0.01, steps=50)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-12)


def test_problem_shapes_and_defaults():
    p = from_expression("x**2/20 + y**2")
    assert p.dim == 2 and p.window == ((-3.0, 3.0), (-3.0, 3.0))
    assert p.x0.tolist() == [-2.0, 2.0]
    assert math.isnan(p.minimum) and p.minimizers.shape == (0, 2)
    assert p.description == "f(x, y) = x**2/20 + y**2"
    assert p.f(np.zeros((3, 4, 2))).shape == (3, 4)
    assert p.grad(np.zeros((3, 4, 2))).shape == (3, 4, 2)
    assert p.hessian(np.zeros((5, 2))).shape == (5, 2, 2)
    c = from_expression("3")  # a constant still has one value per point
    assert c.f(np.zeros((4, 2))).tolist() == [3.0] * 4
    assert c.grad(np.ones((4, 2))).tolist() == [[0.0, 0.0]] * 4


def test_one_variable_and_complex_step():
    p = from_expression("sin(x) * exp(x)", ("x",))
    assert p.dim == 1 and p.x0.tolist() == [1.0]
    exact = np.cos(0.5) * np.exp(0.5) + np.sin(0.5) * np.exp(0.5)
    assert p.grad(0.5) == pytest.approx(exact, rel=1e-15)
    assert descend.derivative(lambda t: p.f(np.asarray(t)), 0.5, method="complex") == pytest.approx(exact, rel=1e-14)
    with pytest.raises(DescendError, match="the name 'y' is not allowed"):
        from_expression("x + y", ("x",))


def test_window_and_start_are_checked():
    p = from_expression("x*y", window=((0, 4), (-1, 1)))
    assert p.x0.tolist() == pytest.approx([4 / 6, 1 - 2 / 6])
    with pytest.raises(DescendError, match="window"):
        from_expression("x*y", window=((1, 0), (0, 1)))
    with pytest.raises(DescendError, match="variables"):
        from_expression("x", ("x", "z"))


def test_overflow_is_inf_not_an_error():
    p = from_expression("exp(1000*x) + x**y")
    with np.errstate(all="raise"):  # the problem silences its own overflow
        v = p.f(np.array([[1.0, 0.5], [-1.0, 0.5]]))
    assert math.isinf(v[0]) and math.isnan(v[1])
    assert descend.minimize(p, [1.0, 1.0], steps=3).status == "diverged"


def test_derivatives_stay_small():
    e = parse("(1-x)**2 + 100*(y-x**2)**2")
    assert str(e.diff("y")) == "100 * 2 * (y - x**2)"
    assert str(parse("x**2/20").diff("x")) == "2 * x / 20"
    assert parse("sin(x)").diff("y") == expression.ZERO


def test_printing_round_trips():
    for text, _ in FORMULAS:
        e = parse(text)
        again = parse(str(e))
        np.testing.assert_allclose(again(x=POINTS[:, 0], y=POINTS[:, 1]), e(x=POINTS[:, 0], y=POINTS[:, 1]),
                                   rtol=1e-14)
        for v in ("x", "y"):
            d = e.diff(v)
            np.testing.assert_allclose(parse(str(d))(x=POINTS[:, 0], y=POINTS[:, 1]),
                                       d(x=POINTS[:, 0], y=POINTS[:, 1]) + 0 * POINTS[:, 0], rtol=1e-13)


REFUSED = [
    ("__import__('os').system('touch {marker}')", "attribute access"),
    ("__import__('os')", "the function '__import__' is not allowed"),
    ("open('{marker}', 'w')", "the function 'open' is not allowed"),
    ("exec('open(\"{marker}\", \"w\")')", "the function 'exec' is not allowed"),
    ("eval('1')", "the function 'eval' is not allowed"),
    ("x.real", "attribute access"),
    ("().__class__.__bases__[0].__subclasses__()", "not allowed"),
    ("x[0]", "subscripts"),
    ("lambda: 1", "lambdas"),
    ("[a for a in (1, 2)]", "comprehensions"),
    ("sum(a for a in (1, 2))", "the function 'sum' is not allowed"),
    ("{a: 1 for a in (1,)}", "comprehensions"),
    ("np.sin(x)", "attribute access"),
    ("os", "the name 'os' is not allowed"),
    ("z + 1", "the name 'z' is not allowed"),
    ("x ^ 2", r"\^ \(use \*\* for powers\)"),
    ("x // 2", "the operator //"),
    ("x % 2", "the operator %"),
    ("~x", "the operator ~"),
    ("not x", "the operator not"),
    ("x < y", "comparisons"),
    ("x and y", "and / or"),
    ("x if y else 1", "if-else"),
    ("(x := 2)", "assignments"),
    ("'text'", "strings"),
    ("f'{{x}}'", "strings"),
    ("b'x'", "bytes"),
    ("1j * x", "complex numbers"),
    ("True + x", "the constant True"),
    ("None", "the constant None"),
    ("(x, y)", "tuples"),
    ("[x]", "lists"),
    ("sin", "must be called with one argument"),
    ("sin(x, y)", "exactly one argument"),
    ("sin(*[x])", "exactly one argument"),
    ("sin(x=1)", "keyword arguments"),
    ("x(1)", "the function 'x' is not allowed"),
    ("(lambda: 1)()", "lambdas"),
    ("x**1000", "exponent 1000 is too large"),
    ("x**-101", "exponent -101 is too large"),
    ("1e999 * x", "not finite"),
    ("9" * 320 + " + x", "this large"),
    ("x +", "is not a formula"),
    ("x = 1", "is not a formula"),
    ("import os", "is not a formula"),
    ("x\x00", "is not a formula"),
    ("", "is empty"),
    ("   ", "is empty"),
    ("x + " * 120 + "x", "characters long; at most 400"),
    ("-" * 105 + "x", "nesting deeper than 100"),
    ("x+" * 101 + "x", "nesting deeper than 100"),
]


@pytest.mark.parametrize("text,message", REFUSED)
def test_refused_with_the_allowed_syntax(text, message, tmp_path):
    marker = tmp_path / "pwned"
    text = text.replace("{marker}", str(marker))
    with pytest.raises(DescendError, match=message) as info:
        from_expression(text)
    msg = str(info.value)
    assert "allowed: numbers, the variables x, y" in msg and "sin" in msg  # shows the allowed syntax
    assert "\n" not in msg
    assert not marker.exists()


def test_long_flat_formulas_are_allowed():
    p = from_expression("*".join(["(x+y)"] * 60))  # a chain of 59 products nests 59 deep in the syntax tree
    assert p.f(np.array([0.5, 0.5])) == 1.0 and p.grad(np.array([0.5, 0.5])).tolist() == [60.0, 60.0]
    assert float(parse("(" * 190 + "x" + ")" * 190)(x=2.0)) == 2.0  # parentheses add no nesting


def test_not_a_string():
    with pytest.raises(DescendError, match="expression must be a string"):
        parse(3)


def test_too_complex_to_differentiate(monkeypatch):
    monkeypatch.setattr(expression, "MAX_NODES", 30)
    with pytest.raises(DescendError, match="too complex for an analytic"):
        from_expression("sin(x*y)*cos(x+y)*exp(x-y)*tanh(x/y)")


# -- property tests: random formulas from the grammar -------------------------------------------

_leaf = st.one_of(st.sampled_from(["x", "y", "pi", "e"]),
                  st.floats(0.1, 5.0, allow_nan=False).map(lambda v: f"{v:.3g}"))


def _extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]}) / (2 + ({t[1]})**2)"),
        st.tuples(st.sampled_from(["sin", "cos", "tanh", "arctan", "exp"]), children).map(
            lambda t: f"{t[0]}(({t[1]})/4)"),
        st.tuples(children, st.integers(0, 3)).map(lambda t: f"({t[0]})**{t[1]}"),
        children.map(lambda c: f"-({c})"),
    )


formulas = st.recursive(_leaf, _extend, max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(formulas, st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_random_formulas_gradient(text, x, y):
    p = from_expression(text)
    point = np.array([x, y])
    value = p.f(point)
    if not np.isfinite(value) or abs(value) > 1e6:
        return
    g = p.grad(point)
    numerical = descend.gradient(p.f, point, method="complex")
    np.testing.assert_allclose(g, numerical, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused_cleanly(text):
    try:
        e = parse(text)
    except DescendError as exc:
        assert "allowed" in str(exc)
    else:
        assert isinstance(e, expression.Expr)


# -- the command line shares the parser -----------------------------------------------------------

def test_cli_minimize_takes_a_formula(capsys):
    from descend.cli import main

    assert main(["minimize", "x**2/20 + y**2", "--x0", "2,1", "--lr", "0.5", "--steps", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = descend.minimize(from_expression("x**2/20 + y**2"), np.array([2.0, 1.0]), lr=0.5, steps=30)
    assert out["fun"] == ref.fun and out["x"] == ref.x.tolist()


def test_cli_refuses_a_malicious_formula_in_one_line(capsys, tmp_path):
    from descend.cli import main

    marker = tmp_path / "pwned"
    assert main(["minimize", f"__import__('os').system('touch {marker}')"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "attribute access" in err and "allowed: numbers" in err
    assert not marker.exists()
    assert main(["minimize", "x*y", "--param", "n=3"]) == 2
    assert "--param is for a registered problem" in capsys.readouterr().err


def test_a_typed_problem_pickles_for_worker_processes():
    import pickle

    p = from_expression("sin(x)*y + x**2", window=((-1, 1), (0, 2)))
    q = pickle.loads(pickle.dumps(p))
    X = np.random.default_rng(1).normal(size=(4, 2))
    assert np.array_equal(q.f(X), p.f(X)) and np.array_equal(q.grad(X), p.grad(X))
    assert q.window == p.window and q.params == p.params and q.description == p.description


ONE_POINT_FORMULAS = ["(1-x)**2 + 100*(y-x**2)**2", "sin(x)*cos(y)", "x**2/20 + y**2",
                      "exp(-x**2-y**2)*log(1+x**2) + sqrt(abs(y))", "tanh(x*y) + arctan(y)/x + x**3 - 2**y",
                      "1/x + y", "x", "3", "log(x) + sqrt(y)", "(x*y)**0.5 - y**-2",
                      "sign(x)*cosh(y/3) + log10(abs(x)+1) + log2(2+y**2) + tan(x) - arcsin(y/10)"]
SPECIAL_POINTS = [[0.0, 0.0], [0.0, -1.0], [-2.0, 0.5], [1e200, 1e200], [-1e200, 3.0], [np.inf, 1.0],
                  [np.nan, 0.0], [-0.0, 5e-324]]


@pytest.mark.parametrize("text", ONE_POINT_FORMULAS)
def test_one_point_evaluation_is_the_batch_evaluation_bit_for_bit(text):
    """A step of minimize evaluates one point on float64 scalars: the same numbers as the rows of
    a batch, for f, its gradient and its Hessian, nan, inf and division by 0 included."""
    p = from_expression(text)
    X = np.concatenate([np.random.default_rng(3).normal(size=(300, 2)) * 3, SPECIAL_POINTS])
    for fn in (p.f, p.grad, p.hessian):
        batch = fn.fn._on_arrays(X)
        np.testing.assert_array_equal(fn(X), batch)  # a batch takes the array path
        for k, point in enumerate(X):
            one, row = fn(point), fn(X[k:k + 1])
            assert one.shape == batch[k].shape and row.shape == (1,) + batch[k].shape
            assert np.array_equal(one, batch[k], equal_nan=True), (text, point, one, batch[k])
            assert np.array_equal(row[0], batch[k], equal_nan=True), (text, point, row, batch[k])


def test_one_point_evaluation_in_one_dimension_and_float32():
    p = from_expression("x**3 - 2*x", variables=("x",))
    assert p.f(np.array([2.0])) == 4.0 and p.grad(np.array([2.0])).tolist() == [10.0]
    assert float(p.grad(2.0)) == 10.0  # a plain number still gives a plain number
    q = from_expression("x*y + 1/x")
    x32 = np.array([0.5, 3.0], dtype=np.float32)  # not float64: the array path, its dtype kept
    assert q.f(x32).dtype == np.float64 and q.f(x32) == q.f(x32.astype(np.float64)) == 3.5
    c = from_expression("x + y")
    z = np.array([1.0 + 2.0j, 0.5])  # complex (the complex-step derivative): the array path
    assert c.f(z) == 1.5 + 2.0j
