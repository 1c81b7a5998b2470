"""LAMB: Adam's direction, scaled per layer by the trust ratio ||w|| / ||update||."""

from __future__ import annotations

import numpy as np

from .base import state_type
from .hyperparameters import betas, elementwise, flag, learning_rate, nonnegative, positive
from .tensorwise import TensorOptimizer

__all__ = ["LAMB", "lamb"]


def _norm(x):
    x = x.ravel()
    return float(np.sqrt(np.dot(x, x)))


def lamb(p, g, m, v, lr, step_size, beta1, beta2, beta3, eps, clamp, adam, decoupled, weight_decay):
    """LAMB for one layer (pytorch-optimizer's form): Adam's direction u, then the layer
    moves by step_size * min(||p||, clamp) / ||u|| along it."""
    m = m * beta1 + beta3 * g
    v = v * beta2 + (1 - beta2) * g * g
    if decoupled and weight_decay != 0:
        p = p * (1 - weight_decay * lr)
    u = m / (np.sqrt(v) + eps)
    if not decoupled and weight_decay > 0:
        u = u + weight_decay * p
    w_norm, u_norm = min(_norm(p), clamp), _norm(u)
    trust = 1.0 if adam or w_norm == 0 or u_norm == 0 else w_norm / (u_norm + eps)
    p = p + (-step_size * trust) * u
    return p, m, v


class LAMB(TensorOptimizer):
    r"""LAMB, Layer-wise Adaptive Moments for Batch training.

    For each parameter array (a layer) :math:`w`:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2 \\
        u &= m / (\sqrt v + \epsilon) \;(+\, \lambda w \text{ when the decay is coupled}) \\
        w &\leftarrow w - \frac{\mathrm{lr}}{1 - \beta_1^t}\,
            \frac{\min(\|w\|, \text{clamp})}{\|u\| + \epsilon}\, u

    (the trust ratio is 1 when either norm is 0, or with ``adam=True``).  The numbers
    are pytorch-optimizer's ``Lamb`` (which the tests match): only :math:`m` is
    bias-corrected, decoupled weight decay :math:`w \leftarrow w(1 - \mathrm{lr}\lambda)`
    comes before the norms, ``grad_averaging=False`` adds :math:`g` to :math:`m`
    undamped.  With ``runs=R`` the norms are per run.  State: ``exp_avg``,
    ``exp_avg_sq``.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float > 0, default 1e-6
    weight_decay : float >= 0, default 0
        Decoupled (``decoupled_weight_decay=True``, the default: pytorch-optimizer's
        ``weight_decouple``) or added to the update :math:`u`.
    grad_averaging : bool, default True
    clamp : float > 0, default 10.0
        The ceiling of :math:`\|w\|` in the trust ratio.
    adam : bool, default False
        Trust ratio 1: Adam with LAMB's moments.
    clip_value, clip_norm, nonfinite, maximize, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    You, Y., Li, J., Reddi, S., Hseu, J., Kumar, S., Bhojanapalli, S., Song, X.,
    Demmel, J., Keutzer, K., Hsieh, C.-J. (2020). Large batch optimization for deep
    learning: training BERT in 76 minutes. ICLR.
    """

    name = "lamb"
    rule = staticmethod(lamb)
    hyperparameters = {
        "lr": (1e-3, learning_rate),
        "betas": ((0.9, 0.999), betas),
        "eps": (1e-6, positive),
        "weight_decay": (0.0, nonnegative),
        "grad_averaging": (True, flag),
        "clamp": (10.0, positive),
        "adam": (False, flag),
    }
    _default_decoupled = True
    _decay_in_rule = "all"
    State = state_type("LAMBState", ("exp_avg", "exp_avg_sq"), "State of LAMB: step count, m and v.")

    def _leaf_scalars(self, dtype, scalars):
        return {**scalars, "decoupled": self._hp["decoupled_weight_decay"]}

    def _scalars(self, hp, t, lr, sstate):
        b1, b2 = hp["betas"]
        step_size = elementwise(lambda lr, b, t: lr / (1 - b ** t), lr, b1, t)
        beta3 = elementwise(lambda b: 1.0 - b, b1) if hp["grad_averaging"] else 1.0
        return {"lr": lr, "step_size": step_size, "beta1": b1, "beta2": b2, "beta3": beta3, "eps": hp["eps"],
                "clamp": hp["clamp"], "adam": hp["adam"]}, {}
