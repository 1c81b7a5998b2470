"""torch.optim.LBFGS's strong-Wolfe line search, as a one-dimensional core over phi(t).

This is torch's ``_strong_wolfe`` (ported there from Lua torch's ``lswolfe.lua`` and
minFunc), written once over ``phi(t) = f(x + t d)``: :func:`strong_wolfe` never sees
``x`` or ``d``, only a function ``phi(t) -> (f, dphi, payload)`` giving the value, the
slope ``grad f(x + t d) . d`` and whatever the caller wants back with the accepted point
(:class:`~descend.optim.lbfgs.LBFGS` passes the flat gradient, so the next iteration
pays nothing extra).  Same trials, same order, same floating-point expressions as
torch, so that descend's LBFGS gives torch's numbers.

How it differs from :func:`descend.linesearch.wolfe` (what ``descend.minimize`` uses,
scipy's ``scalar_search_wolfe2`` trial for trial):

* bracketing extrapolates by **cubic interpolation** of the last two points, safeguarded
  to ``[t + 0.01 (t - t_prev), 10 t]``, where scipy doubles the step;
* zooming takes the **cubic** through the bracket's two ends (value and slope), pushed
  to 10% of the bracket away from an end when the last two trials crowded it, where
  scipy tries a cubic through three points, then a quadratic, then bisection;
* one budget ``max_ls`` for both phases (scipy: 10 + 10; torch counts the first trial
  apart, so ``max_ls + 1`` calls), and the search stops when the
  bracket, measured in x (``|b - a| * max|d|``), is below ``tolerance_change``;
* it never fails: it returns the lowest point of the bracket found so far (possibly
  ``t = 0``, the start), where scipy reports that no step was found;
* one run at a time, in Python floats (scipy's and descend's search do many rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["StrongWolfeStep", "cubic_interpolate", "strong_wolfe"]


class StrongWolfeStep(NamedTuple):
    """What :func:`strong_wolfe` returns: the step ``t``, ``phi(t)``, the payload
    ``phi`` gave with it and the number of ``phi`` calls."""

    t: float
    f: float
    payload: Any
    nfev: int


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2,
    clipped to ``bounds`` (default: the interval between x1 and x2); the midpoint of the
    bounds when the cubic has no minimizer.  torch's ``_cubic_interpolate``::

        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)
        d2 = sqrt(d1^2 - g1 g2)
        min_pos = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)      (x1 <= x2)
    """
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:  # no real minimizer: bisect the bounds
        return (lo + hi) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


class _Bracket:
    """An interval [t_a, t_b] of points (t, f, slope, payload) with the low and high end."""

    def __init__(self, points):
        self.points = points            # list of [t, f, dphi, payload]
        self.rank()

    def rank(self):
        self.low, self.high = (0, 1) if self.points[0][1] <= self.points[-1][1] else (1, 0)

    @property
    def ts(self):
        return [p[0] for p in self.points]


def _bracket(phi, t, f0, dphi0, payload0, c1, c2, max_ls):
    """Phase 1: extrapolate from t until a step satisfies the strong Wolfe conditions
    (returns a one-point bracket and done=True) or an interval is known to hold one."""
    f, dphi, payload = phi(t)
    nfev, ls_iter = 1, 0
    prev = [0.0, f0, dphi0, payload0]
    while ls_iter < max_ls:
        if f > f0 + c1 * t * dphi0 or (ls_iter > 1 and f >= prev[1]):  # Armijo fails or f rose
            return _Bracket([prev, [t, f, dphi, payload]]), False, nfev, ls_iter
        if abs(dphi) <= -c2 * dphi0:  # strong Wolfe: done
            return _Bracket([[t, f, dphi, payload]]), True, nfev, ls_iter
        if dphi >= 0:  # the slope turned: a minimizer lies behind
            return _Bracket([prev, [t, f, dphi, payload]]), False, nfev, ls_iter
        # extrapolate by the cubic through the last two points, at least 1% further
        t_new = cubic_interpolate(prev[0], prev[1], prev[2], t, f, dphi, bounds=(t + 0.01 * (t - prev[0]), t * 10))
        prev = [t, f, dphi, payload]
        t = t_new
        f, dphi, payload = phi(t)
        nfev += 1
        ls_iter += 1
    # out of evaluations: the start and the last trial
    return _Bracket([[0, f0, dphi0, payload0], [t, f, dphi, payload]]), False, nfev, ls_iter


def _safeguard(t, ts, insufficient):
    """Move a trial that crowds an end of the bracket 10% inside, the second time in a row
    or when it lies on or beyond an end; returns (t, insufficient progress)."""
    lo, hi = min(ts), max(ts)
    eps = 0.1 * (hi - lo)
    if min(hi - t, t - lo) >= eps:
        return t, False
    if insufficient or t >= hi or t <= lo:
        return (hi - eps if abs(t - hi) < abs(t - lo) else lo + eps), False
    return t, True


def _zoom(phi, br, f0, dphi0, c1, c2, tolerance_change, scale, max_ls, nfev, ls_iter):
    """Phase 2: shrink the bracket by safeguarded cubic steps until a point satisfies
    the strong Wolfe conditions, the evaluations run out or the bracket is tiny in x."""
    insufficient = False
    while ls_iter < max_ls:
        (ta, fa, da, _), (tb, fb, db, _) = br.points
        if abs(tb - ta) * scale < tolerance_change:  # the bracket is tiny in x
            break
        t, insufficient = _safeguard(cubic_interpolate(ta, fa, da, tb, fb, db), br.ts, insufficient)
        f, dphi, payload = phi(t)
        nfev += 1
        ls_iter += 1
        low, high = br.points[br.low], br.points[br.high]
        if f > f0 + c1 * t * dphi0 or f >= low[1]:  # Armijo fails or not below the low end
            br.points[br.high] = [t, f, dphi, payload]
            br.rank()
            continue
        if abs(dphi) <= -c2 * dphi0:  # strong Wolfe
            br.points[br.low] = [t, f, dphi, payload]
            return br, nfev
        if dphi * (high[0] - low[0]) >= 0:  # the slope points at the low end: it becomes high
            br.points[br.high] = low
        br.points[br.low] = [t, f, dphi, payload]
    return br, nfev


def strong_wolfe(phi: Callable[[float], tuple[float, float, Any]], t: float, f0: float, dphi0: float,
                 payload0: Any = None, *, c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                 scale: float = 1.0, max_ls: int = 25) -> StrongWolfeStep:
    """A step satisfying the strong Wolfe conditions along a descent direction, torch's way.

    Looks for ``t`` with ``phi(t) <= phi(0) + c1 t phi'(0)`` (sufficient decrease) and
    ``|phi'(t)| <= c2 |phi'(0)|`` (curvature), first extrapolating from ``t`` (cubic
    steps, see the module docstring), then zooming into the bracket found.

    Parameters
    ----------
    phi : callable
        ``phi(t) -> (f, dphi, payload)``: ``f(x + t d)``, its slope
        ``grad f(x + t d) . d`` and anything to return with the accepted point.
    t : float
        The first trial step.
    f0, dphi0 : float
        ``phi(0)`` and ``phi'(0)`` (< 0: d must be a descent direction).
    payload0 : any
        The payload at ``t = 0`` (returned if no trial beats the start).
    c1, c2 : float
        The Wolfe constants (torch's 1e-4 and 0.9).
    tolerance_change : float
        Stop zooming once the bracket's width times ``scale`` is below this.
    scale : float
        ``max |d|``, so that the width above is a distance in x.
    max_ls : int
        The most trials after the first (both phases together): at most ``max_ls + 1``
        calls of ``phi``, as in torch, which passes ``max_eval - evaluations so far`` and
        so may call the closure once more than ``max_eval`` in a step.

    Returns
    -------
    StrongWolfeStep
        ``(t, f, payload, nfev)`` of the lowest point of the final bracket.
    """
    br, done, nfev, ls_iter = _bracket(phi, t, f0, dphi0, payload0, c1, c2, max_ls)
    if not done:
        br, nfev = _zoom(phi, br, f0, dphi0, c1, c2, tolerance_change, scale, max_ls, nfev, ls_iter)
    t, f, _, payload = br.points[br.low]
    return StrongWolfeStep(t, f, payload, nfev)
