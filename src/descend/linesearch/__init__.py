"""Line searches along a descent direction, for one run or many rows at once.

Each search is a one-dimensional core over ``phi(a) = f(x + a * d)`` (scipy's
``scalar_search_*`` model): ``phi`` takes one step size per row, shape (k,), and
returns f at the k points ``x_i + a_i * d_i``.  :func:`search` is the thin vector
wrapper that builds ``phi`` from the objective, the points and the directions.

Every core returns ``(alpha, phi(alpha), nfev_per_row)``; a row whose search found
no decrease gets ``alpha = 0``.  The strong-Wolfe search :func:`wolfe` also needs
``phi'(a) = grad f(x + a d) . d`` and returns a :class:`WolfeStep` (the gradient at
the accepted point comes with it, so a quasi-Newton method pays nothing extra).

This module holds the settings (:class:`LineSearch`, :func:`get`) and the vector
wrapper :func:`search`; the cores on phi's values alone (backtracking, grid, golden
section) are in :mod:`descend.linesearch.values`, the strong-Wolfe search (its core,
its first trial steps and its vector wrapper :func:`search_wolfe`) in
:mod:`descend.linesearch.strong_wolfe`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DescendError, check_in_range, check_nonnegative_int, check_positive, unknown_name
from .strong_wolfe import (BRACKET_ITER, WOLFE_MESSAGES, WOLFE_STATUS, WolfeStep, check_c1_c2, initial_step,
                           quadratic_trial, search_wolfe, wolfe, wolfe_scalar, wolfe_stop)
from .values import backtracking, golden, grid

__all__ = ["LineSearch", "METHODS", "backtracking", "grid", "golden", "search", "get",
           "wolfe", "wolfe_scalar", "search_wolfe", "initial_step", "quadratic_trial", "WolfeStep",
           "WOLFE_STATUS", "WOLFE_MESSAGES", "wolfe_stop"]

METHODS = ("backtracking", "grid", "exact", "wolfe", "quadratic")
_GRID = tuple(np.logspace(-4, 1, 21))  # the default grid, checked once here


@dataclass(frozen=True)
class LineSearch:
    """Settings of a line search.

    Parameters
    ----------
    method : {"backtracking", "grid", "exact", "wolfe", "quadratic"}
        "backtracking": Armijo backtracking, start at ``alpha0`` and multiply by
        ``rho`` until ``f(x + a d) <= f(x) + c1 * a * grad.d``.
        "grid": the seeds' idea, try every step in ``grid`` and keep the best.
        "exact": minimize ``phi`` on ``[0, alpha_max]`` by golden-section search
        (after bracketing), to a relative tolerance ``xtol``.
        "wolfe": a step satisfying the strong Wolfe conditions
        ``phi(a) <= phi(0) + c1 a phi'(0)`` and ``|phi'(a)| <= c2 |phi'(0)|``
        (bracketing, then zoom: Nocedal & Wright alg. 3.5 / 3.6, as scipy's
        ``scalar_search_wolfe2``); needs ``0 < c1 < c2 < 1``.
        "quadratic": the step ``eps* = g'g / g'Hg`` that minimizes the local quadratic
        model along -g (Goodfellow eq. 4.10), from the Hessian at every step (minimize
        runs it through :mod:`descend.methods`); a run stops where ``g'Hg <= 0``.
    c2 : float
        The curvature constant of the Wolfe search (0.9 for quasi-Newton
        methods, 0.1 or 0.4 is usual for nonlinear conjugate gradient).
    amax : float or None
        The largest step the Wolfe search may try.
    bracket_iter, zoom_iter : int
        The most trial steps of the Wolfe search's two phases: 40 and 10 (scipy's
        10 and 10; the first 10 bracketing trials double the step as scipy's, the
        others grow it 4-fold, see :func:`wolfe`).
    approximate : bool
        Let the Wolfe search accept a step by its slope where f is flat to rounding
        (see :func:`wolfe`).
    """

    method: str = "backtracking"
    alpha0: float = 1.0
    rho: float = 0.5
    c1: float = 1e-4
    max_iter: int = 60
    grid: tuple = _GRID
    xtol: float = 1e-10
    c2: float = 0.9
    amax: float | None = None
    bracket_iter: int = BRACKET_ITER
    zoom_iter: int = 10
    approximate: bool = True

    def __post_init__(self):
        if self.method not in METHODS:
            raise DescendError(unknown_name("line search", self.method, METHODS))
        check_positive("alpha0", self.alpha0)
        check_in_range("rho", self.rho, 0, 1, lo_open=True, hi_open=True)
        check_in_range("c1", self.c1, 0, 1, lo_open=True, hi_open=True)
        if len(self.grid) == 0:
            raise DescendError("grid must hold at least one step size, got an empty grid")
        for a in () if self.grid is _GRID else self.grid:  # the default grid is known good: no 21 checks per search
            check_positive("grid step", a)
        check_positive("xtol", self.xtol)
        check_in_range("c2", self.c2, 0, 1, lo_open=True, hi_open=True)
        if self.method == "wolfe":
            check_c1_c2(self.c1, self.c2)
        if self.amax is not None:
            check_positive("amax", self.amax)
        for name in ("bracket_iter", "zoom_iter"):
            if check_nonnegative_int(name, getattr(self, name)) < 1:
                raise DescendError(f"{name} must be an integer >= 1, got {getattr(self, name)}")


def get(line_search) -> LineSearch | None:
    """None, a method name or a :class:`LineSearch`."""
    if line_search is None or isinstance(line_search, LineSearch):
        return line_search
    if isinstance(line_search, str):
        return LineSearch(method=line_search)
    raise DescendError(f"line_search must be None, one of {', '.join(METHODS)} or a LineSearch, got {line_search!r}")


def search(ls: LineSearch, evaluate, X, D, F, G, gradient=None):
    """Run ``ls`` along directions ``D`` from the rows of ``X``.

    ``evaluate(points, rows)`` returns f at ``points`` (shape (m, n)), which belong to the
    runs ``rows`` (shape (m,)); ``F`` and ``G`` are f and the gradient at ``X``.
    ``gradient(points, rows)`` is needed by the Wolfe search only.
    Returns ``(alpha, f_new, nfev)``, one entry per row (for "wolfe" nfev counts the
    evaluations of f and of the gradient).
    """
    if ls.method == "quadratic":
        raise DescendError("the quadratic line search needs the Hessian: use descend.minimize(..., "
                           "line_search='quadratic'), which takes it from the problem, hess= or finite differences")
    if ls.method == "wolfe":
        if gradient is None:
            raise DescendError("the wolfe line search needs the gradient along the line: pass gradient=")
        step, _ = search_wolfe(ls, evaluate, gradient, X, D, F, G)
        return step.alpha, step.phi, step.nfev + step.ngev

    def phi(alpha, rows):
        return evaluate(X[rows] + alpha[:, None] * D[rows], rows)

    dphi0 = np.einsum("ij,ij->i", G, D)
    if ls.method == "backtracking":
        return backtracking(phi, F, dphi0, ls.alpha0, ls.rho, ls.c1, ls.max_iter)
    if ls.method == "grid":
        return grid(phi, F, ls.grid)
    return golden(phi, F, ls.alpha0, ls.xtol)
