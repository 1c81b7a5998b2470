"""Gradient descent, SGD with momentum, and the seeds' Momentum and Nesterov."""

from __future__ import annotations

import numpy as np

from ..errors import DescendError
from .base import Optimizer, state_type
from .hyperparameters import elementwise, flag, learning_rate, nonnegative, unit_closed

__all__ = ["GD", "SGD", "Momentum", "Nesterov", "gd", "sgd"]


def gd(p, g, lr):
    """Plain gradient descent, the seeds' rule ``w(t+1) = w(t) - eps * grad E``."""
    p = p - lr * g
    return p,


def sgd(p, g, b, lr, momentum, dampening, nesterov):
    """SGD with momentum in torch's form (b: the momentum buffer)."""
    b = momentum * b + (1 - dampening) * g
    d = g + momentum * b if nesterov else b
    p = p - lr * d
    return p, b


class GD(Optimizer):
    r"""Plain gradient descent, the rule of the seeds.

    .. math:: w^{(t+1)} = w^{(t)} - \varepsilon \nabla E

    ``lr`` is the learning rate :math:`\varepsilon`.  The same numbers as
    ``SGD(lr, momentum=0)``, bit for bit, with no state.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-3
    weight_decay, decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Cauchy, A. (1847). Méthode générale pour la résolution des systèmes d'équations
    simultanées. C. R. Acad. Sci. Paris 25, 536-538.
    """

    name = "gd"
    rule = staticmethod(gd)
    hyperparameters = {"lr": (1e-3, learning_rate)}
    State = state_type("GDState", (), "State of GD: only the step count.")

    def _scalars(self, hp, t, lr, sstate):
        return {"lr": lr}, {}


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum, torch's ``torch.optim.SGD``.

    With ``b`` the momentum buffer (``momentum_buffer``), ``mu`` the momentum and
    ``tau`` the dampening, each step does

    .. math::

        b &\leftarrow \mu b + (1 - \tau) g \qquad (b = g \text{ at the first step}) \\
        d &= g + \mu b \text{ (nesterov) or } b \\
        p &\leftarrow p - \mathrm{lr}\, d

    torch skips the dampening at the first step (the buffer starts as a copy of the
    gradient); so does this class.  With ``momentum=0`` it is plain gradient descent
    and keeps no buffer: the dampening is ignored then, as in torch (x = 1 and three
    unit gradients with ``lr=0.1, dampening=0.5`` give 0.9, 0.8, 0.7).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-3
    momentum : float >= 0, default 0
    dampening : float in [0, 1], default 0
    weight_decay : float >= 0, default 0
        Coupled (L2): ``g + weight_decay * p``.
    nesterov : bool, default False
        Nesterov momentum; needs ``momentum > 0`` and ``dampening = 0``.
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration
    methods. USSR Comput. Math. Math. Phys. 4(5), 1-17.
    Sutskever, I., Martens, J., Dahl, G., Hinton, G. (2013). On the importance of
    initialization and momentum in deep learning. ICML.
    """

    name = "sgd"
    rule = staticmethod(sgd)
    hyperparameters = {
        "lr": (1e-3, learning_rate),
        "momentum": (0.0, nonnegative),
        "dampening": (0.0, unit_closed),
        "weight_decay": (0.0, nonnegative),
        "nesterov": (False, flag),
    }
    State = state_type("SGDState", ("momentum_buffer",),
                       "State of SGD: step count and the momentum buffer b (None without momentum).")

    def _check_combination(self, hp):
        if hp["nesterov"]:
            mu, damp = np.asarray(hp["momentum"]), np.asarray(hp["dampening"])
            if np.any(mu <= 0) or np.any(damp != 0):
                raise _nesterov_error(hp)

    def _present(self):
        mu = self._hp["momentum"]
        return (isinstance(mu, np.ndarray) or mu != 0,)

    def _scalars(self, hp, t, lr, sstate):
        # torch's buffer starts as a copy of the first gradient: no dampening at step 1;
        # without momentum there is no buffer and torch ignores the dampening (so do we)
        damp = elementwise(lambda d, mu, t: 0.0 if t == 1 or mu == 0 else d, hp["dampening"], hp["momentum"], t)
        return {"lr": lr, "momentum": hp["momentum"], "dampening": damp, "nesterov": hp["nesterov"]}, {}


def _nesterov_error(hp):
    return DescendError(f"nesterov=True needs momentum > 0 and dampening = 0, got momentum={hp['momentum']!r}, "
                        f"dampening={hp['dampening']!r}")


class Momentum(SGD):
    r"""Momentum, as in the seeds: SGD with ``momentum=0.9`` by default.

    The seeds write it with a velocity :math:`V`, momentum :math:`\gamma` and learning
    rate :math:`\alpha`:

    .. math::

        V^{(k+1)} &= \gamma V^{(k)} - \alpha \nabla L \\
        W^{(k+1)} &= W^{(k)} + V^{(k+1)}

    torch (and this class) keep :math:`b = -V/\alpha` instead:
    :math:`b \leftarrow \mu b + g`, :math:`p \leftarrow p - \mathrm{lr}\,b`.  For a
    constant learning rate :math:`\alpha = \mathrm{lr}` and :math:`\gamma = \mu` the two
    are the same trajectory: multiply the buffer update by :math:`-\alpha`,

    .. math::

        -\alpha b^{(k+1)} = \mu(-\alpha b^{(k)}) - \alpha g
        \iff V^{(k+1)} = \gamma V^{(k)} - \alpha \nabla L,
        \qquad p - \alpha b^{(k+1)} = W + V^{(k+1)}.

    (With a schedule they differ: torch's form applies the new ``lr`` to the whole
    buffer.)  The state field ``momentum_buffer`` is :math:`b = -V/\mathrm{lr}`.
    Parameters as :class:`SGD`.

    References
    ----------
    Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration
    methods. USSR Comput. Math. Math. Phys. 4(5), 1-17.
    """

    name = "momentum"
    hyperparameters = {**SGD.hyperparameters, "momentum": (0.9, nonnegative)}


class Nesterov(SGD):
    r"""Nesterov momentum: SGD with ``momentum=0.9, nesterov=True`` by default.

    .. math::

        b &\leftarrow \mu b + g \\
        p &\leftarrow p - \mathrm{lr}\,(g + \mu b)

    the look-ahead form of Sutskever et al. (2013): with :math:`V = -\mathrm{lr}\, b`
    it is :math:`V \leftarrow \mu V - \mathrm{lr}\, g`,
    :math:`p \leftarrow p + \mu V - \mathrm{lr}\, g`, Nesterov's accelerated gradient
    written at the shifted point.  Parameters as :class:`SGD`.

    References
    ----------
    Nesterov, Y. (1983). A method for solving the convex programming problem with
    convergence rate O(1/k^2). Dokl. Akad. Nauk SSSR 269, 543-547.
    Sutskever, I., Martens, J., Dahl, G., Hinton, G. (2013). On the importance of
    initialization and momentum in deep learning. ICML.
    """

    name = "nesterov"
    hyperparameters = {**SGD.hyperparameters, "momentum": (0.9, nonnegative), "nesterov": (True, flag)}

