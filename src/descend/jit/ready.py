"""Which compiled loops this process has ready, and the one thread that gets the others ready.

``minimize(..., compiled=None)`` never makes its caller wait for numba: a configuration
whose loop is not yet loaded in this process runs on the NumPy path (the same numbers,
bit for bit) while one background thread imports numba, runs the compiled path's checks
and loads the loop from numba's disk cache, or compiles it where nothing is cached (a
fresh install); the calls after that run compiled.  A long job (``INLINE_WORK`` run-steps
or more, where the NumPy path would take longer than a compile) still waits, as does
``compiled=True``.

A configuration is keyed by what selects its loop and its checks: the optimizer, its
hyperparameters' kinds (flags by value, numbers as zero or not, arrays, schedules), the
learning rate's kind, the problem (a registered problem by name, a typed formula, the
user's compiled functions by identity), whether the runs go in lockstep, the number of
variables and the history kept.

The disk cache is numba's: beside :mod:`descend.jit.driver` in ``__pycache__`` where the
package folder is writable, else in numba's user cache folder (``NUMBA_CACHE_DIR``, or
``~/.cache/numba``).  A cached loop is used only when its source file's stamp (time and
size: an upgrade rewrites it), numba's version and Python's match, and its name carries a
digest of every source it is made of (the rule, the twin's numbers, the problem kernels),
so a stale one is never loaded.

Set ``DESCEND_JIT_WAIT=1`` (or use :func:`foreground`) to load or compile in the caller's
thread, as ``compiled=True`` does; :func:`wait_ready` waits for the thread's work.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import os
import sys
import threading

import numpy as np

__all__ = ["key", "take", "mark", "wait_ready", "foreground", "status", "INLINE_WORK", "USER_CALL_COST", "LOCKSTEP_RUNS"]

#: run-steps from which minimize waits for the compiled loop (descend.jit.run.INLINE_WORK)
INLINE_WORK = 5_000_000
#: what one run-step of the user's own compiled functions costs on the NumPy path, in run-steps of
#: a registered problem's: the NumPy path calls f and grad from Python once per run and step (about
#: 10 us each) where a problem's rows are vectorised over the runs (about 0.05 us a run-step), so a
#: thousand runs of 2000 steps wait for the loop (~1.5 s to compile) instead of 30 s on NumPy
USER_CALL_COST = 100
#: runs from which the lockstep loop is taken (descend.jit.lockstep.MIN_RUNS; a test checks both)
LOCKSTEP_RUNS = 16

_lock = threading.Lock()
_state: dict = {}  # key -> "pending" | "ready" | "failed: ..."
_jobs: list = []
_idle = threading.Condition(_lock)
_worker: list = []  # the thread, once started
_front = threading.local()


def _after_fork():
    """In a forked child: a fresh lock (the parent's thread may have held it) and no thread;
    what was pending in the parent is asked for again here."""
    global _lock, _idle
    _lock = threading.Lock()
    _idle = threading.Condition(_lock)
    for k in [k for k, s in _state.items() if s == "pending"]:
        del _state[k]
    _jobs.clear()
    _worker.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


@contextlib.contextmanager
def foreground():
    """Inside (this thread): ``compiled=None`` loads or compiles a loop that is not ready now."""
    before = getattr(_front, "on", False)
    _front.on = True
    try:
        yield
    finally:
        _front.on = before


def _kind(v):
    if isinstance(v, (bool, np.bool_, str)) or v is None:
        return v
    if isinstance(v, np.ndarray):
        return "array"
    if callable(v):
        return "schedule"
    if isinstance(v, tuple):
        return tuple(_kind(u) for u in v)
    try:
        return "zero" if v == 0 else "number"
    except (TypeError, ValueError):
        return type(v).__name__


def key(problem, fun, grad, opt, X, history) -> tuple:
    """What selects a compiled loop and its checks (no numba needed to compute it)."""
    from .formula import program_of

    hp = tuple((k, _kind(v)) for k, v in sorted(opt._hp.items()))
    if problem is None:
        what = ("user", id(fun), id(grad))
    elif program_of(problem) is not None:
        what = ("formula",)
    else:
        what = ("problem", problem.name)
    R, n = X.shape
    hist = history if isinstance(history, (bool, str)) else bool(history)
    return (opt.name, hp, what, R >= LOCKSTEP_RUNS, n, hist)


def status(k) -> str:
    """"ready", "pending", "failed: why", or "" for a configuration not yet asked for."""
    with _lock:
        return _state.get(k, "")


def mark(k) -> None:
    """Record that configuration ``k``'s loop is loaded in this process (a compiled run finished)."""
    with _lock:
        _state[k] = "ready"
        _idle.notify_all()


def installed() -> bool:
    """Whether numba can be imported, answered without importing it."""
    if os.environ.get("DESCEND_NO_NUMBA"):
        return False
    if "numba" in sys.modules:
        return True
    return importlib.util.find_spec("numba") is not None


def take(job, k, work) -> bool:
    """True when the caller should go on to the compiled path now (its loop is ready, the job
    is long, or waiting was asked for); else queue ``job`` (once per key) and return False."""
    if os.environ.get("DESCEND_JIT_WAIT") or getattr(_front, "on", False) or work >= INLINE_WORK:
        return True
    with _lock:
        s = _state.get(k, "")
        if s == "ready":
            return True
        if s.startswith("failed"):
            return False  # its preparation raised (numba's own error, a cache it could not read): NumPy
        if not s:
            _state[k] = "pending"
            _jobs.append((k, job))
            _start()
    return False


def _start():
    """Start the worker thread, or wake it (called with the lock held)."""
    if _worker and _worker[0].is_alive():
        _idle.notify_all()
        return
    t = threading.Thread(target=_work, name="descend-jit-ready", daemon=True)
    _worker[:] = [t]
    t.start()


def _work():
    while True:
        with _lock:
            while not _jobs:
                _idle.notify_all()
                _idle.wait()
            k, job = _jobs.pop(0)
        try:
            job()
            s = "ready"
        except BaseException as exc:  # noqa: BLE001 - a failed warm-up leaves the caller's path to say why
            s = f"failed: {type(exc).__name__}: {exc}"
        with _lock:
            _state[k] = s
            _idle.notify_all()


def wait_ready(timeout: float | None = None) -> bool:
    """Wait until every configuration queued so far is ready (or failed); False on timeout."""
    with _lock:
        return _idle.wait_for(lambda: not _jobs and "pending" not in _state.values(), timeout)


def prepare_job(dispatch, kwargs):
    """A job that runs ``dispatch(**kwargs)`` on copies for two steps in the foreground: numba
    imported, the compiled path's checks made, the loop loaded (or compiled, then cached)."""
    def job():
        a = dict(kwargs)
        try:
            a["opt"] = copy.deepcopy(a["opt"])
        except Exception:  # noqa: BLE001 - an uncopyable schedule: the compiled path only reads opt
            pass
        a["X"] = np.array(a["X"], dtype=np.float64, copy=True)
        a["steps"] = min(a["steps"], 2)
        with np.errstate(all="ignore"), foreground():
            dispatch(None, **a)
    return job
