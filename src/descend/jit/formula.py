"""Typed formulas at compiled speed: one numba evaluator of the formula's straight-line program.

A typed formula (:func:`descend.problems.from_expression`) runs on the NumPy path as a
straight-line program of NumPy operations (:func:`descend.problems.expression.program`:
one ``(kind, what, a, b)`` per distinct node of its checked tree, every operand first).
Here that program is data, not code: each operation becomes four float64 numbers
``(opcode, a, b, c)`` in the array ``P`` that the compiled loop hands its problem kernel
(``FUN(pid, x, P, tmp)`` and ``GRAD(pid, x, P, tmp, out)`` of :mod:`descend.jit.driver`),
and :func:`formula_f` / :func:`formula_grad` walk it, one operation at a time::

    P = [version, ops of f, ops of the gradient, n, one run?, addresses of NumPy's loops...,
         f's program (opcode, a, b, c)..., the gradient's program..., f's root, the gradient's roots]

The evaluator is compiled once and cached on disk by numba, and so is each optimizer's
loop that calls it: a formula never seen before costs no compilation, only the few
microseconds that write its ``P``.

Bit for bit the NumPy path's numbers: ``+ - * /`` and unary minus are the same IEEE
operations on both paths; every function (``sin`` ... ``sign``) and ``**`` call NumPy's
own float64 loop, found by address in the ufunc object, on one element (NumPy's exp,
log, power... are its own SIMD code, not libm's, and ``np.power`` with the exponent the
same for every element takes shortcuts for -1, 0, 0.5, 1 and 2: the loop is called as
the NumPy path calls it, the exponent's stride 0).  Each loop is checked against the
ufunc on :data:`SAMPLE_SIZE` values (nan, infinities, zeros, ones, tiny and huge numbers
among them) once per process; a function whose loop cannot be found or does not match
is refused (:func:`why_not`), and the formula keeps the NumPy path, the reason in
``Result.extra["compiled"]``.  Several runs at once are refused where an exponent depends
on a variable: the NumPy path evaluates the runs still moving as one array (``np.power``
then takes no shortcut) or, when one is left, as one point (shortcuts taken), which a
loop that runs row by row cannot know.

NaNs: where two NaNs meet in ``+`` or ``*``, which one comes out (its sign) is the
compiler's choice of operand order.  For one run the evaluator gives what NumPy's float64
scalars give (the second); for several runs, what its arrays give for a short array (the
first), though NumPy's own SIMD body may give the other: such a NaN can only show in the
result as f or the gradient norm at a start that is already diverged.

numba is optional: nothing here imports it before :func:`kernels` is called.
"""

from __future__ import annotations

import ctypes
import hashlib
import inspect
import sys
import types

import numpy as np

from ..problems import expression

__all__ = ["program_of", "why_not", "kernels", "pack", "ufunc_loop", "fingerprint", "LOOPS", "SAMPLE_SIZE"]

#: the opcodes of the program: constants, variables and IEEE arithmetic evaluated in place,
#: then ``**`` and the functions, each a call of NumPy's loop
CONST, VAR, NEG, ADD, SUB, MUL, DIV, POW = range(8)
_ARITHMETIC = {np.negative: NEG, np.add: ADD, np.subtract: SUB, np.multiply: MUL, np.true_divide: DIV}

#: the NumPy loops the evaluator calls by address, in the order of their opcodes (POW, then
#: every function a formula may call)
LOOPS = (np.power,) + tuple(expression.FUNCTIONS.values())
_OPCODE = {**_ARITHMETIC, **{uf: POW + k for k, uf in enumerate(LOOPS)}}

VERSION = 1.0  # P[0]: the layout of P below
HEAD = 5  # version, ops of f, ops of the gradient, n, one point (1.0) or rows of arrays (0.0)
START = HEAD + 2 * len(LOOPS)  # f's program; before it, (function, data) of each loop of LOOPS

#: values each loop is checked on, once per process, before the evaluator calls it
SAMPLE_SIZE = 2048


# -- the program as data ------------------------------------------------------------------------

def program_of(problem):
    """(f's program, the gradient's program) of a typed formula's problem, each ``(ops, outs,
    variables)`` (:func:`descend.problems.expression.program`); None for any other problem."""
    f = expression.program(problem.f)
    g = expression.program(problem.grad)
    if f is None or g is None:
        return None
    return f, g


def _depends(ops) -> list:
    """For each operation: whether its value depends on a variable."""
    dep = []
    for kind, what, a, b in ops:
        dep.append(kind == 1 or (kind >= 2 and dep[a]) or (kind == 3 and dep[b]))
    return dep


def _encode(ops) -> np.ndarray:
    """The (m, 4) float64 rows (opcode, a, b, c) of a straight-line program."""
    rows = np.zeros((len(ops), 4))
    for i, (kind, what, a, b) in enumerate(ops):
        if kind == 0:
            rows[i] = (CONST, 0, 0, what)
        elif kind == 1:
            rows[i] = (VAR, what, 0, 0)
        else:
            rows[i] = (_OPCODE[what], a, b if kind == 3 else 0, 0)
    return rows


def pack(problem, loops, rows: int) -> np.ndarray:
    """The ``P`` of a typed formula's problem for ``rows`` runs (see the module docstring);
    ``loops`` are the addresses of :data:`LOOPS` (:func:`_addresses`)."""
    (f_ops, f_outs, variables), (g_ops, g_outs, _) = program_of(problem)
    F, G = _encode(f_ops), _encode(g_ops)
    head = np.array([VERSION, len(F), len(G), len(variables), rows == 1], dtype=np.float64)
    return np.concatenate([head, np.asarray(loops, dtype=np.float64), F.reshape(-1), G.reshape(-1),
                           np.array(f_outs + g_outs, dtype=np.float64)])


def _refused(problem, rows: int) -> str:
    """Why this formula cannot take the evaluator (one clause), or ""."""
    ok = _verified()
    for ops, _, _ in program_of(problem):
        dep = _depends(ops)
        for kind, what, a, b in ops:
            if kind >= 2 and what in _OPCODE and _OPCODE[what] >= POW and not ok[_OPCODE[what] - POW]:
                name = "**" if what is np.power else what.__name__
                return (f"NumPy's float64 loop of {name} could not be found, or did not give np.{what.__name__}'s "
                        f"bits, to be called from compiled code")
            if kind == 3 and what is np.power and rows > 1 and dep[b]:
                return ("an exponent depends on a variable: with several runs NumPy's power rounds by how many "
                        "runs move together, which a loop row by row cannot follow")
    return ""


# -- NumPy's loops, by address ------------------------------------------------------------------

def ufunc_loop(uf):
    """(function, data) addresses of ufunc ``uf``'s all-float64 loop, read from the
    ``PyUFuncObject`` (numpy/ufuncobject.h: nin, nout, nargs at 16; functions, data at 32,
    40; ntypes at 48; name at 56; types at 64); None where the layout is not that one."""
    base = id(uf)
    try:
        nin, nout, nargs = (ctypes.c_int * 3).from_address(base + 16)
        functions = ctypes.c_void_p.from_address(base + 32).value
        data = ctypes.c_void_p.from_address(base + 40).value
        ntypes = ctypes.c_int.from_address(base + 48).value
        name = ctypes.c_char_p.from_address(base + 56).value
        types = ctypes.c_void_p.from_address(base + 64).value
        if (nin, nout, nargs, ntypes, name) != (uf.nin, 1, uf.nin + 1, uf.ntypes, uf.__name__.encode()):
            return None
        codes = (ctypes.c_char * (ntypes * nargs)).from_address(types).raw
        want = bytes([np.dtype(np.float64).num] * nargs)
        i = next((j for j in range(ntypes) if codes[nargs * j:nargs * (j + 1)] == want), None)
        if i is None:
            return None
        fptr = (ctypes.c_void_p * ntypes).from_address(functions)[i]
        dptr = (ctypes.c_void_p * ntypes).from_address(data)[i] if data else None
    except (ValueError, TypeError, OSError):  # another layout of the ufunc object
        return None
    if not fptr:
        return None
    return fptr, dptr or 0


def _sample() -> np.ndarray:
    """The values each loop is checked on: ordinary, small, huge and special numbers."""
    rng = np.random.default_rng(20)
    special = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, np.inf, -np.inf, np.nan, -np.nan, 1e-310, -1e-310,
               709.7, 710.0, -745.1, 1e308, -1e308, np.pi, np.e]
    k = SAMPLE_SIZE - len(special)
    wide = k - k // 2 - k // 4
    return np.concatenate([special, rng.normal(0.0, 3.0, k // 2), rng.uniform(-1.0, 1.0, k // 4),
                           10.0 ** rng.uniform(-300, 300, wide) * rng.choice([-1.0, 1.0], wide)])


_state: dict = {}


def _addresses() -> list:
    """(function, data) of each loop of :data:`LOOPS` as a flat list (zeros where not found)."""
    if "loops" not in _state:
        flat = []
        for uf in LOOPS:
            found = ufunc_loop(uf)
            flat += list(found) if found else [0, 0]
        _state["loops"] = flat
    return _state["loops"]


def _verified() -> list:
    """Whether each loop of :data:`LOOPS` was found and gives its ufunc's bits (once per process)."""
    if "ok" not in _state:
        check = _compiled()["check"]
        loops = np.asarray(_addresses(), dtype=np.int64)
        s = _sample()
        e = np.roll(s, 7)  # exponents: every kind of value against every kind
        ok = []
        with np.errstate(all="ignore"):
            for k, uf in enumerate(LOOPS):
                if not loops[2 * k]:
                    ok.append(False)
                    continue
                got = np.empty_like(s)
                if uf is np.power:
                    want = np.power(s, e)
                    check(loops[2 * k], loops[2 * k + 1], s, e, got)
                    same = np.array_equal(got.view(np.int64), want.view(np.int64))
                    for c in (-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, -2.0):  # the exponent of every element the same
                        check(loops[2 * k], loops[2 * k + 1], s, np.full_like(s, c), got)
                        same &= np.array_equal(got.view(np.int64), np.power(s, c).view(np.int64))
                else:
                    check(loops[2 * k], loops[2 * k + 1], s, s[:0], got)
                    same = np.array_equal(got.view(np.int64), uf(s).view(np.int64))
                ok.append(bool(same))
        _state["ok"] = ok
    return _state["ok"]


# -- the compiled evaluator ---------------------------------------------------------------------

def loop1(f, d, v):  # pragma: no cover - the intrinsic of _intrinsics() where compiled
    """One float64 ``v`` through the NumPy loop at address ``f`` (data ``d``)."""
    raise NotImplementedError("loop1 runs compiled only")


def loop2(f, d, a, b):  # pragma: no cover - the intrinsic of _intrinsics() where compiled
    """``a`` and ``b`` through the binary NumPy loop at address ``f`` (data ``d``), b's stride 0."""
    raise NotImplementedError("loop2 runs compiled only")


def _intrinsics():
    """The compiled :func:`loop1` and :func:`loop2`: one call of the loop on one element,
    as NumPy calls it for a one-element array (strides 8; an exponent's stride 0, as for
    one the same for every element)."""
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    def build(nin):
        def codegen(context, builder, signature, args):
            dbl, i64 = ir.DoubleType(), ir.IntType(64)
            i8p = ir.IntType(8).as_pointer()
            fnty = ir.FunctionType(ir.VoidType(), [i8p.as_pointer(), i64.as_pointer(), i64.as_pointer(), i8p])
            argv = cgutils.alloca_once(builder, i8p, size=nin + 1)
            steps = cgutils.alloca_once(builder, i64, size=nin + 1)
            slots = []
            for j in range(nin + 1):
                slot = cgutils.alloca_once(builder, dbl)
                if j < nin:
                    builder.store(args[2 + j], slot)
                slots.append(slot)
                builder.store(builder.bitcast(slot, i8p), builder.gep(argv, [ir.Constant(i64, j)]))
                stride = 0 if (nin == 2 and j == 1) else 8
                builder.store(ir.Constant(i64, stride), builder.gep(steps, [ir.Constant(i64, j)]))
            dims = cgutils.alloca_once(builder, i64)
            builder.store(ir.Constant(i64, 1), dims)
            fn = builder.inttoptr(args[0], fnty.as_pointer())
            builder.call(fn, [argv, dims, steps, builder.inttoptr(args[1], i8p)])
            return builder.load(slots[nin])
        return codegen

    @intrinsic
    def loop1(typingctx, f, d, v):
        return types.float64(types.int64, types.int64, types.float64), build(1)

    @intrinsic
    def loop2(typingctx, f, d, a, b):
        return types.float64(types.int64, types.int64, types.float64, types.float64), build(2)

    return loop1, loop2


def run(P, start, m, x, vals):
    """Evaluate the program of ``m`` operations at ``P[start:]`` at the point ``x`` into ``vals``."""
    one = P[4] != 0.0  # one run: the NumPy path evaluates on float64 scalars, else on arrays
    for i in range(m):
        k = start + 4 * i
        op = int(P[k])
        if op == 0:  # CONST
            vals[i] = P[k + 3]
            continue
        if op == 1:  # VAR
            vals[i] = x[int(P[k + 1])]
            continue
        a = vals[int(P[k + 1])]
        if op == 2:  # NEG
            v = -a
        elif op == 3:  # ADD
            b = vals[int(P[k + 2])]
            # two NaNs: NumPy's float64 scalars give the second one (its arrays, the first)
            v = b if (one and np.isnan(a) and np.isnan(b)) else a + b
        elif op == 4:  # SUB
            v = a - vals[int(P[k + 2])]
        elif op == 5:  # MUL
            b = vals[int(P[k + 2])]
            v = b if (one and np.isnan(a) and np.isnan(b)) else a * b  # two NaNs: as for ADD
        elif op == 6:  # DIV (numba's error_model="numpy": x / 0 is inf or nan, as in NumPy)
            v = a / vals[int(P[k + 2])]
        elif op == 7:  # POW: NumPy's loop, the exponent's stride 0
            v = loop2(int(P[HEAD]), int(P[HEAD + 1]), a, vals[int(P[k + 2])])
        else:  # a function: NumPy's loop
            j = HEAD + 2 * (op - 7)
            v = loop1(int(P[j]), int(P[j + 1]), a)
        vals[i] = v


def formula_f(pid, x, P, tmp):
    """f at the point ``x`` (the compiled loop's ``FUN``): f's program, then its root."""
    m = int(P[1])
    vals = np.empty(m)
    run(P, START, m, x, vals)
    return vals[int(P[START + 4 * (m + int(P[2]))])]


def formula_grad(pid, x, P, tmp, out):
    """The gradient at ``x`` into ``out`` (the compiled loop's ``GRAD``): its program, then its roots."""
    m = int(P[2])
    start = START + 4 * int(P[1])
    vals = np.empty(m)
    run(P, start, m, x, vals)
    roots = start + 4 * m + 1
    for j in range(int(P[3])):
        out[j] = vals[int(P[roots + j])]


def check(f, d, s, e, out):
    """``out[i] = loop(s[i])``, or ``loop(s[i], e[i])`` for a binary loop (``e`` not empty)."""
    if e.shape[0]:
        for i in range(s.shape[0]):
            out[i] = loop2(f, d, s[i], e[i])
    else:
        for i in range(s.shape[0]):
            out[i] = loop1(f, d, s[i])


def _compiled() -> dict:
    """The compiled :func:`formula_f`, :func:`formula_grad` and :func:`check`, cached on disk by
    numba: copies of the functions in a namespace where their helpers are compiled too."""
    if "jit" not in _state:
        import numba as nb

        ns = {"__name__": __name__, "np": np, "HEAD": HEAD, "START": START}
        ns["loop1"], ns["loop2"] = _intrinsics()
        jit = nb.njit(cache=True, nogil=True, error_model="numpy")
        for fn in (run, formula_f, formula_grad, check):
            ns[fn.__name__] = jit(types.FunctionType(fn.__code__, ns, fn.__name__))
        _state["jit"] = ns
    return _state["jit"]


def fingerprint() -> str:
    """A digest of this module's source: part of the key of every compiled loop that calls the evaluator."""
    if "digest" not in _state:
        _state["digest"] = hashlib.sha1(inspect.getsource(sys.modules[__name__]).encode()).hexdigest()[:16]
    return _state["digest"]


# -- what descend.jit asks ----------------------------------------------------------------------

def why_not(problem, X) -> str:
    """"" when the evaluator takes this typed formula's problem from the starts ``X`` (R, n), else why not."""
    return _refused(problem, X.shape[0])


def kernels(problem, rows: int):
    """(f, grad, P) of a typed formula's problem for the compiled loop running ``rows`` runs."""
    ns = _compiled()
    return ns["formula_f"], ns["formula_grad"], pack(problem, _addresses(), rows)
