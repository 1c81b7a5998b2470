"""The epoch loop: :func:`train`, written as named phases.

:func:`_start` checks the arguments in the order of their messages and builds the explicit
state of the run (:class:`_Run`); :func:`_open_checkpoint` resumes a run or makes sure its
file can be written.  Each epoch is :func:`_new_epoch` (a new order of the samples),
:func:`_batches` (per batch, :func:`_step`: forward and loss, stop where it is not finite,
metrics, the update, the record; then the progress bar, Ctrl-C, the checkpoint every
``checkpoint_every`` updates) and :func:`_end_epoch` (evaluate, record, a parameter that is
not finite, the schedule, :func:`_call_callbacks`, completed, checkpoint).  The state
``_Run.st`` is what a checkpoint saves as "progress": a resumed run continues from it with
the numbers of an uninterrupted one, bit for bit.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from dataclasses import dataclass, field

import numpy as np

from .. import files
from ..errors import DescendError
from ..nn.losses import Loss
from ..nn.losses import get as get_loss
from ..nn.model import Sequential
from ..nn.saving import check_savable
from . import checkpoint as checkpoints  # save_checkpoint looked up when called (a test records the saves)
from .arguments import check_model, check_xy, last_lr, positive_int_or_none, resolve_optimizer
from .callbacks import EarlyStopping, resolve_callbacks
from .checkpoint import restore
from .history import History, checkpoint_note, message
from .metrics import evaluate_arrays, resolve_metrics
from .progress import Interrupt, NoBar, progress_bar
from .update import apply_update, diverged, forward, interrupted, record, training_mode


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


@dataclass(eq=False)
class _Run:
    """The explicit state of one call of :func:`train`: the checked settings, the data, the
    position in the run (``st``: epoch, step, batch, the epoch's sums), the History and the
    generator of the data order (with the current epoch's permutation)."""

    model: Sequential
    X: np.ndarray
    y: np.ndarray
    loss_fn: Loss
    opt: object
    n: int
    size: int
    n_batches: int
    epochs: int
    shuffle: bool
    validation: tuple | None  # (X_val, y_val), checked
    metric_fns: list
    cbs: list
    checkpoint: object
    checkpoint_every: int | None
    settings: dict  # what a checkpoint must match to be resumed
    rng: np.random.Generator
    history: History = field(default_factory=History)
    st: dict = field(default_factory=dict)
    perm: np.ndarray | None = None
    bar: object = None
    t0: float = 0.0  # when the epoch's current stretch of batches began
    t_start: float = 0.0  # when the wall time not yet added to the History began


def _train(model, X, y, *, loss, optimizer, lr, batch_size, epochs, shuffle, seed, drop_last, validation, metrics,
           callbacks, checkpoint, checkpoint_every, resume, overwrite, progress) -> History:
    r = _start(model, X, y, loss=loss, optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs,
               shuffle=shuffle, seed=seed, drop_last=drop_last, validation=validation, metrics=metrics,
               callbacks=callbacks, checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
               overwrite=overwrite)
    if checkpoint is not None and _open_checkpoint(r, resume, overwrite):
        return r.history  # resumed a run that had already ended
    log_keys = ["loss"] + [m for m, _ in r.metric_fns]
    if r.validation is not None:
        log_keys += ["val_loss"] + [f"val_{m}" for m, _ in r.metric_fns]
    for cb in r.cbs:
        cb.on_train_begin(log_keys, r.model)
    with training_mode(r.model):
        r.bar = progress_bar(progress, epochs)
        r.t_start = time.perf_counter()
        try:
            with Interrupt() as interrupt:
                while r.history.status == "running":
                    if not r.st["in_epoch"]:
                        _new_epoch(r)
                    epoch = r.st["epoch"] + 1
                    if _batches(r, epoch, interrupt):
                        _end_epoch(r, epoch)
        finally:
            r.bar.close()
    if r.history.status in ("diverged", "interrupted"):
        r.history.wall_time += time.perf_counter() - r.t_start
    return r.history


# ---- start: checks, settings, resume

def _start(model, X, y, *, loss, optimizer, lr, batch_size, epochs, shuffle, seed, drop_last, validation, metrics,
           callbacks, checkpoint, checkpoint_every, resume, overwrite) -> _Run:
    """Check every argument (in the order of the messages) and build the run's state."""
    model = check_model(model)
    loss_fn = get_loss(loss)
    opt = resolve_optimizer(optimizer, lr)
    X, y = check_xy(model, X, y)
    n = len(X)
    batch_size = positive_int_or_none("batch_size", batch_size)
    size = n if batch_size is None else min(batch_size, n)
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise DescendError(f"epochs must be an integer >= 1, got {epochs!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise DescendError(f"seed must be None or an integer >= 0, got {seed!r}")
    if drop_last and batch_size is not None and batch_size > n:
        raise DescendError(f"batch_size={batch_size} with drop_last=True leaves no batch of the {n} samples")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise DescendError("validation must be a pair (X_val, y_val)")
        validation = check_xy(model, validation[0], validation[1], what="_val")
        if validation[0].shape[1] != X.shape[1]:
            raise DescendError(f"X_val has {validation[0].shape[1]} features, X has {X.shape[1]}")
    metric_fns = resolve_metrics(metrics)
    cbs = resolve_callbacks(callbacks)
    checkpoint_every = positive_int_or_none("checkpoint_every", checkpoint_every)
    if checkpoint is None and (resume or checkpoint_every is not None):
        raise DescendError("resume and checkpoint_every need checkpoint=path")
    if resume and overwrite:
        raise DescendError("pass resume=True (continue the checkpoint) or overwrite=True (replace it), not both")
    settings = {"architecture": model.config(), "loss": loss_fn.config(), "optimizer": type(opt).__name__,
                "batch_size": batch_size, "shuffle": bool(shuffle), "drop_last": bool(drop_last), "seed": seed,
                "n_samples": n, "n_features": int(X.shape[1]), "metrics": [m for m, _ in metric_fns],
                "validation": None if validation is None else len(validation[0]),
                "callbacks": [type(c).__name__ for c in cbs]}
    r = _Run(model=model, X=X, y=y, loss_fn=loss_fn, opt=opt, n=n, size=size,
             n_batches=n // size if drop_last else -(-n // size), epochs=epochs, shuffle=shuffle,
             validation=validation, metric_fns=metric_fns, cbs=cbs, checkpoint=checkpoint,
             checkpoint_every=checkpoint_every, settings=settings, rng=np.random.default_rng(seed))
    r.st = {"epoch": 0, "step": 0, "batch": 0, "in_epoch": False, "loss_sum": 0.0, "count": 0,
            "metric_sums": {m: 0.0 for m, _ in metric_fns}, "epoch_time": 0.0}
    return r


def _open_checkpoint(r: _Run, resume: bool, overwrite: bool) -> bool:
    """Resume from the checkpoint, or make sure a new one can be written; True when the
    resumed run had already ended (nothing left to do)."""
    checkpoint = r.checkpoint
    check_savable(r.model)  # refuse now, not at the end of the first epoch
    if resume:
        ck = restore(checkpoint, r.settings, r.model, r.opt, r.cbs, r.n)
        r.st, r.history, r.rng = ck["progress"], ck["history"], ck["rng"]
        r.perm = ck["perm"] if r.st["in_epoch"] and len(ck["perm"]) else None
        if r.history.status in ("stopped_early", "stopped_by_callback") or r.st["epoch"] >= r.epochs:
            return True
        r.history.status, r.history.message = "running", ""
    elif not os.path.isdir(os.path.dirname(os.path.abspath(checkpoint))):
        raise DescendError(f"the directory of checkpoint {os.fspath(checkpoint)!r} does not exist")
    elif os.path.exists(checkpoint) and not overwrite:
        raise DescendError(f"checkpoint {os.fspath(checkpoint)!r} already exists; pass resume=True to "
                           f"continue it or overwrite=True to replace it")
    # before the first epoch, not at its end: a link, a file descend did not write, a folder
    # that cannot be written (this also clears the temporary files of a run that was killed)
    files.check_writable(checkpoint)
    return False


def _save(r: _Run) -> None:
    checkpoints.save_checkpoint(r.checkpoint, run=r.settings, model=r.model, opt=r.opt, rng=r.rng,
                                perm=r.perm if r.st["in_epoch"] else None, progress=r.st, history=r.history,
                                callbacks=r.cbs)


# ---- per epoch: a new order, the batches, the epoch's end

def _new_epoch(r: _Run) -> None:
    # a new order every epoch; one batch holding every sample needs none
    r.perm = r.rng.permutation(r.n) if r.shuffle and r.n_batches > 1 else None
    r.st.update(batch=0, in_epoch=True, loss_sum=0.0, count=0, epoch_time=0.0,
                metric_sums={m: 0.0 for m, _ in r.metric_fns})


def _batches(r: _Run, epoch: int, interrupt) -> bool:
    """The epoch's remaining batches; False when the run stopped inside the epoch (diverged, Ctrl-C)."""
    st = r.st
    r.bar.start_epoch(epoch, r.n_batches)
    r.t0 = t_bar = time.perf_counter()
    for b in range(st["batch"], r.n_batches):
        value = _step(r, b, epoch)
        if value is None:
            return False
        if r.bar.__class__ is not NoBar:
            now = time.perf_counter()
            if now - t_bar > 0.1 or b + 1 == r.n_batches:
                t_bar = now
                r.bar.update(b + 1, value, st["count"] / max(st["epoch_time"] + now - r.t0, 1e-9))
        if interrupt.flag:
            st["epoch_time"] += time.perf_counter() - r.t0
            r.history.status = "interrupted"
            if r.checkpoint is not None:
                _save(r)
            interrupted(r.history, epoch, checkpoint_note(r.checkpoint, r.checkpoint is not None))
            return False
        if r.checkpoint_every is not None and st["step"] % r.checkpoint_every == 0 and b + 1 < r.n_batches:
            st["epoch_time"] += time.perf_counter() - r.t0
            r.t0 = time.perf_counter()
            _save(r)
    return True


def _step(r: _Run, b: int, epoch: int) -> float | None:
    """Batch ``b``: forward and loss, metrics, the update, the record; None (and the status
    "diverged") where the loss is not finite, before the update."""
    st = r.st
    lo = b * r.size
    hi = min(lo + r.size, r.n)
    if r.perm is None:
        Xb, yb = r.X[lo:hi], r.y[lo:hi]
    else:
        idx = r.perm[lo:hi]
        Xb, yb = r.X[idx], r.y[idx]  # a gather of batch rows; measured faster than take(out=)
    pred, value = forward(r.model, r.loss_fn, Xb, yb)
    if not math.isfinite(value):
        diverged(r.history, value, epoch, checkpoint_note(r.checkpoint, False))
        return None
    sums = st["metric_sums"]
    for name, fn in r.metric_fns:
        sums[name] += float(fn(pred, yb)) * (hi - lo)
    apply_update(r.model, r.loss_fn, r.opt)
    record(r.history, r.opt, value)
    st["step"] += 1
    st["batch"] = b + 1
    st["loss_sum"] += value * (hi - lo)
    st["count"] += hi - lo
    return value


def _end_epoch(r: _Run, epoch: int) -> None:
    """Evaluate and record the epoch, then stop where a parameter is not finite; else feed the
    schedule, call the callbacks, complete the run at the last epoch, save the checkpoint."""
    st, history = r.st, r.history
    st["epoch_time"] += time.perf_counter() - r.t0
    logs = _epoch_logs(r, epoch)
    st.update(epoch=epoch, in_epoch=False, batch=0)
    history.epoch = epoch
    history._append_epoch(logs)
    if not all(np.isfinite(p).all() for p in r.model.params.values()):
        history.status = "diverged"
        history.message = message("diverged_params", epoch=epoch, step=st["step"],
                                  ckpt=checkpoint_note(r.checkpoint, False))
        return
    sched = getattr(r.opt, "lr", None)
    if callable(getattr(sched, "observe", None)):  # ReduceOnPlateau: fed once per epoch
        sched.observe(logs["val_loss"] if "val_loss" in logs else logs["loss"])
    _call_callbacks(r, epoch, logs)
    _record_callbacks(r)
    if history.status == "running" and epoch >= r.epochs:
        history.status = "completed"
        history.message = message("completed", epochs=epoch, steps=st["step"])
    history.wall_time += time.perf_counter() - r.t_start
    r.t_start = time.perf_counter()
    if r.checkpoint is not None:
        _save(r)


def _epoch_logs(r: _Run, epoch: int) -> dict:
    """The epoch's numbers: mean loss and metrics over its batches, validation, lr, time."""
    st = r.st
    logs = {"epoch": epoch, "loss": st["loss_sum"] / max(st["count"], 1)}
    for name, _ in r.metric_fns:
        logs[name] = st["metric_sums"][name] / max(st["count"], 1)
    if r.validation is not None:
        val = evaluate_arrays(r.model, *r.validation, r.loss_fn, r.metric_fns)
        logs.update({f"val_{k}": v for k, v in val.items()})
    logs["lr"] = last_lr(r.opt)
    logs["time"] = st["epoch_time"]
    logs["samples_per_s"] = st["count"] / max(st["epoch_time"], 1e-12)
    return logs


def _record_callbacks(r: _Run) -> None:
    """What the callbacks measured at this epoch (:meth:`Callback.epoch_records`, e.g. the sharpness) joins
    the History's per-epoch lists; a key first seen late is padded with nan, so every list keeps one entry
    per epoch."""
    epochs = r.history.epochs
    n = len(epochs["epoch"])
    for cb in r.cbs:
        for key, value in cb.epoch_records().items():
            column = epochs.setdefault(key, [])
            column.extend([math.nan] * (n - 1 - len(column)))
            column.append(float(value))


def _call_callbacks(r: _Run, epoch: int, logs: dict) -> None:
    """Each callback in turn; the first that returns False stops the run (EarlyStopping: its message)."""
    history = r.history
    cb_logs = {k: v for k, v in logs.items() if k not in ("epoch",) + History.TIMING_KEYS}
    for cb in r.cbs:
        if cb.on_epoch_end(epoch, cb_logs, r.model) is False:
            if isinstance(cb, EarlyStopping):
                history.status = "stopped_early"
                history.best_epoch = cb.best_epoch
                history.message = cb.stop_message(epoch)
            else:
                history.status = "stopped_by_callback"
                history.message = message("stopped_by_callback", name=getattr(cb, "name", repr(cb)), epoch=epoch)
            return
        if isinstance(cb, EarlyStopping):
            history.best_epoch = cb.best_epoch
