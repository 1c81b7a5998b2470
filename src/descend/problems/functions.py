"""The seeds' functions and the quadratics: poly1d, parabola, sphere, least_squares, quadratic,
ill_conditioned, elongated_bowl and the (unregistered) saddle."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DescendError, check_choice
from .formulas import Columns, Sum, numpy_only
from .parts import (box, check_bool, check_int, check_real, const_hessian, ellipse_box, real_array, tile_start,
                    window_of)
from .problem import Problem, readonly, register

__all__ = ["poly1d", "parabola", "sphere", "least_squares", "quadratic", "ill_conditioned", "elongated_bowl",
           "saddle"]


# --------------------------------------------------------------------------- the seeds' functions

# f and gradient of each problem, written once (descend.problems.formulas): NumPy runs them on a
# batch's columns, descend.jit.kernels compiles them for one row.

def _poly1d_f(x):
    return 0.01 * x * x + 0.1 * x


def _poly1d_grad(x):
    return (0.02 * x + 0.1,)


def _parabola_f(x):
    return x * x + 1.0


def _parabola_grad(x):
    return (2.0 * x,)


def _square(x):
    return x * x


def _sphere_grad(x):
    return 2.0 * x


def _elongated_bowl_f(x, y):
    return x * x / 20.0 + y * y


def _elongated_bowl_grad(x, y):
    return x / 10.0, 2.0 * y


POLY1D = Columns("poly1d", _poly1d_f, _poly1d_grad, dim=1)
PARABOLA = Columns("parabola", _parabola_f, _parabola_grad, dim=1)
SPHERE = Sum("sphere", [_square], _sphere_grad)
ELONGATED_BOWL = Columns("elongated_bowl", _elongated_bowl_f, _elongated_bowl_grad, dim=2)

_OPENBLAS = "its matrix products go through OpenBLAS, whose rounding depends on how many rows it multiplies"
for _name in ("least_squares", "quadratic", "ill_conditioned"):  # x @ A: no elementwise definition
    numpy_only(_name, _OPENBLAS)


@register
def poly1d() -> Problem:
    """f(x) = 0.01 x^2 + 0.1 x: ``function_1`` of seed 001 (after "Deep Learning from Scratch", ch. 4).

    Minimizer x* = -5, minimum -0.25.  The window (0, 20) is the seed's plot, where the
    tangent line at x0 = 5 is drawn; the minimizer lies to the left of it.
    """
    f, grad = POLY1D.numpy()
    return Problem("poly1d", f, grad, x0=[5.0], minimizers=[[-5.0]], minimum=-0.25,
                   window=((0.0, 20.0),), domain=[[-20.0, 20.0]],
                   description="f(x) = 0.01 x^2 + 0.1 x (seed 001 function_1)",
                   hessian=const_hessian(np.array([[0.02]])))


@register
def parabola() -> Problem:
    """f(x) = x^2 + 1: ``func1`` of seed 002; start -3, minimizer 0, minimum 1."""
    f, grad = PARABOLA.numpy()
    return Problem("parabola", f, grad, x0=[-3.0], minimizers=[[0.0]], minimum=1.0,
                   window=((-4.0, 4.0),), description="f(x) = x^2 + 1 (seed 002 func1)",
                   hessian=const_hessian(np.array([[2.0]])))


@register
def sphere(n: int = 2) -> Problem:
    """f(x) = sum_i x_i^2 in n dimensions: ``function_2`` of seed 001, ``func2`` of seed 002.

    Parameters
    ----------
    n : int >= 1
        Number of variables.

    The start is seed 001's (-3, 4) for n = 2, repeated or cut to length n otherwise;
    the 2-D window (-3.5, 3.5) x (-4.5, 4.5) is the seed's plot; (-5, 5)^n otherwise.
    """
    n = check_int("n", n, 1)

    f, grad = SPHERE.numpy()
    domain = np.array([[-3.5, 3.5], [-4.5, 4.5]]) if n == 2 else box(-5.0, 5.0, n)
    return Problem("sphere", f, grad, x0=tile_start(n), minimizers=np.zeros((1, n)), minimum=0.0,
                   window=window_of(domain), domain=domain,
                   description=f"f(x) = sum_i x_i^2, n={n} (seed 001 function_2)",
                   hessian=const_hessian(lambda: 2.0 * np.eye(n)), params={"n": n})


@register
def least_squares(A=None, b=None) -> Problem:
    """f(x) = |A x - b|^2 / 2, the linear least-squares objective of seed 001's line-search section.

    Parameters
    ----------
    A : array_like, shape (m, n), optional
        Finite real matrix; default the 2x2 identity (the seed's).
    b : array_like, shape (m,), optional
        Finite real vector; default all ones (the seed's b = (1, 1)).

    The gradient is A^T (A x - b) and the Hessian A^T A.  The minimizer is the
    least-squares solution (``numpy.linalg.lstsq``) when A has full column rank;
    otherwise the minimizers form an affine set, so none is listed, but the minimum
    (half the least residual) is still known.  The start is x* + 1 (all ones added),
    which is the seed's (2, 2) for the default A and b.
    """
    A = np.eye(2) if A is None else real_array("A", A, 2)
    m, n = A.shape
    b = np.ones(m) if b is None else real_array("b", b, 1)
    if b.shape != (m,):
        raise DescendError(f"b must have shape ({m},) to match A of shape {A.shape}, got shape {b.shape}")
    A, b = readonly(A), readonly(b)

    def f(x):
        r = x @ A.T - b
        return 0.5 * np.sum(r * r, axis=-1)

    def grad(x):
        return (x @ A.T - b) @ A

    xls, _, rank, _ = np.linalg.lstsq(A, b, rcond=None)
    r = A @ xls - b
    minimum = 0.5 * float(r @ r)
    x0 = xls + 1.0
    H = A.T @ A
    if rank == n:
        minimizers = xls[None, :]
        domain = ellipse_box(H, xls, x0)
    else:
        minimizers = np.empty((0, n))
        domain = np.stack([x0 - 2.0 * np.maximum(1.0, np.abs(x0)), x0 + 2.0 * np.maximum(1.0, np.abs(x0))], -1)
    return Problem("least_squares", f, grad, x0=x0, minimizers=minimizers, minimum=minimum,
                   window=window_of(domain), domain=domain,
                   description=f"f(x) = |A x - b|^2 / 2, A of shape {A.shape} (seed 001 line search)",
                   hessian=const_hessian(H), params={"A": A, "b": b})


# --------------------------------------------------------------------------- quadratics

_SHEWCHUK_A = np.array([[3.0, 2.0], [2.0, 6.0]])
_SHEWCHUK_B = np.array([2.0, -8.0])


@register
def quadratic(A=None, b=None, c: float = 0.0, x0=None) -> Problem:
    """f(x) = 1/2 x^T A x - b^T x + c for a symmetric matrix A.

    Parameters
    ----------
    A : array_like, shape (n, n), optional
        Finite, real, symmetric (to 1e-12 relative; it is then symmetrized exactly).
        Omitted: Shewchuk's example A = [[3, 2], [2, 6]] with b = (2, -8), start
        (-2, -2) and minimizer (2, -2) ("An Introduction to the Conjugate Gradient
        Method Without the Agonizing Pain", 1994).
    b : array_like, shape (n,), optional
        Default zeros when A is given.
    c : float
        Constant term.
    x0 : array_like, shape (n,), optional
        Start; default x* + 1 (all ones added) when A is positive definite, else all ones.

    The gradient is A x - b and the Hessian A.  When A is positive definite the
    unique minimizer is A^{-1} b and the minimum c - 1/2 b^T A^{-1} b; otherwise no
    minimizer is known (``minimizers`` is empty, ``minimum`` is nan).
    """
    shewchuk = A is None
    if shewchuk:
        A = _SHEWCHUK_A
        b = _SHEWCHUK_B if b is None else b
        x0 = [-2.0, -2.0] if x0 is None else x0
    A = real_array("A", A, 2)
    if A.shape[0] != A.shape[1]:
        raise DescendError(f"A must be square, got shape {A.shape}")
    n = A.shape[0]
    asym = float(np.max(np.abs(A - A.T)))
    if asym > 1e-12 * float(np.max(np.abs(A))):
        raise DescendError(f"A must be symmetric (1/2 x^T A x only sees (A + A^T)/2), "
                           f"got max |A - A^T| = {asym:.3g}")
    A = 0.5 * (A + A.T)
    b = np.zeros(n) if b is None else real_array("b", b, 1)
    if b.shape != (n,):
        raise DescendError(f"b must have shape ({n},) to match A of shape {A.shape}, got shape {b.shape}")
    c = check_real("c", c)
    A, b = readonly(A), readonly(b)

    def f(x):
        return 0.5 * np.sum(x * (x @ A), axis=-1) - x @ b + c

    def grad(x):
        return x @ A - b  # A is symmetric, so x @ A is (A x)^T row by row

    try:
        L = np.linalg.cholesky(A)  # succeeds exactly when A is (numerically) positive definite
    except np.linalg.LinAlgError:
        L = None
    if L is not None:
        xstar = np.linalg.solve(A, b)
        xstar = xstar + np.linalg.solve(A, b - A @ xstar)  # one step of iterative refinement
        minimizers, minimum = xstar[None, :], c - 0.5 * float(b @ xstar)
        x0 = xstar + 1.0 if x0 is None else x0
    else:
        minimizers, minimum = np.empty((0, n)), math.nan
        x0 = np.ones(n) if x0 is None else x0
    x0 = real_array("x0", x0, 1)
    if x0.shape != (n,):
        raise DescendError(f"x0 must have shape ({n},) to match A of shape {A.shape}, got shape {x0.shape}")
    if shewchuk:
        domain = np.array([[-4.0, 6.0], [-6.0, 4.0]])  # Shewchuk's figures
    elif L is not None:
        domain = ellipse_box(A, xstar, x0)
    else:
        half = 2.0 * np.maximum(1.0, np.abs(x0))
        domain = np.stack([x0 - half, x0 + half], axis=-1)
    return Problem("quadratic", f, grad, x0=x0, minimizers=minimizers, minimum=minimum,
                   window=window_of(domain), domain=domain,
                   description=f"f(x) = 1/2 x^T A x - b^T x + c, n={n}" + (" (Shewchuk 1994)" if shewchuk else ""),
                   hessian=const_hessian(A), params={"A": A, "b": b, "c": c})


@register
def ill_conditioned(kappa: float = 100.0, n: int = 2, rotate: bool = False, seed: int = 0,
                    spacing: str = "log") -> Problem:
    """f(x) = 1/2 x^T H x with eigenvalues of H spaced from 1 to kappa: condition number kappa.

    Parameters
    ----------
    kappa : float >= 1
        Condition number of the Hessian, ``descend.condition_number(H) == kappa``.
    n : int >= 2
        Number of variables.
    rotate : bool
        If True, H = Q diag(lambda) Q^T with a random orthogonal Q (seeded by ``seed``),
        so the valley is not aligned with the axes; otherwise H = diag(lambda).
    seed : int >= 0
        Seed of Q.
    spacing : {"log", "linear"}
        Eigenvalues ``geomspace(1, kappa, n)`` or ``linspace(1, kappa, n)``.

    The start x0 = Q (kappa / lambda) is the worst case for steepest descent with exact
    line search (Boyd and Vandenberghe, *Convex Optimization*, section 9.3.2: for n = 2,
    x0 = (kappa, 1) and the error shrinks by (kappa - 1)/(kappa + 1) per step).
    Minimizer 0, minimum 0.
    """
    kappa = check_real("kappa", kappa, lo=1.0)
    n = check_int("n", n, 2)
    rotate = check_bool("rotate", rotate)
    seed = check_int("seed", seed, 0)
    spacing = check_choice("spacing", spacing, ["log", "linear"])
    lam = np.geomspace(1.0, kappa, n) if spacing == "log" else np.linspace(1.0, kappa, n)
    lam[0], lam[-1] = 1.0, kappa  # exact ends, so the condition number is kappa to rounding
    if rotate:
        q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
        Q = q * np.sign(np.diag(r))  # sign fix: Q is Haar-distributed, independent of the QR convention
    else:
        Q = np.eye(n)
    H = (Q * lam) @ Q.T
    H = 0.5 * (H + H.T)  # exactly symmetric despite rounding in the product
    H = readonly(H)
    x0 = Q @ (kappa / lam)

    def f(x):
        return 0.5 * np.sum(x * (x @ H), axis=-1)

    def grad(x):
        return x @ H

    domain = ellipse_box(H, np.zeros(n), x0)
    return Problem("ill_conditioned", f, grad, x0=x0, minimizers=np.zeros((1, n)), minimum=0.0,
                   window=window_of(domain), domain=domain, log_levels=True,
                   description=f"f(x) = 1/2 x^T H x, eigenvalues of H from 1 to kappa={kappa:g} "
                               f"({spacing}), n={n}{', rotated' if rotate else ''}",
                   hessian=const_hessian(H),
                   params={"kappa": kappa, "n": n, "rotate": rotate, "seed": seed, "spacing": spacing})


@register
def elongated_bowl() -> Problem:
    """f(x, y) = x^2 / 20 + y^2: the optimizer comparison of "Deep Learning from Scratch" (section 6.1).

    Start (-7, 2), window (-10, 10) x (-5, 5), minimizer (0, 0), minimum 0.
    """
    f, grad = ELONGATED_BOWL.numpy()
    return Problem("elongated_bowl", f, grad, x0=[-7.0, 2.0], minimizers=[[0.0, 0.0]], minimum=0.0,
                   window=((-10.0, 10.0), (-5.0, 5.0)), description="f(x, y) = x^2/20 + y^2",
                   hessian=const_hessian(np.diag([0.1, 2.0])))


def saddle() -> Problem:
    """f(x, y) = x^2 - y^2: the saddle of Goodfellow et al. fig. 4.5, unbounded below.

    One critical point, the saddle (0, 0) (Hessian diag(2, -2)); no minimizer, so
    ``minimizers`` is empty and ``minimum`` nan.  Start (1.5, 0.05), just off the ridge
    y = 0: Newton's method jumps to the saddle in one step, gradient descent slides
    off it along y.  Built by ``problems.saddle()`` and not registered in :func:`get`:
    every registered problem has a minimum that the optimizers and benchmarks run to.
    """
    def f(x):
        return x[..., 0] * x[..., 0] - x[..., 1] * x[..., 1]

    def grad(x):
        return np.stack([2.0 * x[..., 0], -2.0 * x[..., 1]], axis=-1)

    return Problem("saddle", f, grad, x0=[1.5, 0.05], minimizers=np.empty((0, 2)), minimum=math.nan,
                   window=((-2.0, 2.0), (-2.0, 2.0)), description="f(x, y) = x^2 - y^2",
                   hessian=const_hessian(np.diag([2.0, -2.0])))


