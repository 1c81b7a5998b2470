"""Training: epochs of mini-batches, online updates, callbacks and checkpoints that resume exactly.

:func:`train` runs gradient descent on a :class:`descend.nn.Sequential`::

    batch_size=None   full-batch gradient descent: one update per epoch, on every sample
    batch_size=1      stochastic gradient descent: one update per sample
    batch_size=k      mini-batch gradient descent: updates on k samples at a time

An epoch visits every sample exactly once, in the order of a permutation drawn
afresh each epoch from ``np.random.default_rng(seed)`` (no sampling with
replacement, unlike seed 003's ``np.random.choice``); the last, shorter batch is
kept unless ``drop_last=True``.  The gradient of a batch is the gradient of the
batch's mean loss, i.e. the average of the per-sample gradients (seed 003's
mini-batch code used one "representative" sample instead; see
:mod:`descend.datasets` for the list of what it got wrong).  The same seed gives
the same :class:`History` bit for bit (wall-clock times aside).

:func:`partial_fit` does one update from data as it arrives (online learning,
seed 003: "learning from data given each time it is obtained");
:func:`train_online` consumes a stream of ``(x, y)``.

Stopping
--------
Every way a run ends is a status on the History, with a message from one
table (:data:`MESSAGES`); none raises:

``completed``            all epochs ran
``stopped_early``        :class:`EarlyStopping` saw no improvement for ``patience`` epochs
``stopped_by_callback``  a callable in ``callbacks`` returned ``False`` (exactly False; None continues)
``diverged``             the loss (or a parameter) became non-finite; the update with the
                         non-finite loss is not applied, and no checkpoint is written
                         after it, so the last checkpoint on disk stays the last good one
``interrupted``          Ctrl-C (SIGINT): the step in progress finishes, a checkpoint is saved
                         (when ``checkpoint`` is given) and :func:`train` returns; a second
                         Ctrl-C raises KeyboardInterrupt at once

Checkpoints
-----------
``checkpoint="run.npz"`` writes, through :mod:`descend.files` (temporary file in
the same directory, flush + fsync, rename; never through a symbolic link; only
over a file descend wrote), at every epoch end and every
``checkpoint_every`` updates: the parameters, the optimizer state (its schedule
position included), the data-order generator's state and the current epoch's
permutation, the Dropout generators, epoch and step, the callbacks' state and the
History.  ``resume=True`` continues from it and ends with the parameters an
uninterrupted run would have, bit for bit.  An existing file is never replaced
unless ``resume=True`` or ``overwrite=True``.  Reading uses ``allow_pickle=False``
and checks every field; see :mod:`descend.nn.io`.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable

import numpy as np

from .. import files, safejson
from ..errors import DescendError
from ..nn.io import atomic_savez, check_savable, model_arrays, npz_json, read_npz
from ..nn.layers import decode_rng_state, encode_rng_state
from ..nn.losses import get as get_loss
from ..nn.model import Sequential

__all__ = ["train", "partial_fit", "train_online", "evaluate", "History", "Callback", "EarlyStopping",
           "MESSAGES", "STATUSES", "accuracy", "load_checkpoint"]

CHECKPOINT_FORMAT = "descend.checkpoint"
CHECKPOINT_VERSION = 1

#: every status a History can end with
STATUSES = ("running", "completed", "stopped_early", "stopped_by_callback", "diverged", "interrupted")

#: the one table of messages
MESSAGES = {
    "completed": "completed {epochs} epoch(s), {steps} update(s)",
    "stream_ended": "the stream ended after {steps} update(s)",
    "max_steps": "reached max_steps={steps}",
    "stopped_early": "stopped early after epoch {epoch}: {monitor} did not improve for {patience} epoch(s); "
                     "best {monitor}={best:.6g} at epoch {best_epoch}{restored}",
    "stopped_by_callback": "stopped by callback {name} after epoch {epoch}",
    "diverged": "loss became {value} at epoch {epoch}, step {step}: training stopped before that update; "
                "the parameters are those of step {last}{ckpt}. Try a smaller learning rate",
    "diverged_params": "a parameter became non-finite by the end of epoch {epoch} (step {step}): training "
                       "stopped{ckpt}. Try a smaller learning rate",
    "interrupted": "interrupted at epoch {epoch}, step {step}{ckpt}",
}


def _msg(key: str, **kw) -> str:
    return MESSAGES[key].format(**kw)


def _ckpt_note(path, saved: bool) -> str:
    if path is None:
        return ""
    if saved:
        return f"; checkpoint saved to {os.fspath(path)!r} (continue with resume=True)"
    if os.path.exists(path):
        return f"; the last good checkpoint {os.fspath(path)!r} is untouched"
    return "; no checkpoint had been written yet"


# ----------------------------------------------------------------------------------------------
# History
# ----------------------------------------------------------------------------------------------

class History:
    """What a training run did.

    Attributes
    ----------
    loss : list of float
        The batch loss at every update (before the update was applied).
    lr : list of float
        The learning rate used by every update.
    epochs : dict of str -> list of float
        Per epoch: ``"epoch"`` (1, 2, ...), ``"loss"`` (mean training loss over the
        epoch's batches, weighted by batch size), each training metric, ``"val_loss"``
        and ``"val_<metric>"`` when validating, ``"lr"`` (after the epoch),
        ``"time"`` (wall seconds) and ``"samples_per_s"``.
    status, message : str
        How the run ended (see :data:`STATUSES`, :data:`MESSAGES`).
    epoch, step : int
        Epochs completed and updates applied.
    best_epoch : int or None
        The best epoch seen by EarlyStopping, if any.
    wall_time : float
        Seconds spent training (summed over resumed sessions).

    ``history["val_loss"]`` returns ``epochs["val_loss"]`` as an array.
    """

    #: keys whose values are wall-clock measurements (the only ones a seed does not reproduce)
    TIMING_KEYS = ("time", "samples_per_s")

    def __init__(self):
        self.loss: list[float] = []
        self.lr: list[float] = []
        self.epochs: dict[str, list[float]] = {}
        self.status = "running"
        self.message = ""
        self.epoch = 0
        self.step = 0
        self.best_epoch: int | None = None
        self.wall_time = 0.0

    @property
    def success(self) -> bool:
        """True unless the run diverged or was interrupted."""
        return self.status in ("completed", "stopped_early", "stopped_by_callback")

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.epochs:
            raise KeyError(f"no per-epoch record {key!r}; recorded: {', '.join(self.epochs)}")
        return np.asarray(self.epochs[key])

    def _append_epoch(self, logs: dict) -> None:
        for key, value in logs.items():
            self.epochs.setdefault(key, []).append(value)

    def _meta(self) -> dict:
        return {"epochs": self.epochs, "status": self.status, "message": self.message, "epoch": self.epoch,
                "step": self.step, "best_epoch": self.best_epoch, "wall_time": self.wall_time}

    @classmethod
    def _from_meta(cls, meta: dict, loss: np.ndarray, lr: np.ndarray) -> "History":
        h = cls()
        h.loss = [float(v) for v in loss]
        h.lr = [float(v) for v in lr]
        h.epochs = {str(k): [int(v) if k == "epoch" else float(v) for v in vals]
                    for k, vals in meta["epochs"].items()}
        h.status, h.message = str(meta["status"]), str(meta["message"])
        h.epoch, h.step = int(meta["epoch"]), int(meta["step"])
        h.best_epoch = None if meta["best_epoch"] is None else int(meta["best_epoch"])
        h.wall_time = float(meta["wall_time"])
        return h

    def __repr__(self):
        parts = [f"status={self.status!r}", f"epochs={self.epoch}", f"steps={self.step}"]
        for key in self.epochs:
            if key not in ("epoch", "lr") + self.TIMING_KEYS and self.epochs[key]:
                parts.append(f"{key}={self.epochs[key][-1]:.6g}")
        return f"History({', '.join(parts)})"


# ----------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------

def accuracy(pred, y) -> float:
    """Fraction of correct predictions from raw scores (logits).

    ``pred`` of shape (N, C >= 2): the arg-max class, compared with integer labels
    ``y`` of shape (N,) or with the arg-max of one-hot rows of shape (N, C).
    ``pred`` of shape (N,) or (N, 1): a binary logit, class 1 where ``pred > 0``.
    """
    pred, y = np.asarray(pred), np.asarray(y)
    if pred.ndim == 2 and pred.shape[1] >= 2:
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        return float(np.mean(pred.argmax(axis=1) == labels))
    return float(np.mean((pred.reshape(-1) > 0) == (y.reshape(-1) > 0.5)))


_METRICS = {"accuracy": accuracy}


def _metrics(metrics) -> list[tuple[str, Callable]]:
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    out = []
    for m in metrics:
        if isinstance(m, str):
            if m not in _METRICS:
                raise DescendError(f"unknown metric {m!r}; valid: {', '.join(_METRICS)} (or a function "
                                   f"metric(pred, y) -> float)")
            out.append((m, _METRICS[m]))
        elif callable(m):
            out.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise DescendError(f"a metric must be a name or a function metric(pred, y) -> float, got {m!r}")
    seen = set()
    for name, _ in out:
        if name in seen or name in ("loss", "epoch", "lr") + History.TIMING_KEYS or name.startswith("val_"):
            raise DescendError(f"metric name {name!r} is repeated or reserved; give the function another name")
        seen.add(name)
    return out


# ----------------------------------------------------------------------------------------------
# Callbacks
# ----------------------------------------------------------------------------------------------

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
        return _msg("stopped_early", epoch=epoch, monitor=self.monitor, patience=self.patience,
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


def _callbacks(callbacks) -> list[Callback]:
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


# ----------------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------------

def _optimizer(optimizer, lr):
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


def _last_lr(opt) -> float:
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


def _model(model) -> Sequential:
    if not isinstance(model, Sequential):
        raise DescendError(f"model must be a descend.nn.Sequential, got {type(model).__name__}")
    return model


def _all_finite(a: np.ndarray) -> bool:
    """No nan or inf in ``a``; min and max propagate nan and show inf, and need no temporary the size of ``a``."""
    if a.dtype.kind != "f":
        return True
    return bool(np.isfinite(a.min()) and np.isfinite(a.max()))


def _xy(model: Sequential, X, y, what: str = "") -> tuple[np.ndarray, np.ndarray]:
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


def _positive_int_or_none(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise DescendError(f"{name} must be None or an integer >= 1, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------

def _evaluate(model, X, y, loss_fn, metrics, chunk: int = 8192) -> dict:
    was_training = model.training
    model.eval()
    try:
        n = len(X)
        total, sums = 0.0, {name: 0.0 for name, _ in metrics}
        for i in range(0, n, chunk):
            Xc, yc = X[i:i + chunk], y[i:i + chunk]
            pred = model.forward(Xc)
            if loss_fn is not None:
                value = loss_fn.forward(pred, yc)
                total += value * len(Xc) if loss_fn.reduction == "mean" else value
            for name, fn in metrics:
                sums[name] += float(fn(pred, yc)) * len(Xc)
    finally:
        model.train(was_training)
    out = {}
    if loss_fn is not None:
        out["loss"] = total / n if loss_fn.reduction == "mean" else total
    out.update({name: s / n for name, s in sums.items()})
    return out


def evaluate(model, X, y, *, loss=None, metrics=("accuracy",)) -> dict:
    """Loss and metrics of ``model`` on ``(X, y)`` in evaluation mode (Dropout off).

    Returns a dict ``{"loss": ..., "accuracy": ...}`` (``"loss"`` only when a loss is given).
    """
    model = _model(model)
    X, y = _xy(model, X, y)
    return _evaluate(model, X, y, None if loss is None else get_loss(loss), _metrics(metrics))


# ----------------------------------------------------------------------------------------------
# Progress bar and Ctrl-C
# ----------------------------------------------------------------------------------------------

def _progress_stream():
    return sys.stderr


class _NoBar:
    def start_epoch(self, epoch, total):
        pass

    def update(self, done, loss, samples_per_s):
        pass

    def close(self):
        pass


class _RichBar:
    """A rich progress bar: epoch, batches, loss and samples/s."""

    def __init__(self, epochs: int, stream):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.epochs = epochs
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4g}"), TextColumn("{task.fields[sps]:,.0f} samples/s"),
            TimeElapsedColumn(), console=Console(file=stream), transient=False)
        self.progress.start()
        self.task = None

    def start_epoch(self, epoch, total):
        if self.task is not None:
            self.progress.stop_task(self.task)
        self.task = self.progress.add_task("train", total=total, epoch=epoch, epochs=self.epochs,
                                           loss=float("nan"), sps=0.0)

    def update(self, done, loss, samples_per_s):
        self.progress.update(self.task, completed=done, loss=loss, sps=samples_per_s)

    def close(self):
        self.progress.stop()


def _bar(progress: bool, epochs: int):
    if not progress:
        return _NoBar()
    stream = _progress_stream()
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return _NoBar()  # silent when not writing to a terminal
    return _RichBar(epochs, stream)


class _Interrupt:
    """Turn the first Ctrl-C into a flag checked between updates; the second one raises."""

    def __init__(self):
        self.flag = False
        self._old = None

    def _handler(self, signum, frame):
        if self.flag:
            raise KeyboardInterrupt
        self.flag = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self._old = signal.signal(signal.SIGINT, self._handler)
            except ValueError:  # pragma: no cover - embedded interpreters without signal support
                self._old = None
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


# ----------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------

def _put_json(arrays: dict, key: str, value) -> None:
    arrays[key] = np.array(json.dumps(value))


def _save_checkpoint(path, *, run, model, opt, rng, perm, progress, history, callbacks) -> None:
    arrays = {"__format__": np.array(CHECKPOINT_FORMAT), "__version__": np.array(CHECKPOINT_VERSION)}
    _put_json(arrays, "run", run)
    _put_json(arrays, "progress", progress)
    arrays["perm"] = np.asarray(perm if perm is not None else np.empty(0, np.int64), dtype=np.int64)
    arrays["rng"] = np.array(encode_rng_state(rng))
    arrays.update(model_arrays(model, prefix="param/"))
    state = opt.state_dict()
    if not isinstance(state, dict):  # pragma: no cover - the optimizer contract
        raise DescendError(f"optimizer.state_dict() must return a dict, got {type(state).__name__}")
    for key, value in state.items():
        arrays[f"optim/{key}"] = np.asarray(value)
    _put_json(arrays, "optim_keys", sorted(state))
    _put_json(arrays, "history", history._meta())
    arrays["history_loss"] = np.asarray(history.loss, dtype=np.float64)
    arrays["history_lr"] = np.asarray(history.lr, dtype=np.float64)
    metas = []
    for i, cb in enumerate(callbacks):
        meta, cb_arrays = cb.state()
        metas.append(meta)
        for name, a in cb_arrays.items():
            arrays[f"callback/{i}/{name}"] = a
    _put_json(arrays, "callbacks", metas)
    atomic_savez(path, arrays)


_CHECKPOINT_FIELDS = frozenset({"__format__", "__version__", "run", "progress", "perm", "rng", "architecture",
                                "rng_state", "optim_keys", "history", "history_loss", "history_lr", "callbacks"})


def _checkpoint_field(name: str) -> bool:
    return name in _CHECKPOINT_FIELDS or name.startswith(("param/", "optim/", "callback/"))


def load_checkpoint(path, *, max_bytes: int | None = None) -> dict:
    """Read and check a checkpoint written by :func:`train`; return its fields.

    Returns a dict with ``run`` (the settings fingerprint), ``progress``, ``perm``,
    ``rng`` (a Generator), ``model`` (a :class:`~descend.nn.Sequential`),
    ``optim`` (the optimizer state dict), ``history`` (a :class:`History`) and
    ``callbacks`` (list of (meta, arrays)).  Anything malformed is a DescendError;
    a file declaring more than ``max_bytes`` of arrays (default
    :data:`descend.nn.io.MAX_LOAD_BYTES`) is refused before anything is decompressed.
    """
    from ..nn.io import model_from_arrays

    p = os.fspath(path)
    data = read_npz(p, "checkpoint", CHECKPOINT_FORMAT, CHECKPOINT_VERSION, allowed=_checkpoint_field,
                    max_bytes=max_bytes)
    run = npz_json(data, "run", p)
    progress = npz_json(data, "progress", p)
    kinds = {int: "an integer >= 0", bool: "true or false", float: "a number", dict: "a JSON object"}
    for key, kind in (("epoch", int), ("step", int), ("batch", int), ("in_epoch", bool), ("loss_sum", float),
                      ("count", int), ("metric_sums", dict), ("epoch_time", float)):
        value = progress.get(key)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or (kind is int and value < 0):
            raise DescendError(f"{p!r}: progress field {key!r} must be {kinds[kind]}, got {value!r}")
    if "perm" not in data or data["perm"].dtype != np.int64 or data["perm"].ndim != 1:
        raise DescendError(f"{p!r}: field 'perm' must be a 1-D int64 array")
    if "rng" not in data:
        raise DescendError(f"{p!r} is missing the field 'rng'")
    try:
        rng = decode_rng_state(safejson.loads(str(data["rng"]), what="the generator state")
                               if data["rng"].dtype.kind == "U" and data["rng"].ndim == 0 else None)
    except DescendError as exc:
        raise DescendError(f"{p!r}: field 'rng': {exc}") from None
    model = model_from_arrays(data, p, prefix="param/")
    optim_keys = npz_json(data, "optim_keys", p, expect=list)
    optim_state = {}
    for key in optim_keys:
        if not isinstance(key, str) or f"optim/{key}" not in data:
            raise DescendError(f"{p!r} is missing the optimizer field {key!r}")
        a = data[f"optim/{key}"]
        if a.dtype.kind not in "biufU":
            raise DescendError(f"{p!r}: optimizer field {key!r} has dtype {a.dtype}")
        optim_state[key] = a[()] if a.ndim == 0 else a
    meta = npz_json(data, "history", p)
    need = {"epochs": dict, "status": str, "message": str, "epoch": int, "step": int, "wall_time": (int, float)}
    for key, kind in need.items():
        if not isinstance(meta.get(key), kind):
            raise DescendError(f"{p!r}: history field {key!r} is missing or malformed")
    if meta["status"] not in STATUSES:
        raise DescendError(f"{p!r}: unknown history status {meta['status']!r}")
    if not all(isinstance(v, list) and all(isinstance(x, (int, float)) for x in v) for v in meta["epochs"].values()):
        raise DescendError(f"{p!r}: history field 'epochs' must map names to lists of numbers")
    if meta.get("best_epoch") is not None and not isinstance(meta["best_epoch"], int):
        raise DescendError(f"{p!r}: history field 'best_epoch' must be an integer or null")
    for key in ("history_loss", "history_lr"):
        if key not in data or data[key].dtype != np.float64 or data[key].ndim != 1:
            raise DescendError(f"{p!r}: field {key!r} must be a 1-D float64 array")
    if len(data["history_loss"]) != meta["step"] or len(data["history_lr"]) != meta["step"]:
        raise DescendError(f"{p!r}: the history holds {len(data['history_loss'])} losses for {meta['step']} steps")
    if meta["step"] != progress["step"] or meta["epoch"] != progress["epoch"]:
        raise DescendError(f"{p!r}: history and progress disagree on epoch/step")
    history = History._from_meta(meta, data["history_loss"], data["history_lr"])
    cb_metas = npz_json(data, "callbacks", p, expect=list)
    callbacks = []
    for i, m in enumerate(cb_metas):
        if not isinstance(m, dict):
            raise DescendError(f"{p!r}: callback {i} state must be a JSON object")
        prefix = f"callback/{i}/"
        callbacks.append((m, {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}))
    return {"run": run, "progress": progress, "perm": data["perm"], "rng": rng, "model": model,
            "optim": optim_state, "history": history, "callbacks": callbacks}


def _check_progress(p: str, progress: dict, perm: np.ndarray, history: "History", run: dict, n: int) -> None:
    """Every progress field must fit the run the checkpoint claims to be: a batch within the
    epoch's batches, the step count and samples seen that this epoch and batch imply, a
    permutation of the samples when the epoch shuffles; finite sums.  (A tampered
    ``batch=1e9`` would otherwise skip the rest of an epoch without a word.)"""
    bs = run["batch_size"]
    size = n if bs is None else min(bs, n)
    n_batches = n // size if run["drop_last"] else -(-n // size)
    epoch, batch, in_epoch = progress["epoch"], progress["batch"], progress["in_epoch"]

    def bad(field, expected):
        return DescendError(f"{p!r}: progress field {field!r} is {progress[field]!r}, but {expected} "
                            f"(the checkpoint was altered, or is not of this run)")

    if in_epoch and batch > n_batches:
        raise bad("batch", f"an epoch of this run has {n_batches} batches")
    if not in_epoch and batch != 0:
        raise bad("batch", "between epochs it is 0")
    steps = epoch * n_batches + (batch if in_epoch else 0)
    if progress["step"] != steps:
        raise bad("step", f"epoch {epoch} and batch {batch} of {n_batches} per epoch make {steps}")
    seen = min(batch * size, n) if in_epoch else (0 if epoch == 0 else min(n_batches * size, n))
    if progress["count"] != seen:
        raise bad("count", f"{'batch ' + str(batch) if in_epoch else 'the last epoch'} makes {seen} samples")
    sums = [progress["loss_sum"], progress["epoch_time"], *progress["metric_sums"].values()]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in sums) \
            or progress["epoch_time"] < 0:
        raise DescendError(f"{p!r}: progress fields loss_sum, epoch_time and metric_sums must be finite numbers "
                           f"(epoch_time >= 0)")
    lengths = {len(v) for v in history.epochs.values()}
    if lengths and lengths != {epoch}:
        raise DescendError(f"{p!r}: the history records {sorted(lengths)} epochs, progress says {epoch}")
    want = n if in_epoch and run["shuffle"] and n_batches > 1 else 0
    if len(perm) != want or (want and not np.array_equal(np.sort(perm), np.arange(n))):
        raise DescendError(f"{p!r}: field 'perm' is not a permutation of the {n} samples" if want else
                           f"{p!r}: field 'perm' must be empty when the epoch does not shuffle, got {len(perm)} "
                           f"entries")


def _restore(path, run, model, opt, callbacks, n):
    """Load a checkpoint into model/optimizer/callbacks after checking it belongs to this run."""
    ck = load_checkpoint(path)
    p = os.fspath(path)
    saved = ck["run"]
    for key in sorted(set(saved) | set(run)):
        if saved.get(key) != run.get(key):
            raise DescendError(f"checkpoint {p!r} was made with {key}={saved.get(key)!r}, this call has "
                               f"{key}={run.get(key)!r}; resuming needs the same settings (or pass "
                               f"overwrite=True and resume=False to start a new run)")
    progress = ck["progress"]
    _check_progress(p, progress, ck["perm"], ck["history"], run, n)
    if set(progress["metric_sums"]) != set(run["metrics"]):
        raise DescendError(f"{p!r}: progress field 'metric_sums' has {sorted(progress['metric_sums'])}, "
                           f"expected {run['metrics']}")
    if len(ck["callbacks"]) != len(callbacks):
        raise DescendError(f"{p!r} holds state for {len(ck['callbacks'])} callback(s); this call has "
                           f"{len(callbacks)}")
    try:
        opt.load_state_dict(ck["optim"])
    except DescendError as exc:
        raise DescendError(f"{p!r}: optimizer state: {exc}") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise DescendError(f"{p!r}: optimizer state does not fit this optimizer: {exc}") from None
    model.load_params(ck["model"].params)
    model.set_rng_state(ck["model"].rng_state())
    for cb, (meta, arrays) in zip(callbacks, ck["callbacks"]):
        try:
            cb.set_state(meta, arrays)
        except (KeyError, TypeError, ValueError) as exc:
            raise DescendError(f"{p!r}: state of {cb!r} is malformed: {exc}") from None
    return ck


# ----------------------------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------------------------

def train(model, X, y, *, loss, optimizer, lr=None, batch_size=None, epochs: int = 1, shuffle: bool = True,
          seed=None, drop_last: bool = False, validation=None, metrics=(), callbacks=(), checkpoint=None,
          checkpoint_every=None, resume: bool = False, overwrite: bool = False, progress: bool = True) -> History:
    """Train ``model`` on ``(X, y)`` by gradient descent; return a :class:`History`.

    Parameters
    ----------
    model : descend.nn.Sequential
        Updated in place.
    X, y : array_like
        ``X`` of shape (n_samples, n_features) (converted once to the model's
        dtype); ``y`` with one row per sample (integer labels, one-hot rows or
        regression targets, as the loss wants).  Neither is modified.
    loss : descend.nn.Loss or str
        E.g. ``"mse"``, ``"cross_entropy"``, ``"bce_with_logits"``.
    optimizer : optimizer or str
        An instance from :mod:`descend.optim` (its state carries on between calls),
        or a name resolved with ``descend.optim.get(name, lr=lr)``.
    lr : float or schedule, optional
        Only with an optimizer given by name.  A schedule with an ``observe`` method
        (:class:`descend.schedules.ReduceOnPlateau`) is fed ``val_loss`` (else
        ``loss``) after every epoch.
    batch_size : int or None
        None: full batch (one update per epoch); 1: stochastic; k: mini-batches of k.
    epochs : int >= 1
        Epochs to reach (a resumed run counts the epochs already done).
    shuffle : bool, default True
        Reshuffle the samples every epoch with a permutation drawn from ``seed``.
    seed : None or int
        Seeds the data order; the same seed (and model init) gives the same History.
    drop_last : bool, default False
        Drop each epoch's last batch when it is shorter than ``batch_size``.
    validation : (X_val, y_val), optional
        Evaluated (in eval mode) after every epoch: ``val_loss`` and ``val_<metric>``.
    metrics : sequence of str or callable
        ``"accuracy"`` or functions ``metric(pred, y) -> float``.  Training metrics
        are averaged over the epoch's batches (computed on each batch before its update).
    callbacks : sequence
        :class:`EarlyStopping` / :class:`Callback` objects, or functions
        ``fn(epoch, logs)`` called after every epoch; returning ``False`` stops training.
    checkpoint : str or PathLike, optional
        Where to save checkpoints (every epoch end, and every ``checkpoint_every`` updates).
    checkpoint_every : int, optional
        Also save every this many updates (mid-epoch).
    resume : bool, default False
        Continue from ``checkpoint`` (which must exist and come from the same settings).
    overwrite : bool, default False
        Allow replacing an existing ``checkpoint`` file when not resuming.
    progress : bool, default True
        A rich progress bar on stderr (epoch, loss, samples/s); silent when stderr
        is not a terminal.

    Returns
    -------
    History
        Its ``status`` says how the run ended; see the module docstring.
    """
    with np.errstate(all="ignore"):  # a diverging run ends with a status and a message, not warnings
        return _train(model, X, y, loss=loss, optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs,
                      shuffle=shuffle, seed=seed, drop_last=drop_last, validation=validation, metrics=metrics,
                      callbacks=callbacks, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                      resume=resume, overwrite=overwrite, progress=progress)


def _train(model, X, y, *, loss, optimizer, lr, batch_size, epochs, shuffle, seed, drop_last, validation, metrics,
           callbacks, checkpoint, checkpoint_every, resume, overwrite, progress) -> History:
    model = _model(model)
    loss_fn = get_loss(loss)
    opt = _optimizer(optimizer, lr)
    X, y = _xy(model, X, y)
    n = len(X)
    batch_size = _positive_int_or_none("batch_size", batch_size)
    size = n if batch_size is None else min(batch_size, n)
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise DescendError(f"epochs must be an integer >= 1, got {epochs!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise DescendError(f"seed must be None or an integer >= 0, got {seed!r}")
    if drop_last and batch_size is not None and batch_size > n:
        raise DescendError(f"batch_size={batch_size} with drop_last=True leaves no batch of the {n} samples")
    n_batches = n // size if drop_last else -(-n // size)
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise DescendError("validation must be a pair (X_val, y_val)")
        Xv, yv = _xy(model, validation[0], validation[1], what="_val")
        if Xv.shape[1] != X.shape[1]:
            raise DescendError(f"X_val has {Xv.shape[1]} features, X has {X.shape[1]}")
    metric_fns = _metrics(metrics)
    cbs = _callbacks(callbacks)
    checkpoint_every = _positive_int_or_none("checkpoint_every", checkpoint_every)
    if checkpoint is None and (resume or checkpoint_every is not None):
        raise DescendError("resume and checkpoint_every need checkpoint=path")
    if resume and overwrite:
        raise DescendError("pass resume=True (continue the checkpoint) or overwrite=True (replace it), not both")

    run = {"architecture": model.config(), "loss": loss_fn.config(), "optimizer": type(opt).__name__,
           "batch_size": batch_size, "shuffle": bool(shuffle), "drop_last": bool(drop_last), "seed": seed,
           "n_samples": n, "n_features": int(X.shape[1]), "metrics": [m for m, _ in metric_fns],
           "validation": None if validation is None else len(Xv), "callbacks": [type(c).__name__ for c in cbs]}
    rng = np.random.default_rng(seed)
    history = History()
    st = {"epoch": 0, "step": 0, "batch": 0, "in_epoch": False, "loss_sum": 0.0, "count": 0,
          "metric_sums": {m: 0.0 for m, _ in metric_fns}, "epoch_time": 0.0}
    perm = None
    if checkpoint is not None:
        check_savable(model)  # refuse now, not at the end of the first epoch
        if resume:
            ck = _restore(checkpoint, run, model, opt, cbs, n)
            st, history, rng = ck["progress"], ck["history"], ck["rng"]
            perm = ck["perm"] if st["in_epoch"] and len(ck["perm"]) else None
            if history.status in ("stopped_early", "stopped_by_callback") or st["epoch"] >= epochs:
                return history
            history.status, history.message = "running", ""
        elif not os.path.isdir(os.path.dirname(os.path.abspath(checkpoint))):
            raise DescendError(f"the directory of checkpoint {os.fspath(checkpoint)!r} does not exist")
        elif os.path.exists(checkpoint) and not overwrite:
            raise DescendError(f"checkpoint {os.fspath(checkpoint)!r} already exists; pass resume=True to "
                               f"continue it or overwrite=True to replace it")
        # before the first epoch, not at its end: a link, a file descend did not write, a folder
        # that cannot be written (this also clears the temporary files of a run that was killed)
        files.check_writable(checkpoint)

    log_keys = ["loss"] + [m for m, _ in metric_fns]
    if validation is not None:
        log_keys += ["val_loss"] + [f"val_{m}" for m, _ in metric_fns]
    for cb in cbs:
        cb.on_train_begin(log_keys, model)

    params = model.params
    was_training = model.training
    model.train()
    bar = _bar(progress, epochs)

    def save():
        _save_checkpoint(checkpoint, run=run, model=model, opt=opt, rng=rng, perm=perm if st["in_epoch"] else None,
                         progress=st, history=history, callbacks=cbs)

    t_start = time.perf_counter()
    try:
        with _Interrupt() as interrupt:
            while history.status == "running":
                if not st["in_epoch"]:
                    # a new order every epoch; one batch holding every sample needs none
                    perm = rng.permutation(n) if shuffle and n_batches > 1 else None
                    st.update(batch=0, in_epoch=True, loss_sum=0.0, count=0, epoch_time=0.0,
                              metric_sums={m: 0.0 for m, _ in metric_fns})
                epoch = st["epoch"] + 1
                bar.start_epoch(epoch, n_batches)
                t0 = time.perf_counter()
                t_bar = t0
                sums = st["metric_sums"]
                for b in range(st["batch"], n_batches):
                    lo = b * size
                    hi = min(lo + size, n)
                    if perm is None:
                        Xb, yb = X[lo:hi], y[lo:hi]
                    else:
                        idx = perm[lo:hi]
                        Xb, yb = X[idx], y[idx]  # a gather of batch rows; measured faster than take(out=)
                    pred = model.forward(Xb)
                    value = loss_fn.forward(pred, yb)
                    if not math.isfinite(value):
                        history.status = "diverged"
                        history.message = _msg("diverged", value=value, epoch=epoch, step=st["step"] + 1,
                                               last=st["step"], ckpt=_ckpt_note(checkpoint, False))
                        break
                    for name, fn in metric_fns:
                        sums[name] += float(fn(pred, yb)) * (hi - lo)
                    grads = model.backward(loss_fn.backward())
                    opt.step(params, grads)
                    history.lr.append(_last_lr(opt))
                    history.loss.append(value)
                    st["step"] += 1
                    st["batch"] = b + 1
                    st["loss_sum"] += value * (hi - lo)
                    st["count"] += hi - lo
                    history.step = st["step"]
                    if bar.__class__ is not _NoBar:
                        now = time.perf_counter()
                        if now - t_bar > 0.1 or b + 1 == n_batches:
                            t_bar = now
                            bar.update(b + 1, value, st["count"] / max(st["epoch_time"] + now - t0, 1e-9))
                    if interrupt.flag:
                        st["epoch_time"] += time.perf_counter() - t0
                        history.status = "interrupted"
                        if checkpoint is not None:
                            save()
                        history.message = _msg("interrupted", epoch=epoch, step=st["step"],
                                               ckpt=_ckpt_note(checkpoint, checkpoint is not None))
                        break
                    if checkpoint_every is not None and st["step"] % checkpoint_every == 0 and b + 1 < n_batches:
                        st["epoch_time"] += time.perf_counter() - t0
                        t0 = time.perf_counter()
                        save()
                if history.status != "running":
                    break
                # ---- the epoch is complete
                st["epoch_time"] += time.perf_counter() - t0
                logs = {"epoch": epoch, "loss": st["loss_sum"] / max(st["count"], 1)}
                for name, _ in metric_fns:
                    logs[name] = sums[name] / max(st["count"], 1)
                if validation is not None:
                    val = _evaluate(model, Xv, yv, loss_fn, metric_fns)
                    logs.update({f"val_{k}": v for k, v in val.items()})
                logs["lr"] = _last_lr(opt)
                logs["time"] = st["epoch_time"]
                logs["samples_per_s"] = st["count"] / max(st["epoch_time"], 1e-12)
                st.update(epoch=epoch, in_epoch=False, batch=0)
                history.epoch = epoch
                history._append_epoch(logs)
                if not all(np.isfinite(p).all() for p in params.values()):
                    history.status = "diverged"
                    history.message = _msg("diverged_params", epoch=epoch, step=st["step"],
                                           ckpt=_ckpt_note(checkpoint, False))
                    break
                sched = getattr(opt, "lr", None)
                if callable(getattr(sched, "observe", None)):  # ReduceOnPlateau: fed once per epoch
                    sched.observe(logs["val_loss"] if "val_loss" in logs else logs["loss"])
                cb_logs = {k: v for k, v in logs.items() if k not in ("epoch",) + History.TIMING_KEYS}
                for cb in cbs:
                    if cb.on_epoch_end(epoch, cb_logs, model) is False:
                        if isinstance(cb, EarlyStopping):
                            history.status = "stopped_early"
                            history.best_epoch = cb.best_epoch
                            history.message = cb.stop_message(epoch)
                        else:
                            history.status = "stopped_by_callback"
                            history.message = _msg("stopped_by_callback", name=getattr(cb, "name", repr(cb)),
                                                   epoch=epoch)
                        break
                    if isinstance(cb, EarlyStopping):
                        history.best_epoch = cb.best_epoch
                if history.status == "running" and epoch >= epochs:
                    history.status = "completed"
                    history.message = _msg("completed", epochs=epoch, steps=st["step"])
                history.wall_time += time.perf_counter() - t_start
                t_start = time.perf_counter()
                if checkpoint is not None:
                    save()
    finally:
        bar.close()
        model.train(was_training)
    if history.status in ("diverged", "interrupted"):
        history.wall_time += time.perf_counter() - t_start
    return history


# ----------------------------------------------------------------------------------------------
# Online learning
# ----------------------------------------------------------------------------------------------

def _as_batch(model, x, y):
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim == 1:  # one sample as it arrives
        x = x.reshape(1, -1)
        y = y.reshape(1, *y.shape)
    return _xy(model, x, y)


def partial_fit(model, x, y, *, loss, optimizer) -> float:
    """One update of ``model`` from the data ``(x, y)`` just received (online learning).

    Parameters
    ----------
    model : descend.nn.Sequential
    x, y : array_like
        One sample (``x`` of shape (n_features,), ``y`` a scalar or a row) or a batch.
    loss : Loss or str
    optimizer : a descend.optim optimizer instance
        Its state (momentum, Adam's moments, the schedule's step) carries over between
        calls, which is why a name is not accepted here.

    Returns
    -------
    float
        The loss on ``(x, y)`` before the update.

    Raises
    ------
    DescendError
        If the loss is not finite (the update is then not applied).
    """
    model = _model(model)
    if isinstance(optimizer, str):
        raise DescendError(f"partial_fit needs an optimizer instance that keeps its state between calls, got "
                           f"{optimizer!r}; create one with descend.optim.get({optimizer!r}, lr=...)")
    opt = _optimizer(optimizer, None)
    loss_fn = get_loss(loss)
    X, Y = _as_batch(model, x, y)
    was_training = model.training
    model.train()
    try:
        with np.errstate(all="ignore"):  # a non-finite loss is reported below, not warned about
            value = loss_fn.forward(model.forward(X), Y)
            if not math.isfinite(value):
                raise DescendError(f"loss is {value} on this data: the update was not applied; try a smaller "
                                   f"learning rate")
            opt.step(model.params, model.backward(loss_fn.backward()))
    finally:
        model.train(was_training)
    return value


def train_online(model, stream: Iterable, *, loss, optimizer, max_steps=None, progress: bool = False) -> History:
    """Update ``model`` once per item of ``stream`` (pairs ``(x, y)``: one sample or a batch).

    Returns a History with the loss and learning rate of every update (and no
    per-epoch records).  Ends with status "completed" when the stream is exhausted
    or after ``max_steps`` updates; "diverged" (stopping before the bad update) if
    a loss is not finite; "interrupted" on Ctrl-C.
    """
    model = _model(model)
    if isinstance(optimizer, str):
        raise DescendError(f"train_online needs an optimizer instance, got {optimizer!r}; create one with "
                           f"descend.optim.get({optimizer!r}, lr=...)")
    opt = _optimizer(optimizer, None)
    loss_fn = get_loss(loss)
    max_steps = _positive_int_or_none("max_steps", max_steps)
    if isinstance(stream, (str, bytes, dict)) or not isinstance(stream, Iterable):
        raise DescendError(f"stream must be an iterable of (x, y) pairs (a list, a generator, a data "
                           f"loader), got {type(stream).__name__}")
    history = History()
    t0 = time.perf_counter()
    was_training = model.training
    model.train()
    try:
        with _Interrupt() as interrupt, np.errstate(all="ignore"):
            for item in stream:
                try:
                    x, y = item
                except (TypeError, ValueError):
                    raise DescendError(f"stream items must be pairs (x, y), got {item!r:.60}") from None
                X, Y = _as_batch(model, x, y)
                value = loss_fn.forward(model.forward(X), Y)
                if not math.isfinite(value):
                    history.status = "diverged"
                    history.message = _msg("diverged", value=value, epoch=1, step=history.step + 1,
                                           last=history.step, ckpt="")
                    break
                opt.step(model.params, model.backward(loss_fn.backward()))
                history.lr.append(_last_lr(opt))
                history.loss.append(value)
                history.step += 1
                if interrupt.flag:
                    history.status = "interrupted"
                    history.message = _msg("interrupted", epoch=1, step=history.step, ckpt="")
                    break
                if max_steps is not None and history.step >= max_steps:
                    history.status, history.message = "completed", _msg("max_steps", steps=history.step)
                    break
            else:
                history.status, history.message = "completed", _msg("stream_ended", steps=history.step)
            if history.status == "running":  # pragma: no cover - every exit above sets it
                history.status = "completed"
    finally:
        model.train(was_training)
    history.wall_time = time.perf_counter() - t0
    return history
