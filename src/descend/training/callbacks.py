"""Callbacks: called after every epoch, able to stop a run; :class:`EarlyStopping`; their state for checkpoints."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import curvature
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

    def epoch_records(self) -> dict:
        """Numbers this callback measured at the epoch just ended, for the History's per-epoch
        records (``{}``: none; :class:`Sharpness` gives its sharpness and threshold)."""
        return {}

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


class Sharpness(Callback):
    """Measure the sharpness (the Hessian's largest eigenvalue) every ``every`` epochs.

    With full-batch training (``batch_size=None``) an epoch is one step, so this is "every k
    steps" of Cohen et al. (2021): gradient descent raises the sharpness until it reaches
    ``2 / lr`` and then hovers there (the edge of stability).  For Adam the preconditioned
    sharpness ``lambda_1(P^-1 H)`` is measured too, against ``(2 + 2 beta1) / ((1 - beta1) lr)``
    (Cohen et al. 2022); see :mod:`descend.curvature.preconditioned`.

    Parameters
    ----------
    X, y : array_like
        The data the curvature is measured on (usually the training set, or a part of it).
    loss : descend.nn.Loss or str
        The training loss.
    every : int >= 1, default 1
        Measure at epochs 1, 1 + every, 1 + 2 every, ...
    optimizer : optimizer, optional
        The one training the model: sets the threshold (momentum, Adam) and, for Adam, the
        preconditioner.  Without it the threshold is ``2 / lr`` with the epoch's ``lr``.
    batch : None or int
        Every sample, or a fixed random subset of that many (drawn once with ``seed``).
    tol : float, default 1e-3
        Relative accuracy of each eigenvalue (:func:`descend.curvature.eigenvalues`).
    seed : int

    Attributes
    ----------
    records : dict of str -> list
        ``"epoch"``, ``"loss"`` (the epoch's training loss), ``"sharpness"``, ``"threshold"``
        and, for Adam, ``"preconditioned_sharpness"``, one entry per measurement.
    """

    def __init__(self, X, y, loss, *, every: int = 1, optimizer=None, batch=None, tol: float = 1e-3, seed=0):
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise DescendError(f"every must be an integer >= 1, got {every!r}")
        self.X, self.y = curvature.fixed_batch(X, y, batch, seed)
        self.loss = loss
        self.every = int(every)
        self.optimizer = optimizer
        self.adam = type(optimizer).__name__ in ("Adam", "AdamW")
        if optimizer is not None:
            curvature.stability_threshold(optimizer, lr=1.0)  # refuse an optimizer without one now
        self.tol = tol
        self.seed = seed
        keys = ("epoch", "loss", "sharpness", "threshold") + (("preconditioned_sharpness",) if self.adam else ())
        self.records: dict[str, list] = {k: [] for k in keys}
        self._last: dict = {}

    def on_epoch_end(self, epoch, logs, model):
        self._last = {}
        if (epoch - 1) % self.every:
            return None
        lr = logs.get("lr")
        threshold = curvature.stability_threshold(self.optimizer if self.optimizer is not None else "gd", lr=lr)
        top = curvature.eigenvalues(model, self.loss, self.X, self.y, tol=self.tol, seed=self.seed)
        self._last = {"epoch": epoch, "loss": float(logs["loss"]), "sharpness": float(top.eigenvalues[0]),
                      "threshold": threshold}
        if self.adam:
            pre = curvature.preconditioned_sharpness(model, self.loss, self.X, self.y, self.optimizer,
                                                     tol=self.tol, seed=self.seed)
            self._last["preconditioned_sharpness"] = float(pre.eigenvalues[0])
        for key, value in self._last.items():
            self.records[key].append(value)
        return None

    def epoch_records(self) -> dict:
        """``sharpness`` and ``threshold`` (and ``preconditioned_sharpness``) at a measured epoch,
        nan at the others, so that the History's lists stay one entry per epoch."""
        return {k: self._last.get(k, float("nan")) for k in self.records if k not in ("epoch", "loss")}

    def state(self):
        return {"records": self.records}, {}

    def set_state(self, meta, arrays):
        self.records = {k: [int(v) if k == "epoch" else float(v) for v in vals]
                        for k, vals in meta["records"].items()}

    def __repr__(self):
        return f"Sharpness(every={self.every}, samples={len(self.X)}, loss={self.loss!r})"


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
