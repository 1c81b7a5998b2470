"""The compiled path of minimize (descend.jit) against the NumPy path, bit for bit.

One table over every optimizer configuration; inside each, every problem with compiled
kernels x {scalar lr, lr per run, schedule} x {history True, "f", False}, from starts
that converge at once, converge later, reach the step limit, diverge by growth and
diverge to non-finite values.  Then the pieces: the per-step numbers against each
optimizer's own ``_scalars``, the problem kernels against the problems' NumPy
formulas, the automatic choice, the refusals of ``compiled=True``, user functions
through ``descend.compiled``, and life without numba.
"""

from __future__ import annotations

import builtins
import inspect

import numpy as np
import pytest

import descend
from descend import optim, problems, schedules
from descend.errors import DescendError

numba = pytest.importorskip("numba")

from descend.jit import kernels, scalars  # noqa: E402  (after the skip: numba is needed from here)
from descend.jit import run as jrun  # noqa: E402


# -- comparing results bit for bit ------------------------------------------------------------

def _bits(a):
    a = np.asarray(a)
    return a.view(np.int64) if a.dtype == np.float64 else a


def _same(a, b) -> bool:
    if isinstance(a, (np.ndarray, float, np.floating)) or isinstance(b, (np.ndarray, float, np.floating)):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(_bits(a), _bits(b))
    return a == b


FIELDS = ("x", "fun", "grad_norm", "nit", "nfev", "ngev", "status", "success", "message", "optimizer")


def assert_same(a, b, where=""):
    for k in FIELDS:
        va, vb = getattr(a, k), getattr(b, k)
        assert _same(va, vb), f"{where}: {k} differs: {va!r} vs {vb!r}"
    assert repr(a.lr) == repr(b.lr), where
    assert (a.history is None) == (b.history is None), where
    if a.history is not None:
        for k in ("x", "f", "grad_norm", "lr"):
            va, vb = getattr(a.history, k), getattr(b.history, k)
            assert (va is None) == (vb is None), f"{where}: history.{k}"
            if va is not None:
                assert _same(va, vb), f"{where}: history.{k} differs"


def _starts(p, rng):
    """Six starts: the problem's own, one at a minimizer (converges at once with gtol),
    one far away (diverges), three random ones in the domain."""
    lo, hi = p.domain[:, 0], p.domain[:, 1]
    X0 = lo + (hi - lo) * rng.random((6, p.dim))
    X0[0] = p.x0
    if len(p.minimizers):
        X0[1] = p.minimizers[0]
    X0[2] = 40.0 * (hi - lo)
    return X0


LRS = {
    "scalar": lambda R: 0.01,
    "per run": lambda R: np.geomspace(1e-4, 4.0, R),  # the largest lrs diverge, the smallest creep
    "schedule": lambda R: schedules.Cosine(lr=0.05, decay_steps=50, warmup_steps=5),
}

#: optimizer configurations: each compiles one loop that serves every problem
CONFIGS = [
    ("gd", {}), ("sgd", {}), ("sgd", {"momentum": 0.9, "dampening": 0.3}), ("sgd", {"dampening": 0.5}),
    ("momentum", {"weight_decay": 0.01}), ("nesterov", {}),
    ("adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1}), ("adadelta", {}),
    ("rmsprop", {}), ("rmsprop", {"centered": True, "momentum": 0.5}),
    ("adam", {}), ("adam", {"amsgrad": True, "clip_value": 1.0}), ("adamw", {}),
    ("adam", {"clip_norm": 2.0}), ("nadam", {}), ("radam", {}), ("adamax", {}), ("lion", {}),
    ("rmsprop", {"maximize": True, "clip_norm": 1.0}),
]


@pytest.mark.parametrize("name,hp", CONFIGS, ids=[f"{n}-{'-'.join(hp) or 'defaults'}" for n, hp in CONFIGS])
def test_every_problem_lr_and_history_bit_for_bit(name, hp):
    rng = np.random.default_rng(7)
    seen = set()
    for pname in kernels.KERNELS:
        p = problems.get(pname)
        X0 = _starts(p, rng)
        for lr_kind, make in LRS.items():
            for history in (True, "f", False):
                kw = dict(optimizer=name, lr=make(len(X0)), steps=60, gtol=1e-6, history=history, max_growth=1e4,
                          **hp)
                a = descend.minimize(p, X0, compiled=True, **kw)
                b = descend.minimize(p, X0, compiled=False, **kw)
                assert_same(a, b, f"{pname} {name} {hp} lr={lr_kind} history={history}")
                seen.update(str(m).split(":")[0].split(" (")[0] for m in a.message)
        # the single run (x0 of shape (n,)) goes through the same loop
        a = descend.minimize(p, optimizer=name, lr=0.003, steps=40, compiled=True, **hp)
        b = descend.minimize(p, optimizer=name, lr=0.003, steps=40, compiled=False, **hp)
        assert_same(a, b, f"{pname} {name} single")
    # runs converged and ran out of steps in this table (divergence: the tests below)
    assert any(s.startswith("Converged") for s in seen), seen
    assert any(s.startswith("Reached the step limit") for s in seen), seen


def test_statuses_at_different_steps_bit_for_bit():
    # one batch whose runs converge, diverge by growth, become non-finite and run out of
    # steps, each at its own step: the rows that stopped repeat their values in the history
    p = problems.get("rosenbrock")
    X0 = np.array([[1.0, 1.0], [1.0 + 1e-7, 1.0], [-1.2, 1.0], [3.0, -3.0], [200.0, 200.0], [0.5, 0.5]])
    lr = np.array([1e-3, 1e-3, 1e-3, 5e-3, 1e-3, 2e-4])
    for max_growth in (1e8, 10.0, None):
        kw = dict(optimizer="gd", lr=lr, steps=300, gtol=1e-4, max_growth=max_growth)
        a = descend.minimize(p, X0, compiled=True, **kw)
        b = descend.minimize(p, X0, compiled=False, **kw)
        assert_same(a, b, f"max_growth={max_growth}")
    assert set(a.status) >= {"converged", "diverged", "max_steps"}
    assert len(set(a.nit)) >= 3  # they stopped at different steps
    messages = " ".join(a.message)
    assert "became non-finite" in messages


def test_diverged_at_start_and_no_decrease_messages():
    p = problems.get("sphere")
    X0 = np.array([[1e200, 1e200], [3.0, 4.0]])  # f overflows to inf at the first row's start
    for kw in (dict(optimizer="gd", lr=1.0, steps=5), dict(optimizer="gd", lr=np.array([0.1, 1.0]), steps=6)):
        a = descend.minimize(p, X0, compiled=True, **kw)
        b = descend.minimize(p, X0, compiled=False, **kw)
        assert_same(a, b, str(kw))
    assert a.message[0].startswith("Diverged at step 0")
    assert "without decreasing f" in a.message[1]  # lr = 1 on x^2 oscillates with constant amplitude


def test_steps_zero_and_one():
    p = problems.get("himmelblau")
    for steps in (0, 1, 2):
        for gtol in (None, 1e-3, 1e9):
            kw = dict(optimizer="adam", lr=0.1, steps=steps, gtol=gtol)
            assert_same(descend.minimize(p, compiled=True, **kw), descend.minimize(p, compiled=False, **kw),
                        f"steps={steps} gtol={gtol}")


def test_hyperparameters_per_run_bit_for_bit():
    p = problems.get("rosenbrock")
    X0 = np.tile(p.x0, (4, 1))
    cases = [
        ("adam", dict(betas=(np.array([0.8, 0.9, 0.95, 0.99]), 0.999), eps=np.array([1e-8, 1e-6, 1e-4, 1e-2]))),
        ("sgd", dict(momentum=np.array([0.0, 0.5, 0.9, 0.99]), dampening=np.array([0.0, 0.1, 0.0, 0.5]))),
        ("rmsprop", dict(alpha=np.array([0.9, 0.99, 0.5, 0.0]), weight_decay=np.array([0.0, 0.1, 0.0, 1.0]))),
        ("nadam", dict(momentum_decay=np.array([0.0, 4e-3, 1e-2, 0.1]))),
        ("adagrad", dict(initial_accumulator_value=np.array([0.0, 0.1, 1.0, 10.0]))),
        ("lion", dict(clip_norm=np.array([0.1, 1.0, 10.0, 100.0]))),
    ]
    for name, hp in cases:
        kw = dict(optimizer=name, lr=np.array([1e-3, 3e-3, 1e-2, 3e-2]), steps=120, **hp)
        assert_same(descend.minimize(p, X0, compiled=True, **kw), descend.minimize(p, X0, compiled=False, **kw),
                    name)


@pytest.mark.parametrize("sched", [
    schedules.StepDecay(lr=0.02, step_size=7, gamma=0.5),
    schedules.MultiStep(lr=0.02, milestones=[5, 20], gamma=0.3),
    schedules.Exponential(lr=0.02, gamma=0.97),
    schedules.Cosine(lr=0.02, decay_steps=10, restarts=True, period_mult=2),
    schedules.LinearWarmup(lr=0.02, warmup_steps=15),
    schedules.Polynomial(lr=0.02, decay_steps=30, power=2.0),
    schedules.OneCycle(max_lr=0.05, total_steps=40),
    schedules.Exponential(lr=np.array([0.01, 0.02, 0.03]), gamma=0.98),  # one lr per run from a schedule
], ids=lambda s: type(s).__name__)
def test_every_schedule_bit_for_bit(sched):
    p = problems.get("beale")
    X0 = np.array([[1.0, 1.0], [2.0, 0.0], [-1.0, 1.5]])
    kw = dict(optimizer="rmsprop", lr=sched, steps=50)
    assert_same(descend.minimize(p, X0, compiled=True, **kw), descend.minimize(p, X0, compiled=False, **kw))


# -- the pieces -----------------------------------------------------------------------------------

TWIN_CASES = [("gd", {}), ("sgd", {"momentum": 0.9, "dampening": 0.2}), ("sgd", {"dampening": 0.4}),
              ("adagrad", {"lr_decay": 0.03}), ("adadelta", {"rho": 0.5}), ("rmsprop", {"alpha": 0.7}),
              ("adam", {"betas": (0.85, 0.9999)}), ("nadam", {"momentum_decay": 0.02}),
              ("radam", {"betas": (0.9, 0.999)}), ("radam", {"betas": (0.5, 0.6)}), ("adamax", {}),
              ("lion", {"betas": (0.95, 0.98)})]


@pytest.mark.parametrize("name,hp", TWIN_CASES)
def test_per_step_numbers_are_the_optimizers_own(name, hp):
    # the compiled twin of _scalars gives the very floats of the optimizer's own method,
    # step after step (the NAdam product carried along), for thousands of steps
    steps = 3000
    opt = optim.get(name, lr=0.01, **hp)
    p = problems.get("sphere")
    cfg = jrun._configure(p, None, None, opt, np.zeros((1, 2)), steps, False)
    from descend.jit import driver
    _, table, nsc = driver.loop(cfg.rule, len(cfg.present), cfg.present, cfg.twin, cfg.rename, cfg.flags,
                                cfg.hp_cols, cfg.state_init, cfg.fun, cfg.grad, cfg.fun_key)
    SCT = np.empty((steps, nsc))
    table(cfg.HP, cfg.LR, steps, SCT)
    args = list(inspect.signature(cfg.rule).parameters)[2 + len(opt.state_names):]
    floats = [a for a in args if a not in cfg.flags]
    sstate = {k: v for k, v in opt.scalar_state.items()}
    for t in range(1, steps + 1):
        got, sstate = opt._scalars(opt._hpr, t, 0.01, sstate)
        for j, a in enumerate(floats):
            assert _same(float(got[a]), SCT[t - 1, j]), f"{name} {a} at step {t}: {got[a]!r} vs {SCT[t - 1, j]!r}"


@pytest.mark.parametrize("name", sorted(scalars.TWINS))
def test_twins_watch_the_source_they_copy(name):
    # editing an optimizer's _scalars (or what it calls) must be matched here and in
    # descend/jit/scalars.py: until then the compiled path steps aside for it
    opt = optim.get(name)
    tw = scalars.TWINS[name]
    assert scalars.source_hash(type(opt), tw.watch) == tw.digest
    assert scalars.twin(opt)[0] is tw


def test_the_loop_watches_optimizer_step():
    # the compiled loop copies the order of Optimizer.step's transforms: an edit there
    # turns the compiled path off until descend/jit/driver.py is checked against it
    from descend.optim.base import Optimizer
    assert scalars.source_hash(Optimizer, scalars.STEP_WATCH) == scalars.STEP_DIGEST


def test_an_edited_scalars_method_turns_the_compiled_path_off(monkeypatch):
    class Edited(optim.Adam):
        def _scalars(self, hp, t, lr, sstate):  # same numbers, other source
            return super()._scalars(hp, t, lr, sstate)

    tw, why = scalars.twin(Edited())
    assert tw is None and "changed since their compiled twin was written" in why


@pytest.mark.parametrize("pname", list(kernels.KERNELS))
def test_problem_kernels_are_numpys_formulas(pname):
    p = problems.get(pname)
    rng = np.random.default_rng(3)
    lo, hi = p.domain[:, 0], p.domain[:, 1]
    X = lo + (hi - lo) * rng.random((300, p.dim))
    X[:10] *= 1e3  # large values: rounding differences would show
    fj, gj = kernels.switch(numba)
    pid = kernels.problem_id(pname)
    P = kernels.KERNELS[pname][2](p)
    tmp, out = np.empty(p.dim), np.empty(p.dim)
    F, G = p.f(X), p.grad(X)
    for i, x in enumerate(X):
        assert _same(fj(pid, x, P, tmp), F[i]), (pname, i)
        gj(pid, x, P, tmp, out)
        assert _same(out, G[i]), (pname, i)


def test_every_registered_problem_is_covered():
    assert set(kernels.KERNELS) | set(kernels.WITHOUT) == set(problems.names())


def test_einsum_is_numpys_row_norm():
    fn = kernels.jitted(kernels.einsum_sq, numba)
    rng = np.random.default_rng(4)
    for n in range(9, 129):
        G = rng.normal(size=(3, n)) * 10.0 ** rng.uniform(-6, 6, size=(3, n))
        ref = np.einsum("ij,ij->i", G, G)
        for i in range(3):
            assert _same(fn(G[i], n), ref[i]), n


def test_kernels_that_disagree_with_numpy_are_refused(monkeypatch):
    monkeypatch.setitem(kernels._checked, ("rosenbrock", 2, repr({"n": 2, "a": 1.0, "b": 100.0})), False)
    with pytest.raises(DescendError, match="do not give this NumPy's bits"):
        descend.minimize(problems.get("rosenbrock"), steps=3, compiled=True)


def test_pairwise_is_numpys_sum():
    fn = kernels.jitted(kernels.pairwise, numba)
    rng = np.random.default_rng(0)
    for n in range(1, 129):
        for _ in range(5):
            a = rng.normal(size=n) * 10.0 ** rng.uniform(-8, 8, size=n)
            assert _same(fn(a, 0, n), np.sum(a[None, :], axis=-1)[0]), n


@pytest.mark.parametrize("pname", ["rosenbrock", "ackley", "goldstein_price"])
def test_long_jobs_inline_the_problem_bit_for_bit(pname, monkeypatch):
    # from INLINE_WORK runs x steps on, a problem gets a loop of its own with f and grad
    # inlined; the threshold is lowered here so that a short job takes that loop
    monkeypatch.setattr(jrun, "INLINE_WORK", 0)
    p = problems.get(pname)
    X0 = _starts(p, np.random.default_rng(5))
    for history in (True, "f"):
        kw = dict(optimizer="adam", lr=np.geomspace(1e-3, 3.0, len(X0)), steps=80, gtol=1e-6, history=history)
        a = descend.minimize(p, X0, compiled=True, **kw)
        b = descend.minimize(p, X0, compiled=False, **kw)
        assert_same(a, b, f"{pname} history={history}")
    cfg = jrun._configure(p, None, None, optim.get("adam"), X0, 80, False)
    assert cfg.fun_key[0] == "inline"


def test_runs_split_over_threads_bit_for_bit(monkeypatch):
    monkeypatch.setattr(jrun, "_threads", lambda: 4)
    assert len(jrun._chunks(200)) == 4 and jrun._chunks(10) == [(0, 10)]
    p = problems.get("himmelblau")
    X0 = np.random.default_rng(2).uniform(-6.0, 6.0, (200, 2))
    kw = dict(optimizer="rmsprop", lr=np.geomspace(1e-4, 2.0, 200), steps=150, gtol=1e-5, history=True)
    a = descend.minimize(p, X0, compiled=True, **kw)
    assert_same(a, descend.minimize(p, X0, compiled=False, **kw))
    assert len(set(a.nit)) > 3 and set(a.status) >= {"converged", "max_steps"}


def test_rosenbrock_in_more_dimensions_and_other_parameters():
    assert kernels.einsum_ok(numba)
    for p in (problems.rosenbrock(n=5), problems.rosenbrock(n=8, a=2.0, b=10.0), problems.rosenbrock(n=30),
              problems.rastrigin(n=17), problems.ackley(n=12), problems.sphere(n=128),
              problems.styblinski_tang(n=9)):
        X0 = np.random.default_rng(1).uniform(-1.5, 1.5, (5, p.dim))
        args = dict(optimizer="adam", lr=0.01, steps=100)
        assert_same(descend.minimize(p, X0, compiled=True, **args), descend.minimize(p, X0, compiled=False, **args))


# -- choosing the path ----------------------------------------------------------------------------

def _count_compiled(monkeypatch):
    calls = []
    real = jrun.run

    def counting(*a, **k):
        res = real(*a, **k)
        calls.append(res is not None)
        return res
    monkeypatch.setattr(jrun, "run", counting)
    return calls


def test_compiled_none_takes_it_where_it_applies(monkeypatch):
    calls = _count_compiled(monkeypatch)
    p = problems.get("rosenbrock")
    first = descend.minimize(p, optimizer="adam", lr=0.01, steps=50)  # NumPy path while the loop gets ready
    assert descend.jit.wait_ready(300)
    calls.clear()
    a = descend.minimize(p, optimizer="adam", lr=0.01, steps=50)
    assert calls == [True]
    assert_same(a, first)
    assert_same(a, descend.minimize(p, optimizer="adam", lr=0.01, steps=50, compiled=False))
    descend.minimize(p, optimizer="gd", lr=0.01, steps=5, line_search="backtracking")
    descend.minimize(p, optimizer="adam", steps=5, callback=lambda s: False)
    descend.minimize(problems.get("quadratic"), optimizer="adam", steps=5)
    assert descend.jit.wait_ready(300)
    descend.minimize(problems.get("quadratic"), optimizer="adam", steps=5)
    assert calls == [True]  # none of these took it


def test_compare_sweep_and_lr_find_take_the_compiled_path(monkeypatch):
    from descend.sweeps import lr_find

    calls = _count_compiled(monkeypatch)

    def each():
        descend.compare("rosenbrock", ["sgd", "adam"], steps=30)
        lr_find(problems.get("rosenbrock"), steps=30)
        return descend.sweep(problems.get("rosenbrock"), {"optimizer": ["adam", "rmsprop"], "lr": [1e-3, 1e-2]},
                             steps=30, backend="local", progress=False, as_records=True)
    each()  # compiled=None: the NumPy path for whatever is not ready yet, its loop queued
    assert descend.jit.wait_ready(300)
    calls.clear()
    descend.compare("rosenbrock", ["sgd", "adam"], steps=30)
    assert calls.count(True) == 2
    lr_find(problems.get("rosenbrock"), steps=30)
    assert calls.count(True) >= 3
    rows = descend.sweep(problems.get("rosenbrock"), {"optimizer": ["adam", "rmsprop"], "lr": [1e-3, 1e-2]},
                         steps=30, backend="local", progress=False, as_records=True)
    assert len(rows) == 4
    assert calls.count(True) >= 5


REFUSALS = [
    (dict(optimizer="gd", line_search="backtracking"), "line search"),
    (dict(callback=lambda s: False), "callback"),
    (dict(optimizer=optim.Adam(lr=0.01)), "optimizer instance"),
    (dict(method="newton"), "method='newton'"),  # bfgs, lbfgs and cg compile (tests/test_second_order_compiled.py)
]


@pytest.mark.parametrize("kw,why", REFUSALS, ids=[w for _, w in REFUSALS])
def test_compiled_true_says_why_not(kw, why):
    with pytest.raises(DescendError, match="compiled=True") as err:
        descend.minimize(problems.get("rosenbrock"), steps=3, compiled=True, **kw)
    assert why in str(err.value)


def test_compiled_true_refuses_what_has_no_kernel():
    for name in ("quadratic", "least_squares", "ill_conditioned"):
        with pytest.raises(DescendError, match="OpenBLAS"):
            descend.minimize(problems.get(name), steps=3, compiled=True)
    made_by_hand = problems.Problem("bowl", lambda x: np.sum(x * x, axis=-1), lambda x: 2 * x, x0=[1.0, 2.0],
                                    minimizers=[[0.0, 0.0]], minimum=0.0, window=None, description="x'x")
    with pytest.raises(DescendError, match="registered factory"):
        descend.minimize(made_by_hand, steps=3, compiled=True)
    with pytest.raises(DescendError, match="not compiled"):
        descend.minimize(lambda x: float(x @ x), [1.0, 2.0], grad=lambda x: 2 * x, steps=3, compiled=True)
    with pytest.raises(DescendError, match="numerical"):
        descend.minimize(lambda x: float(x @ x), [1.0, 2.0], steps=3, compiled=True)
    with pytest.raises(DescendError, match="float32"):
        descend.minimize(problems.get("sphere"), np.array([1.0, 2.0], np.float32), steps=3, compiled=True)
    with pytest.raises(DescendError, match="up to 128"):
        descend.minimize(problems.sphere(n=129), steps=3, compiled=True)
    with pytest.raises(DescendError, match="compiled must be None"):
        descend.minimize(problems.get("sphere"), steps=3, compiled="yes")
    not_elementwise = [n for n in optim.names() if scalars.ALIASES.get(n, n) not in scalars.TWINS]
    for name in not_elementwise:
        with pytest.raises(DescendError, match="no compiled per-step numbers"):
            descend.minimize(problems.get("sphere"), optimizer=name, steps=3, compiled=True)


# -- the user's functions -------------------------------------------------------------------------

def _rosen(x):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] * x[0]) ** 2


def _rosen_grad(x):
    return np.array([-2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]), 200.0 * (x[1] - x[0] * x[0])])


def test_descend_compiled_wraps_python_functions_bit_for_bit(monkeypatch):
    monkeypatch.setenv("DESCEND_JIT_WAIT", "1")  # compiled=None decides now, not after a background load
    calls = _count_compiled(monkeypatch)
    obj = descend.compiled(_rosen, _rosen_grad)
    assert "compiled(_rosen, _rosen_grad)" == repr(obj)
    X0 = np.array([[-1.2, 1.0], [0.0, 0.0], [50.0, 50.0]])
    for kw in (dict(optimizer="adam", lr=0.01, steps=200), dict(optimizer="gd", lr=np.array([1e-3, 2e-3, 1e-3]),
                                                                 steps=100, history="f", gtol=1e-3)):
        a = descend.minimize(obj, X0, **kw)
        b = descend.minimize(obj, X0, compiled=False, **kw)
        assert_same(a, b, str(kw))
        assert_same(descend.minimize(obj, X0[0], **kw | {"lr": 0.001}),
                    descend.minimize(obj, X0[0], compiled=False, **kw | {"lr": 0.001}))
    assert calls and all(calls)
    assert obj(np.array([1.0, 1.0])) == 0.0


def test_only_functions_of_a_module_file_are_cached_on_disk():
    # numba's cache rebuilds a function's globals from its module when it loads it: a
    # function made by exec (the README's examples) or a lambda is compiled in each process
    scope = {}
    exec("def h(x):\n    return x[0] * x[0]\n", scope)
    assert not descend.jit.driver.cacheable(scope["h"])
    assert not descend.jit.driver.cacheable(lambda x: x[0])
    assert descend.jit.driver.cacheable(_rosen)
    obj = descend.compiled(scope["h"], lambda x: 2.0 * x)
    assert_same(descend.minimize(obj, [3.0], steps=20), descend.minimize(obj, [3.0], steps=20, compiled=False))


def test_numba_functions_given_as_f_and_grad():
    f, g = numba.njit(_rosen), numba.njit(_rosen_grad)
    a = descend.minimize(f, [-1.2, 1.0], grad=g, optimizer="nadam", lr=0.01, steps=100, compiled=True)
    b = descend.minimize(f, [-1.2, 1.0], grad=g, optimizer="nadam", lr=0.01, steps=100, compiled=False)
    assert_same(a, b)


def test_a_plain_number_start_with_compiled_functions():
    obj = descend.compiled(lambda x: (x - 3.0) ** 2, lambda x: 2.0 * (x - 3.0))
    a = descend.minimize(obj, 0.0, optimizer="momentum", lr=0.05, steps=100, compiled=True)
    b = descend.minimize(obj, 0.0, optimizer="momentum", lr=0.05, steps=100, compiled=False)
    assert_same(a, b)
    assert isinstance(a.x, float) and abs(a.x - 3.0) < 0.1


def test_compiled_objective_brings_its_gradient():
    obj = descend.compiled(_rosen, _rosen_grad)
    with pytest.raises(DescendError, match="brings its own gradient"):
        descend.minimize(obj, [0.0, 0.0], grad=lambda x: x)
    with pytest.raises(DescendError, match="two functions"):
        descend.compiled(_rosen, None)


def test_a_wrong_shape_from_the_users_grad_is_the_numpy_paths_error():
    obj = descend.compiled(_rosen, lambda x: np.zeros(3))
    with pytest.raises(DescendError, match="grad must return shape"):
        descend.minimize(obj, [0.0, 0.0], steps=3)


# -- without numba -------------------------------------------------------------------------------

def test_everything_works_without_numba(monkeypatch):
    from descend.optim import fused

    real_import = builtins.__import__

    def no_numba(name, *args, **kwargs):
        if name == "numba" or name.startswith("numba."):
            raise ImportError("No module named 'numba'")
        return real_import(name, *args, **kwargs)

    p = problems.get("rosenbrock")
    expected = descend.minimize(p, optimizer="adam", lr=0.01, steps=50, compiled=False)
    monkeypatch.setattr(builtins, "__import__", no_numba)
    monkeypatch.setattr(fused, "_numba", None)  # as if never imported in this process
    monkeypatch.setattr(fused, "_cache", {})
    assert not descend.jit.available()
    assert_same(descend.minimize(p, optimizer="adam", lr=0.01, steps=50), expected)
    with pytest.raises(DescendError, match="numba is not installed"):
        descend.minimize(p, optimizer="adam", steps=5, compiled=True)
    with pytest.raises(DescendError, match="needs numba"):
        descend.compiled(_rosen, _rosen_grad)
    monkeypatch.setenv("DESCEND_NO_NUMBA", "1")
    with pytest.raises(DescendError, match="DESCEND_NO_NUMBA"):
        descend.minimize(p, optimizer="adam", steps=5, compiled=True)


def test_prefer_numpy_keeps_none_on_the_numpy_path(monkeypatch):
    calls = _count_compiled(monkeypatch)
    p = problems.get("rosenbrock")
    from descend import jit
    with jit.prefer_numpy():
        a = descend.minimize(p, optimizer="adam", lr=0.01, steps=50)
        assert calls == []  # not taken, so nothing compiled
        descend.minimize(p, optimizer="adam", lr=0.01, steps=50, compiled=True)
        assert calls == [True]  # asked for: still taken
    descend.minimize(p, optimizer="adam", lr=0.01, steps=50)
    assert calls == [True, True]  # outside: None decides again
    assert_same(a, descend.minimize(p, optimizer="adam", lr=0.01, steps=50, compiled=True))


def test_the_demo_does_not_compile_its_small_runs(monkeypatch):
    from click.testing import CliRunner

    from descend import cli
    calls = _count_compiled(monkeypatch)
    result = CliRunner().invoke(cli.cli, ["demo", "--no-page"])
    assert result.exit_code == 0, result.output
    assert calls == []


def test_a_loop_is_keyed_by_where_its_functions_live():
    """The same source in another module (a renamed test or user module) is another loop: numba's
    cached loop for the old one would import the old module when it is loaded."""
    import types

    moved = types.FunctionType(_rosen.__code__, _rosen.__globals__, _rosen.__name__)
    moved.__module__ = "renamed_module"
    assert descend.jit.driver.digest(_rosen) != descend.jit.driver.digest(moved)
    assert descend.jit.driver.digest(_rosen) == descend.jit.driver.digest(_rosen)
