"""ADOPT: Adam that converges for any beta2, by normalizing with the previous second moment."""

from __future__ import annotations

import numpy as np

from .base import Optimizer, state_type
from .hyperparameters import betas, elementwise, learning_rate, nonnegative, positive

__all__ = ["ADOPT", "adopt"]


def adopt(p, g, m, v, lr, beta1, beta2, eps, clip, first):
    """ADOPT: g normalized by v from *before* this gradient, clipped, then momentum.

    ``first`` is 1 at the first step (v = g^2 only, no step) and 0 after; it selects
    by arithmetic (1*a + 0*b is exact), so the rule has no branch on run-dependent values.
    """
    normed = np.minimum(np.maximum(g / np.maximum(np.sqrt(v), eps), -clip), clip)
    m_next = m + (1 - beta1) * (normed - m)
    m = first * m + (1 - first) * m_next
    p = p - (1 - first) * lr * m
    v = first * (v + g * g) + (1 - first) * (beta2 * v + (1 - beta2) * g * g)
    return p, m, v


class ADOPT(Optimizer):
    r"""ADOPT, ADaptive gradient method with the OPTimal convergence rate.

    Adam's update with two changes that make it converge for any :math:`\beta_2`:
    the gradient is normalized by the second moment of the *previous* steps (so
    :math:`g_t` and its normalizer are independent), and the momentum is taken after
    the normalization:

    .. math::

        v_1 &= g_1^2 \quad\text{(the first step only sets } v\text{)} \\
        \tilde g_t &= \operatorname{clip}\big(g_t / \max(\sqrt{v_{t-1}}, \epsilon),\ \pm t^{1/4}\big) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, \tilde g_t, \qquad p \leftarrow p - \mathrm{lr}\, m_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2

    The clip at :math:`t^{1/4}` is the paper's stabilization (its section 4), as in
    pytorch-optimizer's ``ADOPT``, which the tests match.  State: ``exp_avg`` (m),
    ``exp_avg_sq`` (v).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-3
    betas : (float, float), default (0.9, 0.9999)
    eps : float > 0, default 1e-6
    weight_decay : float >= 0, default 0
        Coupled (L2) unless ``decoupled_weight_decay=True`` (pytorch-optimizer's
        ``weight_decouple``).
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, maximize, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Taniguchi, S., Harada, K., Minegishi, G., Oshima, Y., Jeong, S. C., Nagahara, G.,
    Iiyama, T., Suzuki, M., Iwasawa, Y., Matsuo, Y. (2024). ADOPT: modified Adam can
    converge with any beta2 with the optimal rate. NeurIPS.
    """

    name = "adopt"
    rule = staticmethod(adopt)
    hyperparameters = {
        "lr": (1e-3, learning_rate),
        "betas": ((0.9, 0.9999), betas),
        "eps": (1e-6, positive),
        "weight_decay": (0.0, nonnegative),
    }
    State = state_type("ADOPTState", ("exp_avg", "exp_avg_sq"), "State of ADOPT: step count, m and v.")

    def _scalars(self, hp, t, lr, sstate):
        b1, b2 = hp["betas"]
        clip = elementwise(lambda t: float(t) ** 0.25, t)
        first = elementwise(lambda t: 1.0 if t == 1 else 0.0, t)
        return {"lr": lr, "beta1": b1, "beta2": b2, "eps": hp["eps"], "clip": clip, "first": first}, {}
