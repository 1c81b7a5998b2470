"""What the page can choose from: the 2-D problems and the optimizers with their ranges
(``GET /api/problems``, ``GET /api/optimizers``; the data sets are the playground's).

Everything here is read from the library (``problems.names()``, ``optim.names()``,
each optimizer's hyperparameter table and its checks), so a new optimizer or
problem shows up on the page without a change here.
"""

from __future__ import annotations

import functools

import numpy as np

from ... import expression, problems
from ...optim import hyperparameters as hp
from ...safejson import plain

__all__ = ["problems_listing", "optimizers_listing", "two_d_problems", "describe_problem", "syntax", "TORCH",
           "OPTAX"]

#: The torch.optim class and optax function of each descend optimizer (None: that library has none).
TORCH = {"sgd": "torch.optim.SGD", "gd": "torch.optim.SGD", "momentum": "torch.optim.SGD",
         "nesterov": "torch.optim.SGD", "adagrad": "torch.optim.Adagrad", "adadelta": "torch.optim.Adadelta",
         "rmsprop": "torch.optim.RMSprop", "adam": "torch.optim.Adam", "adamw": "torch.optim.AdamW",
         "nadam": "torch.optim.NAdam", "radam": "torch.optim.RAdam", "adamax": "torch.optim.Adamax",
         "lion": None}
OPTAX = {"sgd": "optax.sgd", "gd": "optax.sgd", "momentum": "optax.sgd", "nesterov": "optax.sgd",
         "adagrad": "optax.adagrad", "adadelta": "optax.adadelta", "rmsprop": "optax.rmsprop",
         "adam": "optax.adam", "adamw": "optax.adamw", "nadam": "optax.nadam", "radam": "optax.radam",
         "adamax": "optax.adamax", "lion": "optax.lion"}

#: Keywords every optimizer takes that the page does not offer (speed switches, guards).
HIDDEN = ("decoupled_weight_decay", "clip_value", "clip_norm", "nonfinite", "fused")

#: A sensible slider range per hyperparameter name (the checks' bounds are often open-ended).
SLIDERS = {"lr": (1e-5, 10.0, "log"), "momentum": (0.0, 0.999, "linear"), "dampening": (0.0, 1.0, "linear"),
           "weight_decay": (0.0, 0.1, "linear"), "eps": (1e-12, 1.0, "log"), "alpha": (0.0, 0.9999, "linear"),
           "rho": (0.0, 0.9999, "linear"), "lr_decay": (0.0, 0.1, "linear"),
           "initial_accumulator_value": (0.0, 1.0, "linear"), "momentum_decay": (0.0, 0.1, "linear"),
           "betas": (0.0, 0.9999, "linear")}

#: The range each check function of descend.optim.hyperparameters allows, by the function itself:
#: (min, max, min_inclusive, max_inclusive).
_RANGES = {hp.learning_rate: (0.0, None, False, False), hp.positive: (0.0, None, False, False),
           hp.nonnegative: (0.0, None, True, False), hp.unit_open: (0.0, 1.0, True, False),
           hp.unit_closed: (0.0, 1.0, True, True), hp.betas: (0.0, 1.0, True, False)}


def _hyperparameter(name: str, default, check) -> dict:
    if check is hp.flag:
        return {"name": name, "kind": "bool", "default": bool(default)}
    lo, hi, lo_in, hi_in = _RANGES.get(check, (None, None, False, False))
    slider = SLIDERS.get(name, (1e-3, 10.0, "log") if lo == 0.0 and not lo_in else (0.0, 1.0, "linear"))
    return {"name": name, "kind": "pair" if check is hp.betas else "number", "default": plain(default),
            "min": lo, "max": hi, "min_inclusive": lo_in, "max_inclusive": hi_in, "scale": slider[2],
            "slider": [slider[0], slider[1]]}


def _takes_points(name: str) -> bool:
    """Whether the optimizer steps a single point (a landscape's x): Muon, say, takes matrices only."""
    from ... import optim
    from ...errors import DescendError

    try:
        with np.errstate(all="ignore"):
            optim.get(name).step(np.zeros((1, 2)), np.ones((1, 2)), runs=1)
    except DescendError:
        return False
    return True


@functools.cache
def optimizers_listing() -> dict:
    """``GET /api/optimizers``: every optimizer, its hyperparameters with defaults and ranges."""
    from ... import linesearch, optim

    out = []
    for name in optim.names():
        cls = optim.get_class(name)
        spec = cls.hyperparameter_spec()
        hps = [_hyperparameter(k, default, check) for k, (default, check) in spec.items() if k not in HIDDEN]
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else name
        out.append({"name": name, "doc": doc, "hyperparameters": hps, "torch": TORCH.get(name),
                    "optax": OPTAX.get(name), "points": _takes_points(name)})
    return {"optimizers": out, "line_searches": list(linesearch.METHODS)}


@functools.cache
def two_d_problems() -> dict:
    """The registered problems that are 2-D when built with their defaults, by name."""
    out = {}
    for name in problems.names():
        p = problems.get(name)
        if p.dim == 2 and p.window is not None:
            out[name] = p
    return out


def describe_problem(p) -> dict:
    return {"name": p.name, "dim": p.dim, "description": p.description, "x0": p.x0.tolist(),
            "window": [list(w) for w in p.window], "minimizers": p.minimizers.tolist(),
            "minimum": plain(float(p.minimum)), "log_levels": bool(p.log_levels)}


def syntax() -> dict:
    return {"variables": ["x", "y"], "operators": ["+", "-", "*", "/", "**", "unary -", "( )"],
            "functions": sorted(expression.FUNCTIONS), "constants": sorted(expression.CONSTANTS),
            "max_length": expression.MAX_LENGTH, "max_depth": expression.MAX_DEPTH,
            "max_exponent": expression.MAX_EXPONENT, "help": expression.SYNTAX}


@functools.cache
def problems_listing() -> dict:
    """``GET /api/problems``."""
    return {"problems": [describe_problem(p) for p in two_d_problems().values()], "syntax": syntax(),
            "default_window": [[-3.0, 3.0], [-3.0, 3.0]]}
