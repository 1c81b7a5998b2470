"""Stability thresholds of optimizers, and Adam's preconditioned sharpness (Cohen et al. 2022).

On the quadratic model of the loss, an update rule is stable while the sharpness (the
Hessian's largest eigenvalue ``lambda_1``) stays below a threshold set by its learning rate::

    gradient descent              lambda_1(H) < 2 / lr
    heavy-ball momentum beta      lambda_1(H) < (2 + 2 beta) / ((1 - tau) lr)   (tau: the dampening, 0 by default)
    Nesterov momentum beta        lambda_1(H) < (2 + 2 beta) / ((1 + 2 beta) lr)
    Adam (beta1)                  lambda_1(P^-1 H) < (2 + 2 beta1) / ((1 - beta1) lr)   (38 / lr at 0.9)

(On one eigendirection of curvature ``lambda`` heavy ball is ``x' = x - lr b'``,
``b' = beta b + (1 - tau) lambda x``: the iteration matrix has the characteristic polynomial
``z^2 - (1 + beta - a) z + beta`` with ``a = (1 - tau) lr lambda``, whose roots lie in the unit
disc while ``0 < a < 2 + 2 beta``; Nesterov's, ``d = g + beta b'``, gives
``z^2 - (1 + beta - a (1 + beta)) z + beta (1 - a)`` with ``a = lr lambda``: ``0 < a < (2 + 2 beta) / (1 + 2 beta)``.)
The SGD family of :mod:`descend.optim` is read by its settings: ``GD`` (``"gd"``) is SGD without
momentum, ``Momentum`` and ``Nesterov`` are SGD with momentum 0.9 (and Nesterov's flag) by default.

Adam's step is ``lr P^-1 m`` with the preconditioner ``P = (1 - beta1^t) (diag(sqrt(v_hat)) + eps)``,
so what it sees is the preconditioned Hessian ``P^-1 H``, whose eigenvalues are those of the
symmetric ``P^-1/2 H P^-1/2``.  Cohen et al. found full-batch Adam drives this "preconditioned
sharpness" up to its threshold and keeps it there, as gradient descent does its sharpness
("edge of stability").  Here ``P`` is built from the optimizer's state after its last step
(the paper's is the one of the next step, whose ``v`` includes one more gradient).

References: J. M. Cohen, S. Kaur, Y. Li, J. Z. Kolter and A. Talwalkar, "Gradient descent on neural
networks typically occurs at the edge of stability", ICLR 2021 (the thresholds, appendix);
J. M. Cohen et al., "Adaptive gradient methods at the edge of stability", arXiv:2207.14484 (2022).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import DescendError
from .eigen import EigenResult, top_eigen
from .hvp import HessianOperator

__all__ = ["stability_threshold", "current_lr", "adam_preconditioner", "preconditioned_sharpness"]

_ADAM = ("Adam", "AdamW")
#: the SGD family by ``optimizer.name`` (gd: no momentum; momentum, nesterov: SGD with other defaults; the
#: book's sgd and heavy-ball momentum, v = mu v - lr g, p += v, the same on a quadratic)
_SGD_FAMILY = ("gd", "sgd", "momentum", "nesterov", "book.sgd", "book.momentum")


def current_lr(optimizer) -> float:
    """The learning rate the optimizer used last (its configured one before any step)."""
    lr = getattr(optimizer, "last_lr", None)
    if lr is None:
        lr = optimizer.config.get("lr")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not np.isfinite(lr) or lr <= 0:
        raise DescendError(f"the optimizer's learning rate must be a number > 0 to set a threshold, got {lr!r}")
    return float(lr)


def stability_threshold(optimizer, lr=None) -> float:
    """The largest stable (preconditioned, for Adam) sharpness of ``optimizer`` at ``lr``.

    ``optimizer``: a GD, SGD, Momentum, Nesterov, Adam or AdamW from :mod:`descend.optim` (or
    the string ``"gd"`` with ``lr``, for plain gradient descent).  See the module docstring for
    the formulas.

    >>> from descend import optim
    >>> stability_threshold(optim.get("gd", lr=0.5)), stability_threshold(optim.get("momentum", lr=0.5))
    (4.0, 7.6)
    """
    if isinstance(optimizer, str) and optimizer == "gd":
        if lr is None:
            raise DescendError("stability_threshold('gd') needs lr=")
        return 2.0 / float(lr)
    name = getattr(optimizer, "name", type(optimizer).__name__)
    sgd = name in _SGD_FAMILY
    if not sgd and name not in ("adam", "adamw"):
        raise DescendError(f"stability thresholds are known for gd, sgd, momentum, nesterov, adam and adamw (and "
                           f"the book's sgd and momentum), got {name}")
    lr = current_lr(optimizer) if lr is None else float(lr)
    cfg = getattr(optimizer, "config", {})
    if not sgd:
        beta1 = float(cfg["betas"][0])
        return (2 + 2 * beta1) / ((1 - beta1) * lr)
    beta = float(cfg.get("momentum", 0.0))
    if beta == 0:  # no momentum buffer: plain gradient descent (the dampening is ignored, as in torch)
        return 2.0 / lr
    if cfg.get("nesterov"):  # needs dampening 0 (checked by the optimizer)
        return (2 + 2 * beta) / ((1 + 2 * beta) * lr)
    damped = 1 - float(cfg.get("dampening", 0.0))
    # dampening 1: the buffer keeps only the first gradient, which decays: stable at any curvature
    return (2 + 2 * beta) / (damped * lr) if damped > 0 else float("inf")


def adam_preconditioner(optimizer, names) -> dict:
    """``P = (1 - beta1^t) (sqrt(v / (1 - beta2^t)) + eps)`` per parameter, from Adam's state."""
    name = type(optimizer).__name__
    if name not in _ADAM:
        raise DescendError(f"the preconditioned sharpness is Adam's (Adam, AdamW), got {name}")
    try:
        state = optimizer.state
    except DescendError:  # no state before the first step
        state = None
    t = int(state.count) if state is not None and np.ndim(state.count) == 0 else None
    if t is None or t < 1:
        raise DescendError("the optimizer has taken no step yet: its preconditioner is not defined "
                           f"(count={None if state is None else state.count!r}); train first")
    missing = sorted(set(names) - set(state.exp_avg_sq))
    if missing:
        raise DescendError(f"the optimizer's state does not hold the model's parameters {missing}; "
                           f"pass the optimizer that trained this model")
    beta1, beta2 = (float(b) for b in optimizer.config["betas"])
    eps = float(optimizer.config["eps"])
    v = state.max_exp_avg_sq if optimizer.config.get("amsgrad") else state.exp_avg_sq
    return {k: (1 - beta1 ** t) * (np.sqrt(np.asarray(v[k], np.float64) / (1 - beta2 ** t)) + eps)
            for k in names}


def preconditioned_sharpness(model, loss, X, y, optimizer, *, tol: float = 1e-4, batch=None,
                             seed=0) -> EigenResult:
    """The largest eigenvalue of ``P^-1 H`` for Adam's preconditioner ``P`` (Cohen et al. 2022).

    Parameters
    ----------
    model, loss, X, y
        As :func:`descend.curvature.eigenvalues`.
    optimizer : descend.optim.Adam or AdamW
        The one training ``model`` (its state holds ``v`` for every parameter; one step at least).
    tol, batch, seed
        As :func:`descend.curvature.eigenvalues`.

    Returns
    -------
    EigenResult
        ``eigenvalues[0]`` is the preconditioned sharpness, to compare with
        :func:`stability_threshold` ``(optimizer)``; the eigenvector is of ``P^-1/2 H P^-1/2``.
    """
    op = HessianOperator(model, loss, X, y, batch=batch, seed=seed)
    d = 1.0 / np.sqrt(op.flatten(adam_preconditioner(optimizer, op.names)))  # P^-1/2

    def matvec(v):
        return d * op.matvec(d * v)  # P^-1/2 H P^-1/2: symmetric, the eigenvalues of P^-1 H

    values, vectors, residuals, converged = top_eigen(matvec, op.n, 1, tol=tol, seed=seed)
    return EigenResult(values, vectors, residuals, converged, op.nhvp, op.method, op.message)
