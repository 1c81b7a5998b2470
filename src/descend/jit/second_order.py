"""Compiled second-order solves: bfgs, lbfgs and cg of :mod:`descend.methods`, one run at a time in numba.

``minimize(problem, method="bfgs" | "lbfgs" | "cg")`` on a registered problem or a typed formula
runs here when numba is installed (the ``compiled`` policy of :mod:`descend.jit`: None takes it
once its solver is loaded, compiling in the background meanwhile; True demands it; False keeps
the NumPy path).  Each run goes through the phases of :mod:`descend.methods.driver` by the same
names (start, converged, direction, first trial, strong-Wolfe search, Armijo fallback, classify,
commit, record, finish) and the search is :class:`descend.linesearch.strong_wolfe._WolfeOne`'s,
trial for trial (:mod:`descend.jit.wolfe_row`; the rules in :mod:`descend.jit.quasi_newton_row`); R starts run one after the other (rows of a batch
never see each other), in slices on threads, one per core, from 2 x :data:`RUNS_PER_THREAD` runs.

Bit for bit the NumPy path's numbers, because every operation is the one NumPy does:

* a dot product is ``np.add.reduce(a * b)``: the products, then NumPy's pairwise sum
  (:func:`descend.jit.kernels.pairwise`, eight accumulators below 128 numbers);
* BFGS's ``H g`` is ``np.matmul`` of a matrix and a vector, which NumPy hands to OpenBLAS's
  ``cblas_dgemv``: the same function is called here, found by address in NumPy's own OpenBLAS
  (:func:`descend.jit.quasi_newton_row.blas_gemv`) and checked against ``np.matmul`` once per process;
* the zoom's cubic takes ``x ** 3`` through NumPy's own float64 power loop (NumPy's power is
  its own SIMD code, not libm's), found by address (:func:`descend.jit.formula.ufunc_loop`) and
  checked against the NumPy zoom once per process;
* ``np.minimum``/``np.maximum`` keep NaN, as written below; the rest is IEEE arithmetic.

Where a check fails the method keeps the NumPy path and :func:`why_not` says why.  At most
:data:`descend.jit.MAX_DIM` variables (the pairwise sum above is reproduced up to 128).
"""

from __future__ import annotations

import ctypes
import glob
import hashlib
import inspect
import math
import os
import sys
import types

import numpy as np

from . import formula, kernels, quasi_newton_row, wolfe_row
from .quasi_newton_row import (S_FALLBACKS, S_HEAD, S_SINCE, bfgs_direction, bfgs_update, cg_direction,
                               lbfgs_direction, lbfgs_update)
from .wolfe_row import (I_NFEV, I_NGEV, I_STATUS, ROUNDING, W_ALPHA, W_PHI, W_PHI_REACH, W_REACH, ZOOM_ITER, dot,
                        f_at, wolfe_search, wolfe_start)

__all__ = ["solve", "why_not", "formula_refused", "METHODS", "key", "zoom_trial_agrees", "RUNS_PER_THREAD"]

#: the methods compiled here, by their code in the solver
METHODS = {"bfgs": 0, "lbfgs": 1, "cg": 2}

# the options: floats (FO) and integers (IO)
F_GTOL, F_MAX_GROWTH, F_C1, F_C2, F_AMAX = range(5)
(O_METHOD, O_STEPS, O_M, O_QUADRATIC, O_FR, O_PERIOD, O_BRACKET_ITER, O_ZOOM_ITER, O_APPROXIMATE, O_USE_LIMIT,
 O_USE_AMAX, O_KEEP_X, O_KEEP_F) = range(13)
# how a run ended (REASON): as methods.driver's messages
R_NONE, R_DIVERGED_START, R_WOLFE, R_NONFINITE, R_GROWTH = range(5)
# the status of a run (STATUS)
ST_MAX_STEPS, ST_CONVERGED, ST_STOPPED, ST_DIVERGED = range(4)


# -- one run: the phases of methods.driver ----------------------------------------------------------

def _first_trial(method, nit, f, f_old, g, d, tmp):
    """L-BFGS: 1 / |d| on its first step, then 1; BFGS and CG: scipy's min(1, 2.02 (f - f_prev) / g'd)."""
    if method == 1:
        if nit == 0:
            dn = np.sqrt(dot(d, d, tmp))
            return 1.0 / (dn if dn > 0 else 1.0)
        return 1.0
    dphi0 = dot(g, d, tmp)
    v = 1.01 * 2 * (f - f_old) / dphi0
    guess = 1.0 if 1.0 <= v else v  # np.minimum(1.0, v)
    return guess if (np.isfinite(guess) and guess > 0 and dphi0 != 0) else 1.0


def _quadratic_trial(alpha, f, dphi0, x, d, pid, P, xp, tmp):
    """``linesearch.quadratic_trial`` on one row (one evaluation of f)."""
    fa = f_at(alpha, x, d, pid, P, xp, tmp)
    curvature = (fa - f - dphi0 * alpha) / (alpha * alpha)
    q = -dphi0 / (2.0 * curvature)
    if np.isfinite(q) and curvature > 0 and q > 0:
        lo = 0.1 * alpha
        return q if q >= lo else lo  # np.maximum(q, alpha / 10)
    return alpha


def _armijo_fallback(alpha1, f, dphi0, x, d, pid, P, xp, tmp):
    """Armijo backtracking from alpha1 (c1 1e-4, halving, 60 trials): (alpha or 0, f there, evaluations)."""
    alpha = alpha1
    nfev = 0
    if dphi0 < 0:
        for _ in range(60):
            trial = f_at(alpha, x, d, pid, P, xp, tmp)
            nfev += 1
            if np.isfinite(trial) and trial <= f + 1e-4 * alpha * dphi0 and trial < f:
                return alpha, trial, nfev
            alpha *= 0.5
    return 0.0, f, nfev


def _record(i, k, x, f, gnorm, HX, HF, HG, IO):
    if k >= HF.shape[1]:  # past the rows allocated: solve() runs again with room for all
        return
    if IO[O_KEEP_X]:
        HX[i, k, :] = x
    if IO[O_KEEP_F]:
        HF[i, k] = f
        HG[i, k] = gnorm


def _direction(method, g, d, H, S, Y, rho, dprev, gprev, st, tmp, q, al, IO, loops):
    if method == 0:
        bfgs_direction(g, d, H, st, tmp, loops)
    elif method == 1:
        lbfgs_direction(g, d, S, Y, rho, st, tmp, q, al)
    else:
        cg_direction(g, d, dprev, gprev, st, tmp, q, IO[O_FR], IO[O_PERIOD])


def _update(method, s, y, gnew, H, S, Y, rho, dprev, gprev, st, tmp, hy, loops):
    if method == 0:
        bfgs_update(s, y, H, st, tmp, hy, loops)
    elif method == 1:
        lbfgs_update(s, y, S, Y, rho, st, tmp)
    else:
        for j in range(s.shape[0]):
            gprev[j] = gnew[j] - y[j]  # the gradient the step left from
        st[S_SINCE] += 1


def _advance(k, x, f, g, d, f_old, nit, pid, P, FO, IO, w, wi, st, xp, tmp, gw, loops):
    """First trial, quadratic look, Wolfe search, Armijo fallback: (alpha or 0, f there, evaluations of
    f and of the gradient); the gradient at the new point is left in gw."""
    method = IO[O_METHOD]
    alpha1 = _first_trial(method, nit, f, f_old, g, d, tmp)
    nfev = 0
    dphi0 = dot(g, d, tmp)
    if IO[O_QUADRATIC]:
        alpha1 = _quadratic_trial(alpha1, f, dphi0, x, d, pid, P, xp, tmp)
        nfev += 1
    wolfe_start(w, wi, f, dphi0, alpha1, FO[F_C1], FO[F_C2], FO[F_AMAX], IO[O_USE_AMAX], IO[O_BRACKET_ITER],
                IO[O_ZOOM_ITER], IO[O_APPROXIMATE])
    wolfe_search(w, wi, x, d, pid, P, xp, tmp, gw, loops)
    nfev += wi[I_NFEV]
    ngev = wi[I_NGEV]
    alpha, fn = w[W_ALPHA], w[W_PHI]
    if wi[I_STATUS] == ZOOM_ITER or wi[I_STATUS] == ROUNDING:
        a, fa, fev = _armijo_fallback(alpha1, f, dphi0, x, d, pid, P, xp, tmp)
        nfev += fev
        if a > 0:
            for j in range(x.shape[0]):
                xp[j] = x[j] + a * d[j]
            GRAD(pid, xp, P, tmp, gw)  # noqa: F821
            ngev += 1
            alpha, fn = a, fa
            st[S_FALLBACKS] += 1
    return alpha, fn, nfev, ngev


def _classify(i, k, xn, fn, gn, FO, IO, limit, STATUS, REASON, STEP, WHAT, FBAD):
    """Non-finite x, f or gradient, or f grown past the limit: the run diverges (True)."""
    finite_x = True
    for j in range(xn.shape[0]):
        if not np.isfinite(xn[j]):
            finite_x = False
    if not (finite_x and np.isfinite(fn) and np.isfinite(gn)):
        STATUS[i], REASON[i], STEP[i] = ST_DIVERGED, R_NONFINITE, k + 1
        WHAT[i] = 0 if not finite_x else (1 if not np.isfinite(fn) else 2)
        return True
    if IO[O_USE_LIMIT] and fn > limit:
        STATUS[i], REASON[i], STEP[i], FBAD[i] = ST_DIVERGED, R_GROWTH, k + 1, fn
        return True
    return False


def _start(i, x, g, pid, P, FO, tmp, NFEV, NGEV, F0):
    """f and the gradient at the start (the gradient only where f is finite): (f, |g|, the growth limit)."""
    f = FUN(pid, x, P, tmp)  # noqa: F821
    NFEV[i] = 1
    if np.isfinite(f):
        GRAD(pid, x, P, tmp, g)  # noqa: F821
        NGEV[i] = 1
    else:
        for j in range(x.shape[0]):
            g[j] = np.nan
    F0[i] = f
    af = abs(f)
    limit = f + FO[F_MAX_GROWTH] * (af if (af > 1.0 or af != af) else 1.0)  # np.maximum(1, |f0|)
    return f, np.sqrt(dot(g, g, tmp)), limit


def _workspace(n, m, method):
    """One thread's arrays for its runs (allocated once, not per run): 12 vectors, BFGS's H, L-BFGS's
    pairs, the integer state, the Wolfe search's slots."""
    H = np.empty((n, n)) if method == 0 else np.empty((1, 1))
    return (np.empty((12, n)), H, np.empty((m, n)), np.empty((m, n)), np.empty(m), np.empty(m),
            np.empty(7, dtype=np.int64), np.empty(25), np.empty(12, dtype=np.int64))


def _run(i, X, pid, P, FO, IO, loops, OUT, NIT, NFEV, NGEV, STATUS, REASON, STEP, WHAT, FBAD, WST, REACH, PHIR,
         FALLBACKS, END, HX, HF, HG, HA, V, H, S, Y, rho, al, st, w, wi):
    """Run i from X[i] (left there at its end); its numbers into the outputs (OUT: f, |g|, f0)."""
    n = X.shape[1]
    method, m = IO[O_METHOD], max(IO[O_M], 1)
    x = X[i]
    g, d, xn, gw, xp, tmp, q, hy, sv, yv, dprev, gprev = (V[0], V[1], V[2], V[3], V[4], V[5], V[6], V[7], V[8],
                                                          V[9], V[10], V[11])
    if method == 0:
        for r in range(n):
            for c in range(n):
                H[r, c] = 1.0 if r == c else 0.0
    S[:, :] = 0.0
    Y[:, :] = 0.0
    rho[:] = 0.0
    dprev[:] = 0.0
    gprev[:] = 0.0
    st[:] = 0
    st[S_HEAD], st[S_SINCE] = m - 1, -1
    f, gnorm, limit = _start(i, x, g, pid, P, FO, tmp, NFEV, NGEV, OUT[2])
    f_old = f + gnorm / 2  # scipy's guess of a previous f, for the first Wolfe trial step
    _record(i, 0, x, f, gnorm, HX, HF, HG, IO)
    nit, e = 0, 0
    status = ST_MAX_STEPS
    if not (np.isfinite(f) and np.isfinite(gnorm)):
        status, REASON[i] = ST_DIVERGED, R_DIVERGED_START
    for k in range(IO[O_STEPS] if status == ST_MAX_STEPS else 0):
        if gnorm <= FO[F_GTOL]:  # -- converged
            status = ST_CONVERGED
            break
        e = k + 1
        _direction(method, g, d, H, S, Y, rho, dprev, gprev, st, tmp, q, al, IO, loops)  # -- direction
        alpha, fn, fev, gev = _advance(k, x, f, g, d, f_old, nit, pid, P, FO, IO, w, wi, st, xp, tmp, gw, loops)
        NFEV[i] += fev
        NGEV[i] += gev
        if not alpha > 0:  # the line search found no step: stopped, with its reason
            status, REASON[i], STEP[i], WST[i] = ST_STOPPED, R_WOLFE, k + 1, wi[I_STATUS]
            REACH[i], PHIR[i] = w[W_REACH], w[W_PHI_REACH]
            _record(i, k + 1, x, f, gnorm, HX, HF, HG, IO)
            break
        if IO[O_KEEP_F] and k < HA.shape[1]:
            HA[i, k] = alpha
        for j in range(n):  # -- classify and commit
            xn[j] = x[j] + alpha * d[j]
        gnn = np.sqrt(dot(gw, gw, tmp))
        if _classify(i, k, xn, fn, gnn, FO, IO, limit, STATUS, REASON, STEP, WHAT, FBAD):
            status = ST_DIVERGED
            _record(i, k + 1, x, f, gnorm, HX, HF, HG, IO)
            break
        for j in range(n):
            sv[j] = xn[j] - x[j]
            yv[j] = gw[j] - g[j]
        _update(method, sv, yv, gw, H, S, Y, rho, dprev, gprev, st, tmp, hy, loops)
        f_old, f, gnorm = f, fn, gnn
        x[:] = xn
        g[:] = gw
        nit += 1
        _record(i, k + 1, x, f, gnorm, HX, HF, HG, IO)  # -- record
    if status == ST_MAX_STEPS and gnorm <= FO[F_GTOL]:  # -- converged (after the last step)
        status = ST_CONVERGED
    OUT[0, i], OUT[1, i] = f, gnorm  # -- finish
    NIT[i], STATUS[i], END[i], FALLBACKS[i] = nit, status, e, st[S_FALLBACKS]


def _runs(X, pid, P, FO, IO, loops, OUT, NIT, NFEV, NGEV, STATUS, REASON, STEP, WHAT, FBAD, WST, REACH, PHIR,
          FALLBACKS, END, HX, HF, HG, HA, i0, i1):
    """Runs i0 to i1 - 1, one after the other; the last loop iteration any of them took."""
    last = 0
    V, H, S, Y, rho, al, st, w, wi = _workspace(X.shape[1], max(IO[O_M], 1), IO[O_METHOD])
    for i in range(i0, i1):
        _run(i, X, pid, P, FO, IO, loops, OUT, NIT, NFEV, NGEV, STATUS, REASON, STEP, WHAT, FBAD, WST, REACH,
             PHIR, FALLBACKS, END, HX, HF, HG, HA, V, H, S, Y, rho, al, st, w, wi)
        last = max(last, END[i])
    return last


# -- the compiled solver, and what it needs from NumPy ----------------------------------------------

_FUNCTIONS = wolfe_row.FUNCTIONS + quasi_newton_row.FUNCTIONS + (
    _first_trial, _quadratic_trial, _armijo_fallback, _record, _direction, _update, _advance, _classify, _start,
    _workspace, _run, _runs)
_state: dict = {}
#: compiled as calls of their own; every other function is inlined where it is called (numba counts
#: references to each array a call passes, atomically: on a 2-D problem that costs more than the
#: arithmetic, and more again where two threads count the same shared arrays; inlining the run
#: into the loop over runs as well made the compile take minutes)
_CALLED = frozenset(("_runs", "_run"))


def _intrinsics():
    """The compiled ``blas_gemv`` and ``npow``: one call of the function at an address."""
    from llvmlite import ir
    from numba.core import cgutils
    from numba.core import types as nt
    from numba.extending import intrinsic

    @intrinsic
    def blas_gemv(typingctx, address, n, H, x, y):
        def codegen(context, builder, signature, args):
            i32, i64, dbl = ir.IntType(32), ir.IntType(64), ir.DoubleType()
            dp = dbl.as_pointer()
            fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i64, i64, dbl, dp, i64, dp, i64, dbl, dp, i64])
            H_, x_, y_ = (context.make_array(signature.args[k])(context, builder, args[k]) for k in (2, 3, 4))
            one, zero, step = ir.Constant(dbl, 1.0), ir.Constant(dbl, 0.0), ir.Constant(i64, 1)
            # CblasRowMajor (101), CblasNoTrans (111): what np.matmul passes for a matrix times a vector
            builder.call(builder.inttoptr(args[0], fnty.as_pointer()),
                         [ir.Constant(i32, 101), ir.Constant(i32, 111), args[1], args[1], one, H_.data, args[1],
                          x_.data, step, zero, y_.data, step])
            return context.get_dummy_value()
        return nt.void(address, n, H, x, y), codegen

    @intrinsic
    def npow(typingctx, f, d, a, b):
        def codegen(context, builder, signature, args):
            dbl, i64 = ir.DoubleType(), ir.IntType(64)
            i8p = ir.IntType(8).as_pointer()
            fnty = ir.FunctionType(ir.VoidType(), [i8p.as_pointer(), i64.as_pointer(), i64.as_pointer(), i8p])
            argv = cgutils.alloca_once(builder, i8p, size=3)
            steps = cgutils.alloca_once(builder, i64, size=3)
            slots = [cgutils.alloca_once(builder, dbl) for _ in range(3)]
            builder.store(args[2], slots[0])
            builder.store(args[3], slots[1])
            for j in range(3):  # one element; the exponent's stride 0, as for a number
                builder.store(builder.bitcast(slots[j], i8p), builder.gep(argv, [ir.Constant(i64, j)]))
                builder.store(ir.Constant(i64, 0 if j == 1 else 8), builder.gep(steps, [ir.Constant(i64, j)]))
            dims = cgutils.alloca_once(builder, i64)
            builder.store(ir.Constant(i64, 1), dims)
            builder.call(builder.inttoptr(args[0], fnty.as_pointer()),
                         [argv, dims, steps, builder.inttoptr(args[1], i8p)])
            return builder.load(slots[2])
        return nt.float64(nt.int64, nt.int64, nt.float64, nt.float64), codegen

    return blas_gemv, npow


def _gemv_address() -> int:
    """The address of ``cblas_dgemv`` in the OpenBLAS NumPy was built with (64-bit integers), checked
    against ``np.matmul`` of a matrix and a vector; 0 where it is not found or does not agree."""
    if "gemv" in _state:
        return _state["gemv"]
    found = 0
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "libscipy_openblas64_*"))):
        try:
            fn = ctypes.CDLL(path).scipy_cblas_dgemv64_
        except (OSError, AttributeError):
            continue
        fn.restype = None
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_double, ctypes.c_void_p,
                       ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_double, ctypes.c_void_p,
                       ctypes.c_int64]
        rng = np.random.default_rng(3)
        ok = True
        for n in (1, 2, 3, 5, 8, 13, 31, 64, 100, 128):
            H, x, y = rng.normal(size=(n, n)), rng.normal(size=n) * 10.0 ** rng.uniform(-3, 3, n), np.empty(n)
            fn(101, 111, n, n, 1.0, H.ctypes.data, n, x.ctypes.data, 1, 0.0, y.ctypes.data, 1)
            ok &= np.array_equal(y.view(np.int64), np.matmul(H[None], x[None, :, None])[0, :, 0].view(np.int64))
        if ok:
            found = ctypes.cast(fn, ctypes.c_void_p).value or 0
            break
    _state["gemv"] = found
    return found


def _loops() -> np.ndarray:
    """(power loop, its data, cblas_dgemv) addresses, as the solver takes them."""
    if "loops" not in _state:
        pw = formula.ufunc_loop(np.power) or (0, 0)
        _state["loops"] = np.array([pw[0], pw[1], _gemv_address()], dtype=np.int64)
    return _state["loops"]


def _digest(variant) -> str:
    h = hashlib.sha1(b"".join(inspect.getsource(m).encode() for m in (sys.modules[__name__], wolfe_row, quasi_newton_row)))
    h.update(variant.encode() + repr(sorted(_CALLED)).encode())
    h.update((kernels.fingerprint() if variant == "problems" else formula.fingerprint()).encode())
    return h.hexdigest()[:12]


def _solver(variant, problem=None):
    """The compiled :func:`_runs` over the registered problems' switch ("problems") or the typed
    formulas' evaluator ("formula"), built once per process and cached on disk by numba."""
    if variant in _state:
        return _state[variant]
    from ..optim import fused
    fused.available()
    nb = fused._numba
    if variant == "problems":
        fun, grad = kernels.switch(nb)
    else:
        fun, grad, _ = formula.kernels(problem, 1)
    ns = {k: v for module in (wolfe_row, quasi_newton_row, sys.modules[__name__]) for k, v in vars(module).items()
          if not isinstance(v, types.FunctionType)}  # the slots and constants both modules' functions read
    ns.update(__name__=__name__, np=np, math=math, FUN=fun, GRAD=grad, pairwise=kernels.jitted(kernels.pairwise, nb))
    ns["blas_gemv"], ns["npow"] = _intrinsics()
    tag = _digest(variant)
    jit = nb.njit(cache=True, nogil=True, error_model="numpy")
    inline = nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
    for fn in _FUNCTIONS:
        copy = types.FunctionType(fn.__code__, ns, fn.__name__)  # numba caches it beside fn's own module
        copy.__qualname__ = f"{fn.__name__.lstrip('_')}_{variant}_{tag}"  # one cache entry per variant
        ns[fn.__name__] = (jit if fn.__name__ in _CALLED else inline)(copy)
    _state[variant] = ns
    return ns


def zoom_trial_agrees() -> bool:
    """Whether the compiled zoom trial gives ``linesearch``'s NumPy zoom trial bit for bit (once per
    process): its cubic calls NumPy's power loop by address."""
    if "zoom" not in _state:
        from ..linesearch.strong_wolfe import zoom_trial as numpy_trial
        loops = _loops()
        ok = bool(loops[0])
        if ok:
            fn = _solver("problems")["zoom_trial"]
            rng = np.random.default_rng(7)
            for _ in range(400):
                lo, hi, rec = sorted(rng.uniform(0, 3, 3) * 10.0 ** rng.uniform(-6, 3))
                lo, hi = (hi, lo) if rng.random() < 0.5 else (lo, hi)
                v = (float(rng.normal()), float(rng.normal()), float(rng.normal()) - 1.0, float(rng.normal()))
                first = bool(rng.random() < 0.2)
                with np.errstate(all="ignore"):  # no minimizer: nan, as in the search
                    want = numpy_trial(*(np.array([u]) for u in (lo, hi, v[0], v[1], v[2], rec, v[3])),
                                       np.array([first]))[0]
                got = fn(lo, hi, v[0], v[1], v[2], rec, v[3], first, loops)
                ok &= np.float64(got).view(np.int64) == np.float64(want).view(np.int64)
        _state["zoom"] = bool(ok)
    return _state["zoom"]


def key(problem, method, X) -> tuple:
    """What selects a compiled solver (for :mod:`descend.jit.ready`): the evaluator it calls."""
    what = "formula" if formula.program_of(problem) is not None else "problems"
    return ("second_order", what, method == "bfgs")


def formula_refused(problem, X) -> bool:
    """Whether ``problem`` is a typed formula that the compiled evaluator refuses from the starts X."""
    return formula.program_of(problem) is not None and bool(formula.why_not(problem, X))


def why_not(problem, X, method) -> str:
    """"" when ``method`` on ``problem`` from the starts X (R, n) runs compiled here, else why not."""
    from . import MAX_DIM, available
    if not available():
        return ("numba is not installed (pip install 'descend[fast]')" if not os.environ.get("DESCEND_NO_NUMBA")
                else "DESCEND_NO_NUMBA is set")
    from . import diskcache
    diskcache.sweep_once()  # a corrupt or foreign cache index is removed before numba reads any
    if X.dtype != np.float64:
        return f"x0 is {X.dtype}; the compiled solver computes in float64"
    if X.shape[1] > MAX_DIM:
        return f"x0 has {X.shape[1]} variables; the compiled solver reproduces NumPy's sums up to {MAX_DIM}"
    if formula.program_of(problem) is not None:
        why = formula.why_not(problem, X)
    else:
        from ..optim import fused
        spec, why = kernels.params_of(problem)
        if not why and not kernels.agrees(problem, spec[0], fused._numba):
            why = f"problem {spec[0]!r}: its compiled kernels do not give this NumPy's bits on this machine"
    if why:
        return why
    if method == "bfgs" and not _loops()[2]:
        return "OpenBLAS's cblas_dgemv (np.matmul's) was not found in NumPy's libraries, or does not give its bits"
    if not zoom_trial_agrees():
        return "NumPy's float64 power loop could not be called from compiled code with NumPy's bits"
    return ""


#: each thread takes at least this many runs (a run of a small problem takes tens of microseconds)
RUNS_PER_THREAD = 64
_threads: list = []  # (pid, executor, cores) of the process that asked


def _pool():
    """The threads that run slices of the runs; a forked process makes its own."""
    if not _threads or _threads[0][0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cores = os.cpu_count() or 1
        _threads[:] = [(os.getpid(), ThreadPoolExecutor(max_workers=max(1, cores),
                                                        thread_name_prefix="descend-second-order"), max(1, cores))]
    return _threads[0][1]


def _chunks(R):
    """Slices of the runs, one per core: RUNS_PER_THREAD runs at least each."""
    if R < 2 * RUNS_PER_THREAD:
        return [(0, R)]
    _pool()
    k = max(1, min(_threads[0][2], R // RUNS_PER_THREAD))
    return [(R * j // k, R * (j + 1) // k) for j in range(k)]


#: history rows allocated at first (a run that goes on past them is run again with room for all)
HISTORY_ROWS = 256


def _advance(ns, X, pid, P, FO, IO, keep_x, keep_f, rows):
    """Every run through the compiled solver, the history with ``rows`` + 1 rows: (the runs' numbers,
    the last iteration any run took, HX, HF, HG, HA)."""
    R, n = X.shape
    out = dict(OUT=np.empty((3, R)), NIT=np.zeros(R, np.int64), NFEV=np.zeros(R, np.int64),
               NGEV=np.zeros(R, np.int64), STATUS=np.zeros(R, np.int64), REASON=np.zeros(R, np.int64),
               STEP=np.zeros(R, np.int64), WHAT=np.zeros(R, np.int64), FBAD=np.full(R, np.nan),
               WST=np.zeros(R, np.int64), REACH=np.zeros(R), PHIR=np.zeros(R), FALLBACKS=np.zeros(R, np.int64),
               END=np.zeros(R, np.int64))
    HX = np.empty((R, rows + 1, n)) if keep_x else np.empty((1, 1, 1))
    HF = np.empty((R, rows + 1)) if keep_f else np.empty((1, 1))
    HG = np.empty((R, rows + 1)) if keep_f else np.empty((1, 1))
    HA = np.full((R, rows + 1), np.nan) if keep_f else np.full((1, 1), np.nan)
    args = (X, pid, P, FO, IO, _loops(), *out.values(), HX, HF, HG, HA)
    chunks = _chunks(R)
    if len(chunks) == 1:
        last = int(ns["_runs"](*args, 0, R))
    else:  # the solver releases the GIL: slices of the runs on threads, each run on one
        last = int(max(_pool().map(lambda c: ns["_runs"](*args, *c), chunks)))
    return out, last, HX, HF, HG, HA


def solve(problem, X, method, *, m, quadratic_start, fr, restart, ls, steps, gtol, max_growth, keep):
    """Run ``method`` compiled from every row of X (R, n), in place; the runs' numbers as arrays
    (see :func:`_run`), or None where the solver is not available."""
    R, n = X.shape
    if formula.program_of(problem) is not None:
        ns = _solver("formula", problem)
        _, _, P = formula.kernels(problem, R)
        pid = 0
    else:
        ns = _solver("problems")
        spec, _ = kernels.params_of(problem)
        pid, P = kernels.problem_id(spec[0]), spec[3]
    FO = np.array([gtol, np.nan if max_growth is None else float(max_growth), ls.c1, ls.c2,
                   np.nan if ls.amax is None else float(ls.amax)], dtype=np.float64)
    IO = np.array([METHODS[method], steps, m, quadratic_start, fr, restart or 0, ls.bracket_iter, ls.zoom_iter,
                   ls.approximate, max_growth is not None, ls.amax is not None, keep is True, bool(keep)],
                  dtype=np.int64)
    keep_x, keep_f = keep is True, bool(keep)
    rows = min(steps, HISTORY_ROWS) if keep else steps  # runs usually converge long before steps
    X0 = X.copy() if rows < steps else None
    out, last, HX, HF, HG, HA = _advance(ns, X, pid, P, FO, IO, keep_x, keep_f, rows)
    if X0 is not None and last > rows:  # a run went on past the history allocated: again, with room
        X[:] = X0
        out, last, HX, HF, HG, HA = _advance(ns, X, pid, P, FO, IO, keep_x, keep_f, last)
    out["last"] = last
    if keep:
        for i in range(R):  # a run that ended early repeats its last values
            e = out["END"][i]
            if keep_x:
                HX[i, e + 1:last + 1] = X[i]
            HF[i, e + 1:last + 1] = out["OUT"][0, i]
            HG[i, e + 1:last + 1] = out["OUT"][1, i]
        HA[:, last] = np.nan
        out["history"] = (HX[:, :last + 1].transpose(1, 0, 2) if keep_x else None, HF[:, :last + 1].T,
                          HG[:, :last + 1].T, HA[:, :last + 1].T)
    return out
