"""The command line: tables, JSON, and one-line errors with exit code 2."""

import json
import shutil
import subprocess
import sys

import pytest

from helpers import run_cli as run


def test_problems_table(capsys):
    code, out, err = run(capsys, "problems")
    assert code == 0 and "rosenbrock" in out and "himmelblau" in out and err == ""


def test_problems_json(capsys):
    code, out, _ = run(capsys, "problems", "--json")
    names = {p["name"] for p in json.loads(out)}
    assert {"sphere", "rosenbrock", "least_squares"} <= names


def test_minimize_json(capsys):
    code, out, _ = run(capsys, "minimize", "least_squares", "--lr", "0.01", "--steps", "10000", "--gtol", "0.01",
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["nit"] == 493 and data["status"] == "converged"


def test_minimize_table_with_x0_and_line_search(capsys):
    code, out, _ = run(capsys, "minimize", "sphere", "--x0", "-3,4", "--line-search", "exact", "--steps", "5")
    assert code == 0
    assert "status" in out and "converged" not in out  # 5 exact steps cannot reach a gtol it was not given


def test_minimize_problem_parameter(capsys):
    code, out, _ = run(capsys, "minimize", "rosenbrock", "--param", "n=5", "--steps", "3", "--lr", "1e-4", "--json")
    assert code == 0 and len(json.loads(out)["x"]) == 5


@pytest.mark.parametrize("argv, fragment", [
    (["minimize", "rosenbrok"], "unknown problem 'rosenbrok'"),
    (["minimize", "sphere", "--lr", "-1"], "lr must be a finite number > 0, got -1.0"),
    (["minimize", "sphere", "--lr", "abc"], "'abc' is not a valid float"),
    (["minimize", "sphere", "--x0", "1,x"], "--x0 must be numbers separated by commas"),
    (["minimize", "sphere", "--x0", "1,2,3"], "--x0 must have 2 numbers for sphere, got 3"),
    (["minimize", "sphere", "--steps", "-2"], "steps must be an integer >= 0, got -2"),
    (["minimize", "sphere", "--line-search", "armijo"], "unknown line search 'armijo'"),
    (["minimize", "sphere", "--hp", "oops"], "--hp must look like key=value"),
    (["nonsense"], "No such command 'nonsense'"),
    (["minimize"], "Missing argument 'PROBLEM'"),
    (["minimize", "sphere", "--bogus"], "No such option '--bogus'"),
    (["train", "nope"], "unknown data set 'nope'; valid: linear"),
    (["train", "linear", "--batch-size", "0"], "--batch-size must be >= 1 (or 'full'), got 0"),
    (["train", "linear", "--batch-size", "ten"], "--batch-size must be positive integers or 'full'"),
    (["train", "linear", "--hidden", "a,b"], "--hidden must be layer widths separated by commas"),
    (["train", "linear", "--resume"], "--resume needs --checkpoint PATH"),
    (["train", "linear", "--batch-size", "1,2", "--checkpoint", "x.npz"], "--checkpoint works with one --batch-size"),
    (["train", "linear", "--optimizer", "adamm"], "unknown optimizer 'adamm'"),
    (["report", "missing.db"], "no sweep store at missing.db"),
    (["sweep", "nothing"], "unknown problem or data set 'nothing'"),
    (["sweep", "sphere", "--lr", "-1"], "lr"),
    (["compare", "sphere", "--optimizers", "sgd,bogus"], "unknown optimizer 'bogus'"),
])
def test_errors_are_one_line_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("descend: error:")
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_demo_prints_the_tour_and_builds_the_page(capsys, monkeypatch, tmp_path):
    from descend import report, tour

    calls = []

    def fake_build(out, sections):  # the page itself is tested in test_report.py
        calls.append((out, len(sections)))
        return tmp_path / "index.html"

    monkeypatch.setattr(report, "build", fake_build)
    code, out, _ = run(capsys, "demo", "--out", str(tmp_path))
    assert code == 0
    assert "0.2" in out and "493" in out and "1.0000001666666813" in out
    assert calls == [(str(tmp_path), len(tour.SECTIONS))] and str(tmp_path / "index.html") in out


def test_demo_refuses_a_folder_holding_someone_elses_page(capsys, tmp_path):
    (tmp_path / "index.html").write_text("<html>my notes</html>")
    code, _, err = run(capsys, "demo", "--out", str(tmp_path))
    assert code == 2 and "was not written by descend" in err
    assert (tmp_path / "index.html").read_text() == "<html>my notes</html>"


def test_train_one_batch_size_prints_epochs_and_test_metrics(capsys):
    code, out, _ = run(capsys, "train", "moons", "--hidden", "16", "--epochs", "2", "--json")
    data = json.loads(out)
    assert code == 0 and len(data) == 1 and data[0]["status"] == "completed"
    assert data[0]["epochs"]["epoch"] == [1, 2] and 0 <= data[0]["test"]["accuracy"] <= 1


def test_train_batch_sizes_side_by_side(capsys):
    code, out, _ = run(capsys, "train", "linear", "--batch-size", "1,10,full", "--epochs", "2", "--optimizer", "sgd",
                       "--lr", "0.05", "--json")
    data = json.loads(out)
    assert code == 0 and [d["batch_size"] for d in data] == [1, 10, None]
    updates = [d["updates"] for d in data]
    assert updates[0] > updates[1] > updates[2] == 2  # one update per sample, per batch of 10, per epoch


def test_train_checkpoint_and_resume(capsys, tmp_path):
    ck = tmp_path / "run.npz"
    code, out, _ = run(capsys, "train", "xor", "--epochs", "2", "--checkpoint", str(ck), "--json")
    assert code == 0
    first = json.loads(out)[0]
    assert ck.exists()
    code, out, _ = run(capsys, "train", "xor", "--epochs", "3", "--checkpoint", str(ck), "--resume", "--json")
    assert code == 0
    resumed = json.loads(out)[0]
    assert resumed["epochs"]["epoch"] == [1, 2, 3]
    assert resumed["epochs"]["loss"][:2] == first["epochs"]["loss"]


def test_sweep_lr_find_benchmark_and_report(capsys, tmp_path):
    db = tmp_path / "s.db"
    code, out, _ = run(capsys, "sweep", "sphere", "--optimizer", "gd,adam", "--lr", "1e-3:1e-1:3", "--steps", "50",
                       "--store", str(db), "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 6 and db.exists()
    code, out, _ = run(capsys, "report", str(db), "--json")
    assert code == 0 and json.loads(out)["runs"] == 6
    code, out, _ = run(capsys, "lr-find", "ill_conditioned", "--steps", "100", "--json")
    assert code == 0
    found = json.loads(out)
    assert found["suggestion"] < found["curvature"]["stable_lr"]
    code, out, _ = run(capsys, "benchmark", "sphere", "--optimizers", "gd,adam", "--budget", "100", "--starts", "3",
                       "--seeds", "1", "--json")
    assert code == 0 and {r["optimizer"] for r in json.loads(out)} == {"gd", "adam"}


def test_installed_entry_point_exits_2_without_traceback():
    exe = shutil.which("descend")
    cmd = [exe] if exe else [sys.executable, "-m", "descend.cli"]
    proc = subprocess.run(cmd + ["minimize", "nope"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_compare_writes_plot_and_gif(capsys, tmp_path):
    png, gif = tmp_path / "race.png", tmp_path / "race.gif"
    code, out, _ = run(capsys, "compare", "elongated_bowl", "--optimizers", "sgd,momentum", "--steps", "30",
                       "--plot", str(png), "--gif", str(gif))
    assert code == 0 and f"wrote {png}" in out and f"wrote {gif}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")
