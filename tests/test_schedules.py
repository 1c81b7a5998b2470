"""descend.schedules: each schedule against its formula and torch's lr_scheduler
(fixture + live), plateau state, per-run arrays, resuming inside an optimizer, messages."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from descend import optim, schedules
from descend.errors import DescendError

FIXTURE = Path(__file__).parent / "fixtures" / "torch_schedules.npz"
DATA = np.load(FIXTURE, allow_pickle=False)
SCHEDULES = json.loads(str(DATA["schedules"]))
LOSSES = DATA["plateau_losses"]
N = len(LOSSES)


def values(name, args, n=N):
    s = schedules.get(name, **args)
    out = []
    for k in range(n):
        out.append(s(k))
        if name == "plateau":
            s.observe(float(LOSSES[k]))
    return np.array(out)


def test_names():
    assert schedules.names() == ["constant", "step", "multistep", "exponential", "cosine", "linear_warmup",
                                 "polynomial", "onecycle", "plateau"]


@pytest.mark.parametrize("key", sorted(SCHEDULES))
def test_matches_torch_lr_scheduler_fixture(key):
    name, args, _, _ = SCHEDULES[key]
    ref = DATA[key]
    assert len(np.unique(ref)) > 3  # the reference really changes
    np.testing.assert_allclose(values(name, args), ref, rtol=1e-12, atol=0)


@pytest.mark.parametrize("key", sorted(SCHEDULES))
def test_matches_live_torch(key):
    torch = pytest.importorskip("torch")
    name, args, tname, targs = SCHEDULES[key]
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=args.get("lr", args.get("max_lr")))
    sched = getattr(torch.optim.lr_scheduler, tname)(opt, **targs)
    ref = []
    for k in range(N):
        ref.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(float(LOSSES[k])) if tname == "ReduceLROnPlateau" else sched.step()
    np.testing.assert_allclose(values(name, args), ref, rtol=1e-12, atol=0)


# -- formulas -------------------------------------------------------------------------------------

def test_closed_forms():
    assert schedules.Constant(0.3)(17) == 0.3
    s = schedules.StepDecay(1.0, step_size=3, gamma=0.5)
    assert [s(k) for k in range(7)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    m = schedules.MultiStep(1.0, milestones=[2, 5], gamma=0.1)
    assert [m(k) for k in range(7)] == [1, 1, 0.1, 0.1, 0.1, 0.1 ** 2, 0.1 ** 2]
    e = schedules.Exponential(2.0, gamma=0.9)
    assert e(5) == 2.0 * 0.9 ** 5
    p = schedules.Polynomial(1.0, decay_steps=10, power=2.0, end_lr=0.1)
    assert p(0) == 1.0 and p(10) == 0.1 and p(25) == 0.1
    assert p(5) == pytest.approx(0.1 + 0.9 * 0.25)
    w = schedules.LinearWarmup(1.0, warmup_steps=4, start_factor=0.0)
    assert [w(k) for k in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


def test_cosine_warmup_and_end():
    c = schedules.Cosine(1.0, decay_steps=10, min_lr=0.1, warmup_steps=5, warmup_start_factor=0.2)
    assert c(0) == pytest.approx(0.2) and c(4) == pytest.approx(0.2 + 0.8 * 4 / 5)
    assert c(5) == 1.0  # the warmup ends where the cosine starts
    assert c(10) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * 5 / 10)) / 2)
    assert c(15) == pytest.approx(0.1) and c(1000) == pytest.approx(0.1)  # stays at min_lr


def test_cosine_restarts():
    c = schedules.Cosine(1.0, decay_steps=4, restarts=True)
    assert [round(c(k), 12) for k in range(9)] == [round(v, 12) for v in
                                                   [1, 0.5 + 0.5 * math.cos(math.pi / 4), 0.5,
                                                    0.5 + 0.5 * math.cos(3 * math.pi / 4)] * 2 + [1]]
    c2 = schedules.Cosine(1.0, decay_steps=2, restarts=True, period_mult=2)  # periods 2, 4, 8
    assert c2(0) == 1.0 and c2(2) == 1.0 and c2(6) == 1.0 and c2(14) == 1.0
    assert c2(4) == pytest.approx(0.5)


def test_onecycle_ends_at_the_final_lr_and_stays():
    s = schedules.OneCycle(1.0, total_steps=20)
    assert s(0) == pytest.approx(1.0 / 25)
    assert max(s(k) for k in range(20)) == pytest.approx(1.0, rel=1e-2)
    assert s(19) == pytest.approx(1.0 / 25 / 1e4) and s(100) == s(19)


def test_array_lr_gives_one_schedule_per_run_bit_for_bit():
    lrs = np.array([0.1, 0.3, 0.7])
    for make in (lambda lr: schedules.Cosine(lr, decay_steps=20, min_lr=0.01, warmup_steps=3),
                 lambda lr: schedules.OneCycle(lr, total_steps=20),
                 lambda lr: schedules.StepDecay(lr, 3),
                 lambda lr: schedules.Polynomial(lr, decay_steps=10, power=1.5)):
        s = make(lrs)
        for k in range(25):
            v = s(k)
            assert v.shape == (3,)
            assert all(v[i] == make(float(lrs[i]))(k) for i in range(3))


def test_per_run_lr_from_a_schedule_in_a_batched_optimizer():
    lrs = np.array([0.1, 0.3])
    X = np.ones((2, 3))
    opt = optim.SGD(lr=schedules.Exponential(lrs, gamma=0.5), momentum=0.9)
    for _ in range(4):
        opt.step(X, np.cos(X), runs=2)
    for i in range(2):
        x = np.ones(3)
        single = optim.SGD(lr=schedules.Exponential(float(lrs[i]), gamma=0.5), momentum=0.9)
        for _ in range(4):
            single.step(x, np.cos(x))
        assert np.array_equal(X[i], x)


# -- plateau ----------------------------------------------------------------------------------------

def test_plateau_reduces_after_patience_and_respects_cooldown_and_min_lr():
    s = schedules.ReduceOnPlateau(1.0, factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    seen = []
    for loss in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        s.observe(loss)
        seen.append(s(0))
    # bad, bad -> reduce; cooldown ignores one; bad, bad -> reduce ...; never below 0.2
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]


def test_plateau_max_mode_and_abs_threshold():
    s = schedules.ReduceOnPlateau(1.0, mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    s.observe(1.0)
    s.observe(1.05)  # not better by more than 0.1
    assert s(0) == 0.1


def test_plateau_tracks_runs_separately():
    s = schedules.ReduceOnPlateau(1.0, patience=0, factor=0.5)
    s.observe(np.array([1.0, 1.0]))
    s.observe(np.array([0.5, 2.0]))
    assert list(s(5)) == [1.0, 0.5]
    with pytest.raises(DescendError, match=r"^loss has 3 values but the schedule tracks 2 runs$"):
        s.observe(np.ones(3))
    with pytest.raises(DescendError, match=r"^the schedule tracks 2 runs; observe one loss per run$"):
        s.observe(1.0)
    with pytest.raises(DescendError, match=r"^loss must be a number or a 1-D array \(one per run\), "
                                           r"got shape \(2, 2\)$"):
        s.observe(np.ones((2, 2)))


def test_building_an_optimizer_keeps_the_schedule_state_and_reset_resets_it():
    s = schedules.ReduceOnPlateau(1.0, patience=0)
    s.observe(1.0)
    s.observe(2.0)
    opt = optim.SGD(lr=s)
    assert s(0) == 0.1
    opt.reset()
    assert s(0) == 1.0


def test_plateau_state_dict_round_trip_and_checks():
    s = schedules.ReduceOnPlateau(1.0, patience=1)
    for loss in (3.0, 2.0, 2.5):
        s.observe(loss)
    d = s.state_dict()
    t = schedules.ReduceOnPlateau(1.0, patience=1)
    t.load_state_dict(d)
    for loss in (2.5, 2.5, 2.5):
        s.observe(loss)
        t.observe(loss)
        assert s(0) == t(0)
    assert t(0) < 1.0
    with pytest.raises(DescendError, match=r"^plateau schedule state needs entries"):
        t.load_state_dict({"current": 1.0})
    with pytest.raises(DescendError, match=r"^schedule state is for 'cosine', not 'plateau'$"):
        t.load_state_dict({**d, "name": "cosine"})
    with pytest.raises(DescendError, match=r"^plateau schedule state has inconsistent shapes"):
        t.load_state_dict({**d, "best": np.ones(2)})
    with pytest.raises(DescendError, match=r"^cosine schedule has no state, got entries \['x'\]$"):
        schedules.Cosine(1.0, 10).load_state_dict({"x": 1})


def test_resumed_optimizer_continues_its_schedule(tmp_path):
    def make():
        return optim.Adam(lr=schedules.OneCycle(0.1, total_steps=40))
    a = make()
    x = np.array([3.0, -1.0])
    for _ in range(15):
        a.step(x, 2 * x)
    np.savez(tmp_path / "a.npz", **a.state_dict())
    b = make()
    b.load_state_dict(np.load(tmp_path / "a.npz", allow_pickle=False))
    y = x.copy()
    for _ in range(10):
        a.step(x, 2 * x)
        b.step(y, 2 * y)
        assert a.last_lr == b.last_lr
    assert np.array_equal(x, y)
    assert b.last_lr == schedules.OneCycle(0.1, total_steps=40)(24)


# -- messages -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,args,message", [
    ("constant", {"lr": 0}, "lr must be a finite number > 0, got 0.0"),
    ("step", {"lr": 1.0, "step_size": 0}, "step_size must be an integer >= 1, got 0"),
    ("step", {"lr": 1.0, "step_size": 2.5}, "step_size must be an integer >= 1, got 2.5"),
    ("step", {"lr": 1.0, "step_size": 2, "gamma": -0.5}, "gamma must be a finite number > 0, got -0.5"),
    ("multistep", {"lr": 1.0, "milestones": [5, 3]}, r"milestones must be increasing integers >= 1, got \[5, 3\]"),
    ("multistep", {"lr": 1.0, "milestones": "ab"}, "milestones must be increasing integers >= 1, got 'ab'"),
    ("multistep", {"lr": 1.0, "milestones": [1.5]}, r"milestones must be increasing integers >= 1, got \[1.5\]"),
    ("exponential", {"lr": 1.0, "gamma": 0}, "gamma must be a finite number > 0, got 0.0"),
    ("cosine", {"lr": 1.0, "decay_steps": 0}, "decay_steps must be an integer >= 1, got 0"),
    ("cosine", {"lr": 1.0, "decay_steps": 10, "min_lr": 1.0}, r"min_lr must be < lr \(1.0\), got 1.0"),
    ("cosine", {"lr": 1.0, "decay_steps": 10, "warmup_steps": -1}, "warmup_steps must be an integer >= 0, got -1"),
    ("cosine", {"lr": 1.0, "decay_steps": 10, "warmup_start_factor": 2.0},
     r"warmup_start_factor must be in \[0, 1\], got 2.0"),
    ("cosine", {"lr": 1.0, "decay_steps": 10, "restarts": 1}, "restarts must be True or False, got 1"),
    ("cosine", {"lr": 1.0, "decay_steps": 10, "period_mult": 0}, "period_mult must be an integer >= 1, got 0"),
    ("linear_warmup", {"lr": 1.0, "warmup_steps": 0}, "warmup_steps must be an integer >= 1, got 0"),
    ("linear_warmup", {"lr": 1.0, "warmup_steps": 5, "end_factor": 0.0}, r"end_factor must be in \(0, 1\], got 0.0"),
    ("polynomial", {"lr": 1.0, "decay_steps": 5, "power": 0.0}, "power must be a finite number > 0, got 0.0"),
    ("polynomial", {"lr": 1.0, "decay_steps": 5, "end_lr": 2.0}, r"end_lr must be < lr \(1.0\), got 2.0"),
    ("onecycle", {"max_lr": 1.0, "total_steps": 1}, "total_steps must be an integer >= 2, got 1"),
    ("onecycle", {"max_lr": 1.0, "total_steps": 10, "pct_start": 1.0}, r"pct_start must be in \(0, 1\), got 1.0"),
    ("onecycle", {"max_lr": 1.0, "total_steps": 10, "anneal": "exp"}, "unknown anneal 'exp'; valid: cos, linear"),
    ("onecycle", {"max_lr": 1.0, "total_steps": 3, "pct_start": 0.1},
     "total_steps=3 is too short for pct_start=0.1: every phase needs a step"),
    ("onecycle", {"max_lr": 1.0, "total_steps": 10, "three_phase": "no"},
     "three_phase must be True or False, got 'no'"),
    ("plateau", {"lr": 1.0, "mode": "low"}, "unknown mode 'low'; valid: min, max"),
    ("plateau", {"lr": 1.0, "factor": 1.0}, r"factor must be in \(0, 1\), got 1.0"),
    ("plateau", {"lr": 1.0, "patience": -1}, "patience must be an integer >= 0, got -1"),
    ("plateau", {"lr": 1.0, "threshold_mode": "pct"}, "unknown threshold_mode 'pct'; valid: rel, abs"),
    ("plateau", {"lr": 1.0, "min_lr": -1}, "min_lr must be a finite number >= 0, got -1.0"),
    ("constant", {"lr": "x"}, "lr must be a number, got 'x'"),
    ("constant", {"lr": True}, "lr must be a number, got True"),
    ("constant", {"lr": np.ones((2, 2))}, "lr must be a number or a 1-D array of numbers"),
    ("cosine", {"lr": 1.0, "steps": 10}, "cosine schedule: unknown argument 'steps'; valid: lr, decay_steps, "
                                         "min_lr, warmup_steps, warmup_start_factor, restarts, period_mult"),
    ("cosine", {"lr": 1.0}, "cosine schedule: .*missing 1 required positional argument: 'decay_steps'"),
])
def test_messages(name, args, message):
    with pytest.raises(DescendError, match="^" + message):
        schedules.get(name, **args)


def test_unknown_schedule_lists_valid_names():
    with pytest.raises(DescendError, match=r"^unknown schedule 'cosin'; valid: constant, step, multistep, "
                                           r"exponential, cosine, linear_warmup, polynomial, onecycle, plateau$"):
        schedules.get("cosin")
    assert schedules.get("COSINE", lr=1.0, decay_steps=3).name == "cosine"


@pytest.mark.parametrize("step", [-1, 1.5, True, "3"])
def test_step_must_be_a_nonnegative_integer(step):
    with pytest.raises(DescendError, match="^step must be an integer >= 0, got "):
        schedules.Constant(1.0)(step)


def test_repr():
    assert repr(schedules.StepDecay(0.5, 3)) == "StepDecay(lr=0.5, step_size=3, gamma=0.1)"
