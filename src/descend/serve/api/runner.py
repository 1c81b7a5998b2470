"""descend.minimize for the endpoints: compiled trajectories without the wait.

descend.minimize runs the whole loop compiled (descend.jit) when it can, with the NumPy path's
numbers bit for bit; with ``compiled=None`` a configuration whose loop is not yet loaded in this
process runs on the NumPy path while :mod:`descend.jit.ready`'s thread loads (or compiles) it,
so a request never waits for numba.
"""

from __future__ import annotations

import numpy as np

from ...errors import DescendError
from ...jit import ready
from ...minimize import minimize
from ..checks import BadRequest
from .listings import two_d_problems

__all__ = ["minimize_request", "warm_now"]


def warm_now(kwargs: dict, problem=None, x0=None) -> None:
    """Load the compiled loop of one configuration now (in this thread)."""
    problem = two_d_problems()["rosenbrock"] if problem is None else problem
    x0 = problem.x0.copy() if x0 is None else x0
    try:
        with np.errstate(all="ignore"), ready.foreground():
            minimize(problem, x0, steps=2, **kwargs)
    except Exception:  # noqa: BLE001 - warming is an optimisation; the NumPy path keeps serving
        pass


def minimize_request(problem, start, steps, kwargs, label):
    """:func:`descend.minimize` from ``start``: on the NumPy path while the configuration's compiled loop
    is not yet loaded (the same numbers); an optimizer's refusal is a BadRequest naming ``label``."""
    x0 = np.array(start)
    try:
        return minimize(problem, x0, steps=steps, compiled=None, **kwargs)
    except DescendError as exc:  # a hyperparameter out of the optimizer's range: its own message
        raise BadRequest(f"{label}: {exc}") from None
