"""descend.jit.ready: compiled=None answers on the NumPy path while a loop gets ready in the background."""

import os
import pickle
import threading

import numpy as np
import pytest

import descend
from descend import problems
from descend.jit import ready
from descend.jit import run as jrun

pytest.importorskip("numba")


def assert_same(a, b):
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.fun, b.fun)
    for name in ("nit", "nfev", "status", "message"):
        np.testing.assert_array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name)))
    np.testing.assert_array_equal(a.history.f, b.history.f)


def _count_by_thread(monkeypatch):
    calls = []
    real = jrun.run

    def counting(*a, **k):
        res = real(*a, **k)
        calls.append((threading.current_thread() is threading.main_thread(), res is not None))
        return res
    monkeypatch.setattr(jrun, "run", counting)
    return calls


def test_the_constants_mirror_the_loops():
    from descend.jit import lockstep
    assert ready.LOCKSTEP_RUNS == lockstep.MIN_RUNS
    assert ready.INLINE_WORK == jrun.INLINE_WORK


def test_a_new_configuration_answers_on_numpy_then_runs_compiled(monkeypatch):
    monkeypatch.delenv("DESCEND_JIT_WAIT", raising=False)
    assert descend.jit.wait_ready(300)  # what earlier tests queued (a second-order solver's load) runs first
    calls = _count_by_thread(monkeypatch)
    p = problems.get("beale")  # a configuration no other test of this file asks for
    kw = dict(optimizer="nadam", lr=0.003, weight_decay=0.01, steps=40, history="f")
    X0 = np.array([[1.0, 1.0], [0.5, -0.5], [2.0, 0.3]])
    first = descend.minimize(p, X0, **kw)
    assert not [c for c in calls if c[0]]  # the caller did not run the compiled loop
    assert descend.jit.wait_ready(300)
    assert [c for c in calls if not c[0]] == [(False, True)]  # the thread made it ready, once
    k = next(k for k in ready._state if k[0] == "nadam" and k[2] == ("problem", "beale"))
    assert ready.status(k) == "ready"
    second = descend.minimize(p, X0, **kw)
    assert calls[-1] == (True, True)
    assert_same(first, second)
    assert_same(second, descend.minimize(p, X0, compiled=False, **kw))


def _user_banana():
    import numba

    @numba.njit
    def f(x):
        return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] * x[0]) ** 2

    @numba.njit
    def grad(x):
        return np.array([-2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]), 200.0 * (x[1] - x[0] * x[0])])
    return descend.compiled(f, grad)


class _Asked(Exception):
    pass


@pytest.mark.parametrize("user, now", [(True, True), (False, False)])
def test_the_users_own_functions_weigh_their_python_calls(monkeypatch, user, now):
    # the NumPy path calls the user's compiled f and grad from Python once per run and step: a
    # thousand runs of 2000 steps took 30 s there against 1.5 s to compile, so such a job waits;
    # a registered problem's rows are vectorised over the runs, so the same job answers on NumPy
    monkeypatch.delenv("DESCEND_JIT_WAIT", raising=False)
    asked = []

    def take(job, k, work):
        asked.append(work >= ready.INLINE_WORK)
        raise _Asked
    monkeypatch.setattr(ready, "take", take)
    f = _user_banana() if user else problems.get("rosenbrock")
    with pytest.raises(_Asked):
        descend.minimize(f, np.zeros((1000, 2)), optimizer="adam", lr=0.01, steps=2000, history="f")
    assert asked == [now]


def test_keys_tell_the_loops_apart():
    p = problems.get("rosenbrock")
    X = np.zeros((1, 2))
    adam = descend.optim.get("adam", lr=0.1)
    base = ready.key(p, p, p.grad, adam, X, True)
    assert ready.key(p, p, p.grad, adam, X, "f") != base
    assert ready.key(p, p, p.grad, adam, np.zeros((16, 2)), True) != base
    assert ready.key(p, p, p.grad, adam, np.zeros((4, 2)), True) == base[:3] + (False, 2, True)
    assert ready.key(problems.get("sphere"), p, p.grad, adam, X, True) != base


def test_long_jobs_and_foreground_go_on_now():
    queued = []
    k = ("test", "long")
    assert ready.take(lambda: queued.append(1), k, ready.INLINE_WORK)
    with ready.foreground():
        assert ready.take(lambda: queued.append(1), ("test", "fg"), 1)
    assert queued == [] and ready.status(k) == ""


def test_a_failed_preparation_keeps_the_numpy_path(monkeypatch):
    monkeypatch.delenv("DESCEND_JIT_WAIT", raising=False)
    k = ("test", "fails")

    def boom():
        raise ValueError("a cache file numba could not read")
    assert not ready.take(boom, k, 1)
    assert ready.wait_ready(60)
    assert ready.status(k).startswith("failed: ValueError")
    assert not ready.take(boom, k, 1)  # not queued again, not taken
    assert ready.wait_ready(60)


class _Planted:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        import os
        return (os.remove, (self.path,))


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    """A cache folder holding one real index of descend's loops and its machine code, copied."""
    import shutil

    from descend.jit import diskcache
    source = diskcache.folders()[0]
    good = next(n for n in sorted(os.listdir(source)) if n.endswith(".nbi")
                and diskcache.index_ok(os.path.join(source, n)))
    for n in os.listdir(source):
        if n == good or (n.startswith(good[:-4] + ".") and n.endswith(".nbc")):
            shutil.copy(os.path.join(source, n), tmp_path / n)
    monkeypatch.setattr(diskcache, "folders", lambda: [str(tmp_path)])
    return tmp_path, good


def test_a_corrupt_or_foreign_index_is_removed_never_loaded(cache_folder):
    from descend.jit import diskcache
    folder, good = cache_folder
    marker = folder / "still-here"
    marker.write_text("x")
    (folder / "foreign.f-1.py311.nbi").write_bytes(pickle.dumps("0.68.1") + pickle.dumps(_Planted(str(marker))))
    (folder / "foreign.f-1.py311.1.nbc").write_bytes(b"whatever")
    (folder / "corrupt.g-2.py311.nbi").write_bytes(b"garbage\n")
    truncated = folder / good
    assert diskcache.index_ok(truncated)
    removed = {os.path.basename(p) for p in diskcache.sweep()}
    assert marker.exists()  # the planted call was never made
    assert removed == {"foreign.f-1.py311.nbi", "foreign.f-1.py311.1.nbc", "corrupt.g-2.py311.nbi"}
    assert truncated.exists()
    data = next(p for p in folder.iterdir() if p.suffix == ".nbc")
    data.write_bytes(data.read_bytes()[:-10])  # machine code cut short: its index goes too
    assert not diskcache.index_ok(truncated)
    assert {os.path.basename(p) for p in diskcache.sweep()} == {good, data.name}


def test_a_forked_child_asks_again_for_what_was_pending(monkeypatch):
    import multiprocessing
    monkeypatch.delenv("DESCEND_JIT_WAIT", raising=False)
    gate = threading.Event()
    k = ("test", "pending at fork")
    assert not ready.take(gate.wait, k, 1)  # the thread holds this job until the gate opens
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(1) as pool:
            assert pool.apply(_child_view, (k,)) == ("", True)
    finally:
        gate.set()
    assert ready.wait_ready(60) and ready.status(k) == "ready"


def _child_view(k):
    return ready.status(k), ready.wait_ready(5)


def test_a_compiled_run_in_the_foreground_makes_its_configuration_ready(monkeypatch):
    monkeypatch.delenv("DESCEND_JIT_WAIT", raising=False)
    calls = _count_by_thread(monkeypatch)
    p = problems.get("booth")  # a configuration no other test of this file asks for
    kw = dict(optimizer="rmsprop", lr=0.01, steps=20, history=False)
    with ready.foreground():
        descend.minimize(p, **kw)
    assert calls == [(True, True)]
    descend.minimize(p, **kw)  # ready: compiled now, in the caller
    assert calls == [(True, True), (True, True)]
