"""The command line: tables, JSON, and one-line errors with exit code 2."""

import json
import shutil
import subprocess
import sys

import pytest

from descend.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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
    (["minimize", "sphere", "--line-search", "wolfe"], "unknown line search 'wolfe'"),
    (["minimize", "sphere", "--hp", "oops"], "--hp must look like key=value"),
    (["nonsense"], "No such command 'nonsense'"),
    (["minimize"], "Missing argument 'PROBLEM'"),
    (["minimize", "sphere", "--bogus"], "No such option '--bogus'"),
])
def test_errors_are_one_line_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("descend: error:")
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_demo_prints_the_tour(capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "0.2" in out and "493" in out and "1.0000001666666813" in out


def test_installed_entry_point_exits_2_without_traceback():
    exe = shutil.which("descend")
    cmd = [exe] if exe else [sys.executable, "-m", "descend.cli"]
    proc = subprocess.run(cmd + ["minimize", "nope"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
