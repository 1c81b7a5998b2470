"""The top eigenvalues and eigenvectors of a network's Hessian: Lanczos over Hessian-vector products.

Lanczos builds an orthonormal basis ``Q`` of the Krylov space ``span(v, H v, H^2 v, ...)`` in
which ``Q^T H Q = T`` is tridiagonal::

    w = H q_j - beta_{j-1} q_{j-1}        alpha_j = q_j . w        w = w - alpha_j q_j
    w = w - Q (Q^T w), twice              beta_j = ||w||           q_{j+1} = w / beta_j

(the two passes of classical Gram-Schmidt against every earlier ``q`` keep ``Q`` orthonormal in
floating point, which plain Lanczos does not: full reorthogonalisation, affordable for the few
dozen steps the top eigenvalues need).  The eigenvalues ``theta`` of ``T`` (Ritz values)
approach the extreme eigenvalues of ``H`` first; the Ritz vector ``y = Q s`` has the residual
``||H y - theta y|| = beta_j |s_j|``, so some eigenvalue of ``H`` lies within that distance of
``theta``: the run stops when it is below ``tol * |theta|`` for each of the ``k`` wanted.

That test says that *an* eigenvalue is near ``theta``, not that it is the top one: where the start
barely touches the top eigenvector, the first few steps see only the ones below it, and the second
eigenvalue can meet the test before the top one shows (moons, an 8-8 tanh MLP after 450 updates of
gd at lr 0.5, seed 1: the start's component along the top eigenvector is 6e-6; at ``tol=1e-3`` the
4th step stopped on the second eigenvalue, 1.179; the top showed from the 5th on, 1.75 then 2.065).
So the test starts after :data:`MIN_STEPS` steps (fewer only where ``n`` is smaller), as ARPACK
builds ``ncv`` (at least 20) vectors before its first test, at half ARPACK's cost (measured at
``tol=1e-3`` over 267 small networks, each from a start whose component along the top eigenvector
was set to 1e-4: testing from step 1 on stopped on another eigenvalue 29 times, from step 8 on 3
times, from step 10 on never; at 1e-6, 130, 41 and 9 times, and from step 20 on never).  A random
start's component is about ``1 / sqrt(n)``, rarely far below it.

Reference: G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., sections 10.1-10.3.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..errors import DescendError, check_choice, check_positive
from .hvp import HessianOperator

__all__ = ["lanczos", "top_eigen", "eigenvalues", "sharpness", "EigenResult", "check_k", "MIN_STEPS"]

#: Lanczos steps before the first convergence test (all ``n`` where fewer): the residual test alone
#: can stop on the second eigenvalue while the top one has not shown yet (see the module docstring)
MIN_STEPS = 10


def check_k(k, n: int) -> int:
    """``k`` must be an integer in [1, n] (n: the number of parameters)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise DescendError(f"k must be an integer >= 1, got {k!r}")
    if k > n:
        raise DescendError(f"k must be at most the number of parameters ({n}), got {k}")
    return int(k)


def lanczos(matvec, v0, steps: int, *, stop=None):
    """Lanczos with full reorthogonalisation from ``v0``: ``(alpha, beta, Q)``.

    Parameters
    ----------
    matvec : callable
        ``matvec(q) -> H q`` for a symmetric ``H``.
    v0 : ndarray (n,)
        The start (not zero; normalised here).
    steps : int
        At most this many steps (fewer where the Krylov space closes: ``beta`` ~ 0).
    stop : callable, optional
        ``stop(alpha, beta) -> bool`` after each step (the lists so far); True ends the run.

    Returns
    -------
    alpha : ndarray (m,)
        The diagonal of T.
    beta : ndarray (m,)
        Its off-diagonal (``beta[:-1]``) and the last residual norm ``beta[-1]``.
    Q : ndarray (m, n)
        The orthonormal Lanczos vectors, one per row.
    """
    n = v0.shape[0]
    Q = np.empty((min(steps, n), n), dtype=v0.dtype)
    q = v0 / np.linalg.norm(v0)
    alpha, beta = [], []
    for j in range(Q.shape[0]):
        Q[j] = q
        w = matvec(q)
        alpha.append(float(q @ w))
        w = w - alpha[-1] * q - (beta[-1] * Q[j - 1] if j else 0)
        for _ in range(2):  # twice is enough (Kahan, Parlett): Q stays orthonormal to rounding
            w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
        beta.append(float(np.linalg.norm(w)))
        # the space closed: T's eigenvalues are exactly some of H's
        if beta[-1] <= 1e-12 * max(abs(a) for a in alpha) or (stop is not None and stop(alpha, beta)):
            return np.array(alpha), np.array(beta), Q[:j + 1]
        q = w / beta[-1]
    return np.array(alpha), np.array(beta), Q


def _ritz(alpha, beta):
    """Eigenvalues and eigenvectors of the tridiagonal T (ascending)."""
    T = np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1)
    return np.linalg.eigh(T)


def _wanted(theta, k: int, which: str) -> np.ndarray:
    """Indices of the k wanted Ritz values, largest first ("LA") or by magnitude ("LM")."""
    order = np.argsort(-theta) if which == "LA" else np.argsort(-np.abs(theta))
    return order[:k]


@dataclass
class EigenResult:
    """Top eigenpairs of a Hessian.

    Attributes
    ----------
    eigenvalues : ndarray (k,)
        Largest first (by value, or by magnitude with ``which="LM"``).
    eigenvectors : ndarray (k, n)
        Unit vectors, one per row, flat in the order of ``model.params``
        (``operator.unflatten(v)`` gives the dict).
    residuals : ndarray (k,)
        ``||H y - theta y||``: an eigenvalue of H lies within it of each value.
    converged : bool
        Every residual <= ``tol * |eigenvalue|``.
    nhvp : int
        Hessian-vector products used.
    method, message : str
        How the products were computed (:class:`~descend.curvature.HessianOperator`).
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    residuals: np.ndarray
    converged: bool
    nhvp: int
    method: str
    message: str


def top_eigen(matvec, n: int, k: int = 1, *, tol: float = 1e-4, max_iter=None, seed=0, which: str = "LA",
              dtype=np.float64, start=None):
    """The ``k`` top eigenpairs of a symmetric operator of size ``n``: ``(values, vectors, residuals, converged)``.

    The Lanczos start is ``start`` (e.g. the top eigenvector of a nearby operator: a warm start
    along a training run) plus a standard normal vector from ``np.random.default_rng(seed)``
    scaled by 1e-3 (so no eigenvector is missing from it).  ``max_iter`` (default
    ``min(n, max(60, 20 k))``) bounds the steps; convergence is tested from step
    ``max(k, MIN_STEPS)`` on (every step where ``n`` is smaller: the space closes first).
    """
    k = check_k(k, n)
    check_positive("tol", tol)
    which = check_choice("which", which, ("LA", "LM"))
    steps = min(n, max(60, 20 * k)) if max_iter is None else max_iter
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < k:
        raise DescendError(f"max_iter must be an integer >= k ({k}), got {max_iter!r}")

    first = max(k, MIN_STEPS)  # no test before: the top eigenvalues may not have shown yet

    def stop(alpha, beta):
        if len(alpha) < first:
            return False
        theta, S = _ritz(np.array(alpha), np.array(beta))
        idx = _wanted(theta, k, which)
        return bool(np.all(beta[-1] * np.abs(S[-1, idx]) <= tol * np.abs(theta[idx])))

    v0 = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    if start is not None:
        start = np.asarray(start, dtype=dtype)
        if start.shape != (n,) or not np.isfinite(start).all() or not start.any():
            raise DescendError(f"start must be a finite non-zero vector of {n} numbers, got shape {start.shape}")
        v0 = start / np.linalg.norm(start) + 1e-3 * v0 / np.linalg.norm(v0)
    alpha, beta, Q = lanczos(matvec, v0, steps, stop=stop)
    theta, S = _ritz(alpha, beta)
    idx = _wanted(theta, min(k, len(theta)), which)
    residuals = beta[-1] * np.abs(S[-1, idx])
    converged = len(idx) == k and bool(np.all(residuals <= tol * np.abs(theta[idx])))
    return theta[idx], (Q.T @ S[:, idx]).T, residuals, converged


def eigenvalues(model, loss, X, y, k: int = 1, *, tol: float = 1e-4, max_iter=None, batch=None, seed=0,
                which: str = "LA") -> EigenResult:
    """The ``k`` largest eigenvalues (and eigenvectors) of the Hessian of ``loss(model(X), y)``.

    Parameters
    ----------
    model : descend.nn.Sequential
        Not changed.
    loss : descend.nn.Loss or str
    X, y : array_like
    k : int in [1, model.n_params]
    tol : float > 0, default 1e-4
        Stop when each residual ``||H y - theta y||`` is below ``tol * |theta|``: every value
        returned is then within ``tol`` (relative) of an eigenvalue of H.
    max_iter : int, optional
        At most this many Lanczos steps (one product each).
    batch : None or int
        Every sample, or a fixed random subset of ``batch`` samples (drawn with ``seed``).
    seed : int
        The Lanczos start and the batch.
    which : {"LA", "LM"}
        Largest value (the sharpness, default) or largest magnitude.

    Returns
    -------
    EigenResult

    Examples
    --------
    >>> import numpy as np
    >>> from descend import nn
    >>> model = nn.mlp([2, 4, 1], activation="tanh", rng=0)
    >>> X = np.random.default_rng(0).standard_normal((16, 2)); y = X[:, 0] * X[:, 1]
    >>> out = eigenvalues(model, "mse", X, y, k=2)
    >>> bool(out.eigenvalues[0] >= out.eigenvalues[1]), out.converged
    (True, True)
    """
    op = HessianOperator(model, loss, X, y, batch=batch, seed=seed)
    values, vectors, residuals, converged = top_eigen(op.matvec, op.n, k, tol=tol, max_iter=max_iter, seed=seed,
                                                      which=which)
    return EigenResult(values, vectors, residuals, converged, op.nhvp, op.method, op.message)


def sharpness(model, loss, X, y, *, tol: float = 1e-4, batch=None, seed=0) -> float:
    """The largest eigenvalue of the Hessian of the loss: the sharpness of Cohen et al. (2021).

    Gradient descent with learning rate ``lr`` is stable on the quadratic model of the loss
    only while ``sharpness < 2 / lr``.  See :func:`eigenvalues` for the parameters.
    """
    return float(eigenvalues(model, loss, X, y, k=1, tol=tol, batch=batch, seed=seed).eigenvalues[0])
