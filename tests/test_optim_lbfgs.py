"""descend.optim.LBFGS: torch.optim.LBFGS's numbers, its strong-Wolfe core, the closure
contract, the state round trip and a network trained with it.

The reference trajectories live in tests/fixtures/torch_lbfgs_steps.npz, written by
scripts/make_lbfgs_fixtures.py (torch 2.13); that part always runs.  Where torch is
installed, the same cases are rerun live against it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from descend import optim
from descend.errors import DescendError
from descend.optim.strong_wolfe import cubic_interpolate, strong_wolfe

FIXTURE = Path(__file__).parent / "fixtures" / "torch_lbfgs_steps.npz"
DATA = np.load(FIXTURE, allow_pickle=False)
CASES = json.loads(str(DATA["cases"]))
#: cases whose later steps amplify last-bit differences (torch's dot products and fused
#: adds against NumPy's) past 1e-12: torch against itself started 1 ulp away drifts as far
#: (the MLP: 4e-15, 3e-13, 2e-11, 3e-9 after steps 1-4).  Their first steps are compared
#: to 1e-12, every step's closure-call and iteration counts exactly; other cases all steps.
EXACT_STEPS = {"rosenbrock_wolfe_short": 4, "mlp_wolfe": 2, "mlp_fixed": 2}
LIVE_STEPS = 2


def arrays(problem):
    prefix = f"problem.{problem}."
    return {k[len(prefix):]: DATA[k] for k in DATA.files if k.startswith(prefix)}


def loss_and_grad(problem, a):
    """The fixture script's problems, in NumPy."""
    if problem == "quadratic":
        return lambda x: (0.5 * x @ a["A"] @ x - a["b"] @ x, a["A"] @ x - a["b"])
    if problem == "rosenbrock":
        return lambda x: ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
                          np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)]))
    X, y = a["X"], a["y"]
    if problem == "mlp":
        return mlp(X, y)

    def logistic(p):
        z = X @ p["w"] + p["b"][0]
        r = (1 / (1 + np.exp(-z)) - y) / len(y)
        return np.mean(np.logaddexp(0, z) - y * z), {"w": X.T @ r, "b": np.array([r.sum()])}
    return logistic


def mlp(X, y):
    """A descend.nn network 2-6-2 (tanh) with cross-entropy: params -> (loss, grads)."""
    from descend import nn
    net = nn.mlp([2, 6, 2], activation="tanh", rng=0, dtype="float64")
    loss_fn = nn.CrossEntropyLoss()

    def fg(p):
        for k, v in p.items():
            net.params[k][...] = v
        loss = loss_fn.forward(net.forward(X), y)
        return loss, {k: g.copy() for k, g in net.backward(loss_fn.backward()).items()}
    return fg


def start(a):
    if "x0" in a:
        return a["x0"].copy()
    return {k[3:]: v.copy() for k, v in a.items() if k.startswith("x0.")}


def flat(x):
    return np.concatenate([v.reshape(-1) for v in x.values()]) if isinstance(x, dict) else x.copy()


def descend_run(problem, kw, steps):
    a = arrays(problem)
    fg, x = loss_and_grad(problem, a), start(a)
    opt = optim.LBFGS(**kw)
    xs, evals, iters = [], [], []
    for _ in range(steps):
        opt.step(x, lambda: fg(x))
        xs.append(flat(x))
        evals.append(opt.func_evals)
        iters.append(opt.n_iter)
    return np.array(xs), np.array(evals), np.array(iters)


# -- torch's numbers ----------------------------------------------------------------------------

def test_fixture_covers_both_modes_and_non_default_settings():
    kws = [kw for _, kw in CASES.values()]
    assert {kw.get("line_search_fn") for kw in kws} == {None, "strong_wolfe"}
    assert {"history_size", "max_iter", "max_eval", "tolerance_change", "lr"} <= {k for kw in kws for k in kw}


@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_matches_torch_fixture(case):
    problem, kw = CASES[case]
    steps = len(DATA[f"{case}.x"])
    xs, evals, iters = descend_run(problem, kw, steps)
    ref, k = DATA[f"{case}.x"], EXACT_STEPS.get(case, steps)
    np.testing.assert_allclose(xs[:k], ref[:k], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(evals, DATA[f"{case}.func_evals"])  # same closure calls, step by step
    np.testing.assert_array_equal(iters, DATA[f"{case}.n_iter"])


@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_matches_torch_live(case):
    torch = pytest.importorskip("torch", reason="torch is not installed: the fixture test above still checks "
                                                "torch's numbers")
    problem, kw = CASES[case]
    a = arrays(problem)
    fg, x0 = loss_and_grad(problem, a), start(a)
    keys = list(x0) if isinstance(x0, dict) else [None]
    tensors = [torch.tensor(x0[k] if k else x0, dtype=torch.float64) for k in keys]
    theirs = torch.optim.LBFGS(tensors, **kw)

    def closure():
        now = {k: t.numpy().copy() for k, t in zip(keys, tensors)} if keys != [None] else tensors[0].numpy().copy()
        loss, g = fg(now)
        for k, t in zip(keys, tensors):
            t.grad = torch.tensor(g[k] if k else g, dtype=torch.float64)
        return torch.tensor(loss, dtype=torch.float64)
    xs, evals, _ = descend_run(problem, kw, LIVE_STEPS)
    for s in range(LIVE_STEPS):
        theirs.step(closure)
        np.testing.assert_allclose(xs[s], np.concatenate([t.numpy().reshape(-1) for t in tensors]),
                                   rtol=1e-12, atol=1e-12)
        assert evals[s] == theirs.state[tensors[0]]["func_evals"]


# -- the strong-Wolfe core ----------------------------------------------------------------------

def test_cubic_interpolate_finds_the_minimizer_of_a_cubic():
    f = lambda t: t ** 3 - 3 * t          # minimizer at t = 1 
    df = lambda t: 3 * t ** 2 - 3        
    assert cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0)) == pytest.approx(1.0, abs=1e-12)
    assert cubic_interpolate(2.0, f(2.0), df(2.0), 0.0, f(0.0), df(0.0)) == pytest.approx(1.0, abs=1e-12)
    # clipped to the bounds given
    assert cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0), bounds=(1.5, 3.0)) == 1.5


@pytest.mark.parametrize("t0", [1e-3, 0.3, 1.0, 30.0])
def test_strong_wolfe_returns_a_step_meeting_both_conditions(t0):
    c = np.array([3.0, -1.0])   # phi(t) = f(x0 + t d) for a smooth non-quadratic f
    x0, d = np.array([1.0, 2.0]), np.array([-1.0, -1.5])
    f = lambda x: np.log(1 + np.exp(x @ c)) + 0.5 * x @ x 
    g = lambda x: c / (1 + np.exp(-x @ c)) + x             
    calls = []

    def phi(t):
        calls.append(t)
        x = x0 + t * d
        return f(x), float(g(x) @ d), g(x)
    f0, d0 = f(x0), float(g(x0) @ d)
    assert d0 < 0
    t, ft, payload, nfev = strong_wolfe(phi, t0, f0, d0, g(x0), c1=1e-4, c2=0.9)
    assert ft <= f0 + 1e-4 * t * d0                      # sufficient decrease (Armijo)
    assert abs(float(payload @ d)) <= 0.9 * abs(d0)      # curvature (strong Wolfe)
    assert nfev == len(calls) and np.allclose(payload, g(x0 + t * d))


def test_strong_wolfe_respects_its_budget_and_falls_back_to_the_start():
    phi = lambda t: (1.0 + t, 1.0, None)   # rises everywhere: no step is acceptable
    out = strong_wolfe(phi, 1.0, 1.0, -1.0, "start", max_ls=3)
    assert out.nfev == 4 and out.payload == "start" and out.t == 0   # the first trial, then max_ls more


# -- the closure contract, hyperparameters, the catalogue -----------------------------------------

def test_defaults_and_names_are_torchs():
    assert optim.LBFGS.defaults() == dict(lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                                          tolerance_change=1e-9, history_size=100, line_search_fn=None)
    assert optim.LBFGS(max_iter=8).max_eval == 10          # max_iter * 5 // 4
    assert "LBFGS(lr=1.0, max_iter=20, max_eval=25" in repr(optim.LBFGS())
    assert optim.LBFGS(**optim.LBFGS(lr=0.5).config).config == optim.LBFGS(lr=0.5).config


@pytest.mark.parametrize("kw,message", [
    (dict(lr=-1), "lbfgs: lr must be a finite number >= 0, got -1"),
    (dict(max_iter=0), "lbfgs: max_iter must be an integer >= 1, got 0"),
    (dict(max_eval=2.5), "lbfgs: max_eval must be an integer >= 1, got 2.5"),
    (dict(history_size=True), "lbfgs: history_size must be an integer >= 1, got True"),
    (dict(tolerance_grad=float("nan")), "lbfgs: tolerance_grad must be a finite number >= 0, got nan"),
    (dict(line_search_fn="wolfe"), "lbfgs: unknown line_search_fn 'wolfe'; valid: strong_wolfe"),
    (dict(momentum=0.9), "lbfgs: unknown hyperparameter 'momentum'; valid: lr, max_iter"),
])
def test_hyperparameters_are_checked_at_construction(kw, message):
    with pytest.raises(DescendError, match=message.replace("(", r"\(").replace(")", r"\)")):
        optim.LBFGS(**kw)


def test_closure_contract_errors_name_what_is_wrong():
    x = np.array([1.0, 2.0])
    opt = optim.LBFGS()
    with pytest.raises(DescendError, match="lbfgs steps with a closure: step.params, closure."):
        opt.step(x, 2 * x)                     # a gradient, as the other optimizers take
    with pytest.raises(DescendError, match=r"closure\(\) must return \(loss, grads\), got float"):
        opt.step(x, lambda: 1.0)
    with pytest.raises(DescendError, match="the closure's loss must be a real number"):
        opt.step(x, lambda: ("a", 2 * x))
    p = {"w": np.ones(2)}
    with pytest.raises(DescendError, match="grads must have the same keys as params"):
        optim.LBFGS().step(p, lambda: (1.0, {"v": np.ones(2)}))
    opt = optim.LBFGS(max_iter=1)
    opt.step(x, lambda: (x @ x, 2 * x))
    with pytest.raises(DescendError, match="params do not match the optimizer state"):
        opt.step(p, lambda: (1.0, {"w": np.ones(2)}))


def test_lbfgs_is_a_closure_optimizer_outside_names_but_in_the_catalogue():
    assert "lbfgs" not in optim.names() and optim.closure_names() == ["lbfgs"]
    with pytest.raises(DescendError, match=r"optimizer 'LBFGS' steps with a closure.*build descend.optim.LBFGS"):
        optim.get("LBFGS", lr=0.5)      # get's callers (minimize, compare, train) step with gradients
    row = next(r for r in optim.catalog() if r["name"] == "lbfgs")
    assert row["group"] == "torch.optim" and row["reference"].startswith("torch.optim.LBFGS")


# -- state ----------------------------------------------------------------------------------------

def test_state_dict_round_trips_through_savez_and_continues_the_same_run(tmp_path):
    a = arrays("logistic")
    fg = loss_and_grad("logistic", a)
    kw = dict(line_search_fn="strong_wolfe", max_iter=3, history_size=2)
    x, y = start(a), start(a)
    whole, first = optim.LBFGS(**kw), optim.LBFGS(**kw)
    for _ in range(2):
        whole.step(x, lambda: fg(x))
        first.step(y, lambda: fg(y))
    np.savez(tmp_path / "state.npz", **first.state_dict())
    second = optim.LBFGS(**kw)
    second.load_state_dict(np.load(tmp_path / "state.npz", allow_pickle=False))
    assert second.state.old_dirs.shape == (2, 4) and second.n_iter == first.n_iter > 2   # a full history
    np.testing.assert_array_equal(second.state.old_stps, first.state.old_stps)
    for _ in range(2):
        whole.step(x, lambda: fg(x))
        second.step(y, lambda: fg(y))
    np.testing.assert_array_equal(flat(x), flat(y))          # bit for bit
    assert second.func_evals == whole.func_evals


def test_load_state_dict_refuses_a_mismatch_and_changes_nothing():
    x = np.array([1.0, 2.0])
    opt = optim.LBFGS(history_size=5)
    opt.step(x, lambda: (x @ x * (1 + x[0] ** 2), 2 * x * (1 + x[0] ** 2) + np.array([2 * x[0] * (x @ x), 0])))
    d = opt.state_dict()
    small = optim.LBFGS(history_size=1)
    with pytest.raises(DescendError, match="more than history_size=1"):
        small.load_state_dict(d)
    assert small.n_iter == 0
    with pytest.raises(DescendError, match="state_dict is for optimizer 'adam', not 'lbfgs'"):
        small.load_state_dict({**d, "optimizer": "adam"})
    with pytest.raises(DescendError, match="state_dict d has shape"):
        small.load_state_dict({**d, "d": np.zeros(3)})
    with pytest.raises(DescendError, match="no 'prev_loss' entry"):
        small.load_state_dict({k: v for k, v in d.items() if k != "prev_loss"})


# -- a network ----------------------------------------------------------------------------------

def test_trains_a_small_mlp_on_moons_full_batch():
    from descend import datasets, nn
    data = datasets.moons(200, noise=0.1, seed=0)
    model = nn.mlp([2, 16, 2], activation="tanh", rng=0, dtype="float64")
    loss_fn = nn.CrossEntropyLoss()

    def closure():
        loss = loss_fn.forward(model.forward(data.X), data.y)
        return loss, model.backward(loss_fn.backward())
    opt = optim.LBFGS(line_search_fn="strong_wolfe")     # torch's defaults: 20 iterations a step
    first = opt.step(model.params, closure)
    for _ in range(2):
        opt.step(model.params, closure)
    final = closure()[0]
    assert first > 0.5 and final < 1e-3           # 0.53 at the start, near zero after 60 iterations
    accuracy = np.mean(model.forward(data.X).argmax(axis=1) == data.y)
    assert accuracy >= 0.99


def test_float32_params_stay_float32_and_follow_the_float64_run_closely():
    a = arrays("quadratic")
    fg = loss_and_grad("quadratic", a)
    x64, x32 = start(a), start(a).astype(np.float32)
    kw = dict(line_search_fn="strong_wolfe", tolerance_change=1e-14)   # run on to the minimizer
    o64, o32 = optim.LBFGS(**kw), optim.LBFGS(**kw)
    o64.step(x64, lambda: fg(x64))
    o32.step(x32, lambda: fg(x32.astype(np.float64)))
    assert x32.dtype == np.float32
    np.testing.assert_allclose(x32, x64, atol=1e-5)   # both at the minimizer, float32 rounding apart
    np.testing.assert_allclose(x64, np.linalg.solve(a["A"], a["b"]), atol=1e-6)


def test_reset_forgets_the_history():
    a = arrays("rosenbrock")
    fg = loss_and_grad("rosenbrock", a)
    x, y = start(a), start(a)
    opt = optim.LBFGS(line_search_fn="strong_wolfe", max_iter=3)
    opt.step(x, lambda: fg(x))
    opt.reset()
    assert opt.n_iter == 0 and opt.state.old_dirs.shape[0] == 0
    x[...] = y
    opt.step(x, lambda: fg(x))
    fresh = optim.LBFGS(line_search_fn="strong_wolfe", max_iter=3)
    fresh.step(y, lambda: fg(y))
    np.testing.assert_array_equal(x, y)


def _saved():
    x = np.array([1.0, 2.0])
    opt = optim.LBFGS(max_iter=2)
    opt.step(x, lambda: (x @ x + x[0] ** 4, 2 * x + np.array([4 * x[0] ** 3, 0])))
    return opt.state_dict()


@pytest.mark.parametrize("change,message", [
    (lambda d: {**d, "kind": "none"}, "state_dict kind 'none' does not fit keys"),
    (lambda d: {**d, "n_iter": -1}, "state_dict n_iter must be an integer >= 0"),
    (lambda d: {**d, "func_evals": 1.5}, "state_dict func_evals must be an integer >= 0"),
    (lambda d: {**d, "n_iter": 0}, "state_dict has n_iter 0 but holds"),
    (lambda d: {**d, "shape.params": "x"}, "state_dict is malformed"),
    (lambda d: "state.npz", "load_state_dict needs a mapping"),
])
def test_load_state_dict_errors_name_the_entry(change, message):
    opt = optim.LBFGS()
    with pytest.raises(DescendError, match=message):
        opt.load_state_dict(change(_saved()))
    assert opt.n_iter == 0 and opt.state_dict()["kind"] == "none"   # unchanged
