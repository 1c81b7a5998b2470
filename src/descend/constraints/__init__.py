"""Constraints (Goodfellow et al., *Deep Learning*, sec. 4.4): projected gradient descent and the KKT conditions.

A constraint set is convex and has a cheap Euclidean projection ``P``; projected
gradient descent steps ``x <- P(x - lr grad f(x))`` and stops where the projected
gradient ``x - P(x - grad f(x))`` vanishes.  Each set also describes itself as
inequalities ``g_i(x) <= 0`` and equalities ``h_j(x) = 0`` for :func:`kkt`, which
reports how far a point is from satisfying the Karush-Kuhn-Tucker conditions of the
generalized Lagrangian ``L = f + sum_i lambda_i g_i + sum_j mu_j h_j``.

:func:`constrained_least_squares` is the book's example of sec. 4.5: minimize
``1/2 |Ax - b|^2`` subject to ``x'x <= 1`` by the Lagrange-multiplier update
(solve for x given lambda, then gradient ascent on lambda), and
:func:`least_squares_three_ways` the unconstrained problem by gradient descent,
by Newton's method in one step and by the pseudo-inverse.
"""

from .least_squares import ConstrainedLeastSquares, constrained_least_squares, least_squares_three_ways  # noqa: F401
from .sets import KKT, Ball, Box, Constraint, Simplex, check_constraint, kkt  # noqa: F401  (as before the split)

__all__ = ["Constraint", "Box", "Ball", "Simplex", "KKT", "kkt", "constrained_least_squares",
           "least_squares_three_ways"]
