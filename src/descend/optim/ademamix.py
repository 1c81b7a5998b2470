"""AdEMAMix: Adam with a second, slow momentum mixed into the step."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DescendError
from .base import Optimizer, state_type
from .hyperparameters import elementwise, learning_rate, nonnegative, positive, unit_open

__all__ = ["AdEMAMix", "ademamix"]


def ademamix(p, g, m1, v, m2, lr, beta1, beta2, beta3_t, alpha_t, eps, bc1, bc2_sqrt):
    """AdEMAMix: a fast EMA m1 (bias-corrected) plus alpha times a slow EMA m2, over Adam's denominator."""
    m1 = m1 + (1 - beta1) * (g - m1)
    v = beta2 * v + (1 - beta2) * g * g
    m2 = m2 + (1 - beta3_t) * (g - m2)
    denom = np.sqrt(v) / bc2_sqrt + eps
    p = p - lr * ((m1 / bc1 + alpha_t * m2) / denom)
    return p, m1, v, m2


def _betas3(name, value):
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise DescendError(f"{name} must be a triple (beta1, beta2, beta3) with each in [0, 1), got {value!r}")
    return tuple(unit_open(f"{name}[{i}]", v) for i, v in enumerate(value))


def _optional_steps(name, value):
    return None if value is None else positive(name, value)


def _alpha_at(t_warm, t, alpha):
    """The paper's alpha warmup: linear up to alpha over t_warm steps."""
    return alpha if t_warm is None else min(t * alpha / t_warm, alpha)


def _beta3_at(t_warm, t, beta1, beta3):
    """The paper's beta3 warmup: the half-life grows linearly from beta1's to beta3's."""
    if t_warm is None:
        return beta3
    lb1, lb3 = math.log(beta1), math.log(beta3)
    return min(math.exp(lb1 * lb3 / ((1.0 - t / t_warm) * lb3 + (t / t_warm) * lb1)), beta3)


class AdEMAMix(Optimizer):
    r"""AdEMAMix, a mixture of two exponential moving averages.

    .. math::

        m_1 &\leftarrow \beta_1 m_1 + (1 - \beta_1)\, g, \qquad
        m_2 \leftarrow \beta_3 m_2 + (1 - \beta_3)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2 \\
        p &\leftarrow p - \mathrm{lr}\, \frac{m_1/(1 - \beta_1^t) + \alpha\, m_2}
            {\sqrt{v}/\sqrt{1 - \beta_2^t} + \epsilon}

    The slow EMA :math:`m_2` (:math:`\beta_3` = 0.9999: a memory of about 10k steps)
    is not bias-corrected.  With ``t_alpha_beta3`` both :math:`\alpha` and
    :math:`\beta_3` are warmed up over that many steps (the paper's schedulers).
    Numbers as pytorch-optimizer's ``AdEMAMix``, which the tests match.  State:
    ``exp_avg`` (m1), ``exp_avg_sq`` (v), ``exp_avg_slow`` (m2).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-3
    betas : (float, float, float), default (0.9, 0.999, 0.9999)
    alpha : float >= 0, default 5.0
    t_alpha_beta3 : float > 0 or None, default None
    eps : float > 0, default 1e-8
    weight_decay : float >= 0, default 0
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, maximize, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Pagliardini, M., Ablin, P., Grangier, D. (2025). The AdEMAMix optimizer: better,
    faster, older. ICLR.
    """

    name = "ademamix"
    rule = staticmethod(ademamix)
    hyperparameters = {
        "lr": (1e-3, learning_rate),
        "betas": ((0.9, 0.999, 0.9999), _betas3),
        "alpha": (5.0, nonnegative),
        "t_alpha_beta3": (None, _optional_steps),
        "eps": (1e-8, positive),
        "weight_decay": (0.0, nonnegative),
    }
    State = state_type("AdEMAMixState", ("exp_avg", "exp_avg_sq", "exp_avg_slow"),
                       "State of AdEMAMix: step count, the fast EMA m1, v and the slow EMA m2.")

    def _scalars(self, hp, t, lr, sstate):
        b1, b2, b3 = hp["betas"]
        tw = hp["t_alpha_beta3"]
        bc1 = elementwise(lambda b, t: 1 - b ** t, b1, t)
        bc2_sqrt = elementwise(lambda b, t: math.sqrt(1 - b ** t), b2, t)
        if tw is None:
            alpha_t, beta3_t = hp["alpha"], b3
        else:
            alpha_t = elementwise(_alpha_at, tw, t, hp["alpha"])
            beta3_t = elementwise(_beta3_at, tw, t, b1, b3)
        return {"lr": lr, "beta1": b1, "beta2": b2, "beta3_t": beta3_t, "alpha_t": alpha_t, "eps": hp["eps"],
                "bc1": bc1, "bc2_sqrt": bc2_sqrt}, {}
