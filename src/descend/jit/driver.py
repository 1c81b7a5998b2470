"""The compiled loop: every step of every run of ``minimize`` in one numba function.

A generated template: for an optimizer rule, the problem's f and gradient (every
registered problem behind one switch on its id, or the user's compiled functions) and
the booleans of the configuration (``amsgrad``, coupled weight decay...),
:func:`_source` writes the source of one loop, kept whole so that it reads top to
bottom as the loop it is, and :func:`loop` compiles it with ``numba.njit(cache=True,
nogil=True, fastmath=False, error_model="numpy")``::

    for i in range(i0, i1):                # runs are independent: threads take slices
        # -- start: f, g = f(x0), grad(x0); a non-finite start diverges
        for k in range(steps):
            # -- converged: gnorm <= gtol
            # -- advance: x_new = rule(prepare(x, g), state, per-step numbers of step k + 1)
            # -- evaluate where finite: f_new, g_new = f(x_new), grad(x_new)
            # -- classify and commit: non-finite: diverged (x kept); f_new > limit: diverged (x taken)
            # -- record: x, f, gnorm
        # -- finish: the run's numbers and code for the Result

the same phases, by the same names, tests and counts as the NumPy loop
(:mod:`descend.first_order`), for one row at a time (the NumPy path advances all rows
in lockstep; a row never sees another, so row by row is the same); there is no callback
phase (a callback keeps the NumPy path).  The per-step numbers come from
:mod:`descend.jit.scalars`, computed once per step when every run shares them, per run
otherwise; the learning rate of each step is a table built on the NumPy side (a
schedule is called as the optimizer calls it).  The rule and the transforms are
compiled from their own source (:func:`descend.optim.base.prepare`,
``optim.adam.adam``...), as the fused kernels are, so the arithmetic is written once.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import textwrap

import numpy as np

from ..optim import fused as _fused
from ..optim.base import prepare
from . import kernels as _kernels

__all__ = ["loop", "fill", "RUNS_PER_THREAD", "digest", "cacheable", "pypow_intrinsic"]

#: each thread takes at least this many runs (handing a slice to a thread costs about
#: as much as a few short runs take)
RUNS_PER_THREAD = 32

_TRANSFORM_FLAGS = ("use_clip_value", "use_factor", "coupled", "decoupled")
_cache: dict = {}
_VERSION = "1"  # bump when the template below changes meaning


def _row_norm_src():
    # objective.row_norms: up to 8 columns g0*g0, then += gj*gj; above, NumPy's einsum
    return textwrap.dedent("""
    def _norm(g):
        n = g.shape[0]
        if n > 8:
            return np.sqrt(einsum_sq(g, n))
        sq = g[0] * g[0]
        for j in range(1, n):
            sq += g[j] * g[j]
        return np.sqrt(sq)
    """)


def digest(*parts) -> str:
    """A short hash of the sources and values a loop is made of: part of its name and cache key."""
    h = hashlib.sha1(_VERSION.encode())
    for p in parts:
        if callable(p):
            fn = getattr(p, "py_func", p)
            # where it lives too: a loop cached for a function whose module was since renamed would
            # import the old module when numba loads it (the same source under a new name)
            h.update(f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}".encode())
            try:
                h.update(inspect.getsource(fn).encode())
            except (OSError, TypeError):
                code = getattr(fn, "__code__", None)
                h.update(repr(id(fn)).encode() if code is None else code.co_code + repr(code.co_consts).encode())
        else:
            h.update(repr(p).encode())
    return h.hexdigest()[:16]


def cacheable(fn) -> bool:
    """Whether numba can cache ``fn`` on disk and load it again: defined in a .py file of an
    imported module (a function made by exec, in a notebook cell or a lambda is compiled
    afresh in each process instead)."""
    module = getattr(fn, "__module__", None)
    try:
        source = inspect.getsourcefile(fn)
    except TypeError:
        return False
    return (bool(source) and source.endswith(".py") and module in sys.modules
            and getattr(fn, "__name__", "<lambda>") != "<lambda>")


def _source(name, rule, n_state, present, twin, rename, flags, hp_cols, state_init):
    """The loop's source for one configuration (see the module docstring)."""
    args = list(inspect.signature(rule).parameters)
    scalar_names = args[2 + n_state:]
    values = [a for a in scalar_names if a not in flags]  # the floats the rule takes
    expr = {a: rename.get(a, a) for a in values}
    nsc = max(1, len(values))
    hp_unpack = "\n".join(f"{h} = HP[ii, {c}]" for c, h in enumerate(hp_cols)) or "pass"
    code = textwrap.dedent(twin.code).strip() or "pass"
    sst_init = "\n".join(f"{s} = {v!r}" for s, v in twin.sstate) or "pass"
    sst_next = "\n".join(f"{s} = {s}_new" for s, _ in twin.sstate) or "pass"
    store = "\n".join(f"SCT[k, {j}] = {expr[a]}" for j, a in enumerate(values)) or "pass"
    load = "\n".join(f"{expr[a]} = SCT[k, {j}]" for j, a in enumerate(values)) or "pass"
    rule_args = [f"s{j}j" for j in range(n_state)] + [repr(flags[a]) if a in flags else expr[a]
                                                     for a in scalar_names]
    t_flags = {a: repr(flags[a]) for a in _TRANSFORM_FLAGS}
    alloc = []
    for j, keep in enumerate(present):
        if keep:
            init = state_init.get(j)
            alloc.append(f"s{j} = np.full(n, {init if init else '0.0'})")
    loads = [f"s{j}j = s{j}[j]" if keep else f"s{j}j = 0.0" for j, keep in enumerate(present)]
    stores = [f"s{j}[j] = s{j}j" for j, keep in enumerate(present) if keep]
    outs = ", ".join(["pj"] + [f"s{j}j" for j in range(n_state)])

    def ind(block, k):
        return textwrap.indent(block, " " * k)

    clip_norm = textwrap.dedent(f"""
    for j in range(n):
        c = {'-g[j]' if flags['maximize'] else 'g[j]'}
        if {t_flags['use_clip_value']}:
            c = np.minimum(np.maximum(c, -clip_value), clip_value)
        tmp[j] = c * c
    nrm = np.sqrt(0.0 + pairwise(tmp, 0, n))
    factor = clip_norm / nrm if nrm > clip_norm else 1.0
    """) if flags["use_factor"] else "factor = 1.0"

    src = f'''
def {name}_table(HP, LR, steps, SCT):
    # the per-step numbers every run shares: once per step
    lsteps = LR.shape[0] > 1
    ii = 0
{ind(hp_unpack, 4)}
{ind(sst_init, 4)}
    for k in range(steps):
        t = k + 1
        lr = LR[k if lsteps else 0, 0]
{ind(code, 8)}
{ind(store, 8)}
{ind(sst_next, 8)}


def {name}(X, HP, LR, P, pid, steps, gtol, use_gtol, use_limit, max_growth, keep_x, keep_f,
           HX, HF, HG, FF, F0, GN, NIT, NFEV, NGEV, CODE, STEP, WHAT, FBAD, D, END, SCT, shared, i0, i1):
    n = X.shape[1]
    hr = HP.shape[0] > 1
    lsteps = LR.shape[0] > 1
    lruns = LR.shape[1] > 1
    last = 0
    for i in range(i0, i1):
        ii = i if hr else 0
{ind(hp_unpack, 8)}
{ind(sst_init, 8)}
        x = X[i]
        g = np.empty(n)
        gw = np.empty(n)
        xn = np.empty(n)
        tmp = np.empty(n)
{ind(chr(10).join(alloc) or "pass", 8)}
        d0 = D[0, i]
        d1 = D[1, i]
        # -- start
        f = FUN(pid, x, P, tmp)
        nfev = 1
        ngev = 0
        if np.isfinite(f):
            GRAD(pid, x, P, tmp, g)
            ngev = 1
        else:
            for j in range(n):
                g[j] = np.nan
        gn = _norm(g)
        F0[i] = f
        af = abs(f)
        limit = f + max_growth * (af if (af > 1.0 or af != af) else 1.0)  # np.maximum(1, |f0|), nan kept
        code = 0
        if not (np.isfinite(f) and np.isfinite(gn)):
            code = 2  # diverged at the start
        if keep_x:
            HX[i, 0, :] = x
        if keep_f:
            HF[i, 0] = f
            HG[i, 0] = gn
        nit = 0
        e = 0
        if code == 0:
            for k in range(steps):
                # -- converged
                if use_gtol and gn <= gtol:
                    code = 1
                    break
                # -- advance
                t = k + 1
                lr = LR[k if lsteps else 0, i if lruns else 0]
                if shared:
{ind(load, 20)}
                else:
{ind(code, 20)}
{ind(clip_norm, 16)}
                finite_x = True
                for j in range(n):
                    pj, gj = prepare(x[j], {'-g[j]' if flags['maximize'] else 'g[j]'}, lr, clip_value, {t_flags['use_clip_value']}, factor,
                                     {t_flags['use_factor']}, weight_decay, {t_flags['coupled']}, {t_flags['decoupled']})
{ind(chr(10).join(loads) or "pass", 20)}
                    {outs}, = rule(pj, gj, {", ".join(rule_args)})
                    xn[j] = pj
                    if not np.isfinite(pj):
                        finite_x = False
{ind(chr(10).join(stores) or "pass", 20)}
                if not shared:
{ind(sst_next, 20)}
                # -- evaluate where finite
                evaluated = 0
                graded = 0
                fn = np.nan
                if finite_x:
                    fn = FUN(pid, xn, P, tmp)
                    evaluated = 1
                if np.isfinite(fn):
                    GRAD(pid, xn, P, tmp, gw)
                    graded = 1
                else:
                    for j in range(n):
                        gw[j] = np.nan
                gnn = _norm(gw)
                # -- classify and commit (the last two steps only matter to a run that takes
                # every step: its message describes how they moved)
                if k >= steps - 2:
                    for j in range(n):
                        d0[j] = d1[j]
                        d1[j] = xn[j] - x[j]
                nit += 1
                nfev += evaluated
                ngev += graded
                e = k + 1
                if not (finite_x and np.isfinite(fn) and np.isfinite(gnn)):
                    code = 3
                    STEP[i] = k + 1
                    WHAT[i] = 0 if not finite_x else (1 if not np.isfinite(fn) else 2)
                else:
                    for j in range(n):
                        x[j] = xn[j]
                        g[j] = gw[j]
                    f = fn
                    gn = gnn
                    if use_limit and fn > limit:
                        code = 4
                        STEP[i] = k + 1
                        FBAD[i] = fn
                # -- record
                if keep_x:
                    HX[i, k + 1, :] = x
                if keep_f:
                    HF[i, k + 1] = f
                    HG[i, k + 1] = gn
                if code != 0:
                    break
            # -- converged (after the last step)
            if code == 0 and use_gtol and gn <= gtol:
                code = 1
        # -- finish
        FF[i] = f
        GN[i] = gn
        NIT[i] = nit
        NFEV[i] = nfev
        NGEV[i] = ngev
        CODE[i] = code
        END[i] = e
        last = max(last, e)
    return last
'''
    return src, nsc


def loop(rule, n_state, present, twin, rename, flags, hp_cols, state_init, fun, grad, fun_key):
    """(the compiled loop, its table function, the number of per-step numbers) for this
    configuration, built once per process (numba caches the machine code on disk);
    None when numba is unavailable.  ``fun``/``grad`` None: the registered problems."""
    if not _fused.available():
        return None
    key = (rule, present, tuple(sorted(flags.items())), twin, tuple(hp_cols), tuple(sorted(state_init.items())),
           fun_key)
    if key in _cache:
        return _cache[key]
    nb = _fused._numba
    if fun is None:
        fun, grad = _kernels.switch(nb)  # compiled once (cached), called: inlining 15 problems made each loop compile for minutes
        parts = [_kernels.switch_source()] + [f for pair in _kernels.KERNELS.values() for f in pair[:2]] + \
            [_kernels.fingerprint()]
    else:
        parts = [fun, grad]
    tag = digest(rule, prepare, _kernels.pairwise, _kernels.einsum_sq, twin.code, sorted(flags.items()), hp_cols,
                     sorted(state_init.items()), present, _row_norm_src(), fun_key, *parts)
    name = f"_loop_{rule.__name__}_{tag}"
    src, nsc = _source(name, rule, n_state, present, twin, rename, flags, hp_cols, state_init)
    jit_inline = nb.njit(inline="always", error_model="numpy")
    ns = {
        "__name__": __name__,  # numba's cache rebuilds the environment from this module
        "np": np,
        "rule": jit_inline(rule),
        "prepare": jit_inline(prepare),
        "pairwise": _kernels.jitted(_kernels.pairwise, nb),
        "pypow": pypow_intrinsic(),
        "einsum_sq": _kernels.jitted(_kernels.einsum_sq, nb),
        "FUN": fun,
        "GRAD": grad,
    }
    exec(compile(_row_norm_src(), __file__, "exec"), ns)
    ns["_norm"] = jit_inline(ns["_norm"])
    # compiled as if written in this file, so that numba's disk cache can find it; the name
    # carries a hash of every source it is made of, so an edit recompiles
    exec(compile(src, __file__, "exec"), ns)
    table = nb.njit(error_model="numpy", cache=True, nogil=True)(ns[name + "_table"])
    # the user's functions are frozen into the loop with the globals they read: cached on disk
    # only where numba caches them too (a module's .py file, whose edits invalidate both)
    cache = fun_key[0] != "user" or fun_key[-1]
    fn = nb.njit(cache=cache, fastmath=False, nogil=True, error_model="numpy")(ns[name])
    entry = (fn, table, nsc)
    _cache[key] = entry
    return entry


_pow = None


def pypow_intrinsic():
    """``pypow(x, y)``: Python's float power, a plain call of libm's ``pow``.

    numba's ``x ** y`` is LLVM's ``llvm.pow`` intrinsic, which LLVM may rewrite (``pow(x,
    0.5)`` -> ``sqrt(x)``: the same value only where ``pow`` rounds correctly, which
    glibc's does not always); a call of the library function itself, which may set
    errno, is left alone.
    """
    global _pow
    if _pow is None:
        from llvmlite import ir
        from numba.core import cgutils, types
        from numba.extending import intrinsic

        @intrinsic
        def pypow(typingctx, x, y):
            sig = types.float64(types.float64, types.float64)

            def codegen(context, builder, signature, args):
                fnty = ir.FunctionType(ir.DoubleType(), [ir.DoubleType(), ir.DoubleType()])
                fn = cgutils.get_or_insert_function(builder.module, fnty, "pow")
                return builder.call(fn, args)
            return sig, codegen
        _pow = pypow
    return _pow


def _fill_py(HX, HF, HG, X, FF, GN, END, last, keep_x, keep_f, i0, i1):
    """Rows that stopped early repeat their final values up to the last step any row took.

    The history is kept run by run (``HF[i, k]``: each run writes its own contiguous row;
    step-major rows written by runs in turn cost a cache miss per value)."""
    for i in range(i0, i1):
        for k in range(END[i] + 1, last + 1):
            if keep_x:
                HX[i, k, :] = X[i]
            if keep_f:
                HF[i, k] = FF[i]
                HG[i, k] = GN[i]


_fill = None


def fill():
    """The compiled :func:`_fill_py`."""
    global _fill
    if _fill is None:
        _fill = _fused._numba.njit(cache=True, nogil=True)(_fill_py)
    return _fill
