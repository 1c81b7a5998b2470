"""Metrics (accuracy, or any ``metric(pred, y) -> float``) and :func:`evaluate`: a model's loss and
metrics on data, in evaluation mode."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import DescendError
from ..nn.losses import get as get_loss
from .arguments import check_model, check_xy
from .history import History


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


def resolve_metrics(metrics) -> list[tuple[str, Callable]]:
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


def evaluate_arrays(model, X, y, loss_fn, metrics, chunk: int = 8192) -> dict:
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
    model = check_model(model)
    X, y = check_xy(model, X, y)
    return evaluate_arrays(model, X, y, None if loss is None else get_loss(loss), resolve_metrics(metrics))
