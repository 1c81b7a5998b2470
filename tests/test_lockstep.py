"""Many runs in lockstep (descend.jit.lockstep) against the NumPy path, bit for bit.

From :data:`~descend.jit.lockstep.MIN_RUNS` runs on, minimize's compiled path advances
blocks of runs together.  The table: every elementwise optimizer configuration over every
problem with compiled kernels (through the switch of every problem, one loop per
configuration), with runs that converge, diverge and run out of steps at different steps,
per-run learning rates and hyperparameters, schedules and every kind of history; then
the problems whose arithmetic is inlined across runs, blocks and threads, user functions.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import problems, schedules

numba = pytest.importorskip("numba")

from descend.jit import kernels, lockstep  # noqa: E402  (after the skip: numba is needed from here)
from descend.jit import run as jrun  # noqa: E402

from test_jit import CONFIGS, _rosen, _rosen_grad, assert_same  # noqa: E402

R = 40  # more than lockstep.MIN_RUNS, less than a block: one block, one thread


def _starts(p, rng, R=R):
    """R starts: the problem's own, one at a minimizer (converges at once), one far away
    (diverges), the rest random in the domain."""
    lo, hi = p.domain[:, 0], p.domain[:, 1]
    X0 = lo + (hi - lo) * rng.random((R, p.dim))
    X0[0] = p.x0
    if len(p.minimizers):
        X0[1] = p.minimizers[0]
    X0[2] = 40.0 * (hi - lo)
    return X0


@pytest.fixture
def through_lockstep(monkeypatch):
    """Counts the runs of the lockstep loop (and keeps the problems behind the switch: one loop
    per configuration)."""
    calls = []
    real = jrun._advance_lockstep

    def counted(cfg, X, *a):
        calls.append(X.shape[0])
        return real(cfg, X, *a)
    monkeypatch.setattr(jrun, "_advance_lockstep", counted)
    monkeypatch.setattr(kernels, "lanes", lambda nb, name: None)
    return calls


LRS = {
    "scalar": lambda R: 0.01,
    "per run": lambda R: np.geomspace(1e-4, 4.0, R),  # the largest lrs diverge, the smallest creep
    "schedule": lambda R: schedules.Cosine(lr=0.05, decay_steps=50, warmup_steps=5),
}


def _config_id(name, hp):
    return f"{name}-{'-'.join(hp) or 'defaults'}"


#: In the default run, the configurations whose lockstep loops take every kind of per-step state and
#: transform (no state; momentum with dampening; an accumulator with lr decay; centered second moments
#: with momentum; AMSGrad with clipping by value; maximize with clipping by norm).  The rest of the
#: table (each configuration's lockstep loop compiles on its own, ~7 s of CPU on a cold cache) runs with
#: ``-m slow``; its fast twin is this subset plus tests/test_jit.py's one-run table of every configuration.
FAST_CONFIGS = {"gd-defaults", "sgd-momentum-dampening", "adagrad-lr_decay-initial_accumulator_value",
                "rmsprop-centered-momentum", "adam-amsgrad-clip_value", "rmsprop-maximize-clip_norm"}


@pytest.mark.parametrize("name,hp", [c if _config_id(*c) in FAST_CONFIGS else pytest.param(*c, marks=pytest.mark.slow)
                                     for c in CONFIGS], ids=[_config_id(n, hp) for n, hp in CONFIGS])
def test_every_optimizer_and_problem_in_lockstep_bit_for_bit(name, hp, through_lockstep):
    rng = np.random.default_rng(11)
    for pname in kernels.KERNELS:
        p = problems.get(pname)
        X0 = _starts(p, rng)
        for lr_kind, make in LRS.items():
            history = (True, "f", False)[len(through_lockstep) % 3]
            kw = dict(optimizer=name, lr=make(R), steps=50, gtol=1e-6, history=history, max_growth=1e4, **hp)
            a = descend.minimize(p, X0, compiled=True, **kw)
            b = descend.minimize(p, X0, compiled=False, **kw)
            assert_same(a, b, f"{pname} {name} {hp} lr={lr_kind} history={history}")
    assert through_lockstep and set(through_lockstep) == {R}


def test_runs_stopping_at_different_steps(through_lockstep):
    # converged, diverged by growth, non-finite and out of steps, each at its own step
    p = problems.get("rosenbrock")
    base = np.array([[1.0, 1.0], [1.0 + 1e-7, 1.0], [-1.2, 1.0], [3.0, -3.0], [200.0, 200.0], [0.5, 0.5]])
    X0 = np.tile(base, (5, 1))
    lr = np.tile([1e-3, 1e-3, 1e-3, 5e-3, 1e-3, 2e-4], 5) * np.repeat([1.0, 0.5, 2.0, 0.25, 1.5], 6)
    for max_growth in (1e8, 10.0, None):
        for history in (True, "f", False):
            kw = dict(optimizer="gd", lr=lr, steps=300, gtol=1e-4, max_growth=max_growth, history=history)
            assert_same(descend.minimize(p, X0, compiled=True, **kw), descend.minimize(p, X0, compiled=False, **kw),
                        f"max_growth={max_growth} history={history}")
    a = descend.minimize(p, X0, compiled=True, optimizer="gd", lr=lr, steps=300, gtol=1e-4, max_growth=1e8)
    assert set(a.status) >= {"converged", "diverged", "max_steps"}
    assert len(set(a.nit)) >= 4  # stopped at 0, 1, 2 and 300 steps
    assert len(through_lockstep) == 10


def test_every_run_converged_or_diverged_before_the_last_step(through_lockstep):
    p = problems.get("sphere")
    X0 = np.random.default_rng(0).normal(size=(20, 2))
    X0[3] = [1e200, 1e200]  # diverged at the start
    for history in (True, "f"):
        kw = dict(optimizer="gd", lr=np.linspace(0.1, 0.4, 20), steps=500, gtol=1e-8, history=history)
        a = descend.minimize(p, X0, compiled=True, **kw)
        assert_same(a, descend.minimize(p, X0, compiled=False, **kw), str(history))
    assert a.history.f.shape[0] < 501  # the history stops at the last step any run took


def test_hyperparameters_per_run(through_lockstep):
    p = problems.get("rosenbrock")
    X0 = np.tile(p.x0, (R, 1))
    cases = [
        ("adam", dict(betas=(np.linspace(0.5, 0.99, R), 0.999), eps=np.geomspace(1e-8, 1e-2, R))),
        ("sgd", dict(momentum=np.linspace(0.0, 0.99, R), dampening=np.linspace(0.0, 0.5, R))),
        ("rmsprop", dict(alpha=np.linspace(0.0, 0.99, R), weight_decay=np.linspace(0.0, 1.0, R))),
        ("nadam", dict(momentum_decay=np.linspace(0.0, 0.1, R))),
        ("adagrad", dict(initial_accumulator_value=np.geomspace(1e-3, 10.0, R))),
        ("lion", dict(clip_norm=np.geomspace(0.1, 100.0, R))),
    ]
    for name, hp in cases:
        kw = dict(optimizer=name, lr=np.geomspace(1e-3, 3e-2, R), steps=120, **hp)
        assert_same(descend.minimize(p, X0, compiled=True, **kw), descend.minimize(p, X0, compiled=False, **kw),
                    name)


@pytest.mark.parametrize("pname", ["rosenbrock", "goldstein_price", "himmelblau"])
def test_inlined_problems_blocks_and_threads(pname, monkeypatch):
    # the definitions' arithmetic inlined across runs; several blocks, split over threads
    monkeypatch.setattr(jrun, "_threads", lambda: 2)
    assert kernels.lanes(numba, pname) is not None
    p = problems.get(pname)
    X0 = _starts(p, np.random.default_rng(3), R=2 * lockstep.BLOCK + 37)
    for lr in (3e-3, np.geomspace(1e-4, 1.0, len(X0))):
        for history in (True, False):
            kw = dict(optimizer="adam", lr=lr, steps=80, gtol=1e-5, history=history, max_growth=1e3)
            assert_same(descend.minimize(p, X0, compiled=True, **kw), descend.minimize(p, X0, compiled=False, **kw),
                        f"{pname} history={history}")


def test_user_functions_in_lockstep(through_lockstep):
    f = descend.compiled(_rosen, _rosen_grad)
    X0 = np.random.default_rng(5).uniform(-2, 2, size=(R, 2))
    kw = dict(optimizer="momentum", lr=1e-3, steps=200, gtol=1e-3)
    assert_same(descend.minimize(f, X0, compiled=True, **kw), descend.minimize(f, X0, compiled=False, **kw))
    assert through_lockstep == [R]


def test_more_than_eight_variables(through_lockstep):
    p = problems.rosenbrock(n=12)
    X0 = np.random.default_rng(2).uniform(-1.5, 1.5, size=(R, 12))
    kw = dict(optimizer="adam", lr=1e-2, steps=100, clip_norm=5.0, history="f")
    assert_same(descend.minimize(p, X0, compiled=True, **kw), descend.minimize(p, X0, compiled=False, **kw))
    assert through_lockstep == [R]


def test_few_runs_keep_the_one_run_loop(through_lockstep):
    p = problems.get("rosenbrock")
    descend.minimize(p, np.tile(p.x0, (lockstep.MIN_RUNS - 1, 1)), optimizer="adam", steps=5, compiled=True)
    assert through_lockstep == []
