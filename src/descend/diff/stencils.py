"""Finite-difference stencils: Fornberg's weights for any order and accuracy; which points the
named methods evaluate and how their values are combined."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from ..errors import DescendError, check_choice
from .evaluate import refuse_complex_valued
from .extrapolation import richardson
from .steps import ORDERS, RICHARDSON_STEPS, base_step, representable

#: What :class:`DiffInfo` ``.checked`` says of each complex-step derivative (see
#: :func:`_checked_complex`): which value is returned.
COMPLEX_CHECKS = ("passed", "central", "combined", "unchecked")
#: The complex step is refused where it and the check differ by more than this, relative.
_CHECK_RTOL = 1e-6

# name: (offsets c_j, weights w_j, divisor d)  ->  f'(x) ~ sum_j w_j f(x + c_j h) / (d h).
# The sum is taken in this order, so e.g. central is exactly (f(x+h) - f(x-h)) / (2h).
_STENCILS = {
    "forward": ((0, 1), (-1, 1), 1),                     # (f(x+h) - f(x)) / h
    "backward": ((-1, 0), (-1, 1), 1),                   # (f(x) - f(x-h)) / h
    "central": ((1, -1), (1, -1), 2),                    # (f(x+h) - f(x-h)) / (2h)
    "five-point": ((-2, -1, 1, 2), (1, -8, 8, -1), 12),  # (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / (12h)
}


#: The kinds of stencil :func:`stencil` builds.
KINDS = ("central", "forward", "backward")


@dataclass(frozen=True)
class Stencil:
    """Weights w_j at offsets c_j with ``f^(n)(x) = sum_j w_j f(x + c_j h) / h^n + O(h^accuracy)``.

    Attributes
    ----------
    n : int
        The order of the derivative.
    accuracy : int
        The order p of the truncation error ``error_coefficient * h^p * f^(n+p)(x)``.
    kind : str
        One of :data:`KINDS`.
    offsets : tuple of int
        The c_j, increasing.
    fractions : tuple of Fraction
        The exact weights w_j.
    error_coefficient : Fraction
        ``sum_j w_j c_j^(n+p) / (n+p)!``: the leading truncation term is
        ``error_coefficient * f^(n+p)(x) * h^p``.
    """

    n: int
    accuracy: int
    kind: str
    offsets: tuple
    fractions: tuple
    error_coefficient: Fraction

    @property
    def weights(self) -> np.ndarray:
        """The weights as float64."""
        return np.array([float(w) for w in self.fractions])

    def __len__(self) -> int:
        return len(self.offsets)

    def __repr__(self) -> str:
        ws = ", ".join(str(w) for w in self.fractions)
        return (f"Stencil(n={self.n}, accuracy={self.accuracy}, kind={self.kind!r}, "
                f"offsets={self.offsets}, weights=({ws}))")


def fornberg_weights(offsets, n: int) -> tuple:
    """Exact weights of the n-th derivative at 0 on the given offsets (Fornberg 1988).

    B. Fornberg, "Generation of finite difference formulas on arbitrarily spaced
    grids", Math. Comp. 51 (1988) 699-706: the recursion over the Lagrange
    polynomials of the nodes, here in exact rational arithmetic.
    """
    alpha = [Fraction(a) for a in offsets]
    N = len(alpha)
    c = [[Fraction(0)] * (n + 1) for _ in range(N)]
    c[0][0] = Fraction(1)
    c1 = Fraction(1)
    c4 = alpha[0]
    for i in range(1, N):
        mn = min(i, n)
        c2 = Fraction(1)
        c5, c4 = c4, alpha[i]
        for j in range(i):
            c3 = alpha[i] - alpha[j]
            c2 *= c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[i][k] = c1 * (k * c[i - 1][k - 1] - c5 * c[i - 1][k]) / c2
                c[i][0] = -c1 * c5 * c[i - 1][0] / c2
            for k in range(mn, 0, -1):
                c[j][k] = (c4 * c[j][k] - k * c[j][k - 1]) / c3
            c[j][0] = c4 * c[j][0] / c3
        c1 = c2
    return tuple(c[i][n] for i in range(N))


def _check_int(name: str, value, lo: int, hint: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}{hint}, got {value!r}")
    return int(value)


def check_order(n) -> int:
    """The derivative order n: an integer >= 0."""
    return _check_int("n", n, 0, " (the order of the derivative)")


def check_accuracy(accuracy, kind: str = "central") -> int:
    """The accuracy order: even and >= 2 for central stencils, >= 1 for one-sided ones."""
    if kind == "central":
        acc = _check_int("accuracy", accuracy, 2, " and even for a central stencil")
        if acc % 2:
            raise DescendError(f"accuracy must be an even integer >= 2 for a central stencil "
                               f"(its error has only even powers of h), got {accuracy!r}")
        return acc
    return _check_int("accuracy", accuracy, 1, f" for a {kind} stencil")


@lru_cache(maxsize=256)
def _build(n: int, accuracy: int, kind: str) -> Stencil:
    if kind == "central":
        m = (2 * ((n + 1) // 2) - 1 + accuracy) // 2
        offsets = tuple(range(-m, m + 1))
    elif kind == "forward":
        offsets = tuple(range(n + accuracy))
    else:
        offsets = tuple(range(-(n + accuracy) + 1, 1))
    w = fornberg_weights(offsets, n)
    q = n + accuracy
    coef = sum((wj * Fraction(cj) ** q for wj, cj in zip(w, offsets)), Fraction(0)) / math.factorial(q)
    return Stencil(n=n, accuracy=accuracy, kind=kind, offsets=offsets, fractions=w,
                   error_coefficient=coef)


def stencil(n: int, accuracy: int = 2, *, kind: str = "central") -> Stencil:
    """The finite-difference stencil of the n-th derivative with truncation error O(h^accuracy).

    Central stencils use the ``2 floor((n + 1) / 2) - 1 + accuracy`` points
    ``-m..m``; one-sided ones the ``n + accuracy`` points ``0..n+accuracy-1``
    (forward) or their negatives (backward).  The weights come from Fornberg's
    recursion in exact arithmetic, so they match the published tables exactly.

    Parameters
    ----------
    n : int
        The order of the derivative, >= 0.
    accuracy : int
        The order of accuracy p: even and >= 2 for central, >= 1 for one-sided stencils.
    kind : {"central", "forward", "backward"}

    Returns
    -------
    Stencil
        ``offsets``, exact ``fractions``, float ``weights``, ``error_coefficient``.

    Examples
    --------
    >>> stencil(2, 2)
    Stencil(n=2, accuracy=2, kind='central', offsets=(-1, 0, 1), weights=(1, -2, 1))
    >>> stencil(1, 4).weights.tolist() == [1/12, -2/3, 0.0, 2/3, -1/12]
    True
    """
    if not isinstance(kind, str):
        raise DescendError(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
    kind = check_choice("kind", kind, KINDS)
    n = check_order(n)
    accuracy = check_accuracy(accuracy, kind)
    return _build(n, accuracy, kind)


def plan_points(method: str, h: np.ndarray, auto: bool, x: np.ndarray, full_output: bool):
    """The offsets to evaluate, as a list of (key, per-coordinate delta array) and the center flag.

    Keys are multiples of h (or ('r', k, +-1) for the k-th Richardson step).
    """
    if method == "complex":
        keys = [1] + ([2] if full_output else [])
        # f(x) itself too, one evaluation per point: the check that f is real-valued there
        plan = [(c, 1j * c * h) for c in keys]
        # the check (:func:`_checked_complex`): f(x +- hc) and f(x + i hc) at central's step
        hc = base_step("central", x.dtype) * (h / base_step("complex", x.dtype) if auto else
                                              np.maximum(np.abs(x), 1))
        hc = representable(x, hc.astype(x.dtype))
        plan += [(("check", c), c * hc + 0j) for c in ((1, -1, 2, -2) if full_output else (1, -1))]
        return plan + [(("check", "i"), 1j * hc)], True
    if method == "richardson":
        out = []
        for k in range(RICHARDSON_STEPS):
            hk = h / 2 ** k
            if auto:
                hk = representable(x, hk)
            out += [(("r", k, 1), hk), (("r", k, -1), -hk)]
        return out, False
    offsets, _, _ = _STENCILS[method]
    keys = list(offsets)
    if full_output:
        keys += [2 * c for c in offsets if 2 * c not in keys]
    center = 0 in keys
    return [(c, c * h) for c in keys if c != 0], center


def _stencil(method: str, F: dict, h, scale: int = 1):
    """sum_j w_j f(x + c_j s h) / (d s h) and its round-off bound, for step s*h."""
    offsets, weights, d = _STENCILS[method]
    acc = None
    mag = None
    for c, w in zip(offsets, weights):
        term = w * F[c * scale]
        acc = term if acc is None else acc + term
        mag = abs(w) * np.abs(F[c * scale]) if mag is None else mag + abs(w) * np.abs(F[c * scale])
    sh = h if scale == 1 else scale * h
    return acc / (d * sh), mag / (d * sh)


def combine(method: str, F: dict, plan, h, shaped, eps: float, full_output: bool):
    """The derivative from the values F at the planned points: (D, error or None, step used,
    the complex step's check or None)."""
    # nan/inf values of f (a step outside its domain, an overflow) give nan/inf derivatives,
    # without warnings: a minimizer reports that as divergence, check_grad refuses it.
    with np.errstate(invalid="ignore", over="ignore"):
        return _combine_values(method, F, plan, h, shaped, eps, full_output)


def _checked_complex(F, plan, hb, shaped, eps, full_output):
    """The complex step ``D = Im f(x + ih) / h``, checked against f at central's step hc.

    For an analytic f the central difference C (error ``+hc^2 f^(3) / 6``) and the complex
    step at hc, S (error ``-hc^2 f^(3) / 6``), have errors that cancel: their mean M is f' to
    O(hc^4), and ``(C - S) / 2`` is that error, so the complex step at h is predicted to be
    ``M - (h / hc)^2 (C - S) / 2`` (M for the tiny default h, S for h = hc).  Where D is
    that (1e-6 relative, plus f's rounding), D is returned: ``"passed"``.  Otherwise:

    - D agrees with S (1e-3): the complex step is consistent with itself but not with f's
      real values, as for an f that keeps a complex type without being analytic
      (``x * conj(x)`` gives D = 0, f' = 2x): C is returned, ``"central"``;
    - C agrees with S but D with neither: D alone is off (``h f'`` fell among the subnormal
      numbers: exp at -700), M is returned, ``"combined"``;
    - neither: f varies on a length below hc (a pole within central's step) or is nan/inf
      there: D is returned, ``"unchecked"``.

    Three more evaluations per coordinate (five with ``full_output``, for C's estimate).
    """
    refuse_complex_valued(F[0])
    D = F[1].imag / hb
    hc = shaped(dict(plan)[("check", 1)].real)
    fp, fm, fi = F[("check", 1)].real, F[("check", -1)].real, F[("check", "i")]
    C, S = (fp - fm) / (2 * hc), fi.imag / hc
    M = (C + S) / 2
    noise = 10 * eps * (np.abs(fp) + np.abs(fm) + np.abs(fi) + np.abs(F[0])) / hc
    grow = (hb / hc) ** 2  # an explicit h above hc magnifies the rounding of C - S
    predicted = M - grow * (C - S) / 2
    passed = np.abs(D - predicted) <= _CHECK_RTOL * np.maximum(np.abs(D), np.abs(M)) + (1 + grow) * noise
    same_cs = np.abs(S - D) <= 1e-3 * np.maximum(np.abs(S), np.abs(D)) + noise
    same_real = np.abs(C - S) <= 1e-3 * np.abs(M) + noise
    central = ~passed & same_cs
    combined = ~passed & ~same_cs & same_real
    checked = np.select([passed, central, combined], ["passed", "central", "combined"], "unchecked")
    err = None
    if full_output:
        D2 = F[2].imag / (2 * hb)
        # truncation of an order-2 method from steps h and 2h (doubled for safety);
        # no subtraction, so the round-off is eps |D|
        err = 2 * np.abs(D - D2) / 3 + eps * np.abs(D)
        C2 = (F[("check", 2)].real - F[("check", -2)].real) / (4 * hc)
        err = np.select([central, combined], [2 * np.abs(C - C2) / 3 + eps * (np.abs(fp) + np.abs(fm)) / (2 * hc),
                                              np.abs(C - S) / 2 + noise], err)
    value = np.select([central, combined], [C, M], D)
    return value, err, np.where(central | combined, hc, hb), checked


def _combine_values(method, F, plan, h, shaped, eps, full_output):
    hb = shaped(h)
    if method == "complex":
        return _checked_complex(F, plan, hb, shaped, eps, full_output)
    if method == "richardson":
        steps = [shaped(delta) for key, delta in plan if key[2] == 1]
        fp = [F[key] for key, _ in plan if key[2] == 1]
        fm = [F[key] for key, _ in plan if key[2] == -1]
        D, err, used = richardson(fp, fm, steps, eps)
        return D, err, used, None
    D, mag = _stencil(method, F, hb)
    err = None
    if full_output:
        D2, _ = _stencil(method, F, hb, scale=2)
        # Richardson's estimate of the truncation error of an order-p method (doubled for
        # safety: steps far from the asymptotic regime), plus round-off
        err = 2 * np.abs(D - D2) / (2 ** ORDERS[method] - 1) + eps * mag
    return D, err, h, None
