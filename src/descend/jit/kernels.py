"""f and its gradient of the registered test problems, one point at a time, for numba.

Each problem of :mod:`descend.problems` computes a batch of rows with NumPy; the
compiled loop needs the same numbers one row at a time.  The functions here are the
same formulas written for one row ``x`` (an ``(n,)`` array), with the problem's numbers in
``P`` (a float64 array) and a scratch array ``tmp`` of length n:

* ``f(x, P, tmp) -> float``
* ``grad(x, P, tmp, out)`` fills ``out`` (n,)

Every operation is NumPy's, in NumPy's order (``a * b * c`` is ``(a * b) * c``), and a
sum along the last axis is NumPy's pairwise sum (:func:`pairwise`, the algorithm of
NumPy's ``pairwise_sum``: eight accumulators over blocks of 128, halves above), so a
row gives the very bits NumPy gives it.  ``np.sin`` and ``np.cos`` are glibc's in both;
NumPy's ``exp`` and ``expm1`` are its own AVX-512 code, so ackley's kernels call NumPy's
loops themselves, by address (:func:`_numpy_loops`).  NumPy's matrix products (OpenBLAS,
whose rounding depends on how many rows it multiplies) have no twin here, so
least_squares, quadratic and ill_conditioned keep the NumPy path (see :data:`WITHOUT`).

The functions are plain Python, jitted where the loop is compiled (numba is optional).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["KERNELS", "WITHOUT", "pairwise", "params_of"]


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


# -- the seeds' functions --------------------------------------------------------------------

def poly1d_f(x, P, tmp):
    return 0.01 * x[0] * x[0] + 0.1 * x[0]


def poly1d_grad(x, P, tmp, out):
    out[0] = 0.02 * x[0] + 0.1


def parabola_f(x, P, tmp):
    return x[0] * x[0] + 1.0


def parabola_grad(x, P, tmp, out):
    out[0] = 2.0 * x[0]


def sphere_f(x, P, tmp):
    n = x.shape[0]
    for i in range(n):
        tmp[i] = x[i] * x[i]
    return pairwise(tmp, 0, n)


def sphere_grad(x, P, tmp, out):
    for i in range(x.shape[0]):
        out[i] = 2.0 * x[i]


def elongated_bowl_f(x, P, tmp):
    return x[0] * x[0] / 20.0 + x[1] * x[1]


def elongated_bowl_grad(x, P, tmp, out):
    out[0] = x[0] / 10.0
    out[1] = 2.0 * x[1]


# -- classic benchmarks -------------------------------------------------------------------------

def rosenbrock_f(x, P, tmp):
    a, b = P[0], P[1]
    m = x.shape[0] - 1
    for i in range(m):
        t = x[i + 1] - x[i] * x[i]
        u = a - x[i]
        tmp[i] = b * t * t + u * u
    return pairwise(tmp, 0, m)


def rosenbrock_grad(x, P, tmp, out):
    a, b = P[0], P[1]
    n = x.shape[0]
    out[n - 1] = 0.0
    for i in range(n - 1):
        t = x[i + 1] - x[i] * x[i]
        out[i] = -4.0 * b * x[i] * t - 2.0 * (a - x[i])
        tmp[i] = t
    for i in range(1, n):  # g[..., 1:] += 2 b t, after the first part is in place
        out[i] = out[i] + 2.0 * b * tmp[i - 1]


def beale_f(x, P, tmp):
    x_, y = x[0], x[1]
    r1 = 1.5 - x_ + x_ * y
    r2 = 2.25 - x_ + x_ * y * y
    r3 = 2.625 - x_ + x_ * y * y * y
    return r1 * r1 + r2 * r2 + r3 * r3


def beale_grad(x, P, tmp, out):
    x_, y = x[0], x[1]
    r1 = 1.5 - x_ + x_ * y
    r2 = 2.25 - x_ + x_ * y * y
    r3 = 2.625 - x_ + x_ * y * y * y
    out[0] = 2.0 * (r1 * (y - 1.0) + r2 * (y * y - 1.0) + r3 * (y * y * y - 1.0))
    out[1] = 2.0 * x_ * (r1 + 2.0 * r2 * y + 3.0 * r3 * y * y)


def himmelblau_f(x, P, tmp):
    x_, y = x[0], x[1]
    r1, r2 = x_ * x_ + y - 11.0, x_ + y * y - 7.0
    return r1 * r1 + r2 * r2


def himmelblau_grad(x, P, tmp, out):
    x_, y = x[0], x[1]
    r1, r2 = x_ * x_ + y - 11.0, x_ + y * y - 7.0
    out[0] = 4.0 * x_ * r1 + 2.0 * r2
    out[1] = 2.0 * r1 + 4.0 * y * r2


def booth_f(x, P, tmp):
    r1 = x[0] + 2.0 * x[1] - 7.0
    r2 = 2.0 * x[0] + x[1] - 5.0
    return r1 * r1 + r2 * r2


def booth_grad(x, P, tmp, out):
    r1 = x[0] + 2.0 * x[1] - 7.0
    r2 = 2.0 * x[0] + x[1] - 5.0
    out[0] = 2.0 * r1 + 4.0 * r2
    out[1] = 4.0 * r1 + 2.0 * r2


def matyas_f(x, P, tmp):
    x_, y = x[0], x[1]
    return 0.26 * (x_ * x_ + y * y) - 0.48 * x_ * y


def matyas_grad(x, P, tmp, out):
    x_, y = x[0], x[1]
    out[0] = 0.52 * x_ - 0.48 * y
    out[1] = 0.52 * y - 0.48 * x_


def three_hump_camel_f(x, P, tmp):
    x_, y = x[0], x[1]
    x2 = x_ * x_
    return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x_ * y + y * y


def three_hump_camel_grad(x, P, tmp, out):
    x_, y = x[0], x[1]
    x2 = x_ * x_
    out[0] = 4.0 * x_ - 4.2 * x2 * x_ + x2 * x2 * x_ + y
    out[1] = x_ + 2.0 * y


def six_hump_camel_f(x, P, tmp):
    x_, y = x[0], x[1]
    x2, y2 = x_ * x_, y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x_ * y + (-4.0 + 4.0 * y2) * y2


def six_hump_camel_grad(x, P, tmp, out):
    x_, y = x[0], x[1]
    x2 = x_ * x_
    out[0] = 8.0 * x_ - 8.4 * x2 * x_ + 2.0 * x2 * x2 * x_ + y
    out[1] = x_ - 8.0 * y + 16.0 * y * y * y


def _goldstein_parts(x):
    x_, y = x[0], x[1]
    u, v = x_ + y + 1.0, 2.0 * x_ - 3.0 * y
    P = 19.0 - 14.0 * x_ + 3.0 * x_ * x_ - 14.0 * y + 6.0 * x_ * y + 3.0 * y * y
    Q = 18.0 - 32.0 * x_ + 12.0 * x_ * x_ + 48.0 * y - 36.0 * x_ * y + 27.0 * y * y
    return x_, y, u, v, P, Q


def goldstein_price_f(x, P_, tmp):
    _, _, u, v, P, Q = _goldstein_parts(x)
    return (1.0 + u * u * P) * (30.0 + v * v * Q)


def goldstein_price_grad(x, P_, tmp, out):
    x_, y, u, v, P, Q = _goldstein_parts(x)
    F, G = 1.0 + u * u * P, 30.0 + v * v * Q
    Fx = 2.0 * u * P + u * u * (-14.0 + 6.0 * x_ + 6.0 * y)
    Fy = Fx
    Gx = 4.0 * v * Q + v * v * (-32.0 + 24.0 * x_ - 36.0 * y)
    Gy = -6.0 * v * Q + v * v * (48.0 - 36.0 * x_ + 54.0 * y)
    out[0] = Fx * G + F * Gx
    out[1] = Fy * G + F * Gy


def rastrigin_f(x, P, tmp):
    n = x.shape[0]
    for i in range(n):
        s = np.sin(math.pi * x[i])
        tmp[i] = x[i] * x[i] + 20.0 * s * s
    return pairwise(tmp, 0, n)


def rastrigin_grad(x, P, tmp, out):
    c = 20.0 * math.pi  # NumPy evaluates 20.0 * np.pi first, a Python float
    w = 2.0 * math.pi
    for i in range(x.shape[0]):
        out[i] = 2.0 * x[i] + c * np.sin(w * x[i])


def styblinski_tang_f(x, P, tmp):
    n = x.shape[0]
    for i in range(n):
        x2 = x[i] * x[i]
        tmp[i] = x2 * x2 - 16.0 * x2 + 5.0 * x[i]
    return 0.5 * pairwise(tmp, 0, n)


def styblinski_tang_grad(x, P, tmp, out):
    for i in range(x.shape[0]):
        out[i] = 2.0 * x[i] * x[i] * x[i] - 16.0 * x[i] + 2.5


def ufunc_d(fptr, dptr, v):  # pragma: no cover - replaced by an intrinsic where compiled
    """One float64 through the NumPy ufunc loop at address ``fptr`` (see :func:`_ufunc_intrinsic`)."""
    raise NotImplementedError("ufunc_d runs compiled only")


def ackley_f(x, P, tmp):
    n = x.shape[0]
    Q = P.view(np.int64)  # NumPy's own exp and expm1 loops (see _numpy_loops)
    for i in range(n):
        tmp[i] = x[i] * x[i]
    r = np.sqrt(pairwise(tmp, 0, n) / n)
    for i in range(n):
        s = np.sin(math.pi * x[i])
        tmp[i] = 2.0 * s * s
    m = pairwise(tmp, 0, n) / n
    return -20.0 * ufunc_d(Q[2], Q[3], -0.2 * r) - math.e * ufunc_d(Q[2], Q[3], -m)


def ackley_grad(x, P, tmp, out):
    n = x.shape[0]
    Q = P.view(np.int64)
    for i in range(n):
        tmp[i] = x[i] * x[i]
    r = np.sqrt(pairwise(tmp, 0, n) / n)
    safe_r = 1.0 if r == 0 else r
    cone = 4.0 * ufunc_d(Q[0], Q[1], -0.2 * r) / (n * safe_r)
    w = 2.0 * math.pi
    for i in range(n):
        tmp[i] = np.cos(w * x[i])
    waves = ufunc_d(Q[0], Q[1], pairwise(tmp, 0, n) / n) * 2.0 * math.pi / n
    for i in range(n):
        out[i] = cone * x[i] + waves * np.sin(w * x[i])


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


_loops = []


def _ackley_params(problem):
    if not _loops:
        _loops.append(_numpy_loops())
    if _loops[0] is None:
        return None
    return np.array(_loops[0], dtype=np.int64).view(np.float64)


def _no_params(problem):
    return np.zeros(1)


def _rosenbrock_params(problem):
    return np.array([float(problem.params["a"]), float(problem.params["b"])])


#: factory name -> (f, grad, the problem's numbers as P)
KERNELS = {
    "poly1d": (poly1d_f, poly1d_grad, _no_params),
    "parabola": (parabola_f, parabola_grad, _no_params),
    "sphere": (sphere_f, sphere_grad, _no_params),
    "elongated_bowl": (elongated_bowl_f, elongated_bowl_grad, _no_params),
    "rosenbrock": (rosenbrock_f, rosenbrock_grad, _rosenbrock_params),
    "beale": (beale_f, beale_grad, _no_params),
    "himmelblau": (himmelblau_f, himmelblau_grad, _no_params),
    "booth": (booth_f, booth_grad, _no_params),
    "matyas": (matyas_f, matyas_grad, _no_params),
    "three_hump_camel": (three_hump_camel_f, three_hump_camel_grad, _no_params),
    "six_hump_camel": (six_hump_camel_f, six_hump_camel_grad, _no_params),
    "goldstein_price": (goldstein_price_f, goldstein_price_grad, _no_params),
    "rastrigin": (rastrigin_f, rastrigin_grad, _no_params),
    "styblinski_tang": (styblinski_tang_f, styblinski_tang_grad, _no_params),
    "ackley": (ackley_f, ackley_grad, _ackley_params),
}

#: problems without a bit-identical compiled twin, and why
WITHOUT = {
    "least_squares": "its matrix products go through OpenBLAS, whose rounding depends on how many rows it multiplies",
    "quadratic": "its matrix products go through OpenBLAS, whose rounding depends on how many rows it multiplies",
    "ill_conditioned": "its matrix products go through OpenBLAS, whose rounding depends on how many rows it multiplies",
}


def params_of(problem):
    """(factory name, f, grad, P) for a problem built by a registered factory, or (None, why)."""
    recipe = getattr(problem, "_recipe", None)  # set by problems._register on what its factories build
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


_HELPERS = ("pairwise", "_goldstein_parts", "einsum_sq")


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
    """The namespace of the compiled copies: plain dispatchers (cached on disk, callable
    from Python), or ``inline="always"`` ones that the compiled loop inlines (a call that
    passes arrays costs reference counting on every step)."""
    if inline not in _spaces:
        ns = {"np": np, "math": math, "__name__": __name__}  # numba's cache rebuilds the environment from it
        opts = dict(inline="always", error_model="numpy") if inline else dict(cache=True, error_model="numpy")
        ns["_jit"] = nb.njit(**opts)
        ns["ufunc_d"] = _ufunc_intrinsic()
        for name in _HELPERS:
            ns[name] = ns["_jit"](_copy(globals()[name], ns))
        _spaces[inline] = ns
    return _spaces[inline]


def jitted(fn, nb, inline=False):
    """``fn`` of this module compiled by numba, its helpers compiled too.

    The functions stay plain Python in this module; the compiled copies share one
    namespace in which :func:`pairwise` and the other helpers are numba functions.
    """
    ns = _space(nb, inline)
    key = fn.__name__
    if key not in ns:
        ns[key] = ns["_jit"](_copy(fn, ns))
    return ns[key]


def _copy(fn, ns):
    import types
    return types.FunctionType(fn.__code__, ns, fn.__name__, fn.__defaults__, fn.__closure__)


def problem_id(name: str) -> int:
    """The number the compiled switch knows a problem by."""
    return list(KERNELS).index(name)


def switch_source() -> str:
    """f and grad of every registered problem behind one switch on its id: one compiled
    loop per optimizer configuration serves them all."""
    fs, gs = [], []
    for pid, (name, (f, g, _)) in enumerate(KERNELS.items()):
        fs.append(f"    {'if' if pid == 0 else 'elif'} pid == {pid}:\n        return {f.__name__}(x, P, tmp)")
        gs.append(f"    {'if' if pid == 0 else 'elif'} pid == {pid}:\n        {g.__name__}(x, P, tmp, out)")
    return ("def problem_f(pid, x, P, tmp):\n" + "\n".join(fs) + "\n    return np.nan\n\n\n"
            "def problem_grad(pid, x, P, tmp, out):\n" + "\n".join(gs) + "\n")


def switch(nb, inline=False):
    """The compiled (problem_f, problem_grad)."""
    ns = _space(nb, inline)
    if "problem_f" not in ns:
        for f, g, _ in KERNELS.values():
            jitted(f, nb, inline)
            jitted(g, nb, inline)
        exec(compile(switch_source(), __file__, "exec"), ns)
        for name in ("problem_f", "problem_grad"):
            ns[name] = ns["_jit"](ns[name])
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
