"""``POST /api/derivatives``: each finite difference's error against the step h (seed 004), live."""

from __future__ import annotations

import math

import numpy as np

from ...errors import DescendError
from ...safejson import plain
from ..checks import LIMITS, BadRequest, boolean, choice, field, integer, mapping, number, sequence
from ..json_out import finite_or_none
from .inputs import typed_problem
from .page_text import formula_refusal

__all__ = ["derivatives"]


def derivatives(body: dict) -> dict:
    """``POST /api/derivatives``: each finite difference's error against h (seed 004), live."""
    from ... import diff

    body = mapping(body, "body")
    text = field(body, "expression")
    if not isinstance(text, str):
        raise BadRequest(f"expression: must be a string (a formula in x), got {text!r:.60}")
    try:
        problem = typed_problem(text, ("x",), None)
    except DescendError as exc:
        raise formula_refusal("expression", exc) from None
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
    return {"hs": r.hs.tolist(), "errors": {m: finite_or_none(e) for m, e in r.errors.items()},
            "best_h": {m: plain(v) for m, v in r.best_h.items()},
            "best_error": {m: plain(v) for m, v in r.best_error.items()},
            "default_h": {m: plain(v) for m, v in r.default_h.items()},
            "exact": exact, "value": plain(value), "derivative": str(problem.grad.fn.trees[0]),
            "orders": {m: diff.ORDERS[m] for m in methods if m in diff.ORDERS}}
