"""Reading a request's JSON fields against the explorer's limits: every refusal is one line.

A :class:`BadRequest` carries the message the client gets as ``400 {"error": ...}``;
it names the field (``runs[2].lr``) and what is allowed.  The limits live in
:data:`LIMITS`, so the contract (``API.md``), the checks and the tests share them.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["BadRequest", "LIMITS", "field", "integer", "number", "boolean", "choice", "mapping", "sequence",
           "point", "finite", "MISSING"]

#: Every bound a request is held to.
LIMITS = {
    "body_bytes": 64 * 1024,
    "steps": 5000,
    "runs": 12,
    "lr_max": 1e3,
    "surface_points": 201,
    "lr_points": 81,
    "lr_optimizers": 12,
    "h_points": 161,
    "train_n": (20, 2000),
    "hidden_layers": 4,
    "width": 32,
    "updates": 500,
    "grid": (10, 100),
    "curvature_every": (0, 500),  # the playground's sharpness and slice, every k updates (0: only when asked)
    "sessions": 16,
    "session_idle_s": 600.0,
    "wall_time_s": 10.0,
    "in_flight": 8,
    "formula_work": 5_000_000,
    "coordinate": 1e6,
    "light_run_steps": 6000,
    "workers": 2,
}


class BadRequest(Exception):
    """A request the explorer refuses: ``str(exc)`` is the one-line message for ``{"error": ...}``;
    ``extra`` holds more fields of the same answer (``formula_error`` for a refused formula)."""

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.extra = dict(extra or {})


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()


def field(body: dict, name: str, default=MISSING, *, where: str = ""):
    """``body[name]``, or ``default``; a missing required field is refused."""
    if name in body:
        return body[name]
    if default is MISSING:
        raise BadRequest(f"{where}{name}: required")
    return default


def _label(where: str, name: str) -> str:
    return f"{where}{name}"


def integer(value, label: str, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (a float with an integral value is not accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
        raise BadRequest(f"{label}: must be an integer in [{lo}, {hi}], got {_show(value)}")
    return int(value)


def number(value, label: str, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False) -> float:
    """A finite number within the bounds given (an integer too large for a float is not finite)."""
    ok = _is_finite(value)
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
    if ok and hi is not None:
        ok = value < hi if hi_open else value <= hi
    if not ok:
        if lo is None and hi is None:
            rng = "a finite number"
        else:
            left = "(" if lo_open or lo is None else "["
            right = ")" if hi_open or hi is None else "]"
            rng = f"a number in {left}{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}{right}"
        raise BadRequest(f"{label}: must be {rng}, got {_show(value)}")
    return float(value)


def boolean(value, label: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"{label}: must be true or false, got {_show(value)}")
    return value


def choice(value, label: str, allowed) -> str:
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise BadRequest(f"{label}: must be one of {', '.join(allowed)}, got {_show(value)}")
    return value


def mapping(value, label: str) -> dict:
    if not isinstance(value, dict):
        raise BadRequest(f"{label}: must be a JSON object, got {_show(value)}")
    return value


def sequence(value, label: str, lo: int, hi: int) -> list:
    if not isinstance(value, list) or not lo <= len(value) <= hi:
        size = f"{lo} to {hi} items" if lo != hi else f"{lo} items"
        got = f"{len(value)} items" if isinstance(value, list) else _show(value)
        raise BadRequest(f"{label}: must be a list of {size}, got {got}")
    return value


def point(value, label: str, dim: int) -> list[float]:
    """A list of ``dim`` finite numbers, each within +-LIMITS['coordinate']."""
    bound = LIMITS["coordinate"]
    if (not isinstance(value, list) or len(value) != dim
            or not all(_is_finite(v) and abs(v) <= bound for v in value)):
        raise BadRequest(f"{label}: must be a list of {dim} finite numbers within +-{bound:g}, got {_show(value)}")
    return [float(v) for v in value]


def finite(value, label: str):
    """A hyperparameter's value before the optimizer's own checks: true/false, a string, or a number that
    is finite as a float (a JSON integer of 400 digits is refused here, not by an OverflowError later);
    a pair is checked item by item."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(finite(v, f"{label}[{i}]") for i, v in enumerate(value))
    if isinstance(value, numbers.Real) and not _is_finite(value):
        raise BadRequest(f"{label}: must be a finite number, got {_show(value)}")
    return value


def _is_finite(value) -> bool:
    """A real number (not a bool) that is finite as a float64: integers beyond 1.8e308 are not."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _show(value) -> str:
    """A short rendering of a client's value for a message (never its whole body)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 30:
        return f"an integer of {len(str(abs(value)))} digits"
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."
