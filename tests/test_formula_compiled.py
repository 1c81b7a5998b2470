"""Typed formulas on the compiled path (descend.jit.formula) against the NumPy path, bit for bit.

The evaluator first: every node type, at ordinary points and at nan, inf, 1, 0 and
the like, for one point (the NumPy path's float64 scalars) and for rows of an array;
then whole runs of minimize, compiled=True against compiled=False, for the formulas of
tests/test_expression.py and every elementwise optimizer; then the refusals, the
fallback that says why in Result.extra, and the promise that a new formula compiles
nothing.

"Bit for bit" compares the int64 views of float64 arrays, except that a NaN equals a
NaN whatever its sign: when two NaNs meet in ``+`` or ``*``, which one comes out is
the compiler's choice of operand order, and NumPy itself answers differently for one
point, for the tail of an array and for its SIMD body.  For a single run (one point)
the evaluator gives NumPy's NaN bits too, and the first test checks that.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import descend
from descend.errors import DescendError
from descend.problems import expression, from_expression

numba = pytest.importorskip("numba")

from descend.jit import formula  # noqa: E402  (after the skip: numba is needed from here)

sys.path.insert(0, str(Path(__file__).parent))
from test_expression import FORMULAS, ONE_POINT_FORMULAS, SPECIAL_POINTS  # noqa: E402  (the parser's tables)

#: one formula per node type: each function, each operator, constants, powers of every kind
NODES = [f"{name}(x) + {name}(y / 3) * x" for name in expression.FUNCTIONS] + [
    "-x + -(y * 2)", "x + y", "x - y", "x * y", "x / y", "x**2 + y**0.5 + x**-1 + y**1 + x**0", "x**3 - y**-2.5",
    "2**x + e**y", "x**(2*3) - pi", "x", "3", "x * y + y * x - (x - y) / (y - x)", "(2 + x**2)**(y/3)", "x**y",
]

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, np.inf, -np.inf, np.nan, -np.nan, 1e-310, 1e308, -3.7, 710.0]
POINTS = np.array([[a, b] for a in SPECIAL for b in SPECIAL] + SPECIAL_POINTS
                  + list(np.random.default_rng(20).normal(0.0, 2.0, (200, 2))))
TEXTS = NODES + [t for t, _ in FORMULAS] + ONE_POINT_FORMULAS


@pytest.fixture(autouse=True)
def _decide_now(monkeypatch):
    """compiled=None decides in the caller's thread (descend.jit.ready's switch), so that each
    test sees the path its call takes, not a loop still being prepared in the background."""
    monkeypatch.setenv("DESCEND_JIT_WAIT", "1")


def _bits(a):
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isnan(a), np.int64(0x7FF8000000000000), a.view(np.int64))


def _same(a, b) -> bool:
    """Equal bit for bit, a NaN equal to any NaN (see the module docstring)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return np.array_equal(_bits(a), _bits(b)) if a.dtype == np.float64 else np.array_equal(a, b)


def _compiled_values(p, rows):
    f, g, P = formula.kernels(p, rows)
    n = p.dim
    tmp, out = np.empty(n), np.empty(n)
    F, G = np.empty(len(POINTS)), np.empty((len(POINTS), n))
    for i, x in enumerate(POINTS[:, :n]):
        F[i] = f(0, np.ascontiguousarray(x), P, tmp)
        g(0, np.ascontiguousarray(x), P, tmp, out)
        G[i] = out
    return F, G


# -- the evaluator ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", TEXTS)
def test_one_point_is_numpys_bit_for_bit_nans_too(text):
    """One run: the NumPy path evaluates f and its gradient on float64 scalars."""
    p = from_expression(text)
    F, G = _compiled_values(p, 1)
    with np.errstate(all="ignore"):
        F1 = np.array([p.f(x) for x in POINTS])
        G1 = np.array([p.grad(x) for x in POINTS])
    assert np.array_equal(F.view(np.int64), F1.view(np.int64)), text
    assert np.array_equal(G.view(np.int64), G1.view(np.int64)), text


@pytest.mark.parametrize("text", TEXTS)
def test_rows_are_numpys_arrays_bit_for_bit(text):
    """Several runs: the NumPy path evaluates the rows as one array (a variable exponent is refused)."""
    p = from_expression(text)
    if formula.why_not(p, POINTS):
        assert "exponent depends on a variable" in formula.why_not(p, POINTS)
        assert formula.why_not(p, POINTS[:1]) == ""
        return
    F, G = _compiled_values(p, len(POINTS))
    with np.errstate(all="ignore"):
        assert _same(F, p.f(POINTS)), text
        assert _same(G, p.grad(POINTS)), text


def test_every_node_type_is_covered():
    ops = set()
    for text in NODES:
        for ops_, _, _ in formula.program_of(from_expression(text)):
            ops.update((kind, what if kind >= 2 else None) for kind, what, _, _ in ops_)
    want = {(0, None), (1, None), (2, np.negative)} | {(2, uf) for uf in expression.FUNCTIONS.values()} | {
        (3, uf) for uf in (np.add, np.subtract, np.multiply, np.true_divide, np.power)}
    assert want <= ops, want - ops


def test_every_numpy_loop_is_found_and_checked():
    assert all(formula.ufunc_loop(uf) is not None for uf in formula.LOOPS)
    assert formula._verified() == [True] * len(formula.LOOPS)


def test_a_loop_that_differs_from_numpy_is_refused(monkeypatch):
    monkeypatch.setitem(formula._state, "ok", [uf is not np.tan for uf in formula.LOOPS])
    assert formula.why_not(from_expression("sin(x) + y"), POINTS[:1]) == ""
    why = formula.why_not(from_expression("tan(x) + y"), POINTS[:1])
    assert "tan" in why and "NumPy" in why


def test_the_program_is_the_one_numpy_runs():
    p = from_expression("sin(x) * y")
    (f_ops, f_outs, variables), (g_ops, g_outs, _) = formula.program_of(p)
    assert variables == ("x", "y") and len(f_outs) == 1 and len(g_outs) == 2
    assert f_ops == p.f.fn.ops and g_ops == p.grad.fn.ops
    assert formula.program_of(descend.problems.get("rosenbrock")) is None
    assert expression.program(lambda x: x) is None


# -- whole runs of minimize -------------------------------------------------------------------------

#: the explorer's six, and two more configurations with flags and transforms of their own (each
#: compiles one loop the first time; the evaluator is the same for all, tests/test_jit.py
#: holds every rule)
OPTIMIZERS = [("gd", 1e-3, {}), ("momentum", 1e-3, {}), ("nesterov", 1e-3, {}), ("adagrad", 0.1, {}),
              ("rmsprop", 1e-3, {}), ("adam", 1e-2, {}), ("adam", 1e-2, {"amsgrad": True, "clip_value": 1.0}),
              ("lion", 1e-3, {"weight_decay": 0.01})]

#: starts: ordinary ones, one far away (diverges by growth or to inf), one where some formulas are nan
STARTS = np.array([[0.7, -0.4], [-1.3, 1.1], [2.1, 0.35], [-0.45, -2.2], [40.0, -40.0], [-5.0, 5.0]])

RUN_FORMULAS = [t for t, _ in FORMULAS] + ["sign(x) * abs(y) + x**2", "x**3 - y**-2.5 + log10(abs(x) + 1)"]

FIELDS = ("x", "fun", "grad_norm", "nit", "nfev", "ngev", "status", "success", "message", "optimizer")


def assert_same(a, b, where):
    for k in FIELDS:
        va, vb = getattr(a, k), getattr(b, k)
        same = _same(va, vb) if isinstance(va, (np.ndarray, float)) else va == vb
        assert same, f"{where}: {k} differs: {va!r} vs {vb!r}"
    assert (a.history is None) == (b.history is None), where
    if a.history is not None:
        for k in ("x", "f", "grad_norm", "lr"):
            va, vb = getattr(a.history, k), getattr(b.history, k)
            assert (va is None) == (vb is None) and (va is None or _same(va, vb)), f"{where}: history.{k}"


@pytest.mark.parametrize("name,lr,hp", OPTIMIZERS, ids=[f"{n}-{'-'.join(hp) or 'defaults'}" for n, _, hp in OPTIMIZERS])
def test_minimize_bit_for_bit(name, lr, hp):
    statuses = set()
    # every formula under gd and adam, a third under the others (and one that is nan at the last start)
    texts = RUN_FORMULAS if name in ("gd", "adam") and not hp else RUN_FORMULAS[::3] + [RUN_FORMULAS[7]]
    for text in texts:
        p = from_expression(text)
        kw = dict(optimizer=name, lr=lr, steps=40, gtol=1e-8, max_growth=1e6, **hp)
        for x0 in STARTS[[0, 5]]:  # one run: NaN bits too
            a = descend.minimize(p, x0, compiled=True, history=True, **kw)
            b = descend.minimize(p, x0, compiled=False, history=True, **kw)
            assert np.array_equal(np.asarray(a.fun).view(np.int64), np.asarray(b.fun).view(np.int64)), text
            assert_same(a, b, f"{text} {name} from {x0}")
            statuses.add(a.status)
        if formula.why_not(p, STARTS):
            continue  # several runs and a variable exponent: the NumPy path (test below)
        lrs = lr * np.geomspace(0.1, 300.0, len(STARTS))  # the largest diverge
        for history in (True, "f", False):
            a = descend.minimize(p, STARTS, compiled=True, history=history, **{**kw, "lr": lrs})
            b = descend.minimize(p, STARTS, compiled=False, history=history, **{**kw, "lr": lrs})
            assert_same(a, b, f"{text} {name} batched history={history}")
            statuses.update(a.status)
    assert {"max_steps", "diverged"} <= statuses, statuses


def test_a_new_formula_compiles_nothing():
    from descend.jit import driver

    descend.minimize(from_expression("x**2 + y**2"), [1.0, 2.0], optimizer="adam", steps=3, compiled=True)
    loops = dict(driver._cache)
    signatures = {k: len(v.signatures) for k, v in formula._compiled().items() if hasattr(v, "signatures")}
    a = descend.minimize(from_expression("cosh(x / 7) * (y - 1)**2 + arctan(x * y)"), [1.0, 2.0],
                         optimizer="adam", lr=0.05, steps=200, compiled=True)
    assert a.nit == 200 and a.extra == {}
    assert dict(driver._cache) == loops  # no new loop
    assert {k: len(v.signatures) for k, v in formula._compiled().items() if hasattr(v, "signatures")} == signatures
    assert all(len(fn.signatures) == 1 for fn, _, _ in loops.values())  # nor a new signature of one


def test_compiled_none_takes_the_evaluator(monkeypatch):
    from descend.jit import run as jrun

    calls = []
    real = jrun.run
    monkeypatch.setattr(jrun, "run", lambda *a, **k: calls.append(1) or real(*a, **k))
    p = from_expression("sin(x) * cos(y) + x**2 / 10")
    a = descend.minimize(p, [1.0, 2.0], optimizer="adam", lr=0.01, steps=50)
    assert calls == [1] and a.extra == {}
    assert_same(a, descend.minimize(p, [1.0, 2.0], optimizer="adam", lr=0.01, steps=50, compiled=False), "None")


def test_a_refused_formula_keeps_the_numpy_path_and_says_why(monkeypatch):
    p = from_expression("tan(x / 4) + y**2")
    kw = dict(optimizer="adam", lr=0.01, steps=30)
    expected = descend.minimize(p, [1.0, 2.0], compiled=False, **kw)
    monkeypatch.setitem(formula._state, "ok", [uf is not np.tan for uf in formula.LOOPS])
    got = descend.minimize(p, [1.0, 2.0], **kw)
    assert_same(got, expected, "refused")
    assert "NumPy path" in got.extra["compiled"] and "tan" in got.extra["compiled"]
    assert expected.extra == {}  # compiled=False: asked for, nothing to say
    with pytest.raises(DescendError, match="compiled=True.*tan"):
        descend.minimize(p, [1.0, 2.0], compiled=True, **kw)


def test_a_variable_exponent_with_several_runs_keeps_the_numpy_path():
    p = from_expression("(2 + x**2)**(y / 3)")
    X0 = STARTS[:4]
    kw = dict(optimizer="adam", lr=0.01, steps=30)
    got = descend.minimize(p, X0, **kw)
    assert "exponent depends on a variable" in got.extra["compiled"]
    assert_same(got, descend.minimize(p, X0, compiled=False, **kw), "variable exponent")
    with pytest.raises(DescendError, match="exponent depends on a variable"):
        descend.minimize(p, X0, compiled=True, **kw)
    one = descend.minimize(p, X0[0], compiled=True, **kw)  # one run: compiled
    assert_same(one, descend.minimize(p, X0[0], compiled=False, **kw), "one run")


def test_one_variable():
    p = from_expression("x**4 - 3*x**2 + sin(5*x)", ("x",))
    for x0 in ([0.3], np.array([[0.3], [-1.2], [2.0]])):
        a = descend.minimize(p, x0, optimizer="momentum", lr=0.01, steps=80, compiled=True)
        assert_same(a, descend.minimize(p, x0, optimizer="momentum", lr=0.01, steps=80, compiled=False), str(x0))


def test_without_numba_a_formula_runs_as_before(monkeypatch):
    import builtins

    from descend.optim import fused

    p = from_expression("x**2 / 20 + y**2")
    expected = descend.minimize(p, [1.0, 2.0], optimizer="adam", lr=0.01, steps=40, compiled=False)
    real_import = builtins.__import__

    def no_numba(name, *args, **kwargs):
        if name == "numba" or name.startswith("numba."):
            raise ImportError("No module named 'numba'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numba)
    monkeypatch.setattr(fused, "_numba", None)  # as if never imported in this process
    monkeypatch.setattr(fused, "_cache", {})
    got = descend.minimize(p, [1.0, 2.0], optimizer="adam", lr=0.01, steps=40)
    assert_same(got, expected, "no numba")
    assert got.extra == {}
    with pytest.raises(DescendError, match="numba is not installed"):
        descend.minimize(p, [1.0, 2.0], compiled=True)


def test_runs_split_over_threads_bit_for_bit(monkeypatch):
    from descend.jit import run as jrun

    monkeypatch.setattr(jrun, "_threads", lambda: 4)  # each thread evaluates with its own scratch
    p = from_expression("(x**2 + y - 11)**2 + (x + y**2 - 7)**2 + sin(3*x) / 10")
    X0 = np.random.default_rng(2).uniform(-6.0, 6.0, (200, 2))
    kw = dict(optimizer="rmsprop", lr=np.geomspace(1e-4, 2.0, 200), steps=150, gtol=1e-5, history=True)
    a = descend.minimize(p, X0, compiled=True, **kw)
    assert_same(a, descend.minimize(p, X0, compiled=False, **kw), "threads")
    assert len(set(a.nit)) > 3 and set(a.status) >= {"converged", "max_steps"}
