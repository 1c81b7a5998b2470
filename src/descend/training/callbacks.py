"""Callbacks: called after every epoch, able to stop a run; :class:`EarlyStopping`; their state for checkpoints."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import DescendError
from ..nn.model import Sequential
from .history import message


class Callback:
    """Base class for callbacks; override what you need.

    ``on_epoch_end`` returns ``False`` to stop training (anything else continues).
    A plain function ``fn(epoch, logs)`` in ``callbacks`` is called the same way,
    with ``epoch`` counted from 1 and ``logs`` the epoch's numbers
    (``{"loss": ..., "val_loss": ..., "accuracy": ...}``).
    """

    def on_train_begin(self, log_keys: list[str], model: Sequential) -> None:
        """Called once with the keys the epoch logs will have."""

    def on_epoch_end(self, epoch: int, logs: dict, model: Sequential):
        """Called after each epoch; return False to stop."""

    # state saved in checkpoints: JSON-able data and named arrays
    def state(self) -> tuple[dict, dict]:
        return {}, {}

    def set_state(self, meta: dict, arrays: dict) -> None:
        pass

    def __repr__(self):
        return f"{type(self).__name__}()"


class _FunctionCallback(Callback):
    def __init__(self, fn):
        self.fn = fn
        self.name = getattr(fn, "__name__", repr(fn))

    def on_epoch_end(self, epoch, logs, model):
        return self.fn(epoch, dict(logs))

    def __repr__(self):
        return f"callback({self.name})"


class EarlyStopping(Callback):
    """Stop when a monitored quantity stops improving.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A key of the epoch logs: "loss", "val_loss", a metric or "val_<metric>".
    patience : int >= 1, default 5
        Stop after this many epochs in a row without improvement.
    min_delta : float >= 0, default 0
        An improvement must beat the best by more than this.
    mode : {"auto", "min", "max"}
        Whether smaller or larger is better; "auto" is "max" for names containing
        "accuracy", else "min".
    restore_best : bool, default True
        When it stops, put back the parameters of the best epoch.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = True):
        if not isinstance(monitor, str):
            raise DescendError(f"monitor must be a log key such as 'val_loss', got {monitor!r}")
        self.monitor = monitor
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 1:
            raise DescendError(f"patience must be an integer >= 1, got {patience!r}")
        self.patience = int(patience)
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not min_delta >= 0 \
                or not math.isfinite(min_delta):
            raise DescendError(f"min_delta must be a finite number >= 0, got {min_delta!r}")
        self.min_delta = float(min_delta)
        if mode not in ("auto", "min", "max"):
            raise DescendError(f"unknown mode {mode!r}; valid: auto, min, max")
        self.mode = ("max" if "accuracy" in monitor else "min") if mode == "auto" else mode
        self.restore_best = bool(restore_best)
        self.best = None
        self.best_epoch = None
        self.wait = 0
        self.best_params: dict[str, np.ndarray] = {}

    def on_train_begin(self, log_keys, model):
        if self.monitor not in log_keys:
            hint = "; pass validation=(X_val, y_val)" if self.monitor.startswith("val_") else ""
            raise DescendError(f"EarlyStopping monitors {self.monitor!r}, but the epoch logs have: "
                               f"{', '.join(log_keys)}{hint}")

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return math.isfinite(value)
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs, model):
        value = float(logs[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_params = {k: p.copy() for k, p in model.params.items()}
            return None
        self.wait += 1
        if self.wait >= self.patience:
            if self.restore_best and self.best_params:
                model.load_params(self.best_params)
            return False
        return None

    def stop_message(self, epoch: int) -> str:
        restored = f"; parameters of epoch {self.best_epoch} restored" if self.restore_best and self.best_params \
            else ""
        return message("stopped_early", epoch=epoch, monitor=self.monitor, patience=self.patience,
                    best=self.best if self.best is not None else float("nan"),
                    best_epoch=self.best_epoch, restored=restored)

    def state(self):
        return ({"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait},
                dict(self.best_params))

    def set_state(self, meta, arrays):
        self.best = None if meta["best"] is None else float(meta["best"])
        self.best_epoch = None if meta["best_epoch"] is None else int(meta["best_epoch"])
        self.wait = int(meta["wait"])
        self.best_params = {k: np.array(v) for k, v in arrays.items()}

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, min_delta={self.min_delta}, "
                f"mode={self.mode!r}, restore_best={self.restore_best})")


def resolve_callbacks(callbacks) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or callable(callbacks):
        callbacks = [callbacks]
    out = []
    for cb in callbacks:
        if isinstance(cb, Callback):
            out.append(cb)
        elif callable(cb):
            out.append(_FunctionCallback(cb))
        else:
            raise DescendError(f"a callback must be a Callback or a function fn(epoch, logs), got {cb!r}")
    return out
