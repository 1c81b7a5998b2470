"""The classic benchmark landscapes: rosenbrock, beale, himmelblau, booth, matyas, the camels,
goldstein_price, rastrigin, ackley and styblinski_tang (references in :mod:`descend.problems`)."""

from __future__ import annotations

import functools
import math

import numpy as np

from .formulas import Chain, Columns, Sum, exp, expm1, where
from .parts import box, check_int, check_real, const_hessian, diag_hessian, newton, tile_start, window_of
from .problem import Problem, readonly, register

__all__ = ["rosenbrock", "beale", "himmelblau", "booth", "matyas", "three_hump_camel", "six_hump_camel",
           "goldstein_price", "rastrigin", "ackley", "styblinski_tang"]


# f and gradient of each problem, written once (descend.problems.formulas): NumPy runs them on a
# batch's columns, descend.jit.kernels compiles them for one row.

def _rosenbrock_term(xi, xn, a, b):
    t = xn - xi * xi
    u = a - xi
    return b * t * t + u * u


def _rosenbrock_grad_pair(xi, xn, a, b):
    t = xn - xi * xi
    return -4.0 * b * xi * t - 2.0 * (a - xi), 2.0 * b * t


def _beale_residuals(x, y):
    return 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y * y * y


def _beale_f(x, y):
    r1, r2, r3 = _beale_residuals(x, y)
    return r1 * r1 + r2 * r2 + r3 * r3


def _beale_grad(x, y):
    r1, r2, r3 = _beale_residuals(x, y)
    return (2.0 * (r1 * (y - 1.0) + r2 * (y * y - 1.0) + r3 * (y * y * y - 1.0)),
            2.0 * x * (r1 + 2.0 * r2 * y + 3.0 * r3 * y * y))


def _himmelblau_f(x, y):
    r1, r2 = x * x + y - 11.0, x + y * y - 7.0
    return r1 * r1 + r2 * r2


def _himmelblau_grad(x, y):
    r1, r2 = x * x + y - 11.0, x + y * y - 7.0
    return 4.0 * x * r1 + 2.0 * r2, 2.0 * r1 + 4.0 * y * r2


def _booth_f(x, y):
    r1, r2 = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
    return r1 * r1 + r2 * r2


def _booth_grad(x, y):
    r1, r2 = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
    return 2.0 * r1 + 4.0 * r2, 4.0 * r1 + 2.0 * r2


def _matyas_f(x, y):
    return 0.26 * (x * x + y * y) - 0.48 * x * y


def _matyas_grad(x, y):
    return 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


def _three_hump_camel_f(x, y):
    x2 = x * x
    return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y


def _three_hump_camel_grad(x, y):
    x2 = x * x
    return 4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2.0 * y


def _six_hump_camel_f(x, y):
    x2, y2 = x * x, y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def _six_hump_camel_grad(x, y):
    x2 = x * x
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y


def _goldstein_price_parts(x, y):
    u, v = x + y + 1.0, 2.0 * x - 3.0 * y
    P = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    Q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    return u, v, P, Q


def _goldstein_price_f(x, y):
    u, v, P, Q = _goldstein_price_parts(x, y)
    return (1.0 + u * u * P) * (30.0 + v * v * Q)


def _goldstein_price_grad(x, y):
    u, v, P, Q = _goldstein_price_parts(x, y)
    F, G = 1.0 + u * u * P, 30.0 + v * v * Q
    Fx = 2.0 * u * P + u * u * (-14.0 + 6.0 * x + 6.0 * y)  # dP/dx = dP/dy and du/dx = du/dy,
    Fy = Fx                                                 # so F_x = F_y
    Gx = 4.0 * v * Q + v * v * (-32.0 + 24.0 * x - 36.0 * y)
    Gy = -6.0 * v * Q + v * v * (48.0 - 36.0 * x + 54.0 * y)
    return Fx * G + F * Gx, Fy * G + F * Gy


def _rastrigin_term(x):
    s = np.sin(np.pi * x)
    return x * x + 20.0 * s * s  # 10 (1 - cos 2 pi x) = 20 sin^2(pi x), no cancellation


def _rastrigin_grad(x):
    return 2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x)


def _square(x):
    return x * x


def _ackley_waves_term(x):
    s = np.sin(np.pi * x)
    return 2.0 * s * s  # 1 - cos(2 pi x), without cancellation


def _ackley_outer(q, m, n):
    # -20 expm1(-0.2 r) - e expm1(-(1 - mean cos)), r = sqrt(mean x^2): exactly 0 at the minimizer
    return -20.0 * expm1(-0.2 * np.sqrt(q / n)) - np.e * expm1(-(m / n))


def _ackley_cos_term(x):
    return np.cos(2.0 * np.pi * x)


def _ackley_grad_scalars(q, c, n):
    r = np.sqrt(q / n)
    safe_r = where(r == 0, 1.0, r)  # at r = 0 every x_i = 0, so the cone term is 0 / 1 = 0
    return 4.0 * exp(-0.2 * r) / (n * safe_r), exp(c / n) * 2.0 * np.pi / n


def _ackley_grad(x, cone, waves):
    return cone * x + waves * np.sin(2.0 * np.pi * x)


def _styblinski_tang_term(x):
    x2 = x * x
    return x2 * x2 - 16.0 * x2 + 5.0 * x


def _half(s, n):
    return 0.5 * s


def _styblinski_tang_grad(x):
    return 2.0 * x * x * x - 16.0 * x + 2.5


ROSENBROCK = Chain("rosenbrock", _rosenbrock_term, _rosenbrock_grad_pair, params=("a", "b"))
BEALE = Columns("beale", _beale_f, _beale_grad, dim=2)
HIMMELBLAU = Columns("himmelblau", _himmelblau_f, _himmelblau_grad, dim=2)
BOOTH = Columns("booth", _booth_f, _booth_grad, dim=2)
MATYAS = Columns("matyas", _matyas_f, _matyas_grad, dim=2)
THREE_HUMP_CAMEL = Columns("three_hump_camel", _three_hump_camel_f, _three_hump_camel_grad, dim=2)
SIX_HUMP_CAMEL = Columns("six_hump_camel", _six_hump_camel_f, _six_hump_camel_grad, dim=2)
GOLDSTEIN_PRICE = Columns("goldstein_price", _goldstein_price_f, _goldstein_price_grad, dim=2)
RASTRIGIN = Sum("rastrigin", [_rastrigin_term], _rastrigin_grad)
ACKLEY = Sum("ackley", [_square, _ackley_waves_term], _ackley_grad, outer=_ackley_outer,
             grad_terms=[_square, _ackley_cos_term], grad_scalars=_ackley_grad_scalars)
STYBLINSKI_TANG = Sum("styblinski_tang", [_styblinski_tang_term], _styblinski_tang_grad, outer=_half)

_six_hump_f, _six_hump_grad = SIX_HUMP_CAMEL.numpy()  # the batch functions; Newton polishes the minimizers with them


# --------------------------------------------------------------------------- classic benchmarks

@register
def rosenbrock(n: int = 2, a: float = 1.0, b: float = 100.0) -> Problem:
    """f(x) = sum_{i<n-1} b (x_{i+1} - x_i^2)^2 + (a - x_i)^2, the banana valley (Rosenbrock 1960).

    Parameters
    ----------
    n : int >= 2
    a : float
        Finite.
    b : float > 0

    Start (-1.2, 1) (Rosenbrock's), repeated for n > 2; window (-2, 2) x (-1, 3).
    The minimizer is (a, a^2) for n = 2 and (a, ..., a) for n > 2 when a is 0 or 1
    (for other a and n > 2 it has no closed form and none is listed); minimum 0.
    """
    n = check_int("n", n, 2)
    a = check_real("a", a)
    b = check_real("b", b, positive=True)

    f, grad = ROSENBROCK.numpy(a, b)

    def hessian(x):
        xi, xn = x[..., :-1], x[..., 1:]
        zero = np.zeros_like(x[..., :1])
        diag = (np.concatenate([2.0 + 12.0 * b * xi * xi - 4.0 * b * xn, zero], axis=-1)
                + np.concatenate([zero, 2.0 * b + 0.0 * xn], axis=-1))
        H = diag_hessian(diag)
        k = np.arange(n - 1)
        H[..., k, k + 1] = -4.0 * b * xi
        H[..., k + 1, k] = -4.0 * b * xi
        return H

    if n == 2:
        minimizers = [[a, a * a]]
    elif a in (0.0, 1.0):
        minimizers = [[a] * n]
    else:
        minimizers = np.empty((0, n))
    minimum = 0.0 if len(minimizers) else math.nan
    return Problem("rosenbrock", f, grad, x0=tile_start(n, (-1.2, 1.0)), minimizers=minimizers,
                   minimum=minimum, window=((-2.0, 2.0), (-1.0, 3.0)) if n == 2 else None,
                   domain=box(-2.0, 2.0, n) if n > 2 else None, log_levels=True,
                   description=f"f(x) = sum_i b (x_(i+1) - x_i^2)^2 + (a - x_i)^2, n={n}, a={a:g}, b={b:g}",
                   hessian=hessian, params={"n": n, "a": a, "b": b})


@register
def beale() -> Problem:
    """f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2 (Beale 1958).

    Minimizer (3, 0.5), minimum 0; start (1, 1) (Moré, Garbow and Hillstrom 1981);
    window (-4.5, 4.5)^2.
    """
    f, grad = BEALE.numpy()

    def hessian(x):
        # H = 2 sum_i (grad r_i grad r_i' + r_i hess r_i), a least-squares Hessian.
        x_, y = x[..., 0], x[..., 1]
        r1, r2, r3 = _beale_residuals(x_, y)
        y2 = y * y
        a1, a2, a3 = y - 1.0, y2 - 1.0, y2 * y - 1.0
        hxx = 2.0 * (a1 * a1 + a2 * a2 + a3 * a3)
        hxy = 2.0 * (a1 * x_ + r1 + 2.0 * a2 * x_ * y + 2.0 * y * r2 + 3.0 * a3 * x_ * y2 + 3.0 * y2 * r3)
        hyy = 2.0 * (x_ * x_ * (1.0 + 4.0 * y2 + 9.0 * y2 * y2) + 2.0 * x_ * r2 + 6.0 * x_ * y * r3)
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    return Problem("beale", f, grad, x0=[1.0, 1.0], minimizers=[[3.0, 0.5]], minimum=0.0,
                   window=((-4.5, 4.5), (-4.5, 4.5)), log_levels=True,
                   description="f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
                   hessian=hessian)


# Himmelblau's four zeros of the residuals, to the 6 digits usually printed; polished below.
_HIMMELBLAU_APPROX = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]


@functools.cache
def _himmelblau_minimizers() -> np.ndarray:
    # f = r1^2 + r2^2 is 0 exactly where r1 = x^2 + y - 11 = 0 and r2 = x + y^2 - 7 = 0:
    # Newton on that 2x2 system converges quadratically to full precision.
    def r(p):
        return np.array([p[0] * p[0] + p[1] - 11.0, p[0] + p[1] * p[1] - 7.0])

    def jac(p):
        return np.array([[2.0 * p[0], 1.0], [1.0, 2.0 * p[1]]])

    return readonly([newton(r, jac, p) for p in _HIMMELBLAU_APPROX])


@register
def himmelblau() -> Problem:
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 (Himmelblau 1972): four global minimizers.

    Minimizers (3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)
    (polished to full precision), minimum 0; start (0, 0), near the local maximum
    (-0.270845, -0.923039); window (-5, 5)^2.
    """
    f, grad = HIMMELBLAU.numpy()

    def hessian(x):
        x_, y = x[..., 0], x[..., 1]
        hxy = 4.0 * (x_ + y)
        return np.stack([np.stack([12.0 * x_ * x_ + 4.0 * y - 42.0, hxy], -1),
                         np.stack([hxy, 4.0 * x_ + 12.0 * y * y - 26.0], -1)], -2)

    return Problem("himmelblau", f, grad, x0=[0.0, 0.0], minimizers=_himmelblau_minimizers(), minimum=0.0,
                   window=((-5.0, 5.0), (-5.0, 5.0)), log_levels=True,
                   description="f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2", hessian=hessian)


@register
def booth() -> Problem:
    """f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2: minimizer (1, 3), minimum 0; window (-10, 10)^2."""
    f, grad = BOOTH.numpy()

    return Problem("booth", f, grad, x0=[-5.0, -5.0], minimizers=[[1.0, 3.0]], minimum=0.0,
                   window=((-10.0, 10.0), (-10.0, 10.0)), log_levels=True,
                   description="f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
                   hessian=const_hessian(np.array([[10.0, 8.0], [8.0, 10.0]])))


@register
def matyas() -> Problem:
    """f(x, y) = 0.26 (x^2 + y^2) - 0.48 xy: a flat valley along x = y (condition number 25).

    Minimizer (0, 0), minimum 0; start (-8, -6); window (-10, 10)^2.
    """
    f, grad = MATYAS.numpy()

    return Problem("matyas", f, grad, x0=[-8.0, -6.0], minimizers=[[0.0, 0.0]], minimum=0.0,
                   window=((-10.0, 10.0), (-10.0, 10.0)), log_levels=True,
                   description="f(x, y) = 0.26 (x^2 + y^2) - 0.48 xy",
                   hessian=const_hessian(np.array([[0.52, -0.48], [-0.48, 0.52]])))


@register
def three_hump_camel() -> Problem:
    """f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2: global minimizer (0, 0), two local ones.

    Minimum 0; start (1.5, 1.5); window (-2, 2)^2 (search domain (-5, 5)^2).
    """
    f, grad = THREE_HUMP_CAMEL.numpy()

    def hessian(x):
        x_ = x[..., 0]
        x2 = x_ * x_
        one = np.ones_like(x_)
        return np.stack([np.stack([4.0 - 12.6 * x2 + 5.0 * x2 * x2, one], -1),
                         np.stack([one, 2.0 * one], -1)], -2)

    return Problem("three_hump_camel", f, grad, x0=[1.5, 1.5], minimizers=[[0.0, 0.0]], minimum=0.0,
                   window=((-2.0, 2.0), (-2.0, 2.0)), domain=box(-5.0, 5.0, 2), log_levels=True,
                   description="f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2", hessian=hessian)


def _six_hump_hessian(x):
    x_, y = x[..., 0], x[..., 1]
    x2 = x_ * x_
    one = np.ones_like(x_)
    return np.stack([np.stack([8.0 - 25.2 * x2 + 10.0 * x2 * x2, one], -1),
                     np.stack([one, -8.0 + 48.0 * y * y], -1)], -2)


@functools.cache
def _six_hump_minimizers() -> np.ndarray:
    p = newton(_six_hump_grad, _six_hump_hessian, [0.0898, -0.7126])
    return readonly([p, -p])  # f(x, y) = f(-x, -y): the second is the mirror image


@register
def six_hump_camel() -> Problem:
    """f(x, y) = (4 - 2.1x^2 + x^4/3) x^2 + xy + (-4 + 4y^2) y^2: two global minimizers.

    Minimizers +-(0.0898420, -0.7126564) (polished to full precision with Newton's method),
    minimum -1.0316284534898774; four more local minimizers.  Start (-1.5, -0.5);
    window (-2, 2) x (-1, 1) (search domain (-3, 3) x (-2, 2)).
    """
    f = _six_hump_f

    mins = _six_hump_minimizers()
    return Problem("six_hump_camel", f, _six_hump_grad, x0=[-1.5, -0.5], minimizers=mins,
                   minimum=float(f(mins[0])), window=((-2.0, 2.0), (-1.0, 1.0)),
                   domain=[[-3.0, 3.0], [-2.0, 2.0]],
                   description="f(x, y) = (4 - 2.1x^2 + x^4/3) x^2 + xy + (-4 + 4y^2) y^2",
                   hessian=_six_hump_hessian)


@register
def goldstein_price() -> Problem:
    """Goldstein-Price (1971): f = [1 + (x+y+1)^2 P] [30 + (2x-3y)^2 Q], a landscape spanning six decades.

    P = 19 - 14x + 3x^2 - 14y + 6xy + 3y^2 and Q = 18 - 32x + 12x^2 + 48y - 36xy + 27y^2.
    Minimizer (0, -1), minimum 3; local minima at (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8);
    start (-0.5, 0.5); window (-2, 2)^2.
    """
    f, grad = GOLDSTEIN_PRICE.numpy()

    def hessian(x):
        # f = F G: f'' = F'' G + F' G' + G' F' + F G''.  F depends on x and y through the same
        # u and P_x = P_y, so all its second derivatives are equal.
        x_, y = x[..., 0], x[..., 1]
        u, v, P, Q = _goldstein_price_parts(x_, y)
        F, G = 1.0 + u * u * P, 30.0 + v * v * Q
        Px = -14.0 + 6.0 * x_ + 6.0 * y
        Qx, Qy = -32.0 + 24.0 * x_ - 36.0 * y, 48.0 - 36.0 * x_ + 54.0 * y
        Fx = 2.0 * u * P + u * u * Px
        F2 = 2.0 * P + 4.0 * u * Px + 6.0 * u * u
        Gx, Gy = 4.0 * v * Q + v * v * Qx, -6.0 * v * Q + v * v * Qy
        Gxx = 8.0 * Q + 8.0 * v * Qx + 24.0 * v * v
        Gxy = -12.0 * Q + 4.0 * v * Qy - 6.0 * v * Qx - 36.0 * v * v
        Gyy = 18.0 * Q - 12.0 * v * Qy + 54.0 * v * v
        hxx = F2 * G + 2.0 * Fx * Gx + F * Gxx
        hxy = F2 * G + Fx * Gy + Fx * Gx + F * Gxy
        hyy = F2 * G + 2.0 * Fx * Gy + F * Gyy
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    return Problem("goldstein_price", f, grad, x0=[-0.5, 0.5], minimizers=[[0.0, -1.0]], minimum=3.0,
                   window=((-2.0, 2.0), (-2.0, 2.0)), log_levels=True,
                   description="f(x, y) = [1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]"
                               " [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]",
                   hessian=hessian)


@register
def rastrigin(n: int = 2) -> Problem:
    """f(x) = 10 n + sum_i (x_i^2 - 10 cos(2 pi x_i)) (Rastrigin 1974): a bowl with a lattice of local minima.

    Computed as sum_i x_i^2 + 20 sin^2(pi x_i), the same function without the
    cancellation of 10 - 10 cos near the minimizer 0, where the minimum is exactly 0.
    Start (-3, 4, -3, ...) like :func:`sphere`; window and domain (-5.12, 5.12)^n.
    """
    n = check_int("n", n, 1)

    f, grad = RASTRIGIN.numpy()

    def hessian(x):
        return diag_hessian(2.0 + 40.0 * np.pi * np.pi * np.cos(2.0 * np.pi * x))

    domain = box(-5.12, 5.12, n)
    return Problem("rastrigin", f, grad, x0=tile_start(n), minimizers=np.zeros((1, n)), minimum=0.0,
                   window=window_of(domain), domain=domain,
                   description=f"f(x) = 10 n + sum_i (x_i^2 - 10 cos(2 pi x_i)), n={n}",
                   hessian=hessian, params={"n": n})


@register
def ackley(n: int = 2) -> Problem:
    """f(x) = -20 exp(-0.2 sqrt(mean x_i^2)) - exp(mean cos(2 pi x_i)) + 20 + e (Ackley 1987).

    Computed as -20 expm1(-0.2 r) - e expm1(-mean(2 sin^2(pi x_i))) with r = sqrt(mean x_i^2):
    the same function, exactly 0 at the minimizer 0 and without cancellation near it.
    The gradient of r is x / (n r), undefined at 0, where the gradient is defined as 0
    (the limit of the cosine term; the cone's subgradient 0); it is finite everywhere.
    The Hessian is analytic away from 0 and nan at 0 (the cone's tip has none).
    Start (-3, 4, -3, ...) like :func:`sphere`; window (-5, 5)^2, domain (-32.768, 32.768)^n.
    """
    n = check_int("n", n, 1)

    def rms(x):
        return np.sqrt(np.sum(x * x, axis=-1) / n)

    f, grad = ACKLEY.numpy()

    def hessian(x):
        # f = -20 exp(-0.2 r) - exp(c) + 20 + e, r = rms(x), c = mean cos(2 pi x):
        # H = 4 exp(-0.2 r) (H_r - 0.2 grad r grad r') - exp(c) (grad c grad c' + H_c).
        # At r = 0 (the cone tip, the minimizer) H_r is infinite: nan there.
        r = rms(x)
        safe_r = np.where(r == 0, np.nan, r)
        grad_r = x / (n * safe_r)[..., None]
        outer = x[..., :, None] * x[..., None, :]
        hess_r = np.eye(n) / (n * safe_r)[..., None, None] - outer / (n * n * safe_r ** 3)[..., None, None]
        cone = (4.0 * np.exp(-0.2 * r))[..., None, None] * (hess_r - 0.2 * grad_r[..., :, None] * grad_r[..., None, :])
        grad_c = -(2.0 * np.pi / n) * np.sin(2.0 * np.pi * x)
        hess_c = diag_hessian(-(4.0 * np.pi * np.pi / n) * np.cos(2.0 * np.pi * x))
        waves = -np.exp(np.sum(np.cos(2.0 * np.pi * x), axis=-1) / n)[..., None, None] \
            * (grad_c[..., :, None] * grad_c[..., None, :] + hess_c)
        return cone + waves

    return Problem("ackley", f, grad, x0=tile_start(n), minimizers=np.zeros((1, n)), minimum=0.0,
                   window=((-5.0, 5.0),) * n if n <= 2 else None, domain=box(-32.768, 32.768, n),
                   description=f"f(x) = -20 exp(-0.2 sqrt(mean x_i^2)) - exp(mean cos(2 pi x_i)) + 20 + e, n={n}",
                   hessian=hessian, params={"n": n})


@functools.cache
def _styblinski_tang_root() -> float:
    # df/dx_i = (4 x^3 - 32 x + 5) / 2: the global minimizer is the smallest real root of the cubic,
    # found by np.roots and polished with Newton steps on the cubic itself.
    roots = np.roots([4.0, 0.0, -32.0, 5.0])
    x = float(np.min(roots[np.abs(roots.imag) < 1e-12].real))
    for _ in range(4):
        x -= (4.0 * x ** 3 - 32.0 * x + 5.0) / (12.0 * x * x - 32.0)
    return x


@register
def styblinski_tang(n: int = 2) -> Problem:
    """f(x) = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i) (Styblinski and Tang 1990): 2^n local minima.

    The global minimizer has every x_i = -2.903534..., the smallest root of 4x^3 - 32x + 5 = 0,
    and the minimum is -39.16616570377142 n (often printed as -39.16599 n, good to five digits).
    Start at the origin, beside the local maximum 0.156731 of each coordinate, from where
    gradient descent finds the global minimizer; window and domain (-5, 5)^n.
    """
    n = check_int("n", n, 1)
    z = _styblinski_tang_root()

    f, grad = STYBLINSKI_TANG.numpy()

    def hessian(x):
        return diag_hessian(6.0 * x * x - 16.0)

    domain = box(-5.0, 5.0, n)
    return Problem("styblinski_tang", f, grad, x0=np.zeros(n), minimizers=np.full((1, n), z),
                   minimum=n * 0.5 * (z ** 4 - 16.0 * z * z + 5.0 * z),
                   window=window_of(domain), domain=domain,
                   description=f"f(x) = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i), n={n}",
                   hessian=hessian, params={"n": n})
