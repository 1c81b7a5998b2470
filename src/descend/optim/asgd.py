"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging)."""

from __future__ import annotations

from .base import Optimizer, state_type
from .hyperparameters import elementwise, learning_rate, nonnegative

__all__ = ["ASGD", "asgd"]


def asgd(p, g, ax, eta, decay, mu, copy):
    """ASGD: a decayed SGD step, then ax the running average of the iterates.

    ``copy`` is 1 while mu = 1 (ax is the iterate itself, as torch copies it), else 0.
    """
    p = p * decay        # decay = 1 - lambd * eta
    p = p - eta * g
    # copy is 0 or 1 (per run): 1*p + 0*(...) and 0*p + 1*(...) are exact
    ax = copy * p + (1 - copy) * (ax + (p - ax) * mu)
    return p, ax


def _eta(lr, lambd, alpha, t):
    """torch's eta at step t: lr at the first step, then lr / (1 + lambd lr (t-1))^alpha."""
    return lr if t == 1 else lr / ((1 + lambd * lr * (t - 1)) ** alpha)


def _mu(t0, t):
    """torch's averaging weight at step t: 1 at the first step, then 1 / max(1, t-1-t0)."""
    return 1.0 if t == 1 else 1 / max(1, (t - 1) - t0)


class ASGD(Optimizer):
    r"""Averaged SGD (torch: ``torch.optim.ASGD``).

    .. math::

        p &\leftarrow p\,(1 - \lambda\eta_t) - \eta_t\, g \\
        \bar p &\leftarrow \bar p + \mu_t (p - \bar p) \\
        \eta_{t+1} &= \frac{\mathrm{lr}}{(1 + \lambda\, \mathrm{lr}\, t)^{\alpha}}, \qquad
        \mu_{t+1} = \frac{1}{\max(1, t - t_0)}

    with :math:`\eta_1 = \mathrm{lr}`, :math:`\mu_1 = 1`.  The iterates ``p`` are what
    the step updates; :math:`\bar p` (state ``ax``) is the Polyak-Ruppert average,
    started after step :math:`t_0` (before, it is the iterate itself): read it with
    ``opt.state.ax`` and evaluate there.  torch keeps :math:`\eta` and :math:`\mu` as
    state; here they follow from the step count (with a schedule as ``lr``, from this
    step's lr).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-2
    lambd : float >= 0, default 1e-4
        The decay :math:`\lambda`.
    alpha : float >= 0, default 0.75
        The power of the :math:`\eta` decay.
    t0 : float >= 0, default 1e6
        The step after which averaging starts.
    weight_decay : float >= 0, default 0
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Polyak, B. T., Juditsky, A. B. (1992). Acceleration of stochastic approximation by
    averaging. SIAM J. Control Optim. 30(4), 838-855.
    Bottou, L. (2012). Stochastic gradient descent tricks. Neural Networks: Tricks of
    the Trade, 421-436 (the eta schedule).
    """

    name = "asgd"
    rule = staticmethod(asgd)
    hyperparameters = {
        "lr": (1e-2, learning_rate),
        "lambd": (1e-4, nonnegative),
        "alpha": (0.75, nonnegative),
        "t0": (1e6, nonnegative),
        "weight_decay": (0.0, nonnegative),
    }
    State = state_type("ASGDState", ("ax",), "State of ASGD: step count and the averaged iterate ax.")

    def _scalars(self, hp, t, lr, sstate):
        eta = elementwise(_eta, lr, hp["lambd"], hp["alpha"], t)
        decay = elementwise(lambda l, e: 1 - l * e, hp["lambd"], eta)
        mu = elementwise(_mu, hp["t0"], t)
        copy = elementwise(lambda m: 1.0 if m == 1 else 0.0, mu)
        return {"eta": eta, "decay": decay, "mu": mu, "copy": copy}, {}
