"""Sweeps: vectorized problem runs equal single runs bit for bit; grids; training on loky and Dask; CLI functions."""

import io
import json
import math

import numpy as np
import pytest

import descend
from descend import DescendError, nn, problems
from descend.sweeps import Grid, TrainingSetup, parse_lr, parse_values, sweep
from descend.cli.sweeps import cli_report, cli_sweep


def _single(p, row, steps, **kw):
    hp = {k: row[k] for k in ("momentum", "betas", "nesterov", "eps") if row.get(k) is not None}
    if "betas" in hp:
        hp["betas"] = tuple(hp["betas"])
    return descend.minimize(p, np.array(row["x0"]), optimizer=row["optimizer"], lr=row["lr"], steps=steps,
                            history="f", **hp, **kw)


# --------------------------------------------------------------------------------- vectorized = single runs

GRID = [
    {"optimizer": ["gd"], "lr": [1e-4, 1e-3, 1e-2, 0.1], "start": 4, "seed": [0, 1]},
    {"optimizer": ["sgd"], "lr": [1e-4, 1e-3], "momentum": [0.5, 0.9], "nesterov": [False, True], "start": 3},
    {"optimizer": ["sgd"], "lr": [1e-4, 1e-3], "momentum": [0.0], "start": 3},
    {"optimizer": ["adam"], "lr": [1e-2, 0.3], "betas": [(0.9, 0.999), (0.8, 0.99)], "start": 3},
    {"optimizer": ["rmsprop", "adagrad"], "lr": [1e-3, 0.1], "eps": [1e-8, 1e-6], "start": 2},
]


@pytest.mark.parametrize("problem", ["rosenbrock", "himmelblau", "ill_conditioned"])
def test_vectorized_rows_equal_single_runs_bit_for_bit(problem):
    p = problems.get(problem)
    rows = sweep(p, GRID, steps=100, chunk_size=17, as_records=True, progress=False)
    assert len(rows) == 4 * 4 * 2 + 2 * 2 * 2 * 3 + 2 * 3 + 2 * 2 * 3 + 2 * 2 * 2 * 2
    statuses = {r["status"] for r in rows}
    assert {"diverged", "max_steps"} <= statuses  # the grid reaches past the stable lr: rows stop early
    for r in rows:
        s = _single(p, r, 100)
        assert np.array_equal(s.x, r["x"]), r
        assert s.fun == r["final_loss"] and s.nit == r["nit"] and s.status == r["status"] and s.ngev == r["ngev"]
        assert np.array_equal(s.history.f, r["curve"])
        assert r["best_loss"] == np.nanmin(s.history.f)
        assert r["distance"] == p.distance_to_minimizer(s.x)


def test_chunking_and_order_do_not_change_numbers():
    p = problems.get("rosenbrock")
    grid = {"optimizer": ["adam", "gd"], "lr": [1e-3, 1e-2], "start": 5}
    a = sweep(p, grid, steps=60, chunk_size=1, as_records=True, progress=False)
    b = sweep(p, grid, steps=60, as_records=True, progress=False)
    assert [r["key"] for r in a] == [r["key"] for r in b]
    for ra, rb in zip(a, b):
        assert np.array_equal(ra["curve"], rb["curve"]) and ra["x"] == rb["x"]


def test_steps_to_tol_is_the_first_step_within_tol():
    p = problems.get("sphere")
    rows = sweep(p, {"lr": [0.01, 0.1, 0.4], "start": 3}, steps=200, tol=1e-8, as_records=True, progress=False)
    for r in rows:
        gap = r["curve"] - p.minimum
        hit = np.flatnonzero(gap <= 1e-8)
        assert r["steps_to_tol"] == (int(hit[0]) if hit.size else None)
    assert any(r["steps_to_tol"] is None for r in rows) and any(r["steps_to_tol"] is not None for r in rows)


def test_random_starts_are_in_the_domain_and_reproducible():
    p = problems.get("himmelblau")
    a = sweep(p, {"start": 30, "seed": [3, 4]}, steps=1, as_records=True, progress=False)
    X = np.array([r["x0"] for r in a])
    assert np.all(X >= p.domain[:, 0]) and np.all(X <= p.domain[:, 1])
    assert len({tuple(x) for x in X}) == 60  # two seeds, different draws
    b = sweep(p, {"start": 30, "seed": [3]}, steps=1, as_records=True, progress=False)
    np.testing.assert_array_equal(X[:30], [r["x0"] for r in b])
    assert [r["start"] for r in b] == list(range(30))


def test_explicit_points_and_default_start():
    p = problems.get("rosenbrock")
    rows = sweep(p, {"start": [[0.0, 0.0], [-1.0, 2.0]]}, steps=5, as_records=True, progress=False)
    assert [r["x0"] for r in rows] == [[0.0, 0.0], [-1.0, 2.0]]
    rows = sweep(p, {"lr": [1e-3]}, steps=5, as_records=True, progress=False)
    assert rows[0]["x0"] == p.x0.tolist() and rows[0]["start"] is None


def test_plain_function_target_with_points():
    def f(x):
        return float(np.sum((x - 1.0) ** 2))

    rows = sweep(f, {"lr": [0.1, 0.2], "start": [[3.0, -1.0]]}, steps=50, as_records=True, progress=False)
    single = descend.minimize(f, np.array([3.0, -1.0]), lr=0.1, steps=50)
    assert rows[0]["x"] == single.x.tolist()
    assert math.isnan(rows[0]["distance"])
    with pytest.raises(DescendError, match="random starts are drawn from a Problem's domain"):
        sweep(f, {"start": 3}, steps=5)
    with pytest.raises(DescendError, match="a plain function has no default start"):
        sweep(f, {"lr": [0.1]}, steps=5)


def test_table_is_a_dataframe_with_one_row_per_run():
    pd = pytest.importorskip("pandas")
    p = problems.get("booth")
    t = sweep(p, {"optimizer": ["gd", "adam"], "lr": [0.01, 0.05], "start": 2}, steps=20, progress=False)
    assert isinstance(t, pd.DataFrame) and len(t) == 8 and t["key"].is_unique
    for col in ("optimizer", "lr", "seed", "start", "x0", "final_loss", "best_loss", "steps_to_tol", "status",
                "wall_time", "curve"):
        assert col in t.columns
    assert (t["wall_time"] > 0).all()


def test_curves_false_keeps_no_curve():
    rows = sweep(problems.get("booth"), {"lr": [0.01]}, steps=5, curves=False, as_records=True, progress=False)
    assert rows[0]["curve"] is None and rows[0]["final_loss"] > 0


# --------------------------------------------------------------------------------- grid checks

@pytest.mark.parametrize("grid, message", [
    ({"lr": []}, r"grid\['lr'\] is empty; give at least one value"),
    ({"lr": [0.1, -0.01]}, r"grid\['lr'\] must hold finite numbers > 0, got -0.01 at position 1"),
    ({"lr": [float("nan")]}, r"grid\['lr'\] must hold finite numbers > 0, got nan"),
    ({"lr": ["fast"]}, r"grid\['lr'\] must hold finite numbers > 0, got 'fast'"),
    ({"optimizer": ["adamm"]}, r"unknown optimizer 'adamm'; valid: .*adam"),
    ({"optimizer": ["adam"], "momentum": [0.9]},
     r"unknown hyperparameter 'momentum' for optimizer 'adam'; valid: .*betas.*list of grids"),
    ({"optimizer": ["sgd"], "lrr": [0.9]}, r"unknown hyperparameter 'lrr' for optimizer 'sgd'; valid: .*momentum"),
    ({"optimizer": ["sgd"], "momentum": [-0.5]}, r"grid: optimizer 'sgd' with momentum=-0.5: sgd: momentum"),
    ({"optimizer": ["sgd"], "momentum": [0.0, 0.9], "nesterov": [True]},
     r"optimizer 'sgd' with momentum=0.0, nesterov=True: sgd: nesterov=True needs momentum > 0"),
    ({"seed": [-1]}, r"grid\['seed'\] must hold integers >= 0, got -1"),
    ({"start": 0}, r"grid\['start'\] as a count of random starts must be >= 1, got 0"),
    ({"start": [[0.0, float("inf")]]}, r"grid\['start'\] points must be finite"),
    ({"batch_size": [32]}, r"grid\['batch_size'\] applies to training sweeps only"),
    ({"final_loss": [1]}, r"'final_loss' names a result column and cannot be swept"),
    ({"": [1]}, r"grid keys must be non-empty strings"),
    ({"optimizer": ["sgd"], "momentum": [object()]}, r"must be a number, a string, a bool, None or a tuple"),
    ("lr=0.1", r"grid must be a dict of lists"),
    ([], r"grid must be a dict of lists"),
])
def test_bad_grids_get_clear_errors(grid, message):
    with pytest.raises(DescendError, match=message):
        sweep(problems.get("rosenbrock"), grid, steps=5)


def test_errors_name_the_part_of_a_list_of_grids():
    with pytest.raises(DescendError, match=r"grid\[1\]\['lr'\] is empty"):
        Grid([{"lr": [0.1]}, {"lr": []}], "problem")


def test_wrong_start_dimension():
    with pytest.raises(DescendError, match="must have 2 coordinates for 'rosenbrock', got 3"):
        sweep(problems.get("rosenbrock"), {"start": [[1.0, 2.0, 3.0]]}, steps=5)


def test_grid_expansion_order_and_duplicates():
    g = Grid([{"optimizer": ["sgd"], "lr": [0.1, 0.01], "momentum": [0.0, 0.9]},
              {"optimizer": ["sgd"], "lr": [0.1], "momentum": [0.0]}], "problem")
    runs = g.runs()
    assert [(r["lr"], r["momentum"]) for r in runs] == [(0.1, 0.0), (0.1, 0.9), (0.01, 0.0), (0.01, 0.9)]
    assert g.hyperparameters == ["lr", "momentum"]
    assert "4 runs" in repr(g)


def test_scalar_and_array_values():
    g = Grid({"lr": np.array([0.1, 0.2]), "optimizer": "adam", "betas": (0.9, 0.99)}, "problem")
    assert [(r["lr"], r["betas"]) for r in g.runs()] == [(0.1, (0.9, 0.99)), (0.2, (0.9, 0.99))]


@pytest.mark.parametrize("kwargs, message", [
    ({"backend": "spark"}, "unknown backend 'spark'; valid: auto, local, loky, dask"),
    ({"scheduler": "tcp://127.0.0.1:1"}, "scheduler is for backend='dask'"),
    ({"epochs": 3}, "epochs applies to training sweeps"),
    ({"steps": -1}, "steps must be an integer >= 0, got -1"),
    ({"tol": -1.0}, "tol must be None or a number >= 0"),
    ({"gtol": "small"}, "gtol must be None or a number >= 0"),
    ({"max_growth": 0}, "max_growth must be None or a number > 0"),
    ({"chunk_size": 0}, "chunk_size must be an integer >= 1, got 0"),
    ({"n_jobs": 0}, "n_jobs must be an integer >= 1, got 0"),
])
def test_bad_sweep_arguments(kwargs, message):
    with pytest.raises(DescendError, match=message):
        sweep(problems.get("booth"), {"lr": [0.1]}, **kwargs)


def test_bad_target():
    with pytest.raises(DescendError, match="target must be a Problem, a function f"):
        sweep(42, {"lr": [0.1]})


@pytest.mark.parametrize("text, values", [
    ("1e-4:1:5", [1e-4, 1e-3, 1e-2, 1e-1, 1.0]),
    ("0.1,0.01", [0.1, 0.01]),
    ("0.5", [0.5]),
    ("0.5:2:1", [0.5]),
])
def test_parse_lr(text, values):
    np.testing.assert_allclose(parse_lr(text), values, rtol=1e-12)
    out = parse_lr(text)
    assert out[0] == values[0] and out[-1] == values[-1]  # the ends exactly as typed


@pytest.mark.parametrize("text, message", [
    ("1e-4:1", "lr range must be 'a:b:k'"),
    ("1:1e-4:5", "needs a < b, got a=1, b=0.0001"),
    ("0:1:5", "needs a > 0 and b > 0"),
    ("1e-4:1:0", "integer count k >= 1, got k=0"),
    ("1e-4:1:x", "integer count k >= 1, got k='x'"),
    ("1e-4:one:3", "'one' in '1e-4:one:3' is not a number"),
    ("0.1,-0.1", "lr values must be > 0, got -0.1"),
    ("", "lr must be 'a:b:k'"),
    ("inf", "is not finite"),
])
def test_parse_lr_errors(text, message):
    with pytest.raises(DescendError, match=message):
        parse_lr(text)


def test_parse_values():
    assert parse_values("0,0.5,true,none,adam") == [0, 0.5, True, None, "adam"]
    assert parse_values("0.9/0.999,0.8/0.99") == [(0.9, 0.999), (0.8, 0.99)]
    with pytest.raises(DescendError, match="empty value in the list"):
        parse_values("1,,2")
    with pytest.raises(DescendError, match="expected a comma list of values"):
        parse_values(" ")


# --------------------------------------------------------------------------------- training sweeps

def factory(seed):
    return nn.Sequential(nn.Linear(2, 8, rng=seed, dtype=np.float64), nn.ReLU(),
                         nn.Linear(8, 1, rng=seed + 1000, dtype=np.float64))


@pytest.fixture(scope="module")
def setup():
    d = descend.datasets.linear(120, seed=0)
    v = descend.datasets.linear(40, seed=1)
    return TrainingSetup(factory, d.X, d.y.reshape(-1, 1), "mse", validation=(v.X, v.y.reshape(-1, 1)))


TRAIN_GRID = [{"optimizer": ["sgd"], "lr": [1e-2, 5e-2], "momentum": [0.0, 0.9], "batch_size": [None, 16],
               "seed": [0, 1]},
              {"optimizer": ["adam"], "lr": [1e-2], "seed": [0, 1]}]


def test_training_sweep_rows_equal_direct_training(setup):
    rows = sweep(setup, TRAIN_GRID, epochs=3, backend="local", as_records=True, progress=False)
    assert len(rows) == 2 * 2 * 2 * 2 + 2
    for r in rows[:3] + rows[-1:]:
        opt = descend.optim.get(r["optimizer"], lr=r["lr"], **({"momentum": r["momentum"]}
                                                               if r.get("momentum") is not None else {}))
        h = descend.training.train(factory(r["seed"]), setup.X, setup.y, loss="mse", optimizer=opt,
                                   batch_size=r.get("batch_size"), epochs=3, seed=r["seed"],
                                   validation=setup.validation, progress=False)
        assert np.array_equal(r["curve"], np.asarray(h.loss))
        assert r["final_loss"] == h["loss"][-1] and r["best_val_loss"] == min(h["val_loss"])
        assert np.array_equal(r["val_curve"], h["val_loss"])
        assert r["status"] == h.status and r["nit"] == h.step


def test_loky_processes_equal_local(setup):
    a = sweep(setup, TRAIN_GRID, epochs=2, backend="local", as_records=True, progress=False)
    b = sweep(setup, TRAIN_GRID, epochs=2, backend="loky", n_jobs=2, as_records=True, progress=False)
    assert [r["key"] for r in a] == [r["key"] for r in b]
    for ra, rb in zip(a, b):
        assert np.array_equal(ra["curve"], rb["curve"]) and ra["final_val_loss"] == rb["final_val_loss"]


def test_problem_chunks_on_loky_equal_local():
    p = problems.get("rosenbrock")
    grid = {"optimizer": ["gd", "adam"], "lr": [1e-3, 1e-2], "start": 4}
    a = sweep(p, grid, steps=40, backend="loky", n_jobs=2, chunk_size=3, as_records=True, progress=False)
    b = sweep(p, grid, steps=40, as_records=True, progress=False)
    assert [r["x"] for r in a] == [r["x"] for r in b]


def test_dask_local_cluster_equals_local(setup):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, host="127.0.0.1", threads_per_worker=1,
                                  dashboard_address=":0") as cluster:
        a = sweep(setup, TRAIN_GRID, epochs=2, backend="dask", scheduler=cluster.scheduler_address,
                  as_records=True, progress=False)
        p = problems.get("himmelblau")
        c = sweep(p, {"lr": [1e-3, 1e-2], "start": 6}, steps=30, backend="dask", chunk_size=4,
                  scheduler=cluster.scheduler_address, as_records=True, progress=False)
    b = sweep(setup, TRAIN_GRID, epochs=2, backend="local", as_records=True, progress=False)
    assert [r["key"] for r in a] == [r["key"] for r in b]
    for ra, rb in zip(a, b):
        assert np.array_equal(ra["curve"], rb["curve"])
    d = sweep(p, {"lr": [1e-3, 1e-2], "start": 6}, steps=30, as_records=True, progress=False)
    assert [r["x"] for r in c] == [r["x"] for r in d]


def test_dask_without_scheduler_is_refused(setup):
    pytest.importorskip("distributed")
    with pytest.raises(DescendError, match=r"backend='dask' needs scheduler='tcp://host:port'"):
        sweep(setup, {"lr": [0.01]}, backend="dask")


def test_unreachable_dask_scheduler(setup):
    pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        with pytest.raises(DescendError, match=r"cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
            sweep(setup, {"lr": [0.01]}, backend="dask", scheduler="tcp://127.0.0.1:9")


@pytest.mark.parametrize("grid, kwargs, message", [
    ({"start": 3}, {}, r"grid\['start'\] applies to problem sweeps only"),
    ({"batch_size": [0]}, {}, r"grid\['batch_size'\] must hold None \(full batch\) or integers >= 1, got 0"),
    ({"lr": [0.1]}, {"steps": 10}, "steps applies to problem sweeps"),
    ({"lr": [0.1]}, {"epochs": 0}, "epochs must be an integer >= 1, got 0"),
])
def test_training_grid_errors(setup, grid, kwargs, message):
    with pytest.raises(DescendError, match=message):
        sweep(setup, grid, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"model_factory": 3}, "model_factory must be callable"),
    ({"X": np.zeros((0, 2))}, r"X must be a non-empty \(n_samples, n_features\) array"),
    ({"y": np.zeros(5)}, r"y must have one row per sample of X \(10\), got shape \(5,\)"),
    ({"loss": "hinge"}, "hinge"),
    ({"validation": np.zeros((3, 2))}, r"validation must be a pair \(X_val, y_val\)"),
    ({"validation": (np.zeros((3, 5)), np.zeros(3))}, r"X_val must have shape \(m, 2\)"),
    ({"name": ""}, "name must be a non-empty string or None"),
])
def test_training_setup_errors(kwargs, message):
    args = dict(model_factory=factory, X=np.zeros((10, 2)), y=np.zeros((10, 1)), loss="mse")
    args.update(kwargs)
    with pytest.raises(DescendError, match=message):
        TrainingSetup(**args)


def test_factory_must_return_a_model():
    s = TrainingSetup(lambda seed: "model", np.zeros((4, 2)), np.zeros((4, 1)), "mse", name="bad")
    with pytest.raises(DescendError, match="model_factory must return a descend.nn.Sequential, got str"):
        sweep(s, {"lr": [0.1]}, backend="local")
    assert repr(s) == "TrainingSetup('bad', X (4, 2), loss='mse')"


# --------------------------------------------------------------------------------- CLI functions

def test_cli_sweep_and_report(tmp_path):
    out = io.StringIO()
    store = tmp_path / "sweep.db"
    t = cli_sweep("booth", optimizer="gd,adam", lr="1e-3:1e-1:3", seeds=2, starts=2, steps=30, store=str(store),
                  out=out)
    text = out.getvalue()
    assert "sweep booth: 24 runs" in text and "adam" in text
    assert len(t) == 24
    out = io.StringIO()
    summary = cli_report(str(store), out_dir=str(tmp_path / "rep"), out=out)
    assert len(summary) == 6 and all(s["runs"] == 4 for s in summary)
    for name in ("runs.csv", "summary.csv", "final_loss.png", "curves.png"):
        assert (tmp_path / "rep" / name).stat().st_size > 0
    assert "wrote" in out.getvalue()
    out = io.StringIO()
    cli_sweep("booth", optimizer="gd", lr="0.01", steps=3, as_json=True, out=out)
    rows = json.loads(out.getvalue())
    assert rows[0]["optimizer"] == "gd" and rows[0]["nit"] == 3 and "curve" not in rows[0]


def test_cli_sweep_training_with_hyperparameter_axes(tmp_path):
    out = io.StringIO()
    t = cli_sweep("linear", optimizer="sgd", lr="0.01,0.05", hp=("momentum=0,0.9",), epochs=1, batch_size="none,50",
                  backend="local", as_json=True, out=out)
    rows = json.loads(out.getvalue())
    assert len(rows) == len(t) == 8
    assert {(r["momentum"], r["batch_size"]) for r in rows} == {(0, None), (0, 50), (0.9, None), (0.9, 50)}


@pytest.mark.parametrize("target, kwargs, message", [
    ("nowhere", {}, "unknown problem or data set 'nowhere'; problems: .*; data sets: .*digits"),
    ("booth", {"lr": "1:0.1:3"}, "needs a < b"),
    ("booth", {"batch_size": "32"}, "--batch-size applies to data sets"),
    ("linear", {"starts": 3}, "--starts applies to problems"),
    ("booth", {"epochs": 2}, "--epochs applies to data sets"),
    ("linear", {"steps": 2}, "--steps applies to problems"),
    ("booth", {"seeds": 0}, "--seeds must be an integer >= 1, got 0"),
    ("booth", {"hp": ("momentum",)}, "--hp must look like key=value, got 'momentum'"),
    ("booth", {"optimizer": " , "}, "--optimizer must be a comma list of names"),
    ("linear", {"params": ("n=3",)}, "--param applies to problems"),
])
def test_cli_sweep_errors(target, kwargs, message):
    with pytest.raises(DescendError, match=message):
        cli_sweep(target, out=io.StringIO(), **kwargs)


# --------------------------------------------------------------------------------- the remaining messages

@pytest.mark.parametrize("spec, kind, message", [
    ({"lr": [0.1]}, "forest", "kind must be 'problem' or 'training', got 'forest'"),
    ({"optimizer": [3]}, "problem", r"grid\['optimizer'\] must hold optimizer names, got 3"),
    ({"start": [True, False]}, "problem", r"grid\['start'\] must be a count of random starts or a list of points"),
    ({"start": [[1.0, 2.0], [1.0]]}, "problem", "list of points of equal length"),
    ({"start": [[]]}, "problem", r"grid\['start'\] points must be non-empty"),
    ({"lr": np.ones((2, 2))}, "problem", r"grid\['lr'\] as an array must be 1-D \(a list of values\), got shape"),
])
def test_grid_messages(spec, kind, message):
    with pytest.raises(DescendError, match=message):
        Grid(spec, kind)


def test_parse_values_refuses_non_finite():
    with pytest.raises(DescendError, match="'inf' is not a finite number"):
        parse_values("1,inf")


def test_scheduler_of_the_wrong_type(setup):
    pytest.importorskip("distributed")
    with pytest.raises(DescendError, match="scheduler must be an address such as 'tcp://127.0.0.1:8786' or a "
                                           "distributed.Client, got 8786"):
        sweep(setup, {"lr": [0.01]}, backend="dask", scheduler=8786)


def test_command_helper_messages():
    from descend.cli.sweeps import dataset_setup, parse_hyperparameters

    with pytest.raises(DescendError, match="--hp needs a name before '=', got '=0.9'"):
        parse_hyperparameters(["=0.9"])
    with pytest.raises(DescendError, match="--hp momentum takes one value here, got '0,0.9'"):
        parse_hyperparameters(["momentum=0,0.9"])
    assert parse_hyperparameters(["momentum=0,0.9"], lists=True) == {"momentum": [0, 0.9]}
    assert parse_hyperparameters(["betas=0.9/0.99", "nesterov=true"]) == {"betas": (0.9, 0.99), "nesterov": True}
    with pytest.raises(DescendError, match="unknown data set 'mnist'; valid: linear"):
        dataset_setup("mnist")
    s = dataset_setup("moons")
    assert s.build(0)[-1].out_features == 2 and s.loss == "cross_entropy"


def test_report_messages(tmp_path):
    from descend.sweeps import plot_curves, summarize, write_report

    with pytest.raises(DescendError, match="expected a sweep table \\(a DataFrame or a list of dicts\\), got int"):
        summarize(3)
    rows = sweep(problems.get("booth"), {"lr": [0.01]}, steps=3, curves=False, as_records=True, progress=False)
    with pytest.raises(DescendError, match="the table holds no curves \\(the sweep ran with curves=False\\)"):
        plot_curves(rows)
    with pytest.raises(DescendError, match="the sweep holds no runs yet: nothing to report"):
        write_report([], tmp_path / "r")


def test_summarize_groups_over_seeds_and_starts():
    from descend.sweeps import summarize

    rows = sweep(problems.get("booth"), {"optimizer": ["gd"], "lr": [0.01, 0.2], "start": 3, "seed": [0, 1]},
                 steps=50, as_records=True, progress=False)
    summary = summarize(rows)
    assert [(s["lr"], s["runs"]) for s in summary] == [(0.01, 6), (0.2, 6)]
    for s in summary:
        members = [r for r in rows if r["lr"] == s["lr"]]
        assert s["final_loss_median"] == np.median([r["final_loss"] for r in members])
        assert s["diverged"] == sum(r["status"] == "diverged" for r in members)
    assert summary[1]["diverged"] == 6  # lr 0.2 > 2/L = 2/18 on booth



def test_progress_bar_is_silent_when_stderr_is_not_a_terminal(capfd):
    sweep(problems.get("booth"), {"lr": [0.01, 0.02], "start": 3}, steps=5, chunk_size=1, progress=True)
    assert capfd.readouterr().err == ""


def test_progress_bar_on_a_terminal(monkeypatch):
    from descend.sweeps import run

    monkeypatch.setattr(run.sys.stderr, "isatty", lambda: True, raising=False)
    bar = run._Progress(5, True, "sweep booth")
    try:
        assert bar._bar is not None
        bar.advance(3)
        assert bar._bar.tasks[0].completed == 3 and bar._bar.tasks[0].total == 5
    finally:
        bar.close()
    assert run._Progress(5, False, "x")._bar is None
