"""The trace of a network's Hessian by Hutchinson's estimator.

For a random vector ``z`` with independent entries of mean 0 and variance 1,
``E[z^T H z] = tr H``.  With Rademacher entries (+1 or -1, each with probability 1/2) the
variance of one sample is the smallest of any such distribution,
``Var[z^T H z] = 2 (||H||_F^2 - sum_i H_ii^2)``; the mean of ``m`` samples has standard
error ``sqrt(Var / m)``, estimated here by the samples' standard deviation over ``sqrt(m)``.

Reference: M. F. Hutchinson, "A stochastic estimator of the trace of the influence matrix for
Laplacian smoothing splines", Commun. Statist. Simul. 18 (1989); PyHessian (Yao et al. 2020).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..errors import DescendError
from .hvp import HessianOperator

__all__ = ["trace", "hutchinson", "TraceResult"]


@dataclass
class TraceResult:
    """Hutchinson's estimate of ``tr H``.

    Attributes
    ----------
    value : float
        The mean of the samples ``z^T H z``.
    stderr : float
        Its standard error, ``std(samples, ddof=1) / sqrt(m)`` (the true trace lies within
        two of them about 95% of the time).
    samples : ndarray (m,)
    nhvp : int
    method, message : str
        How the products were computed.
    """

    value: float
    stderr: float
    samples: np.ndarray
    nhvp: int
    method: str
    message: str


def hutchinson(matvec, n: int, samples: int = 100, *, seed=0, dtype=np.float64) -> np.ndarray:
    """``m`` samples ``z^T H z`` with Rademacher ``z`` drawn from ``np.random.default_rng(seed)``."""
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) or samples < 2:
        raise DescendError(f"samples must be an integer >= 2 (a standard error needs two), got {samples!r}")
    rng = np.random.default_rng(seed)
    out = np.empty(samples)
    for i in range(samples):
        z = rng.choice(np.array([-1.0, 1.0], dtype=dtype), size=n)
        out[i] = z @ matvec(z)
    return out


def trace(model, loss, X, y, *, samples: int = 100, batch=None, seed=0) -> TraceResult:
    """Hutchinson's estimate of the trace of the Hessian of ``loss(model(X), y)``.

    Parameters
    ----------
    model, loss, X, y
        As :func:`descend.curvature.eigenvalues`.
    samples : int >= 2, default 100
        Rademacher vectors (one Hessian-vector product each).
    batch : None or int
        Every sample, or a fixed random subset of that many (drawn with ``seed``).
    seed : int
        The vectors and the batch.
    """
    op = HessianOperator(model, loss, X, y, batch=batch, seed=seed)
    values = hutchinson(op.matvec, op.n, samples, seed=seed)
    return TraceResult(float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values))), values, op.nhvp,
                       op.method, op.message)
