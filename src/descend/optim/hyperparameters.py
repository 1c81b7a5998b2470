"""The hyperparameters: checks that name the parameter, its range and the value given.

Each check takes ``(name, value)`` and returns the value to keep: a float, or a float64
array of shape (R,) (one value per run) where numbers are allowed per run, a bool for
a flag, a pair for ``betas``.  :class:`~descend.optim.base.Optimizer` runs them when
it is built and prefixes the optimizer's name to the message.  :func:`elementwise`
turns them, step by step, into the per-step numbers a rule needs (bias corrections,
schedule values), the same float for a run alone and for its row of a batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import DescendError

__all__ = ["elementwise", "as_number_or_runs", "format_value", "range_check", "positive", "nonnegative",
           "unit_open", "unit_closed", "flag", "betas", "optional_positive", "learning_rate", "numeric_leaves",
           "is_default", "schedule_value"]


def elementwise(f: Callable[..., float], *args):
    """``f`` on Python numbers, elementwise over any array arguments (broadcast).

    Per-step numbers (bias corrections ``1 - beta**t``, schedule values...) go through
    this one function, so a run with scalar hyperparameters and row i of a batch with
    array hyperparameters get the very same float from the same libm call (and the
    same as torch, which computes them with Python floats too).
    """
    if not any(isinstance(a, np.ndarray) for a in args):
        return float(f(*args))
    arrays = np.broadcast_arrays(*[np.asarray(a) for a in args])
    shape = arrays[0].shape
    def number(v, kind):
        return int(v) if kind in "iub" else float(v)

    fixed = [a.size == 0 or bool((a == a.flat[0]).all()) for a in arrays]
    if all(fixed):  # runs in lockstep: one call
        return np.full(shape, float(f(*(a.flat[0].item() for a in arrays))))
    # One call per distinct tuple of arguments (a sweep has a few lrs over many runs).
    varying = [a.astype(np.float64).ravel() for a, c in zip(arrays, fixed) if not c]
    if len(varying) == 1:
        distinct, where = np.unique(varying[0], return_inverse=True)
        distinct = distinct[:, None]
    else:
        distinct, where = np.unique(np.stack(varying, axis=1), axis=0, return_inverse=True)
    kinds = [a.dtype.kind for a in arrays]
    values = np.empty(len(distinct))
    for r, row in enumerate(distinct):
        it = iter(row)
        values[r] = float(f(*(a.flat[0].item() if c else number(next(it), k)
                              for a, c, k in zip(arrays, fixed, kinds))))
    return values[where.reshape(-1)].reshape(shape)


# -- hyperparameter checks ------------------------------------------------------------------

def as_number_or_runs(name, value):
    """A number, or a 1-D array of numbers (one per run); returns float or float64 array."""
    if isinstance(value, (bool, np.bool_)):
        raise DescendError(f"{name} must be a number, got {value!r}")
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            raise DescendError(f"{name} must be a number or a 1-D array of numbers, got dtype {value.dtype}")
        if value.ndim == 0:
            return float(value)
        if value.ndim != 1 or value.size == 0:
            raise DescendError(f"{name} as an array must be 1-D with one value per run, got shape {value.shape}")
        return value.astype(np.float64)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    raise DescendError(f"{name} must be a number or a 1-D array of numbers, got {value!r}")


def format_value(v):
    """A value as messages show it: repr, or a short array2string for one value per run."""
    return np.array2string(v, threshold=8) if isinstance(v, np.ndarray) else repr(v)


def range_check(name, value, lo, hi, lo_open, hi_open):
    """In [lo, hi], each end open or closed as asked, and finite; the message names the interval."""
    v = as_number_or_runs(name, value)
    a = np.asarray(v)
    ok = np.isfinite(a)
    ok &= (a > lo) if lo_open else (a >= lo)
    ok &= (a < hi) if hi_open else (a <= hi)
    if not np.all(ok):
        rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise DescendError(f"{name} must be in {rng}, got {format_value(v)}")
    return v


def positive(name, value):
    """> 0 and finite."""
    v = as_number_or_runs(name, value)
    a = np.asarray(v)
    if not (np.all(np.isfinite(a)) and np.all(a > 0)):
        raise DescendError(f"{name} must be a finite number > 0, got {format_value(v)}")
    return v


def nonnegative(name, value):
    """>= 0 and finite."""
    v = as_number_or_runs(name, value)
    a = np.asarray(v)
    if not (np.all(np.isfinite(a)) and np.all(a >= 0)):
        raise DescendError(f"{name} must be a finite number >= 0, got {format_value(v)}")
    return v


def unit_open(name, value):
    """In [0, 1) (a decay rate that forgets)."""
    return range_check(name, value, 0.0, 1.0, False, True)


def unit_closed(name, value):
    """In [0, 1]."""
    return range_check(name, value, 0.0, 1.0, False, False)


def flag(name, value):
    """A bool (flags choose the algorithm and cannot differ between runs)."""
    if not isinstance(value, (bool, np.bool_)):
        raise DescendError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def betas(name, value):
    """A pair (beta1, beta2), each in [0, 1)."""
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == 2:
        value = (value[0], value[1])
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise DescendError(f"{name} must be a pair (beta1, beta2) with each in [0, 1), got {value!r}")
    return (unit_open(f"{name}[0]", value[0]), unit_open(f"{name}[1]", value[1]))


def optional_positive(name, value):
    """None (off), or > 0 and finite."""
    return None if value is None else positive(name, value)


def learning_rate(name, value):
    """A float >= 0 (torch accepts lr=0: a step that moves nothing), an array of them (one
    per run), or a schedule: a callable step -> lr."""
    if callable(value) and not isinstance(value, np.ndarray):
        return value
    return nonnegative(name, value)




def numeric_leaves(v):
    """The numeric leaves of a checked hyperparameter (a pair gives two)."""
    return list(v) if isinstance(v, tuple) else [v]


def is_default(value, default) -> bool:
    """Whether a hyperparameter is at its default (an array never is): repr leaves it out."""
    if isinstance(value, np.ndarray) or isinstance(default, np.ndarray):
        return False
    return value is default or value == default


def schedule_value(name, v):
    """What a schedule gave as lr for a step: a finite number >= 0, or one per run."""
    a = np.asarray(v)
    if a.dtype.kind not in "iuf":  # None, a string, a complex number, True
        raise DescendError(f"{name}: the schedule gave lr={v!r}; it must be a finite number >= 0 "
                           f"(or one per run)")
    a = a.astype(np.float64, copy=False)
    if a.ndim > 1 or not np.all(np.isfinite(a)) or np.any(a < 0):
        raise DescendError(f"{name}: the schedule gave lr={v!r}; it must be a finite number >= 0 "
                           f"(or one per run)")
    return float(a) if a.ndim == 0 else a
