"""Numerically stable primitives: softmax, log-softmax, logsumexp, sigmoid, condition number.

Every function accepts any finite input (try +-1e308) without overflow, 0/0,
nan or warnings, and keeps float32 as float32 (integers become float64).
"""

from __future__ import annotations

import numpy as np

from .errors import DescendError, check_finite_array

__all__ = ["softmax", "log_softmax", "logsumexp", "sigmoid", "condition_number"]


def _as_float(x) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    if x.dtype.kind not in "f":
        raise DescendError(f"expected real numbers, got dtype {x.dtype}")
    return x


def _shifted(x: np.ndarray, axis) -> tuple[np.ndarray, np.ndarray]:
    """Return (x - max, max) along ``axis``; the max is kept finite so x - max never makes nan."""
    m = np.maximum.reduce(x, axis=axis, keepdims=True)  # np.max without its Python wrapper
    # An all -inf (or +inf) slice would give inf - inf = nan: shift by 0 there instead.
    finite = np.isfinite(m)
    if not finite.all():
        m = np.where(finite, m, np.zeros_like(m))
    # Subtracting the max makes every exponent <= 0, so exp cannot overflow; for
    # mixed +-1e308 the difference itself may round to -inf, whose exp is the correct 0.
    with np.errstate(over="ignore"):
        z = x - m
    return z, m


def softmax(x, axis=-1):
    """Softmax exp(x_i) / sum_j exp(x_j) along ``axis``, computed as softmax(x - max(x)).

    >>> softmax([1000.0, 1000.0]).tolist()
    [0.5, 0.5]
    """
    x = _as_float(x)
    z, _ = _shifted(x, axis)
    e = np.exp(z)  # every z <= 0: no overflow, and the max term is exactly 1, so the sum is >= 1 (no 0/0)
    return e / np.sum(e, axis=axis, keepdims=True)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) along ``axis`` (all axes when None), as max + log(sum(exp(x - max)))."""
    x = _as_float(x)
    z, m = _shifted(x, axis)
    s = np.sum(np.exp(z), axis=axis, keepdims=True)  # >= 1, so the log is finite
    with np.errstate(over="ignore"):  # max + log(n) may round up past 1.8e308: inf is the true answer
        out = m + np.log(s)
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    if out.ndim == 0:
        return out[()]
    return out


def log_softmax(x, axis=-1):
    """log(softmax(x)) computed as (x - max) - log(sum(exp(x - max))): never log(0)."""
    x = _as_float(x)
    z, _ = _shifted(x, axis)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), stable for any finite x.

    Uses e = exp(-|x|) <= 1, so nothing overflows: 1/(1+e) for x >= 0 and
    e/(1+e) for x < 0 (the two branches of the sign).
    """
    x = _as_float(x)
    e = np.exp(-np.abs(x))  # exponent <= 0: no overflow on either side
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
    if out.ndim == 0:
        return out[()]
    return out


def condition_number(A, p=None):
    """Condition number of a matrix: the ratio of its largest to smallest singular value.

    For a symmetric positive definite matrix (a quadratic's Hessian) this is
    max(eigenvalue) / min(eigenvalue): how much more the steepest direction curves
    than the flattest, and so how slowly plain gradient descent converges.
    A singular matrix gives ``inf``. ``p`` is passed to :func:`numpy.linalg.cond`
    for other norms.
    """
    A = check_finite_array("A", A, ndim=(2,))
    if p is not None:
        return float(np.linalg.cond(A, p))
    s = np.linalg.svd(A, compute_uv=False)
    if s[-1] == 0:
        return float("inf")
    return float(s[0] / s[-1])
