"""Test functions for optimizers: the seeds' examples and the classic benchmark landscapes.

Each problem is a :class:`Problem`: the function ``f``, its analytic gradient
``grad`` (and ``hessian`` where it is easy), a default start ``x0``, the known
global minimizers and minimum, and a plotting window.  Get one by name::

    >>> from descend import problems
    >>> p = problems.get("rosenbrock")
    >>> p
    Problem('rosenbrock', n=2, a=1.0, b=100.0; dim=2, minimum=0.0, x0=[-1.2  1. ])
    >>> float(p(p.minimizers[0]))
    0.0

or call the factory of the same name (``problems.rosenbrock(n=5)``).
:func:`names` lists them all.

Conventions shared by every problem
-----------------------------------
* ``f`` takes one point of shape ``(n,)`` and returns a scalar, or a batch of
  shape ``(m, n)`` (any leading axes) and returns shape ``(m,)``.  ``grad``
  returns the shape it was given; ``hessian`` adds a trailing ``(n, n)``.
  A 1-D problem (``n = 1``) also takes a 0-d scalar.
* The formulas work along the last axis with plain arithmetic (``x*x``, never
  ``abs`` or ``maximum``) and analytic NumPy functions, so they accept complex
  input and the complex-step derivative of :mod:`descend.diff` applies.
* Integer input is computed in float64; the caller's array is never written to.
* A point of the wrong dimension raises :class:`~descend.errors.DescendError`
  naming the expected dimension and the shape given.

References
----------
The benchmark functions, their domains and their minima follow
S. Surjanovic and D. Bingham, *Virtual Library of Simulation Experiments*
(https://www.sfu.ca/~ssurjano/optimization.html), and M. Jamil and X.-S. Yang,
"A literature survey of benchmark functions for global optimization problems",
Int. J. Math. Modelling and Numerical Optimisation 4(2), 2013.
"""

from __future__ import annotations

from .problem import Problem, get, names
from .functions import (elongated_bowl, ill_conditioned, least_squares, parabola, poly1d, quadratic, saddle,
                        sphere)
from .benchmarks import (ackley, beale, booth, goldstein_price, himmelblau, matyas, rastrigin, rosenbrock,
                         six_hump_camel, styblinski_tang, three_hump_camel)

__all__ = [
    "Problem", "get", "names", "from_expression",
    "poly1d", "parabola", "sphere", "least_squares", "quadratic", "ill_conditioned",
    "elongated_bowl", "rosenbrock", "beale", "himmelblau", "booth", "matyas",
    "three_hump_camel", "six_hump_camel", "goldstein_price", "rastrigin", "ackley",
    "styblinski_tang", "saddle",
]


def from_expression(text: str, variables=("x", "y"), *, x0=None, window=None, name: str = "expression") -> Problem:
    """The problem of a typed formula, e.g. ``from_expression("x**2/20 + y**2")``.

    The one parser of the explorer, the CLI and the API (:mod:`descend.expression`):
    the text becomes an allowed syntax tree (numbers, the variables, ``+ - * / **``,
    unary minus, parentheses, the functions of :data:`descend.expression.FUNCTIONS`
    and the constants pi and e), evaluated with NumPy; it is never executed.  The
    gradient and Hessian are the tree's symbolic derivatives.

    Parameters
    ----------
    text : str
        The formula, Python syntax (``**`` for powers), at most 400 characters.
    variables : ("x", "y") or ("x",)
        f(x, y) (a 2-D problem) or f(x) (1-D).
    x0 : array_like, optional
        The start; default a sixth of the window in from its upper-left corner
        (``(-2, 2)`` for the default window), two thirds along it in 1-D.
    window : tuple, optional
        The plotting window; default ``(-3, 3)`` per variable.
    name : str
        The problem's name.

    Returns
    -------
    Problem
        With no known minimizers (minimum nan) and ``params = {"expression": text}``.

    Raises
    ------
    DescendError
        For a formula outside the allowed syntax: the message names what is not
        allowed and shows what is.

    Examples
    --------
    >>> p = from_expression("(1 - x)**2 + 100*(y - x**2)**2")
    >>> float(p([1.0, 1.0])), bool((p.grad([1.0, 1.0]) == 0).all())
    (0.0, True)
    """
    # lazy: the parser loads on first use, so that import descend stays fast
    from .expression import to_problem

    return to_problem(text, variables, x0=x0, window=window, name=name)
