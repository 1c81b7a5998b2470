"""descend.minimize for the endpoints: compiled trajectories without the wait.

descend.minimize runs the whole loop compiled (descend.jit) when it can, with the NumPy path's
numbers bit for bit; the first run of an optimizer configuration in a process loads or compiles
its loop (seconds, more on a busy machine).  A request never waits for that: a configuration
not yet known to be loaded runs on the NumPy path (compiled=False: the same numbers), and a
two-step run of it is queued on one background thread, after which it runs compiled.
"""

from __future__ import annotations

import concurrent.futures
import threading

import numpy as np

from ...errors import DescendError
from ...minimize import minimize
from ..checks import BadRequest
from .listings import two_d_problems

__all__ = ["minimize_request", "warm_now"]

_WARM: set = set()
_PENDING: set = set()
_WARM_LOCK = threading.Lock()
_WARMER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="descend-serve-warm")


def _config_key(kwargs: dict, x0) -> tuple:
    """What selects a compiled loop: the optimizer, which keywords are given (flags by value),
    the lr's kind and the history kept."""
    parts = []
    for k, v in sorted(kwargs.items()):
        if k == "optimizer" or isinstance(v, (bool, str)) or v is None:
            parts.append((k, v))
        else:
            parts.append((k, "array" if isinstance(v, np.ndarray) else "number"))
    return tuple(parts) + (("rows", np.ndim(x0) == 2),)


def _warm(key, problem, x0, kwargs) -> None:
    try:
        with np.errstate(all="ignore"):
            minimize(problem, x0, steps=2, **kwargs)
    except Exception:  # noqa: BLE001 - warming is an optimisation; the NumPy path keeps serving
        pass
    with _WARM_LOCK:
        _PENDING.discard(key)
        _WARM.add(key)


def warm_now(kwargs: dict, problem=None, x0=None) -> None:
    """Load the compiled loop of one configuration now (in this thread)."""
    problem = two_d_problems()["rosenbrock"] if problem is None else problem
    x0 = problem.x0.copy() if x0 is None else x0
    _warm(_config_key(kwargs, x0), problem, x0, kwargs)


def minimize_request(problem, start, steps, kwargs, label):
    """:func:`descend.minimize` from ``start``: on the NumPy path while the configuration's compiled loop
    is not yet loaded (the same numbers); an optimizer's refusal is a BadRequest naming ``label``."""
    x0 = np.array(start)
    registered = two_d_problems().get(problem.name) is problem
    key = _config_key(kwargs, x0)
    compiled = None
    if registered and key not in _WARM:
        compiled = False
        with _WARM_LOCK:
            if key not in _PENDING:
                _PENDING.add(key)
                _WARMER.submit(_warm, key, problem, x0.copy(), dict(kwargs))
    try:
        return minimize(problem, x0, steps=steps, compiled=compiled, **kwargs)
    except DescendError as exc:  # a hyperparameter out of the optimizer's range: its own message
        raise BadRequest(f"{label}: {exc}") from None

