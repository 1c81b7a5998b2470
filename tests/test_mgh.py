"""The Moré-Garbow-Hillstrom problems against scipy.optimize: descend solves what scipy solves.

Every problem of tests/mgh.py (the paper's 18 for unconstrained minimization, plus
Rosenbrock, Freudenstein-Roth and Bard), from its standard start and 10x and 100x it,
with bfgs, lbfgs, cg and damped_newton, against scipy's BFGS, L-BFGS-B, CG and Newton-CG
from tests/fixtures/mgh_scipy.json (written by scripts/make_mgh_fixtures.py; a live
check reruns a few cases where scipy is installed).  A case scipy solves (f within
1e-6 max(1, |f*|) of the paper's minimum f*) must be solved by descend (or gtol met within
1e-5 of scipy's f), or be listed in
:data:`NOT_SOLVED` with the reason.  Evaluations (f and gradient counted apart, as scipy's
nfev + njev) are compared per case and by their median.

The default run takes the cases issue 22 found stopping early, the standard starts of the
quick problems and the evaluation table on them; the whole table (252 runs, about a
minute) is marked slow.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import descend
from helpers import requires
from mgh import FACTORS, PROBLEMS

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "mgh_scipy.json").read_text())
CASES = {(c["problem"], c["factor"], c["method"]): c for c in FIXTURE["cases"]}
METHODS = ("bfgs", "lbfgs", "cg", "damped_newton")
GTOL = FIXTURE["gtol"]

#: Cases scipy solves and descend does not, with the reason.
NOT_SOLVED = {
    ("trigonometric", 10, "cg"): "another local minimum: descend's CG meets gtol at f = 2.8e-5 (the paper's other "
                                 "minimum of the n = 10 problem, 2.79506e-5), scipy's CG reaches 0 from the same start",
}

#: Cases solved at more than 4x scipy's evaluations, with the reason.
COSTLIER: dict = {}  # none since the Armijo fallback starts at the failed search's scale (Powell x100 lbfgs: 36 evaluations, was 60)

#: The cases issue 22 found stopping at a line-search failure ("f may be unbounded below").
ISSUE_22 = [("brown_badly_scaled", 1, "bfgs"), ("brown_badly_scaled", 10, "bfgs"), ("brown_badly_scaled", 1, "lbfgs"),
            ("brown_badly_scaled", 10, "lbfgs"), ("bard", 100, "lbfgs"), ("bard", 100, "bfgs"),
            ("bard", 10, "lbfgs"), ("bard", 100, "cg"), ("powell_badly_scaled", 1, "lbfgs"),
            ("extended_powell", 100, "bfgs"), ("gulf", 1, "cg"), ("penalty1", 100, "bfgs"),
            ("extended_rosenbrock", 100, "bfgs")]
#: Quick standard starts: the evaluation comparison of the default run.
QUICK = [(name, 1, m) for name in ("helical_valley", "gaussian", "box3d", "variably_dimensioned", "penalty2",
                                    "brown_dennis", "extended_powell", "beale", "wood", "rosenbrock", "bard")
         for m in ("bfgs", "lbfgs", "cg")]


def solved(problem, f):
    return f <= problem.fmin + 1e-6 * max(1.0, abs(problem.fmin))


def evaluations(c):
    return c["nfev"] + c["njev"]


@pytest.fixture(scope="module")
def runs():
    """descend's result on a case, computed once per module."""
    cache = {}

    def run(case):
        if case not in cache:
            name, factor, method = case
            p = PROBLEMS[name]
            with np.errstate(all="ignore"):
                cache[case] = descend.minimize(p.f, p.start(factor), grad=p.grad, method=method, steps=20000,
                                               gtol=GTOL, history=False)
        return cache[case]

    return run


def check_case(runs, case):
    ref = CASES[case]
    p = PROBLEMS[case[0]]
    r = runs(case)
    if solved(p, ref["fun"]) and case not in NOT_SOLVED:
        # Solved: the paper's minimum reached, or gtol met within 1e-5 of scipy's f (a flat
        # valley such as Gulf's stops both at gtol with f anywhere in 1e-8 .. 1e-5).
        near = r.success and r.fun <= ref["fun"] + 1e-5 * max(1.0, abs(p.fmin))
        assert solved(p, r.fun) or near, f"{case}: scipy f={ref['fun']:.3g}, descend f={r.fun:.3g}: {r.message}"
        assert "unbounded" not in r.message
        # Evaluations are compared where both stop at the same f: not where one stops at a point gtol
        # accepts early (Powell badly scaled x10: scipy's f = 4e-9 after 3, descend's 1e-13) or in another basin.
        same = abs(r.fun - ref["fun"]) <= 1e-3 * max(abs(r.fun), abs(ref["fun"])) + 1e-10
        if same and case[2] != "damped_newton" and case not in COSTLIER:  # Newton-CG's finite-difference products count otherwise
            assert r.nfev + r.ngev <= 4 * evaluations(ref) + 20, (case, r.nfev + r.ngev, evaluations(ref))
    return r


@pytest.mark.parametrize("case", ISSUE_22, ids=lambda c: f"{c[0]}-x{c[1]}-{c[2]}")
def test_issue_22_cases_reach_scipys_minimum(runs, case):
    ref = CASES[case]
    assert solved(PROBLEMS[case[0]], ref["fun"])  # scipy solves it: the case is a real test
    r = check_case(runs, case)
    assert r.success, r.message


@pytest.mark.parametrize("case", QUICK, ids=lambda c: f"{c[0]}-{c[2]}")
def test_standard_starts(runs, case):
    check_case(runs, case)


def test_evaluations_as_few_as_scipys_on_the_quick_cases(runs):
    for method in ("bfgs", "lbfgs", "cg"):
        ratios = [(runs(c).nfev + runs(c).ngev) / evaluations(CASES[c]) for c in QUICK if c[2] == method
                  and solved(PROBLEMS[c[0]], CASES[c]["fun"]) and runs(c).success]
        assert len(ratios) >= 8
        assert np.median(ratios) <= 1.3, (method, np.round(ratios, 2))


def test_the_fixture_covers_every_problem_start_and_method():
    assert len(PROBLEMS) == 21 and len([p for p in PROBLEMS.values() if p.number not in (1, 2, 8)]) == 18
    assert set(CASES) == {(n, f, m) for n in PROBLEMS for f in FACTORS for m in METHODS}
    # the table is a test: scipy solves most cases, and fails some (the far starts of a few)
    assert 150 <= sum(solved(PROBLEMS[c[0]], c_["fun"]) for c, c_ in CASES.items()) < len(CASES)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0]}-x{c[1]}-{c[2]}")
def test_every_case_scipy_solves(runs, case):
    check_case(runs, case)


@requires("scipy")
@pytest.mark.parametrize("case", [("brown_badly_scaled", 1, "bfgs"), ("bard", 10, "lbfgs"), ("beale", 1, "cg")])
def test_fixture_matches_scipy_live(case):
    from scipy.optimize import minimize

    import scipy

    name, factor, method = case
    p = PROBLEMS[name]
    ref = CASES[case]
    opts = {"bfgs": {"gtol": GTOL, "norm": 2, "maxiter": 20000}, "cg": {"gtol": GTOL, "norm": 2, "maxiter": 20000},
            "lbfgs": {"gtol": GTOL, "ftol": 0.0, "maxiter": 20000}}[method]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        s = minimize(p.f, p.start(factor), jac=p.grad, method={"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "cg": "CG"}[method],
                     options=opts)
    assert solved(p, s.fun) == solved(p, ref["fun"])
    if scipy.__version__ == FIXTURE["scipy_version"]:
        assert (s.nit, s.nfev, s.njev) == (ref["nit"], ref["nfev"], ref["njev"])
