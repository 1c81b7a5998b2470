"""What several endpoints read from a request: a problem (a registered name or a typed formula), its
window, a start point, one entry of ``runs`` (an optimizer and its hyperparameters), and the bound
on a typed formula's work.  Each refusal is a :class:`~descend.serve.checks.BadRequest` naming the field.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from ...errors import DescendError
from ...i18n import LANGS
from ...problems import Problem
from ..checks import LIMITS, BadRequest, boolean, choice, field, finite, integer, mapping, number, point, sequence
from .listings import two_d_problems
from .page_text import formula_refusal

__all__ = ["typed_problem", "read_window", "resolve_problem", "start_point", "check_work", "run_kwargs",
           "parse_run_request", "RunRequest", "RUN_KEYS"]


@functools.lru_cache(maxsize=64)
def typed_problem(text: str, variables: tuple, window: tuple | None):
    """A typed formula as a Problem (parsed once per text, variables and window)."""
    from ...problems import from_expression

    return from_expression(text, variables, window=window)


def read_window(value, label: str):
    """``[[xlo, xhi], [ylo, yhi]]`` as a tuple of pairs with lo < hi (None stays None)."""
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
        known = two_d_problems()
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
        window = read_window(value.get("window"), f"{label}.window")
        try:
            return typed_problem(text, ("x", "y"), window)
        except DescendError as exc:
            raise formula_refusal(f"{label}.expression", exc) from None
    raise BadRequest(f"{label}: must be a problem name or {{\"expression\": \"...\"}}, got {value!r:.60}")


def start_point(body, problem) -> list[float]:
    """``body["start"]`` as a point of the problem, or its own x0 where none is given."""
    if "start" not in body or body["start"] is None:
        return problem.x0.tolist()
    return point(body["start"], "start", problem.dim)


RUN_KEYS = ("optimizer", "lr", "line_search", "gtol")


def check_work(problem, steps: int, runs: int, label: str) -> None:
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
    cls = optim.get_class(name)
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
        kwargs["lr"] = cls.defaults()["lr"]
    if "gtol" in spec and spec["gtol"] is not None:
        kwargs["gtol"] = number(spec["gtol"], f"{label}.gtol", 0.0, 1e10)
    valid = [k for k in cls.valid_hyperparameters() if k not in ("lr", "fused")]
    for key, value in spec.items():
        if key in RUN_KEYS:
            continue
        if key not in valid:
            raise BadRequest(f"{label}: unknown hyperparameter {key!r:.40} for {name}; valid: {', '.join(valid)}")
        if isinstance(value, list):
            if len(value) != 2:
                raise BadRequest(f"{label}.{key}: a list must be a pair like [0.9, 0.999], got {len(value)} items")
            value = tuple(value)
        elif isinstance(value, dict) or (isinstance(value, str) and key != "nonfinite"):
            raise BadRequest(f"{label}.{key}: must be a number, true/false or a pair, got {value!r:.60}")
        kwargs[key] = finite(value, f"{label}.{key}")
    hp = {k: v for k, v in kwargs.items() if k not in ("optimizer", "gtol", "line_search")}
    try:
        optim.get(name, **hp)  # the optimizer's own checks (ranges, pairs), as descend.minimize would make them
    except DescendError as exc:
        raise BadRequest(f"{label}: {exc}") from None
    return name, kwargs


class RunRequest(NamedTuple):
    """The checked body of ``POST /api/run`` (and of ``POST /api/export`` with ``"kind": "run"``)."""

    problem: Problem
    start: list
    steps: int
    specs: list  # (optimizer name, keywords for descend.minimize), one per entry of runs
    internals: bool
    lang: str


def parse_run_request(body) -> RunRequest:
    """The one reading of a run request's body: ``/api/run`` and ``/api/export`` refuse the same
    bodies with the same messages (each names its field)."""
    body = mapping(body, "body")
    problem = resolve_problem(field(body, "problem"))
    start = start_point(body, problem)
    steps = integer(field(body, "steps", 100), "steps", 0, LIMITS["steps"])
    runs = sequence(field(body, "runs"), "runs", 1, LIMITS["runs"])
    gtol = body.get("gtol")
    gtol = None if gtol is None else number(gtol, "gtol", 0.0, 1e10)
    internals = boolean(body.get("internals", False), "internals")
    lang = choice(body.get("lang", "en"), "lang", LANGS)
    specs = []
    for i, spec in enumerate(runs):
        name, kwargs = run_kwargs(spec, f"runs[{i}]")
        if gtol is not None:
            kwargs.setdefault("gtol", gtol)
        specs.append((name, kwargs))
    check_work(problem, steps, len(specs), "steps")
    return RunRequest(problem, start, steps, specs, internals, lang)

