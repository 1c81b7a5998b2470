"""Rprop: resilient backpropagation, a step size per weight driven by the gradient's sign."""

from __future__ import annotations

import numpy as np

from ..errors import DescendError
from .base import Optimizer, state_type
from .hyperparameters import as_number_or_runs, format_value, learning_rate

__all__ = ["Rprop", "rprop"]


def rprop(p, g, prev, step_size, etaminus, etaplus, step_size_min, step_size_max):
    """Rprop (torch's form, Riedmiller & Braun's Rprop- without weight backtracking)."""
    s = np.sign(g * prev)
    # s is -1, 0 or +1: the factor is picked by arithmetic on the comparisons (no branch,
    # so the same line runs on arrays and, compiled, on one element)
    factor = etaplus * (s > 0) + etaminus * (s < 0) + 1.0 * (s == 0)
    step_size = np.minimum(np.maximum(step_size * factor, step_size_min), step_size_max)
    g = g * (s >= 0)  # the sign flipped: skip this step and forget the gradient
    p = p - np.sign(g) * step_size
    return p, g, step_size


def _etas(name, value):
    """(etaminus, etaplus) with 0 < etaminus < 1 < etaplus, torch's own check."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise DescendError(f"{name} must be a pair (etaminus, etaplus) with 0 < etaminus < 1 < etaplus, "
                           f"got {value!r}")
    lo, hi = (as_number_or_runs(f"{name}[{i}]", v) for i, v in enumerate(value))
    a, b = np.asarray(lo), np.asarray(hi)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.all(a > 0) and np.all(a < 1)
            and np.all(b > 1)):
        raise DescendError(f"{name} must be a pair (etaminus, etaplus) with 0 < etaminus < 1 < etaplus, "
                           f"got ({format_value(lo)}, {format_value(hi)})")
    return lo, hi


def _step_sizes(name, value):
    """(step_size_min, step_size_max) with 0 <= min <= max."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise DescendError(f"{name} must be a pair (min, max) with 0 <= min <= max, got {value!r}")
    lo, hi = (as_number_or_runs(f"{name}[{i}]", v) for i, v in enumerate(value))
    a, b = np.asarray(lo), np.asarray(hi)
    if not (np.all(a >= 0) and np.all(a <= b) and np.all(np.isfinite(a)) and not np.any(np.isnan(b))):
        raise DescendError(f"{name} must be a pair (min, max) with 0 <= min <= max, got ({format_value(lo)}, {format_value(hi)})")
    return lo, hi


class Rprop(Optimizer):
    r"""Rprop, resilient backpropagation (torch: ``torch.optim.Rprop``).

    Each weight keeps its own step size :math:`\Delta` and moves by it against the
    sign of its gradient; the size grows while the sign holds and shrinks when it flips:

    .. math::

        s &= \operatorname{sign}(g\, g_{\text{prev}}) \\
        \Delta &\leftarrow \operatorname{clip}\big(\Delta \cdot
            \{\eta_+ \text{ if } s > 0,\ \eta_- \text{ if } s < 0,\ 1 \text{ if } s = 0\},
            \ \Delta_{\min}, \Delta_{\max}\big) \\
        g &\leftarrow 0 \text{ where } s < 0 \\
        p &\leftarrow p - \operatorname{sign}(g)\, \Delta, \qquad g_{\text{prev}} \leftarrow g

    :math:`\Delta` starts at ``lr``.  The magnitude of the gradient never enters, so
    Rprop is a full-batch method.  State (torch's names): ``prev``
    (:math:`g_{\text{prev}}`), ``step_size`` (:math:`\Delta`).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-2
        The initial step size (a schedule gives it at step 0 only: Rprop adapts its own).
    etas : (float, float), default (0.5, 1.2)
        :math:`(\eta_-, \eta_+)` with :math:`0 < \eta_- < 1 < \eta_+`.
    step_sizes : (float, float), default (1e-6, 50)
        :math:`(\Delta_{\min}, \Delta_{\max})`.
    weight_decay, decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer` (torch's
        Rprop has no weight decay; the default 0 is torch's rule).

    References
    ----------
    Riedmiller, M., Braun, H. (1993). A direct adaptive method for faster
    backpropagation learning: the RPROP algorithm. IEEE ICNN, 586-591.
    """

    name = "rprop"
    rule = staticmethod(rprop)
    hyperparameters = {
        "lr": (1e-2, learning_rate),
        "etas": ((0.5, 1.2), _etas),
        "step_sizes": ((1e-6, 50.0), _step_sizes),
    }
    State = state_type("RpropState", ("prev", "step_size"),
                       "State of Rprop: step count, the previous (masked) gradient and the step sizes.")

    def _state_init(self, name):
        return self._lr_at(0) if name == "step_size" else 0.0

    def _scalars(self, hp, t, lr, sstate):
        (etaminus, etaplus), (lo, hi) = hp["etas"], hp["step_sizes"]
        return {"etaminus": etaminus, "etaplus": etaplus, "step_size_min": lo, "step_size_max": hi}, {}
