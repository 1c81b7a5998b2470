"""Lion, the sign-momentum optimizer found by program search."""

from __future__ import annotations

import numpy as np

from .base import Optimizer, state_type
from .hyperparameters import betas, learning_rate, nonnegative

__all__ = ["Lion", "lion"]


def lion(p, g, m, lr, beta1, beta2):
    """Lion: step along the sign of an interpolation of momentum and gradient."""
    c = beta1 * m + (1 - beta1) * g
    p = p - lr * np.sign(c)
    m = beta2 * m + (1 - beta2) * g
    return p, m


class Lion(Optimizer):
    r"""Lion, EvoLved Sign Momentum (not in torch.optim).

    .. math::

        c &= \beta_1 m + (1 - \beta_1)\, g \\
        p &\leftarrow p - \mathrm{lr}\,(\operatorname{sign}(c) + \lambda p) \\
        m &\leftarrow \beta_2 m + (1 - \beta_2)\, g

    The weight decay :math:`\lambda` is decoupled by default (the paper's form,
    applied as ``p * (1 - lr*weight_decay)`` before the sign step, as AdamW).  Use a
    learning rate 3-10x smaller than AdamW's.  State: ``exp_avg`` (m).  The numbers are
    optax's ``optax.lion`` (its reference implementation; tests/test_optim_references.py).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-4
    betas : (float, float), each in [0, 1), default (0.9, 0.99)
    weight_decay : float >= 0, default 0
    decoupled_weight_decay : bool, default True
    clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Chen, X., Liang, C., Huang, D., Real, E., et al. (2023). Symbolic discovery of
    optimization algorithms. NeurIPS, Algorithm 2.
    """

    name = "lion"
    rule = staticmethod(lion)
    hyperparameters = {
        "lr": (1e-4, learning_rate),
        "betas": ((0.9, 0.99), betas),
        "weight_decay": (0.0, nonnegative),
    }
    _default_decoupled = True
    State = state_type("LionState", ("exp_avg",), "State of Lion: step count and the momentum m.")

    def _scalars(self, hp, t, lr, sstate):
        b1, b2 = hp["betas"]
        return {"lr": lr, "beta1": b1, "beta2": b2}, {}
