"""Muon: momentum orthogonalized by Newton-Schulz, for the 2-D weights of hidden layers."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DescendError, check_choice
from .base import state_type
from .hyperparameters import flag, learning_rate, nonnegative, positive
from .tensorwise import TensorOptimizer, lerp

__all__ = ["Muon", "muon", "newton_schulz"]

#: torch's (and Keller Jordan's) quintic coefficients: the steepest slope at zero
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(G, coefficients, steps, eps):
    """An approximate orthogonalization U S' V^T of G = U S V^T (S' near 1), as torch's
    ``_zeropower_via_newtonschulz``: X <- a X + (b A + c A^2) X with A = X X^T."""
    a, b, c = coefficients
    tall = G.shape[0] > G.shape[1]
    X = G.T if tall else G  # iterate on the wide side: A is the smaller Gram matrix
    X = X / max(float(np.sqrt(np.sum(X * X))), eps)  # Frobenius norm 1: singular values <= 1
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * (A @ A)
        X = a * X + B @ X
    return X.T if tall else X


def _adjusted_ratio(shape, adjust_lr_fn):
    A, B = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * math.sqrt(max(A, B))  # Moonshot: the update's RMS matches AdamW's
    return math.sqrt(max(1, A / B))        # "original" (Keller Jordan's)


def muon(p, g, b, lr, momentum, nesterov, ns_coefficients, ns_steps, eps, adjust_lr_fn, ns_dtype):
    """Muon for one matrix: heavy-ball (or Nesterov) momentum, orthogonalized, scaled."""
    b = lerp(b, g, 1 - momentum)
    u = lerp(g, b, momentum) if nesterov else b
    o = newton_schulz(u.astype(ns_dtype), ns_coefficients, ns_steps, eps).astype(np.float64)
    p = p - lr * _adjusted_ratio(p.shape, adjust_lr_fn) * o
    return p, b


def _coefficients(name, value):
    if not isinstance(value, (tuple, list)) or len(value) != 3 or \
            not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                    and math.isfinite(v) for v in value):
        raise DescendError(f"{name} must be three finite numbers (a, b, c), got {value!r}")
    return tuple(float(v) for v in value)


def _ns_steps(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 100:
        raise DescendError(f"{name} must be an integer in [0, 100) (torch's limit), got {value!r}")
    return int(value)


def _adjust(name, value):
    return None if value is None else check_choice(name, value, ("original", "match_rms_adamw"))


class Muon(TensorOptimizer):
    r"""Muon, MomentUm Orthogonalized by Newton-Schulz (torch: ``torch.optim.Muon``).

    For a 2-D parameter :math:`W` (a hidden layer's weight matrix):

    .. math::

        B &\leftarrow \mu B + (1 - \mu)\, G \qquad
            \tilde B = (1 - \mu)\, G + \mu B \text{ (nesterov) or } B \\
        O &= \mathrm{NS}^{(a,b,c)}_k(\tilde B), \qquad
            X_0 = \tilde B / \max(\|\tilde B\|_F, \epsilon),\quad
            X \leftarrow aX + (bA + cA^2)X,\ A = XX^\top \\
        W &\leftarrow W (1 - \mathrm{lr}\,\lambda) - \mathrm{lr}\, \rho\, O,
            \qquad \rho = \sqrt{\max(1, A/B)}

    (:math:`W` is :math:`A \times B`; ``adjust_lr_fn="match_rms_adamw"`` uses
    :math:`\rho = 0.2\sqrt{\max(A, B)}`).  The quintic Newton-Schulz iteration drives
    every singular value of :math:`\tilde B` towards 1, so the step is (nearly) the
    orthogonal factor :math:`UV^\top` of the momentum: each direction of the matrix
    moves by the same amount.  The buffer is torch's ``lerp`` form
    (:math:`B_t = \mu B_{t-1} + (1 - \mu) G_t`, torch's numbers).

    Only 2-D parameters are taken (torch refuses the others at construction, here
    they are refused at the first step): give biases, gains and embeddings to another
    optimizer such as :class:`~descend.optim.AdamW`.  With ``runs=R`` each run's
    matrix (shape ``(R, A, B)``) is orthogonalized on its own.

    torch computes the Newton-Schulz iteration in bfloat16; descend computes it in the
    parameter's precision (float64 for float64 parameters, float32 for float32: its
    matrix products are the step's cost), the same iteration with less rounding (NumPy
    has no bfloat16).  The tests compare it with torch's own code run in float64 (to
    1e-12) and with torch as it ships (to bfloat16's accuracy); the rest of the step is
    float64, as every rule's.  State: ``momentum_buffer`` (B).

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 1e-3
    weight_decay : float >= 0, default 0.1
        Decoupled: :math:`W \leftarrow W(1 - \mathrm{lr}\,\lambda)`.
    momentum : float >= 0, default 0.95
    nesterov : bool, default True
    ns_coefficients : (float, float, float), default (3.4445, -4.7750, 2.0315)
    eps : float > 0, default 1e-7
    ns_steps : int in [0, 100), default 5
    adjust_lr_fn : {None, "original", "match_rms_adamw"}, default None ("original")
    decoupled_weight_decay, clip_value, clip_norm, nonfinite, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`
        (``fused`` has no effect: the rule needs whole matrices).

    References
    ----------
    Jordan, K., Jin, Y., Boza, V., You, J., Cesista, F., Newhouse, L., Bernstein, J.
    (2024). Muon: an optimizer for hidden layers in neural networks.
    https://kellerjordan.github.io/posts/muon/
    Liu, J., Su, J., Yao, X., et al. (2025). Muon is scalable for LLM training.
    arXiv:2502.16982 (``match_rms_adamw``).
    """

    name = "muon"
    rule = staticmethod(muon)
    hyperparameters = {
        "lr": (1e-3, learning_rate),
        "weight_decay": (0.1, nonnegative),
        "momentum": (0.95, nonnegative),
        "nesterov": (True, flag),
        "ns_coefficients": (NS_COEFFICIENTS, _coefficients),
        "eps": (1e-7, positive),
        "ns_steps": (5, _ns_steps),
        "adjust_lr_fn": (None, _adjust),
    }
    _default_decoupled = True
    State = state_type("MuonState", ("momentum_buffer",), "State of Muon: step count and the momentum buffer B.")

    def _check_shape(self, label, shape):
        if len(shape) != 2:
            raise DescendError(f"{self.name}: {label} has shape {shape}; Muon takes 2-D parameters only "
                               f"(as torch.optim.Muon): give the others to another optimizer such as AdamW")

    def _leaf_scalars(self, dtype, scalars):
        # the matrix products in the parameter's precision (at least float32)
        return {**scalars, "ns_dtype": np.result_type(dtype, np.float32)}

    def _scalars(self, hp, t, lr, sstate):
        return {"lr": lr, "momentum": hp["momentum"], "nesterov": hp["nesterov"],
                "ns_coefficients": hp["ns_coefficients"], "ns_steps": hp["ns_steps"], "eps": hp["eps"],
                "adjust_lr_fn": hp["adjust_lr_fn"]}, {}
