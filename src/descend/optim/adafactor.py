"""Adafactor: Adam's second moment in factored form (a row and a column factor per matrix)."""

from __future__ import annotations

import numpy as np

from ..errors import DescendError
from . import factored, fused
from .base import state_type
from .hyperparameters import as_number_or_runs, elementwise, format_value, learning_rate, nonnegative
from .tensorwise import TensorOptimizer, lerp

__all__ = ["Adafactor", "adafactor"]


def _norm(x):
    """The 2-norm of all of x: the sum of squares row by row, then over the rows, each
    in NumPy's pairwise order (no temporary the size of x; the compiled sweeps of
    :mod:`descend.optim.factored` add in the same order, so they give the same bits)."""
    return float(np.sqrt(np.sum(factored.row_sumsq(x))))


def adafactor(p, g, row_var, col_var, variance, lr, rho, beta2_t, eps1, eps2, d, decay, use_decay):
    """Adafactor for one array (torch's form): relative step size, factored second
    moment for 2-D and higher (over the last two axes), update clipping."""
    alpha = max(eps2, _norm(p) / p.size ** 0.5) * rho   # relative step: the parameter's own RMS
    if use_decay:
        p = p * decay                     # decay = 1 - lr * weight_decay
    g2 = g * g
    if g.ndim > 1:
        row_var = lerp(row_var, np.mean(g2, axis=-1, keepdims=True), beta2_t)
        col_var = lerp(col_var, np.mean(g2, axis=-2, keepdims=True), beta2_t)
        # the rank-1 estimate R C / mean(R) (Shazeer & Stern, eq. 8), R C an outer product
        v = row_var * (col_var / np.maximum(np.mean(row_var, axis=-2, keepdims=True), eps1))
    else:
        variance = lerp(variance, g2, beta2_t)
        v = variance
    # u = g / sqrt(max(v, eps1^2)), in place: v, g2 and u are each as large as the parameter
    u = np.maximum(v, eps1 * eps1, out=g2)
    u = np.divide(g, np.sqrt(u, out=u), out=u)
    denom = max(1.0, _norm(u) / (u.size ** 0.5 * d))  # clip the update's RMS at d
    p = p - np.multiply(u, alpha / denom, out=u)
    return p, row_var, col_var, variance


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _eps(name, value):
    """(eps1, eps2): eps1 None (the dtype's machine epsilon) or >= 0, eps2 >= 0."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise DescendError(f"{name} must be a pair (eps1, eps2), eps1 None or >= 0 and eps2 >= 0, got {value!r}")
    e1 = None if value[0] is None else nonnegative(f"{name}[0]", value[0])
    e2 = nonnegative(f"{name}[1]", value[1])
    return e1, e2


def _beta2_decay(name, value):
    v = as_number_or_runs(name, value)
    if not (np.all(np.isfinite(v)) and np.all(np.asarray(v) <= 0)):
        raise DescendError(f"{name} must be a finite number <= 0, got {format_value(v)}")
    return v


def _d(name, value):
    v = as_number_or_runs(name, value)
    if not (np.all(np.asarray(v) >= 1) and not np.any(np.isnan(v))):
        raise DescendError(f"{name} (the clipping threshold) must be >= 1, got {format_value(v)}")
    return v


class Adafactor(TensorOptimizer):
    r"""Adafactor (torch: ``torch.optim.Adafactor``).

    At step :math:`t`, with :math:`\hat\beta_{2t} = 1 - t^{c}` (:math:`c` =
    ``beta2_decay``, so the weight of the new gradient is :math:`t^{c}`),
    :math:`\rho_t = \min(\mathrm{lr}, 1/\sqrt t)` and the relative step
    :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(p))\,\rho_t`:

    .. math::

        R &\leftarrow \hat\beta_{2t} R + (1 - \hat\beta_{2t})\, \mathrm{mean}_{\text{cols}}(g^2), \qquad
        C \leftarrow \hat\beta_{2t} C + (1 - \hat\beta_{2t})\, \mathrm{mean}_{\text{rows}}(g^2) \\
        \hat V &= R\,C / \max(\mathrm{mean}(R), \epsilon_1) \qquad
            (\hat V \leftarrow \hat\beta_{2t}\hat V + (1 - \hat\beta_{2t})\, g^2 \text{ for a vector}) \\
        u &= g / \sqrt{\max(\hat V, \epsilon_1^2)}, \qquad
        p \leftarrow p - \frac{\alpha_t}{\max(1, \mathrm{RMS}(u)/d)}\, u

    A matrix keeps a row factor and a column factor (state ``row_var``, shape
    ``(..., m, 1)``, and ``col_var``, ``(..., 1, n)``: :math:`m + n` numbers instead
    of Adam's :math:`mn`); a vector or a scalar keeps ``variance``.  Arrays of 3 or
    more axes are factored over their last two.  No first moment.  ``weight_decay``
    is decoupled (:math:`p \leftarrow p(1 - \mathrm{lr}\,\lambda)` after
    :math:`\alpha_t` is taken), as torch's; ``decoupled_weight_decay=False`` makes it
    coupled L2 instead.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-2
        The ceiling of :math:`\rho_t`.
    beta2_decay : float <= 0, default -0.8
    eps : (float or None, float), default (None, 1e-3)
        :math:`(\epsilon_1, \epsilon_2)`; None is the parameter dtype's machine epsilon.
    d : float >= 1, default 1.0
        The clipping threshold of the update's RMS.
    weight_decay : float >= 0, default 0
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.
        ``fused`` (None: steps of at least 32768 elements) runs each float32/float64
        matrix through four compiled sweeps (:mod:`descend.optim.factored`), the
        rule's numbers bit for bit without its float64 temporaries.

    References
    ----------
    Shazeer, N., Stern, M. (2018). Adafactor: adaptive learning rates with sublinear
    memory cost. ICML.
    """

    name = "adafactor"
    rule = staticmethod(adafactor)
    hyperparameters = {
        "lr": (1e-2, learning_rate),
        "beta2_decay": (-0.8, _beta2_decay),
        "eps": ((None, 1e-3), _eps),
        "d": (1.0, _d),
        "weight_decay": (0.0, nonnegative),
    }
    _default_decoupled = True
    _decay_in_rule = "decoupled"
    State = state_type("AdafactorState", ("row_var", "col_var", "variance"),
                       "State of Adafactor: step count, row and column factors (2-D and up) or the "
                       "full second moment (vectors and scalars).")

    def _state_shapes(self, shape):
        if len(shape) < 2:
            return {"variance": shape}
        return {"row_var": shape[:-1] + (1,), "col_var": shape[:-2] + (1, shape[-1])}

    def _leaf_scalars(self, dtype, scalars):
        if scalars["eps1"] is None:
            return {**scalars, "eps1": float(np.finfo(dtype).eps)}
        return scalars

    def _apply_fused(self, leaves, common, scalars):
        """Step the matrices :mod:`descend.optim.factored`'s compiled sweeps can take (one
        float32/float64 C-contiguous matrix, hyperparameters plain numbers, no runs; with
        ``fused=None``, a step of at least FUSED_MIN_SIZE elements); the same bits as the
        rule.  The rest goes to the rule."""
        use = self._hp["fused"]
        mats = [leaf for leaf in leaves if leaf.p.ndim == 2 and leaf.p.size and leaf.p.dtype in _FLOATS
                and leaf.g.dtype in _FLOATS and leaf.p.flags.c_contiguous and leaf.g.flags.c_contiguous]
        if use is False or not mats or self._leading() or \
                (use is None and sum(leaf.p.size for leaf in leaves) < fused.FUSED_MIN_SIZE) or \
                any(isinstance(v, np.ndarray) for v in (*common.values(), *scalars.values())):
            return leaves
        sweeps = factored.kernels()
        if sweeps is None or not fused.can_launch():
            return leaves
        decoupled = bool(common["decoupled"])
        t = np.array([common["lr"], common["clip_value"], common["use_clip_value"], common["factor"],
                      common["use_factor"], common["weight_decay"], common["coupled"]], dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for leaf in mats:
                s = self._leaf_scalars(leaf.p.dtype, scalars)
                arrays = self._slots[leaf.key].arrays
                factored.step_matrix(sweeps, leaf.p, leaf.g, arrays["row_var"], arrays["col_var"], t,
                                     s["rho"], s["beta2_t"], s["eps1"], s["eps2"], s["d"],
                                     1 - common["lr"] * common["weight_decay"] if decoupled else 1.0, decoupled)
        return [leaf for leaf in leaves if not any(leaf is m for m in mats)]

    def _scalars(self, hp, t, lr, sstate):
        eps1, eps2 = hp["eps"]
        beta2_t = elementwise(lambda t, c: float(t) ** c, t, hp["beta2_decay"])
        rho = elementwise(lambda lr, t: min(lr, 1 / (float(t) ** 0.5)), lr, t)
        return {"lr": lr, "rho": rho, "beta2_t": beta2_t, "eps1": eps1, "eps2": eps2, "d": hp["d"]}, {}
