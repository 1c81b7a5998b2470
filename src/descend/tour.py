"""The seeds' tour as data: each section has a title, a plain explanation and tables.

``descend demo`` prints these sections; the report page draws them with figures.
Every number here is computed by descend when the tour runs, nothing is typed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import problems
from .diff import derivative, diff_error
from .minimize import minimize
from .numerics import condition_number, softmax


@dataclass
class Table:
    title: str
    columns: list
    rows: list


@dataclass
class Section:
    key: str
    title: str
    text: str
    tables: list = field(default_factory=list)


def _naive_softmax(x):
    with np.errstate(all="ignore"):  # the point of the section: this overflows / divides 0 by 0
        e = np.exp(x)
        return e / e.sum()


def softmax_section() -> Section:
    rows = []
    for c in (10.0, 1000.0, -1000.0):
        x = np.full(5, c)
        rows.append((f"c = {c:g}", _naive_softmax(x), softmax(x)))
    x = np.arange(1.0, 6.0)
    rows.append(("x = 1..5", _naive_softmax(x), softmax(x)))
    return Section(
        "softmax", "Overflow, underflow and the stable softmax",
        "exp(1000) overflows to inf (inf/inf = nan) and exp(-1000) underflows to 0 (0/0 = nan). "
        "Subtracting max(x) first leaves the answer unchanged and makes every exponent <= 0.",
        [Table("softmax of five equal entries c (seed 001)", ["input", "naive exp(x)/sum", "descend.softmax"], rows)],
    )


def conditioning_section() -> Section:
    mats = {
        "[[1,0,-1],[0,1,0],[1,0,1]]": np.array([[1, 0, -1], [0, 1, 0], [1, 0, 1]]),
        "diag(1, 10, 100)": np.diag([1, 10, 100]),
    }
    rows = [(name, condition_number(A)) for name, A in mats.items()]
    runs = []
    for kappa in (1.0, 10.0, 100.0):
        p = problems.get("ill_conditioned", kappa=kappa)
        lr = 1.0 / kappa  # the stable step 2/L halved: L = kappa for eigenvalues 1..kappa
        r = minimize(p, p.x0, lr=lr, steps=5000, gtol=1e-6)
        runs.append((kappa, lr, r.nit, r.fun, r.status))
    return Section(
        "conditioning", "Conditioning",
        "The condition number is the ratio of the largest to the smallest singular value. "
        "For a quadratic it is how much more the steepest direction curves than the flattest: the lr must "
        "suit the steepest one, so the flat one crawls, and plain gradient descent needs about kappa times "
        "more steps.",
        [Table("condition numbers (seed 001)", ["matrix", "condition number"], rows),
         Table("gradient descent on a quadratic with condition number kappa (lr = 1/kappa, gtol 1e-6)",
               ["kappa", "lr", "steps", "final f", "status"], runs)],
    )


def differentiation_section() -> Section:
    rows = [("central", h, derivative(np.exp, 0.0, h=h)) for h in (1e-3, 1e-4)]
    rows.append(("forward", 5e-4, derivative(np.exp, 0.0, method="forward", h=5e-4)))
    rows.append(("central (h chosen by descend)", float("nan"), derivative(np.exp, 0.0)))
    rows.append(("complex step (h chosen by descend)", float("nan"), derivative(np.exp, 0.0, method="complex")))
    de = diff_error(np.exp, 0.0, 1.0)
    best = [(m, de.best_h[m], de.best_error[m]) for m in de.errors]
    return Section(
        "differentiation", "Numerical differentiation",
        "f'(x) ~ (f(x+h) - f(x-h)) / 2h. A smaller h cuts the truncation error (h for forward, h^2 for "
        "central) until round-off, about eps/h, takes over: each method has a best h.",
        [Table("derivative of e^x at 0 (exact: 1; seed 004)", ["method", "h", "estimate"], rows),
         Table("best step for each method (error against h)", ["method", "best h", "error there"], best)],
    )


def gradient_descent_section() -> Section:
    p = problems.get("sphere")
    rows = []
    for lr, verdict in ((0.1, "right"), (0.01, "too small"), (1.0, "too large")):
        r = minimize(p, np.array([-3.0, 4.0]), lr=lr, steps=20)
        rows.append((lr, verdict, r.x, r.fun, r.status))
    para = problems.get("parabola")
    seed2 = []
    for lr, steps in ((0.01, 500), (0.001, 5000), (0.999, 5000), (1e-9, 100), (10.0, 100)):
        r = minimize(para, np.array([-3.0]), lr=lr, steps=steps)
        seed2.append((lr, steps, float(r.x[0]), r.status, r.message))
    return Section(
        "gradient_descent", "Gradient descent and the learning rate",
        "x <- x - lr * grad f(x). With lr 0.1 the sum of squares shrinks by 0.8 per step; with 0.01 by "
        "0.98 (too slow); with 1.0 each step jumps to the mirror point -x and never gets closer.",
        [Table("f(x) = x0^2 + x1^2 from (-3, 4), 20 steps (seed 001)", ["lr", "verdict", "x", "f", "status"], rows),
         Table("f(x) = x^2 + 1 from -3 (seed 002): too small, too large", ["lr", "steps", "x", "status", "message"],
               seed2)],
    )


def least_squares_section() -> Section:
    p = problems.get("least_squares")
    r = minimize(p, lr=0.01, steps=10_000, gtol=0.01)
    rows = [("gradient descent, lr 0.01", r.nit, r.history.x[-2], r.x, r.status)]
    for method in ("backtracking", "exact"):
        q = minimize(p, steps=10_000, gtol=0.01, line_search=method)
        rows.append((f"line search: {method}", q.nit, q.history.x[-2] if q.nit else q.x, q.x, q.status))
    return Section(
        "line_search", "Line search and the tolerance stop",
        "f(x) = |Ax - b|^2 / 2 with A = I and b = (1, 1) from (2, 2): stop when |grad| <= 0.01. "
        "The seed counts 493 iterations and ends at 1.00712059; a line search picks each step along -grad "
        "and gets there in far fewer.",
        [Table("least squares, tolerance 0.01 (seed 001)", ["method", "steps", "last x before the stop", "final x",
                                                             "status"], rows)],
    )


def sections() -> list[Section]:
    """The tour's sections, in order."""
    return [softmax_section(), conditioning_section(), differentiation_section(), gradient_descent_section(),
            least_squares_section()]
