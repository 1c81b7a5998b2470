"""SOAP: Adam run in the eigenbasis of Shampoo's preconditioner."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DescendError
from .base import state_type
from .hyperparameters import betas, elementwise, flag, learning_rate, nonnegative
from .tensorwise import TensorOptimizer, lerp

__all__ = ["SOAP", "soap"]


def _project(x, Q, back=False):
    """x in the eigenbasis (Q^T x Q for a matrix), or back from it; an axis without a
    preconditioner (None) is left as it is.  Each tensordot contracts axis 0 and appends
    the result last, so after every axis the order is the original one."""
    for q in Q:
        x = np.moveaxis(x, 0, -1) if q is None else np.tensordot(x, q, axes=([0], [1 if back else 0]))
    return x


def _eigenbasis(GG):
    """Eigenvectors of each GG, largest eigenvalue first (as the reference's eigh + flip)."""
    return [None if m is None else np.flip(np.linalg.eigh(m + 1e-30 * np.eye(m.shape[0]))[1], axis=1) for m in GG]


def _refresh(GG, Q, v):
    """One power iteration and a QR per axis (the reference's get_orthogonal_matrix_qr),
    v's axes re-sorted with the estimated eigenvalues."""
    out = []
    for axis, (m, q) in enumerate(zip(GG, Q)):
        if m is None:
            out.append(None)
            continue
        mq = m @ q
        order = np.argsort(-np.sum(q * mq, axis=0), kind="stable")  # estimated eigenvalues, largest first
        v = np.take(v, order, axis=axis)
        out.append(np.linalg.qr(mq[:, order])[0])
    return out, v


def _outer(g, axis):
    """The Gram matrix of g along ``axis`` (g g^T for the rows of a matrix)."""
    rest = [i for i in range(g.ndim) if i != axis]
    return np.tensordot(g, g, axes=(rest, rest))


def soap(p, g, m, v, GG0, GG1, Q0, Q1, lr, step_size, beta1, beta2, shampoo_beta, eps, first, refresh,
         weight_decay):
    """SOAP for one array (pytorch-optimizer's form): Adam's moments, the second one in
    the eigenbasis Q of Shampoo's Gram matrices GG, which are updated after the step."""
    GG = [GG0] if g.ndim == 1 else [GG0, GG1][:g.ndim]  # one per axis (none for a scalar)
    Q = [Q0, Q1][:len(GG)]
    if not first:
        m = lerp(m, g, 1 - beta1)
        v = lerp(v, _project(g, Q) ** 2, 1 - beta2)
        step = _project(_project(m, Q) / (np.sqrt(v) + eps), Q, back=True)
        p = p + (-step_size) * step
        if weight_decay != 0:
            p = p * (1 - weight_decay * lr)
    axes = range(g.ndim) if g.ndim > 1 else [0]
    GG = [None if mat is None else lerp(mat, _outer(g, axis) if g.ndim > 1 else np.outer(g, g), 1 - shampoo_beta)
          for axis, mat in zip(axes, GG)]
    if first:
        Q = _eigenbasis(GG)
    elif refresh:
        Q, v = _refresh(GG, Q, v)
    GG, Q = GG + [None] * (2 - len(GG)), Q + [None] * (2 - len(Q))
    return p, m, v, GG[0], GG[1], Q[0], Q[1]


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DescendError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


class SOAP(TensorOptimizer):
    r"""SOAP, ShampoO with Adam in the Preconditioner's eigenbasis.

    For a matrix gradient :math:`G` Shampoo's two Gram matrices
    :math:`L \leftarrow \beta_s L + (1 - \beta_s)\, GG^\top` and
    :math:`R \leftarrow \beta_s R + (1 - \beta_s)\, G^\top G` give an eigenbasis
    :math:`Q_L, Q_R`; Adam runs there:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, G, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, (Q_L^\top G Q_R)^2 \\
        W &\leftarrow W - \mathrm{lr}\frac{\sqrt{1 - \beta_2^{t-1}}}{1 - \beta_1^{t-1}}\,
            Q_L \frac{Q_L^\top m Q_R}{\sqrt v + \epsilon} Q_R^\top,
            \quad\text{then } W \leftarrow W (1 - \mathrm{lr}\,\lambda)

    The first step only builds :math:`L, R` and their eigenvectors; every
    ``precondition_frequency`` steps the basis is refreshed by one power iteration and
    a QR decomposition (in float64 here; the reference does this QR in float32).
    Checked against the reference: a vector (plain Adam in SOAP's form) to 1e-12; a
    square matrix, whose Gram matrices are full rank, to 1e-7 (eigenvectors are
    determined to about eps / eigenvalue gap, and the two LAPACKs differ there).  Where
    a Gram matrix is rank-deficient (a non-square matrix, a vector with
    ``precondition_1d``) the basis of its null space is LAPACK's arbitrary choice and
    two correct implementations part at the percent level.
    An axis longer than ``max_precondition_dim`` (and a vector, unless
    ``precondition_1d``) keeps the plain basis: a vector gets Adam.  The numbers are
    pytorch-optimizer's ``SOAP`` with its defaults for the options not listed.
    Parameters of more than 2 axes are refused.  State: ``exp_avg``, ``exp_avg_sq``,
    ``GG0``, ``GG1`` (the Gram matrices), ``Q0``, ``Q1`` (their eigenbases), the ones an
    axis does not keep absent.

    Parameters
    ----------
    lr : float, array (one per run) or schedule, default 3e-3
    betas : (float, float), default (0.95, 0.95)
    shampoo_beta : float in [0, 1) or None, default None (beta2)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 1e-2
        Decoupled, after the step (``decoupled_weight_decay=False`` is refused).
    precondition_frequency : int >= 1, default 10
    max_precondition_dim : int >= 1, default 10000
    precondition_1d : bool, default False
    correct_bias : bool, default True
    clip_value, clip_norm, nonfinite, maximize, fused
        Shared by every optimizer: see :class:`~descend.optim.base.Optimizer`.

    References
    ----------
    Vyas, N., Morwani, D., Zhao, R., Kwun, M., Shapira, I., Brandfonbrener, D.,
    Janson, L., Kakade, S. (2025). SOAP: improving and stabilizing Shampoo using Adam.
    ICLR.
    """

    name = "soap"
    rule = staticmethod(soap)
    hyperparameters = {
        "lr": (3e-3, learning_rate),
        "betas": ((0.95, 0.95), betas),
        "shampoo_beta": (None, lambda n, v: None if v is None else nonnegative(n, v)),
        "eps": (1e-8, nonnegative),
        "weight_decay": (1e-2, nonnegative),
        "precondition_frequency": (10, _positive_int),
        "max_precondition_dim": (10000, _positive_int),
        "precondition_1d": (False, flag),
        "correct_bias": (True, flag),
    }
    _default_decoupled = True
    _decay_in_rule = "all"
    State = state_type("SOAPState", ("exp_avg", "exp_avg_sq", "GG0", "GG1", "Q0", "Q1"),
                       "State of SOAP: step count, m, v (in the eigenbasis), the Gram matrices and their bases.")

    def _check_combination(self, hp):
        if not hp["decoupled_weight_decay"]:
            raise DescendError("decoupled_weight_decay=False is not available: SOAP's weight decay is decoupled")

    def _check_shape(self, label, shape):
        if len(shape) > 2:
            raise DescendError(f"{self.name}: {label} has shape {shape}; SOAP here takes scalars, vectors and "
                               f"matrices")

    def _state_shapes(self, shape):
        out = {"exp_avg": shape, "exp_avg_sq": shape}
        dims = shape if len(shape) == 2 else shape if (len(shape) == 1 and self._hp["precondition_1d"]) else ()
        for i, d in enumerate(dims):
            if d <= self._hp["max_precondition_dim"]:
                out[f"GG{i}"] = out[f"Q{i}"] = (d, d)
        return out

    def _scalars(self, hp, t, lr, sstate):
        b1, b2 = hp["betas"]
        sb = hp["shampoo_beta"] if hp["shampoo_beta"] is not None else b2
        first = elementwise(lambda t: 1.0 if t == 1 else 0.0, t)
        if hp["correct_bias"]:
            step_size = elementwise(lambda lr, b1, b2, t: lr * (math.sqrt(1 - b2 ** (t - 1)) / (1 - b1 ** (t - 1)))
                                    if t > 1 else 0.0, lr, b1, b2, t)
        else:
            step_size = lr
        refresh = elementwise(lambda t, f: 1.0 if t > 1 and (t - 1) % f == 0 else 0.0, t,
                              hp["precondition_frequency"])
        return {"lr": lr, "step_size": step_size, "beta1": b1, "beta2": b2, "shampoo_beta": sb, "eps": hp["eps"],
                "first": first, "refresh": refresh}, {}
