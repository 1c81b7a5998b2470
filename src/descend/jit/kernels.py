"""f and its gradient of the registered test problems, one row at a time, for numba.

A problem's math is written once, in :mod:`descend.problems.formulas` (the definitions
sit beside their factories); NumPy runs it on the columns of a batch, and this module
builds the same functions for one row ``x`` (an ``(n,)`` array), with the problem's
numbers in ``P`` (a float64 array) and a scratch array ``tmp`` of length n:

* ``f(x, P, tmp) -> float``
* ``grad(x, P, tmp, out)`` fills ``out`` (n,)

The definitions are plain arithmetic, so the compiled copy does NumPy's operations in
NumPy's order (``a * b * c`` is ``(a * b) * c``); a sum along a row is NumPy's pairwise
sum (:func:`pairwise`, the algorithm of NumPy's ``pairwise_sum``: eight accumulators over
blocks of 128, halves above), so a row gives the very bits NumPy gives it.  ``np.sin``
and ``np.cos`` are glibc's in both; NumPy's ``exp`` and ``expm1`` are its own AVX-512
code, so the definitions' ``exp`` and ``expm1`` call NumPy's loops themselves, by address
(:func:`_numpy_loops`, found in each process and handed to the compiled code as the
symbol ``descend_numpy_loops``).  NumPy's matrix products (OpenBLAS, whose rounding
depends on how many rows it multiplies) have no twin here, so least_squares, quadratic
and ill_conditioned keep the NumPy path (:data:`WITHOUT`, from
:data:`descend.problems.formulas.NUMPY_ONLY`).

The row functions are generated Python, jitted where the loop is compiled (numba is optional).
"""

from __future__ import annotations

import dis
import hashlib
import inspect
import linecache
import math
import types

import numpy as np

from ..problems.formulas import NUMPY_ONLY, definitions

__all__ = ["KERNELS", "WITHOUT", "pairwise", "params_of", "fingerprint", "lanes"]


def pairwise(a, lo, n):
    """NumPy's pairwise sum of ``a[lo:lo + n]`` for n <= 128 (``pairwise_sum`` in
    numpy/_core/src/umath/loops_utils.h.src): a plain loop below 8 terms, eight
    accumulators up to 128.  (Above, NumPy splits in halves; the compiled path takes
    at most :data:`descend.jit.MAX_DIM` = 128 variables, so no sum here is that long.)"""
    if n > 128:
        raise ValueError("pairwise: more than 128 terms")
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = lo + 8
    stop = lo + n - (n % 8)
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


def einsum_sq(g, n):
    """NumPy's ``einsum("ij,ij->i", G, G)`` for one row of n > 8 (minimize's row norms above 8
    columns): NumPy's ``sum_of_products_contig_contig_outstride0_two`` as built for the
    SSE baseline, two lanes, four vectors a turn (``a3*b3 + acc``, then a2, a1, a0), no
    fused multiply-add, the lanes added last.  Checked against ``np.einsum`` before use
    (:func:`einsum_ok`): another build of NumPy may sum in another order."""
    v0 = 0.0
    v1 = 0.0
    i = 0
    while n - i >= 8:
        t0 = g[i + 6] * g[i + 6] + v0
        t1 = g[i + 7] * g[i + 7] + v1
        t0 = g[i + 4] * g[i + 4] + t0
        t1 = g[i + 5] * g[i + 5] + t1
        t0 = g[i + 2] * g[i + 2] + t0
        t1 = g[i + 3] * g[i + 3] + t1
        v0 = g[i] * g[i] + t0
        v1 = g[i + 1] * g[i + 1] + t1
        i += 8
    while i < n:
        v0 = g[i] * g[i] + v0
        v1 = (g[i + 1] * g[i + 1] if i + 1 < n else 0.0) + v1
        i += 2
    return 0.0 + (v0 + v1)



def ufunc_d(fptr, dptr, v):  # pragma: no cover - replaced by an intrinsic where compiled
    """One float64 through the NumPy ufunc loop at address ``fptr`` (see :func:`_ufunc_intrinsic`)."""
    raise NotImplementedError("ufunc_d runs compiled only")



def _numpy_loops():
    """(function, data) addresses of NumPy's float64 loops for exp and expm1, as int64.

    NumPy's exp and expm1 are its own AVX-512 code, not libm's, and round differently;
    the compiled kernels call the very loops NumPy calls (found in the ufunc object, the
    ``PyUFuncObject`` fields ``functions``/``data``/``types`` of numpy/ufuncobject.h),
    one element at a time.  Checked against ``np.exp``/``np.expm1`` on 4000 values
    before use; None if anything does not match (ackley then keeps the NumPy path).
    """
    import ctypes

    out = []
    proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
    sample = np.concatenate([np.linspace(-40.0, 40.0, 2001), np.random.default_rng(0).normal(0.0, 3.0, 1999)])
    for uf in (np.exp, np.expm1):
        try:
            base = id(uf)
            nin, nout, nargs = (ctypes.c_int * 3).from_address(base + 16)
            functions = ctypes.c_void_p.from_address(base + 32).value
            data = ctypes.c_void_p.from_address(base + 40).value
            ntypes = ctypes.c_int.from_address(base + 48).value
            name = ctypes.c_char_p.from_address(base + 56).value
            types = ctypes.c_void_p.from_address(base + 64).value
            if (nin, nout, nargs, ntypes, name) != (1, 1, 2, uf.ntypes, uf.__name__.encode()):
                return None
            codes = (ctypes.c_char * (ntypes * 2)).from_address(types).raw
            d = bytes([np.dtype(np.float64).num] * 2)
            i = next(j for j in range(ntypes) if codes[2 * j:2 * j + 2] == d)
            fptr = (ctypes.c_void_p * ntypes).from_address(functions)[i]
            dptr = (ctypes.c_void_p * ntypes).from_address(data)[i] if data else None
            got = np.empty_like(sample)
            for j, v in enumerate(sample):  # one element per call, as the kernels call it
                a, b = np.array([v]), np.empty(1)
                proto(fptr)((ctypes.c_void_p * 2)(a.ctypes.data, b.ctypes.data), (ctypes.c_ssize_t * 1)(1),
                            (ctypes.c_ssize_t * 2)(8, 8), dptr)
                got[j] = b[0]
            if not np.array_equal(got.view(np.int64), uf(sample).view(np.int64)):
                return None
        except Exception:  # another layout of the ufunc object
            return None
        out += [fptr or 0, dptr or 0]
    return out



# -- the rows, generated from the definitions --------------------------------------------------

def numpy_exp(v):
    """``exp`` of the definitions, compiled: NumPy's own float64 exp loop on one number."""
    return ufunc_d(loop_address(0), loop_address(1), v)


def numpy_expm1(v):
    """``expm1`` of the definitions, compiled: NumPy's own float64 expm1 loop on one number."""
    return ufunc_d(loop_address(2), loop_address(3), v)


def choose(c, a, b):
    """``where`` of the definitions, compiled, for one number."""
    return a if c else b


#: the names a definition may use besides its arguments and helpers: what each is in a row
_TWINS = {"np": np, "math": math, "exp": "numpy_exp", "expm1": "numpy_expm1", "where": "choose"}


def _globals_of(fn):
    return [ins.argval for ins in dis.get_instructions(fn) if ins.opname == "LOAD_GLOBAL"]


def _helpers(fn, found: dict) -> dict:
    """The plain functions ``fn`` calls by global name (its helpers), recursively: name -> function."""
    for name in _globals_of(fn):
        if name in _TWINS:
            continue
        value = fn.__globals__.get(name)
        if not isinstance(value, types.FunctionType):
            raise TypeError(f"{fn.__qualname__}: the global {name!r} is not a helper function; a definition "
                            f"may use {', '.join(_TWINS)}, numbers and functions written the same way")
        if found.get(name, value) is not value:
            raise TypeError(f"two helpers of the problem definitions are named {name!r}")
        if name not in found:
            found[name] = value
            _helpers(value, found)
    return found


def _calls_loops(fns) -> bool:
    return any(n in ("exp", "expm1") for fn in fns for n in _globals_of(fn))


def _row_source(name: str, d) -> str:
    """Source of ``<name>_f(x, P, tmp)`` and ``<name>_grad(x, P, tmp, out)`` for definition ``d``."""
    p = "".join(f", P[{k}]" for k in range(len(d.params)))
    fn = f"{name}__"
    if d.kind == "columns":
        cols = ", ".join(f"x[{j}]" for j in range(d.dim))
        outs = "".join(f"    out[{j}] = g[{j}]\n" for j in range(d.dim))
        return (f"def {name}_f(x, P, tmp):\n    return {fn}f({cols}{p})\n\n\n"
                f"def {name}_grad(x, P, tmp, out):\n    g = {fn}grad({cols}{p})\n{outs}")
    if d.kind == "chain":
        return (f"def {name}_f(x, P, tmp):\n    m = x.shape[0] - 1\n    for i in range(m):\n"
                f"        tmp[i] = {fn}term(x[i], x[i + 1]{p})\n    return pairwise(tmp, 0, m)\n\n\n"
                f"def {name}_grad(x, P, tmp, out):\n    n = x.shape[0]\n    out[n - 1] = 0.0\n"
                f"    for i in range(n - 1):\n        g = {fn}grad_pair(x[i], x[i + 1]{p})\n"
                f"        out[i] = g[0]\n        tmp[i] = g[1]\n"
                f"    for i in range(1, n):  # the second parts added after the first are in place\n"
                f"        out[i] = out[i] + tmp[i - 1]\n")

    def sums(prefix, count):
        return "".join(f"    for i in range(n):\n        tmp[i] = {fn}{prefix}{k}(x[i]{p})\n"
                       f"    s{k} = pairwise(tmp, 0, n)\n" for k in range(count))

    s = ", ".join(f"s{k}" for k in range(len(d.terms)))
    f_out = "s0" if d.outer is None else f"{fn}outer({s}, n{p})"
    src = f"def {name}_f(x, P, tmp):\n    n = x.shape[0]\n{sums('term', len(d.terms))}    return {f_out}\n\n\n"
    src += f"def {name}_grad(x, P, tmp, out):\n    n = x.shape[0]\n"
    cs = ""
    if d.grad_terms:
        s = ", ".join(f"s{k}" for k in range(len(d.grad_terms)))
        src += sums("grad_term", len(d.grad_terms)) + f"    c = {fn}grad_scalars({s}, n{p})\n"
        n_scalars = d.grad.__code__.co_argcount - 1 - len(d.params)  # grad(x_i, c1, c2, ..., *params)
        cs = "".join(f", c[{k}]" for k in range(n_scalars))
    return src + f"    for i in range(n):\n        out[i] = {fn}grad(x[i]{cs}{p})\n"


def _build():
    """KERNELS, the definitions' functions and helpers (name in the compiled namespace -> function),
    the generated source and its fingerprint."""
    kernels, parts, sources = {}, {}, []
    for name, d in definitions().items():
        fns = d.functions()
        helpers = {}
        for fn in fns.values():
            _helpers(fn, helpers)
        for role, fn in fns.items():
            parts[f"{name}__{role}"] = fn
        for hname, fn in helpers.items():
            if parts.get(hname, fn) is not fn:
                raise TypeError(f"two helpers of the problem definitions are named {hname!r}")
            parts[hname] = fn
        sources.append(_row_source(name, d))
        kernels[name] = (name, d, _calls_loops(list(fns.values()) + list(helpers.values())))
    src = "\n\n".join(sources)
    h = hashlib.sha1(src.encode())
    for fn in parts.values():
        h.update(inspect.getsource(fn).encode())
    digest = h.hexdigest()[:12]
    filename = f"<descend.jit.kernels rows {digest}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)  # for inspect.getsource
    ns = {"__name__": __name__}
    exec(compile(src, filename, "exec"), ns)
    table = {}
    for name, d, loops in kernels.values():
        table[name] = (ns[f"{name}_f"], ns[f"{name}_grad"], _params_maker(d, loops))
    return table, parts, digest


def _params_maker(d, loops: bool):
    def params(problem):
        if loops and _loops_table() is None:
            return None
        if not d.params:
            return np.zeros(1)
        return np.array([float(problem.params[k]) for k in d.params])
    params.__name__ = f"{d.name}_params"
    return params


def _loops_table():
    """NumPy's exp and expm1 loop addresses, checked, for this process (None if they cannot be used)."""
    if not _loops:
        _loops.append(_numpy_loops())
    return _loops[0]


_loops: list = []


def _register_loops():
    """Hand the compiled code the addresses of NumPy's loops, as the symbol ``descend_numpy_loops``
    (resolved when the code is compiled or loaded from numba's cache; zeros where they were not
    found, and then no problem that calls them is compiled-run: :func:`params_of` refuses it)."""
    import ctypes

    from llvmlite import binding

    if "table" not in _symbol:
        found = _loops_table() or [0, 0, 0, 0]
        _symbol["table"] = (ctypes.c_int64 * 4)(*found)
        binding.add_symbol("descend_numpy_loops", ctypes.addressof(_symbol["table"]))


_symbol: dict = {}


def _loop_address_intrinsic():
    """``loop_address(k)``: entry k of ``descend_numpy_loops`` (exp function, exp data, expm1 function,
    expm1 data)."""
    from llvmlite import ir
    from numba.core import types as nt
    from numba.extending import intrinsic

    @intrinsic
    def loop_address(typingctx, k):
        sig = nt.int64(nt.int64)

        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            gv = builder.module.globals.get("descend_numpy_loops")
            if gv is None:
                gv = ir.GlobalVariable(builder.module, ir.ArrayType(i64, 4), "descend_numpy_loops")
                gv.linkage = "external"
            return builder.load(builder.gep(gv, [ir.Constant(ir.IntType(32), 0), args[0]]))
        return sig, codegen
    return loop_address


KERNELS, _PARTS, _DIGEST = _build()
#: factory name -> (f, grad, the problem's numbers as P); the rows of every definition

#: problems without a bit-identical compiled twin, and why
WITHOUT = dict(NUMPY_ONLY)


def fingerprint() -> str:
    """A digest of the rows' generated source and every definition and helper they are made of:
    what a compiled loop that calls them must be keyed by (an edit to a definition changes it)."""
    return _DIGEST


def params_of(problem):
    """(factory name, f, grad, P) for a problem built by a registered factory, or (None, why)."""
    recipe = getattr(problem, "_recipe", None)  # set by problems.problem.register on what its factories build
    if recipe is None:
        return None, f"problem {problem.name!r} was not built by a registered factory (no compiled kernels)"
    name = recipe[0]
    if name in WITHOUT:
        return None, f"problem {name!r} has no bit-identical compiled kernels: {WITHOUT[name]}"
    if name not in KERNELS:
        return None, f"problem {name!r} has no compiled kernels"
    f, g, params = KERNELS[name]
    P = params(problem)
    if P is None:
        return None, (f"problem {name!r}: NumPy's own exp and expm1 loops could not be found to call from "
                      f"compiled code (they round differently from libm's)")
    return (name, f, g, P), ""


_HELPERS = ("pairwise", "einsum_sq", "numpy_exp", "numpy_expm1", "choose")


def _ufunc_intrinsic():
    """``ufunc_d(function, data, v)``: one float64 through a NumPy ufunc loop, by address."""
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def ufunc_d(typingctx, fptr, dptr, v):
        sig = types.float64(types.int64, types.int64, types.float64)

        def codegen(context, builder, signature, args):
            f_i, d_i, val = args
            dbl, i64 = ir.DoubleType(), ir.IntType(64)
            i8p = ir.IntType(8).as_pointer()
            fnty = ir.FunctionType(ir.VoidType(), [i8p.as_pointer(), i64.as_pointer(), i64.as_pointer(), i8p])
            src = cgutils.alloca_once(builder, dbl)
            dst = cgutils.alloca_once(builder, dbl)
            builder.store(val, src)
            argv = cgutils.alloca_once(builder, i8p, size=2)
            builder.store(builder.bitcast(src, i8p), builder.gep(argv, [ir.Constant(i64, 0)]))
            builder.store(builder.bitcast(dst, i8p), builder.gep(argv, [ir.Constant(i64, 1)]))
            dims = cgutils.alloca_once(builder, i64)
            builder.store(ir.Constant(i64, 1), dims)
            steps = cgutils.alloca_once(builder, i64, size=2)
            builder.store(ir.Constant(i64, 8), builder.gep(steps, [ir.Constant(i64, 0)]))
            builder.store(ir.Constant(i64, 8), builder.gep(steps, [ir.Constant(i64, 1)]))
            builder.call(builder.inttoptr(f_i, fnty.as_pointer()), [argv, dims, steps, builder.inttoptr(d_i, i8p)])
            return builder.load(dst)
        return sig, codegen
    return ufunc_d


_spaces: dict = {}


def _space(nb, inline):
    """The namespace of the compiled copies: plain dispatchers (this module's helpers and the
    switch cached on disk, callable from Python), or ``inline="always"`` ones that the compiled
    loop inlines (a call that passes arrays costs reference counting on every step).  The
    definitions and the generated rows are compiled afresh in each process (numba's disk cache
    would not see an edit to a definition in another file); the switch, named by
    :func:`fingerprint`, is cached."""
    if inline not in _spaces:
        _register_loops()
        ns = {"np": np, "math": math, "__name__": __name__}  # numba's cache rebuilds the environment from it
        opts = dict(inline="always", error_model="numpy") if inline else dict(cache=True, error_model="numpy")
        ns["_jit"] = nb.njit(**opts)
        ns["_fresh"] = nb.njit(**{k: v for k, v in opts.items() if k != "cache"})
        ns["ufunc_d"] = _ufunc_intrinsic()
        ns["loop_address"] = _loop_address_intrinsic()
        for name in _HELPERS:
            ns[name] = ns["_jit"](_copy(globals()[name], ns))
        for twin, name in _TWINS.items():
            if isinstance(name, str):
                ns[twin] = ns[name]
        for name, fn in _PARTS.items():
            ns[name] = ns["_fresh"](_copy(fn, ns))
        _spaces[inline] = ns
    return _spaces[inline]


def jitted(fn, nb, inline=False):
    """``fn`` of this module (or a generated row) compiled by numba, its helpers compiled too.

    The functions stay plain Python; the compiled copies share one namespace in which
    :func:`pairwise`, the definitions and the other helpers are numba functions.
    """
    ns = _space(nb, inline)
    key = fn.__name__
    if key not in ns:
        jit = ns["_jit"] if fn.__code__.co_filename == __file__ else ns["_fresh"]
        ns[key] = jit(_copy(fn, ns))
    return ns[key]


def _copy(fn, ns):
    return types.FunctionType(fn.__code__, ns, fn.__name__, fn.__defaults__, fn.__closure__)


def problem_id(name: str) -> int:
    """The number the compiled switch knows a problem by."""
    return list(KERNELS).index(name)


def switch_source() -> str:
    """f and grad of every registered problem behind one switch on its id: one compiled
    loop per optimizer configuration serves them all (named by :func:`fingerprint`)."""
    fs, gs = [], []
    for pid, (name, (f, g, _)) in enumerate(KERNELS.items()):
        fs.append(f"    {'if' if pid == 0 else 'elif'} pid == {pid}:\n        return {f.__name__}(x, P, tmp)")
        gs.append(f"    {'if' if pid == 0 else 'elif'} pid == {pid}:\n        {g.__name__}(x, P, tmp, out)")
    return (f"def problem_f_{_DIGEST}(pid, x, P, tmp):\n" + "\n".join(fs) + "\n    return np.nan\n\n\n"
            f"def problem_grad_{_DIGEST}(pid, x, P, tmp, out):\n" + "\n".join(gs) + "\n")


def switch(nb, inline=False):
    """The compiled (problem_f, problem_grad)."""
    ns = _space(nb, inline)
    if "problem_f" not in ns:
        for f, g, _ in KERNELS.values():
            jitted(f, nb, inline)
            jitted(g, nb, inline)
        exec(compile(switch_source(), __file__, "exec"), ns)
        for name in ("problem_f", "problem_grad"):
            ns[name] = ns["_jit"](ns[f"{name}_{_DIGEST}"])
    return ns["problem_f"], ns["problem_grad"]


def single(nb, name):
    """(f, grad) of one problem, inlined into the loop that calls them (for long jobs: a
    loop of its own per problem, a compile of its own, and no call per evaluation)."""
    ns = _space(nb, True)
    key = f"single_{name}"
    if key not in ns:
        f, g, _ = KERNELS[name]
        jitted(f, nb, True)
        jitted(g, nb, True)
        src = (f"def {key}_f(pid, x, P, tmp):\n    return {f.__name__}(x, P, tmp)\n\n\n"
               f"def {key}_g(pid, x, P, tmp, out):\n    {g.__name__}(x, P, tmp, out)\n")
        exec(compile(src, __file__, "exec"), ns)
        ns[key] = (ns["_jit"](ns[f"{key}_f"]), ns["_jit"](ns[f"{key}_g"]))
    return ns[key]


def lanes(nb, name):
    """The definition of problem ``name`` on the numbers of one point, compiled to be inlined,
    for a loop over many points at once (:mod:`descend.jit.lockstep`): ``("columns", f, grad,
    dim, n_params)`` for :class:`~descend.problems.formulas.Columns` (``f(x0, x1, *P)``,
    ``grad(...) -> (g0, g1)``), ``("chain", term, grad_pair, 0, n_params)`` for
    :class:`~descend.problems.formulas.Chain`; None for the other shapes."""
    d = definitions().get(name)
    if d is None or d.kind not in ("columns", "chain"):
        return None
    ns = _space(nb, True)
    if d.kind == "columns":
        return "columns", ns[f"{name}__f"], ns[f"{name}__grad"], d.dim, len(d.params)
    return "chain", ns[f"{name}__term"], ns[f"{name}__grad_pair"], 0, len(d.params)


_checked: dict = {}


def einsum_ok(nb) -> bool:
    """Whether :func:`einsum_sq` gives ``np.einsum``'s bits on this machine (once per process)."""
    if "einsum" not in _checked:
        fn = jitted(einsum_sq, nb)
        rng = np.random.default_rng(0)
        ok = True
        for n in range(9, 129):
            G = rng.normal(size=(4, n)) * 10.0 ** rng.uniform(-4, 4, size=(4, n))
            ref = np.einsum("ij,ij->i", G, G)
            ok &= all(np.float64(fn(G[i], n)).view(np.int64) == ref[i].view(np.int64) for i in range(4))
        _checked["einsum"] = bool(ok)
    return _checked["einsum"]


def agrees(problem, name, nb) -> bool:
    """Whether the compiled f and gradient of ``problem`` give NumPy's bits on 64 points of
    its domain and its start (once per problem and dimension per process): the kernels rely
    on how this NumPy computes sin, cos, exp and sums, which another build may not share."""
    key = (name, problem.dim, repr(dict(problem.params)))
    if key not in _checked:
        fj, gj = switch(nb)
        pid, P = problem_id(name), KERNELS[name][2](problem)
        lo, hi = problem.domain[:, 0], problem.domain[:, 1]
        X = np.vstack([problem.x0, lo + (hi - lo) * np.random.default_rng(1).random((64, problem.dim))])
        F, G = np.asarray(problem.f(X), dtype=np.float64), np.asarray(problem.grad(X), dtype=np.float64)
        tmp, out = np.empty(problem.dim), np.empty(problem.dim)
        ok = True
        for i, x in enumerate(X):
            gj(pid, x, P, tmp, out)
            ok &= np.float64(fj(pid, x, P, tmp)).view(np.int64) == F[i].view(np.int64)
            ok &= np.array_equal(out.view(np.int64), G[i].view(np.int64))
        _checked[key] = bool(ok)
    return _checked[key]
