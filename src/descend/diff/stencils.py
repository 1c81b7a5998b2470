"""Finite-difference stencils: which points to evaluate and how to combine the values."""

from __future__ import annotations

import numpy as np

from .evaluate import _refuse_complex_valued
from .extrapolation import _richardson
from .steps import _RICHARDSON_STEPS, ORDERS, _representable

# name: (offsets c_j, weights w_j, divisor d)  ->  f'(x) ~ sum_j w_j f(x + c_j h) / (d h).
# The sum is taken in this order, so e.g. central is exactly (f(x+h) - f(x-h)) / (2h).
_STENCILS = {
    "forward": ((0, 1), (-1, 1), 1),                     # (f(x+h) - f(x)) / h
    "backward": ((-1, 0), (-1, 1), 1),                   # (f(x) - f(x-h)) / h
    "central": ((1, -1), (1, -1), 2),                    # (f(x+h) - f(x-h)) / (2h)
    "five-point": ((-2, -1, 1, 2), (1, -8, 8, -1), 12),  # (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / (12h)
}


def _plan(method: str, h: np.ndarray, auto: bool, x: np.ndarray, full_output: bool):
    """The offsets to evaluate, as a list of (key, per-coordinate delta array) and the center flag.

    Keys are multiples of h (or ('r', k, +-1) for the k-th Richardson step).
    """
    if method == "complex":
        keys = [1] + ([2] if full_output else [])
        # f(x) itself too, one evaluation per point: the check that f is real-valued there
        return [(c, 1j * c * h) for c in keys], True
    if method == "richardson":
        out = []
        for k in range(_RICHARDSON_STEPS):
            hk = h / 2 ** k
            if auto:
                hk = _representable(x, hk)
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


def _combine(method: str, F: dict, plan, h, shaped, eps: float, full_output: bool):
    """The derivative from the values F at the planned points: (D, error or None, step used)."""
    # nan/inf values of f (a step outside its domain, an overflow) give nan/inf derivatives,
    # without warnings: a minimizer reports that as divergence, check_grad refuses it.
    with np.errstate(invalid="ignore", over="ignore"):
        return _combine_values(method, F, plan, h, shaped, eps, full_output)


def _combine_values(method, F, plan, h, shaped, eps, full_output):
    hb = shaped(h)
    if method == "complex":
        _refuse_complex_valued(F[0])
        D = F[1].imag / hb
        err = None
        if full_output:
            D2 = F[2].imag / (2 * hb)
            # truncation of an order-2 method from steps h and 2h (doubled for safety);
            # no subtraction, so the round-off is eps |D|
            err = 2 * np.abs(D - D2) / 3 + eps * np.abs(D)
        return D, err, h
    if method == "richardson":
        steps = [shaped(delta) for key, delta in plan if key[2] == 1]
        fp = [F[key] for key, _ in plan if key[2] == 1]
        fm = [F[key] for key, _ in plan if key[2] == -1]
        D, err, used = _richardson(fp, fm, steps, eps)
        return D, err, used
    D, mag = _stencil(method, F, hb)
    err = None
    if full_output:
        D2, _ = _stencil(method, F, hb, scale=2)
        # Richardson's estimate of the truncation error of an order-p method (doubled for
        # safety: steps far from the asymptotic regime), plus round-off
        err = 2 * np.abs(D - D2) / (2 ** ORDERS[method] - 1) + eps * mag
    return D, err, h
