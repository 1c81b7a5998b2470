"""The classic benchmark landscapes: rosenbrock, beale, himmelblau, booth, matyas, the camels,
goldstein_price, rastrigin, ackley and styblinski_tang (references in :mod:`descend.problems`)."""

from __future__ import annotations

import functools
import math

import numpy as np

from .parts import box, check_int, check_real, const_hessian, diag_hessian, newton, tile_start, window_of
from .problem import Problem, readonly, register

__all__ = ["rosenbrock", "beale", "himmelblau", "booth", "matyas", "three_hump_camel", "six_hump_camel",
           "goldstein_price", "rastrigin", "ackley", "styblinski_tang"]


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

    def f(x):
        xi, xn = x[..., :-1], x[..., 1:]
        t = xn - xi * xi
        u = a - xi
        return np.sum(b * t * t + u * u, axis=-1)

    def grad(x):
        xi, xn = x[..., :-1], x[..., 1:]
        t = xn - xi * xi
        g = np.zeros_like(x)  # filled in place: no concatenation in the hot loop of a batch
        g[..., :-1] = -4.0 * b * xi * t - 2.0 * (a - xi)
        g[..., 1:] += 2.0 * b * t
        return g

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
    def residuals(x):
        x_, y = x[..., 0], x[..., 1]
        return 1.5 - x_ + x_ * y, 2.25 - x_ + x_ * y * y, 2.625 - x_ + x_ * y * y * y

    def f(x):
        r1, r2, r3 = residuals(x)
        return r1 * r1 + r2 * r2 + r3 * r3

    def grad(x):
        r1, r2, r3 = residuals(x)
        x_, y = x[..., 0], x[..., 1]
        gx = 2.0 * (r1 * (y - 1.0) + r2 * (y * y - 1.0) + r3 * (y * y * y - 1.0))
        gy = 2.0 * x_ * (r1 + 2.0 * r2 * y + 3.0 * r3 * y * y)
        return np.stack([gx, gy], axis=-1)

    def hessian(x):
        # H = 2 sum_i (grad r_i grad r_i' + r_i hess r_i), a least-squares Hessian.
        r1, r2, r3 = residuals(x)
        x_, y = x[..., 0], x[..., 1]
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
    def f(x):
        x_, y = x[..., 0], x[..., 1]
        r1, r2 = x_ * x_ + y - 11.0, x_ + y * y - 7.0
        return r1 * r1 + r2 * r2

    def grad(x):
        x_, y = x[..., 0], x[..., 1]
        r1, r2 = x_ * x_ + y - 11.0, x_ + y * y - 7.0
        return np.stack([4.0 * x_ * r1 + 2.0 * r2, 2.0 * r1 + 4.0 * y * r2], axis=-1)

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
    def f(x):
        r1 = x[..., 0] + 2.0 * x[..., 1] - 7.0
        r2 = 2.0 * x[..., 0] + x[..., 1] - 5.0
        return r1 * r1 + r2 * r2

    def grad(x):
        r1 = x[..., 0] + 2.0 * x[..., 1] - 7.0
        r2 = 2.0 * x[..., 0] + x[..., 1] - 5.0
        return np.stack([2.0 * r1 + 4.0 * r2, 4.0 * r1 + 2.0 * r2], axis=-1)

    return Problem("booth", f, grad, x0=[-5.0, -5.0], minimizers=[[1.0, 3.0]], minimum=0.0,
                   window=((-10.0, 10.0), (-10.0, 10.0)), log_levels=True,
                   description="f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
                   hessian=const_hessian(np.array([[10.0, 8.0], [8.0, 10.0]])))


@register
def matyas() -> Problem:
    """f(x, y) = 0.26 (x^2 + y^2) - 0.48 xy: a flat valley along x = y (condition number 25).

    Minimizer (0, 0), minimum 0; start (-8, -6); window (-10, 10)^2.
    """
    def f(x):
        x_, y = x[..., 0], x[..., 1]
        return 0.26 * (x_ * x_ + y * y) - 0.48 * x_ * y

    def grad(x):
        x_, y = x[..., 0], x[..., 1]
        return np.stack([0.52 * x_ - 0.48 * y, 0.52 * y - 0.48 * x_], axis=-1)

    return Problem("matyas", f, grad, x0=[-8.0, -6.0], minimizers=[[0.0, 0.0]], minimum=0.0,
                   window=((-10.0, 10.0), (-10.0, 10.0)), log_levels=True,
                   description="f(x, y) = 0.26 (x^2 + y^2) - 0.48 xy",
                   hessian=const_hessian(np.array([[0.52, -0.48], [-0.48, 0.52]])))


@register
def three_hump_camel() -> Problem:
    """f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2: global minimizer (0, 0), two local ones.

    Minimum 0; start (1.5, 1.5); window (-2, 2)^2 (search domain (-5, 5)^2).
    """
    def f(x):
        x_, y = x[..., 0], x[..., 1]
        x2 = x_ * x_
        return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x_ * y + y * y

    def grad(x):
        x_, y = x[..., 0], x[..., 1]
        x2 = x_ * x_
        return np.stack([4.0 * x_ - 4.2 * x2 * x_ + x2 * x2 * x_ + y, x_ + 2.0 * y], axis=-1)

    def hessian(x):
        x_ = x[..., 0]
        x2 = x_ * x_
        one = np.ones_like(x_)
        return np.stack([np.stack([4.0 - 12.6 * x2 + 5.0 * x2 * x2, one], -1),
                         np.stack([one, 2.0 * one], -1)], -2)

    return Problem("three_hump_camel", f, grad, x0=[1.5, 1.5], minimizers=[[0.0, 0.0]], minimum=0.0,
                   window=((-2.0, 2.0), (-2.0, 2.0)), domain=box(-5.0, 5.0, 2), log_levels=True,
                   description="f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2", hessian=hessian)


def _six_hump_grad(x):
    x_, y = x[..., 0], x[..., 1]
    x2 = x_ * x_
    return np.stack([8.0 * x_ - 8.4 * x2 * x_ + 2.0 * x2 * x2 * x_ + y, x_ - 8.0 * y + 16.0 * y * y * y], axis=-1)


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
    def f(x):
        x_, y = x[..., 0], x[..., 1]
        x2, y2 = x_ * x_, y * y
        return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x_ * y + (-4.0 + 4.0 * y2) * y2

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
    def parts(x):
        x_, y = x[..., 0], x[..., 1]
        u, v = x_ + y + 1.0, 2.0 * x_ - 3.0 * y
        P = 19.0 - 14.0 * x_ + 3.0 * x_ * x_ - 14.0 * y + 6.0 * x_ * y + 3.0 * y * y
        Q = 18.0 - 32.0 * x_ + 12.0 * x_ * x_ + 48.0 * y - 36.0 * x_ * y + 27.0 * y * y
        return x_, y, u, v, P, Q

    def f(x):
        _, _, u, v, P, Q = parts(x)
        return (1.0 + u * u * P) * (30.0 + v * v * Q)

    def grad(x):
        x_, y, u, v, P, Q = parts(x)
        F, G = 1.0 + u * u * P, 30.0 + v * v * Q
        Fx = 2.0 * u * P + u * u * (-14.0 + 6.0 * x_ + 6.0 * y)  # dP/dx = dP/dy and du/dx = du/dy,
        Fy = Fx                                                 # so F_x = F_y
        Gx = 4.0 * v * Q + v * v * (-32.0 + 24.0 * x_ - 36.0 * y)
        Gy = -6.0 * v * Q + v * v * (48.0 - 36.0 * x_ + 54.0 * y)
        return np.stack([Fx * G + F * Gx, Fy * G + F * Gy], axis=-1)

    def hessian(x):
        # f = F G: f'' = F'' G + F' G' + G' F' + F G''.  F depends on x and y through the same
        # u and P_x = P_y, so all its second derivatives are equal.
        x_, y, u, v, P, Q = parts(x)
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

    def f(x):
        s = np.sin(np.pi * x)
        return np.sum(x * x + 20.0 * s * s, axis=-1)  # 10 (1 - cos 2 pi x) = 20 sin^2(pi x), no cancellation

    def grad(x):
        return 2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x)

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

    def f(x):
        s = np.sin(np.pi * x)
        m = np.sum(2.0 * s * s, axis=-1) / n  # 1 - mean cos(2 pi x), without cancellation
        return -20.0 * np.expm1(-0.2 * rms(x)) - np.e * np.expm1(-m)

    def grad(x):
        r = rms(x)
        safe_r = np.where(r == 0, 1.0, r)  # at r = 0 every x_i = 0, so the cone term is 0 / 1 = 0
        cone = (4.0 * np.exp(-0.2 * r) / (n * safe_r))[..., None] * x
        waves = (np.exp(np.sum(np.cos(2.0 * np.pi * x), axis=-1) / n) * 2.0 * np.pi / n)[..., None] \
            * np.sin(2.0 * np.pi * x)
        return cone + waves

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

    def f(x):
        x2 = x * x
        return 0.5 * np.sum(x2 * x2 - 16.0 * x2 + 5.0 * x, axis=-1)

    def grad(x):
        return 2.0 * x * x * x - 16.0 * x + 2.5

    def hessian(x):
        return diag_hessian(6.0 * x * x - 16.0)

    domain = box(-5.0, 5.0, n)
    return Problem("styblinski_tang", f, grad, x0=np.zeros(n), minimizers=np.full((1, n), z),
                   minimum=n * 0.5 * (z ** 4 - 16.0 * z * z + 5.0 * z),
                   window=window_of(domain), domain=domain,
                   description=f"f(x) = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i), n={n}",
                   hessian=hessian, params={"n": n})
