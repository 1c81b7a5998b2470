"""Hostile paths and files for every writer of descend: refused, one line, nothing outside touched.

Each test builds the hostile thing in a temporary folder (a symbolic link named like
an output, a user's own file with an output's name, a dangling link, a folder that
cannot be written, a full disk, a store that is not one) and checks the refusal AND
that the target outside, or the user's file, kept its bytes and its mtime.  The tests
run as root, so a read-only folder is simulated: a path under a regular file, or an
``os`` call patched to fail with EACCES / ENOSPC.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from descend import DescendError, nn, report
from descend.cli import main
from descend.training import load_checkpoint, train
from helpers import run_cli as run

MANIFEST = ".descend-manifest.json"


# ---------------------------------------------------------------------------------------------- helpers

def one_line(code, err, *fragments):
    """The CLI's rule for a refusal: exit 2, one line on stderr, no traceback."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("descend: error:"), err
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


class Untouched:
    """Remembers a file's bytes and mtime (or that it does not exist) and checks them again."""

    def __init__(self, path):
        self.path = path
        self.exists = os.path.lexists(path)
        if self.exists:
            self.data = open(path, "rb").read()
            self.mtime = os.stat(path).st_mtime_ns

    def check(self):
        assert os.path.lexists(self.path) == self.exists, self.path
        if self.exists:
            assert open(self.path, "rb").read() == self.data
            assert os.stat(self.path).st_mtime_ns == self.mtime


def outside(tmp_path, name="target.txt", data=b"the user's own data\n"):
    """A precious file outside the folder descend writes into, its mtime set in the past."""
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    target = folder / name
    target.write_bytes(data)
    os.utime(target, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    return target


def temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def small_page(out):
    """The smallest page the report tests build: one section, no GIF."""
    return report.build(out, sections=["softmax"], gif=False)


def small_fit(path, *, epochs=1, callbacks=(), **kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    model = nn.mlp((2, 4, 2), rng=0)
    return train(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, batch_size=8, epochs=epochs,
                 seed=0, checkpoint=path, progress=False, callbacks=callbacks, **kw)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A small sweep store (two training runs of one epoch on xor)."""
    db = tmp_path_factory.mktemp("store") / "sweep.db"
    code = main(["sweep", "xor", "--optimizer", "sgd", "--lr", "0.1,0.2", "--epochs", "1", "--backend", "local",
                 "--store", str(db), "--json"])
    assert code == 0
    return db


# ---------------------------------------------------------------------------------------------- demo page

def test_demo_refuses_a_symlink_named_like_a_picture(tmp_path):
    target = outside(tmp_path)
    out = tmp_path / "page"
    out.mkdir()
    (out / "01-softmax-1.png").symlink_to(target)
    before = Untouched(target)
    with pytest.raises(DescendError, match=r"01-softmax-1.png: it is a symbolic link"):
        small_page(out)
    before.check()
    assert not (out / "index.html").exists()  # refused before anything was drawn


def test_demo_refuses_a_symlinked_index_html(tmp_path):
    target = outside(tmp_path, "notes.html", b"<html>my notes</html>")
    out = tmp_path / "page"
    out.mkdir()
    (out / "index.html").symlink_to(target)
    before = Untouched(target)
    with pytest.raises(DescendError, match=r"index.html: it is a symbolic link"):
        small_page(out)
    before.check()


def test_demo_refuses_a_users_own_file_with_a_pictures_name(tmp_path):
    out = tmp_path / "page"
    out.mkdir()
    mine = out / "01-softmax-1.png"
    mine.write_bytes(b"my holiday picture")
    before = Untouched(mine)
    with pytest.raises(DescendError, match=r"01-softmax-1.png already exists and was not written by descend"):
        small_page(out)
    before.check()


def test_demo_cli_refuses_in_one_line(capsys, tmp_path, monkeypatch):
    from descend import tour

    monkeypatch.setattr(tour, "sections", lambda *args, **kwargs: [tour.softmax_section()])
    target = outside(tmp_path)
    out = tmp_path / "page"
    out.mkdir()
    (out / "01-softmax-1.png").symlink_to(target)
    before = Untouched(target)
    code, _, err = run(capsys, "demo", "--out", out)
    one_line(code, err, "01-softmax-1.png", "symbolic link")
    before.check()


def test_demo_second_run_replaces_its_own_files_and_leaves_the_users(tmp_path):
    """A regression guard: a rebuild into descend's own page works (the manifest says whose files are whose)."""
    out = tmp_path / "page"
    small_page(out)
    mine = out / "my-notes.txt"
    mine.write_text("kept")
    keep = Untouched(mine)
    old_png = (out / "01-softmax-1.png").stat().st_ino
    small_page(out)
    keep.check()
    assert (out / "01-softmax-1.png").stat().st_ino != old_png  # replaced, by a rename
    assert temporaries(out) == []


def test_demo_page_edited_by_the_user_is_then_theirs(tmp_path):
    out = tmp_path / "page"
    small_page(out)
    index = out / "index.html"
    index.write_text(index.read_text(encoding="utf-8") + "<!-- my edit -->", encoding="utf-8")
    before = Untouched(index)
    with pytest.raises(DescendError, match="index.html already exists and was not written by descend"):
        small_page(out)
    before.check()


def test_demo_rebuild_on_a_full_disk_keeps_the_previous_page(tmp_path, monkeypatch):
    out = tmp_path / "page"
    small_page(out)
    kept = [Untouched(out / "index.html"), Untouched(out / "01-softmax-1.png")]
    real_fsync = os.fsync

    def full(fd):
        if os.fstat(fd).st_size > 0:  # a file being written; folders fsync fine
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(DescendError, match=r"cannot write .*01-softmax-1(-narrow)?\.png: No space left on device"):
        small_page(out)
    monkeypatch.undo()
    for k in kept:
        k.check()
    assert temporaries(out) == []


def test_demo_out_under_a_regular_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(DescendError, match=r"cannot create the folder .*afile/page"):
        small_page(f / "page")
    assert f.read_text() == "x"


# ---------------------------------------------------------------------------------------------- sweep report

@pytest.mark.parametrize("name", ["runs.csv", "summary.csv", "final_loss.png", "curves.png"])
def test_report_refuses_a_users_own_file(capsys, tmp_path, store, name):
    out = tmp_path / "rep"
    out.mkdir()
    mine = out / name
    mine.write_bytes(b"a,b\n1,2\n")
    before = Untouched(mine)
    code, _, err = run(capsys, "report", store, "--out", out)
    one_line(code, err, f"{name} already exists and was not written by descend")
    before.check()
    assert sorted(p.name for p in out.iterdir()) == [name]  # refused before anything was written


@pytest.mark.parametrize("name", ["runs.csv", "summary.csv"])
def test_report_refuses_a_symlink(capsys, tmp_path, store, name):
    target = outside(tmp_path)
    out = tmp_path / "rep"
    out.mkdir()
    (out / name).symlink_to(target)
    before = Untouched(target)
    code, _, err = run(capsys, "report", store, "--out", out)
    one_line(code, err, name, "symbolic link")
    before.check()


def test_report_twice_replaces_its_own_files_by_renaming(capsys, tmp_path, store):
    out = tmp_path / "rep"
    assert run(capsys, "report", store, "--out", out)[0] == 0
    names = ["curves.png", "final_loss.png", "runs.csv", "summary.csv"]
    inodes = {n: (out / n).stat().st_ino for n in names}
    assert run(capsys, "report", store, "--out", out)[0] == 0
    assert all((out / n).stat().st_ino != inodes[n] for n in names)  # new files renamed in, not rewritten in place
    assert temporaries(out) == []


def test_report_into_a_folder_it_cannot_write(capsys, tmp_path, store, monkeypatch):
    out = tmp_path / "rep"
    out.mkdir()
    real_open = os.open

    def denied(path, flags, *args, **kwargs):
        if os.path.dirname(os.path.abspath(path)) == str(out) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    code, _, err = run(capsys, "report", store, "--out", out)
    line = one_line(code, err, "Permission denied")
    assert re.search(r"cannot write \S*rep/runs.csv: Permission denied", line), line
    monkeypatch.undo()
    assert list(out.iterdir()) == []


def test_report_out_under_a_regular_file(capsys, tmp_path, store):
    f = tmp_path / "afile"
    f.write_text("x")
    code, _, err = run(capsys, "report", store, "--out", f / "rep")
    one_line(code, err, "afile")
    assert f.read_text() == "x"


# ---------------------------------------------------------------------------------------------- --plot

PLOT_COMMANDS = {
    "compare": ["compare", "elongated_bowl", "--optimizers", "sgd", "--steps", "5"],
    "lr-find": ["lr-find", "xor", "--steps", "20"],
    "benchmark": ["benchmark", "sphere", "--optimizers", "gd", "--budget", "20", "--starts", "2", "--seeds", "1"],
}


@pytest.mark.parametrize("command", sorted(PLOT_COMMANDS))
def test_plot_into_a_missing_folder_is_one_line(capsys, command):
    code, _, err = run(capsys, *PLOT_COMMANDS[command], "--plot", "/no/such/dir/x.png")
    one_line(code, err, "/no/such/dir/x.png", "does not exist")


@pytest.mark.parametrize("command", sorted(PLOT_COMMANDS))
def test_plot_at_a_dangling_symlink_creates_nothing_outside(capsys, tmp_path, command):
    target = tmp_path / "outside" / "created.png"
    target.parent.mkdir()
    link = tmp_path / "plot.png"
    link.symlink_to(target)
    code, _, err = run(capsys, *PLOT_COMMANDS[command], "--plot", link)
    one_line(code, err, "plot.png", "symbolic link")
    assert not target.exists() and link.is_symlink()


@pytest.mark.parametrize("command", sorted(PLOT_COMMANDS))
def test_plot_refuses_a_users_own_file(capsys, tmp_path, command):
    mine = tmp_path / "plot.png"
    mine.write_bytes(b"mine")
    before = Untouched(mine)
    code, _, err = run(capsys, *PLOT_COMMANDS[command], "--plot", mine)
    one_line(code, err, "already exists and was not written by descend")
    before.check()


def test_plot_under_a_regular_file(capsys, tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    code, _, err = run(capsys, *PLOT_COMMANDS["lr-find"], "--plot", f / "x.png")
    one_line(code, err, "afile is not a folder")
    assert f.read_text() == "x"


def test_gif_at_a_symlink(capsys, tmp_path):
    target = outside(tmp_path, "race.gif")
    link = tmp_path / "race.gif"
    link.symlink_to(target)
    before = Untouched(target)
    code, _, err = run(capsys, *PLOT_COMMANDS["compare"], "--gif", link)
    one_line(code, err, "race.gif", "symbolic link")
    before.check()


def test_plot_api_refuses_a_symlink(tmp_path):
    from descend import plot

    target = outside(tmp_path, "fig.png")
    before = Untouched(target)
    (tmp_path / "fig.png").symlink_to(target)
    ax = plot.function(lambda x: x * x, (-1, 1))
    with pytest.raises(DescendError, match="symbolic link"):
        plot.save(ax.figure, tmp_path / "fig.png")
    before.check()


# ---------------------------------------------------------------------------------------------- models and checkpoints

def test_model_save_refuses_a_symlink_even_with_overwrite(tmp_path):
    target = outside(tmp_path, "weights.npz")
    before = Untouched(target)
    link = tmp_path / "model.npz"
    link.symlink_to(target)
    with pytest.raises(DescendError, match="model.npz: it is a symbolic link"):
        nn.mlp((2, 2), rng=0).save(link, overwrite=True)
    before.check()


def test_files_keep_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        nn.mlp((2, 2), rng=0).save(tmp_path / "m644.npz")
        small_fit(tmp_path / "ck644.npz")
        os.umask(0o027)
        nn.mlp((2, 2), rng=0).save(tmp_path / "m640.npz")
        os.umask(0o002)
        small_page(tmp_path / "page")
    finally:
        os.umask(old)
    assert (tmp_path / "m644.npz").stat().st_mode & 0o777 == 0o644  # mkstemp's would be 0o600
    assert (tmp_path / "ck644.npz").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "m640.npz").stat().st_mode & 0o777 == 0o640
    for name in ("index.html", "01-softmax-1.png", MANIFEST):
        assert (tmp_path / "page" / name).stat().st_mode & 0o777 == 0o664


def test_checkpoint_refuses_a_symlink_before_the_first_epoch(tmp_path):
    target = outside(tmp_path, "ck.npz")
    before = Untouched(target)
    link = tmp_path / "run.npz"
    link.symlink_to(target)
    epochs = []
    with pytest.raises(DescendError, match="run.npz: it is a symbolic link"):
        small_fit(link, overwrite=True, callbacks=[lambda e, logs: epochs.append(e)])
    assert epochs == []
    before.check()


def test_checkpoint_folder_not_writable_is_refused_before_the_first_epoch(tmp_path, monkeypatch):
    real_open = os.open
    denied_dir = str(tmp_path / "ro")
    os.mkdir(denied_dir)

    def denied(path, flags, *args, **kwargs):
        if os.path.dirname(os.path.abspath(path)) == denied_dir and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    epochs = []
    with pytest.raises(DescendError, match=r"cannot write .*ro/run.npz: Permission denied"):
        small_fit(os.path.join(denied_dir, "run.npz"), epochs=3,
                  callbacks=[lambda e, logs: epochs.append(e)])
    assert epochs == []  # the time it takes: bench/limits.py (checkpoint)


def test_train_cli_checkpoint_not_writable_is_one_line(capsys, tmp_path, monkeypatch):
    real_open = os.open

    def denied(path, flags, *args, **kwargs):
        if os.path.dirname(os.path.abspath(path)) == str(tmp_path) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    code, out, err = run(capsys, "train", "xor", "--epochs", "2", "--checkpoint", tmp_path / "run.npz", "--json")
    one_line(code, err, "run.npz", "Permission denied")
    assert out == ""


def test_checkpoint_on_a_full_disk_keeps_the_previous_good_one(tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    small_fit(path, epochs=1)
    good = Untouched(path)
    real_fsync = os.fsync

    def full(fd):
        if os.fstat(fd).st_size > 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(DescendError, match=r"cannot write .*run.npz: No space left on device"):
        small_fit(path, epochs=2, resume=True)
    monkeypatch.undo()
    good.check()
    assert load_checkpoint(path)["progress"]["epoch"] == 1
    assert temporaries(tmp_path) == []


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporaries_of_a_killed_train_are_cleaned(tmp_path):
    path = tmp_path / "run.npz"
    small_fit(path, epochs=1)
    host = re.sub(r"[^A-Za-z0-9_]", "_", platform.node())[:32]
    dead = tmp_path / f".descend-tmp-{host}-{_dead_pid()}-0123abcd-run.npz.tmp"
    alive = tmp_path / f".descend-tmp-{host}-{os.getpid()}-4567cdef-run.npz.tmp"
    elsewhere = tmp_path / ".descend-tmp-otherhost-12345-89abcdef-run.npz.tmp"
    legacy = tmp_path / ".run.npz.k2j4_x9q.tmp"  # tempfile.mkstemp's name in descend before descend.files
    users = tmp_path / ".my.notes.abcdefgh.tmp"   # looks like one, but no file of descend's is named my.notes
    for p in (dead, alive, elsewhere, legacy, users):
        p.write_bytes(b"half a checkpoint")
    hours_ago = time.time() - 2 * 3600
    for p in (legacy, users, elsewhere):
        os.utime(p, (hours_ago, hours_ago))
    small_fit(path, epochs=2, resume=True)
    left = temporaries(tmp_path)
    assert dead.name not in left and legacy.name not in left
    assert alive.name in left and elsewhere.name in left and users.name in left  # not provably stale
    alive.unlink()


def test_a_killed_train_leaves_nothing_the_next_run_keeps(tmp_path):
    """SIGKILL while checkpointing; the next run (resume) removes the dead process's temporary files."""
    path = tmp_path / "run.npz"
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        import descend.files as files
        real = files._commit
        def killed(p, tmp, replace):  # the data are written and fsync'ed; die before the rename
            os.kill(os.getpid(), signal.SIGKILL)
        files._commit = killed
        from descend import nn
        from descend.training import train
        rng = np.random.default_rng(0)
        X = rng.normal(size=(24, 2)); y = (X[:, 0] > 0).astype(np.int64)
        train(nn.mlp((2, 4, 2), rng=0), X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, batch_size=8,
              epochs=1, seed=0, checkpoint={str(path)!r}, progress=False)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert len(temporaries(tmp_path)) == 1 and not path.exists()
    small_fit(path, epochs=1)
    assert temporaries(tmp_path) == [] and load_checkpoint(path)["progress"]["epoch"] == 1


# ---------------------------------------------------------------------------------------------- the manifest

def test_a_foreign_manifest_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "page"
    out.mkdir()
    m = out / MANIFEST
    m.write_text(json.dumps({"files": {"index.html": "trust me"}}))
    before = Untouched(m)
    with pytest.raises(DescendError, match="is not descend's manifest"):
        small_page(out)
    before.check()


def test_a_symlinked_manifest_is_refused(tmp_path):
    target = outside(tmp_path, "elsewhere.json", b"{}")
    before = Untouched(target)
    out = tmp_path / "page"
    out.mkdir()
    (out / MANIFEST).symlink_to(target)
    with pytest.raises(DescendError, match="is not descend's manifest"):
        small_page(out)
    before.check()


# ---------------------------------------------------------------------------------------------- the store

def test_store_on_a_file_that_is_not_sqlite(capsys, tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("my notes, not a database\n")
    before = Untouched(notes)
    code, _, err = run(capsys, "sweep", "xor", "--lr", "0.1", "--epochs", "1", "--store", notes)
    one_line(code, err, "notes.db", "not a sweep store")
    before.check()
    assert not os.path.exists(str(notes) + "-wal")


def test_store_on_someone_elses_sqlite_is_not_changed(capsys, tmp_path):
    db = tmp_path / "theirs.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = Untouched(db)
    code, _, err = run(capsys, "sweep", "xor", "--lr", "0.1", "--epochs", "1", "--store", db)
    one_line(code, err, "not a descend sweep store")
    before.check()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    con.close()


def test_store_that_is_a_symlink(capsys, tmp_path):
    target = tmp_path / "outside" / "created.db"
    target.parent.mkdir()
    link = tmp_path / "sweep.db"
    link.symlink_to(target)
    code, _, err = run(capsys, "sweep", "xor", "--lr", "0.1", "--epochs", "1", "--store", link)
    one_line(code, err, "sweep.db", "symbolic link")
    assert not target.exists()


def test_a_store_read_through_a_link_is_fine(capsys, tmp_path, store):
    link = tmp_path / "linked.db"
    link.symlink_to(store)
    before = Untouched(store)
    code, out, _ = run(capsys, "report", link, "--json")
    assert code == 0 and json.loads(out)["runs"] == 2
    before.check()


def test_store_on_a_full_disk_reports_the_real_error(tmp_path):
    from descend.sweeps.store import SweepStore

    with SweepStore(tmp_path / "s.db", "w") as st:
        st._con.execute("PRAGMA max_page_count=8")  # SQLite's own SQLITE_FULL, as on a full disk
        with pytest.raises(DescendError) as exc:
            st.add([dict(key="k", settings={}, result={}, curve=np.zeros(100_000))], "h")
        assert "database or disk is full" in str(exc.value) and "rollback" not in str(exc.value)
        assert "s.db" in str(exc.value)
        assert st.count() == 0


# ---------------------------------------------------------------------------------------------- the one wrapper

@pytest.mark.parametrize("exc", [
    OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/big.npz"),
    PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/data/x"),
    sqlite3.OperationalError("database or disk is full"),
])
def test_os_and_sqlite_errors_from_any_command_are_one_line(capsys, monkeypatch, exc):
    from descend import problems

    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(problems, "get", boom)
    code, _, err = run(capsys, "minimize", "sphere")
    one_line(code, err, str(exc.args[-1]) if isinstance(exc, OSError) else "database or disk is full")


# ---------------------------------------------------------------------------------------------- loky workers

def _running(pid) -> bool:
    """The process exists and is no zombie (an orphan's zombie waits for a reaper that may not come)."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def test_loky_workers_are_asked_to_exit_after_a_short_idle_time(monkeypatch):
    """The fast check of the slow test below: the sweep's Parallel gets run.WORKER_IDLE_S (joblib's default: 300 s)."""
    joblib = pytest.importorskip("joblib")
    import descend.sweeps.run as run
    from descend.sweeps import sweep
    from descend.cli.sweeps import dataset_setup

    seen = {}

    class InProcess:
        def __init__(self, **kwargs):
            seen.update(kwargs)

        def __call__(self, calls):
            return [fn(*args, **kwargs) for fn, args, kwargs in calls]

    monkeypatch.setattr(joblib, "Parallel", InProcess)
    rows = sweep(dataset_setup("xor"), {"optimizer": ["sgd"], "lr": [0.1, 0.2]}, epochs=1, backend="loky", n_jobs=2)
    assert len(rows) == 2 and seen["backend"] == "loky"
    assert seen["idle_worker_timeout"] == run.WORKER_IDLE_S <= 60


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_loky_workers_of_a_killed_sweep_exit_soon(tmp_path):
    """A SIGKILLed sweep's workers exit after run.WORKER_IDLE_S (+ loky's 30 s), not joblib's 300 s."""
    pytest.importorskip("joblib")
    script = textwrap.dedent("""
        import glob, os, sys, time
        import descend.sweeps.run as run
        run.WORKER_IDLE_S = 2.0
        from descend.sweeps import sweep
        from descend.cli.sweeps import dataset_setup
        sweep(dataset_setup("xor"), {"optimizer": ["sgd"], "lr": [0.1, 0.2]}, epochs=1, backend="loky", n_jobs=2)
        kids = set()
        for f in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
            kids |= set(open(f).read().split())
        workers = [k for k in kids if b"popen_loky" in open(f"/proc/{k}/cmdline", "rb").read()]
        print(" ".join(workers), flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        workers = proc.stdout.readline().split()
        assert workers, "no loky worker seen"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # idle 2 s, then loky's own 30 s wait for the parent; joblib's default would be 300 s + 30 s
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.5)
    alive = [w for w in workers if _running(w)]
    assert alive == [], "loky workers outlived their killed sweep by a minute"
