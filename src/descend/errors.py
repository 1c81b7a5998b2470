"""The one exception type for bad input.

Every check in descend raises :class:`DescendError` (a ``ValueError``) with a
message that names what is wrong, what is allowed and the value given.  The
command line catches it and prints the message as one line (exit code 2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

__all__ = ["DescendError", "check_positive", "check_nonnegative_int", "check_choice",
           "check_finite_array", "check_in_range", "unknown_name", "did_you_mean"]


class DescendError(ValueError):
    """Bad input to a descend function: the message says what and why."""


def _fmt(value) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, threshold=8, precision=6)
    return repr(value)


def check_positive(name: str, value, *, allow_array: bool = False):
    """``value`` must be a finite number > 0 (or an array of them)."""
    arr = np.asarray(value)
    if not allow_array and arr.ndim != 0:
        raise DescendError(f"{name} must be a finite number > 0, got an array of shape {arr.shape}")
    if arr.dtype.kind not in "biuf" or arr.size == 0:
        raise DescendError(f"{name} must be a finite number > 0, got {_fmt(value)}")
    if not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        raise DescendError(f"{name} must be a finite number > 0, got {_fmt(value)}")
    return value


def check_in_range(name: str, value, lo, hi, *, lo_open=False, hi_open=False):
    """``lo <= value <= hi`` (ends open where asked); arrays are checked elementwise."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf" or arr.size == 0:
        raise DescendError(f"{name} must be a number, got {_fmt(value)}")
    lo_ok = (arr > lo) if lo_open else (arr >= lo)
    hi_ok = (arr < hi) if hi_open else (arr <= hi)
    if not (np.all(np.isfinite(arr)) and np.all(lo_ok) and np.all(hi_ok)):
        rng = f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        raise DescendError(f"{name} must be in {rng}, got {_fmt(value)}")
    return value


def check_nonnegative_int(name: str, value) -> int:
    """``value`` must be an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer() and value >= 0:
            return int(value)
        raise DescendError(f"{name} must be an integer >= 0, got {_fmt(value)}")
    if value < 0:
        raise DescendError(f"{name} must be an integer >= 0, got {value}")
    return int(value)


def check_choice(name: str, value, allowed: Iterable[str]) -> str:
    """``value`` must be one of ``allowed``; the message lists them, and a near miss when mistyped.

    The one place descend reports an unknown name: a near miss (``difflib``) is offered
    is offered after the valid ones, e.g. ``unknown problem 'rosenbrok'; valid: ...; did you mean 'rosenbrock'?``.
    """
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise DescendError(unknown_name(name, value, allowed))
    return value


def did_you_mean(value, allowed: Iterable[str]) -> str:
    """``"; did you mean 'adam'?"`` when ``value`` is close to one of ``allowed`` (``difflib``), else ``""``."""
    import difflib

    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value.lower(), [str(a) for a in allowed], n=3, cutoff=0.7)
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


def unknown_name(name: str, value, allowed: Iterable[str]) -> str:
    """The message for an unknown ``name`` ``value``: the valid ones, then a "did you mean" when one is close."""
    allowed = [str(a) for a in allowed]
    return f"unknown {name} {value!r}; valid: {', '.join(allowed)}{did_you_mean(value, allowed)}"


def check_finite_array(name: str, x, *, ndim: tuple[int, ...] | None = None) -> np.ndarray:
    """Convert to a float array; refuse non-numbers, non-finite values and wrong ranks."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise DescendError(f"{name} must be an array of numbers, got {_fmt(x)} ({exc})") from None
    if arr.dtype.kind not in "biufc":
        raise DescendError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim not in ndim:
        allowed = " or ".join(str(d) for d in ndim)
        raise DescendError(f"{name} must have {allowed} dimensions, got shape {arr.shape}")
    if arr.size == 0:
        raise DescendError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise DescendError(f"{name} must be finite, got {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}")
    return arr


def is_finite_number(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False
