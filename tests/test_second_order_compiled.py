"""The compiled second-order solver (issue 20 point 4): bfgs, lbfgs and cg through
:mod:`descend.jit.second_order` give the NumPy driver's Result bit for bit (x, f, gradient norm,
counts, statuses, messages, history), one run or many, on every registered problem with compiled
kernels and on typed formulas; without numba everything runs as before."""

import numpy as np
import pytest

import descend
from descend import problems
from descend.errors import DescendError
from descend.linesearch import LineSearch

numba = pytest.importorskip("numba")

from descend.jit import kernels  # noqa: E402  (after the skip)
from descend.jit import second_order as so  # noqa: E402

METHODS = ("bfgs", "lbfgs", "cg")
COMPILED_PROBLEMS = [n for n in problems.names() if n not in kernels.WITHOUT]
FORMULAS = ("x**2/20 + y**2", "(1 - x)**2 + 100*(y - x**2)**2", "sin(x)*cos(y) + 0.1*(x**2 + y**2)",
            "exp(x/3) + y**2 - x", "log(x) + (y - 1)**2 + x", "x - y", "sqrt(x**2 + y**2 + 1) + abs(x - y)**3")


def _bits(a):
    a = np.asarray(a)
    return a.view(np.int64) if a.dtype == np.float64 else a


def _fields(r) -> dict:
    """A Result's numbers and words, its history's arrays among them (None where not kept)."""
    out = {k: getattr(r, k) for k in ("x", "fun", "grad_norm", "nit", "nfev", "ngev", "status", "success", "message",
                                      "optimizer")}
    if r.history is not None:
        out.update({f"history.{k}": getattr(r.history, k) for k in ("x", "f", "grad_norm", "lr")})
    return out


def assert_same(a, b, where=""):
    fa, fb = _fields(a), _fields(b)
    assert fa.keys() == fb.keys() and repr(a.extra) == repr(b.extra), where
    for k, va in fa.items():
        vb = fb[k]
        assert (va is None) == (vb is None), f"{where}: {k}"
        va, vb = np.asarray(va), np.asarray(vb)
        assert va.shape == vb.shape and va.dtype == vb.dtype, f"{where}: {k}"
        assert np.array_equal(_bits(va), _bits(vb)), f"{where}: {k} differs: {va!r} vs {vb!r}"


@pytest.fixture
def solves(monkeypatch):
    """The compiled solves made (each True), loading in the caller's thread."""
    monkeypatch.setenv("DESCEND_JIT_WAIT", "1")
    calls = []
    real = so.solve

    def counting(*a, **k):
        calls.append(True)
        return real(*a, **k)
    monkeypatch.setattr(so, "solve", counting)
    return calls


def _both(f, x0=None, **kw):
    a = descend.minimize(f, x0, compiled=True, **kw)
    b = descend.minimize(f, x0, compiled=False, **kw)
    assert_same(a, b, f"{getattr(f, 'name', f)} {kw}")
    return a


def _starts(p, rng, R=5):
    """Row 0 the problem's start, row 1 a minimizer (converges at once), row 2 far out, then random."""
    lo, hi = p.domain[:, 0], p.domain[:, 1]
    rows = [p.x0, p.minimizers[0] if len(p.minimizers) else p.x0, 40.0 * (hi - lo)]
    return np.vstack(rows + [lo + (hi - lo) * rng.random(p.dim) for _ in range(R - 3)])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", COMPILED_PROBLEMS)
def test_every_registered_problem_bit_for_bit(name, method, solves):
    p = problems.get(name)
    _both(p, method=method, steps=400)
    X0 = _starts(p, np.random.default_rng(len(name)))
    batch = _both(p, X0, method=method, steps=200, history="f")
    for i in (0, 2, 4):  # row i of the batch is the single run from X0[i]
        one = descend.minimize(p, X0[i], method=method, steps=200, history="f", compiled=True)
        assert np.array_equal(_bits(one.x), _bits(batch.x[i])) and one.nfev == batch.nfev[i]
        assert one.message == batch.message[i]
    assert len(solves) == 2 + 3


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n", [3, 10, 100, 128])
def test_rosenbrock_in_many_dimensions(n, method, solves):
    p = problems.get("rosenbrock", n=n)
    res = _both(p, method=method, steps=300 if n > 10 else 3000, gtol=1e-6, history=n <= 10)
    assert res.nfev > 10 and solves


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("text", FORMULAS)
def test_typed_formulas(text, method, solves):
    p = problems.from_expression(text, x0=[1.5, -0.5])
    _both(p, method=method, steps=300)
    X0 = np.array([[1.5, -0.5], [0.3, 2.0], [-1.0, -1.0], [4.0, 0.1]])
    _both(p, X0, method=method, steps=100)
    assert len(solves) == 2


@pytest.mark.parametrize("kw", [
    dict(method="lbfgs", m=3, quadratic_start=False),
    dict(method="lbfgs", m=1),
    dict(method="cg", beta="fr", restart=2),
    dict(method="cg", quadratic_start=False),
    dict(method="bfgs", line_search=LineSearch("wolfe", amax=0.05)),
    dict(method="lbfgs", line_search=LineSearch("wolfe", c1=0.3, c2=0.4, zoom_iter=1, bracket_iter=2)),
    dict(method="cg", line_search=LineSearch("wolfe", approximate=False)),
    dict(method="bfgs", max_growth=None, gtol=0, history=True),
    dict(method="lbfgs", gtol=0, steps=60),
    dict(method="bfgs", steps=0),
    dict(method="cg", steps=1, history=False),
])
def test_options_and_line_search_settings(kw, solves):
    kw = {"steps": 500, **kw}
    for name in ("rosenbrock", "himmelblau", "rastrigin", "beale"):
        p = problems.get(name)
        _both(p, **kw)
        _both(p, _starts(p, np.random.default_rng(1)), **kw)
    assert solves


def test_runs_that_stop_every_way(solves):
    """Diverged starts and steps (non-finite, growth), Wolfe failures with their messages."""
    p = problems.from_expression("x - y", x0=[0.0, 0.0])  # unbounded below: the bracketing runs out
    a = _both(p, method="bfgs", steps=50)
    assert a.status == "stopped" and "unbounded" in a.message or a.status == "diverged"
    q = problems.from_expression("log(x) + y**2", x0=[0.5, 1.0])  # nan left of 0
    _both(q, np.array([[0.5, 1.0], [-1.0, 1.0], [1e-300, 0.0]]), method="lbfgs", steps=50)
    g = problems.from_expression("-x**4 + y**2", x0=[1.0, 1.0])  # f falls fast: the growth test
    res = _both(g, method="cg", steps=50, max_growth=10.0)
    assert res.status in ("diverged", "stopped")


def test_zoom_trial_and_blas_checks_pass_here():
    assert so.zoom_trial_agrees()
    assert so.why_not(problems.get("rosenbrock"), np.zeros((1, 2)), "bfgs") == ""
    assert "variables" in so.why_not(problems.get("sphere", n=200), np.zeros((1, 200)), "lbfgs")
    assert "float64" in so.why_not(problems.get("sphere"), np.zeros((1, 2), dtype=np.float32), "cg")


def test_compiled_true_says_what_prevents_it():
    p = problems.get("rosenbrock")
    with pytest.raises(DescendError, match="method='newton' runs on the NumPy path"):
        descend.minimize(p, method="newton", compiled=True)
    with pytest.raises(DescendError, match="callback"):
        descend.minimize(p, method="bfgs", compiled=True, callback=lambda s: False)
    with pytest.raises(DescendError, match="Python function"):
        descend.minimize(lambda x: float(x @ x), [1.0, 2.0], grad=lambda x: 2 * x, method="lbfgs", compiled=True)
    with pytest.raises(DescendError, match="strong-Wolfe"):
        descend.minimize(p, method="cg", line_search="backtracking", compiled=True)
    with pytest.raises(DescendError, match="no bit-identical"):
        descend.minimize(problems.get("quadratic"), method="bfgs", compiled=True)
    with pytest.raises(DescendError, match="compiled must be"):
        descend.minimize(p, method="bfgs", compiled="yes")


def test_compiled_none_answers_on_numpy_then_runs_compiled(monkeypatch):
    monkeypatch.delenv("DESCEND_JIT_WAIT", raising=False)
    from descend.jit import ready
    calls = []
    real = so.solve
    monkeypatch.setattr(so, "solve", lambda *a, **k: calls.append(k["steps"]) or real(*a, **k))
    monkeypatch.setattr(ready, "_state", {})  # nothing ready in this process yet
    p = problems.from_expression("x**2/20 + y**2 + x*y/10", x0=[3.0, 1.0])
    expected = descend.minimize(p, method="lbfgs", compiled=False)
    first = descend.minimize(p, method="lbfgs")  # the NumPy path; the solver loads in the background
    assert calls in ([], [2])  # at most the background job's two steps
    assert descend.jit.wait_ready(600)
    second = descend.minimize(p, method="lbfgs")
    assert calls[-1] == 100  # compiled now
    assert_same(first, expected)
    assert_same(second, expected)
    with descend.jit.prefer_numpy():
        descend.minimize(p, method="lbfgs")
    assert calls[-1] == 100 and calls.count(100) == 1


def test_everything_works_without_numba(monkeypatch):
    """numba's import failed (fused keeps False): every method answers on the NumPy path."""
    from descend.optim import fused

    p = problems.get("rosenbrock")
    expected = {m: descend.minimize(p, method=m, compiled=False) for m in METHODS}
    monkeypatch.setattr(fused, "_numba", False)  # what fused.available() keeps after an ImportError
    for m in METHODS:
        assert_same(descend.minimize(p, method=m), expected[m], m)
        with pytest.raises(DescendError, match="numba is not installed"):
            descend.minimize(p, method=m, compiled=True)
    monkeypatch.setenv("DESCEND_NO_NUMBA", "1")
    assert_same(descend.minimize(p, method="cg"), expected["cg"])
    with pytest.raises(DescendError, match="DESCEND_NO_NUMBA"):
        descend.minimize(p, method="cg", compiled=True)


def test_many_starts_on_threads_equal_the_numpy_batch(solves):
    """300 starts: slices of the runs on threads (from 2 x RUNS_PER_THREAD), each row its single run."""
    p = problems.get("rosenbrock")
    X0 = np.random.default_rng(5).uniform([-2.0, -1.0], [2.0, 3.0], size=(2 * so.RUNS_PER_THREAD + 172, 2))
    X0[7] = [1e200, 1.0]  # diverges at the start, in the middle of a slice
    a = _both(p, X0, method="lbfgs", steps=60, history="f", gtol=1e-6)
    assert (a.status == "converged").sum() > 200 and a.status[7] == "diverged"
    one = descend.minimize(p, X0[250], method="lbfgs", steps=60, history="f", gtol=1e-6, compiled=True)
    assert np.array_equal(_bits(one.x), _bits(a.x[250])) and one.nit == a.nit[250]


@pytest.mark.parametrize("keep", [True, "f"])
def test_a_history_longer_than_its_first_allocation(keep, solves, monkeypatch):
    """Runs that go on past the history rows allocated first are run again with room for all."""
    monkeypatch.setattr(so, "HISTORY_ROWS", 5)
    p = problems.get("rosenbrock")
    _both(p, method="bfgs", steps=500, history=keep)
    _both(p, _starts(p, np.random.default_rng(2)), method="cg", steps=500, history=keep)
    _both(p, method="lbfgs", steps=4, history=keep)  # every step taken, fewer than the rows
    assert len(solves) == 3


def test_a_formula_the_evaluator_refuses_says_so(solves):
    """An exponent that depends on a variable, with several runs: the NumPy path, and Result.extra says why."""
    p = problems.from_expression("x**(1 + y**2) + y**2", x0=[1.5, 0.5])
    X0 = np.array([[1.5, 0.5], [2.0, -0.3]])
    res = descend.minimize(p, X0, method="lbfgs", steps=30)
    assert "exponent depends on a variable" in res.extra["compiled"] and not solves
    expected = descend.minimize(p, X0, method="lbfgs", steps=30, compiled=False)
    assert "compiled" not in expected.extra
    assert np.array_equal(_bits(res.x), _bits(expected.x)) and list(res.message) == list(expected.message)
    with pytest.raises(DescendError, match="exponent depends on a variable"):
        descend.minimize(p, X0, method="lbfgs", steps=30, compiled=True)
    _both(p, X0[0], method="lbfgs", steps=30)  # one run: taken
    assert solves
