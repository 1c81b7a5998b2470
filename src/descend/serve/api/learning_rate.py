"""``POST /api/lr``: the final f against the learning rate, and the curvature's bound on it."""

from __future__ import annotations

import numpy as np

from ...errors import DescendError
from ...safejson import plain
from ..checks import LIMITS, BadRequest, field, integer, mapping, number, sequence
from ..json_out import finite_or_none
from .inputs import check_work, resolve_problem, run_kwargs, start_point
from .runner import minimize_request

__all__ = ["lr_curves"]


def lr_curves(body: dict) -> dict:
    """``POST /api/lr``: final f against lr, one batched :func:`descend.minimize` per optimizer."""
    from ...sweeps.lr_find import curvature

    body = mapping(body, "body")
    problem = resolve_problem(field(body, "problem"))
    start = start_point(body, problem)
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
    check_work(problem, steps, len(specs), "steps")
    grid = np.geomspace(lo, hi, points)
    X0 = np.tile(np.array(start), (points, 1))
    curves = []
    for i, spec in enumerate(specs):
        spec = dict(mapping(spec, f"optimizers[{i}]"))
        if "lr" in spec:
            raise BadRequest(f"optimizers[{i}].lr: not allowed here (the learning rate is what varies; set lrs)")
        name, kwargs = run_kwargs(spec, f"optimizers[{i}]", allow_line_search=False)
        kwargs["lr"] = grid
        res = minimize_request(problem, X0, steps, {**kwargs, "history": False}, f"optimizers[{i}]")
        status = [str(s) for s in res.status]
        curves.append({"optimizer": name, "final_f": finite_or_none(res.fun), "status": status,
                       "diverged": [s == "diverged" for s in status]})
    with np.errstate(all="ignore"):
        try:
            c = curvature(problem, np.array(start))
            bound = {"stable_lr": plain(float(c.stable_lr)), "L": plain(float(c.L)),
                     "mu": plain(float(c.mu)), "curvature_converged": bool(c.converged)}
        except (DescendError, FloatingPointError, ValueError):
            bound = {"stable_lr": None, "L": None, "mu": None, "curvature_converged": False}
    return {"lrs": grid, "curves": curves, **bound}
