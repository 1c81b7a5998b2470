"""One update, the phases :func:`~descend.training.train`, :func:`~descend.training.partial_fit` and
:func:`~descend.training.train_online` share: the model in training mode, forward and loss, the update,
the record, and the two ways a run stops inside an epoch (a non-finite loss, Ctrl-C)."""

from __future__ import annotations

from contextlib import contextmanager

from .arguments import last_lr
from .history import History, message


@contextmanager
def training_mode(model):
    """``model.train()`` for the block (Dropout on), then the mode the model had before."""
    was_training = model.training
    model.train()
    try:
        yield
    finally:
        model.train(was_training)


def forward(model, loss_fn, X, Y):
    """The model's prediction on ``X`` and the loss against ``Y`` (the cache for the update kept)."""
    pred = model.forward(X)
    return pred, loss_fn.forward(pred, Y)


def apply_update(model, loss_fn, opt) -> None:
    """Backward from the last :func:`forward` and one optimizer step on the model's parameters."""
    opt.step(model.params, model.backward(loss_fn.backward()))


def record(history: History, opt, value: float) -> None:
    """An update applied: its loss (before the update) and learning rate, one more step."""
    history.lr.append(last_lr(opt))
    history.loss.append(value)
    history.step += 1


def diverged(history: History, value: float, epoch: int, ckpt: str = "") -> None:
    """The loss of the next update is ``value`` (not finite): stop before applying it."""
    history.status = "diverged"
    history.message = message("diverged", value=value, epoch=epoch, step=history.step + 1, last=history.step,
                              ckpt=ckpt)


def interrupted(history: History, epoch: int, ckpt: str = "") -> None:
    """Ctrl-C: stop after the update in progress."""
    history.status = "interrupted"
    history.message = message("interrupted", epoch=epoch, step=history.step, ckpt=ckpt)
