"""descend.minimize(method=...): Newton, damped Newton, CG, BFGS, L-BFGS, checked against scipy.optimize."""

import json
import warnings

import numpy as np
import pytest

import descend
from descend import problems
from descend.errors import DescendError
from descend.linesearch import LineSearch
from descend.methods import METHODS
from helpers import requires

try:
    from scipy.optimize import minimize as scipy_minimize
except ImportError:  # scipy is a test extra: the comparisons with it skip, the rest runs
    scipy_minimize = None

QUASI = ["cg", "bfgs", "lbfgs", "damped_newton"]
SCIPY = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "cg": "CG", "damped_newton": "Newton-CG", "newton": "Newton-CG"}
TWO_D = [name for name in problems.names() if problems.get(name).dim == 2]
CASES = [(name, {}) for name in TWO_D] + [("rosenbrock", {"n": 10}), ("rosenbrock", {"n": 100})]

# Where descend and scipy land in different basins from the same start, and why.  Each
# entry is still checked: descend's point must be a minimizer (gradient ~ 0, Hessian PD).
OTHER_BASIN = {
    ("goldstein_price", 2, "cg"): "PR+ with a quadratic first trial takes a longer first step than scipy's "
                                  "CG and settles in the local minimum (-0.6, -0.4), f = 30 (scipy's CG "
                                  "reaches the global one but reports precision loss)",
    ("rosenbrock", 10, "damped_newton"): "Rosenbrock n >= 4 has a local minimum near (-1, 1, ..., 1) "
                                         "(f = 3.9866); Newton's full steps from (-1.2, 1, ...) fall into it",
    ("rosenbrock", 100, "damped_newton"): "the same local minimum near (-1, 1, ..., 1), f = 3.9866",
    ("rosenbrock", 100, "bfgs"): "the same local minimum near (-1, 1, ..., 1): BFGS's steps differ from "
                                 "scipy's from step 2 on (the Wolfe first trial uses the problem's own "
                                 "gradient norm), and after 500 steps the paths part",
}


def problem_of(name, params):
    return problems.get(name, **params)


def scipy_result(p, method):
    sm = SCIPY[method]
    kw = dict(jac=p.grad)
    if sm == "Newton-CG":
        kw["hess"] = p.hessian
        options = {"xtol": 1e-12, "maxiter": 5000}
    elif sm == "L-BFGS-B":
        options = {"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000}
    else:
        options = {"gtol": 1e-9, "maxiter": 10000}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scipy_minimize(p.f, p.x0, method=sm, options=options, **kw)


def assert_minimizer(p, x):
    assert np.linalg.norm(p.grad(x)) <= 1e-6
    H = p.hessian(x) if p.hessian is not None else descend.hessian(p.f, x)
    assert np.all(np.linalg.eigvalsh(H) > 0)


@requires("scipy")
@pytest.mark.parametrize("method", QUASI)
@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}{p.get('n', '')}" for n, p in CASES])
def test_same_minimizer_as_scipy(name, params, method):
    p = problem_of(name, params)
    r = descend.minimize(p, method=method, steps=5000, gtol=1e-9)
    ref = scipy_result(p, method)
    assert np.linalg.norm(r.grad_norm) <= 1e-6, r.message
    key = (name, p.dim, method)
    if key in OTHER_BASIN:
        assert_minimizer(p, r.x)
        assert np.max(np.abs(r.x - ref.x)) > 1e-3  # the documented difference is real
        return
    np.testing.assert_allclose(r.x, ref.x, atol=1e-6, rtol=0)


# Pure Newton goes to the critical point of its quadratic model, whatever its kind
# (Goodfellow sec. 4.3): from these problems' starts it ends on a saddle, a maximum, or
# another local minimum than scipy's Newton-CG (a descent method) finds.
NEWTON_ELSEWHERE = {"beale": "saddle", "himmelblau": "maximum", "styblinski_tang": "maximum",
                    "goldstein_price": "minimum"}


@requires("scipy")
@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}{p.get('n', '')}" for n, p in CASES])
def test_pure_newton_reaches_scipy_minimizer_or_a_critical_point_that_is_not_one(name, params):
    p = problem_of(name, params)
    r = descend.minimize(p, method="newton", steps=200, gtol=1e-9)
    assert r.status == "converged", r.message
    if name in NEWTON_ELSEWHERE:
        lam = np.linalg.eigvalsh(p.hessian(r.x))
        kind = "minimum" if lam.min() > 0 else ("maximum" if lam.max() < 0 else "saddle")
        assert kind == NEWTON_ELSEWHERE[name]
        assert np.max(np.abs(r.x - scipy_result(p, "newton").x)) > 1e-3
        return
    np.testing.assert_allclose(r.x, scipy_result(p, "newton").x, atol=1e-6, rtol=0)


def _wolfe_problems():
    out = [problems.get(name) for name in problems.names()]
    return out + [problems.get("rosenbrock", n=10)]


@pytest.mark.parametrize("method", QUASI)
@pytest.mark.parametrize("p", _wolfe_problems(), ids=lambda p: f"{p.name}{p.dim}")
def test_every_accepted_step_satisfies_both_wolfe_conditions(p, method):
    r = descend.minimize(p, method=method, steps=300, gtol=1e-10)
    assert r.extra["wolfe_fallbacks"] == 0  # no step here came from the Armijo fallback
    ls = LineSearch("wolfe", c2=0.4 if method == "cg" else 0.9)
    X = r.history.x.reshape(len(r.history), -1)
    F = p.f(X)
    G = p.grad(X)
    assert r.nit >= 1
    for k in range(r.nit):
        s = X[k + 1] - X[k]
        slope0 = G[k] @ s
        noise = 1e3 * np.finfo(float).eps * abs(F[k])  # the approximate Wolfe test's allowance
        assert slope0 < 0, f"step {k} is not along a descent direction"
        assert F[k + 1] <= F[k] + ls.c1 * slope0 + noise, f"sufficient decrease fails at step {k}"
        assert abs(G[k + 1] @ s) <= ls.c2 * abs(slope0) * (1 + 1e-9) + 1e-300, f"curvature fails at step {k}"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "six_hump_camel", "beale"])
def test_row_i_of_a_batch_is_the_single_run_bit_for_bit(name, method):
    p = problems.get(name)
    rng = np.random.default_rng(1)
    lo, hi = np.array(p.window).T
    X0 = rng.uniform(lo, hi, size=(6, 2))
    batch = descend.minimize(p, X0, method=method, steps=60, gtol=1e-8)
    assert batch.batched and len(batch) == 6
    for i in range(6):
        one = descend.minimize(p, X0[i], method=method, steps=60, gtol=1e-8)
        np.testing.assert_array_equal(batch.x[i], one.x)
        assert batch.fun[i] == one.fun or (np.isnan(batch.fun[i]) and np.isnan(one.fun))
        assert (batch.nit[i], batch.nfev[i], batch.ngev[i]) == (one.nit, one.nfev, one.ngev)
        assert batch.status[i] == one.status and batch.message[i] == one.message
        np.testing.assert_array_equal(batch.history.x[: len(one.history), i], one.history.x)
        np.testing.assert_array_equal(batch.run(i).x, one.x)


def test_a_run_with_a_singular_hessian_stops_while_the_others_go_on():
    # f = x^4 + y^2: the Hessian diag(12 x^2, 2) is singular on the line x = 0.
    def f(X):
        return X[:, 0] ** 4 + X[:, 1] ** 2

    def grad(X):
        return np.stack([4 * X[:, 0] ** 3, 2 * X[:, 1]], axis=1)

    def hess(X):
        H = np.zeros((len(X), 2, 2))
        H[:, 0, 0] = 12 * X[:, 0] ** 2
        H[:, 1, 1] = 2.0
        return H

    X0 = np.array([[1.0, 1.0], [0.0, 3.0], [-2.0, 0.5]])
    r = descend.minimize(f, X0, grad=grad, hess=hess, vectorized=True, method="newton", steps=200, gtol=1e-6)
    assert list(r.status) == ["converged", "stopped", "converged"]
    assert "Hessian is singular" in r.message[1] and "damped_newton" in r.message[1]
    np.testing.assert_array_equal(r.x[1], X0[1])
    # The damped method shifts the singular Hessian and goes on.
    d = descend.minimize(f, X0, grad=grad, hess=hess, vectorized=True, method="damped_newton", steps=200,
                         gtol=1e-6)
    assert list(d.status) == ["converged"] * 3


def test_a_nonfinite_hessian_is_a_status_not_a_traceback():
    def hess(x):
        return np.full((2, 2), np.nan)

    for method in ("newton", "damped_newton"):
        r = descend.minimize(problems.get("sphere"), method=method, hess=hess)
        assert r.status == "stopped" and "not finite" in r.message


def test_f_unbounded_below_is_a_wolfe_failure_status():
    r = descend.minimize(lambda x: -x[0] - x[1], np.zeros(2), grad=lambda x: -np.ones(2), method="bfgs")
    assert r.status == "stopped"
    assert "strong-Wolfe" in r.message and "unbounded below" in r.message


def _quadratic(n=50, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(np.logspace(0, 2, n)) @ Q.T  # condition number 100
    return problems.get("quadratic", A=A, b=rng.normal(size=n), x0=np.zeros(n))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("method,options", [("cg", {}), ("cg", {"beta": "fr"}), ("lbfgs", {}),
                                            ("bfgs", {})])
def test_convex_quadratic_n50_reaches_gtol_1e8_within_2n_steps(method, options, seed):
    p = _quadratic(seed=seed)
    r = descend.minimize(p, method=method, steps=1000, gtol=1e-8, **options)
    assert r.status == "converged" and r.nit <= 2 * 50, r.message
    np.testing.assert_allclose(r.x, np.linalg.solve(p.hessian(p.x0), -p.grad(np.zeros(50))), atol=1e-7)


def test_lbfgs_unit_steps_on_the_quadratic_converge_but_take_longer():
    # With quadratic_start=False the first trial is the unit step, which the Wolfe test accepts at
    # once: one evaluation per step, but inexact steps, so no conjugacy: about 2n steps here, like
    # scipy's L-BFGS-B; the default quadratic_start=True trades one more f per step for ~1.6n.
    p = _quadratic(seed=0)
    r = descend.minimize(p, method="lbfgs", steps=1000, gtol=1e-8, quadratic_start=False)
    q = descend.minimize(p, method="lbfgs", steps=1000, gtol=1e-8)
    assert r.status == q.status == "converged"
    assert q.nit < r.nit <= 3 * 50


def test_hessian_sources_agree():
    p = problems.get("rosenbrock")
    ref = descend.minimize(p, method="newton", gtol=1e-10)
    with_hess = descend.minimize(p.f, p.x0, grad=p.grad, hess=p.hessian, method="newton", gtol=1e-10)
    with_hessp = descend.minimize(p.f, p.x0, grad=p.grad, hessp=lambda x, v: p.hessian(x) @ v, method="newton",
                                  gtol=1e-10)
    numerical = descend.minimize(p.f, p.x0, grad=p.grad, method="newton", gtol=1e-10)
    for r in (with_hess, with_hessp, numerical):
        assert r.status == "converged"
        np.testing.assert_allclose(r.x, ref.x, atol=1e-8)
    assert with_hess.extra["nhev"] == ref.extra["nhev"] == ref.nit  # one Hessian per Newton step
    assert numerical.nfev > ref.nfev  # the finite-difference Hessian is paid for in f evaluations


def test_newton_minimizes_a_quadratic_in_one_step():
    p = problems.get("quadratic")
    r = descend.minimize(p, method="newton", gtol=1e-12)
    assert r.nit == 1
    np.testing.assert_allclose(r.x, p.minimizers[0], atol=1e-14)


def test_cg_restarts_and_beta_choice():
    p = problems.get("rosenbrock", n=10)
    pr = descend.minimize(p, method="cg", steps=2000, gtol=1e-8)
    fr = descend.minimize(p, method="cg", steps=2000, gtol=1e-8, beta="fr")
    short = descend.minimize(p, method="cg", steps=2000, gtol=1e-8, restart=1)  # restart=1: steepest descent
    assert pr.status == fr.status == "converged"
    assert pr.nit != fr.nit
    assert short.nit > pr.nit


def test_method_names_a_first_order_optimizer_too():
    p = problems.get("sphere")
    a = descend.minimize(p, method="adam", lr=0.1, steps=50)
    b = descend.minimize(p, optimizer="adam", lr=0.1, steps=50)
    np.testing.assert_array_equal(a.x, b.x)


@pytest.mark.parametrize("kwargs,match", [
    (dict(method="lbgfs"), "unknown method 'lbgfs'; valid: newton, damped_newton, cg, bfgs, lbfgs"),
    (dict(method="bfgs", optimizer="adam"), "either method='bfgs' or optimizer='adam'"),
    (dict(method="cg", m=5), "method 'cg' has no option 'm'; valid: beta, restart, quadratic_start"),
    (dict(method="lbfgs", m=0), "m must be an integer >= 1"),
    (dict(method="cg", beta="hs"), "unknown cg beta 'hs'; valid: pr\\+, fr"),
    (dict(method="newton", line_search="wolfe"), "full Newton step"),
    (dict(method="bfgs", hess=lambda x: np.eye(2)), "uses no Hessian"),
    (dict(hess=lambda x: np.eye(2)), "need a second-order method"),
    (dict(method="newton", hess=lambda x: np.eye(3)), "hess must return shape \\(2, 2\\)"),
])
def test_bad_input_is_a_clear_error(kwargs, match):
    p = problems.get("sphere")
    with pytest.raises(DescendError, match=match):
        descend.minimize(p, **kwargs)


def test_c1_not_below_c2_is_refused_at_construction():
    with pytest.raises(DescendError, match="0 < c1 < c2 < 1"):
        LineSearch("wolfe", c1=0.5, c2=0.5)


def test_result_counts_and_history():
    p = problems.get("rosenbrock")
    r = descend.minimize(p, method="lbfgs", gtol=1e-8, history=True)
    assert r.optimizer == "lbfgs" and r.success and r.extra["line_search"] == "wolfe"
    assert len(r.history) == r.nit + 1 and np.all(np.isfinite(r.history.lr[:-1]))
    assert r.nfev >= r.nit and r.ngev >= r.nit
    assert r.message.startswith("Converged") and "lbfgs steps" in r.message
    f_only = descend.minimize(p, method="lbfgs", gtol=1e-8, history="f")
    assert f_only.history.x is None and np.array_equal(f_only.history.f, r.history.f)


# -- the second-derivative test and the optimal step ------------------------------------------

from descend.cli import main  # noqa: E402
from descend.critical import CurvatureWarning  # noqa: E402


@pytest.mark.parametrize("x0,kind", [
    ((0.09, -0.71), "minimum"), ((-0.09, 0.71), "minimum"), ((1.7, -0.8), "minimum"),
    ((0.0, 0.0), "saddle"), ((-1.1, 0.77), "saddle"), ((1.3, 0.6), "saddle"),
])
def test_second_derivative_test_on_the_six_hump_camel(x0, kind):
    p = problems.get("six_hump_camel")
    c = descend.critical_point(p, x0, refine=True)
    assert c.kind == kind and c.grad_norm <= 1e-10
    lam = np.linalg.eigvalsh(p.hessian(c.x))
    np.testing.assert_allclose(c.eigenvalues, lam, rtol=1e-12)
    assert c.condition_number == pytest.approx(np.max(np.abs(lam)) / np.min(np.abs(lam)))
    if kind == "minimum" and abs(x0[0]) < 0.1:
        np.testing.assert_allclose(c.x, p.minimizers[np.argmin(np.linalg.norm(p.minimizers - c.x, axis=1))],
                                   atol=1e-12)


@pytest.mark.parametrize("f,kind", [
    (lambda x: x[0] ** 2 + 3 * x[1] ** 2, "minimum"),
    (lambda x: -x[0] ** 2 - x[1] ** 2, "maximum"),
    (lambda x: x[0] ** 2 - x[1] ** 2, "saddle"),
    (lambda x: x[0] ** 3 - 3 * x[0] * x[1] ** 2, "inconclusive"),  # the monkey saddle: H = 0
    (lambda x: x[0] ** 4 + x[1] ** 2, "inconclusive"),
])
def test_second_derivative_test_with_finite_differences(f, kind):
    assert descend.critical_point(f, [0.0, 0.0]).kind == kind


def test_a_point_that_is_not_critical_says_so():
    c = descend.critical_point(problems.get("rosenbrock"), [0.0, 0.0])
    assert c.kind == "not critical" and c.grad_norm == pytest.approx(2.0)


def test_optimal_step_is_the_exact_line_search_step_on_a_quadratic():
    p = problems.get("quadratic")
    x = np.array([3.0, -1.0])
    eps = descend.optimal_step(p, x)
    g = p.grad(x)
    phi = [p.f(x - (eps + d) * g) for d in (-1e-4, 0.0, 1e-4)]
    assert phi[1] < phi[0] and phi[1] < phi[2]
    assert eps == pytest.approx(g @ g / (g @ p.hessian(x) @ g), rel=1e-15)


def test_optimal_step_warns_where_the_curvature_along_g_is_negative():
    with pytest.warns(CurvatureWarning, match="g'Hg"):
        assert descend.optimal_step(lambda x: -x[0] ** 2 - x[1] ** 2, [1.0, 1.0]) == np.inf


def test_cli_minimize_with_a_method(capsys):
    code = main(["minimize", "rosenbrock", "--method", "lbfgs", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, None) and out["status"] == "converged"
    np.testing.assert_allclose(out["x"], [1.0, 1.0], atol=1e-6)


def test_cli_critical_point(capsys):
    code = main(["critical-point", "six_hump_camel", "--x0", "-1.1,0.77", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, None) and out["kind"] == "saddle" and out["eigenvalues"][0] < 0 < out["eigenvalues"][1]


@pytest.mark.parametrize("argv,match", [
    (["minimize", "rosenbrock", "--method", "lbgfs"], "unknown method 'lbgfs'"),
    (["minimize", "rosenbrock", "--method", "cg", "--hp", "m=3"], "has no option 'm'"),
    (["critical-point", "six_hump_camel", "--x0", "1,2,3"], "--x0 must have 2 numbers"),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, argv, match):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and match in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


# -- line_search="quadratic": the optimal step eps* of the quadratic model at every step -------

def test_quadratic_line_search_is_the_exact_line_search_on_a_quadratic():
    p = problems.get("ill_conditioned", kappa=10)
    q = descend.minimize(p, line_search="quadratic", steps=300, gtol=1e-10)
    e = descend.minimize(p, line_search="exact", steps=300, gtol=1e-10)
    assert q.status == e.status == "converged" and q.nit == e.nit
    np.testing.assert_allclose(q.x, e.x, atol=1e-12)
    X = q.history.x
    for k in range(3):
        g = p.grad(X[k])
        assert q.history.lr[k] == pytest.approx(descend.optimal_step(p, X[k]), rel=1e-14)
        np.testing.assert_allclose(X[k + 1], X[k] - q.history.lr[k] * g, rtol=1e-14)


def test_quadratic_line_search_stops_on_negative_curvature():
    r = descend.minimize(lambda x: x[0] ** 2 - 2 * x[1] ** 2, [1.0, 1.0], line_search="quadratic")
    assert r.status == "stopped" and "g'Hg" in r.message and "<= 0" in r.message


def test_quadratic_line_search_needs_a_hessian_method():
    with pytest.raises(DescendError, match="needs the Hessian"):
        descend.minimize(problems.get("sphere"), method="bfgs", line_search="quadratic")
    with pytest.raises(DescendError, match="optimizer='gd' only"):
        descend.minimize(problems.get("sphere"), optimizer="adam", line_search="quadratic")


# -- against torch.optim.LBFGS(line_search_fn="strong_wolfe"): fixture from scripts/ ---------

TORCH = np.load(__import__("pathlib").Path(__file__).parent / "fixtures" / "torch_lbfgs.npz")
TORCH_CASES = sorted({k.split("/")[0] for k in TORCH.files if "/" in k})


@pytest.mark.parametrize("name", TORCH_CASES)
def test_lbfgs_reaches_torch_lbfgs_minimizer(name):
    p = problems.get("rosenbrock", n=10) if name == "rosenbrock10" else problems.get(name)
    x0 = TORCH[f"{name}/x0"]
    np.testing.assert_array_equal(x0, p.x0)  # the fixture was made from the problem's own start
    assert TORCH[f"{name}/grad_norm"] <= 1e-8  # torch converged there
    r = descend.minimize(p, x0, method="lbfgs", steps=5000, gtol=1e-9)
    assert r.grad_norm <= 1e-6, r.message
    np.testing.assert_allclose(r.x, TORCH[f"{name}/x"], atol=1e-6, rtol=0)


def test_torch_fixture_covers_every_2d_problem():
    assert set(TORCH_CASES) == set(TWO_D) | {"rosenbrock10"}


@requires("scipy")
def test_newton_cg_with_hessp_only_and_the_armijo_fallback():
    # damped_newton with hessp= alone is Newton-CG: truncated CG on H d = -g, products only.
    p = problems.get("rosenbrock", n=100)
    calls = [0]

    def hessp(x, v):
        calls[0] += 1
        return p.hessian(x) @ v

    r = descend.minimize(p, method="damped_newton", hessp=hessp, steps=2000, gtol=1e-8)
    assert r.status == "converged", r.message
    np.testing.assert_allclose(r.x, np.ones(100), atol=1e-8)
    assert r.extra["nhvp"] == calls[0] > 0 and r.extra["nhev"] == 0
    # Its long CG directions make the Wolfe zoom run out of trials now and then: those steps
    # fall back to Armijo backtracking (counted) instead of ending the run.
    assert r.extra["wolfe_fallbacks"] > 0
    ref = scipy_minimize(p.f, p.x0, jac=p.grad, hessp=hessp, method="Newton-CG", options={"xtol": 1e-12})
    np.testing.assert_allclose(r.x, ref.x, atol=1e-6)
