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
from test_expression import FORMULAS  # noqa: E402  (the parser's own table of formulas)

#: one formula per node type: each function, each operator, constants, powers of every kind
NODES = [f"{name}(x) + {name}(y / 3) * x" for name in expression.FUNCTIONS] + [
    "-x + -(y * 2)", "x + y", "x - y", "x * y", "x / y", "x**2 + y**0.5 + x**-1 + y**1 + x**0", "x**3 - y**-2.5",
    "2**x + e**y", "x**(2*3) - pi", "x", "3", "x * y + y * x - (x - y) / (y - x)", "(2 + x**2)**(y/3)", "x**y",
]

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, np.inf, -np.inf, np.nan, -np.nan, 1e-310, 1e308, -3.7, 710.0]
POINTS = np.array([[a, b] for a in SPECIAL for b in SPECIAL]
                  + list(np.random.default_rng(20).normal(0.0, 2.0, (200, 2))))


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

@pytest.mark.parametrize("text", NODES + [t for t, _ in FORMULAS])
def test_one_point_is_numpys_bit_for_bit_nans_too(text):
    """One run: the NumPy path evaluates f and its gradient on float64 scalars."""
    p = from_expression(text)
    F, G = _compiled_values(p, 1)
    with np.errstate(all="ignore"):
        F1 = np.array([p.f(x) for x in POINTS])
        G1 = np.array([p.grad(x) for x in POINTS])
    assert np.array_equal(F.view(np.int64), F1.view(np.int64)), text
    assert np.array_equal(G.view(np.int64), G1.view(np.int64)), text


@pytest.mark.parametrize("text", NODES + [t for t, _ in FORMULAS])
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
