"""Online learning: :func:`partial_fit` (one update from the data just received) and :func:`train_online`
(one update per item of a stream)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import numpy as np

from ..errors import DescendError
from ..nn.losses import get as get_loss
from .arguments import check_model, check_xy, positive_int_or_none, resolve_optimizer
from .history import History, message
from .progress import Interrupt
from .update import apply_update, diverged, forward, interrupted, record, training_mode


def _start(model, optimizer, loss, needs: str):
    """The model, the optimizer (an instance: its state carries over between calls) and the loss."""
    model = check_model(model)
    if isinstance(optimizer, str):
        raise DescendError(f"{needs}, got {optimizer!r}; create one with descend.optim.get({optimizer!r}, lr=...)")
    return model, resolve_optimizer(optimizer, None), get_loss(loss)


def _as_batch(model, x, y):
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim == 1:  # one sample as it arrives
        x = x.reshape(1, -1)
        y = y.reshape(1, *y.shape)
    return check_xy(model, x, y)


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
    model, opt, loss_fn = _start(model, optimizer, loss,
                                 "partial_fit needs an optimizer instance that keeps its state between calls")
    X, Y = _as_batch(model, x, y)
    with training_mode(model), np.errstate(all="ignore"):  # a non-finite loss is reported below, not warned about
        _, value = forward(model, loss_fn, X, Y)
        if not math.isfinite(value):
            raise DescendError(f"loss is {value} on this data: the update was not applied; try a smaller "
                               f"learning rate")
        apply_update(model, loss_fn, opt)
    return value


def train_online(model, stream: Iterable, *, loss, optimizer, max_steps=None, progress: bool = False) -> History:
    """Update ``model`` once per item of ``stream`` (pairs ``(x, y)``: one sample or a batch).

    Returns a History with the loss and learning rate of every update (and no
    per-epoch records).  Ends with status "completed" when the stream is exhausted
    or after ``max_steps`` updates; "diverged" (stopping before the bad update) if
    a loss is not finite; "interrupted" on Ctrl-C.
    """
    model, opt, loss_fn = _start(model, optimizer, loss, "train_online needs an optimizer instance")
    max_steps = positive_int_or_none("max_steps", max_steps)
    if isinstance(stream, (str, bytes, dict)) or not isinstance(stream, Iterable):
        raise DescendError(f"stream must be an iterable of (x, y) pairs (a list, a generator, a data "
                           f"loader), got {type(stream).__name__}")
    history = History()
    t0 = time.perf_counter()
    with training_mode(model), Interrupt() as interrupt, np.errstate(all="ignore"):
        for item in stream:
            try:
                x, y = item
            except (TypeError, ValueError):
                raise DescendError(f"stream items must be pairs (x, y), got {item!r:.60}") from None
            X, Y = _as_batch(model, x, y)
            _, value = forward(model, loss_fn, X, Y)
            if not math.isfinite(value):
                diverged(history, value, epoch=1)
                break
            apply_update(model, loss_fn, opt)
            record(history, opt, value)
            if interrupt.flag:
                interrupted(history, epoch=1)
                break
            if max_steps is not None and history.step >= max_steps:
                history.status, history.message = "completed", message("max_steps", steps=history.step)
                break
        else:
            history.status, history.message = "completed", message("stream_ended", steps=history.step)
        if history.status == "running":  # pragma: no cover - every exit above sets it
            history.status = "completed"
    history.wall_time = time.perf_counter() - t0
    return history
