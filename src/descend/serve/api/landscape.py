"""The landscape panel: ``POST /api/surface`` (f on a grid) and ``POST /api/run`` (issue 10's runs,
with each optimizer's internals along its path).

Nothing here does any optimizer math of its own: runs are :func:`descend.minimize`
(:mod:`.runner`), the internals are the optimizer's own rule stepped along the run's iterates.
"""

from __future__ import annotations

import numpy as np

from ..checks import LIMITS, field, integer
from ..json_out import finite_or_none
from .inputs import parse_run_request, read_window, resolve_problem
from .listings import describe_problem
from .page_text import state_title, status_text
from .runner import minimize_request

__all__ = ["surface", "run"]


def surface(body: dict) -> dict:
    """``POST /api/surface``: f on a grid over the window, for contours and the 3-D view."""
    problem = resolve_problem(field(body, "problem"))
    window = read_window(body.get("window"), "window") or problem.window
    points = integer(body.get("points", 101), "points", 2, LIMITS["surface_points"])
    xs = np.linspace(window[0][0], window[0][1], points)
    ys = np.linspace(window[1][0], window[1][1], points)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # grid[i, j] = (xs[j], ys[i])
    with np.errstate(all="ignore"):  # outside f's domain is nan, beyond float64 inf: both drawn as gaps
        z = np.asarray(problem.f(grid), dtype=np.float64)
    out = describe_problem(problem)
    out.update(x=xs, y=ys, z=finite_or_none(z), window=[list(w) for w in window])
    return out


def run(body: dict) -> dict:
    """``POST /api/run`` (issue 10's contract): one :func:`descend.minimize` per entry of ``runs``."""
    req = parse_run_request(body)
    problem, lang = req.problem, req.lang
    out = []
    for i, (name, kwargs) in enumerate(req.specs):
        res = minimize_request(problem, req.start, req.steps, kwargs, f"runs[{i}]")
        hist = res.history
        entry = {"optimizer": name, "x": finite_or_none(hist.x), "f": finite_or_none(hist.f),
                 "grad_norm": finite_or_none(hist.grad_norm), "status": res.status, "message": res.message,
                 "status_text": status_text(res.status, lang), "nit": int(res.nit)}
        if req.internals and "line_search" not in kwargs:
            entry["internals"] = _internals(problem, hist.x, int(res.nit), kwargs, lang)
        out.append(entry)
    return {"runs": out}


def _gradients(problem, xs: np.ndarray) -> np.ndarray:
    """The gradient at every recorded iterate in one batched call (rows are points), as
    :func:`descend.minimize` asked for it at each step; one call per point where ``grad``
    does not take rows."""
    n = problem.dim
    X = np.ascontiguousarray(xs, dtype=np.float64).reshape(-1, n)
    try:
        G = np.asarray(problem.grad(X), dtype=np.float64)
        if G.shape == X.shape:
            return G
    except (ValueError, TypeError, IndexError):
        pass
    return np.array([np.asarray(problem.grad(X[k:k + 1]), dtype=np.float64).reshape(n) for k in range(len(X))])


def _replay(opt, xs: np.ndarray, grads: np.ndarray) -> dict:
    """The optimizer's state after each step: its own rule stepped on the recorded iterate and
    gradient of every step (x[k], g(x[k]) -> its state after step k+1), into arrays made once."""
    m, n = grads.shape
    state: dict = {}
    x = np.empty(n)  # one point, as descend.plot.internals.record steps it (less bookkeeping than rows)
    for k in range(m):
        x[:] = xs[k]  # the step moves x: the next one starts from the recorded iterate again
        opt.step(x, grads[k])
        for key, value in opt.state._asdict().items():
            if key == "count" or value is None:
                continue
            if key not in state:
                state[key] = np.full((m, n), np.nan)
            state[key][k] = value
    return state


def _internals(problem, xs: np.ndarray, nit: int, kwargs: dict, lang: str = "en") -> dict:
    """The optimizer's state after each step, rebuilt along the run's own iterates.

    :func:`descend.minimize` gives the optimizer the gradient at x[k] and gets x[k+1]; the
    gradients at all recorded iterates come from one batched call, and the optimizer's own
    rule is stepped on them, so the numbers are those of :func:`descend.plot.internals.record`
    without evaluating the problem once per step.
    """
    from ... import optim

    hp = {k: v for k, v in kwargs.items() if k not in ("optimizer", "gtol")}
    opt = optim.get(kwargs["optimizer"], **hp)
    m = max(0, min(nit, len(xs) - 1))
    with np.errstate(all="ignore"):
        g = _gradients(problem, xs[:m]) if m else np.zeros((0, problem.dim))
        state = _replay(opt, xs, g)
        u = np.diff(np.asarray(xs[:m + 1], dtype=np.float64).reshape(-1, problem.dim), axis=0)
        eff = np.where(g != 0, np.abs(u) / np.where(g != 0, np.abs(g), 1.0), np.nan)
    return {"grad": finite_or_none(g), "update": finite_or_none(u), "effective_lr": finite_or_none(eff),
            "state": {k: finite_or_none(v) for k, v in state.items()},
            "titles": {k: state_title(k, lang) for k in state}}

