"""descend.optim: convergence table, equivalences with the written formulas, containers,
state and state_dict, gradient transforms, many runs at once, every error message."""

from __future__ import annotations

import io
import math
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descend import optim, schedules
from descend.errors import DescendError
from helpers import Q_MIN, quad_grad, rosen_grad, run


# -- ONE table: every optimizer, its settings per problem -----------------------------------------
# name, hyperparameters, (lr, steps, tol) on the quadratic, (lr, steps, tol) on Rosenbrock from (-1.2, 1);
# lr is a number or a partial() that builds a schedule (a fresh one for each run).
def cosine(lr, steps):
    return partial(schedules.Cosine, lr, decay_steps=steps, min_lr=lr * 1e-3)


OPTIMIZERS_UNDER_TEST = [
    ("gd", {}, (0.3, 100, 1e-12), (1.9e-3, 6000, 3e-2)),
    ("sgd", {"momentum": 0.5}, (0.1, 100, 1e-12), (3e-3, 3000, 2e-3)),
    ("momentum", {}, (0.1, 300, 1e-6), (3e-3, 2000, 1e-8)),
    ("nesterov", {}, (0.1, 200, 1e-10), (1e-3, 3000, 1e-4)),
    ("adagrad", {}, (3.0, 200, 1e-12), (1.0, 3000, 0.2)),
    ("adadelta", {}, (cosine(10.0, 400), 400, 1e-10), (cosine(1.0, 3000), 3000, 0.15)),
    ("rmsprop", {}, (cosine(0.1, 400), 400, 1e-10), (cosine(0.01, 3000), 3000, 0.1)),
    ("adam", {}, (0.1, 300, 2e-6), (0.03, 3000, 1e-4)),
    ("adamw", {"weight_decay": 0.0}, (0.1, 300, 2e-6), (0.03, 3000, 1e-4)),
    ("nadam", {}, (0.1, 300, 1e-8), (cosine(0.03, 3000), 3000, 0.07)),
    ("radam", {}, (0.3, 400, 1e-7),
     (partial(schedules.LinearWarmup, 0.1, warmup_steps=50, start_factor=0.01), 3000, 1e-6)),
    ("adamax", {}, (0.3, 300, 1e-6), (0.3, 3000, 1e-8)),
    ("lion", {}, (cosine(0.1, 400), 400, 1e-3), (cosine(0.01, 3000), 3000, 1e-3)),
    ("rprop", {}, (0.01, 100, 2e-6), (0.01, 3000, 1e-2)),
    ("asgd", {"lambd": 0.0}, (0.3, 200, 1e-12), (1.9e-3, 6000, 3e-2)),
    ("adafactor", {}, (0.1, 300, 1e-12), (0.1, 3000, 0.15)),
    ("sgd_schedule_free", {}, (1.0, 400, 1e-12), (3e-3, 6000, 0.1)),
    ("adamw_schedule_free", {}, (1.0, 400, 1e-10), (0.1, 3000, 0.05)),
    ("adopt", {}, (0.3, 400, 1e-8), (1.0, 3000, 1e-4)),
    ("ademamix", {}, (0.3, 400, 5e-3), (0.3, 3000, 5e-3)),
    ("prodigy", {}, (1.0, 400, 1e-8), (1.0, 3000, 1e-6)),
    ("lamb", {}, (cosine(0.03, 400), 400, 1e-4), (cosine(0.03, 3000), 3000, 1e-4)),
    ("soap", {"weight_decay": 0.0}, (0.03, 400, 2e-4), (0.01, 3000, 1e-3)),
]
IDS = [row[0] for row in OPTIMIZERS_UNDER_TEST]
MATRIX_ONLY = ["muon"]  # 2-D parameters only: tests/test_optim_table.py runs it on matrices
VECTOR_NAMES = [n for n in optim.names() if n not in MATRIX_ONLY]


def test_table_covers_every_optimizer():
    assert sorted(IDS + MATRIX_ONLY) == sorted(optim.names())


@pytest.mark.slow
@pytest.mark.parametrize("name,kw,quad,rosen", OPTIMIZERS_UNDER_TEST, ids=IDS)
def test_converges_on_quadratic_and_rosenbrock(name, kw, quad, rosen):
    """Slow: the fast twin is tests/test_optim_table.py::test_reaches_the_minimum_within_its_steps, whose
    float64 rows run these same optimizers with the same lr, steps and tolerance (ademamix on Rosenbrock:
    lr 0.1, tol 0.05 there; lr 0.3, tol 5e-3 here)."""
    lr, steps, tol = quad
    start = np.array([2.0, 2.0])
    x = run(optim.get(name, lr=lr() if isinstance(lr, partial) else lr, **kw), quad_grad, start, steps)
    assert np.abs(x - Q_MIN).max() < tol, (name, x)
    lr, steps, tol = rosen
    x = run(optim.get(name, lr=lr() if isinstance(lr, partial) else lr, **kw), rosen_grad, np.array([-1.2, 1.0]),
            steps)
    assert np.abs(x - 1.0).max() < tol, (name, x)
    assert np.abs(np.array([-1.2, 1.0]) - 1.0).max() > 10 * tol  # the tolerance means something


# -- names and get ----------------------------------------------------------------------------------

def test_names_are_the_issue_list():
    assert optim.names() == ["sgd", "gd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
                             "adamw", "nadam", "radam", "adamax", "lion", "rprop", "asgd", "adafactor", "muon",
                             "sgd_schedule_free", "adamw_schedule_free", "adopt", "ademamix", "prodigy", "lamb", "soap"]


@pytest.mark.parametrize("name", ["ADAM", "Adam", "rmsProp", "AdaGrad", "SGD"])
def test_get_is_case_insensitive(name):
    assert optim.get(name).name == name.lower()


def test_torch_and_paper_spellings_are_the_same_classes():
    assert optim.Adagrad is optim.AdaGrad
    assert optim.RMSprop is optim.RMSProp


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(DescendError, match=r"unknown optimizer 'adamm'; valid: sgd, gd, momentum, .*lion"):
        optim.get("adamm")


def test_unknown_hyperparameter_lists_valid_ones():
    with pytest.raises(DescendError, match=r"adam: unknown hyperparameter 'momentum'; valid: lr, betas, eps, "
                                           r"weight_decay, amsgrad, decoupled_weight_decay, clip_value, "
                                           r"clip_norm, nonfinite, fused"):
        optim.get("adam", momentum=0.9)
    with pytest.raises(DescendError, match="unknown hyperparameter 'betaz'"):
        optim.Adam(betaz=(0.9, 0.99))


def test_signature_shows_the_keywords_and_defaults():
    import inspect
    sig = inspect.signature(optim.AdamW)
    assert str(sig) == ("(lr=0.001, *, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False, "
                        "decoupled_weight_decay=True, clip_value=None, clip_norm=None, nonfinite=None, fused=None, "
                        "maximize=False)")
    for name in optim.names():
        cls = type(optim.get(name))
        assert list(inspect.signature(cls).parameters) == cls.valid_hyperparameters() == list(cls.defaults())
    assert optim.Adam.defaults()["betas"] == (0.9, 0.999) and optim.Lion.defaults()["decoupled_weight_decay"]


def test_lr_may_be_positional():
    assert optim.SGD(0.5).lr == 0.5 and optim.Adam(0.5).lr == 0.5


def test_config_rebuilds_a_twin():
    opt = optim.Adam(lr=np.array([0.1, 0.2]), clip_norm=np.array([1.0, 2.0]), nonfinite="skip")
    twin = type(opt)(**opt.config)
    assert repr(twin) == repr(opt)
    assert "clip_norm=array([1., 2.])" in repr(opt)


def test_repr_shows_hyperparameters_and_non_default_transforms():
    assert repr(optim.Adam(lr=0.01)) == ("Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, "
                                         "amsgrad=False)")
    r = repr(optim.SGD(lr=0.1, clip_norm=1.0, nonfinite="skip"))
    assert r == "SGD(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, clip_norm=1.0, " \
                "nonfinite='skip')"


# -- hyperparameter checks: every message names the parameter, the range and the value ---------------

@pytest.mark.parametrize("name,kw,message", [
    ("adam", {"lr": -0.5}, "adam: lr must be a finite number >= 0, got -0.5"),
    ("sgd", {"lr": -1}, "sgd: lr must be a finite number >= 0, got -1.0"),
    ("adam", {"lr": float("nan")}, "adam: lr must be a finite number >= 0, got nan"),
    ("adam", {"betas": (0.9, 1.0)}, r"adam: betas\[1\] must be in \[0, 1\), got 1.0"),
    ("adam", {"betas": (-0.1, 0.9)}, r"adam: betas\[0\] must be in \[0, 1\), got -0.1"),
    ("adam", {"betas": 0.9}, r"adam: betas must be a pair \(beta1, beta2\) with each in \[0, 1\), got 0.9"),
    ("adam", {"eps": -1.0}, "adam: eps must be a finite number >= 0, got -1.0"),
    ("rmsprop", {"eps": -1e-8}, "rmsprop: eps must be a finite number >= 0, got -1e-08"),
    ("sgd", {"momentum": -0.5}, "sgd: momentum must be a finite number >= 0, got -0.5"),
    ("sgd", {"nesterov": True}, "sgd: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0, "
                                "dampening=0.0"),
    ("nesterov", {"dampening": 0.1}, "nesterov: nesterov=True needs momentum > 0 and dampening = 0, "
                                     "got momentum=0.9, dampening=0.1"),
    ("sgd", {"dampening": 1.5}, r"sgd: dampening must be in \[0, 1\], got 1.5"),
    ("rmsprop", {"alpha": 1.5}, r"rmsprop: alpha must be in \[0, 1\], got 1.5"),
    ("adadelta", {"rho": 1.1}, r"adadelta: rho must be in \[0, 1\], got 1.1"),
    ("adagrad", {"lr_decay": -1.0}, "adagrad: lr_decay must be a finite number >= 0, got -1.0"),
    ("adagrad", {"initial_accumulator_value": -0.1},
     "adagrad: initial_accumulator_value must be a finite number >= 0, got -0.1"),
    ("nadam", {"momentum_decay": -1.0}, "nadam: momentum_decay must be a finite number >= 0, got -1.0"),
    ("adam", {"weight_decay": -0.1}, "adam: weight_decay must be a finite number >= 0, got -0.1"),
    ("adam", {"amsgrad": 1}, "adam: amsgrad must be True or False, got 1"),
    ("rmsprop", {"centered": "yes"}, "rmsprop: centered must be True or False, got 'yes'"),
    ("adam", {"decoupled_weight_decay": None}, "adam: decoupled_weight_decay must be True or False, got None"),
    ("adam", {"clip_value": 0.0}, "adam: clip_value must be a finite number > 0, got 0.0"),
    ("adam", {"clip_norm": -1.0}, "adam: clip_norm must be a finite number > 0, got -1.0"),
    ("adam", {"nonfinite": "ignore"}, "adam: unknown nonfinite 'ignore'; valid: raise, skip"),
    ("adam", {"fused": "yes"}, "adam: fused must be True or False, got 'yes'"),
    ("adam", {"lr": "fast"}, "adam: lr must be a number or a 1-D array of numbers, got 'fast'"),
    ("adam", {"lr": True}, "adam: lr must be a number, got True"),
    ("adam", {"lr": np.ones((2, 2))}, r"adam: lr as an array must be 1-D with one value per run, got shape \(2, 2\)"),
    ("adam", {"lr": np.array([0.1, -0.1])}, r"adam: lr must be a finite number >= 0, got \[ 0.1 -0.1\]"),
    ("adam", {"lr": np.array([0.1, 0.2]), "eps": np.array([1e-8, 1e-8, 1e-8])},
     r"adam: hyperparameter arrays must all have one value per run \(the same length\), got lengths "
     r"\{'lr': 2, 'eps': 3\}"),
])
def test_bad_hyperparameter_message(name, kw, message):
    with pytest.raises(DescendError, match="^" + message + "$"):
        optim.get(name, **kw)


def test_descend_error_is_a_value_error():
    with pytest.raises(ValueError):
        optim.Adam(lr=-1)


# -- equivalences: each rule against its formula written out by hand ----------------------------------

def quad_start():
    return np.array([2.0, -1.5])


def test_sgd_without_momentum_is_gd_and_the_seed_rule_bit_for_bit():
    x_sgd, x_gd, x_seed = quad_start(), quad_start(), quad_start()
    sgd, gd = optim.SGD(lr=0.07), optim.GD(lr=0.07)
    for _ in range(50):
        sgd.step(x_sgd, quad_grad(x_sgd))
        gd.step(x_gd, quad_grad(x_gd))
        x_seed -= 0.07 * quad_grad(x_seed)  # the seeds: network[key] -= learning_rate * grad[key]
    assert np.array_equal(x_sgd, x_gd) and np.array_equal(x_gd, x_seed)
    assert sgd.state.momentum_buffer is None  # no buffer without momentum


def test_momentum_is_the_seed_velocity_formula():
    # seed 004: V = gamma*V - alpha*grad, W = W + V
    gamma, alpha = 0.9, 0.05
    x, w, V = quad_start(), quad_start(), np.zeros(2)
    opt = optim.Momentum(lr=alpha)
    assert opt.momentum == 0.9
    for _ in range(100):
        opt.step(x, quad_grad(x))
        V = gamma * V - alpha * quad_grad(w)
        w = w + V
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)
        # the buffer is b = -V / lr
        np.testing.assert_allclose(opt.state.momentum_buffer, -V / alpha, rtol=1e-12, atol=1e-14)


def test_nesterov_is_its_formula():
    mu, lr = 0.9, 0.05
    x, w, V = quad_start(), quad_start(), np.zeros(2)
    opt = optim.Nesterov(lr=lr)
    for _ in range(100):
        opt.step(x, quad_grad(x))
        g = quad_grad(w)
        V = mu * V - lr * g
        w = w + mu * V - lr * g  # Sutskever et al.'s look-ahead form
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)


def test_sgd_dampening_skips_the_first_step_like_torch():
    x = np.array([1.0])
    opt = optim.SGD(lr=0.1, momentum=0.9, dampening=0.5)
    opt.step(x, np.array([2.0]))
    assert opt.state.momentum_buffer[0] == 2.0  # b = g at the first step
    opt.step(x, np.array([2.0]))
    assert opt.state.momentum_buffer[0] == 0.9 * 2.0 + 0.5 * 2.0


def test_rmsprop_is_the_seed_004_formula():
    # h = alpha*h + (1-alpha)*g^2, eta = eta0/(sqrt(h) + eps), w -= eta*g  (eps outside the root, as torch)
    alpha, eta0, eps = 0.9, 0.01, 1e-8
    x, w, h = quad_start(), quad_start(), np.zeros(2)
    opt = optim.RMSProp(lr=eta0, alpha=alpha, eps=eps)
    for _ in range(200):
        opt.step(x, quad_grad(x))
        g = quad_grad(w)
        h = alpha * h + (1 - alpha) * g ** 2
        eta = eta0 / (np.sqrt(h) + eps)
        w = w - eta * g
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(opt.state.square_avg, h, rtol=1e-12)


def test_adam_with_beta1_zero_is_rmsprop_with_bias_correction():
    b2, lr, eps = 0.99, 0.01, 1e-8
    x, w, h = quad_start(), quad_start(), np.zeros(2)
    opt = optim.Adam(lr=lr, betas=(0.0, b2), eps=eps)
    for t in range(1, 200):
        opt.step(x, quad_grad(x))
        g = quad_grad(w)
        h = b2 * h + (1 - b2) * g ** 2
        w = w - lr * g / (np.sqrt(h / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)


def test_adam_is_the_paper_formula():
    b1, b2, lr, eps = 0.9, 0.999, 0.02, 1e-8
    x, w, m, v = quad_start(), quad_start(), np.zeros(2), np.zeros(2)
    opt = optim.Adam(lr=lr)
    for t in range(1, 200):
        opt.step(x, quad_grad(x))
        g = quad_grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)
    assert np.array_equal(opt.state.exp_avg, opt.state_for().exp_avg)
    np.testing.assert_allclose(opt.state.exp_avg, m, rtol=1e-12, atol=1e-12 * np.abs(m).max())


def test_amsgrad_divides_by_the_running_max():
    x = np.array([1.0])
    opt = optim.Adam(lr=0.1, amsgrad=True)
    opt.step(x, np.array([10.0]))
    opt.step(x, np.array([0.1]))
    assert opt.state.max_exp_avg_sq[0] == pytest.approx(0.001 * 100)
    assert opt.state.max_exp_avg_sq[0] > opt.state.exp_avg_sq[0]


def test_adamw_without_weight_decay_is_adam_bit_for_bit():
    x, y = quad_start(), quad_start()
    a, w = optim.Adam(lr=0.05), optim.AdamW(lr=0.05, weight_decay=0.0)
    for _ in range(100):
        a.step(x, quad_grad(x))
        w.step(y, quad_grad(y))
    assert np.array_equal(x, y)


def test_adamw_is_adam_with_decoupled_weight_decay_and_the_formula():
    x, y, w = quad_start(), quad_start(), quad_start()
    a = optim.Adam(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)
    aw = optim.AdamW(lr=0.05, weight_decay=0.1)
    assert aw.weight_decay == 0.01 * 10 and optim.AdamW().weight_decay == 0.01
    ref = optim.Adam(lr=0.05)
    for _ in range(100):
        a.step(x, quad_grad(x))
        aw.step(y, quad_grad(y))
        g = quad_grad(w)
        w *= 1 - 0.05 * 0.1  # decay first (torch's order), then the Adam step
        ref.step(w, g)
    assert np.array_equal(x, y)
    assert np.array_equal(x, w)


def test_adagrad_is_its_formula():
    lr, eps, decay = 0.5, 1e-10, 0.01
    x, w, h = quad_start(), quad_start(), np.full(2, 0.1)
    opt = optim.AdaGrad(lr=lr, lr_decay=decay, initial_accumulator_value=0.1)
    for t in range(1, 100):
        opt.step(x, quad_grad(x))
        g = quad_grad(w)
        h = h + g * g
        w = w - lr / (1 + (t - 1) * decay) * g / (np.sqrt(h) + eps)
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)


def test_adadelta_is_its_formula():
    rho, eps = 0.9, 1e-6
    x, w, h, u = quad_start(), quad_start(), np.zeros(2), np.zeros(2)
    opt = optim.Adadelta()
    for _ in range(100):
        opt.step(x, quad_grad(x))
        g = quad_grad(w)
        h = rho * h + (1 - rho) * g * g
        dx = np.sqrt(u + eps) / np.sqrt(h + eps) * g
        u = rho * u + (1 - rho) * dx * dx
        w = w - dx
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)


def test_lion_is_algorithm_2_of_the_paper():
    lr, b1, b2, wd = 0.01, 0.9, 0.99, 0.1
    x, w, m = quad_start(), quad_start(), np.zeros(2)
    opt = optim.Lion(lr=lr, weight_decay=wd)
    for _ in range(100):
        opt.step(x, quad_grad(x))
        g = quad_grad(w)
        c = b1 * m + (1 - b1) * g
        w = w - lr * (np.sign(c) + wd * w)
        m = b2 * m + (1 - b2) * g
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-14)


def test_nadam_radam_adamax_first_steps_by_hand():
    g = np.array([0.5, -2.0])
    # Adamax: m = 0.1 g, u = |g| + eps, p -= lr/(1 - 0.9) * m/u  -> lr * sign(g) (nearly)
    x = np.zeros(2)
    optim.Adamax(lr=0.01).step(x, g)
    np.testing.assert_allclose(x, -0.01 * np.sign(g), rtol=1e-7)
    # RAdam: rho_1 <= 5, so the first step is momentum SGD with bias correction: p -= lr * g
    x = np.zeros(2)
    optim.RAdam(lr=0.01).step(x, g)
    np.testing.assert_allclose(x, -0.01 * g, rtol=1e-14)
    # NAdam: mu_1 = 0.9 (1 - 0.5*0.96^0.004), first step by hand
    x = np.zeros(2)
    optim.NAdam(lr=0.01).step(x, g)
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.008)
    denom = np.sqrt((0.001 * g * g) / 0.001) + 1e-8
    expect = -0.01 * (1 - mu1) / (1 - mu1) * g / denom - 0.01 * mu2 / (1 - mu1 * mu2) * 0.1 * g / denom
    np.testing.assert_allclose(x, expect, rtol=1e-12)


# -- containers ------------------------------------------------------------------------------------------

def seed_network(rng):
    """The seeds' init_network2: a dict with W1, W2, b1 and a float b2."""
    return {"W1": rng.standard_normal((2, 10)), "W2": rng.standard_normal(10), "b1": rng.standard_normal(10),
            "b2": float(rng.standard_normal())}


def seed_grads(net, k):
    return {key: np.cos(np.asarray(v) * (k + 1)) for key, v in net.items()}


def test_dict_params_update_in_place_and_match_arrays_one_by_one():
    rng = np.random.default_rng(0)
    net = seed_network(rng)
    W1 = net["W1"]
    singles = {k: np.array(v, dtype=float) for k, v in net.items()}
    opt = optim.Adam(lr=0.01)
    one_each = {k: optim.Adam(lr=0.01) for k in net}
    for k in range(5):
        grads = seed_grads(net, k)
        before = {key: g.copy() for key, g in grads.items()}
        opt.step(net, grads)
        for key in singles:
            one_each[key].step(singles[key], np.cos(singles[key] * (k + 1)))
        for key in grads:
            assert np.array_equal(grads[key], before[key])  # grads never touched
    assert net["W1"] is W1  # the same array, updated in place
    assert isinstance(net["b2"], float)  # a float entry stays a float
    for key in net:
        assert np.array_equal(np.asarray(net[key]), singles[key])
    assert set(opt.state.exp_avg) == {"W1", "W2", "b1", "b2"}


def test_float32_params_are_updated_in_float64_and_rounded_once():
    x32 = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    x64 = x32.astype(np.float64)
    o32, o64 = optim.Adam(lr=0.01), optim.Adam(lr=0.01)
    for k in range(3):
        g = np.array([0.1, 0.2, -0.3]) * (k + 1)
        o32.step(x32, g.astype(np.float32))
        o64.step(x64, g.astype(np.float32).astype(np.float64))
        assert x32.dtype == np.float32 and o32.state.exp_avg.dtype == np.float32
    np.testing.assert_allclose(x32, x64, rtol=1e-6)


@pytest.mark.parametrize("params,grads,message", [
    ({"W": np.zeros(2)}, {"W": np.zeros(3)}, r"grads\['W'\] has shape \(3,\) but the parameter has shape \(2,\)"),
    ({"W": np.zeros(2), "b": np.zeros(1)}, {"W": np.zeros(2)},
     r"grads must have the same keys as params \(\['W', 'b'\]\): missing \['b'\]"),
    ({"W": np.zeros(2)}, {"W": np.zeros(2), "c": np.zeros(1)},
     r"grads must have the same keys as params \(\['W'\]\): unexpected \['c'\]"),
    ({"W": np.zeros(2)}, np.zeros(2), "params is a dict, so grads must be a dict with the same keys, got ndarray"),
    (np.zeros(2), {"W": np.zeros(2)}, "params is one array, so grads must be one array too, got a dict"),
    (np.zeros(2), np.zeros(3), r"grads has shape \(3,\) but the parameter has shape \(2,\)"),
    ([0.0, 1.0], [0.0, 1.0], "params must be a NumPy array \\(updated in place\\), got list"),
    (np.zeros(2, dtype=int), np.zeros(2), "params must be a float16/32/64 array, got dtype int64"),
    ({"W": np.zeros(2, dtype=complex)}, {"W": np.zeros(2)},
     r"params\['W'\] must be a float16/32/64 array, got dtype complex128"),
    (np.zeros(2), np.array(["a", "b"]), "grads must be an array of real numbers, got dtype <U1"),
    ({}, {}, "params is an empty dict: nothing to optimize"),
    ({1: np.zeros(2)}, {1: np.zeros(2)}, "params keys must be strings, got 1"),
])
def test_container_mismatch_messages(params, grads, message):
    with pytest.raises(DescendError, match="^" + message + "$"):
        optim.SGD(lr=0.1).step(params, grads)


def test_read_only_params_are_refused():
    x = np.zeros(2)
    x.flags.writeable = False
    with pytest.raises(DescendError, match="^params is read-only; the optimizer updates parameters in place$"):
        optim.SGD(lr=0.1).step(x, np.ones(2))


def test_params_must_keep_their_structure_between_steps():
    opt = optim.Adam(lr=0.1)
    opt.step({"W": np.zeros(2)}, {"W": np.ones(2)})
    with pytest.raises(DescendError, match=r"params do not match the optimizer state \(keys \['W'\]\), got keys "
                                           r"\['V'\]; call reset\(\) to start over"):
        opt.step({"V": np.zeros(2)}, {"V": np.ones(2)})
    with pytest.raises(DescendError, match=r"params\['W'\] has shape \(3,\) but the optimizer state has shape \(2,\)"):
        opt.step({"W": np.zeros(3)}, {"W": np.ones(3)})
    opt.reset()
    opt.step({"V": np.zeros(3)}, {"V": np.ones(3)})
    assert opt.count == 1


def test_strided_params_are_updated_too():
    base = np.arange(12.0).reshape(3, 4)
    view = base[:, ::2]  # not contiguous
    ref = view.copy()
    optim.SGD(lr=0.5).step(view, np.ones((3, 2)))
    assert np.array_equal(base[:, ::2], ref - 0.5)
    assert np.array_equal(base[:, 1::2], np.arange(12.0).reshape(3, 4)[:, 1::2])


# -- state --------------------------------------------------------------------------------------------------

def test_state_is_explicit_named_and_read_only():
    opt = optim.Adam(lr=0.1)
    with pytest.raises(DescendError, match=r"^adam: no state yet; call step\(\) or init\(\) first$"):
        opt.state
    x = np.array([1.0, 2.0])
    opt.init(x)
    st = opt.state
    assert type(st).__name__ == "AdamState" and st._fields == ("count", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    assert st.count == 0 and np.array_equal(st.exp_avg, [0, 0]) and st.max_exp_avg_sq is None
    opt.step(x, np.array([1.0, -1.0]))
    assert opt.state.count == 1 and np.allclose(opt.state.exp_avg, [0.1, -0.1])
    with pytest.raises(ValueError):
        opt.state.exp_avg[0] = 5.0  # a read-only view of the live state
    with pytest.raises(DescendError, match=r"^adam: no state for key 'W'; keys: params$"):
        opt.state_for("W")


def test_every_optimizer_has_a_named_state_type():
    for name in VECTOR_NAMES:
        opt = optim.get(name)
        opt.step(np.array([1.0, 2.0]), np.array([0.5, 0.5]))
        st = opt.state
        assert st.count == 1 and type(st).__name__.endswith("State")
        assert st._fields == ("count",) + type(opt).state_names


def test_adagrad_state_starts_at_initial_accumulator_value():
    opt = optim.Adagrad(initial_accumulator_value=0.25)
    opt.init({"W": np.zeros((2, 2))})
    assert np.all(opt.state.sum["W"] == 0.25)


def test_reset_forgets_state():
    x = np.array([1.0])
    opt = optim.Adam(lr=0.1)
    opt.step(x, np.array([1.0]))
    opt.reset()
    assert opt.count == 0
    y = np.array([1.0])
    opt.step(y, np.array([1.0]))
    assert y[0] == pytest.approx(0.9)


def next_steps(opt, x, k0, n):
    out = []
    for k in range(k0, k0 + n):
        opt.step(x, rosen_grad(x) * (1 + 0.1 * math.sin(k)))
        out.append(x.copy())
    return np.array(out)


CONFIGS_FOR_RESUME = [("sgd", {"momentum": 0.9, "nesterov": True}), ("gd", {}), ("rmsprop", {"centered": True,
                      "momentum": 0.5}), ("adam", {"amsgrad": True}), ("nadam", {}), ("radam", {}),
                      ("adamax", {}), ("adagrad", {}), ("adadelta", {}), ("lion", {}), ("adamw", {}),
                      ("momentum", {}), ("nesterov", {})]


@pytest.mark.parametrize("name,kw", CONFIGS_FOR_RESUME, ids=[c[0] + str(len(c[1])) for c in CONFIGS_FOR_RESUME])
def test_state_dict_round_trip_through_savez_gives_the_same_next_steps(name, kw, tmp_path):
    lr = schedules.Cosine(lr=1e-3, decay_steps=30, warmup_steps=5)
    a = optim.get(name, lr=lr, **kw)
    x = np.array([-1.2, 1.0])
    next_steps(a, x, 0, 12)
    np.savez(tmp_path / "opt.npz", **a.state_dict())
    x_saved = x.copy()
    expected = next_steps(a, x, 12, 10)
    b = optim.get(name, lr=schedules.Cosine(lr=1e-3, decay_steps=30, warmup_steps=5), **kw)
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as d:
        b.load_state_dict(d)
    assert b.count == 12
    y = x_saved.copy()
    got = next_steps(b, y, 12, 10)
    assert np.array_equal(got, expected)
    assert b.last_lr == lr(21)  # the schedule resumed at the right step


def test_state_dict_uses_plain_arrays_and_flat_string_keys():
    opt = optim.Adam(lr=0.1)
    opt.step({"W1": np.ones((2, 2)), "b1": np.ones(2)}, {"W1": np.ones((2, 2)), "b1": np.ones(2)})
    d = opt.state_dict()
    assert sorted(d) == ["count", "keys", "kind", "optimizer", "runs", "shape.W1", "shape.b1",
                         "skipped_steps", "state.W1.exp_avg", "state.W1.exp_avg_sq", "state.b1.exp_avg",
                         "state.b1.exp_avg_sq"]
    for v in d.values():
        assert isinstance(v, (int, float, str, np.ndarray))
        assert np.asarray(v).dtype != object


def test_plateau_schedule_state_is_saved_with_the_optimizer(tmp_path):
    sched = schedules.ReduceOnPlateau(lr=0.1, patience=0, factor=0.5)
    opt = optim.SGD(lr=sched)
    x = np.array([1.0])
    for loss in (1.0, 2.0, 3.0):
        opt.step(x, np.array([1.0]))
        sched.observe(loss)
    assert sched(0) == 0.025
    buf = io.BytesIO()
    np.savez(buf, **opt.state_dict())
    buf.seek(0)
    sched2 = schedules.ReduceOnPlateau(lr=0.1, patience=0, factor=0.5)
    opt2 = optim.SGD(lr=sched2)
    opt2.load_state_dict(np.load(buf, allow_pickle=False))
    assert sched2(0) == 0.025 and sched2.best == 1.0 and opt2.count == 3


def _saved(opt_name="adam", **kw):
    opt = optim.get(opt_name, lr=0.1, **kw)
    opt.step({"W": np.ones(3)}, {"W": np.ones(3)})
    return opt.state_dict()


@pytest.mark.parametrize("edit,message", [
    (lambda d: d.update(optimizer="sgd"), "state_dict is for optimizer 'sgd', not 'adam'"),
    (lambda d: d.pop("state.W.exp_avg"), r"adam: state_dict is missing \['state.W.exp_avg'\]"),
    (lambda d: d.pop("count"), "adam: state_dict has no 'count' entry"),
    (lambda d: d.pop("shape.W"), "adam: state_dict has no 'shape.W' entry"),
    (lambda d: d.update({"state.W.max_exp_avg_sq": np.ones(3)}),
     r"adam: state_dict has unexpected entries \['state.W.max_exp_avg_sq'\] \(another configuration of adam\?\)"),
    (lambda d: d.update({"state.W.exp_avg": np.ones(4)}),
     r"adam: state.W.exp_avg has shape \(4,\), but the parameter 'W' has shape \(3,\)"),
    (lambda d: d.update({"state.W.exp_avg": np.ones(3, dtype=int)}),
     "adam: state.W.exp_avg must be a float array, got dtype int64"),
    (lambda d: d.update(count=-1), r"adam: state_dict count must be integers >= 0 of shape \(\), got -1 "
                                   r"\(shape \(\)\)"),
    (lambda d: d.update(count=np.array([1, 1])), r"adam: state_dict count must be integers >= 0 of shape \(\), "
                                                 r"got \[1 1\] \(shape \(2,\)\)"),
    (lambda d: d.update({"schedule.name": "cosine"}),
     r"adam: state_dict holds a schedule's state but lr is 0.1"),
    (lambda d: d.update(kind="array"), r"adam: state_dict kind 'array' does not fit keys \['W'\]"),
    (lambda d: d.update(kind="tree"), r"adam: state_dict kind 'tree' does not fit keys \['W'\]"),
    (lambda d: d.update({"shape.V": np.array([3])}), r"adam: state_dict has unexpected entries \['shape.V'\]"),
    (lambda d: d.update(runs=2), r"adam: state_dict count must be integers >= 0 of shape \(2,\), got 1 "
                                 r"\(shape \(\)\)"),
])
def test_load_state_dict_messages(edit, message):
    d = _saved()
    edit(d)
    opt = optim.Adam(lr=0.1)
    with pytest.raises(DescendError, match="^" + message + "$"):
        opt.load_state_dict(d)
    assert opt.count == 0 and opt._kind is None  # unchanged


def test_loaded_state_is_checked_against_the_params_at_the_next_step():
    opt = optim.Adam(lr=0.1)
    opt.load_state_dict(_saved())
    with pytest.raises(DescendError, match=r"params\['W'\] has shape \(2,\) but the optimizer state has shape"):
        opt.step({"W": np.ones(2)}, {"W": np.ones(2)})
    with pytest.raises(DescendError, match="params do not match the optimizer state"):
        opt.step(np.ones(3), np.ones(3))


def test_nadam_scalar_state_is_checked():
    d = _saved("nadam")
    d["scalar.mu_product"] = np.ones(2)
    with pytest.raises(DescendError, match=r"^nadam: scalar.mu_product must have shape \(\), got \(2,\)$"):
        optim.NAdam(lr=0.1).load_state_dict(d)


def test_run_state_dict_checks_the_run_axis():
    opt = optim.SGD(lr=0.1, momentum=0.9)
    opt.step({"W": np.ones((2, 3))}, {"W": np.ones((2, 3))}, runs=2)
    d = opt.state_dict()
    d["shape.W"] = np.array([3, 3])
    with pytest.raises(DescendError, match=r"^sgd: shape.W is \(3, 3\), expected 2 runs along the leading axis$"):
        optim.SGD(lr=0.1, momentum=0.9).load_state_dict(d)


def test_amsgrad_state_dict_needs_the_max_buffer():
    d = _saved()
    with pytest.raises(DescendError, match=r"state_dict is missing \['state.W.max_exp_avg_sq'\]"):
        optim.Adam(lr=0.1, amsgrad=True).load_state_dict(d)


# -- gradient transforms ---------------------------------------------------------------------------------------

def test_clip_value_clips_each_component():
    x = np.zeros(3)
    optim.SGD(lr=1.0, clip_value=0.5).step(x, np.array([2.0, -0.1, -7.0]))
    assert np.array_equal(x, [-0.5, 0.1, 0.5])


def test_clip_norm_uses_the_global_norm_over_all_params():
    p = {"a": np.zeros(2), "b": np.zeros(1)}
    g = {"a": np.array([3.0, 0.0]), "b": np.array([4.0])}  # global norm 5
    optim.SGD(lr=1.0, clip_norm=1.0).step(p, g)
    np.testing.assert_allclose(p["a"], [-0.6, 0.0], rtol=1e-15)
    np.testing.assert_allclose(p["b"], [-0.8], rtol=1e-15)
    q = {"a": np.zeros(2), "b": np.zeros(1)}
    optim.SGD(lr=1.0, clip_norm=10.0).step(q, g)  # below the threshold: untouched
    assert np.array_equal(q["a"], [-3.0, 0.0]) and np.array_equal(q["b"], [-4.0])


def test_clip_value_comes_before_clip_norm():
    x = np.zeros(2)
    optim.SGD(lr=1.0, clip_value=3.0, clip_norm=2.5).step(x, np.array([4.0, 4.0]))  # -> (3, 3), norm 4.24
    np.testing.assert_allclose(x, -np.array([3.0, 3.0]) * 2.5 / math.hypot(3, 3), rtol=1e-15)


def test_coupled_weight_decay_adds_wd_times_p_to_the_gradient():
    x, y = np.array([1.0, -2.0]), np.array([1.0, -2.0])
    g = np.array([0.3, 0.4])
    optim.Adam(lr=0.1, weight_decay=0.5).step(x, g)
    optim.Adam(lr=0.1).step(y, g + 0.5 * y)
    assert np.array_equal(x, y)


def test_decoupled_weight_decay_is_available_on_every_optimizer():
    # Adafactor's relative step size reads p before the decay (torch's order): not "decay, then step";
    # Schedule-Free rebuilds the parameters from its own sequences and refuses the flag; Prodigy scales
    # its decay by its estimate D (p <- p - D lr wd p), as prodigyopt does; SOAP decays after its step
    for name in [n for n in VECTOR_NAMES if n not in ("adafactor", "sgd_schedule_free", "adamw_schedule_free",
                                                      "prodigy", "soap")]:
        x, y = np.array([1.0, -2.0]), np.array([1.0, -2.0])
        g = np.array([0.3, 0.4])
        optim.get(name, lr=0.1, weight_decay=0.5, decoupled_weight_decay=True).step(x, g)
        y *= 1 - 0.1 * 0.5
        optim.get(name, lr=0.1, weight_decay=0.0).step(y, g)
        assert np.array_equal(x, y), name


def test_nonfinite_raise_names_the_key_and_changes_nothing():
    p = {"W1": np.ones(2), "b1": np.ones(3)}
    opt = optim.Adam(lr=0.1, nonfinite="raise")
    with pytest.raises(DescendError, match=r"^adam: non-finite gradient in grads\['b1'\]: nan at index \(1,\)$"):
        opt.step(p, {"W1": np.ones(2), "b1": np.array([1.0, np.nan, 1.0])})
    assert np.array_equal(p["b1"], np.ones(3)) and opt.count == 0


def test_nonfinite_skip_skips_and_counts():
    x = np.ones(2)
    opt = optim.Adam(lr=0.1, nonfinite="skip")
    opt.step(x, np.array([1.0, 1.0]))
    after_one = x.copy()
    st = opt.state_dict()
    opt.step(x, np.array([np.inf, 1.0]))
    assert np.array_equal(x, after_one) and opt.skipped_steps == 1 and opt.count == 1
    assert np.array_equal(opt.state_dict()["state.params.exp_avg"], st["state.params.exp_avg"])
    opt.step(x, np.array([1.0, 1.0]))
    assert opt.count == 2


def test_without_a_guard_nan_goes_through():
    x = np.ones(2)
    optim.SGD(lr=0.1).step(x, np.array([np.nan, 1.0]))
    assert np.isnan(x[0]) and x[1] == 0.9


def test_schedule_values_and_lr_checks():
    opt = optim.SGD(lr=schedules.Exponential(lr=1.0, gamma=0.5))
    x = np.zeros(1)
    for k in range(3):
        opt.step(x, np.ones(1))
        assert opt.last_lr == 0.5 ** k
    assert x[0] == -1.75
    bad = optim.SGD(lr=lambda step: -1.0)
    with pytest.raises(DescendError, match=r"^sgd: the schedule gave lr=-1.0; it must be a finite number >= 0 "
                                           r"\(or one per run\)$"):
        bad.step(np.zeros(1), np.ones(1))


# -- many runs at once ------------------------------------------------------------------------------------------

BATCH_HP = {
    "gd": {"lr": [1e-3, 2e-3, 5e-4]},
    "sgd": {"lr": [1e-3, 2e-3, 5e-4], "momentum": [0.0, 0.9, 0.5], "weight_decay": [0.0, 0.1, 0.01]},
    "momentum": {"momentum": [0.8, 0.9, 0.95], "dampening": [0.0, 0.1, 0.5]},
    "nesterov": {"lr": [1e-3, 2e-3, 5e-4], "momentum": [0.8, 0.9, 0.95]},
    "adagrad": {"lr": [0.1, 0.5, 0.3], "lr_decay": [0.0, 0.01, 0.1], "initial_accumulator_value": [0.0, 0.1, 1.0]},
    "adadelta": {"rho": [0.9, 0.95, 0.5], "eps": [1e-6, 1e-5, 1e-4]},
    "rmsprop": {"lr": [1e-3, 1e-2, 3e-3], "alpha": [0.9, 0.99, 0.5], "momentum": [0.0, 0.9, 0.5]},
    "adam": {"lr": [0.01, 0.02, 0.005], "betas": ([0.9, 0.8, 0.0], [0.999, 0.9, 0.99]), "eps": [1e-8, 1e-6, 1e-3]},
    "adamw": {"weight_decay": [0.0, 0.01, 0.1], "lr": [0.01, 0.02, 0.005]},
    "nadam": {"betas": ([0.9, 0.8, 0.5], [0.999, 0.9, 0.99]), "momentum_decay": [4e-3, 0.0, 0.1]},
    "radam": {"betas": ([0.9, 0.8, 0.5], [0.999, 0.9, 0.5]), "lr": [1e-3, 2e-3, 5e-4]},
    "adamax": {"betas": ([0.9, 0.8, 0.5], [0.999, 0.9, 0.99]), "lr": [0.01, 0.02, 0.005]},
    "lion": {"betas": ([0.9, 0.8, 0.5], [0.99, 0.9, 0.999]), "weight_decay": [0.0, 0.1, 1.0]},
    "rprop": {"lr": [1e-3, 1e-2, 0.1], "etas": ([0.5, 0.3, 0.9], [1.2, 1.5, 1.1])},
    "asgd": {"lr": [1e-3, 2e-3, 5e-4], "lambd": [1e-4, 0.0, 0.1], "t0": [1e6, 5, 0.0]},
    "adafactor": {"lr": [0.01, 0.02, 0.005], "beta2_decay": [-0.8, -0.5, -1.0], "d": [1.0, 2.0, 1.5]},
    "sgd_schedule_free": {"lr": [1e-3, 2e-3, 5e-4], "momentum": [0.9, 0.5, 0.8], "r": [0.0, 1.0, 0.5]},
    "adamw_schedule_free": {"lr": [0.01, 0.02, 0.005], "betas": ([0.9, 0.8, 0.5], [0.999, 0.9, 0.99]),
                            "weight_decay": [0.0, 0.01, 0.1]},
    "adopt": {"lr": [0.01, 0.02, 0.005], "betas": ([0.9, 0.8, 0.5], [0.9999, 0.9, 0.99]), "eps": [1e-6, 1e-4, 1e-3]},
    "ademamix": {"lr": [0.01, 0.02, 0.005], "alpha": [5.0, 2.0, 0.0],
                 "betas": ([0.9, 0.8, 0.5], [0.999, 0.9, 0.99], [0.9999, 0.99, 0.999])},
    "prodigy": {"lr": [1.0, 0.5, 0.3], "d0": [1e-6, 1e-5, 1e-4], "weight_decay": [0.0, 0.01, 0.1]},
    "lamb": {"lr": [0.01, 0.02, 0.005], "betas": ([0.9, 0.8, 0.5], [0.999, 0.9, 0.99]), "clamp": [10.0, 1.0, 0.5]},
    "soap": {"lr": [0.01, 0.02, 0.005], "betas": ([0.95, 0.8, 0.5], [0.95, 0.9, 0.99]), "weight_decay": [0.0, 0.01, 0.1]},
}


def _row(hp, i):
    out = {}
    for k, v in hp.items():
        out[k] = tuple(b[i] for b in v) if isinstance(v, tuple) else v[i]
    return out


def _as_arrays(hp):
    return {k: (tuple(np.array(b) for b in v) if isinstance(v, tuple) else np.array(v)) for k, v in hp.items()}


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_batched_rows_equal_single_runs_bit_for_bit(name):
    hp = BATCH_HP[name]
    R, steps = 3, 40
    X0 = np.array([[-1.2, 1.0], [0.5, -0.5], [2.0, 2.0]])
    X = X0.copy()
    batch = optim.get(name, **_as_arrays(hp))
    for _ in range(steps):
        batch.step(X, rosen_grad(X), runs=R)
    for i in range(R):
        plain, one = X0[i].copy(), X0[i:i + 1].copy()
        a, b = optim.get(name, **_row(hp, i)), optim.get(name, **_row(hp, i))
        for _ in range(steps):
            a.step(plain, rosen_grad(plain))
            b.step(one, rosen_grad(one), runs=1)
        assert np.array_equal(X[i], plain), (name, i)
        assert np.array_equal(X[i:i + 1], one), (name, i)
    assert not np.array_equal(X[0] - X0[0], X[1] - X0[1])  # the rows really differ


def test_array_hyperparameters_without_runs_align_with_the_leading_axis():
    X = np.ones((3, 4))
    optim.SGD(lr=np.array([1.0, 2.0, 3.0])).step(X, np.ones((3, 4)))
    assert np.array_equal(X[:, 0], [0.0, -1.0, -2.0])
    with pytest.raises(DescendError, match=r"^params\['b'\] has shape \(4,\), but hyperparameter arrays ask for 3 "
                                           r"runs along the leading axis$"):
        optim.SGD(lr=np.array([1.0, 2.0, 3.0])).step({"W": np.ones((3, 4)), "b": np.ones(4)},
                                                     {"W": np.ones((3, 4)), "b": np.ones(4)})


def test_runs_clip_norm_and_skip_act_per_run():
    R = 4
    X0 = np.array([[0.0, 0.0]] * R)
    G = np.array([[3.0, 4.0], [0.3, 0.4], [np.nan, 1.0], [6.0, 8.0]])
    X = X0.copy()
    opt = optim.SGD(lr=1.0, clip_norm=1.0, nonfinite="skip")
    opt.step(X, G, runs=R)
    np.testing.assert_allclose(X[0], [-0.6, -0.8], rtol=1e-15)
    assert np.array_equal(X[1], [-0.3, -0.4])  # below the norm: untouched
    assert np.array_equal(X[2], [0.0, 0.0])     # skipped
    np.testing.assert_allclose(X[3], [-0.6, -0.8], rtol=1e-15)
    assert list(opt.count) == [1, 1, 0, 1] and list(opt.skipped_steps) == [0, 0, 1, 0]
    # row i is bit for bit the single run fed row i
    for i in range(R):
        x = X0[i].copy()
        single = optim.SGD(lr=1.0, clip_norm=1.0, nonfinite="skip")
        single.step(x, G[i])
        assert np.array_equal(x, X[i])


def test_skipped_rows_keep_their_own_step_count():
    R = 2
    X = np.ones((R, 2))
    opt = optim.Adam(lr=0.1, nonfinite="skip")
    G1 = np.array([[1.0, 1.0], [np.nan, 1.0]])
    G2 = np.array([[0.5, -1.0], [0.5, -1.0]])
    opt.step(X, G1, runs=R)
    opt.step(X, G2, runs=R)
    # row 1 took one step (its first), row 0 two
    a, b = np.ones(2), np.ones(2)
    sa, sb = optim.Adam(lr=0.1), optim.Adam(lr=0.1)
    sa.step(a, G1[0])
    sa.step(a, G2[0])
    sb.step(b, G2[1])
    assert np.array_equal(X[0], a) and np.array_equal(X[1], b)
    d = opt.state_dict()
    assert list(d["count"]) == [2, 1] and d["runs"] == 2


def test_nonfinite_raise_with_runs_names_the_run():
    X = np.ones((3, 2))
    G = np.ones((3, 2))
    G[2, 1] = np.inf
    with pytest.raises(DescendError, match=r"^sgd: non-finite gradient in grads \(run 2\): inf at index \(2, 1\)$"):
        optim.SGD(lr=0.1, nonfinite="raise").step(X, G, runs=3)


@pytest.mark.parametrize("call,message", [
    (lambda o: o.step(np.ones((3, 2)), np.ones((3, 2)), runs=0), "runs must be an integer >= 1, got 0"),
    (lambda o: o.step(np.ones((3, 2)), np.ones((3, 2)), runs=2),
     r"params has shape \(3, 2\), but runs ask for 2 runs along the leading axis"),
    (lambda o: o.step(np.ones(3), np.ones(3), runs=3) or o.step(np.ones(3), np.ones(3)),
     r"sgd: the state was made with runs=3, this step has runs=None; call reset\(\) to start over"),
])
def test_runs_messages(call, message):
    with pytest.raises(DescendError, match="^" + message + "$"):
        call(optim.SGD(lr=0.1))


def test_runs_must_match_hyperparameter_arrays():
    with pytest.raises(DescendError, match=r"^adam: runs=2 but the hyperparameter arrays have 3 values$"):
        optim.Adam(lr=np.array([0.1, 0.2, 0.3])).step(np.ones((2, 2)), np.ones((2, 2)), runs=2)
    with pytest.raises(DescendError, match=r"^sgd: an array clip_norm needs runs=R \(one norm per run\)$"):
        optim.SGD(clip_norm=np.array([1.0, 2.0])).step(np.ones((2, 2)), np.ones((2, 2)))


# -- memory and the two paths -----------------------------------------------------------------------------------

def test_numpy_path_allocates_nothing_that_grows_with_the_params():
    import tracemalloc
    peaks = []
    for n in (200_000, 2_000_000):
        x = np.ones(n, dtype=np.float32)
        g = np.full(n, 0.5, dtype=np.float32)
        opt = optim.Adam(lr=1e-3, fused=False)
        opt.step(x, g)
        tracemalloc.start()
        opt.step(x, g)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 4 * 2**20  # far below one float32 copy of the params (8 MB)
    assert peaks[1] < 1.5 * peaks[0]


def _numba_or_skip():
    return pytest.importorskip("numba", reason="the fused path needs numba (an optional dependency)")


FUSED_CASES = [
    ("adam", {}), ("adam", {"amsgrad": True, "weight_decay": 0.1, "clip_norm": 3.0}),
    ("adamw", {"clip_value": 0.5}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("rmsprop", {}), ("rmsprop", {"centered": True, "momentum": 0.5}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", FUSED_CASES, ids=[f"{n}{len(k)}" for n, k in FUSED_CASES])
def test_fused_kernel_equals_numpy_path_bit_for_bit(name, kw, dtype):
    _numba_or_skip()
    from descend.optim import fused
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal(5000).astype(dtype)
    results = []
    for use in (False, True):
        x = x0.copy()
        opt = optim.get(name, lr=0.01, fused=use, **kw)
        for k in range(6):
            opt.step(x, (np.sin(x.astype(np.float64) * (k + 1)) + 0.1).astype(dtype))
        results.append((x, opt.state_dict()))
    assert not fused.failures
    assert any(key[0] is type(optim.get(name)).rule and entry is not None for key, entry in fused._cache.items())
    (xa, da), (xb, db) = results
    assert np.array_equal(xa, xb)
    for k in da:
        assert np.array_equal(np.asarray(da[k]), np.asarray(db[k])), k


@pytest.mark.parametrize("name,kw", [("adam", {}), ("sgd", {"momentum": 0.9})])
def test_fused_kernel_on_many_threads_equals_numpy_path_bit_for_bit(name, kw):
    _numba_or_skip()
    from descend.optim import fused
    n = fused.PARALLEL_MIN_SIZE + 12345  # large enough for the parallel launch
    x0 = np.random.default_rng(2).standard_normal(n).astype(np.float32)
    out = []
    for use in (False, True):
        x = x0.copy()
        opt = optim.get(name, lr=0.01, fused=use, **kw)
        for k in range(3):
            opt.step(x, np.cos(x * (k + 1)))
        out.append(x)
    assert np.array_equal(out[0], out[1])


def test_fused_auto_takes_every_array_of_a_large_step_and_restores_the_thread_count(monkeypatch):
    numba = _numba_or_skip()
    from descend.optim import fused
    seen = []
    real = fused.run
    monkeypatch.setattr(fused, "run", lambda calls: seen.append([a[0].size for _, a in calls]) or real(calls))
    threads = numba.get_num_threads()
    big = {"0.weight": np.ones((400, 100), np.float32), "0.bias": np.ones(100, np.float32)}
    ref = {k: v.copy() for k, v in big.items()}
    grads = {k: np.full_like(v, 0.5) for k, v in big.items()}
    optim.Adam(lr=0.1).step(big, grads)
    optim.Adam(lr=0.1, fused=False).step(ref, grads)
    assert seen == [[40000, 100]]  # the bias goes with the weight (40100 >= FUSED_MIN_SIZE)
    assert all(np.array_equal(big[k], ref[k]) for k in big)
    assert numba.get_num_threads() == threads
    small = {"w": np.ones(1000), "b": np.ones(10)}
    optim.Adam(lr=0.1).step(small, {k: np.ones_like(v) for k, v in small.items()})
    assert seen == [[40000, 100]]  # 1010 elements: the NumPy path, numba not needed


def test_fused_path_falls_back_silently_without_numba_and_for_array_hyperparameters(monkeypatch):
    from descend.optim import fused
    monkeypatch.setattr(fused, "_cache", {})
    monkeypatch.setenv("DESCEND_NO_NUMBA", "1")
    x, y = np.linspace(-1, 1, 3000), np.linspace(-1, 1, 3000)
    a, b = optim.Adam(lr=0.01, fused=True), optim.Adam(lr=0.01, fused=False)
    for _ in range(3):
        a.step(x, np.cos(x))
        b.step(y, np.cos(y))
    assert np.array_equal(x, y)
    assert fused._cache == {}  # no kernel was even looked for
    monkeypatch.delenv("DESCEND_NO_NUMBA")
    calls = []
    monkeypatch.setattr(fused, "kernel", lambda *a: calls.append(a))
    X = np.ones((2, 3000))
    optim.Adam(lr=np.array([0.1, 0.2]), fused=True).step(X, np.ones((2, 3000)))
    assert calls == [] and np.allclose(X[0], 0.9) and np.allclose(X[1], 0.8)


def test_import_does_not_load_numba():
    import subprocess
    import sys
    code = "import sys, descend.optim, descend.schedules; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=25, deadline=None)
@given(lr=st.lists(st.floats(1e-4, 1.0), min_size=2, max_size=4),
       beta1=st.floats(0.0, 0.99), beta2=st.floats(0.5, 0.9999), wd=st.floats(0.0, 0.5),
       clip=st.one_of(st.none(), st.floats(0.1, 10.0)), seed=st.integers(0, 2**16))
def test_hypothesis_dict_of_runs_rows_equal_single_runs(lr, beta1, beta2, wd, clip, seed):
    R = len(lr)
    rng = np.random.default_rng(seed)
    P0 = {"W": rng.standard_normal((R, 3, 2)), "b": rng.standard_normal(R)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in P0.items()} for _ in range(5)]
    P = {k: v.copy() for k, v in P0.items()}
    batch = optim.Adam(lr=np.array(lr), betas=(beta1, np.full(R, beta2)), weight_decay=wd, clip_norm=clip)
    for G in grads:
        batch.step(P, G, runs=R)
    for i in range(R):
        p = {k: v[i].copy() for k, v in P0.items()}
        single = optim.Adam(lr=lr[i], betas=(beta1, beta2), weight_decay=wd, clip_norm=clip)
        for G in grads:
            single.step(p, {k: v[i] for k, v in G.items()})
        for k in p:
            assert np.array_equal(P[k][i], p[k]), (k, i)


def _step_in_child(seed):
    x = np.random.default_rng(seed).standard_normal(100_000)
    opt = optim.Adam(lr=0.1, fused=True)
    opt.step(x, np.cos(x))
    return x


def test_a_forked_child_can_still_step_after_the_parent_ran_a_kernel():
    _numba_or_skip()
    import multiprocessing as mp
    x = np.ones(100_000)
    optim.Adam(lr=0.1, fused=True).step(x, x)  # the parent starts its parallel threads
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map_async(_step_in_child, [1, 2]).get(timeout=120)
    for seed, x in zip([1, 2], got):
        y = np.random.default_rng(seed).standard_normal(100_000)
        optim.Adam(lr=0.1, fused=False).step(y, np.cos(y))
        assert np.array_equal(x, y)


def test_get_class_is_the_class_get_builds_and_refuses_unknown_names():
    for name in optim.names():
        assert type(optim.get(name)) is optim.get_class(name) is optim.get_class(name.upper())
    with pytest.raises(DescendError, match="valid"):
        optim.get_class("adma")
    with pytest.raises(DescendError):
        optim.get_class("lbfgs")  # a closure optimizer: get() does not take it either
