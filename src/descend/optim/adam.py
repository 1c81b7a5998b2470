"""Adam and its family: AdamW, NAdam, RAdam, Adamax."""

from __future__ import annotations

import numpy as np

from .base import Optimizer, state_type
from .hyperparameters import betas, elementwise, flag, learning_rate, nonnegative

__all__ = ["Adam", "AdamW", "NAdam", "RAdam", "Adamax", "adam", "nadam", "radam", "adamax"]


def adam(p, g, m, v, v_max, lr, beta1, beta2, eps, amsgrad, bc1, bc2):
    """Adam (bc1 = 1 - beta1**t, bc2 = 1 - beta2**t); AMSGrad divides by the running max of v."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    v_max = np.maximum(v_max, v) if amsgrad else v_max
    # Kingma & Ba's efficient form of lr * m_hat / (sqrt(v_hat) + eps): one division per element
    alpha_t = lr * np.sqrt(bc2) / bc1
    eps_hat = eps * np.sqrt(bc2)
    p = p - alpha_t * m / (np.sqrt(v_max if amsgrad else v) + eps_hat)
    return p, m, v, v_max


def nadam(p, g, m, v, lr, beta1, beta2, eps, mu, mu_next, mu_prod, mu_prod_next, bc2):
    """NAdam (Dozat) with torch's momentum schedule mu_t; mu_prod = mu_1 ... mu_t."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    denom = np.sqrt(v / bc2) + eps
    p = p - lr * (1 - mu) / (1 - mu_prod) * g / denom
    p = p - lr * mu_next / (1 - mu_prod_next) * m / denom
    return p, m, v


def radam(p, g, m, v, lr, beta1, beta2, eps, bc1, bc2_sqrt, rect, rectified):
    """RAdam: Adam's step times the variance rectification ``rect`` once rho_t > 5
    (``rectified`` = 1), plain momentum SGD ``lr * m_hat`` before (``rectified`` = 0)."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / bc1
    adaptive = bc2_sqrt / (np.sqrt(v) + eps)
    # rectified is 0 or 1 (per run): 1*adaptive + 0 and 0*adaptive + 1 are exact
    p = p - m_hat * lr * (rectified * adaptive + (1 - rectified)) * rect
    return p, m, v


def adamax(p, g, m, u, lr, beta1, beta2, eps, bc1):
    """Adamax: u the exponentially weighted infinity norm."""
    m = beta1 * m + (1 - beta1) * g
    u = np.maximum(beta2 * u, np.abs(g) + eps)
    p = p - lr / bc1 * m / u
    return p, m, u


def _bias_corrections(hp, t):
    b1, b2 = hp["betas"]
    bc1 = elementwise(lambda b, t: 1 - b ** t, b1, t)
    bc2 = elementwise(lambda b, t: 1 - b ** t, b2, t)
    return b1, b2, bc1, bc2


_ADAM_HP = {
    "lr": (1e-3, learning_rate),
    "betas": ((0.9, 0.999), betas),
    "eps": (1e-8, nonnegative),
    "weight_decay": (0.0, nonnegative),
    "amsgrad": (False, flag),
}


class Adam(Optimizer):
    r"""Adam (torch: ``torch.optim.Adam``).

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g \\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t) \\
        p &\leftarrow p - \mathrm{lr}\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}

    computed in the paper's own efficient order (end of its section 2):
    :math:`\alpha_t = \mathrm{lr}\sqrt{1-\beta_2^t}/(1-\beta_1^t)`,
    :math:`p \leftarrow p - \alpha_t m / (\sqrt{v} + \hat\epsilon)` with
    :math:`\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}`, which is the formula above
    exactly (and torch's numbers to rounding).  ``amsgrad`` uses
    :math:`v_{\max} \leftarrow \max(v_{\max}, v)` in place of :math:`v` in the step.

    State (torch's names): ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq``
    (:math:`v_{\max}`, only with amsgrad).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-3
    betas : (float, float), each in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8 (0 as torch allows: a zero v then divides by zero)
    weight_decay : float >= 0, default 0
        Coupled (L2) unless ``decoupled_weight_decay=True`` (which makes this AdamW).
    amsgrad : bool, default False
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Kingma, D. P., Ba, J. (2015). Adam: a method for stochastic optimization. ICLR.
    Reddi, S. J., Kale, S., Kumar, S. (2018). On the convergence of Adam and beyond.
    ICLR (AMSGrad).
    """

    name = "adam"
    rule = staticmethod(adam)
    hyperparameters = dict(_ADAM_HP)
    State = state_type("AdamState", ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
                       "State of Adam: step count, m (exp_avg), v (exp_avg_sq), running max of v (amsgrad).")

    def _present(self):
        return (True, True, self._hp["amsgrad"])

    def _scalars(self, hp, t, lr, sstate):
        b1, b2, bc1, bc2 = _bias_corrections(hp, t)
        return {"lr": lr, "beta1": b1, "beta2": b2, "eps": hp["eps"], "amsgrad": hp["amsgrad"],
                "bc1": bc1, "bc2": bc2}, {}


class AdamW(Adam):
    r"""AdamW (torch: ``torch.optim.AdamW``): Adam with decoupled weight decay.

    .. math:: p \leftarrow p\,(1 - \mathrm{lr}\,\lambda), \text{ then the Adam step}

    with :math:`\lambda` = ``weight_decay`` (default 0.01), applied before the update
    as torch does.  ``AdamW(weight_decay=0)`` is :class:`Adam` bit for bit.
    Parameters as :class:`Adam`; ``decoupled_weight_decay`` defaults to True.

    References
    ----------
    Loshchilov, I., Hutter, F. (2019). Decoupled weight decay regularization. ICLR.
    """

    name = "adamw"
    hyperparameters = {**_ADAM_HP, "weight_decay": (1e-2, nonnegative)}
    _default_decoupled = True


class NAdam(Optimizer):
    r"""NAdam, Adam with Nesterov momentum (torch: ``torch.optim.NAdam``).

    With the momentum schedule
    :math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t\psi})` (:math:`\psi` =
    ``momentum_decay``) and :math:`\Pi_t = \mu_1 \cdots \mu_t`:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g \\
        p &\leftarrow p - \mathrm{lr} \left(\frac{1 - \mu_t}{1 - \Pi_t}\, g
            + \frac{\mu_{t+1}}{1 - \Pi_{t+1}}\, m\right) \Big/
            \left(\sqrt{v / (1 - \beta_2^t)} + \epsilon\right)

    State: ``exp_avg`` (m), ``exp_avg_sq`` (v) and, per run, ``mu_product``.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float >= 0, default 1e-8 (0 as torch allows: a zero v then divides by zero)
    weight_decay : float >= 0, default 0
    momentum_decay : float >= 0, default 4e-3
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Dozat, T. (2016). Incorporating Nesterov momentum into Adam. ICLR workshop.
    """

    name = "nadam"
    rule = staticmethod(nadam)
    scalar_state = {"mu_product": 1.0}
    hyperparameters = {
        "lr": (2e-3, learning_rate),
        "betas": ((0.9, 0.999), betas),
        "eps": (1e-8, nonnegative),
        "weight_decay": (0.0, nonnegative),
        "momentum_decay": (4e-3, nonnegative),
    }
    State = state_type("NAdamState", ("exp_avg", "exp_avg_sq"), "State of NAdam: step count, m and v.")

    def _scalars(self, hp, t, lr, sstate):
        b1, b2, _, bc2 = _bias_corrections(hp, t)
        psi = hp["momentum_decay"]
        mu = elementwise(lambda b, t, psi: b * (1.0 - 0.5 * (0.96 ** (t * psi))), b1, t, psi)
        mu_next = elementwise(lambda b, t, psi: b * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi))), b1, t, psi)
        mu_prod = elementwise(lambda a, b: a * b, sstate["mu_product"], mu)
        mu_prod_next = elementwise(lambda a, b: a * b, mu_prod, mu_next)
        return ({"lr": lr, "beta1": b1, "beta2": b2, "eps": hp["eps"], "mu": mu, "mu_next": mu_next,
                 "mu_prod": mu_prod, "mu_prod_next": mu_prod_next, "bc2": bc2},
                {"mu_product": mu_prod})


def _rectification(b2, t):
    """(rect, rectified) of RAdam at step t: rho_t > 5 switches the adaptive step on."""
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * (b2 ** t) / (1 - b2 ** t)
    if rho_t > 5.0:
        return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    return 1.0


class RAdam(Optimizer):
    r"""Rectified Adam (torch: ``torch.optim.RAdam``).

    With :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g, \qquad
        \hat m = m / (1 - \beta_1^t) \\
        p &\leftarrow p - \mathrm{lr}\, \hat m\, r_t\, \frac{\sqrt{1-\beta_2^t}}{\sqrt{v} + \epsilon}
            \quad\text{if } \rho_t > 5, \qquad p - \mathrm{lr}\,\hat m \text{ otherwise} \\
        r_t &= \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}

    State: ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float >= 0, default 1e-8 (0 as torch allows: a zero v then divides by zero)
    weight_decay : float >= 0, default 0
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Liu, L., Jiang, H., He, P., Chen, W., Liu, X., Gao, J., Han, J. (2020). On the
    variance of the adaptive learning rate and beyond. ICLR.
    """

    name = "radam"
    rule = staticmethod(radam)
    hyperparameters = {
        "lr": (1e-3, learning_rate),
        "betas": ((0.9, 0.999), betas),
        "eps": (1e-8, nonnegative),
        "weight_decay": (0.0, nonnegative),
    }
    State = state_type("RAdamState", ("exp_avg", "exp_avg_sq"), "State of RAdam: step count, m and v.")

    def _scalars(self, hp, t, lr, sstate):
        b1, b2, bc1, bc2 = _bias_corrections(hp, t)
        rect = elementwise(_rectification, b2, t)
        rectified = elementwise(lambda b, t: 1.0 if _rho(b, t) > 5.0 else 0.0, b2, t)
        bc2_sqrt = elementwise(lambda b: b ** 0.5, bc2)
        return {"lr": lr, "beta1": b1, "beta2": b2, "eps": hp["eps"], "bc1": bc1, "bc2_sqrt": bc2_sqrt,
                "rect": rect, "rectified": rectified}, {}


def _rho(b2, t):
    rho_inf = 2 / (1 - b2) - 1
    return rho_inf - 2 * t * (b2 ** t) / (1 - b2 ** t)


class Adamax(Optimizer):
    r"""Adamax, Adam with the infinity norm (torch: ``torch.optim.Adamax``).

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \\
        u &\leftarrow \max(\beta_2 u, |g| + \epsilon) \\
        p &\leftarrow p - \frac{\mathrm{lr}}{1 - \beta_1^t}\, \frac{m}{u}

    State: ``exp_avg`` (m), ``exp_inf`` (u).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float >= 0, default 1e-8 (0 as torch allows: a zero v then divides by zero)
    weight_decay : float >= 0, default 0
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Kingma, D. P., Ba, J. (2015). Adam: a method for stochastic optimization. ICLR,
    section 7.1.
    """

    name = "adamax"
    rule = staticmethod(adamax)
    hyperparameters = {
        "lr": (2e-3, learning_rate),
        "betas": ((0.9, 0.999), betas),
        "eps": (1e-8, nonnegative),
        "weight_decay": (0.0, nonnegative),
    }
    State = state_type("AdamaxState", ("exp_avg", "exp_inf"), "State of Adamax: step count, m and u.")

    def _scalars(self, hp, t, lr, sstate):
        b1, b2, bc1, _ = _bias_corrections(hp, t)
        return {"lr": lr, "beta1": b1, "beta2": b2, "eps": hp["eps"], "bc1": bc1}, {}
