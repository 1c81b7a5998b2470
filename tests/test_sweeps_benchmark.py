"""The fair optimizer benchmark: tuning on held-out starts, one budget, honest counts."""

import io
import json
import math

import numpy as np
import pytest

import descend
from descend import DescendError, problems
from descend.sweeps import benchmark_optimizers
from descend.sweeps.benchmark import DEFAULT_LRS
from descend.cli.sweeps import cli_benchmark
from descend.sweeps.targets import random_starts as _random_starts


@pytest.fixture(scope="module")
def result():
    return benchmark_optimizers(["booth", "ill_conditioned"], ["gd", "adam"], budget=300, starts=6, seeds=[0, 1],
                                tol=1e-6, progress=False)


def test_one_summary_row_per_problem_and_optimizer(result):
    rows = result.summary_rows
    assert [(r["problem"], r["optimizer"]) for r in rows] == [("booth", "gd"), ("booth", "adam"),
                                                              ("ill_conditioned", "gd"), ("ill_conditioned", "adam")]
    for r in rows:
        assert r["runs"] == 12 and 0 <= r["success_rate"] <= 1 and r["lr"] in DEFAULT_LRS
        runs = [x for x in result.run_rows if x["problem"] == r["problem"] and x["optimizer"] == r["optimizer"]]
        assert len(runs) == 12
        assert r["success_rate"] == np.mean([x["success"] for x in runs])
        evals = [x["evals"] for x in runs if x["success"]]
        if evals:
            assert r["evals_median"] == np.median(evals) and r["evals_q25"] <= r["evals_median"] <= r["evals_q75"]
            assert max(evals) <= result.budget
        assert r["distance_median"] == np.median([x["distance"] for x in runs])


def test_gd_tuned_lr_respects_the_stable_step(result):
    # booth's Hessian is [[10, 8], [8, 10]]: L = 18, gradient descent diverges above 2/18
    gd = next(r for r in result.summary_rows if r["problem"] == "booth" and r["optimizer"] == "gd")
    assert gd["lr"] < 2 / 18 and gd["success_rate"] == 1.0


def test_the_chosen_setting_has_the_best_tuning_score(result):
    for problem in ("booth", "ill_conditioned"):
        for opt in ("gd", "adam"):
            tried = [t for t in result.tuning_rows if t["problem"] == problem and t["optimizer"] == opt]
            assert len(tried) == len(DEFAULT_LRS)
            [chosen] = [t for t in tried if t["chosen"]]
            best_rate = max(t["success_rate"] for t in tried)
            assert chosen["success_rate"] == best_rate
            ties = [t for t in tried if t["success_rate"] == best_rate]
            assert chosen["evals_median"] == min(t["evals_median"] for t in ties)
            summary = next(r for r in result.summary_rows if r["problem"] == problem and r["optimizer"] == opt)
            assert summary["lr"] == chosen["setting"]["lr"]


def test_evaluation_runs_equal_single_minimize_runs(result):
    p = problems.get("booth")
    starts = _random_starts(p.domain, 6, 1)  # seed 1's starts
    for row in [r for r in result.run_rows if r["problem"] == "booth" and r["seed"] == 1][:8]:
        single = descend.minimize(p, starts[row["start"]], optimizer=row["optimizer"], lr=row["lr"],
                                  steps=result.budget - 1, history="f")
        assert single.ngev <= result.budget
        gap = single.history.f - p.minimum
        hit = np.flatnonzero(gap <= 1e-6)
        assert row["evals"] == (int(hit[0]) + 1 if hit.size else None)
        assert row["gap"] == single.fun - p.minimum
        assert row["distance"] == p.distance_to_minimizer(single.x)


def test_tuning_never_sees_the_evaluation_starts():
    p = problems.get("booth")
    tune = _random_starts(p.domain, 6, 2)  # default tune_seed: max(seeds) + 1
    evals = np.vstack([_random_starts(p.domain, 6, s) for s in (0, 1)])
    assert not any(np.any(np.all(evals == t, axis=1)) for t in tune)


def test_table_summary_and_plot(result):
    pytest.importorskip("matplotlib")
    text = result.summary()
    assert "budget 300 gradient evaluations" in text and "ill_conditioned" in text
    assert repr(result) == "BenchmarkResult(2 problem(s), optimizers ['gd', 'adam'], budget=300, 48 runs)"
    table = result.table
    assert len(table) == 4
    fig = result.plot()
    gids = {a.get_gid() for ax in fig.axes for a in ax.get_children()}
    assert {"descend:benchmark_success:gd", "descend:benchmark_success:adam"} <= gids
    ax1 = fig.axes[0]
    heights = sorted(b.get_height() for b in ax1.patches)
    assert heights == sorted(r["success_rate"] for r in result.summary_rows)


def test_other_hyperparameters_are_tuned_only_when_asked():
    res = benchmark_optimizers("ill_conditioned", "sgd", budget=200, starts=3, seeds=0,
                               lrs=[1e-3, 1e-2], tune={"sgd": {"momentum": [0.0, 0.9]}}, progress=False)
    tried = {tuple(sorted(t["setting"].items())) for t in res.tuning_rows}
    assert tried == {(("lr", a), ("momentum", m)) for a in (1e-3, 1e-2) for m in (0.0, 0.9)}
    assert set(res.summary_rows[0]["tuned"]) == {"lr", "momentum"}
    plain = benchmark_optimizers("ill_conditioned", "sgd", budget=200, starts=3, seeds=0, lrs=[1e-3, 1e-2],
                                 progress=False)
    assert set(plain.summary_rows[0]["tuned"]) == {"lr"}


def test_budget_caps_the_gradient_evaluations():
    res = benchmark_optimizers("rosenbrock", "gd", budget=50, starts=3, seeds=0, lrs=[1e-3], progress=False)
    assert res.summary_rows[0]["success_rate"] == 0.0 and res.summary_rows[0]["evals_median"] is None
    rows = descend.sweeps.sweep(problems.get("rosenbrock"), {"lr": [1e-3], "start": 3}, steps=49,
                                as_records=True, progress=False)
    assert all(r["ngev"] == 50 for r in rows)


def _no_minimum():
    return problems.Problem("mystery", lambda x: np.sum(x * x, axis=-1), lambda x: 2 * x, x0=[1.0, 1.0],
                            minimizers=np.empty((0, 2)), minimum=float("nan"), window=None, description="?")


@pytest.mark.parametrize("args, kwargs, message", [
    (("booth", "adamm"), {}, "unknown optimizer 'adamm'; valid:"),
    (("nowhere", "gd"), {}, "unknown problem 'nowhere'"),
    (([], "gd"), {}, "problems must name at least one problem"),
    (("booth", []), {}, "optimizers must name at least one optimizer"),
    (("booth", "gd"), {"budget": 0}, "budget must be an integer >= 1, got 0"),
    (("booth", "gd"), {"starts": 0}, "starts must be an integer >= 1, got 0"),
    (("booth", "gd"), {"seeds": []}, "seeds must hold at least one seed"),
    (("booth", "gd"), {"seeds": [0, -1]}, r"seeds\[\] must be an integer >= 0, got -1"),
    (("booth", "gd"), {"tol": -1}, "tol must be a number >= 0, got -1"),
    (("booth", "gd"), {"tune_seed": 1, "seeds": [0, 1]}, "tune_seed=1 is one of the evaluation seeds"),
    (("booth", "gd"), {"tune": {"adam": {"eps": [1e-8]}}}, "tune names optimizer 'adam', which is not benchmarked"),
    (("booth", "gd"), {"tune": {"gd": {"lr": [0.1]}}}, r"tune\['gd'\] must not hold 'lr'"),
    (("booth", "gd"), {"tune": {"gd": [0.1]}}, r"tune\['gd'\] must be a dict of hyperparameter lists"),
    (("booth", "gd"), {"lrs": [0.1, -1.0]}, r"grid\['lr'\] must hold finite numbers > 0, got -1.0"),
    ((3, "gd"), {}, "problems must be Problems or problem names, got 3"),
])
def test_benchmark_errors(args, kwargs, message):
    with pytest.raises(DescendError, match=message):
        benchmark_optimizers(*args, **kwargs)


def test_a_problem_without_known_minimum_is_refused():
    with pytest.raises(DescendError, match="problem 'mystery' has no known minimum"):
        benchmark_optimizers(_no_minimum(), "gd")


def test_cli_benchmark(tmp_path):
    out = io.StringIO()
    res = cli_benchmark("booth", "gd,momentum", budget=100, starts=3, seeds=2, lr="1e-3:1e-1:5",
                        plot=str(tmp_path / "b.png"), out=out)
    assert "benchmark: tuned lr, budget 100" in out.getvalue() and (tmp_path / "b.png").stat().st_size > 0
    assert {r["lr"] for r in res.summary_rows} <= set(descend.sweeps.parse_lr("1e-3:1e-1:5"))
    out = io.StringIO()
    cli_benchmark("booth", "gd", budget=100, starts=2, seeds=1, lr="0.01,0.05", as_json=True, out=out)
    data = json.loads(out.getvalue())
    assert data[0]["problem"] == "booth" and data[0]["runs"] == 2
    assert all(v is None or not (isinstance(v, float) and math.isnan(v)) for v in data[0].values())
    with pytest.raises(DescendError, match="--seeds must be an integer >= 1, got 0"):
        cli_benchmark("booth", "gd", seeds=0, out=io.StringIO())
