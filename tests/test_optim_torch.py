"""descend.optim against torch.optim: defaults and 200-step float64 trajectories.

The reference trajectories live in tests/fixtures/torch_optim.npz, written by
scripts/make_torch_fixtures.py (torch 2.13); that part always runs.  When torch is
importable the same configurations are also rerun live against it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from descend import optim

FIXTURE = Path(__file__).parent / "fixtures" / "torch_optim.npz"
DATA = np.load(FIXTURE, allow_pickle=False)
CONFIGS = json.loads(str(DATA["configs"]))
TORCH_DEFAULTS = json.loads(str(DATA["torch_defaults"]))
STEPS = 200
A, B = DATA["A"], DATA["b"]


# The objectives, defined here (as in the script) so the test depends on nothing else.
def quadratic_grad(x):
    """Gradient of x.A.x/2 - b.x."""
    return A @ x - B


def rosenbrock_grad(x):
    """Gradient of (1 - x)^2 + 100 (y - x^2)^2."""
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


PROBLEMS = {"quadratic": (quadratic_grad, DATA["quadratic_x0"], 2),
            "rosenbrock": (rosenbrock_grad, DATA["rosenbrock_x0"], 3)}
CASES = [(c, p) for c in CONFIGS for p in PROBLEMS]


def descend_trajectory(name, kwargs, lr, grad, x0, steps=STEPS):
    opt = optim.get(name, lr=lr, **kwargs)
    x = np.array(x0, dtype=np.float64)
    out = [x.copy()]
    for _ in range(steps):
        opt.step(x, grad(x.copy()))
        out.append(x.copy())
    return np.array(out)


def assert_same_trajectory(ours, ref):
    """Relative 1e-10: each iterate within 1e-10 of torch's, relative to the trajectory's scale."""
    assert ours.shape == ref.shape
    scale = np.abs(ref).max()
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10 * scale)


def _case_lr(cfg, problem):
    name, kwargs, lr_q, lr_r = CONFIGS[cfg]
    return name, _kwargs(kwargs), (lr_q if problem == "quadratic" else lr_r)


def _kwargs(kwargs):
    return {k: (tuple(v) if isinstance(v, list) and k == "betas" else v) for k, v in kwargs.items()}


def test_fixture_covers_every_torch_optimizer_and_non_default_settings():
    names = {CONFIGS[c][0] for c in CONFIGS}
    assert names == {"sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax"}
    settings = {k for c in CONFIGS for k in CONFIGS[c][1]}
    for s in ("nesterov", "dampening", "weight_decay", "amsgrad", "centered", "momentum",
              "decoupled_weight_decay", "lr_decay", "initial_accumulator_value", "momentum_decay", "betas"):
        assert s in settings


@pytest.mark.parametrize("name", sorted(TORCH_DEFAULTS))
def test_hyperparameter_names_and_defaults_are_torchs(name):
    ours = optim.get(name)
    for k, default in TORCH_DEFAULTS[name].items():
        assert k in ours.valid_hyperparameters(), f"{name} lacks torch's {k}"
        mine = getattr(ours, k)
        assert (list(mine) if isinstance(mine, tuple) else mine) == default, (name, k)


@pytest.mark.parametrize("cfg,problem", CASES)
def test_trajectory_matches_torch_fixture(cfg, problem):
    name, kwargs, lr = _case_lr(cfg, problem)
    grad, x0, _ = PROBLEMS[problem]
    ref = DATA[f"{cfg}.{problem}"]
    assert np.abs(ref[-1] - ref[0]).max() > 1e-3  # the reference really moves
    assert_same_trajectory(descend_trajectory(name, kwargs, lr, grad, x0), ref)


def test_comparison_is_sharp_enough_to_catch_a_slightly_wrong_hyperparameter():
    name, kwargs, lr = _case_lr("adam", "rosenbrock")
    grad, x0, _ = PROBLEMS["rosenbrock"]
    wrong = descend_trajectory(name, {**kwargs, "betas": (0.9, 0.999 + 1e-9)}, lr, grad, x0)
    with pytest.raises(AssertionError):
        assert_same_trajectory(wrong, DATA["adam.rosenbrock"])


# -- live, when torch is installed -------------------------------------------------------------

TORCH_CLASS = {"sgd": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta", "rmsprop": "RMSprop", "adam": "Adam",
               "adamw": "AdamW", "nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax"}


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's step counts and mu_product in float64
    yield torch
    torch.set_default_dtype(old)


def torch_trajectory(torch, name, kwargs, lr, grad, x0, steps=STEPS):
    p = torch.nn.Parameter(torch.tensor(np.array(x0), dtype=torch.float64))
    opt = getattr(torch.optim, TORCH_CLASS[name])([p], lr=lr, **kwargs)
    out = [np.array(x0)]
    for _ in range(steps):
        p.grad = torch.from_numpy(grad(p.detach().numpy().copy()))
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


@pytest.mark.parametrize("cfg,problem", CASES)
def test_trajectory_matches_live_torch(torch, cfg, problem):
    name, kwargs, lr = _case_lr(cfg, problem)
    grad, x0, _ = PROBLEMS[problem]
    ref = torch_trajectory(torch, name, kwargs, lr, grad, x0)
    assert_same_trajectory(descend_trajectory(name, kwargs, lr, grad, x0), ref)


def test_dict_params_match_live_torch_param_list(torch):
    # several tensors in one torch optimizer = a dict of arrays in one descend optimizer
    rng = np.random.default_rng(5)
    net = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal(4), "W2": rng.standard_normal(4)}
    tparams = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in net.items()}
    topt = torch.optim.Adam(list(tparams.values()), lr=0.05, weight_decay=0.01, amsgrad=True)
    opt = optim.Adam(lr=0.05, weight_decay=0.01, amsgrad=True)
    for k in range(30):
        grads = {key: np.cos((k + 1) * v) for key, v in net.items()}
        for key, tp in tparams.items():
            tp.grad = torch.from_numpy(np.cos((k + 1) * tp.detach().numpy()))
        topt.step()
        opt.step(net, grads)
    for key in net:
        np.testing.assert_allclose(net[key], tparams[key].detach().numpy(), rtol=1e-12, atol=1e-14)
