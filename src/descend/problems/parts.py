"""What the factories of :mod:`descend.problems` are built from: argument checks, starts, boxes, Hessians."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..errors import DescendError, check_finite_array
from .problem import readonly


def check_int(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    if value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value}")
    return int(value)


def check_real(name: str, value, lo: float | None = None, positive: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if (not ok or not math.isfinite(value) or (lo is not None and value < lo)
            or (positive and value <= 0)):
        allowed = "a finite real number" + (f" >= {lo:g}" if lo is not None else "") + (" > 0" if positive else "")
        raise DescendError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise DescendError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def real_array(name: str, value, ndim: int) -> np.ndarray:
    arr = check_finite_array(name, value, ndim=(ndim,))
    if arr.dtype.kind == "c":
        raise DescendError(f"{name} must be real, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def tile_start(n: int, pattern=(-3.0, 4.0)) -> np.ndarray:
    """The seeds' start (-3, 4) repeated to length n: (-3,), (-3, 4), (-3, 4, -3), ..."""
    return np.resize(np.asarray(pattern, dtype=np.float64), n)


def box(lo: float, hi: float, n: int) -> np.ndarray:
    return np.tile([float(lo), float(hi)], (n, 1))


def window_of(domain: np.ndarray):
    """The plotting window for 1-D and 2-D problems (None beyond)."""
    return tuple((float(lo), float(hi)) for lo, hi in domain) if domain.shape[0] <= 2 else None


def ellipse_box(H: np.ndarray, xstar: np.ndarray, x0: np.ndarray, margin: float = 1.25) -> np.ndarray:
    """Box around the level set {f <= f(x0)} of a quadratic with SPD Hessian H and minimizer xstar.

    That set is an ellipse; its half-width along coordinate j is
    sqrt(2 (f(x0) - f*) (H^-1)_jj), widened by ``margin`` (and at least 1).
    """
    d = x0 - xstar
    excess = 0.5 * d @ H @ d  # f(x0) - f*, computed without cancellation
    half = margin * np.sqrt(2.0 * excess * np.diag(np.linalg.inv(H)))
    half = np.where(half > 0, half, 1.0)
    return np.stack([xstar - half, xstar + half], axis=-1)


def const_hessian(H) -> Callable:
    """The Hessian of a quadratic: the matrix ``H``, or a function that builds it.

    A builder (``lambda: 2.0 * np.eye(n)``) runs at the first call and its matrix is kept:
    a problem of 20000 variables costs nothing until someone asks for its 3.2 GB Hessian.
    """
    built = [None if callable(H) else readonly(H)]

    def hessian(x):
        if built[0] is None:
            built[0] = readonly(H())
        M = built[0]
        return np.array(np.broadcast_to(M, x.shape[:-1] + M.shape))  # a fresh (writable) copy per call
    return hessian


def diag_hessian(d: np.ndarray) -> np.ndarray:
    """(..., n) diagonal -> (..., n, n) matrix."""
    n = d.shape[-1]
    return d[..., :, None] * np.eye(n)


def newton(grad: Callable, hess: Callable, x, steps: int = 8) -> np.ndarray:
    """Polish a literature minimizer with a few Newton steps, to full float64 precision."""
    x = np.array(x, dtype=np.float64)
    for _ in range(steps):
        x = x - np.linalg.solve(hess(x), grad(x))
    return x

