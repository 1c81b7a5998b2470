"""Hessian-vector products of a network's loss: the R-operator, with finite differences as the fallback.

For the loss ``L(theta) = loss(model(X; theta), y)`` of a :class:`descend.nn.Sequential`, the
product ``H v`` with the Hessian ``H = d^2 L / d theta^2`` is the derivative of the gradient
along ``v``, ``R{grad L} = d/dr grad L(theta + r v) at r = 0``.  Pearlmutter's R-operator
computes it exactly with one more pass forward and back beside the usual two (each layer's and
loss's ``r_forward`` / ``r_backward`` in :mod:`descend.nn`): about twice the products of one
gradient, never a Hessian in memory.  A model with a layer (or a loss) of your own without them
is differentiated by central differences of the gradient (:func:`descend.diff.hessian_vector_product`),
and the result says so.

:class:`HessianOperator` does the forward and backward pass once, at the model's parameters, and
then each product costs the two R-passes alone, on flat vectors (what Lanczos and Hutchinson
want); :func:`hvp` is one product, in the form ``v`` was given.

Reference: B. A. Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation 6 (1994).
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass

import numpy as np

from ..errors import DescendError
from ..nn.losses import Loss
from ..nn.losses import get as get_loss
from ..nn.model import Sequential

__all__ = ["HessianOperator", "HVPResult", "hvp", "fixed_batch", "METHODS"]

#: how a product is computed: exactly, or by differences of gradients where a layer has no R-operator
METHODS = ("r-operator", "finite-difference")


def fixed_batch(X, y, batch, seed=0):
    """All of ``(X, y)`` (``batch=None``) or a fixed random subset of ``batch`` rows drawn with ``seed``.

    Raises DescendError for an empty ``X``, a ``batch`` that is not an integer >= 1 or a
    ``y`` with another number of rows.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise DescendError(f"X must be a 2-D batch of shape (N, features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise DescendError(f"X must hold at least one sample, got an empty batch of shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise DescendError(f"X must hold real numbers, got dtype {X.dtype}")
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise DescendError(f"y must have one row per sample of X ({len(X)}), got shape {y.shape}")
    if batch is None:
        return X, y
    if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or batch < 1:
        raise DescendError(f"batch must be None (every sample) or an integer >= 1, got {batch!r}")
    if batch >= len(X):
        return X, y
    idx = np.sort(np.random.default_rng(seed).choice(len(X), size=int(batch), replace=False))
    return X[idx], y[idx]


def _missing_r_operator(model: Sequential, loss: Loss) -> str:
    """'' when every layer and the loss have their R-operator, else the sentence that says which do not."""
    names = [f"layer {i} ({type(layer).__name__})" for i, layer in enumerate(model.layers)
             if not layer.has_r_operator()]
    if not loss.has_r_operator():
        names.append(f"the loss {type(loss).__name__}")
    if not names:
        return ""
    return (f"{', '.join(names)} has no R-operator (r_forward/r_backward): Hessian-vector products by "
            f"central differences of the gradient (descend.diff.hessian_vector_product) instead, "
            f"accurate to about 1e-8 relative in float64, not exact")


class HessianOperator:
    """The Hessian of ``loss(model(X), y)`` in the model's parameters, as a linear operator.

    Parameters
    ----------
    model : descend.nn.Sequential
        Read, never changed: the operator works on a copy in ``dtype`` and in evaluation
        mode (Dropout off), at the parameters the model has now.
    loss : descend.nn.Loss or str
    X, y : array_like
        The data; ``batch`` rows of them when ``batch`` is given.
    batch : None or int
        None: every sample (the full-batch loss); an int: a fixed random subset of that
        many samples, drawn with ``seed`` (PyHessian's "fixed batch").
    seed : int
    dtype : float64 (default) or float32

    Attributes
    ----------
    n : int
        The number of parameters (the size of the flat vectors).
    names, shapes : lists
        The parameters' names and shapes, in the order of the flat vectors (``model.params``').
    value : float
        The loss at the parameters.
    grad : ndarray (n,)
        Its gradient, flat.
    method, message : str
        ``"r-operator"`` (exact) or ``"finite-difference"``, with the sentence that says why.
    nhvp : int
        Products computed so far.
    """

    def __init__(self, model, loss, X, y, *, batch=None, seed=0, dtype=np.float64):
        if not isinstance(model, Sequential):
            raise DescendError(f"model must be a descend.nn.Sequential, got {type(model).__name__}")
        self.loss_fn = copy.deepcopy(get_loss(loss))  # its cache is ours: the caller's loss is not touched
        for name, p in model.params.items():
            if not np.isfinite(p).all():
                raise DescendError(f"parameter {name!r} holds non-finite values (nan or inf); the curvature "
                                   f"is defined at finite weights only")
        X, y = fixed_batch(X, y, batch, seed)
        self.model = model.astype(dtype).eval()  # our own copy: its caches and parameters are ours
        self.X = X.astype(self.model.dtype, copy=False)
        self.y = y.astype(self.model.dtype, copy=False) if y.dtype.kind == "f" else y
        self.names = list(self.model.params)
        self.shapes = [self.model.params[k].shape for k in self.names]
        self._sizes = [int(np.prod(s)) for s in self.shapes]
        self._offsets = np.cumsum([0] + self._sizes)
        self.n = int(self._offsets[-1])
        if self.n == 0:
            raise DescendError("the model has no parameters: there is no Hessian to take")
        self.theta = self.flatten(self.model.params)
        self.message = _missing_r_operator(self.model, self.loss_fn)
        self.method = "finite-difference" if self.message else "r-operator"
        self.nhvp = 0
        with np.errstate(all="ignore"):  # an overflow is found below, as a non-finite loss
            self.value = self.loss_fn.forward(self.model.forward(self.X), self.y)
            self.grad = self.flatten(self.model.backward(self.loss_fn.backward(), keep=True))
        if not (np.isfinite(self.value) and np.isfinite(self.grad).all()):
            raise DescendError(f"the loss ({self.value}) or its gradient is not finite at these weights; "
                               f"the curvature is defined where both are")

    # -- flat vectors and parameter dicts -----------------------------------------------
    def flatten(self, params: dict) -> np.ndarray:
        """One flat vector from a dict with the parameters' names and shapes."""
        missing = sorted(set(self.names) - set(params))
        if missing:
            raise DescendError(f"a direction must have every parameter's name; missing {missing}")
        return np.concatenate([np.asarray(params[k], dtype=self.model.dtype).reshape(-1) for k in self.names])

    def unflatten(self, v) -> dict:
        """The dict ``name -> array of the parameter's shape`` of a flat vector (views, no copy)."""
        v = self._check_vector(v)
        return {k: v[a:b].reshape(s) for k, a, b, s in zip(self.names, self._offsets[:-1], self._offsets[1:],
                                                             self.shapes)}

    def _check_vector(self, v) -> np.ndarray:
        v = np.asarray(v)
        if v.shape != (self.n,):
            raise DescendError(f"v must be a flat vector of the {self.n} parameters, got shape {v.shape}")
        if v.dtype.kind not in "biuf" or not np.isfinite(v).all():
            raise DescendError("v must hold finite real numbers")
        return v.astype(self.model.dtype, copy=False)

    # -- the product ---------------------------------------------------------------------
    def matvec(self, v) -> np.ndarray:
        """``H v`` for a flat vector ``v`` of length :attr:`n`."""
        v = self._check_vector(v)
        self.nhvp += 1
        if self.method == "finite-difference":
            return self._finite_difference(v)
        V = self.unflatten(v)
        r_grads = self.model.r_backward(self.loss_fn.r_backward(self.model.r_forward(V)), V)
        return self.flatten(r_grads)

    __call__ = matvec

    def _gradient_at(self, theta) -> np.ndarray:
        self.model.load_params(self.unflatten(theta))
        self.loss_fn.forward(self.model.forward(self.X), self.y)
        return self.flatten(self.model.backward(self.loss_fn.backward()))

    def _finite_difference(self, v) -> np.ndarray:
        from ..diff import hessian_vector_product

        try:
            return hessian_vector_product(self._gradient_at, self.theta, v, method="central")
        finally:
            self.model.load_params(self.unflatten(self.theta))

    def __repr__(self):
        return (f"HessianOperator(n={self.n}, samples={len(self.X)}, method={self.method!r}, "
                f"dtype={self.model.dtype.name})")


@dataclass
class HVPResult:
    """One Hessian-vector product: ``value`` (in the form ``v`` was given: a dict or a flat vector),
    ``method`` (``"r-operator"`` or ``"finite-difference"``) and ``message`` (why, for the fallback)."""

    value: object
    method: str
    message: str


def hvp(model, loss, X, y, v, *, dtype=np.float64) -> HVPResult:
    """The Hessian of ``loss(model(X), y)`` in the parameters, times ``v``.

    Parameters
    ----------
    model : descend.nn.Sequential
        Not changed (a copy in ``dtype``, evaluation mode, does the work).
    loss : descend.nn.Loss or str
    X, y : array_like
        A non-empty batch.
    v : dict or ndarray
        A direction: ``name -> array`` with the keys and shapes of ``model.params``, or one
        flat vector of ``model.n_params`` numbers in their order.
    dtype : float64 (default) or float32

    Returns
    -------
    HVPResult
        ``value`` in the form of ``v``; ``method`` and ``message`` say whether it is exact.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import nn
    >>> model = nn.mlp([2, 3, 1], activation="tanh", rng=0)
    >>> X, y = np.ones((4, 2)), np.zeros(4)
    >>> out = hvp(model, "mse", X, y, np.ones(model.n_params))
    >>> out.method, out.value.shape
    ('r-operator', (13,))
    """
    op = HessianOperator(model, loss, X, y, dtype=dtype)
    if isinstance(v, dict):
        return HVPResult(op.unflatten(op.matvec(op.flatten(v))), op.method, op.message)
    return HVPResult(op.matvec(v), op.method, op.message)
