"""The landscape, learning-rate and derivatives panels: requests in, descend's numbers out.

Each function takes the parsed JSON body (a dict), checks it against
:data:`~descend.serve.checks.LIMITS` (a :class:`~descend.serve.checks.BadRequest`
names the field), calls the library and returns a dict of plain lists.  Nothing
here does any optimizer math of its own: runs are :func:`descend.minimize`, the
learning-rate bound is :func:`descend.sweeps.lr_find.curvature`, the derivative
errors are :func:`descend.diff_error`.
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import threading

import numpy as np

from ...errors import DescendError
from ...minimize import minimize
from . import listings
from ..checks import LIMITS, BadRequest, boolean, choice, field, integer, mapping, number, point, sequence

__all__ = ["resolve_problem", "surface", "run", "lr_curves", "derivatives", "run_kwargs"]


# --------------------------------------------------------------------------- problems

@functools.lru_cache(maxsize=64)
def _typed(text: str, variables: tuple, window: tuple | None):
    from ...problems import from_expression

    return from_expression(text, variables, window=window)


def _window(value, label: str):
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2):
        raise BadRequest(f"{label}: must be [[xlo, xhi], [ylo, yhi]] with finite lo < hi, got {value!r:.60}")
    pairs = tuple(tuple(point(pair, f"{label}[{i}]", 2)) for i, pair in enumerate(value))
    if not all(lo < hi for lo, hi in pairs):
        raise BadRequest(f"{label}: every pair must have lo < hi, got {[list(p) for p in pairs]}")
    return pairs


def resolve_problem(value, label: str = "problem"):
    """A registered 2-D problem's name, or ``{"expression": ..., "window": ...}`` -> Problem."""
    if isinstance(value, str):
        known = listings.two_d_problems()
        if value not in known:
            raise BadRequest(f"{label}: must be one of {', '.join(known)} or {{\"expression\": \"...\"}}, "
                             f"got {value!r:.60}")
        return known[value]
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"expression", "window"})
        if unknown:
            raise BadRequest(f"{label}: unknown key {unknown[0]!r:.40}; allowed: expression, window")
        text = field(value, "expression", where=f"{label}.")
        if not isinstance(text, str):
            raise BadRequest(f"{label}.expression: must be a string (a formula in x and y), got {text!r:.60}")
        window = _window(value.get("window"), f"{label}.window")
        try:
            return _typed(text, ("x", "y"), window)
        except DescendError as exc:
            raise BadRequest(f"{label}.expression: {exc}") from None
    raise BadRequest(f"{label}: must be a problem name or {{\"expression\": \"...\"}}, got {value!r:.60}")


def _finite_or_none(a) -> np.ndarray:
    """The numbers of ``a`` as a contiguous float64 array for the JSON layer, which writes every
    non-finite one as null (JSON has no NaN) and every finite one exactly."""
    return np.ascontiguousarray(a, dtype=np.float64)


# --------------------------------------------------------------------------- surface

def surface(body: dict) -> dict:
    """``POST /api/surface``: f on a grid over the window, for contours and the 3-D view."""
    problem = resolve_problem(field(body, "problem"))
    window = _window(body.get("window"), "window") or problem.window
    points = integer(body.get("points", 101), "points", 2, LIMITS["surface_points"])
    xs = np.linspace(window[0][0], window[0][1], points)
    ys = np.linspace(window[1][0], window[1][1], points)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # grid[i, j] = (xs[j], ys[i])
    with np.errstate(all="ignore"):  # outside f's domain is nan, beyond float64 inf: both drawn as gaps
        z = np.asarray(problem.f(grid), dtype=np.float64)
    out = listings.describe_problem(problem)
    out.update(x=xs, y=ys, z=_finite_or_none(z), window=[list(w) for w in window])
    return out


# --------------------------------------------------------------------------- runs

_RUN_KEYS = ("optimizer", "lr", "line_search", "gtol")


def _check_work(problem, steps: int, runs: int, label: str) -> None:
    """A typed formula costs one NumPy call per operation of f and of its gradient at every step:
    refuse a request whose total would run for minutes (its thread would outlive the wall time)."""
    fn, gr = getattr(problem.f, "fn", None), getattr(problem.grad, "fn", None)
    ops = len(getattr(fn, "ops", ())) + len(getattr(gr, "ops", ()))
    if ops and steps * runs * ops > LIMITS["formula_work"]:
        raise BadRequest(f"{label}: steps x runs x operations of the formula and its gradient must be at most "
                         f"{LIMITS['formula_work']:,}, got {steps} x {runs} x {ops} = {steps * runs * ops:,}; "
                         f"use fewer steps or runs, or a shorter formula")


def run_kwargs(spec, label: str, *, allow_line_search: bool = True) -> tuple[str, dict]:
    """One entry of ``runs``: (optimizer name, the keywords for :func:`descend.minimize`)."""
    from ... import linesearch, optim

    spec = mapping(spec, label)
    name = choice(field(spec, "optimizer", where=f"{label}."), f"{label}.optimizer", optim.names())
    kwargs: dict = {"optimizer": name}
    ls = spec.get("line_search")
    if ls is not None:
        if not allow_line_search:
            raise BadRequest(f"{label}.line_search: not used here (the learning rate is what varies)")
        choice(ls, f"{label}.line_search", linesearch.METHODS)
        if name != "gd":
            raise BadRequest(f"{label}.line_search: works with optimizer \"gd\" only, got optimizer {name!r}")
        kwargs["line_search"] = ls
    if "lr" in spec:
        kwargs["lr"] = number(spec["lr"], f"{label}.lr", 0.0, LIMITS["lr_max"], lo_open=True)
    elif ls is None:
        kwargs["lr"] = optim._BY_NAME[name].defaults()["lr"]
    if "gtol" in spec and spec["gtol"] is not None:
        kwargs["gtol"] = number(spec["gtol"], f"{label}.gtol", 0.0, 1e10)
    valid = [k for k in optim._BY_NAME[name].valid_hyperparameters() if k not in ("lr", "fused")]
    for key, value in spec.items():
        if key in _RUN_KEYS:
            continue
        if key not in valid:
            raise BadRequest(f"{label}: unknown hyperparameter {key!r:.40} for {name}; valid: {', '.join(valid)}")
        if isinstance(value, list):
            if len(value) != 2:
                raise BadRequest(f"{label}.{key}: a list must be a pair like [0.9, 0.999], got {len(value)} items")
            value = tuple(value)
        elif isinstance(value, dict) or (isinstance(value, str) and key != "nonfinite"):
            raise BadRequest(f"{label}.{key}: must be a number, true/false or a pair, got {value!r:.60}")
        kwargs[key] = value
    return name, kwargs


def _start(body, problem) -> list[float]:
    if "start" not in body or body["start"] is None:
        return problem.x0.tolist()
    return point(body["start"], "start", problem.dim)


# -- compiled trajectories without the wait ------------------------------------------------------
#
# descend.minimize runs the whole loop compiled (descend.jit) when it can, with the NumPy path's
# numbers bit for bit; the first run of an optimizer configuration in a process loads or compiles
# its loop (seconds, more on a busy machine).  A request never waits for that: a configuration
# not yet known to be loaded runs on the NumPy path (compiled=False: the same numbers), and a
# two-step run of it is queued on one background thread, after which it runs compiled.

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
    problem = listings.two_d_problems()["rosenbrock"] if problem is None else problem
    x0 = problem.x0.copy() if x0 is None else x0
    _warm(_config_key(kwargs, x0), problem, x0, kwargs)


def _minimize(problem, start, steps, kwargs, label):
    x0 = np.array(start)
    registered = listings.two_d_problems().get(problem.name) is problem
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


def run(body: dict) -> dict:
    """``POST /api/run`` (issue 10's contract): one :func:`descend.minimize` per entry of ``runs``."""
    body = mapping(body, "body")
    problem = resolve_problem(field(body, "problem"))
    start = _start(body, problem)
    steps = integer(field(body, "steps", 100), "steps", 0, LIMITS["steps"])
    runs = sequence(field(body, "runs"), "runs", 1, LIMITS["runs"])
    gtol = body.get("gtol")
    gtol = None if gtol is None else number(gtol, "gtol", 0.0, 1e10)
    want_internals = boolean(body.get("internals", False), "internals")
    lang = choice(body.get("lang", "en"), "lang", ("en", "ja"))
    specs = []
    for i, spec in enumerate(runs):
        name, kwargs = run_kwargs(spec, f"runs[{i}]")
        if gtol is not None:
            kwargs.setdefault("gtol", gtol)
        specs.append((name, kwargs))
    _check_work(problem, steps, len(specs), "steps")
    out = []
    for i, (name, kwargs) in enumerate(specs):
        res = _minimize(problem, start, steps, kwargs, f"runs[{i}]")
        hist = res.history
        entry = {"optimizer": name, "x": _finite_or_none(hist.x), "f": _finite_or_none(hist.f),
                 "grad_norm": _finite_or_none(hist.grad_norm), "status": res.status, "message": res.message,
                 "status_text": listings.status_text(res.status, lang), "nit": int(res.nit)}
        if want_internals and "line_search" not in kwargs:
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
    return {"grad": _finite_or_none(g), "update": _finite_or_none(u), "effective_lr": _finite_or_none(eff),
            "state": {k: _finite_or_none(v) for k, v in state.items()},
            "titles": {k: listings.state_title(k, lang) for k in state}}


# --------------------------------------------------------------------------- learning rate

def lr_curves(body: dict) -> dict:
    """``POST /api/lr``: final f against lr, one batched :func:`descend.minimize` per optimizer."""
    from ...sweeps.lr_find import curvature

    body = mapping(body, "body")
    problem = resolve_problem(field(body, "problem"))
    start = _start(body, problem)
    steps = integer(field(body, "steps", 200), "steps", 1, LIMITS["steps"])
    specs = sequence(field(body, "optimizers", [{"optimizer": "gd"}]), "optimizers", 1, LIMITS["lr_optimizers"])
    lrs = mapping(body.get("lrs", {}), "lrs")
    lo = number(lrs.get("min", 1e-4), "lrs.min", 0.0, LIMITS["lr_max"], lo_open=True)
    hi = number(lrs.get("max", 10.0), "lrs.max", 0.0, LIMITS["lr_max"], lo_open=True)
    if not lo < hi:
        raise BadRequest(f"lrs: min must be < max, got min={lo:g}, max={hi:g}")
    points = integer(lrs.get("points", 41), "lrs.points", 2, LIMITS["lr_points"])
    if points * steps * len(specs) > LIMITS["steps"] * LIMITS["lr_points"] * 2:
        raise BadRequest(f"lrs.points x steps x optimizers: at most {LIMITS['steps'] * LIMITS['lr_points'] * 2} "
                         f"run-steps in one request, got {points * steps * len(specs)}")
    _check_work(problem, steps, len(specs), "steps")
    grid = np.geomspace(lo, hi, points)
    X0 = np.tile(np.array(start), (points, 1))
    curves = []
    for i, spec in enumerate(specs):
        spec = dict(mapping(spec, f"optimizers[{i}]"))
        if "lr" in spec:
            raise BadRequest(f"optimizers[{i}].lr: not allowed here (the learning rate is what varies; set lrs)")
        name, kwargs = run_kwargs(spec, f"optimizers[{i}]", allow_line_search=False)
        kwargs["lr"] = grid
        res = _minimize(problem, X0, steps, {**kwargs, "history": False}, f"optimizers[{i}]")
        status = [str(s) for s in res.status]
        curves.append({"optimizer": name, "final_f": _finite_or_none(res.fun), "status": status,
                       "diverged": [s == "diverged" for s in status]})
    with np.errstate(all="ignore"):
        try:
            c = curvature(problem, np.array(start))
            bound = {"stable_lr": listings.jsonable(float(c.stable_lr)), "L": listings.jsonable(float(c.L)),
                     "mu": listings.jsonable(float(c.mu)), "curvature_converged": bool(c.converged)}
        except (DescendError, FloatingPointError, ValueError):
            bound = {"stable_lr": None, "L": None, "mu": None, "curvature_converged": False}
    return {"lrs": grid, "curves": curves, **bound}


# --------------------------------------------------------------------------- derivatives

def derivatives(body: dict) -> dict:
    """``POST /api/derivatives``: each finite difference's error against h (seed 004), live."""
    from ... import diff

    body = mapping(body, "body")
    text = field(body, "expression")
    if not isinstance(text, str):
        raise BadRequest(f"expression: must be a string (a formula in x), got {text!r:.60}")
    try:
        problem = _typed(text, ("x",), None)
    except DescendError as exc:
        raise BadRequest(f"expression: {exc}") from None
    x = number(field(body, "x", 1.0), "x", -LIMITS["coordinate"], LIMITS["coordinate"])
    methods = body.get("methods", ["forward", "backward", "central", "five-point", "complex"])
    methods = sequence(methods, "methods", 1, len(diff.METHODS))
    for i, m in enumerate(methods):
        choice(m, f"methods[{i}]", diff.METHODS)
    hs = mapping(body.get("h", {}), "h")
    hlo = number(hs.get("min", 1e-16), "h.min", 0.0, 10.0, lo_open=True)
    hhi = number(hs.get("max", 1.0), "h.max", 0.0, 10.0, lo_open=True)
    if not hlo < hhi:
        raise BadRequest(f"h: min must be < max, got min={hlo:g}, max={hhi:g}")
    points = integer(hs.get("points", 65), "h.points", 2, LIMITS["h_points"])
    relative = boolean(body.get("relative", False), "relative")

    def f(t):
        return problem.f(np.asarray(t))

    with np.errstate(all="ignore"):
        value = float(np.real(f(x)))
        exact = float(problem.grad(x))
    if not (math.isfinite(exact) and math.isfinite(value)):
        raise BadRequest(f"x: f(x) = {value:g} and f'(x) = {exact:g} at x = {x:g}; both must be finite: "
                         f"choose a point inside f's domain")
    if relative and exact == 0.0:
        raise BadRequest(f"relative: needs f'(x) != 0, and f'({x:g}) = 0")
    with np.errstate(all="ignore"):
        r = diff.diff_error(f, x, exact, methods=tuple(methods), hs=np.geomspace(hlo, hhi, points),
                            relative=relative)
    return {"hs": r.hs.tolist(), "errors": {m: _finite_or_none(e) for m, e in r.errors.items()},
            "best_h": {m: listings.jsonable(v) for m, v in r.best_h.items()},
            "best_error": {m: listings.jsonable(v) for m, v in r.best_error.items()},
            "default_h": {m: listings.jsonable(v) for m, v in r.default_h.items()},
            "exact": exact, "value": listings.jsonable(value), "derivative": str(problem.grad.fn.trees[0]),
            "orders": {m: diff.ORDERS[m] for m in methods if m in diff.ORDERS}}
