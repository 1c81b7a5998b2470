"""The strong-Wolfe line search: the conditions themselves, scipy's steps, batches, refusals."""

import warnings

import numpy as np
import pytest

import descend
from descend import problems
from descend.errors import DescendError
from descend.linesearch import (BRACKET_ITER, WOLFE_MESSAGES, WOLFE_STATUS, LineSearch, WolfeStep, initial_step,
                                search, search_wolfe, wolfe, wolfe_scalar, wolfe_stop)
from descend.linesearch.strong_wolfe import DOUBLINGS
from descend.result import MESSAGES
from helpers import requires, rosen, rosen_grad

try:
    from scipy.optimize import _linesearch as scipy_ls
    from scipy.optimize import line_search as scipy_line_search
except ImportError:  # scipy is a test extra: the comparisons with it skip, the rest runs
    scipy_ls = scipy_line_search = None

# scipy's own scalar test functions (scipy/optimize/tests/test_linesearch.py), phi and phi'.
SCALAR = {
    "poly": (lambda s: -s - s**3 + s**4, lambda s: -1 - 3 * s**2 + 4 * s**3),
    "exp": (lambda s: np.exp(-4 * s) + s**2, lambda s: -4 * np.exp(-4 * s) + 2 * s),
    "sin": (lambda s: -np.sin(10 * s), lambda s: -10 * np.cos(10 * s)),
}
# A few more shapes: a steep start, a far minimum (many doublings), a tiny one (zoom).
EXTRA = {
    "far": (lambda s: (s - 40.0) ** 2, lambda s: 2 * (s - 40.0)),
    "near": (lambda s: (s - 1e-3) ** 2 * 1e4, lambda s: 2e4 * (s - 1e-3)),
    "quartic": (lambda s: (s - 0.3) ** 4 - s, lambda s: 4 * (s - 0.3) ** 3 - 1),
}


def assert_wolfe(a, phi, dphi, c1, c2):
    assert a > 0
    assert phi(a) <= phi(0.0) + c1 * a * dphi(0.0), "sufficient decrease fails"
    assert abs(dphi(a)) <= c2 * abs(dphi(0.0)), "curvature condition fails"


def scipy_step(phi, dphi, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy_ls.LineSearchWarning)
        a, f, _, d = scipy_ls.scalar_search_wolfe2(phi, dphi, **kw)
    return a, f, d


CASES = [(name, c1, c2, old, amax)
         for name in list(SCALAR) + list(EXTRA)
         for c1, c2 in [(1e-4, 0.9), (1e-4, 0.1), (0.1, 0.4), (0.3, 0.35)]
         for old in [None, 0.5, 3.0]
         for amax in [None, 50.0]]


@requires("scipy")
@pytest.mark.parametrize("name,c1,c2,old_delta,amax", CASES)
def test_same_step_as_scipy_and_both_conditions(name, c1, c2, old_delta, amax):
    phi, dphi = {**SCALAR, **EXTRA}[name]
    old = None if old_delta is None else phi(0.0) + old_delta
    ref, ref_f, _ = scipy_step(phi, dphi, old_phi0=old, c1=c1, c2=c2, amax=amax)
    a, f, d = wolfe_scalar(phi, dphi, old_phi0=old, c1=c1, c2=c2, amax=amax)
    if ref is not None and abs(dphi(ref)) <= c2 * abs(dphi(0.0)):
        assert a is not None
        assert abs(a - ref) <= 1e-10 * max(1.0, abs(ref))
        assert abs(f - ref_f) <= 1e-10 * max(1.0, abs(ref_f))
    if a is not None:
        assert_wolfe(a, phi, dphi, c1, c2)
        assert f == phi(a) and d == dphi(a)


def test_scipy_cases_all_succeed():
    # The table above must not pass by every search failing.
    for name, (phi, dphi) in {**SCALAR, **EXTRA}.items():
        a, _, _ = wolfe_scalar(phi, dphi)
        assert a is not None, name


def test_rows_of_a_batch_equal_each_search_alone():
    funcs = list(SCALAR.values()) + list(EXTRA.values())

    def phi(a, rows):
        return np.array([funcs[r][0](x) for x, r in zip(a, rows)])

    def dphi(a, rows):
        return np.array([funcs[r][1](x) for x, r in zip(a, rows)])

    k = len(funcs)
    phi0 = np.array([f(0.0) for f, _ in funcs])
    dphi0 = np.array([d(0.0) for _, d in funcs])
    batch = wolfe(phi, dphi, phi0, dphi0, c2=0.4)
    for i, (f, d) in enumerate(funcs):
        a, fa, _ = wolfe_scalar(f, d, c2=0.4)
        assert batch.alpha[i] == a and batch.phi[i] == fa
        one = wolfe(lambda a_, r: phi(a_, np.full_like(r, i)), lambda a_, r: dphi(a_, np.full_like(r, i)),
                    phi0[i:i + 1], dphi0[i:i + 1], c2=0.4)
        assert one.nfev[0] == batch.nfev[i] and one.ngev[0] == batch.ngev[i]
    assert batch.ok.all() and batch.alpha.shape == (k,)


@requires("scipy")
@pytest.mark.parametrize("seed", range(8))
def test_vector_wrapper_matches_scipy_line_search(seed):
    rng = np.random.default_rng(seed)
    n = 5
    x = rng.normal(size=n)
    g = rosen_grad(x)
    d = -g / np.linalg.norm(g) * rng.uniform(0.01, 2)
    old = float(rosen(x)) + rng.uniform(0.1, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = scipy_line_search(rosen, rosen_grad, x, d, gfk=g, old_fval=float(rosen(x)), old_old_fval=old)
    ls = LineSearch("wolfe")
    X, D, F, G = x[None], d[None], np.array([rosen(x)]), g[None]
    dphi0 = G @ d
    step, G_new = search_wolfe(ls, lambda P, r: rosen(P), lambda P, r: rosen_grad(P), X, D, F, G,
                               alpha1=initial_step(F, np.array([old]), dphi0))
    if ref[0] is not None:
        assert step.ok[0]
        assert abs(step.alpha[0] - ref[0]) <= 1e-10 * max(1.0, ref[0])
        np.testing.assert_allclose(G_new[0], ref[5], rtol=1e-10)
        assert step.nfev[0] == ref[1] and step.ngev[0] == ref[2]
    if step.ok[0]:
        a = step.alpha[0]
        assert rosen(x + a * d) <= F[0] + 1e-4 * a * dphi0[0]
        assert abs(rosen_grad(x + a * d) @ d) <= 0.9 * abs(dphi0[0])
        np.testing.assert_array_equal(G_new[0], rosen_grad(x + a * d))


def test_not_a_descent_direction_is_a_status():
    step = wolfe(lambda a, r: a ** 2, lambda a, r: 2 * a, np.array([0.0, 1.0]), np.array([0.0, 2.0]))
    assert [WOLFE_STATUS[s] for s in step.status] == ["not_descent", "not_descent"]
    assert np.all(step.alpha == 0) and np.all(step.nfev == 0)


def test_unbounded_below_runs_out_of_bracketing():
    step = wolfe(lambda a, r: -a, lambda a, r: -np.ones_like(a), np.array([0.0]), np.array([-1.0]))
    assert WOLFE_STATUS[step.status[0]] == "bracket_iter" and step.alpha[0] == 0
    # Only after f fell over the whole range: 10 doublings, then 4-fold to the 40th trial.
    assert step.nfev[0] == BRACKET_ITER and step.reach[0] == 2.0 ** DOUBLINGS * 4.0 ** (BRACKET_ITER - 1 - DOUBLINGS)
    assert step.phi_reach[0] == -step.reach[0]


def test_minus_infinity_is_unbounded_at_once():
    step = wolfe(lambda a, r: np.where(a >= 4, -np.inf, -a), lambda a, r: -np.ones_like(a), np.zeros(1), -np.ones(1))
    assert WOLFE_STATUS[step.status[0]] == "bracket_iter" and step.nfev[0] == 3 and step.phi_reach[0] == -np.inf


def test_bracketing_doubles_as_scipy_then_grows_fourfold():
    # Brown badly scaled from (1, 1) in one dimension: the first trial is ~1e-6 of the step needed.
    trials = []

    def phi(a, r):
        trials.extend(a)
        return (a - 0.25) ** 2

    step = wolfe(phi, lambda a, r: 2 * (a - 0.25), np.array([0.0625]), np.array([-0.5]), alpha1=5e-7)
    assert step.ok[0]
    assert_wolfe(step.alpha[0], lambda a: (a - 0.25) ** 2, lambda a: 2 * (a - 0.25), 1e-4, 0.9)
    ratios = np.array(trials[1:DOUBLINGS + 2]) / np.array(trials[:DOUBLINGS + 1])
    np.testing.assert_array_equal(ratios[:DOUBLINGS], 2.0)
    assert ratios[DOUBLINGS] == 4.0
    # scipy's own bracketing count gives up on it, as it did before issue 22.
    short = wolfe(lambda a, r: (a - 0.25) ** 2, lambda a, r: 2 * (a - 0.25), np.array([0.0625]),
                  np.array([-0.5]), alpha1=5e-7, bracket_iter=DOUBLINGS)
    assert WOLFE_STATUS[short.status[0]] == "bracket_iter"


def test_a_bracket_shrunk_to_rounding_stops_as_step_too_small():
    # phi' says "descend" but phi cannot be decreased: the zoom narrows to rounding and stops
    # there (status "rounding") instead of spending its remaining trials on the same point.
    def phi(a, r):
        return np.where(a > 0, 1.0 + 1e-300, 1.0)

    step = wolfe(phi, lambda a, r: -np.ones_like(a), np.ones(1), -np.ones(1), zoom_iter=2000, approximate=False)
    assert WOLFE_STATUS[step.status[0]] == "rounding" and step.alpha[0] == 0
    assert step.nfev[0] < 1100  # about one trial per halving down to the smallest double


@pytest.mark.parametrize("status", [s for s in WOLFE_STATUS if s != "ok"])
def test_every_failure_has_a_message_that_formats(status):
    code = WOLFE_STATUS.index(status)
    step = WolfeStep(*(np.zeros(1) for _ in range(5)), np.array([code]), np.zeros(1, dtype=bool), np.array([3e20]),
                     np.array([-3e20]))
    key, numbers = wolfe_stop(step, 0)
    assert key == WOLFE_MESSAGES[status]
    text = MESSAGES[key].format(step=4, c1=1e-4, c2=0.9, method="bfgs", grad_norm=1.0, fun=2.0, **numbers)
    words = {"not_descent": "not a descent direction", "rounding": "step too small", "amax": "amax",
             "bracket_iter": "unbounded below", "zoom_iter": "no progress", "nonfinite": "non-finite"}
    assert words[status] in text
    if status == "bracket_iter":
        assert "-3e+20" in text and "3e+20" in text


def test_amax_is_respected():
    phi, dphi = EXTRA["far"]
    trials = []

    def record(a, r):
        trials.extend(a)
        return phi(a)

    step = wolfe(record, lambda a, r: dphi(a), np.array([phi(0.0)]), np.array([dphi(0.0)]), c2=0.5, amax=2.0)
    assert not step.ok[0] and max(trials) <= 2.0
    assert wolfe_scalar(phi, dphi, c2=0.5)[0] > 2.0  # without the cap it goes further


def test_nan_along_the_line_is_a_bracket_end():
    # phi is nan beyond 0.5: the search must zoom back, not double into the nan region.
    def phi(a, r):
        return np.where(a > 0.5, np.nan, (a - 0.4) ** 2)

    def dphi(a, r):
        return 2 * (a - 0.4)

    step = wolfe(phi, dphi, np.array([0.16]), np.array([-0.8]))
    assert step.ok[0] and 0 < step.alpha[0] <= 0.5
    assert_wolfe(step.alpha[0], lambda a: (a - 0.4) ** 2, lambda a: 2 * (a - 0.4), 1e-4, 0.9)


@pytest.mark.parametrize("c1,c2,word", [(0.5, 0.5, "0 < c1 < c2 < 1"), (0.9, 0.1, "0 < c1 < c2 < 1"),
                                        (1e-4, 1.0, "c2 must be in"), (0.0, 0.9, "c1 must be in")])
def test_c1_c2_checked_at_construction(c1, c2, word):
    with pytest.raises(DescendError, match=word.replace("(", r"\(")):
        LineSearch("wolfe", c1=c1, c2=c2)
    with pytest.raises(DescendError, match=word.replace("(", r"\(")):
        wolfe(lambda a, r: a, lambda a, r: a, np.zeros(1), -np.ones(1), c1=c1, c2=c2)


def test_c1_above_the_default_c2_is_fine_for_backtracking():
    assert LineSearch("backtracking", c1=0.95).c1 == 0.95


def test_unknown_line_search_lists_wolfe():
    with pytest.raises(DescendError, match="wolfe"):
        LineSearch("strong")


def test_search_dispatch_needs_the_gradient():
    X = np.zeros((1, 2))
    with pytest.raises(DescendError, match="gradient"):
        search(LineSearch("wolfe"), lambda P, r: rosen(P), X, -rosen_grad(X), rosen(X), rosen_grad(X))
    alpha, f, nfev = search(LineSearch("wolfe"), lambda P, r: rosen(P), X, -rosen_grad(X), rosen(X),
                            rosen_grad(X), gradient=lambda P, r: rosen_grad(P))
    assert alpha[0] > 0 and f[0] < rosen(X)[0] and nfev[0] >= 2


@pytest.mark.parametrize("seed", [0, 1])
def test_lbfgs_default_start_reaches_gtol_on_a_convex_quadratic_within_2n_steps(seed):
    # Issue 22: L-BFGS's default first trial is the quadratic start (near-exact steps keep
    # the conjugacy); with unit steps it took 2.0n and 2.1n steps on these two.
    n = 50
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(np.logspace(0, 2, n)) @ Q.T  # condition number 100
    p = problems.get("quadratic", A=A, b=rng.normal(size=n), x0=np.zeros(n))
    r = descend.minimize(p, method="lbfgs", steps=1000, gtol=1e-8)
    assert r.status == "converged" and r.nit <= 2 * n, r.message
    unit = descend.minimize(p, method="lbfgs", steps=1000, gtol=1e-8, quadratic_start=False)
    assert unit.status == "converged" and r.nit < unit.nit
    np.testing.assert_allclose(r.x, np.linalg.solve(A, -p.grad(np.zeros(n))), atol=1e-7)
