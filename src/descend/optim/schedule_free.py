"""Schedule-Free SGD and AdamW: no learning-rate schedule, an online average instead."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import DescendError
from .base import state_type
from .hyperparameters import betas, elementwise, flag, learning_rate, nonnegative, positive, range_check
from .tensorwise import TensorOptimizer

__all__ = ["SGDScheduleFree", "AdamWScheduleFree", "sgd_schedule_free", "adamw_schedule_free"]


def sgd_schedule_free(p, g, z, x, lr, momentum, ckp1):
    """Schedule-Free SGD: z the SGD sequence, x its weighted average, p = y where the gradient is taken."""
    z = z - lr * g
    x = x * (1 - ckp1) + z * ckp1
    p = x * momentum + z * (1 - momentum)
    return p, z, x


def adamw_schedule_free(p, g, z, x, v, lr, beta1, beta2, eps, bc2, ckp1, weight_decay, decay_at_z):
    """Schedule-Free AdamW: the SGD sequence z preconditioned by Adam's second moment."""
    if weight_decay != 0:
        z = z - (lr * weight_decay) * (z if decay_at_z else p)  # at y (p), or at z
    v = v * beta2 + (1 - beta2) * g * g
    z = z - lr * (g / (np.sqrt(v / bc2) + eps))
    x = x * (1 - ckp1) + z * ckp1
    p = x * beta1 + z * (1 - beta1)
    return p, z, x, v


def _warmup_steps(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise DescendError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def _momentum(name, value):
    return range_check(name, value, 0.0, 1.0, True, True)


class _ScheduleFree(TensorOptimizer):
    """What both share: the averaging weights, and the train/eval swap."""

    scalar_state = {"lr_max": -1.0, "weight_sum": 0.0}
    _starts_at_params = ("z", "x")

    def _check_combination(self, hp):
        # the parameters are y, rebuilt from x and z at every step: decaying them does nothing
        if hp["decoupled_weight_decay"]:
            raise DescendError("decoupled_weight_decay is not available: Schedule-Free's weight decay is its own "
                               "(the parameters are rebuilt from x and z at every step)")

    def _clear(self):
        super()._clear()
        self._eval_saved = None  # the training point y while params hold x

    def _average_weight(self, hp, t, lr, sstate):
        """(lr of this step with warmup, ckp1, new scalar state): the weight of step t
        in the average is t^r lr_max^weight_lr_power, normalized by their sum."""
        lr_t = elementwise(lambda lr, w, t: lr * (t / w if t - 1 < w else 1.0), lr, hp["warmup_steps"], t)
        lr_max = elementwise(max, lr_t, sstate["lr_max"])
        weight = elementwise(lambda t, r, m, q: (t ** r) * (m ** q), t, hp["r"], lr_max, hp["weight_lr_power"])
        weight_sum = elementwise(lambda a, b: a + b, sstate["weight_sum"], weight)
        ckp1 = elementwise(lambda w, s: w / s if s != 0 else 0.0, weight, weight_sum)
        return lr_t, ckp1, {"lr_max": lr_max, "weight_sum": weight_sum}

    def step(self, params, grads, *, runs=None):
        if self._eval_saved is not None:
            raise DescendError(f"{self.name}: params hold the averaged point (after eval()); call train(params) "
                               f"before the next step")
        super().step(params, grads, runs=runs)

    def _arrays_of(self, params):
        if self._kind is None:
            raise DescendError(f"{self.name}: no state yet; call step() or init() first")
        if self._kind == "array":
            if not isinstance(params, np.ndarray) or params.shape != self._slots["params"].shape:
                raise DescendError(f"{self.name}: params do not match the optimizer state (one array of shape "
                                   f"{self._slots['params'].shape})")
            return {"params": params}
        if not isinstance(params, Mapping) or list(params) != list(self._slots):
            raise DescendError(f"{self.name}: params do not match the optimizer state (keys {list(self._slots)})")
        return dict(params)

    def eval(self, params) -> None:
        """Put the averaged point x, where Schedule-Free's guarantees hold, into ``params``
        (in place) to evaluate or save the model; :meth:`train` puts the training point back."""
        if self._eval_saved is not None:
            return
        arrays = self._arrays_of(params)
        self._eval_saved = {k: a.copy() for k, a in arrays.items()}
        for k, a in arrays.items():
            a[...] = self._slots[k].arrays["x"]

    def train(self, params) -> None:
        """Put the training point y back into ``params`` after :meth:`eval` (bit for bit)."""
        if self._eval_saved is None:
            return
        arrays = self._arrays_of(params)
        for k, a in arrays.items():
            a[...] = self._eval_saved[k]
        self._eval_saved = None

    @property
    def training(self) -> bool:
        """False between :meth:`eval` and :meth:`train`."""
        return self._eval_saved is None


class SGDScheduleFree(_ScheduleFree):
    r"""Schedule-Free SGD (the ``schedulefree`` package's ``SGDScheduleFree``).

    Three sequences: :math:`z` takes plain SGD steps, :math:`x` is their online
    average, and the gradient is taken at their interpolation :math:`y`:

    .. math::

        z_{t+1} &= z_t - \gamma_t\, \nabla f(y_t) \\
        x_{t+1} &= (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1},
            \qquad c_{t+1} = \frac{w_{t+1}}{\sum_{i \le t+1} w_i},\ w_t = t^r \gamma_{\max}^{q} \\
        y_{t+1} &= \beta\, x_{t+1} + (1 - \beta)\, z_{t+1}

    with :math:`\gamma_t` = lr (times ``t/warmup_steps`` during warmup),
    :math:`\gamma_{\max}` its running maximum, :math:`\beta` = ``momentum``,
    :math:`q` = ``weight_lr_power``.  The parameters hold :math:`y` during training;
    evaluate at :math:`x`: ``opt.eval(params)`` swaps it in, ``opt.train(params)``
    swaps :math:`y` back (a step in between is refused), as the package's
    ``optimizer.eval()`` / ``optimizer.train()``.  No schedule is needed (a constant
    lr is the point).  ``weight_decay`` is coupled (L2) at :math:`y`, as the package's
    (``decoupled_weight_decay=True`` is refused: the parameters are rebuilt from
    :math:`x` and :math:`z` at every step).
    State: ``z``, ``x`` (both start at the parameters); per run ``lr_max`` and
    ``weight_sum``.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1.0
    momentum : float in (0, 1), default 0.9
    weight_decay : float >= 0, default 0
    warmup_steps : int >= 0, default 0
    r : float >= 0, default 0
        Polynomial weighting of the average.
    weight_lr_power : float >= 0, default 2
    clip_value, clip_norm, nonfinite, maximize, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Defazio, A., Yang, X. A., Mehta, H., Mishchenko, K., Khaled, A., Cutkosky, A.
    (2024). The road less scheduled. NeurIPS.  Code: facebookresearch/schedule_free.
    """

    name = "sgd_schedule_free"
    rule = staticmethod(sgd_schedule_free)
    hyperparameters = {
        "lr": (1.0, learning_rate),
        "momentum": (0.9, _momentum),
        "weight_decay": (0.0, nonnegative),
        "warmup_steps": (0, _warmup_steps),
        "r": (0.0, nonnegative),
        "weight_lr_power": (2.0, nonnegative),
    }
    State = state_type("SGDScheduleFreeState", ("z", "x"),
                       "State of Schedule-Free SGD: step count, the SGD sequence z and its average x.")

    def _scalars(self, hp, t, lr, sstate):
        lr_t, ckp1, new = self._average_weight(hp, t, lr, sstate)
        return {"lr": lr_t, "momentum": hp["momentum"], "ckp1": ckp1}, new


class AdamWScheduleFree(_ScheduleFree):
    r"""Schedule-Free AdamW (the ``schedulefree`` package's ``AdamWScheduleFree``).

    Schedule-Free SGD (:class:`SGDScheduleFree`) with the :math:`z` step
    preconditioned by Adam's bias-corrected second moment:

    .. math::

        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2 \\
        z &\leftarrow z - \gamma_t \lambda\, y - \gamma_t\, g / (\sqrt{v / (1 - \beta_2^t)} + \epsilon) \\
        x &\leftarrow (1 - c_t)\, x + c_t\, z, \qquad y = \beta_1 x + (1 - \beta_1)\, z

    with the same averaging weights :math:`c_t`; the weight decay :math:`\lambda` acts
    on :math:`z` at :math:`y` (at :math:`z` with ``decay_at_z=True``).  There is no
    first moment: :math:`\beta_1` is the interpolation.  The numbers are the package's
    reference form (``AdamWScheduleFreeReference``, which the tests match to 1e-12;
    its memory-saving ``AdamWScheduleFree`` agrees to rounding).  Parameters hold
    :math:`y`; ``eval(params)`` / ``train(params)`` swap :math:`x` in and out.
    State: ``z``, ``x``, ``exp_avg_sq`` (v); per run ``lr_max``, ``weight_sum``.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 0.0025
    betas : (float, float), default (0.9, 0.999)
    eps : float > 0, default 1e-8
    weight_decay : float >= 0, default 0
    warmup_steps : int >= 0, default 0
    r : float >= 0, default 0
    weight_lr_power : float >= 0, default 2
    decay_at_z : bool, default False
    clip_value, clip_norm, nonfinite, maximize, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`
        (``decoupled_weight_decay=True`` is refused: the weight decay is the method's own).

    References
    ----------
    Defazio, A., Yang, X. A., Mehta, H., Mishchenko, K., Khaled, A., Cutkosky, A.
    (2024). The road less scheduled. NeurIPS.  Code: facebookresearch/schedule_free.
    """

    name = "adamw_schedule_free"
    rule = staticmethod(adamw_schedule_free)
    hyperparameters = {
        "lr": (0.0025, learning_rate),
        "betas": ((0.9, 0.999), betas),
        "eps": (1e-8, positive),
        "weight_decay": (0.0, nonnegative),
        "warmup_steps": (0, _warmup_steps),
        "r": (0.0, nonnegative),
        "weight_lr_power": (2.0, nonnegative),
        "decay_at_z": (False, flag),
    }
    _decay_in_rule = "all"
    State = state_type("AdamWScheduleFreeState", ("z", "x", "exp_avg_sq"),
                       "State of Schedule-Free AdamW: step count, z, its average x, and v.")

    def _scalars(self, hp, t, lr, sstate):
        lr_t, ckp1, new = self._average_weight(hp, t, lr, sstate)
        b1, b2 = hp["betas"]
        bc2 = elementwise(lambda b, t: 1 - b ** t, b2, t)
        return {"lr": lr_t, "beta1": b1, "beta2": b2, "eps": hp["eps"], "bc2": bc2, "ckp1": ckp1,
                "decay_at_z": hp["decay_at_z"]}, new
