"""What a learner meets first on the command line: names typed wrong, defaults that work, titles and tables
that say what ran, help text for every option."""

import json

import click
import pytest

from descend import DescendError, optim, problems
from descend.cli import cli
from helpers import run_cli as run


@pytest.mark.parametrize("argv, hint", [
    (["minimize", "rosenbrok"], "did you mean 'rosenbrock'?"),
    (["compare", "sphere", "--optimizers", "sgd,adamm"], "did you mean 'adam'"),
    (["sweep", "himelblau"], "did you mean 'himmelblau'?"),
    (["minimize", "sphere", "--line-search", "exakt"], "did you mean 'exact'?"),
    (["train", "moonz"], "did you mean 'moons'?"),
    (["minimize", "sphere", "--optimizer", "adam", "--hp", "betaz=0.9,0.99"], "did you mean 'betas'?"),
])
def test_a_name_typed_wrong_gets_a_did_you_mean(capsys, argv, hint):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert hint in err and ("valid" in err or "problems:" in err)


def test_a_name_far_from_every_valid_one_gets_no_guess():
    with pytest.raises(DescendError) as exc:
        problems.get("zzzzzz")
    assert "did you mean" not in str(exc.value) and "valid: ackley" in str(exc.value)
    with pytest.raises(DescendError, match="did you mean 'rmsprop'"):
        optim.get("rmsprob")


def test_every_option_of_every_command_is_described():
    missing = [(name, p.opts[0]) for name, cmd in cli.commands.items() for p in cmd.params
               if isinstance(p, click.Option) and not (p.help or "").strip()]
    assert missing == []


def test_minimize_rosenbrock_with_its_defaults_does_not_diverge(capsys):
    code, out, _ = run(capsys, "minimize", "rosenbrock", "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] != "diverged"
    assert data["fun"] < problems.get("rosenbrock").f(problems.get("rosenbrock").x0) / 10


def test_the_default_lr_is_one_over_the_largest_curvature_at_the_start(capsys):
    import numpy as np

    from descend.cli import default_lr as _default_lr

    p = problems.get("rosenbrock")
    lr, how = _default_lr(p, p.x0)
    L = np.max(np.abs(np.linalg.eigvalsh(p.hessian(p.x0))))
    assert abs(lr * L - 1) < 0.01 and "1/L" in how
    code, out, _ = run(capsys, "minimize", "rosenbrock")
    assert code == 0 and "1/L" in out.split("\n")[0]


def test_the_title_names_the_line_search_not_an_unused_lr(capsys):
    code, out, _ = run(capsys, "minimize", "rosenbrock", "--line-search", "exact", "--steps", "5")
    title = out.split("┏")[0]
    assert code == 0 and "exact line search" in title and "lr" not in title


def test_the_table_does_not_show_success_beside_a_step_limit(capsys):
    code, out, _ = run(capsys, "minimize", "sphere", "--steps", "3", "--lr", "0.01")
    assert code == 0 and "max_steps" in out or "step limit" in out
    assert "success" not in out and "True" not in out


def test_lr_find_marks_every_candidate_past_2_over_L_and_says_why(capsys):
    import re

    from descend.sweeps.lr_find import lr_find

    res = lr_find(problems.get("ill_conditioned"))
    text = res.summary()
    bound = res.curvature.stable_lr
    candidates = {"suggested lr": res.suggestion, "steepest descent": res.lr_steepest,
                  "minimum loss at": res.lr_min_loss}
    assert any(v > bound for v in candidates.values()) and any(v <= bound for v in candidates.values())
    for label, value in candidates.items():
        (line,) = [ln for ln in text.splitlines() if ln.strip().startswith(label)]
        assert float(re.findall(r"[0-9.e+-]+", line.split(label)[1])[0]) == pytest.approx(value, rel=1e-3)
        assert ("past 2/L" in line) == (value > bound), line
    assert "why a one-pass test overshoots 2/L" in text
    # the stop is said as what happened: the curve kept ends before the update that blew up
    assert res.stopped_early and "the next update's loss blew up" in text
    quiet = lr_find(problems.get("sphere"), max_lr=0.5)
    assert "past 2/L" not in quiet.summary() and "overshoots" not in quiet.summary()


def test_demo_lang_ja_prints_the_tour_in_japanese(capsys, monkeypatch):
    code, out, _ = run(capsys, "demo", "--no-page", "--lang", "ja")
    assert code == 0 and "勾配降下法と学習率" in out and "学習率" in out and "493" in out
    assert "Gradient descent and the learning rate" not in out


@pytest.mark.parametrize("env, expect, refuse", [
    ({"LANG": "ja_JP.UTF-8"}, "数値微分", "Numerical differentiation"),
    ({"LANG": "en_US.UTF-8"}, "Numerical differentiation", "数値微分"),
])
def test_demo_follows_the_locale(capsys, monkeypatch, env, expect, refuse):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code, out, _ = run(capsys, "demo", "--no-page")
    assert code == 0 and expect in out and refuse not in out


def test_demo_lang_en_forces_english_on_a_japanese_locale(capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    code, out, _ = run(capsys, "demo", "--no-page", "--lang", "en")
    assert code == 0 and "Numerical differentiation" in out and "数値微分" not in out


def test_sweep_output_tells_reached_tol_from_converged_and_gives_units(capsys, tmp_path):
    import re

    store = str(tmp_path / "s.db")
    code, out, _ = run(capsys, "sweep", "sphere", "--optimizer", "gd", "--lr", "0.1,0.01", "--store", store)
    assert code == 0
    header = [ln for ln in out.splitlines() if "reached tol" in ln][0]
    # no "converged" column beside "reached tol": without a gtol it was always 0, a contradiction to the eye
    assert "converged" not in header and "time per run (median)" in header and "_" not in header
    rows = [ln for ln in out.splitlines() if ln.startswith("│ gd")]
    assert len(rows) == 2 and all(re.search(r"\d (s|ms|µs) │$", r) for r in rows)
    assert "reached tol: runs whose loss came within tol = 1e-06 of the known minimum" in out
    assert "nothing ran" not in out


def test_a_rerun_that_skips_every_stored_run_says_so(capsys, tmp_path):
    store = str(tmp_path / "s.db")
    run(capsys, "sweep", "sphere", "--optimizer", "gd", "--lr", "0.1,0.01", "--store", store)
    code, out, _ = run(capsys, "sweep", "sphere", "--optimizer", "gd", "--lr", "0.1,0.01", "--store", store)
    assert code == 0 and "all 2 runs were already in the store" in out and "nothing ran" in out


def test_a_store_of_another_sweep_is_refused_in_one_short_readable_line(capsys, tmp_path):
    store = str(tmp_path / "s.db")
    run(capsys, "sweep", "sphere", "--optimizer", "adam,gd", "--lr", "1e-4:1:13", "--seeds", "3", "--store", store)
    code, out, err = run(capsys, "sweep", "sphere", "--optimizer", "adam", "--lr", "1e-4:1:13", "--seeds", "3",
                         "--store", store)
    line = err.strip()
    assert code == 2 and len(line.splitlines()) == 1
    assert len(line) < 300 and "{" not in line and '"' not in line
    assert "optimizer [adam, gd]" in line and "not this one (optimizer [adam])" in line and "--extend" in line


def test_demo_refuses_a_foreign_page_before_printing_the_tour(capsys, tmp_path):
    (tmp_path / "index.html").write_text("<html>my notes</html>")
    code, out, err = run(capsys, "demo", "--out", str(tmp_path))
    assert code == 2 and out == "" and "was not written by descend" in err


def test_train_prints_accuracy_as_a_percentage(capsys):
    import re

    code, out, _ = run(capsys, "train", "moons", "--hidden", "8", "--epochs", "1")
    assert code == 0
    (line,) = [ln for ln in out.splitlines() if ln.startswith("batch size")]
    assert re.search(r"accuracy \d+\.\d %", line) and not re.search(r"\d\.\d{7,}", line)
