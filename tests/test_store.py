"""The sweep store: SIGKILL and resume, one writer at a time, foreign sweeps refused, round trips."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import descend
from descend import DescendError, problems
from descend.sweeps import SweepStore, load, sweep

SRC = os.path.dirname(os.path.dirname(os.path.abspath(descend.__file__)))

GRID = {"optimizer": ["gd", "adam"], "lr": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], "start": 12}
N_RUNS = 2 * 5 * 12
STEPS = 1500

SCRIPT = textwrap.dedent(f"""
    import sys
    from descend import problems
    from descend.sweeps import sweep
    sweep(problems.get("rosenbrock"), {GRID!r}, steps={STEPS}, store=sys.argv[1], chunk_size=int(sys.argv[2]),
          lock_timeout=120, progress=False)
""")


def _spawn(store, chunk):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(store), str(chunk)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _count(store) -> int:
    if not os.path.exists(store):
        return 0
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:  # the schema is not there yet
        return 0


@pytest.fixture(scope="module")
def fresh():
    """The sweep without a store: what every stored run must equal."""
    rows = sweep(problems.get("rosenbrock"), GRID, steps=STEPS, as_records=True, progress=False)
    return {r["key"]: r for r in rows}


def test_sigkill_then_resume_loses_nothing_and_repeats_nothing(tmp_path, fresh):
    store = tmp_path / "sweep.db"
    proc = _spawn(store, 2)
    deadline = time.monotonic() + 60
    try:
        while _count(store) < 6:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep committed nothing in 60 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    with SweepStore(store) as st:
        assert st.integrity() == "ok"
        partial = st.records()
    assert 6 <= len(partial) < N_RUNS  # killed part-way
    for rec in partial:  # what was committed before the kill is whole and right
        ref = fresh[rec["key"]]
        assert np.array_equal(rec["curve"], ref["curve"]) and rec["result"]["x"] == ref["x"]

    rows = sweep(problems.get("rosenbrock"), GRID, steps=STEPS, store=store, as_records=True, progress=False)
    assert len(rows) == N_RUNS
    with SweepStore(store) as st:
        assert st.integrity() == "ok"
        stored = st.records()
    keys = [r["key"] for r in stored]
    assert len(keys) == len(set(keys)) == N_RUNS == len(fresh)
    assert set(keys) == set(fresh)
    for rec in stored:
        ref = fresh[rec["key"]]
        assert np.array_equal(rec["curve"], ref["curve"])
        assert rec["result"]["x"] == ref["x"] and rec["result"]["status"] == ref["status"]
    for r in rows:  # the table the resumed sweep returned: old and new runs alike
        assert np.array_equal(r["curve"], fresh[r["key"]]["curve"])
    # the runs committed before the kill were not run again (their commit time is older)
    kept = {r["key"]: r["finished"] for r in partial}
    assert all(rec["finished"] == kept[rec["key"]] for rec in stored if rec["key"] in kept)


def test_two_sweeps_on_one_store_at_once(tmp_path, fresh):
    store = tmp_path / "sweep.db"
    procs = [_spawn(store, 40), _spawn(store, 40)]
    for p in procs:
        p.wait(120)
        assert p.returncode == 0, p.stderr.read().decode()
    with SweepStore(store) as st:
        assert st.integrity() == "ok"
        keys = [r["key"] for r in st.records(curves=False)]
    assert len(keys) == len(set(keys)) == N_RUNS
    assert set(keys) == set(fresh)


def test_a_second_writer_is_refused_after_its_timeout(tmp_path):
    store = tmp_path / "sweep.db"
    p = problems.get("booth")
    with SweepStore(store, "w"):
        t0 = time.monotonic()
        with pytest.raises(DescendError, match=rf"store '.*sweep.db' is in use by another sweep \(process "
                                               rf"{os.getpid()}\); waited 0.3 s"):
            sweep(p, {"lr": [0.01]}, steps=3, store=store, lock_timeout=0.3)
        assert time.monotonic() - t0 >= 0.3
        assert len(load(store)) == 0  # readers need no lock


def test_a_second_writer_waits_for_the_first(tmp_path):
    store = tmp_path / "sweep.db"
    holder = textwrap.dedent("""
        import sys, time
        from descend.sweeps import SweepStore
        with SweepStore(sys.argv[1], "w"):
            print("holding", flush=True)
            time.sleep(0.5)
    """)
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", holder, str(store)], env=env, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"holding"
        t0 = time.monotonic()
        rows = sweep(problems.get("booth"), {"lr": [0.01, 0.02]}, steps=3, store=store, lock_timeout=30,
                     as_records=True, progress=False)
        waited = time.monotonic() - t0
    finally:
        proc.wait(30)
    assert proc.returncode == 0
    assert waited >= 0.2 and len(rows) == 2  # it waited (lock_timeout=30 bounds the wait)


def test_another_sweep_definition_is_refused_unless_extended(tmp_path):
    store = tmp_path / "sweep.db"
    p = problems.get("booth")
    sweep(p, {"lr": [0.01, 0.02]}, steps=10, store=store, progress=False)
    with pytest.raises(DescendError, match=r"the store '.*' holds another sweep \(problem 'booth', .*steps=10.*; "
                                           r"2 runs\), not this one \(.*steps=20.*\). Pass extend=True"):
        sweep(p, {"lr": [0.01, 0.02]}, steps=20, store=store)
    with pytest.raises(DescendError, match="holds another sweep"):
        sweep(p, {"lr": [0.01, 0.05]}, steps=10, store=store)  # another grid
    with pytest.raises(DescendError, match="holds another sweep"):
        sweep(problems.get("himmelblau"), {"lr": [0.01, 0.02]}, steps=10, store=store)
    rows = sweep(p, {"lr": [0.01, 0.05]}, steps=10, store=store, extend=True, as_records=True, progress=False)
    assert len(rows) == 2
    with SweepStore(store) as st:
        assert st.count() == 3  # lr=0.01 with steps=10 was there already: the same run, stored once
        assert len(st.definitions) == 2
    table = load(store, as_records=True)
    assert sorted(r["lr"] for r in table) == [0.01, 0.02, 0.05]
    # the same sweep again is not "another" sweep
    sweep(p, {"lr": [0.01, 0.02]}, steps=10, store=store, progress=False)


def test_training_sweep_into_a_store_resumes(tmp_path):
    from descend import nn

    d = descend.datasets.linear(60, seed=0)
    setup = descend.sweeps.TrainingSetup(lambda seed: nn.Sequential(nn.Linear(2, 1, rng=seed)), d.X,
                                         d.y.reshape(-1, 1), "mse", name="linreg")
    store = tmp_path / "train.db"
    a = sweep(setup, {"lr": [0.01, 0.1], "seed": [0, 1]}, epochs=2, store=store, backend="local",
              as_records=True, progress=False)
    with SweepStore(store) as st:
        finished = {r["key"]: r["finished"] for r in st.records()}
    b = sweep(setup, {"lr": [0.01, 0.1], "seed": [0, 1]}, epochs=2, store=store, backend="local",
              as_records=True, progress=False)
    with SweepStore(store) as st:
        assert {r["key"]: r["finished"] for r in st.records()} == finished  # nothing ran twice
    for ra, rb in zip(a, b):
        assert np.array_equal(ra["curve"], rb["curve"]) and ra["final_loss"] == rb["final_loss"]


def test_round_trip_of_results_and_curves(tmp_path):
    store = tmp_path / "s.db"
    curve = np.array([1.0, np.nan, np.inf, -np.inf, 1e-300, 0.1 + 0.2])
    rec = {"key": "k1", "settings": {"optimizer": "sgd", "lr": 0.1, "betas": (0.9, 0.99)},
           "result": {"final_loss": float("nan"), "best_loss": float("inf"), "status": "diverged",
                      "steps_to_tol": None, "x": np.array([1.5, -2.0])},
           "curve": curve, "val_curve": None}
    with SweepStore(store, "w") as st:
        assert st.add([rec], "h") == 1
        assert st.add([rec], "h") == 0  # a key is stored once
        assert "1 runs" in repr(st)
    with SweepStore(store) as st:
        [back] = st.records()
    np.testing.assert_array_equal(back["curve"], curve)
    assert back["val_curve"] is None
    assert np.isnan(back["result"]["final_loss"]) and back["result"]["best_loss"] == np.inf
    assert back["result"]["x"] == [1.5, -2.0] and back["settings"]["betas"] == [0.9, 0.99]
    assert back["result"]["steps_to_tol"] is None


def test_read_only_store_cannot_write(tmp_path):
    store = tmp_path / "s.db"
    SweepStore(store, "w").close()
    with SweepStore(store) as st:
        with pytest.raises(DescendError, match="open read-only; cannot store runs"):
            st.add([], "h")
        with pytest.raises(DescendError, match="open read-only; cannot attach a sweep"):
            st.attach("h", {})
    assert repr(st).endswith("closed)")


def test_not_a_store(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(DescendError, match="is not a sweep store \\(not an SQLite database"):
        SweepStore(junk)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE people (name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(DescendError, match="is an SQLite file but not a descend sweep store \\(tables: people\\)"):
        SweepStore(other, "w")
    with pytest.raises(DescendError, match="no sweep store at"):
        SweepStore(tmp_path / "missing.db")
    with pytest.raises(DescendError, match="directory .* does not exist"):
        SweepStore(tmp_path / "no" / "such" / "dir.db", "w")


def test_newer_store_version_is_refused(tmp_path):
    store = tmp_path / "s.db"
    SweepStore(store, "w").close()
    con = sqlite3.connect(store)
    con.execute("UPDATE meta SET value='99' WHERE name='version'")
    con.commit()
    con.close()
    with pytest.raises(DescendError, match="version 99; this descend reads version 1 and older"):
        SweepStore(store)


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "a"}, "mode must be 'r' or 'w', got 'a'"),
    ({"mode": "w", "lock_timeout": -1}, "lock_timeout must be a number of seconds >= 0, got -1"),
    ({"mode": "w", "lock_timeout": "soon"}, "lock_timeout must be a number of seconds >= 0, got 'soon'"),
])
def test_store_argument_errors(tmp_path, kwargs, message):
    with pytest.raises(DescendError, match=message):
        SweepStore(tmp_path / "s.db", **kwargs)


def test_wal_journal(tmp_path):
    store = tmp_path / "s.db"
    with SweepStore(store, "w") as st:
        assert st._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_not_made_by_descend(tmp_path):
    path = tmp_path / "fake.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    con.execute("CREATE TABLE runs (key TEXT)")
    con.execute("INSERT INTO meta VALUES ('format', 'someone.else')")
    con.commit()
    con.close()
    with pytest.raises(DescendError, match="is not a descend sweep store \\(format 'someone.else'\\)"):
        SweepStore(path)
