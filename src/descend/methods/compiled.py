"""bfgs, lbfgs and cg through the compiled solver of :mod:`descend.jit.second_order`, with the NumPy
driver's Result (:func:`descend.methods.driver.finish`): the same numbers, counts, statuses,
messages and history, bit for bit.

It applies to a registered problem or a typed formula with its own gradient, the strong-Wolfe
search (any of its settings), no callback, float64 x0 with at most 128 variables, numba
installed; ``compiled`` follows :func:`descend.minimize`'s policy: None takes it once its solver
is loaded in this process (loaded or compiled meanwhile on :mod:`descend.jit.ready`'s thread,
the call answering on the NumPy path), True demands it (a DescendError names what prevents it),
False keeps the NumPy path.
"""

from __future__ import annotations

import numpy as np

from .. import linesearch as _ls
from ..errors import DescendError
from ..objective import Runs
from ..result import History
from .driver import finish

__all__ = ["dispatch", "COMPILED"]

#: the methods the compiled solver runs
COMPILED = ("bfgs", "lbfgs", "cg")
_STATUS = ("max_steps", "converged", "stopped", "diverged")
_WHAT = ("x", "f", "the gradient")


def _why_not_here(f, grad, rule, ls, callback) -> str:
    """What rules the compiled solver out before numba is asked (one clause), or ""."""
    from ..problems import Problem

    if rule is None or rule.name not in COMPILED:
        return f"method={getattr(rule, 'name', None)!r} runs on the NumPy path (compiled: {', '.join(COMPILED)})"
    if ls is None or ls.method != "wolfe":
        return "only the strong-Wolfe line search is compiled"
    if callback is not None:
        return "a callback runs on the NumPy path"
    if not isinstance(f, Problem):
        return "f is a Python function; the compiled solver takes a registered problem or a typed formula"
    if grad is not f.grad:
        return "grad is not the problem's own analytic gradient"
    return ""


def _options(rule):
    return dict(m=getattr(rule, "m", 1), quadratic_start=bool(getattr(rule, "quadratic_start", False)),
                fr=getattr(rule, "beta", "") == "fr", restart=getattr(rule, "restart", None))


def dispatch(compiled, f, grad, X, rule, ls, *, steps, gtol, max_growth, history, callback, scalar, batched,
             notes=None):
    """The compiled Result, or None for the NumPy path (see the module docstring); a typed formula the
    compiled evaluator refuses puts the reason in ``notes["compiled"]``, for the NumPy path's
    ``Result.extra``."""
    from .. import jit

    if compiled is False or (compiled is None and jit.numpy_preferred()):
        return None
    if compiled is not None and compiled is not True:
        raise DescendError(f"compiled must be None (decide), True or False, got {compiled!r}")
    why = _why_not_here(f, grad, rule, ls, callback)
    if why:
        if compiled:
            raise DescendError(f"compiled=True, but the compiled path cannot be taken: {why}")
        return None
    from ..jit import ready

    if ready.installed():
        from ..jit import second_order as so

        k = so.key(f, rule.name, X)
        job = _prepare_job(f, X, rule, ls)
        if compiled is None and not ready.take(job, k, X.shape[0] * steps):
            return None  # the NumPy path now; the solver gets ready in the background
    from ..jit import second_order as so

    why = so.why_not(f, X, rule.name)
    if why:
        if compiled:
            raise DescendError(f"compiled=True, but the compiled path cannot be taken: {why}")
        if notes is not None and jit.available() and so.formula_refused(f, X):
            notes["compiled"] = f"the typed formula ran on the NumPy path: {why}"
        return None
    X = np.array(X, dtype=np.float64, copy=True, order="C")
    out = so.solve(f, X, rule.name, ls=ls, steps=steps, gtol=gtol, max_growth=max_growth, keep=history,
                   **_options(rule))
    ready.mark(so.key(f, rule.name, X))
    return _result(out, X, rule, ls, gtol, max_growth, scalar, batched)


def _prepare_job(f, X, rule, ls):
    """Load (or compile, then cache) the solver and make its checks, on a copy, two steps."""
    def job():
        from ..jit import second_order as so
        if not so.why_not(f, X, rule.name):
            so.solve(f, np.array(X, dtype=np.float64, copy=True), rule.name, ls=ls, steps=2, gtol=0.0,
                     max_growth=None, keep=False, **_options(rule))
    return job


class _Record:
    """The Recorder's part that :func:`~descend.methods.driver.finish` reads: the History."""

    def __init__(self, history):
        self._history = history

    def history(self, R):
        return self._history


def _reason(out, i, ls, so):
    """(message key, numbers) of run i, as :meth:`descend.objective.Runs.stop` keeps them."""
    r, step = int(out["REASON"][i]), int(out["STEP"][i])
    if r == so.R_DIVERGED_START:
        return "diverged_start", {}
    if r == so.R_NONFINITE:
        return "method_diverged_nonfinite", {"step": step, "what": _WHAT[int(out["WHAT"][i])]}
    if r == so.R_GROWTH:
        return "method_diverged_growth", {"step": step, "f_bad": out["FBAD"][i]}
    status = _ls.WOLFE_STATUS[int(out["WST"][i])]  # R_WOLFE
    numbers = {"step": step, "c1": ls.c1, "c2": ls.c2}
    if status == "bracket_iter":
        numbers.update(reach=float(out["REACH"][i]), phi_reach=float(out["PHIR"][i]))
    return _ls.WOLFE_MESSAGES[status], numbers


def _result(out, X, rule, ls, gtol, max_growth, scalar, batched):
    R, n = X.shape
    F, gnorm = out["OUT"][0].copy(), out["OUT"][1].copy()
    runs = Runs(X, F, np.full((R, n), np.nan), gnorm, out["NFEV"], out["NGEV"])
    runs.F0 = out["OUT"][2].copy()
    runs.nit = out["NIT"]
    runs.status = np.array([_STATUS[s] for s in out["STATUS"]], dtype=object)
    from ..jit import second_order as so

    runs.reason = [None if r == so.R_NONE else _reason(out, i, ls, so) for i, r in enumerate(out["REASON"])]
    runs.active[:] = False
    runs.fallbacks = out["FALLBACKS"]
    history = None
    if "history" in out:
        hx, hf, hg, ha = out["history"]
        history = History(x=hx, f=hf, grad_norm=hg, lr=ha)
    return finish(runs, _Record(history), rule, ls, None, gtol, max_growth, scalar, batched)
