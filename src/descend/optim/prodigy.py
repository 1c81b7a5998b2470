"""Prodigy: Adam whose step size D is estimated on the fly (no learning rate to tune)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DescendError
from .base import state_type
from .containers import at_row
from .hyperparameters import (as_number_or_runs, betas, elementwise, flag, format_value, learning_rate,
                              nonnegative, positive, unit_open)
from .tensorwise import TensorOptimizer
from .transforms import prepare

__all__ = ["Prodigy", "prodigy_moments", "prodigy"]


def prodigy_moments(p, g, m, v, s, p0, d, dlr, d0, beta1, beta2, beta3, safeguard_warmup):
    """The first half of a Prodigy step, with this step's estimate d: the moments (scaled
    by d), the accumulator s, and this array's share of D's numerator and denominator."""
    numerator = (d / d0) * dlr * float(np.dot(g.ravel(), (p0 - p).ravel()))
    m = m * beta1 + g * (d * (1 - beta1))
    v = v * beta2 + g * g * (d * d * (1 - beta2))
    s = s * beta3 + g * ((d / d0) * (d if safeguard_warmup else dlr))
    return m, v, s, numerator, float(np.sum(np.abs(s)))


def prodigy(p, g, m, v, s, p0, dlr, d_next, eps, decoupled, weight_decay):
    """The second half: Adam's step at the new estimate, decoupled decay at this step's dlr."""
    denom = np.sqrt(v) + d_next * eps
    if decoupled and weight_decay != 0:
        p = p + p * (-weight_decay * dlr)
    p = p + (-dlr) * (m / denom)
    return p, m, v, s, p0


def _next_d(d, d0, d_max, numerator, denom, d_coef, growth_rate):
    """Prodigy's estimate: d_hat = d_coef * numerator / denom, never decreasing."""
    d_hat = d_coef * numerator / denom
    if d == d0:
        d = max(d, d_hat)
    d_max = max(d_max, d_hat)
    return min(d_max, d * growth_rate), d_max


def _growth(name, value):
    v = as_number_or_runs(name, value)
    if not (np.all(np.asarray(v) > 0) and not np.any(np.isnan(v))):
        raise DescendError(f"{name} must be a number > 0 (inf allowed), got {format_value(v)}")
    return v


def _optional_unit(name, value):
    return None if value is None else unit_open(name, value)


class Prodigy(TensorOptimizer):
    r"""Prodigy (the ``prodigyopt`` package's ``Prodigy``): Adam with an estimated step size.

    Adam's moments are kept scaled by the current estimate :math:`d` of the distance
    to the solution, and :math:`d` grows from ``d0`` by the ratio of two running sums
    over *all* parameters:

    .. math::

        \mathrm{dlr} &= d\ \mathrm{lr}\ (\times \sqrt{1-\beta_2^t}/(1-\beta_1^t)
            \text{ with use\_bias\_correction}) \\
        r &\leftarrow \beta_3 r + \frac{d}{d_0}\,\mathrm{dlr}\,\langle g, x_0 - x\rangle, \qquad
        s \leftarrow \beta_3 s + \frac{d}{d_0}\,\mathrm{dlr}\, g \\
        m &\leftarrow \beta_1 m + d (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + d^2 (1 - \beta_2)\, g^2 \\
        d &\leftarrow \max\big(d, \min(\hat d_{\max}, d\cdot\text{growth\_rate})\big),
            \quad \hat d = d_\text{coef}\, r / \|s\|_1 \\
        x &\leftarrow x - \mathrm{dlr}\, m / (\sqrt v + d\,\epsilon)

    (:math:`\beta_3 = \sqrt{\beta_2}` by default; ``safeguard_warmup`` uses :math:`d`
    in place of dlr in :math:`s`).  Keep ``lr=1``: it scales the estimate.  The sums
    run over every parameter of the step (a dict is one group), per run with
    ``runs=R``.  Weight decay is decoupled by default (``decoupled_weight_decay=False``
    makes it coupled, the package's ``decouple=False``).  A step whose gradients are
    all zero changes no parameter (the package returns early).  State: ``exp_avg``,
    ``exp_avg_sq``, ``s``, ``p0`` (the starting point); per run ``d``, ``d_max``,
    ``d_numerator``.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1.0
    betas : (float, float), default (0.9, 0.999)
    beta3 : float in [0, 1) or None, default None (sqrt(beta2))
    eps : float > 0, default 1e-8
    weight_decay : float >= 0, default 0
    use_bias_correction : bool, default False
    safeguard_warmup : bool, default False
    d0 : float > 0, default 1e-6
    d_coef : float > 0, default 1.0
    growth_rate : float > 0, default inf
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, maximize, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`
        (``decoupled_weight_decay`` defaults to True here; ``nonfinite="skip"`` that
        skips only some runs is refused: D's sums need every run's step).

    References
    ----------
    Mishchenko, K., Defazio, A. (2024). Prodigy: an expeditiously adaptive
    parameter-free learner. ICML.  Code: konstmish/prodigy (pip: prodigyopt).
    """

    name = "prodigy"
    rule = staticmethod(prodigy)
    hyperparameters = {
        "lr": (1.0, learning_rate),
        "betas": ((0.9, 0.999), betas),
        "beta3": (None, _optional_unit),
        "eps": (1e-8, positive),
        "weight_decay": (0.0, nonnegative),
        "use_bias_correction": (False, flag),
        "safeguard_warmup": (False, flag),
        "d0": (1e-6, positive),
        "d_coef": (1.0, positive),
        "growth_rate": (math.inf, _growth),
    }
    _default_decoupled = True
    _decay_in_rule = "all"  # coupled: the first pass's transforms; decoupled: the rule
    _starts_at_params = ("p0",)
    scalar_state = {"d": 0.0, "d_max": 0.0, "d_numerator": 0.0}  # d and d_max start at d0 (_init_from)
    State = state_type("ProdigyState", ("exp_avg", "exp_avg_sq", "s", "p0"),
                       "State of Prodigy: step count, m, v, the accumulator s and the starting point p0.")

    def _init_from(self, kind, leaves, runs):
        super()._init_from(kind, leaves, runs)
        d0 = self._hp["d0"]
        for k in ("d", "d_max"):  # both start at d0 (per run)
            now = self._sstate[k]
            self._sstate[k] = np.broadcast_to(d0, now.shape).astype(np.float64) if isinstance(now, np.ndarray) \
                else d0

    def _scalars(self, hp, t, lr, sstate):
        b1, b2 = hp["betas"]
        beta3 = hp["beta3"] if hp["beta3"] is not None else elementwise(math.sqrt, b2)
        if hp["use_bias_correction"]:
            bc = elementwise(lambda b1, b2, t: ((1 - b2 ** t) ** 0.5) / (1 - b1 ** t), b1, b2, t)
        else:
            bc = 1
        dlr = elementwise(lambda d, lr, bc: d * lr * bc, sstate["d"], lr, bc)
        self._pending = {"d": sstate["d"], "d_max": sstate["d_max"], "d_numerator": sstate["d_numerator"]}
        self._moments_done = False
        return {"lr": lr, "d": sstate["d"], "dlr": dlr, "d0": hp["d0"], "beta1": b1, "beta2": b2, "beta3": beta3,
                "safeguard_warmup": hp["safeguard_warmup"], "eps": hp["eps"], "d_coef": hp["d_coef"],
                "growth_rate": hp["growth_rate"], "numerator_before": sstate["d_numerator"],
                "d_max": sstate["d_max"]}, self._pending

    def _apply_fused(self, leaves, common, scalars):
        """The first pass over every parameter (the moments and D's sums), then D."""
        lead = self._leading()
        rows = leaves[0].p.shape[0] if lead and leaves else 1
        numerator, denom = np.zeros(rows), np.zeros(rows)
        for leaf in leaves:
            slot = self._slots[leaf.key]
            for r in range(rows):
                at = (lambda a: a[r]) if lead else (lambda a: a)
                c = {k: at_row(v, r) for k, v in common.items()}
                sc = {k: at_row(v, r) for k, v in scalars.items()}
                c["decoupled"] = False  # the decay is the second pass's
                pb, gb = prepare(np.array(at(leaf.p), dtype=np.float64), np.asarray(at(leaf.g), dtype=np.float64),
                                 **c)
                st = {n: np.asarray(at(slot.arrays[n]), dtype=np.float64) for n in self.state_names}
                m, v, s, num, den = prodigy_moments(pb, gb, st["exp_avg"], st["exp_avg_sq"], st["s"], st["p0"],
                                                    sc["d"], sc["dlr"], sc["d0"], sc["beta1"], sc["beta2"],
                                                    sc["beta3"], sc["safeguard_warmup"])
                for n, new in (("exp_avg", m), ("exp_avg_sq", v), ("s", s)):
                    if lead:
                        slot.arrays[n][r] = new
                    else:
                        slot.arrays[n][...] = new
                numerator[r] += num
                denom[r] += den
        d_next, d_max, total, self._zero = [], [], [], []
        for r in range(rows):
            sc = {k: at_row(v, r) for k, v in scalars.items()}
            tot = sc["numerator_before"] * sc["beta3"] + numerator[r]
            if denom[r] == 0:  # every gradient zero: no step (as prodigyopt)
                d_next.append(sc["d"]); d_max.append(sc["d_max"]); total.append(sc["numerator_before"])
                self._zero.append(True)
                continue
            dn, dm = _next_d(sc["d"], sc["d0"], sc["d_max"], tot, denom[r], sc["d_coef"], sc["growth_rate"])
            d_next.append(dn); d_max.append(dm); total.append(tot); self._zero.append(False)
        shape = lambda xs: np.array(xs) if lead else xs[0]
        self._pending.update(d=shape(d_next), d_max=shape(d_max), d_numerator=shape(total))
        scalars["d_next"] = np.array(d_next).reshape(-1, 1) if lead else d_next[0]
        self._moments_done = True
        return leaves

    def _leaf_scalars(self, dtype, scalars):
        if not self._moments_done:
            raise DescendError(f"{self.name}: nonfinite='skip' that skips only some runs is not supported "
                               f"(D's sums need every run's step); use nonfinite='raise'")
        dlr = scalars["dlr"]
        if any(self._zero):  # a run whose gradients were all zero takes no step
            dlr = np.where(np.array(self._zero).reshape(-1, 1), 0.0, dlr) if self._leading() else 0.0
        return {"dlr": dlr, "d_next": scalars["d_next"], "eps": scalars["eps"],
                "decoupled": self._hp["decoupled_weight_decay"]}
