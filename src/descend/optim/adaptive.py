"""Per-coordinate step sizes from running squared gradients: AdaGrad, Adadelta, RMSProp."""

from __future__ import annotations

import numpy as np

from .base import Optimizer, state_type
from .hyperparameters import elementwise, flag, learning_rate, nonnegative, unit_closed

__all__ = ["AdaGrad", "Adagrad", "Adadelta", "RMSProp", "RMSprop", "adagrad", "adadelta", "rmsprop"]


def adagrad(p, g, h, lr_t, eps):
    """AdaGrad: h accumulates g^2 for ever."""
    h = h + g * g
    p = p - lr_t * g / (np.sqrt(h) + eps)
    return p, h


def adadelta(p, g, h, u, lr, rho, eps):
    """Adadelta: h the running g^2, u the running squared update."""
    h = rho * h + (1 - rho) * g * g
    dx = np.sqrt(u + eps) / np.sqrt(h + eps) * g
    u = rho * u + (1 - rho) * dx * dx
    p = p - lr * dx
    return p, h, u


def rmsprop(p, g, h, g_bar, b, lr, alpha, eps, momentum, centered):
    """RMSProp (torch's form): h the running g^2, g_bar the running g, b the momentum buffer."""
    h = alpha * h + (1 - alpha) * g * g
    g_bar = alpha * g_bar + (1 - alpha) * g
    denom = np.sqrt(h - g_bar * g_bar) + eps if centered else np.sqrt(h) + eps
    b = momentum * b + g / denom
    p = p - lr * b
    return p, h, g_bar, b


class AdaGrad(Optimizer):
    r"""AdaGrad (torch: ``torch.optim.Adagrad``; both spellings work).

    .. math::

        h &\leftarrow h + g \odot g \\
        p &\leftarrow p - \frac{\mathrm{lr}_t\, g}{\sqrt{h} + \epsilon},
        \qquad \mathrm{lr}_t = \frac{\mathrm{lr}}{1 + (t - 1)\,\mathrm{lr\_decay}}

    ``h`` (state ``sum``) starts at ``initial_accumulator_value``.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-2
    lr_decay : float >= 0, default 0
    weight_decay : float >= 0, default 0
    initial_accumulator_value : float >= 0, default 0
    eps : float >= 0, default 1e-10
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Duchi, J., Hazan, E., Singer, Y. (2011). Adaptive subgradient methods for online
    learning and stochastic optimization. JMLR 12, 2121-2159.
    """

    name = "adagrad"
    rule = staticmethod(adagrad)
    hyperparameters = {
        "lr": (1e-2, learning_rate),
        "lr_decay": (0.0, nonnegative),
        "weight_decay": (0.0, nonnegative),
        "initial_accumulator_value": (0.0, nonnegative),
        "eps": (1e-10, nonnegative),
    }
    State = state_type("AdaGradState", ("sum",), "State of AdaGrad: step count and the sum of squared gradients.")

    def _state_init(self, name):
        return self._hp["initial_accumulator_value"]

    def _scalars(self, hp, t, lr, sstate):
        lr_t = elementwise(lambda lr, d, t: lr / (1 + (t - 1) * d), lr, hp["lr_decay"], t)
        return {"lr_t": lr_t, "eps": hp["eps"]}, {}


Adagrad = AdaGrad


class Adadelta(Optimizer):
    r"""Adadelta (torch: ``torch.optim.Adadelta``).

    .. math::

        h &\leftarrow \rho h + (1 - \rho)\, g \odot g \\
        \Delta &= \frac{\sqrt{u + \epsilon}}{\sqrt{h + \epsilon}}\, g \\
        u &\leftarrow \rho u + (1 - \rho)\, \Delta \odot \Delta \\
        p &\leftarrow p - \mathrm{lr}\, \Delta

    State: ``square_avg`` (h) and ``acc_delta`` (u).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1.0
    rho : float in [0, 1], default 0.9
    eps : float >= 0, default 1e-6
    weight_decay : float >= 0, default 0
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method. arXiv:1212.5701.
    """

    name = "adadelta"
    rule = staticmethod(adadelta)
    hyperparameters = {
        "lr": (1.0, learning_rate),
        "rho": (0.9, unit_closed),
        "eps": (1e-6, nonnegative),
        "weight_decay": (0.0, nonnegative),
    }
    State = state_type("AdadeltaState", ("square_avg", "acc_delta"),
                       "State of Adadelta: step count, running g^2 (h) and running squared update (u).")

    def _scalars(self, hp, t, lr, sstate):
        return {"lr": lr, "rho": hp["rho"], "eps": hp["eps"]}, {}


class RMSProp(Optimizer):
    r"""RMSProp (torch: ``torch.optim.RMSprop``; both spellings work).

    The seeds' form (seed 004), with :math:`\alpha` the decay and :math:`\eta_0` the
    learning rate:

    .. math::

        h &\leftarrow \alpha h + (1 - \alpha)\, g \odot g \\
        \eta &= \frac{\eta_0}{\sqrt{h} + \epsilon} \\
        w &\leftarrow w - \eta\, g

    :math:`\epsilon` outside the square root, as in torch.  Options (torch's):
    ``centered`` divides by the running standard deviation instead,
    :math:`\sqrt{h - \bar g^2} + \epsilon` with :math:`\bar g \leftarrow \alpha \bar g + (1 -
    \alpha) g`; ``momentum`` keeps a buffer :math:`b \leftarrow \mu b + g / (\sqrt{h} +
    \epsilon)` and steps :math:`w \leftarrow w - \eta_0 b`.

    State: ``square_avg`` (h), ``grad_avg`` (:math:`\bar g`, only when centered),
    ``momentum_buffer`` (b, only with momentum).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-2
    alpha : float in [0, 1], default 0.99
        torch accepts any alpha >= 0; above 1 the running average is no average, so it is refused.
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    momentum : float >= 0, default 0
    centered : bool, default False
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Tieleman, T., Hinton, G. (2012). Lecture 6.5 - RMSProp: divide the gradient by a
    running average of its recent magnitude. COURSERA: Neural Networks for Machine
    Learning.  Graves, A. (2013). Generating sequences with recurrent neural
    networks. arXiv:1308.0850 (the centered form).
    """

    name = "rmsprop"
    rule = staticmethod(rmsprop)
    hyperparameters = {
        "lr": (1e-2, learning_rate),
        "alpha": (0.99, unit_closed),
        "eps": (1e-8, nonnegative),
        "weight_decay": (0.0, nonnegative),
        "momentum": (0.0, nonnegative),
        "centered": (False, flag),
    }
    State = state_type("RMSPropState", ("square_avg", "grad_avg", "momentum_buffer"),
                       "State of RMSProp: step count, running g^2, running g (centered) and momentum buffer.")

    def _present(self):
        mu = self._hp["momentum"]
        return (True, self._hp["centered"], isinstance(mu, np.ndarray) or mu != 0)

    def _scalars(self, hp, t, lr, sstate):
        return {"lr": lr, "alpha": hp["alpha"], "eps": hp["eps"], "momentum": hp["momentum"],
                "centered": hp["centered"]}, {}


RMSprop = RMSProp
