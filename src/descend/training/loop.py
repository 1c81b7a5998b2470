"""The epoch loop: :func:`train`."""

from __future__ import annotations

import math
import numbers
import os
import time

import numpy as np

from .. import files
from ..errors import DescendError
from ..nn.io import check_savable
from ..nn.losses import get as get_loss
from . import checkpoint as checkpoints  # save_checkpoint looked up when called (a test records the saves)
from .arguments import check_model, check_xy, last_lr, positive_int_or_none, resolve_optimizer
from .callbacks import EarlyStopping, resolve_callbacks
from .checkpoint import restore
from .history import History, checkpoint_note, message
from .metrics import evaluate_arrays, resolve_metrics
from .progress import Interrupt, NoBar, progress_bar


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
    n_batches = n // size if drop_last else -(-n // size)
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise DescendError("validation must be a pair (X_val, y_val)")
        Xv, yv = check_xy(model, validation[0], validation[1], what="_val")
        if Xv.shape[1] != X.shape[1]:
            raise DescendError(f"X_val has {Xv.shape[1]} features, X has {X.shape[1]}")
    metric_fns = resolve_metrics(metrics)
    cbs = resolve_callbacks(callbacks)
    checkpoint_every = positive_int_or_none("checkpoint_every", checkpoint_every)
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
            ck = restore(checkpoint, run, model, opt, cbs, n)
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
    bar = progress_bar(progress, epochs)

    def save():
        checkpoints.save_checkpoint(checkpoint, run=run, model=model, opt=opt, rng=rng,
                                    perm=perm if st["in_epoch"] else None, progress=st, history=history,
                                    callbacks=cbs)

    t_start = time.perf_counter()
    try:
        with Interrupt() as interrupt:
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
                        history.message = message("diverged", value=value, epoch=epoch, step=st["step"] + 1,
                                               last=st["step"], ckpt=checkpoint_note(checkpoint, False))
                        break
                    for name, fn in metric_fns:
                        sums[name] += float(fn(pred, yb)) * (hi - lo)
                    grads = model.backward(loss_fn.backward())
                    opt.step(params, grads)
                    history.lr.append(last_lr(opt))
                    history.loss.append(value)
                    st["step"] += 1
                    st["batch"] = b + 1
                    st["loss_sum"] += value * (hi - lo)
                    st["count"] += hi - lo
                    history.step = st["step"]
                    if bar.__class__ is not NoBar:
                        now = time.perf_counter()
                        if now - t_bar > 0.1 or b + 1 == n_batches:
                            t_bar = now
                            bar.update(b + 1, value, st["count"] / max(st["epoch_time"] + now - t0, 1e-9))
                    if interrupt.flag:
                        st["epoch_time"] += time.perf_counter() - t0
                        history.status = "interrupted"
                        if checkpoint is not None:
                            save()
                        history.message = message("interrupted", epoch=epoch, step=st["step"],
                                               ckpt=checkpoint_note(checkpoint, checkpoint is not None))
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
                    val = evaluate_arrays(model, Xv, yv, loss_fn, metric_fns)
                    logs.update({f"val_{k}": v for k, v in val.items()})
                logs["lr"] = last_lr(opt)
                logs["time"] = st["epoch_time"]
                logs["samples_per_s"] = st["count"] / max(st["epoch_time"], 1e-12)
                st.update(epoch=epoch, in_epoch=False, batch=0)
                history.epoch = epoch
                history._append_epoch(logs)
                if not all(np.isfinite(p).all() for p in params.values()):
                    history.status = "diverged"
                    history.message = message("diverged_params", epoch=epoch, step=st["step"],
                                           ckpt=checkpoint_note(checkpoint, False))
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
                            history.message = message("stopped_by_callback", name=getattr(cb, "name", repr(cb)),
                                                   epoch=epoch)
                        break
                    if isinstance(cb, EarlyStopping):
                        history.best_epoch = cb.best_epoch
                if history.status == "running" and epoch >= epochs:
                    history.status = "completed"
                    history.message = message("completed", epochs=epoch, steps=st["step"])
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
