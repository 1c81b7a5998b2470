"""Issue 22.5: every field of every stored run is checked on read, and a store on a read-only
file system is read (and a write to it refused in one line): never a traceback."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from descend import DescendError, problems
from descend.sweeps import SweepStore, load, sweep

#: (column, value written into run 1, words the one-line refusal holds)
BAD_ROWS = {
    "curve_7_bytes": ("curve", b"1234567", "curve must be NULL or float64 values .*got 7 bytes"),
    "curve_text": ("curve", "abc", "curve must be NULL or float64 values .*got str"),
    "curve_integer": ("curve", 5, "curve must be NULL or float64 values .*got int"),
    "val_curve_7_bytes": ("val_curve", b"1234567", "val_curve must be NULL"),
    "settings_list": ("settings", "[1, 2]", "settings must be a JSON object, got list"),
    "settings_null": ("settings", "null", "settings must be a JSON object, got null"),
    "settings_integer": ("settings", 7, "settings must be a JSON object, got int"),
    "result_list": ("result", "[]", "result must be a JSON object, got list"),
    "result_null": ("result", "null", "result must be a JSON object, got null"),
    "final_loss_text": ("result", json.dumps({"final_loss": "abc"}), "'final_loss' must be a number or null"),
    "status_integer": ("result", json.dumps({"status": 5}), "'status' must be a string or null"),
    "nit_text": ("result", json.dumps({"nit": "x"}), "'nit' must be an integer >= 0 or null"),
    "x_text": ("result", json.dumps({"x": "abc"}), "'x' must be a list of numbers or null"),
    "best_loss_list": ("result", json.dumps({"best_loss": [1, 2]}), "'best_loss' must be a number or null"),
    "unknown_result": ("result", json.dumps({"surprise": 1}), "unknown result field 'surprise'"),
    "lr_text": ("settings", json.dumps({"lr": "abc", "optimizer": "gd"}), "setting 'lr' must be a number > 0"),
    "optimizer_integer": ("settings", json.dumps({"lr": 0.1, "optimizer": 5}), "'optimizer' must be a string"),
    "no_optimizer": ("settings", json.dumps({}), "'optimizer' must be a string, got null"),
    "setting_dict": ("settings", json.dumps({"lr": 0.1, "optimizer": "gd", "momentum": {"a": 1}}),
                     "setting 'momentum' must be a number, string"),
    "finished_text": ("finished", "abc", "finished must be a time in seconds"),
}


@pytest.fixture(scope="module")
def good_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "good.db"
    sweep(problems.get("rosenbrock"), {"optimizer": ["gd"], "lr": [1e-3, 1e-2]}, store=path,
          progress=False)
    return path


def _spoil(good_store, tmp_path, column, value):
    path = tmp_path / "bad.db"
    shutil.copy(good_store, path)
    con = sqlite3.connect(path)
    con.execute(f"UPDATE runs SET {column}=? WHERE id=1", (value,))
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_field_is_refused_naming_the_run_and_field(good_store, tmp_path, case):
    column, value, words = BAD_ROWS[case]
    path = _spoil(good_store, tmp_path, column, value)
    with pytest.raises(DescendError, match=f"run 1: .*{words}"):
        load(path, as_records=True)


_CLI = [["report", "S"], ["report", "S", "--json"], ["report", "S", "--out", "OUT"],
        ["sweep", "rosenbrock", "--optimizer", "gd", "--lr", "1e-3,1e-2", "--store", "S"]]


@pytest.mark.parametrize("case", ["curve_7_bytes", "result_null", "final_loss_text", "setting_dict"])
def test_the_cli_prints_one_line_for_a_bad_row(good_store, tmp_path, case):
    """`report`, `report --json`, `report --out` and `sweep --store`: exit 2, one line, no traceback."""
    column, value, words = BAD_ROWS[case]
    path = _spoil(good_store, tmp_path, column, value)
    code = ("import sys; from descend.cli import main; sys.exit(main(sys.argv[1:]))")
    for args in _CLI:
        args = [str(path) if a == "S" else str(tmp_path / "out") if a == "OUT" else a for a in args]
        p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, (args, p.stderr[-2000:])
        assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, (args, p.stderr)
        assert "run 1:" in p.stderr


def _read_only_mount(tmp_path):
    """A read-only tmpfs at tmp_path/ro holding nothing yet writable; None where mounting is not allowed."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "none", str(mnt)], capture_output=True).returncode:
        return None
    return mnt


def test_a_store_on_a_read_only_file_system_is_read_and_not_written(good_store, tmp_path):
    mnt = _read_only_mount(tmp_path)
    if mnt is None:
        if os.geteuid() == 0:
            pytest.skip("needs mount (a read-only tmpfs) or a non-root user (a read-only directory)")
        mnt = tmp_path / "ro"
    try:
        shutil.copy(good_store, mnt / "s.db")
        if os.geteuid() == 0:
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        else:
            os.chmod(mnt / "s.db", 0o444)
            os.chmod(mnt, 0o555)
        # what failed before: SQLite's read-only open of a WAL store needs to create its -shm file
        con = sqlite3.connect(f"file:{mnt / 's.db'}?mode=ro", uri=True)
        with pytest.raises(sqlite3.OperationalError, match="unable to open database file"):
            con.execute("SELECT COUNT(*) FROM runs").fetchall()
        con.close()
        assert len(load(mnt / "s.db", as_records=True)) == 2
        with pytest.raises(DescendError, match="cannot write the lock file .*s.db.lock"):
            SweepStore(mnt / "s.db", "w")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)  # lazy: an open file keeps it busy
        else:
            os.chmod(mnt, 0o755)


def test_a_read_only_store_with_unmerged_wal_is_refused_in_one_line(good_store, tmp_path, monkeypatch):
    """Where the -wal file holds runs and -shm cannot be made, immutable=1 would hide them: refused."""
    path = tmp_path / "s.db"
    shutil.copy(good_store, path)
    (tmp_path / "s.db-wal").write_bytes(b"\0" * 32)
    real = sqlite3.connect

    def failing(target, *args, **kwargs):  # the read-only file system's failure, without one
        if "mode=ro" in str(target) and "immutable" not in str(target):
            return real("file:/nonexistent-dir-descend/x.db?mode=ro", uri=True)
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", failing)
    with pytest.raises(DescendError, match="holds runs not yet in the store"):
        SweepStore(path)
