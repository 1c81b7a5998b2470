"""Compiled trajectories: ``descend.minimize`` with the whole loop compiled by numba.

``minimize(..., compiled=None)`` takes this path by itself when it applies and gives the
NumPy path's result bit for bit (x, f, gradient norms, counts, statuses, messages and
history); ``compiled=True`` demands it (a DescendError says why it cannot be taken),
``compiled=False`` keeps the NumPy path.  It applies when

* numba is installed (the ``fast`` extra; ``DESCEND_NO_NUMBA=1`` pretends it is not),
* the optimizer is given by name and is gd or an elementwise rule of
  :mod:`descend.optim` with compiled per-step numbers (:mod:`descend.jit.scalars`),
  with a constant lr, one lr per run or any schedule of :mod:`descend.schedules`,
* there is no line search and no callback (both stay on the NumPy path),
* f and its gradient are compiled: a registered problem of :mod:`descend.problems`
  (kernels in :mod:`descend.jit.kernels`; not least_squares, quadratic and
  ill_conditioned, whose OpenBLAS matrix products round differently by batch size), a
  typed formula (:func:`descend.problems.from_expression`: its program run by the one
  compiled evaluator of :mod:`descend.jit.formula`, so a new formula compiles nothing; one
  it refuses keeps the NumPy path and says why in ``Result.extra["compiled"]``), or
  functions given through :func:`compiled` (or two ``numba.njit`` functions as ``f`` and
  ``grad``),
* x0 is float64 with at most 128 variables (the NumPy path's sums and, above 8
  variables, its ``einsum`` for gradient norms are reproduced, after a check against
  this NumPy build; a problem's kernels are checked against its NumPy formulas too).

Line searches (backtracking, grid, exact, Wolfe), callbacks, numerical gradients and
optimizer instances keep the NumPy path.  The second-order methods bfgs, lbfgs and cg have a
compiled solver of their own (:mod:`descend.jit.second_order`, under the same policy), newton
and damped_newton keep the NumPy path.

The first call of an optimizer configuration compiles its loop (seconds; the very first
also compiles the problem kernels) and numba caches it on disk; later processes load
it (see bench/README.md, "Compiled trajectories", for both figures).  ``compiled=None``
never waits for that: until the loop is loaded in this process the call runs on the NumPy
path and one background thread loads or compiles it (:mod:`descend.jit.ready`,
:func:`wait_ready`); numba's cache indexes are checked first (:mod:`descend.jit.diskcache`).
"""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np

from ..errors import DescendError

__all__ = ["compiled", "CompiledObjective", "available", "why_not", "prefer_numpy", "numpy_preferred", "wait_ready"]

_prefer = threading.local()


@contextlib.contextmanager
def prefer_numpy():
    """Inside (this thread): ``compiled=None`` keeps the NumPy path; ``compiled=True`` still compiles.

    For work made of many small runs in a short-lived process, such as ``descend demo``:
    on a fresh numba cache each optimizer configuration's loop compiles for seconds
    (the demo took 29 s instead of 11 s), more than its runs take on the NumPy path,
    which gives the same numbers bit for bit.
    """
    before = getattr(_prefer, "on", False)
    _prefer.on = True
    try:
        yield
    finally:
        _prefer.on = before

def numpy_preferred() -> bool:
    """Whether :func:`prefer_numpy` is on in this thread (``compiled=None`` then keeps the NumPy path)."""
    return getattr(_prefer, "on", False)


#: the most variables the compiled path takes (NumPy's pairwise sum is reproduced up to 128)
MAX_DIM = 128


def available() -> bool:
    """Whether numba can be imported (and ``DESCEND_NO_NUMBA`` is not set)."""
    from ..optim import fused
    return fused.available()


def _is_numba_function(fn) -> bool:
    # a numba dispatcher, recognised without importing numba
    return callable(fn) and hasattr(fn, "py_func") and hasattr(fn, "signatures") and hasattr(fn, "compile")


class CompiledObjective:
    """f and its gradient compiled with numba, for :func:`descend.minimize`.

    Made by :func:`compiled`.  Calling it is calling ``f``; ``.f`` and ``.grad`` are the
    numba dispatchers.  On the NumPy path (``compiled=False``, or a line search) they
    are called one point at a time from Python, so both paths run the same machine code
    and agree bit for bit.
    """

    __slots__ = ("f", "grad", "__name__")

    def __init__(self, f, grad):
        self.f, self.grad = f, grad
        self.__name__ = getattr(getattr(f, "py_func", f), "__name__", "f")

    def __call__(self, x):
        return self.f(x)

    def __repr__(self):
        return f"compiled({self.__name__}, {getattr(getattr(self.grad, 'py_func', self.grad), '__name__', 'grad')})"


def compiled(f, grad) -> CompiledObjective:
    """Wrap f and its gradient so that :func:`descend.minimize` compiles the whole loop.

    Parameters
    ----------
    f : function or numba dispatcher
        ``f(x) -> float`` for one point ``x`` (an ``(n,)`` float64 array; a float when
        x0 is a plain number).  A plain Python function is compiled with
        ``numba.njit`` (cached on disk when it is defined in a module's .py file); it must
        be written in numba's subset of Python (NumPy functions on arrays and scalars,
        loops, math).
    grad : function or numba dispatcher
        ``grad(x) -> (n,) array`` (a float for a plain number).

    Returns
    -------
    CompiledObjective
        Pass it as ``f``: ``minimize(compiled(f, grad), x0, optimizer="adam")``.

    Examples
    --------
    >>> import numpy as np, descend
    >>> def f(x):
    ...     return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> def grad(x):
    ...     return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
    >>> res = descend.minimize(descend.compiled(f, grad), [-1.2, 1.0], optimizer="adam", lr=0.01,
    ...                        steps=3000)                                    # doctest: +SKIP
    """
    if not callable(f) or not callable(grad):
        raise DescendError(f"compiled(f, grad) needs two functions, got {type(f).__name__} and "
                           f"{type(grad).__name__}")
    if not available():
        raise DescendError("compiled(f, grad) needs numba, which is not installed: pip install 'descend[fast]'")
    from ..optim import fused
    from .driver import cacheable
    nb = fused._numba

    def jit(fn):
        if _is_numba_function(fn):
            return fn
        return nb.njit(cache=cacheable(fn), error_model="numpy")(fn)
    return CompiledObjective(jit(f), jit(grad))


def unwrap(f, grad):
    """What minimize sees of a :class:`CompiledObjective`: (f, grad)."""
    if isinstance(f, CompiledObjective):
        if grad is not None and grad is not f.grad:
            raise DescendError("f is compiled(f, grad), which brings its own gradient: leave grad=None")
        return f.f, f.grad
    return f, grad


def why_not(problem, fun, grad, optimizer, opt, x0, line_search, callback, vectorized) -> str:
    """"" when the compiled path applies, else the reason (one clause)."""
    if not available():
        return ("numba is not installed (pip install 'descend[fast]')" if not os.environ.get("DESCEND_NO_NUMBA")
                else "DESCEND_NO_NUMBA is set")
    from . import diskcache
    diskcache.sweep_once()  # a corrupt or foreign cache index is removed before numba reads any
    if line_search is not None:
        return "a line search runs on the NumPy path"
    if callback is not None:
        return "a callback runs on the NumPy path"
    if not isinstance(optimizer, str):
        return "an optimizer instance keeps its own state, which only the NumPy path updates; give its name"
    from . import scalars
    tw, why = scalars.twin(opt)
    if tw is None:
        return why
    X = np.asarray(x0)
    if X.dtype != np.float64:
        return f"x0 is {X.dtype}; the compiled path computes in float64"
    n = 1 if X.ndim == 0 else X.shape[-1]
    from ..optim import fused
    from . import kernels
    if n > MAX_DIM:
        return f"x0 has {n} variables; the compiled loop reproduces NumPy's sums up to {MAX_DIM}"
    if n > 8 and not kernels.einsum_ok(fused._numba):
        return (f"x0 has {n} variables; above 8 the gradient norm is NumPy's einsum, whose summation order "
                f"in this NumPy build the compiled loop does not reproduce")
    if problem is not None:
        if grad is not problem.grad:
            return "grad is not the problem's own analytic gradient"
        from . import formula
        if formula.program_of(problem) is not None:  # a typed formula: the compiled evaluator of its program
            return formula.why_not(problem, X.reshape(-1, n))
        spec, why = kernels.params_of(problem)
        if not why and not kernels.agrees(problem, spec[0], fused._numba):
            why = (f"problem {spec[0]!r}: its compiled kernels do not give this NumPy's bits on this machine "
                   f"(its sin, cos, exp or sums differ)")
        return why
    if isinstance(grad, str) or grad is None:
        return "the gradient is numerical (finite differences); give an analytic one through descend.compiled(f, grad)"
    if not (_is_numba_function(fun) and _is_numba_function(grad)):
        return "f or grad is a Python function, not compiled: wrap them with descend.compiled(f, grad)"
    if vectorized:
        return "vectorized=True: the compiled loop calls f one point at a time"
    return ""



def _ready_now(problem, args) -> bool:
    """For ``compiled=None``: whether to go on to the compiled path in this call (its loop is
    ready, or the job is long enough to wait for it); False queues the loop's preparation on
    :mod:`descend.jit.ready`'s thread where the path may apply, and the call runs on NumPy."""
    from . import ready

    if not ready.installed():
        return True  # why_not says so, without importing anything
    if args["line_search"] is not None or args["callback"] is not None or not isinstance(args["optimizer"], str):
        return False  # the NumPy path (why_not would say why; compiled=None does not ask)
    X = args["X"]
    k = ready.key(problem, args["fun"], args["grad"], args["opt"], X, args["history"])
    kwargs = {a: args[a] for a in _DISPATCH_ARGS}
    work = X.shape[0] * args["steps"] * (ready.USER_CALL_COST if problem is None else 1)
    return ready.take(ready.prepare_job(dispatch, kwargs), k, work)


_DISPATCH_ARGS = ("f", "fun", "grad", "optimizer", "opt", "X", "lr", "steps", "gtol", "max_growth", "history",
                  "line_search", "callback", "vectorized", "scalar", "batched", "name")


def wait_ready(timeout: float | None = None) -> bool:
    """Wait until the compiled loops that ``compiled=None`` calls queued are ready; False on timeout.

    ``minimize(..., compiled=None)`` answers on the NumPy path while a configuration's loop
    is loaded or compiled in the background (:mod:`descend.jit.ready`); after this, the same
    configurations run compiled.
    """
    from . import ready

    return ready.wait_ready(timeout)


def dispatch(compiled, f, fun, grad, optimizer, opt, X, lr, steps, gtol, max_growth, history, line_search,
             callback, vectorized, *, scalar, batched, name, notes=None):
    """minimize's choice: the compiled Result, or None for the NumPy path.

    ``compiled`` None takes the compiled path where it applies, True demands it (a
    DescendError names the reason it cannot be taken), False never takes it.  A typed
    formula that the compiled evaluator refuses (:func:`descend.jit.formula.why_not`)
    puts the reason in ``notes["compiled"]``, for the NumPy path's ``Result.extra``.
    """
    if compiled is False or (compiled is None and getattr(_prefer, "on", False)):
        return None
    if compiled is not None and compiled is not True:
        raise DescendError(f"compiled must be None (decide), True or False, got {compiled!r}")
    from ..problems import Problem

    problem = f if isinstance(f, Problem) else None
    if compiled is None and not _ready_now(problem, locals()):
        return None  # the NumPy path now; the loop gets ready in the background (descend.jit.ready)
    why = why_not(problem, fun, grad, optimizer, opt, X, line_search, callback, vectorized)
    if why:
        if compiled:
            raise DescendError(f"compiled=True, but the compiled path cannot be taken: {why}")
        if notes is not None and problem is not None and available():
            from . import formula
            if formula.program_of(problem) is not None and formula.why_not(problem, X):
                notes["compiled"] = f"the typed formula ran on the NumPy path: {formula.why_not(problem, X)}"
        return None
    from .run import run

    # None: a check of the NumPy path refuses the input; it runs next and says how
    res = run(problem, fun, grad, opt, X, lr, steps, gtol, max_growth, history, scalar=scalar, batched=batched,
              name=name)
    if res is not None:  # its loop is loaded: compiled=None takes it from now on
        from . import ready
        ready.mark(ready.key(problem, fun, grad, opt, X, history))
    return res
