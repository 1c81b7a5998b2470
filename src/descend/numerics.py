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


def shift_by_max(x: np.ndarray, axis) -> tuple[np.ndarray, np.ndarray]:
    """Return (x - max, max) along ``axis``; the max is kept finite so x - max never makes nan."""
    return _shift_by(x, _max(x, axis))


def _max(x: np.ndarray, axis) -> np.ndarray:
    return np.maximum.reduce(x, axis=axis, keepdims=True)  # np.max without its Python wrapper


def _shift_by(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x - m, m) for the max m of each slice, m replaced by 0 where it is not finite."""
    # An all -inf (or +inf) slice would give inf - inf = nan: shift by 0 there instead.
    finite = np.isfinite(m)
    if not finite.all():
        m = np.where(finite, m, np.zeros_like(m))
    # Subtracting the max makes every exponent <= 0, so exp cannot overflow; for
    # mixed +-1e308 the difference itself may round to -inf, whose exp is the correct 0.
    with np.errstate(over="ignore"):
        z = x - m
    return z, m


def _check_axis(x: np.ndarray, axis, name: str, *, allow_none: bool) -> tuple[int, ...] | None:
    """The axes to reduce over, normalized; descend's message for a bad axis or an empty slice."""
    if axis is None and allow_none:
        axes = tuple(range(x.ndim))
    else:
        many = isinstance(axis, tuple) and allow_none
        items = axis if many else (axis,)
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in items):
            allowed = "an integer, a tuple of integers or None" if allow_none else "an integer"
            raise DescendError(f"{name}: axis must be {allowed}, got {axis!r}")
        bad = [int(a) for a in items if not -x.ndim <= a < x.ndim]
        if bad:
            raise DescendError(f"{name}: axis {bad[0]} is out of range for x of shape {x.shape} "
                               f"(allowed: {-x.ndim} to {x.ndim - 1})" if x.ndim else
                               f"{name}: axis {bad[0]} is out of range for x of shape () (x needs at "
                               f"least one dimension)")
        axes = tuple(sorted({int(a) % x.ndim for a in items}))
        if len(axes) != len(items):
            raise DescendError(f"{name}: axis must not repeat an axis, got {axis!r}")
    if any(x.shape[a] == 0 for a in axes) or (not axes and x.size == 0):
        raise DescendError(f"{name} needs at least one entry along axis {axis!r}, got x of shape {x.shape}")
    return axes


def _infinite_shares(x: np.ndarray, m: np.ndarray, axis):
    """For slices whose max m is +-inf: (where, shares), the entries equal to m sharing 1 equally.

    Only called when some max is not finite, so the common case pays nothing.
    """
    top = np.isinf(m)
    with np.errstate(invalid="ignore"):  # nan slices: nan/0, not used
        at_max = (x == m).astype(x.dtype)
        return top, at_max / np.sum(at_max, axis=axis, keepdims=True)


def softmax(x, axis=-1):
    """Softmax exp(x_i) / sum_j exp(x_j) along ``axis``, computed as softmax(x - max(x)).

    Limits, where a slice's max is infinite: the entries equal to it share the mass
    equally and the others get 0.  So +inf entries share it (the limit as they grow
    together) and a slice of all -inf is uniform (softmax(x + c) = softmax(x) for every
    c: the limit as equal entries fall together; no 0/0, no exception in a loss).  nan stays nan.

    >>> softmax([1000.0, 1000.0]).tolist()
    [0.5, 0.5]
    >>> softmax([np.inf, 1.0, np.inf]).tolist()
    [0.5, 0.0, 0.5]
    >>> softmax([-np.inf, -np.inf]).tolist()
    [0.5, 0.5]
    """
    x = _as_float(x)
    _check_axis(x, axis, "softmax", allow_none=False)
    raw = _max(x, axis)
    z, _ = _shift_by(x, raw)
    e = np.exp(z)  # every z <= 0: no overflow, and the max term is exactly 1, so the sum is >= 1 (no 0/0)
    if np.isfinite(raw).all():
        return e / np.sum(e, axis=axis, keepdims=True)
    top, share = _infinite_shares(x, raw, axis)
    with np.errstate(invalid="ignore"):  # inf/inf and 0/0 in the infinite slices, replaced just below
        out = e / np.sum(e, axis=axis, keepdims=True)
    return np.where(top, share, out)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) along ``axis`` (all axes when None), as max + log(sum(exp(x - max))).

    Limits: a slice holding +inf gives +inf; a slice of all -inf gives -inf (log 0).
    """
    x = _as_float(x)
    _check_axis(x, axis, "logsumexp", allow_none=True)
    z, m = shift_by_max(x, axis)
    s = np.sum(np.exp(z), axis=axis, keepdims=True)  # >= 1 for finite x, so the log is finite
    # max + log(n) may round up past 1.8e308: inf is the true answer; an all -inf slice
    # sums to 0 and log 0 = -inf is its true answer too
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        out = m + np.log(s)
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    if out.ndim == 0:
        return out[()]
    return out


def log_softmax(x, axis=-1):
    """log(softmax(x)) computed as (x - max) - log(sum(exp(x - max))): never log(0).

    Limits as :func:`softmax`: where a slice's max is infinite, the k entries equal to it
    give -log(k) and the others -inf (a slice of n entries all -inf: -log(n) each).
    """
    x = _as_float(x)
    _check_axis(x, axis, "log_softmax", allow_none=False)
    raw = _max(x, axis)
    z, _ = _shift_by(x, raw)
    if np.isfinite(raw).all():
        return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
    top, share = _infinite_shares(x, raw, axis)
    with np.errstate(invalid="ignore", divide="ignore"):  # inf - inf, log 0 in the infinite slices, replaced below
        out = z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
        share = np.log(share)
    return np.where(top, share, out)


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


#: The norms :func:`condition_number` accepts (those of :func:`numpy.linalg.cond`).
NORMS = (None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc")


def _is_norm(p) -> bool:
    if p is None:
        return True
    if isinstance(p, str):
        return p in ("fro", "nuc")
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        return False
    return p in (1, -1, 2, -2, np.inf, -np.inf)


def condition_number(A, p=None):
    """Condition number of a matrix: the ratio of its largest to smallest singular value.

    For a symmetric positive definite matrix (a quadratic's Hessian) this is
    max(eigenvalue) / min(eigenvalue): how much more the steepest direction curves
    than the flattest, and so how slowly plain gradient descent converges.
    A singular matrix gives ``inf``. ``p`` (one of :data:`NORMS`) is passed to
    :func:`numpy.linalg.cond` for other norms; all but None, 2 and -2 need a square
    matrix.  float16 (which LAPACK lacks) is computed in float32.
    """
    A = check_finite_array("A", A, ndim=(2,))
    if not _is_norm(p):
        raise DescendError(f"condition_number: p must be one of None, 1, -1, 2, -2, inf, -inf, 'fro', 'nuc'; "
                           f"got {p!r}")
    if A.dtype.kind in "biu":
        A = A.astype(np.float64)
    elif A.dtype == np.float16:
        A = A.astype(np.float32)  # LAPACK has no half precision
    if p not in (None, 2, -2) and A.shape[0] != A.shape[1]:
        raise DescendError(f"condition_number with p={p!r} needs a square matrix, got shape {A.shape} "
                           f"(p=None, 2 or -2 work for any shape: singular values)")
    if p is not None:
        with np.errstate(divide="ignore", invalid="ignore"):  # a singular matrix: inf, as documented
            value = float(np.linalg.cond(A, p))
        return float("inf") if np.isnan(value) else value
    s = np.linalg.svd(A, compute_uv=False)
    if s[-1] == 0:
        return float("inf")
    return float(s[0] / s[-1])
