"""One run's solve takes its own path (issue 20 point 4): the strong-Wolfe search of one row on
plain floats, L-BFGS's two-loop recursion on one run's vectors.  Each must give exactly the
numbers of the same row inside a batch, which takes the masked path over arrays."""

import numpy as np
import pytest

import descend
from descend import problems
from descend.linesearch import wolfe

# phi and phi' of one line each: a quadratic, a wiggly line, f flat to rounding (the
# approximate Wolfe test and the flat phase), f falling forever, f of -inf, nan past a point,
# an uphill direction, and a steep narrow valley (long zoom).
LINES = {
    "quadratic": (lambda a: (a - 3.0) ** 2, lambda a: 2.0 * (a - 3.0)),
    "wiggly": (lambda a: np.sin(5.0 * a) + 0.1 * a * a - a, lambda a: 5.0 * np.cos(5.0 * a) + 0.2 * a - 1.0),
    "flat": (lambda a: 1.0 + 1e-18 * (a - 2.0) ** 2, lambda a: 2e-18 * (a - 2.0)),
    "flat_slope": (lambda a: 1.0 + 0.0 * a, lambda a: 1e-9 * (a - 2.0)),
    "unbounded": (lambda a: -a, lambda a: -1.0 + 0.0 * a),
    "minus_inf": (lambda a: np.where(a > 2.0, -np.inf, -a), lambda a: -1.0 + 0.0 * a),
    "nan_beyond": (lambda a: np.where(a > 0.7, np.nan, (a - 1.0) ** 2), lambda a: np.where(a > 0.7, np.nan, 2.0 * (a - 1.0))),
    "nan_slope": (lambda a: (a - 1.0) ** 2, lambda a: np.where(a > 0.3, np.nan, 2.0 * (a - 1.0))),
    "uphill": (lambda a: a * a + a, lambda a: 2.0 * a + 1.0),
    "valley": (lambda a: 1e6 * (a - 0.37) ** 4 - 1e-3 * a, lambda a: 4e6 * (a - 0.37) ** 3 - 1e-3),
}
# A second and third row for the batch, so that it goes through the masked path.
OTHERS = ("quadratic", "wiggly")


def _search(names, alpha1, **kw):
    fs = [LINES[n] for n in names]

    def phi(alpha, rows):
        return np.array([fs[r][0](a) for a, r in zip(alpha, rows)], dtype=float)

    def dphi(alpha, rows):
        return np.array([fs[r][1](a) for a, r in zip(alpha, rows)], dtype=float)

    zero = np.zeros(1)
    phi0 = np.array([float(f(zero)[0]) for f, _ in fs])
    dphi0 = np.array([float(d(zero)[0]) for _, d in fs])
    a1 = np.full(len(names), alpha1)
    return wolfe(phi, dphi, phi0, dphi0, a1, **kw)


@pytest.mark.parametrize("kw", [{}, {"amax": 0.5}, {"c2": 0.1, "zoom_iter": 2}, {"bracket_iter": 3},
                                {"approximate": False}])
@pytest.mark.parametrize("alpha1", [1.0, 1e-3, 40.0])
@pytest.mark.parametrize("name", sorted(LINES))
def test_one_row_search_is_the_row_of_a_batch_bit_for_bit(name, alpha1, kw):
    one = _search([name], alpha1, **kw)
    batch = _search([OTHERS[0], name, OTHERS[1]], alpha1, **kw)
    for field in one._fields:
        a, b = np.asarray(getattr(one, field)), np.asarray(getattr(batch, field))[1:2]
        assert a.dtype == b.dtype and a.shape == (1,), field
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: {field}")


def test_the_lines_reach_every_way_a_search_ends():
    """The cases above are worth their name: between them they end in every status a search
    can reach ("amax" needs a previous trial past amax, which the capped growth never makes),
    and flat lines are accepted by the approximate test."""
    seen, approximate = set(), 0
    for name in LINES:
        for alpha1 in (1.0, 1e-3, 40.0):
            for kw in ({}, {"amax": 0.5}, {"c2": 0.1, "zoom_iter": 2}, {"bracket_iter": 3}):
                step = _search([name], alpha1, **kw)
                seen.add(int(step.status[0]))
                approximate += bool(step.approximate[0])
    statuses = descend.linesearch.WOLFE_STATUS
    assert {statuses[i] for i in seen} == set(statuses) - {"amax"}
    assert approximate > 0


@pytest.mark.parametrize("method", ["lbfgs", "bfgs", "cg"])
@pytest.mark.parametrize("name,n", [("rosenbrock", 2), ("rosenbrock", 10), ("himmelblau", 2), ("beale", 2)])
def test_a_single_solve_is_row_i_of_a_batch(method, name, n):
    p = problems.get(name, n=n) if n != 2 else problems.get(name)
    X0 = np.asarray(p.x0, dtype=float) + np.array([[0.0], [0.3], [-0.2]]) * np.ones(n)
    # the NumPy path's two ways (tests/test_second_order_compiled.py compares the compiled solver with both)
    batch = descend.minimize(p, X0, method=method, steps=300, gtol=1e-10, compiled=False)
    for i in range(3):
        one = descend.minimize(p, X0[i], method=method, steps=300, gtol=1e-10, compiled=False)
        np.testing.assert_array_equal(batch.x[i], one.x)
        assert (batch.nit[i], batch.nfev[i], batch.ngev[i], batch.status[i]) == (one.nit, one.nfev, one.ngev,
                                                                                 one.status)
        np.testing.assert_array_equal(batch.history.f[: len(one.history), i], one.history.f)


@pytest.mark.parametrize("n", [1, 2, 5, 7, 8, 12])
def test_lbfgs_of_a_python_function_is_row_i_of_a_batch(n):
    """One run's two-loop recursion on Python floats (below 8 variables) or on its vectors gives the
    batch's numbers: a user's f and gradient, called one point at a time."""
    scale = np.linspace(1.0, 30.0, n)

    def f(x):
        return float(np.sum(scale * (x - 1.0) ** 2) + np.sum(np.sin(3.0 * x)))

    def grad(x):
        return 2.0 * scale * (x - 1.0) + 3.0 * np.cos(3.0 * x)

    X0 = np.random.default_rng(n).normal(size=(3, n)) * 2.0
    for m in (10, 2):
        batch = descend.minimize(f, X0, grad=grad, method="lbfgs", m=m, steps=200, gtol=1e-12)
        for i in range(3):
            one = descend.minimize(f, X0[i], grad=grad, method="lbfgs", m=m, steps=200, gtol=1e-12)
            np.testing.assert_array_equal(batch.x[i], one.x)
            assert (batch.nit[i], batch.nfev[i], batch.message[i]) == (one.nit, one.nfev, one.message)
