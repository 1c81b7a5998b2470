"""The eigenvalue density of a network's Hessian by stochastic Lanczos quadrature.

The density ``phi(t) = (1/n) sum_i delta(t - lambda_i)`` is approximated, as in PyHessian, by
``m`` steps of Lanczos from a random unit vector ``v``: with ``T = S diag(theta) S^T`` the
tridiagonal matrix, the nodes ``theta_j`` and weights ``tau_j = S_{0j}^2`` form a Gauss
quadrature for ``v^T f(H) v = sum_i (v . u_i)^2 f(lambda_i)``, exact for every polynomial f of
degree < 2m.  Since ``E[(v . u_i)^2] = 1/n``, the mean over a few vectors of
``sum_j tau_j delta(t - theta_j)`` estimates ``phi``; drawn with Gaussians of width ``sigma``
it becomes a smooth curve.

Reference: Z. Yao, A. Gholami, K. Keutzer and M. W. Mahoney, "PyHessian: neural networks through
the lens of the Hessian", IEEE Big Data 2020; L. Lin, Y. Saad and C. Yang, "Approximating spectral
densities of large matrices", SIAM Review 58 (2016).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..errors import DescendError, check_positive
from .eigen import lanczos
from .hvp import HessianOperator

__all__ = ["density", "Density", "quadrature"]


@dataclass
class Density:
    """Stochastic Lanczos quadrature of a Hessian's spectrum.

    Attributes
    ----------
    nodes, weights : list of ndarray
        One quadrature per random vector: Ritz values and their weights (summing to 1).
    nhvp : int
    method, message : str
    """

    nodes: list
    weights: list
    nhvp: int
    method: str
    message: str

    def evaluate(self, grid=None, sigma=None):
        """``(grid, phi)``: the density drawn with Gaussians of width ``sigma`` on ``grid``.

        ``grid`` defaults to 1,000 points over the nodes' range widened by 5%;
        ``sigma`` to 1% of that range (PyHessian's ``sigma^2 = 1e-5`` of a normalised range is 0.3%).
        """
        lo = min(float(n.min()) for n in self.nodes)
        hi = max(float(n.max()) for n in self.nodes)
        pad = 0.05 * max(hi - lo, 1e-12)
        grid = np.linspace(lo - pad, hi + pad, 1000) if grid is None else np.asarray(grid, dtype=np.float64)
        sigma = 0.01 * (hi - lo + 2 * pad) if sigma is None else check_positive("sigma", sigma)
        phi = np.zeros_like(grid)
        for nodes, weights in zip(self.nodes, self.weights):
            gauss = np.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
            phi += gauss @ weights
        return grid, phi / len(self.nodes)


def quadrature(matvec, n: int, steps: int, v0):
    """Nodes and weights of one Lanczos quadrature of ``steps`` steps from ``v0``."""
    alpha, beta, _ = lanczos(matvec, v0, steps)
    T = np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1)
    theta, S = np.linalg.eigh(T)
    return theta, S[0] ** 2


def _count(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def density(model, loss, X, y, *, steps: int = 80, runs: int = 1, batch=None, seed=0) -> Density:
    """The Hessian's eigenvalue density by stochastic Lanczos quadrature (as PyHessian's ``density``).

    Parameters
    ----------
    model, loss, X, y
        As :func:`descend.curvature.eigenvalues`.
    steps : int >= 1, default 80
        Lanczos steps per vector (at most the number of parameters); PyHessian uses 100.
    runs : int >= 1, default 1
        Random vectors to average over.
    batch, seed
        The fixed batch and the seed of the vectors.
    """
    steps = _count("steps", steps, 1)
    runs = _count("runs", runs, 1)
    op = HessianOperator(model, loss, X, y, batch=batch, seed=seed)
    rng = np.random.default_rng(seed)
    nodes, weights = [], []
    for _ in range(runs):
        theta, tau = quadrature(op.matvec, op.n, min(steps, op.n), rng.standard_normal(op.n))
        nodes.append(theta)
        weights.append(tau)
    return Density(nodes, weights, op.nhvp, op.method, op.message)
