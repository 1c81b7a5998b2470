"""Losses: ``forward(pred, target) -> float`` and ``backward() -> dL/dpred``, side by side.

All three reduce by the mean (``reduction="sum"`` on request), like torch's defaults::

    MSELoss            L = mean((p - t)^2)                            dL/dp = 2 (p - t) / size
    CrossEntropyLoss   L = -(1/N) sum_n sum_c t_nc log softmax(z)_nc  dL/dz = (softmax(z) sum_c t - t) / N
    BCEWithLogitsLoss  L = mean(max(z, 0) - z t + log(1 + e^-|z|))   dL/dz = (sigmoid(z) - t) / size

Beside each ``backward``, ``r_backward(R{p})`` is the R-operator of the gradient: the Hessian of the
loss in the prediction times ``R{p}`` (the derivative of the output along a parameter direction),
which starts the second-order pass of :mod:`descend.curvature`::

    MSELoss            R{dL/dp} = 2 R{p} / size
    CrossEntropyLoss   R{dL/dz} = (s * R{z} - s (s . R{z})) sum_c t / N,   s = softmax(z)
    BCEWithLogitsLoss  R{dL/dz} = sigmoid(z) (1 - sigmoid(z)) R{z} / size

Targets of CrossEntropyLoss are read by dtype and shape, never guessed from sizes:
an **integer** array of shape ``(N,)`` holds class labels; a **float** array of the
logits' shape ``(N, C)`` holds one-hot (or soft) target distributions.  Anything
else is refused with a message saying which to pass.

For MSELoss and BCEWithLogitsLoss a prediction of shape ``(N, 1)`` with a target
of shape ``(N,)`` is accepted (the target is read as a column); other shapes must
match exactly, so broadcasting (N, 1) against (N,) into an (N, N) matrix cannot happen.
"""

from __future__ import annotations

import numpy as np

from ..errors import DescendError, check_choice, unknown_name
from ..numerics import log_softmax, shift_by_max, sigmoid

__all__ = ["Loss", "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "get", "names"]


class Loss:
    """Base class.  ``reduction`` is "mean" (default) or "sum"."""

    def __init__(self, reduction: str = "mean"):
        self.reduction = check_choice("reduction", reduction, ("mean", "sum"))
        self._cache = None

    def forward(self, pred, target) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    __call__ = forward

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def r_backward(self, r_pred) -> np.ndarray:
        """``R{dL/dpred}``: the loss's Hessian in the prediction times ``r_pred`` (after forward)."""
        raise NotImplementedError(f"{type(self).__name__} has no R-operator")

    @classmethod
    def has_r_operator(cls) -> bool:
        """Whether the class defines :meth:`r_backward` (else: finite differences)."""
        return cls.r_backward is not Loss.r_backward

    def _need_forward(self):
        if self._cache is None:
            raise DescendError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def _reduce(self, elementwise: np.ndarray, count: int) -> float:
        total = float(np.sum(elementwise, dtype=np.float64))
        return total / count if self.reduction == "mean" else total

    def config(self) -> dict:
        return {"type": type(self).__name__, "reduction": self.reduction}

    def __repr__(self):
        return f"{type(self).__name__}()" if self.reduction == "mean" else \
            f"{type(self).__name__}(reduction={self.reduction!r})"


def _pred(name: str, pred) -> np.ndarray:
    pred = np.asarray(pred)
    if pred.dtype.kind != "f":
        raise DescendError(f"{name}: pred must be a float array, got dtype {pred.dtype}")
    if pred.ndim == 0:
        raise DescendError(f"{name}: pred must have a batch axis, got a scalar")
    return pred


def _match_target(name: str, pred: np.ndarray, target) -> np.ndarray:
    """Target with the prediction's shape and dtype; (N,) is accepted for a (N, 1) prediction."""
    target = np.asarray(target)
    if target.dtype.kind not in "biuf":
        raise DescendError(f"{name}: target must hold numbers, got dtype {target.dtype}")
    if target.shape != pred.shape:
        if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == (pred.shape[0],):
            target = target.reshape(-1, 1)
        else:
            raise DescendError(f"{name}: target shape {target.shape} must equal pred shape {pred.shape} "
                               f"(or be (N,) for pred (N, 1))")
    return target.astype(pred.dtype, copy=False)


class MSELoss(Loss):
    """Mean squared error ``mean((pred - target)^2)`` over every element.

    Note: the seeds' ``mean_squared_error`` is half of this (``0.5 * mean``), so its
    gradient is half as large; the same learning rate takes twice the step here.
    """

    def forward(self, pred, target) -> float:
        pred = _pred("MSELoss", pred)
        diff = pred - _match_target("MSELoss", pred, target)
        self._cache = diff
        return self._reduce(diff * diff, diff.size)

    def backward(self) -> np.ndarray:
        diff = self._need_forward()
        scale = 2.0 / diff.size if self.reduction == "mean" else 2.0
        return diff * diff.dtype.type(scale)

    def r_backward(self, r_pred) -> np.ndarray:
        diff = self._need_forward()
        scale = 2.0 / diff.size if self.reduction == "mean" else 2.0
        return np.reshape(r_pred, diff.shape) * diff.dtype.type(scale)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy from logits ``z`` of shape ``(N, C)``, computed through log-softmax.

    Parameters
    ----------
    reduction : {"mean", "sum"}

    Notes
    -----
    ``target`` is an integer array of shape ``(N,)`` with labels in ``[0, C)``, or a
    float array of shape ``(N, C)`` with one-hot / probability rows.  Which one is
    decided by dtype and shape alone.  ``log_softmax`` subtracts the row maximum, so
    logits of any size give a finite loss (never ``log(0)``).
    """

    def forward(self, logits, target) -> float:
        z = _pred("CrossEntropyLoss", logits)
        if z.ndim != 2:
            raise DescendError(f"CrossEntropyLoss: logits must have shape (N, C), got {z.shape}")
        n, c = z.shape
        if c < 2:
            raise DescendError("CrossEntropyLoss needs at least 2 classes (logits of shape (N, C>=2)), "
                               f"got shape {z.shape}; for one logit per sample use BCEWithLogitsLoss")
        t = np.asarray(target)
        if t.dtype.kind in "iu" and t.shape == (n,):
            # one comparison finds labels < 0 (they wrap to huge unsigned values) and >= C
            if t.size and (t.astype(np.uint64, copy=False) >= c).any():
                bad = t[(t < 0) | (t >= c)][0]
                raise DescendError(f"CrossEntropyLoss: class labels must be in [0, {c}), got {bad}")
            # -log softmax(z)_y = log sum_c exp(z_c - m) - (z_y - m), with m the row maximum:
            # every exponent <= 0 (no overflow) and the sum >= 1 (a finite log)
            shifted, _ = shift_by_max(z, axis=1)
            e = np.exp(shifted)
            total = np.add.reduce(e, axis=1, keepdims=True)
            rows = _rows(n)
            picked = shifted[rows, t]
            self._cache = (e, total, t, None)
            value = float(np.add.reduce(np.log(total), axis=None, dtype=np.float64)) \
                - float(np.add.reduce(picked, dtype=np.float64))
            return value / n if self.reduction == "mean" else value
        logp = log_softmax(z, axis=1)  # (z - max) - log(sum exp(z - max)): finite for any logits
        if t.dtype.kind == "f" and t.shape == z.shape:
            t = t.astype(z.dtype, copy=False)
            self._cache = (np.exp(logp), None, None, t)
            return -self._reduce(t * logp, n)
        if t.shape == (n,):
            raise DescendError(f"CrossEntropyLoss: a target of shape (N,) must hold integer class labels, "
                               f"got dtype {t.dtype}; pass y.astype(int), or one-hot floats of shape {z.shape}")
        if t.shape == z.shape:
            raise DescendError(f"CrossEntropyLoss: a target of the logits' shape {z.shape} must hold floats "
                               f"(one-hot or probabilities), got dtype {t.dtype}")
        raise DescendError(f"CrossEntropyLoss: target must be integer labels of shape ({n},) or float "
                           f"one-hot rows of shape {z.shape}, got shape {t.shape} dtype {t.dtype}")

    def backward(self) -> np.ndarray:
        e, total, labels, t = self._need_forward()
        n = e.shape[0]
        if labels is not None:
            grad = e / total                                    # softmax(z)
            grad[_rows(n), labels] -= 1                         # softmax(z) - onehot(y)
        else:
            grad = e * t.sum(axis=1, keepdims=True)             # softmax(z) * sum_c t_c - t
            grad -= t
        if self.reduction == "mean":
            grad *= grad.dtype.type(1.0 / n)
        return grad

    def r_backward(self, r_logits) -> np.ndarray:
        e, total, labels, t = self._need_forward()
        n = e.shape[0]
        s = e / total if labels is not None else e               # softmax(z)
        s_rz = s * r_logits
        r_grad = s_rz - s * s_rz.sum(axis=1, keepdims=True)      # (diag(s) - s s^T) R{z}, row by row
        if labels is None:
            r_grad *= t.sum(axis=1, keepdims=True)               # times sum_c t (1 for one-hot rows)
        if self.reduction == "mean":
            r_grad *= r_grad.dtype.type(1.0 / n)
        return r_grad


_ROWS = {}


def _rows(n: int) -> np.ndarray:
    """``np.arange(n)``, kept: every batch of a training run has the same size."""
    r = _ROWS.get(n)
    if r is None:
        if len(_ROWS) > 8:
            _ROWS.clear()
        r = _ROWS[n] = np.arange(n)
        r.flags.writeable = False
    return r


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy from logits ``z``, targets ``t`` in [0, 1].

    Computed as ``max(z, 0) - z t + log(1 + exp(-|z|))``, which equals
    ``-t log sigmoid(z) - (1 - t) log(1 - sigmoid(z))`` and never overflows.
    """

    def forward(self, logits, target) -> float:
        z = _pred("BCEWithLogitsLoss", logits)
        t = _match_target("BCEWithLogitsLoss", z, target)
        if t.size and (t.min() < 0 or t.max() > 1):
            raise DescendError(f"BCEWithLogitsLoss: targets must be in [0, 1], got values in "
                               f"[{t.min()}, {t.max()}]")
        self._cache = (z, t)
        # exp(-|z|) <= 1 cannot overflow; log1p keeps precision when it is tiny
        elementwise = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        return self._reduce(elementwise, z.size)

    def backward(self) -> np.ndarray:
        z, t = self._need_forward()
        grad = sigmoid(z) - t
        if self.reduction == "mean":
            grad *= grad.dtype.type(1.0 / z.size)
        return grad

    def r_backward(self, r_logits) -> np.ndarray:
        z, _ = self._need_forward()
        s = sigmoid(z)
        r_grad = s * (1 - s) * np.reshape(r_logits, z.shape)
        if self.reduction == "mean":
            r_grad *= r_grad.dtype.type(1.0 / z.size)
        return r_grad


_LOSSES = {"mse": MSELoss, "cross_entropy": CrossEntropyLoss, "bce_with_logits": BCEWithLogitsLoss}
_BY_CLASS = {cls.__name__: cls for cls in _LOSSES.values()}


def names() -> list[str]:
    """Names accepted by :func:`get`."""
    return list(_LOSSES)


def get(name, **kwargs) -> Loss:
    """A loss by name ("mse", "cross_entropy", "bce_with_logits" or the class name); a Loss passes through."""
    if isinstance(name, Loss):
        return name
    if isinstance(name, str) and name in _BY_CLASS:
        return _BY_CLASS[name](**kwargs)
    if not isinstance(name, str) or name not in _LOSSES:
        raise DescendError(unknown_name("loss", name, _LOSSES))
    return _LOSSES[name](**kwargs)
