"""The checks of what :func:`~descend.training.train` and the online functions are given: the model,
the optimizer, the data (converted once to the model's dtype), counts."""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import DescendError
from ..nn.model import Sequential


def resolve_optimizer(optimizer, lr):
    if isinstance(optimizer, str):
        from .. import optim
        return optim.get(optimizer) if lr is None else optim.get(optimizer, lr=lr)
    if lr is not None:
        raise DescendError("lr is only used with an optimizer given by name; set the learning rate on the "
                           f"optimizer instance instead (got lr={lr!r} and {optimizer!r})")
    for attr in ("step", "state_dict", "load_state_dict"):
        if not callable(getattr(optimizer, attr, None)):
            raise DescendError(f"optimizer must be a name or a descend.optim optimizer (with .step, "
                               f".state_dict, .load_state_dict), got {optimizer!r}")
    return optimizer


def last_lr(opt) -> float:
    """The learning rate of the optimizer's last step (``last_lr``; else a constant ``lr``; else nan)."""
    for attr in ("last_lr", "lr"):
        value = getattr(opt, attr, None)
        if value is None or callable(value):
            continue
        try:
            return float(value)
        except (TypeError, ValueError):  # one lr per run: not a single number
            return float("nan")
    return float("nan")


def check_model(model) -> Sequential:
    if not isinstance(model, Sequential):
        raise DescendError(f"model must be a descend.nn.Sequential, got {type(model).__name__}")
    return model


def _all_finite(a: np.ndarray) -> bool:
    """No nan or inf in ``a``; min and max propagate nan and show inf, and need no temporary the size of ``a``."""
    if a.dtype.kind != "f":
        return True
    return bool(np.isfinite(a.min()) and np.isfinite(a.max()))


def check_xy(model: Sequential, X, y, what: str = "") -> tuple[np.ndarray, np.ndarray]:
    """X in the model's dtype (copied once here, never per batch) and y with a batch axis."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.dtype.kind not in "biuf":
        raise DescendError(f"X{what} must hold real numbers, got dtype {X.dtype}")
    if X.ndim != 2:
        raise DescendError(f"X{what} must have shape (n_samples, n_features), got {X.shape}")
    if y.ndim == 0 or len(y) != len(X):
        raise DescendError(f"y{what} must have one row per sample of X{what} ({len(X)}), got shape {y.shape}")
    if len(X) == 0:
        raise DescendError(f"X{what} has no samples")
    if y.dtype.kind not in "biuf":
        raise DescendError(f"y{what} must hold numbers, got dtype {y.dtype}")
    if X.dtype != model.dtype:
        X = X.astype(model.dtype)
    if y.dtype.kind == "f" and y.dtype != model.dtype:
        y = y.astype(model.dtype)
    if not _all_finite(X):
        raise DescendError(f"X{what} holds non-finite values")
    if y.dtype.kind == "f" and not _all_finite(y):
        raise DescendError(f"y{what} holds non-finite values")
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def positive_int_or_none(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise DescendError(f"{name} must be None or an integer >= 1, got {value!r}")
    return int(value)
