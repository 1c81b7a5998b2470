"""The optimizers added to descend.optim after the first thirteen, against their references.

tests/fixtures/optim_references.npz (written by scripts/make_optim_fixtures.py) holds
each reference's iterates: torch.optim (Rprop, ASGD, Adafactor, Muon) and the pip
packages of the modern optimizers.  That part always runs; when a reference is
importable the same cases are rerun live against it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from descend import optim
from descend.errors import DescendError
from helpers import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "optim_references.npz"
DATA = np.load(FIXTURE, allow_pickle=False)
CASES = json.loads(str(DATA["cases"]))
STEPS = int(DATA["steps"])
TORCH_DEFAULTS = json.loads(str(DATA["torch_defaults"]))
PROBLEMS = {}
for key in DATA.files:
    if key.startswith("problem."):
        _, prob, field = key.split(".")
        PROBLEMS.setdefault(prob, {})[field] = DATA[key]


def gradient(problem):
    """The gradient of each problem (the same functions as the fixture script's)."""
    a = PROBLEMS[problem]
    if problem == "quadratic":
        return lambda x: a["A"] @ x - a["b"]
    if problem == "concave":
        return lambda x: a["b"] - a["A"] @ x
    if problem == "rosenbrock":
        return lambda x: np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
    if problem in ("matrix", "tall", "square"):
        return lambda x: a["M"].T @ (a["M"] @ x - a["Y"])
    return lambda x: a["C"] * (x - a["T"])


def _kwargs(kwargs):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def descend_run(name, kwargs, lr, problem, steps=STEPS):
    """(iterates, the optimizer, the final parameters)."""
    opt = optim.get(name, lr=lr, **_kwargs(kwargs))
    grad = gradient(problem)
    x = np.array(PROBLEMS[problem]["x0"], dtype=np.float64)
    out = [x.copy()]
    for _ in range(steps):
        opt.step(x, grad(x.copy()))
        out.append(x.copy())
    return np.array(out), opt, x


def descend_trajectory(name, kwargs, lr, problem, steps=STEPS):
    return descend_run(name, kwargs, lr, problem, steps)[0]


def assert_same_trajectory(ours, ref, rtol=1e-12):
    """Every iterate within rtol of the reference's, relative to the trajectory's scale."""
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * np.abs(ref).max())


EXACT = [c for c in CASES if c != "muon_bf16.matrix"]


#: SOAP's eigenvectors are determined to about eps / (eigenvalue gap) only, and torch's and NumPy's
#: LAPACKs differ at that level
TOLERANCE = {"soap.square": 1e-7, "soap_options.square": 1e-7}


@pytest.mark.parametrize("case", EXACT)
def test_trajectory_matches_reference_fixture(case):
    name, kwargs, lr, problem, _ = CASES[case]
    ref = DATA[f"case.{case}"]
    assert np.abs(ref[-1] - ref[0]).max() > 1e-3  # the reference really moves
    assert_same_trajectory(descend_trajectory(name, kwargs, lr, problem), ref, TOLERANCE.get(case, 1e-12))


@pytest.mark.parametrize("case", [c for c in CASES if f"eval.{c}" in DATA.files])
def test_schedule_free_eval_point_is_the_packages_and_train_swaps_back(case):
    name, kwargs, lr, problem, _ = CASES[case]
    _, opt, x = descend_run(name, kwargs, lr, problem)
    y = x.copy()
    assert opt.training
    opt.eval(x)
    assert not opt.training
    assert_same_trajectory(x[None], DATA[f"eval.{case}"][None])
    assert not np.allclose(x, y)  # the average is not the training point
    with pytest.raises(DescendError, match=r"call train\(params\) before the next step"):
        opt.step(x, np.ones_like(x))
    opt.train(x)
    assert np.array_equal(x, y) and opt.training


def test_muon_is_torch_to_bfloat16_accuracy():
    # torch runs Newton-Schulz in bfloat16 (8 bits of mantissa), descend in float64
    name, kwargs, lr, problem, _ = CASES["muon_bf16.matrix"]
    ref = DATA["case.muon_bf16.matrix"]
    ours = descend_trajectory(name, kwargs, lr, problem)
    step_ref, step_ours = np.diff(ref, axis=0), np.diff(ours, axis=0)
    assert np.abs(step_ours[0] - step_ref[0]).max() < 2e-2 * np.abs(step_ref[0]).max()
    assert np.abs(ours - ref).max() > 1e-9  # really a different (bfloat16) computation
    np.testing.assert_allclose(ours[-1], ref[-1], atol=0.05 * np.abs(ref).max())


def test_comparison_catches_a_slightly_wrong_coefficient():
    name, kwargs, lr, problem, _ = CASES["muon.matrix"]
    wrong = descend_trajectory(name, {**kwargs, "ns_coefficients": (3.4445, -4.7750, 2.0316)}, lr, problem)
    with pytest.raises(AssertionError):
        assert_same_trajectory(wrong, DATA["case.muon.matrix"])


@pytest.mark.parametrize("name", sorted(TORCH_DEFAULTS))
def test_hyperparameter_names_and_defaults_are_torchs(name):
    ours = optim.get(name)
    for k, default in TORCH_DEFAULTS[name].items():
        assert k in ours.valid_hyperparameters(), f"{name} lacks torch's {k}"
        mine = getattr(ours, k)
        assert (list(mine) if isinstance(mine, tuple) else mine) == default, (name, k)


# -- shapes, state and refusals ---------------------------------------------------------------

def test_muon_refuses_what_is_not_a_matrix_before_any_state():
    opt = optim.Muon(lr=0.02)
    net = {"W": np.ones((3, 4)), "b": np.ones(4)}
    with pytest.raises(DescendError, match=r"params\['b'\] has shape \(4,\); Muon takes 2-D parameters only"):
        opt.step(net, {"W": np.ones((3, 4)), "b": np.ones(4)})
    assert np.all(net["W"] == 1)
    with pytest.raises(DescendError, match="no state yet"):
        opt.state


def test_muon_orthogonalizes_each_run_of_a_batch_on_its_own():
    rng = np.random.default_rng(3)
    G = rng.standard_normal((3, 4, 6))
    batch = np.zeros((3, 4, 6))
    optim.Muon(lr=np.array([0.1, 0.2, 0.3]), weight_decay=0.0).step(batch, G, runs=3)
    for r, lr in enumerate((0.1, 0.2, 0.3)):
        single = np.zeros((4, 6))
        optim.Muon(lr=lr, weight_decay=0.0).step(single, G[r])
        np.testing.assert_array_equal(batch[r], single)


def test_newton_schulz_drives_singular_values_towards_one():
    from descend.optim.muon import NS_COEFFICIENTS, newton_schulz
    G = np.random.default_rng(0).standard_normal((8, 5)) @ np.diag([10, 3, 1, 0.3, 0.1])
    s = np.linalg.svd(newton_schulz(G, NS_COEFFICIENTS, 5, 1e-7), compute_uv=False)
    assert 0.6 < s.min() and s.max() < 1.25  # torch's doc: roughly Uniform(0.5, 1.5)


def test_adafactor_keeps_factored_state_and_round_trips_it():
    net = {"W": np.ones((3, 5)), "b": np.ones(5), "T": np.ones((2, 3, 4))}
    grads = {k: np.full(v.shape, 0.5) for k, v in net.items()}
    opt = optim.Adafactor()
    opt.step(net, grads)
    st = opt.state
    assert st.row_var["W"].shape == (3, 1) and st.col_var["W"].shape == (1, 5) and st.variance["W"] is None
    assert st.variance["b"].shape == (5,) and st.row_var["b"] is None
    assert st.row_var["T"].shape == (2, 3, 1) and st.col_var["T"].shape == (2, 1, 4)
    twin = optim.Adafactor()
    twin.load_state_dict(opt.state_dict())
    a, b = {k: v.copy() for k, v in net.items()}, {k: v.copy() for k, v in net.items()}
    opt.step(a, grads)
    twin.step(b, grads)
    for k in net:
        np.testing.assert_array_equal(a[k], b[k])


def test_adafactor_load_state_dict_refuses_a_wrong_factor_shape():
    opt = optim.Adafactor()
    opt.step(np.ones((3, 5)), np.ones((3, 5)))
    d = opt.state_dict()
    d["state.params.row_var"] = np.zeros((3, 5))
    fresh = optim.Adafactor()
    with pytest.raises(DescendError, match=r"row_var has shape \(3, 5\), expected \(3, 1\)"):
        fresh.load_state_dict(d)
    with pytest.raises(DescendError, match="no state yet"):
        fresh.state


@pytest.mark.parametrize("kwargs,message", [
    ({"etas": (1.2, 0.5)}, r"etas must be a pair \(etaminus, etaplus\) with 0 < etaminus < 1 < etaplus"),
    ({"step_sizes": (1.0, 0.1)}, r"step_sizes must be a pair \(min, max\) with 0 <= min <= max"),
])
def test_rprop_checks_its_pairs(kwargs, message):
    with pytest.raises(DescendError, match=message):
        optim.Rprop(**kwargs)


@pytest.mark.parametrize("cls,kwargs,message", [
    (optim.Adafactor, {"beta2_decay": 0.5}, r"beta2_decay must be a finite number <= 0, got 0.5"),
    (optim.Adafactor, {"d": 0.5}, r"d \(the clipping threshold\) must be >= 1, got 0.5"),
    (optim.Adafactor, {"eps": (None, -1.0)}, r"eps\[1\] must be a finite number >= 0"),
    (optim.Muon, {"ns_steps": 100}, r"ns_steps must be an integer in \[0, 100\)"),
    (optim.Muon, {"ns_coefficients": (1.0, 2.0)}, r"ns_coefficients must be three finite numbers"),
    (optim.Muon, {"adjust_lr_fn": "rms"}, r"adjust_lr_fn"),
    (optim.ASGD, {"lambd": -1.0}, r"lambd must be a finite number >= 0"),
    (optim.AdamWScheduleFree, {"decoupled_weight_decay": True}, r"adamw_schedule_free: decoupled_weight_decay is "
                                                                r"not available"),
    (optim.SGDScheduleFree, {"decoupled_weight_decay": True}, r"decoupled_weight_decay is not available"),
    (optim.SGDScheduleFree, {"momentum": 1.0}, r"momentum must be in \(0, 1\), got 1.0"),
    (optim.SGDScheduleFree, {"warmup_steps": 2.5}, r"warmup_steps must be an integer >= 0, got 2.5"),
    (optim.AdEMAMix, {"betas": (0.9, 0.999)}, r"betas must be a triple \(beta1, beta2, beta3\)"),
    (optim.AdEMAMix, {"betas": (0.9, 0.999, 1.0)}, r"betas\[2\] must be in \[0, 1\), got 1.0"),
])
def test_new_hyperparameter_checks_name_the_parameter(cls, kwargs, message):
    with pytest.raises(DescendError, match=message):
        cls(**kwargs)


def test_asgd_average_is_the_iterate_until_t0_then_the_mean():
    opt = optim.ASGD(lr=0.1, t0=2, lambd=0.0)
    x = np.array([1.0])
    iterates = []
    for _ in range(6):
        opt.step(x, np.array([1.0]))
        iterates.append(x[0])
    # mu = 1 up to step 4 (ax is the iterate), then 1/2, 1/3: the mean of the last three iterates
    np.testing.assert_allclose(opt.state.ax, [np.mean(iterates[-3:])], rtol=1e-15)


# -- live, when torch is installed -------------------------------------------------------------

@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


def torch_trajectory(torch, cls, kwargs, lr, problem, float64):
    grad = gradient(problem)
    x0 = PROBLEMS[problem]["x0"]
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = getattr(torch.optim, cls)([p], lr=lr, **_kwargs(kwargs))
    out = [x0.copy()]
    ctx = mock.patch.object(torch.Tensor, "bfloat16", lambda self: self.clone()) if float64 \
        else contextlib.nullcontext()
    with ctx:
        for _ in range(STEPS):
            p.grad = torch.from_numpy(np.asarray(grad(p.detach().numpy().copy())))
            opt.step()
            out.append(p.detach().numpy().copy())
    return np.array(out)


@pytest.mark.parametrize("case", [c for c in EXACT if CASES[c][4][0].startswith("torch")])
def test_trajectory_matches_live_torch(torch, case):
    name, kwargs, lr, problem, (kind, cls) = CASES[case]
    ref = torch_trajectory(torch, cls, kwargs, lr, problem, float64=kind == "torch_f64")
    assert_same_trajectory(descend_trajectory(name, kwargs, lr, problem), ref)


def package_trajectory(torch, opt, p, problem):
    grad = gradient(problem)
    out = [p.detach().numpy().copy()]
    for _ in range(STEPS):
        p.grad = torch.from_numpy(np.asarray(grad(p.detach().numpy().copy())))
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


_OPTAX_RUN = """
import json, sys
import numpy as np
import jax
jax.config.update("jax_enable_x64", True)
import optax
fn, okw, lr, steps, x0, kind, arrays, out = json.loads(sys.argv[1])
arrays = {k: np.array(v) for k, v in arrays.items()}
def grad(x):
    if kind == "quadratic":
        return arrays["A"] @ x - arrays["b"]
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
tx = getattr(optax, fn)(lr, **okw)
p = jax.numpy.asarray(np.array(x0))
state, traj = tx.init(p), [np.array(x0)]
for _ in range(steps):
    updates, state = tx.update(jax.numpy.asarray(grad(np.asarray(p).copy())), state, p)
    p = optax.apply_updates(p, updates)
    traj.append(np.asarray(p).copy())
np.save(out, np.array(traj))
"""


@pytest.mark.parametrize("case", [c for c in EXACT if CASES[c][4][0] == "optax"])
def test_trajectory_matches_live_optax(case, tmp_path):
    # optax runs in a child process: jax's threads in this one would make later fork()s unsafe
    import subprocess
    import sys
    pytest.importorskip("optax")
    name, kwargs, lr, problem, (_, fn, okw) = CASES[case]
    assert problem in ("quadratic", "rosenbrock")
    out = tmp_path / "traj.npy"
    arrays = {k: v.tolist() for k, v in PROBLEMS[problem].items()}
    arg = json.dumps([fn, okw, lr, STEPS, PROBLEMS[problem]["x0"].tolist(), problem, arrays, str(out)])
    subprocess.run([sys.executable, "-c", _OPTAX_RUN, arg], check=True, timeout=300)
    assert_same_trajectory(descend_trajectory(name, kwargs, lr, problem), np.load(out))


@pytest.mark.parametrize("case", [c for c in EXACT if CASES[c][4][0] in ("schedulefree", "pytorch_optimizer",
                                                                         "prodigyopt")])
def test_trajectory_matches_live_package(torch, case):
    name, kwargs, lr, problem, ref = CASES[case]
    package = pytest.importorskip(ref[0])
    p = torch.nn.Parameter(torch.tensor(PROBLEMS[problem]["x0"], dtype=torch.float64))
    if ref[0] == "schedulefree":
        opt = getattr(package, ref[1])([p], lr=lr, **_kwargs(kwargs))
        opt.train()
    elif ref[0] == "prodigyopt":
        opt = getattr(package, ref[1])([p], lr=lr, **_kwargs(ref[2]))
    else:
        opt = getattr(package, ref[1])([p], lr=lr, **({} if ref[1] == "SOAP" else {"foreach": False}),
                                        **_kwargs(ref[2]))
    assert_same_trajectory(descend_trajectory(name, kwargs, lr, problem), package_trajectory(torch, opt, p, problem),
                           TOLERANCE.get(case, 1e-12))


# -- maximize ------------------------------------------------------------------------------------

VECTOR_NAMES = [n for n in optim.names() if n != "muon"]


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_maximize_on_f_is_minimize_on_minus_f_bit_for_bit(name):
    g = np.array([0.3, -0.4, 0.0])
    kept = g.copy()
    x, y = np.array([1.0, -2.0, 0.5]), np.array([1.0, -2.0, 0.5])
    up, down = optim.get(name, lr=0.1, maximize=True), optim.get(name, lr=0.1)
    for k in range(5):
        up.step(x, (k + 1) * g)
        down.step(y, -(k + 1) * g)
    assert np.array_equal(x, y) and not np.array_equal(x, [1.0, -2.0, 0.5])
    assert np.array_equal(g, kept)  # the caller's gradient is not negated in place


def test_maximize_on_a_matrix_for_muon_too():
    G = np.random.default_rng(1).standard_normal((3, 4))
    x, y = np.zeros((3, 4)), np.zeros((3, 4))
    optim.Muon(lr=0.1, maximize=True).step(x, G)
    optim.Muon(lr=0.1).step(y, -G)
    assert np.array_equal(x, y)


def test_maximize_must_be_a_flag():
    with pytest.raises(DescendError, match="maximize must be True or False, got 1"):
        optim.Adam(maximize=1)


# -- the catalogue and `descend optimizers` ---------------------------------------------------------

def test_every_optimizer_has_a_group_and_a_reference():
    assert set(optim.REFERENCES) == set(optim.names() + optim.closure_names())  # closure: LBFGS
    rows = optim.catalog()
    groups = [r["group"] for r in rows]
    assert groups == sorted(groups, key=["torch.optim", "modern", "book"].index)
    assert {r["name"] for r in rows if r["group"] == "book"} == {f"book.{n}" for n in optim.book.names()}
    assert all(r["reference"] for r in rows)


def test_cli_optimizers_lists_them_grouped_with_their_reference(capsys):
    code, out, _ = run_cli(capsys, "optimizers", "--json")
    assert code == 0
    rows = json.loads(out)
    by_name = {r["name"]: r for r in rows}
    assert by_name["muon"]["group"] == "torch.optim" and by_name["muon"]["reference"].startswith("torch.optim.Muon")
    assert by_name["adamw_schedule_free"]["group"] == "modern"
    assert by_name["book.adam"]["hyperparameters"]["eps"] == 1e-7
    assert len(rows) == len(optim.names()) + len(optim.closure_names()) + len(optim.book.names())
    code, out, _ = run_cli(capsys, "optimizers")
    assert code == 0
    assert "pytorch_optimizer.ADOPT" in out and "book.nesterov" in out


def test_prodigy_sums_over_every_parameter_of_a_dict_as_the_package_does():
    torch = pytest.importorskip("torch")
    prodigyopt = pytest.importorskip("prodigyopt")
    A, b = PROBLEMS["quadratic"]["A"], PROBLEMS["quadratic"]["b"]

    def grads(net):
        return {"a": A @ net["a"] - b, "W": net["W"] - 0.5}
    net = {"a": np.array([2.0, -1, 0.5, 3]), "W": np.arange(6.0).reshape(2, 3)}
    tp = {k: torch.nn.Parameter(torch.tensor(v.copy(), dtype=torch.float64)) for k, v in net.items()}
    ours, theirs = optim.Prodigy(weight_decay=0.01), prodigyopt.Prodigy(list(tp.values()), lr=1.0, weight_decay=0.01)
    for _ in range(60):
        ours.step(net, grads(net))
        for k, g in grads({k: v.detach().numpy().copy() for k, v in tp.items()}).items():
            tp[k].grad = torch.from_numpy(g)
        theirs.step()
    for k in net:
        np.testing.assert_allclose(net[k], tp[k].detach().numpy(), rtol=1e-12, atol=1e-13)
    assert ours.state_dict()["scalar.d"] == pytest.approx(theirs.param_groups[0]["d"], rel=1e-12)
    assert ours.state_dict()["scalar.d"] > 100 * 1e-6  # D really grew from d0


def test_prodigy_takes_no_step_on_zero_gradients():
    x = np.array([1.0, 2.0])
    opt = optim.Prodigy()
    opt.step(x, np.zeros(2))
    assert np.array_equal(x, [1.0, 2.0])


# -- what torch accepts -------------------------------------------------------------------------------

# Rprop's lr is only its first step size, clamped up to step_sizes[0] at once (as torch's)
@pytest.mark.parametrize("name", [n for n in optim.names() if n != "rprop"])
def test_lr_zero_is_accepted_and_moves_nothing(name):
    x = np.array([[1.0, -2.0, 0.5]])
    opt = optim.get(name, lr=0.0)
    for k in range(3):
        opt.step(x, np.array([[0.3, -0.4, 0.1]]) * (k + 1))
    np.testing.assert_allclose(x, [[1.0, -2.0, 0.5]], rtol=1e-15, atol=0)


@pytest.mark.parametrize("cls,kwargs", [("Adam", {"eps": 0.0}), ("RMSprop", {"alpha": 1.0, "eps": 1e-3}),
                                        ("RMSprop", {"eps": 0.0}), ("Adagrad", {"eps": 0.0}),
                                        ("Adadelta", {"eps": 0.0}), ("NAdam", {"eps": 0.0}),
                                        ("Adam", {"lr": 0.0})])
def test_torchs_edge_values_give_torchs_numbers(torch, cls, kwargs):
    kwargs = {"lr": 0.05, **kwargs}
    x0 = PROBLEMS["quadratic"]["x0"]
    grad = gradient("quadratic")
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    theirs = getattr(torch.optim, cls)([p], **kwargs)
    ours = optim.get(cls.lower(), **kwargs)
    x = x0.copy()
    for _ in range(50):
        ours.step(x, grad(x.copy()))
        p.grad = torch.from_numpy(grad(p.detach().numpy().copy()))
        theirs.step()
    np.testing.assert_allclose(x, p.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bad,message", [("not a dict", "load_state_dict needs a mapping"),
                                         ({"optimizer": "adafactor", "runs": "x"}, "state_dict is malformed")])
def test_tensorwise_load_state_dict_refuses_what_is_no_state_dict(bad, message):
    opt = optim.Adafactor()
    with pytest.raises(DescendError, match=message):
        opt.load_state_dict(bad)


def test_soap_keeps_a_gram_matrix_per_axis_and_round_trips_it():
    rng = np.random.default_rng(2)
    net = {"W": rng.standard_normal((3, 5)), "b": rng.standard_normal(5)}
    opt = optim.SOAP(lr=0.01)
    for _ in range(3):
        opt.step(net, {k: np.cos(v) for k, v in net.items()})
    st = opt.state
    assert st.GG0["W"].shape == (3, 3) and st.GG1["W"].shape == (5, 5) and st.Q1["W"].shape == (5, 5)
    assert st.GG0["b"] is None and st.Q0["b"] is None  # a vector: plain Adam (precondition_1d=False)
    np.testing.assert_allclose(st.Q1["W"].T @ st.Q1["W"], np.eye(5), atol=1e-12)  # an orthogonal basis
    twin = optim.SOAP(lr=0.01)
    twin.load_state_dict(opt.state_dict())
    a, b = {k: v.copy() for k, v in net.items()}, {k: v.copy() for k, v in net.items()}
    for _ in range(12):  # across a refresh of the basis (every 10 steps)
        opt.step(a, {k: np.cos(v) for k, v in a.items()})
        twin.step(b, {k: np.cos(v) for k, v in b.items()})
    for k in net:
        np.testing.assert_array_equal(a[k], b[k])
    with pytest.raises(DescendError, match=r"params has shape \(2, 3, 4\); SOAP here takes scalars, vectors and "
                                           r"matrices"):
        optim.SOAP().step(np.ones((2, 3, 4)), np.ones((2, 3, 4)))
