"""What the ``descend sweep``, ``lr-find``, ``benchmark`` and ``report`` commands do, as functions.

The command line (:mod:`descend.cli`) parses its options and calls these with the
option strings as typed; they parse and check them here (a :class:`DescendError`
with a clear message for bad input), run, and print to ``out`` (default stdout):
rich tables, or JSON with ``as_json=True``.  Each returns the result object.

Targets: a name of :func:`descend.problems.names` is a problem; a name of
:func:`descend.datasets.names` is a training setup with a small default network
(:func:`dataset_setup`).
"""

from __future__ import annotations

import sys

import click
import numpy as np

from ..errors import DescendError, did_you_mean
from .common import batch_sizes, json_text, refuse_overwrite

__all__ = ["cli_sweep", "cli_lr_find", "cli_benchmark", "cli_report", "resolve_target", "dataset_setup",
           "parse_hyperparameters"]


class MLPFactory:
    """``seed -> descend.nn.mlp(sizes, rng=seed)``: a picklable model factory for worker processes."""

    def __init__(self, sizes, dtype="float64"):
        self.sizes = tuple(int(s) for s in sizes)
        self.dtype = dtype
        self.__name__ = f"mlp{self.sizes}"
        self.__qualname__ = f"MLPFactory{self.sizes}"
        # the module a stored sweep's identity names (TrainingSetup.identity): the one this class was
        # written in, so stores made before it moved are still this sweep's (pickling uses the class's own)
        self.__module__ = "descend.sweeps.commands"

    def __call__(self, seed):
        from ..nn import mlp

        return mlp(self.sizes, rng=seed, dtype=self.dtype)

    def __repr__(self):
        return f"MLPFactory({self.sizes})"


def dataset_setup(name: str, *, hidden: int = 16):
    """A :class:`TrainingSetup` for a data set of :mod:`descend.datasets` (generated with seed 0).

    ``linear``: a 2-``hidden``-1 ReLU network with the MSE (seed 003's setting);
    ``digits``: 64-``hidden``-10 with cross-entropy, validated on the held-out split;
    ``moons``, ``xor``, ``spirals``: 2-``hidden``-classes with cross-entropy.
    """
    from .. import datasets
    from ..sweeps.targets import TrainingSetup

    if name not in datasets.names():
        raise DescendError(f"unknown data set {name!r}; valid: {', '.join(datasets.names())}")
    if name == "digits":
        d = datasets.digits()
        return TrainingSetup(MLPFactory((d.X_train.shape[1], hidden, 10)), d.X_train, d.y_train, "cross_entropy",
                             validation=(d.X_test, d.y_test), name="digits")
    d = datasets.get(name, seed=0)
    X, y = np.asarray(d.X, dtype=np.float64), np.asarray(d.y)
    if name == "linear":
        return TrainingSetup(MLPFactory((X.shape[1], hidden, 1)), X, y.reshape(-1, 1).astype(np.float64), "mse",
                             name="linear")
    classes = int(y.max()) + 1
    return TrainingSetup(MLPFactory((X.shape[1], hidden, classes)), X, y, "cross_entropy", name=name)


def resolve_target(name: str, params=()):
    """A problem (with ``params`` such as ``("n=5",)``) or a data set's training setup, by name."""
    from .. import datasets, problems

    if name in problems.names():
        return problems.get(name, **parse_hyperparameters(params, what="--param"))
    if name in datasets.names():
        if params:
            raise DescendError("--param applies to problems, not data sets")
        return dataset_setup(name)
    hint = did_you_mean(name, problems.names() + datasets.names())
    raise DescendError(f"unknown problem or data set {name!r}; problems: {', '.join(problems.names())}; "
                       f"data sets: {', '.join(datasets.names())}{hint}")


def parse_hyperparameters(items, *, what: str = "--hp", lists: bool = False) -> dict:
    """``("momentum=0.9", "betas=0.9/0.999")`` -> keyword arguments.

    With ``lists=True`` every value is a comma list (a grid axis): ``"momentum=0,0.9"``.
    """
    from ..sweeps.grid import parse_values

    out = {}
    for item in items or ():
        if "=" not in item:
            raise DescendError(f"{what} must look like key=value, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip().replace("-", "_")
        if not key:
            raise DescendError(f"{what} needs a name before '=', got {item!r}")
        values = parse_values(value)
        if lists:
            out[key] = values
        elif len(values) != 1:
            raise DescendError(f"{what} {key} takes one value here, got {value!r}")
        else:
            out[key] = values[0]
    return out


def _names(text: str, what: str) -> list[str]:
    names = [t.strip() for t in (text or "").split(",") if t.strip()]
    if not names:
        raise DescendError(f"{what} must be a comma list of names, got {text!r}")
    return names


def _count(name, value, lo=1):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return value


def _console(out):
    from rich.console import Console

    out = out or sys.stdout
    console = Console(file=out, highlight=False)
    if not console.is_terminal:
        console = Console(file=out, highlight=False, width=200)
    return console


def _fmt(v, column=None) -> str:
    """A cell by its column's kind (descend.fmt: significant digits, units, a dash when missing)."""
    from .. import fmt

    if isinstance(v, (list, tuple)):
        return "/".join(_fmt(x, column) for x in v)
    return fmt.cell(v, fmt.kind_of(column) if column else None)


def _rich_table(title, rows):
    from rich.markup import escape
    from rich.table import Table

    from .. import fmt

    t = Table(title=title, title_justify="left")
    cols = list(dict.fromkeys(k for r in rows for k in r))
    for c in cols:
        t.add_column(fmt.header(c), justify="left" if c in ("optimizer", "problem", "status", "sweep") else "right")
    for r in rows:
        t.add_row(*[escape(_fmt(r.get(c), c)) for c in cols])
    return t


def _without_idle_columns(summary):
    """The summary without its "converged" column when no run converged: a sweep from the command line
    has no gtol, so the column is 0 everywhere and read as a contradiction beside "reached tol"."""
    if any(s.get("converged") for s in summary):
        return summary
    return [{k: v for k, v in s.items() if k != "converged"} for s in summary]


def _stored_runs(store) -> int:
    """How many runs the store at ``store`` holds now (0 when there is none yet)."""
    import os

    from ..sweeps.store import SweepStore

    if store is None or not os.path.exists(store):
        return 0
    with SweepStore(store, "r") as st:
        return st.count()


def _frame(rows):
    """Flat rows as a DataFrame when pandas is installed."""
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else None)


def _dump(out, obj):
    (out or sys.stdout).write(json_text(obj) + "\n")


def cli_sweep(target: str, *, optimizer: str = "gd", lr: str = "1e-4:1:13", hp=(), seeds: int | None = None,
              starts: int | None = None, steps: int | None = None, epochs: int | None = None,
              batch_size: str | None = None, params=(), store: str | None = None, backend: str = "auto",
              scheduler: str | None = None, n_jobs: int | None = None, extend: bool = False, tol: float = 1e-6,
              as_json: bool = False, out=None):
    """``descend sweep PROBLEM_OR_DATASET --optimizer adam,sgd --lr 1e-4:1:13 [--seeds 5] [--store sweep.db]``.

    Parameters (all as typed on the command line)
    ----------
    target : a problem or data set name.
    optimizer : comma list of optimizer names.
    lr : ``"a:b:k"`` (k log-spaced values from a to b), a comma list, or one number.
    hp : ``("momentum=0,0.9", ...)``: more grid axes (comma lists; tuples with ``/``).
    seeds : number of seeds (0 .. seeds-1); default 1.
    starts : problems: number of random starts per seed (default: the problem's x0).
    steps / epochs : per problem run / per training run.
    batch_size : training: comma list of sizes (``none`` for full batch).
    params : problem parameters ``("n=5",)``.
    store, backend, scheduler, n_jobs, extend, tol : as :func:`descend.sweeps.sweep`.
    as_json : print the runs (curves left out) as JSON instead of a summary table.
    out : a text stream (default stdout).

    Returns the sweep's table.
    """
    from ..sweeps.grid import check_runs, parse_lr, parse_values
    from ..sweeps.report import summarize
    from ..sweeps.run import sweep

    tgt = resolve_target(target, params)
    grid = {"optimizer": _names(optimizer, "--optimizer"), "lr": parse_lr(lr)}
    grid.update(parse_hyperparameters(hp, lists=True))
    seeds = _count("--seeds", seeds)
    if seeds is not None:
        check_runs(seeds, f"--seeds {seeds}")
        grid["seed"] = list(range(seeds))
    starts = _count("--starts", starts)
    from ..problems import Problem

    if starts is not None:
        if not isinstance(tgt, Problem):
            raise DescendError("--starts applies to problems; a training run starts from its seed's weights")
        grid["start"] = starts
    if batch_size is not None:
        if isinstance(tgt, Problem):
            raise DescendError("--batch-size applies to data sets, not problems")
        sizes = parse_values(batch_size)
        grid["batch_size"] = sizes
    if isinstance(tgt, Problem):
        if epochs is not None:
            raise DescendError("--epochs applies to data sets; a problem sweep takes --steps")
        kw = {"steps": steps}
    else:
        if steps is not None:
            raise DescendError("--steps applies to problems; a training sweep takes --epochs")
        kw = {"epochs": epochs}
    before = _stored_runs(store)
    rows = sweep(tgt, grid, store=store, backend=backend, scheduler=scheduler, n_jobs=n_jobs, extend=extend,
                 tol=tol, as_records=True, **kw)
    skipped = len(rows) - (_stored_runs(store) - before) if store is not None else 0
    table = _frame(rows)
    if as_json:
        _dump(out, [{k: v for k, v in r.items() if k not in ("curve", "val_curve")} for r in rows])
        return table
    console = _console(out)
    summary = summarize(rows)
    summary = _without_idle_columns(summary)
    label = getattr(tgt, "name", None) or getattr(tgt, "label", target)
    console.print(_rich_table(f"sweep {label}: {len(rows)} runs" + (f" (store {store})" if store else ""),
                              summary))
    from .. import i18n

    if isinstance(tgt, Problem):
        console.print(i18n.t("cli.sweep.tol_note", tol=f"{tol:g}"))
    if skipped and skipped == len(rows):
        console.print(i18n.t("cli.sweep.skipped_all", count=len(rows), store=store))
    elif skipped:
        console.print(i18n.t("cli.sweep.skipped_some", skipped=skipped, count=len(rows), store=store))
    return table


def _check_plot(path) -> None:
    """Refuse a --plot path descend may not write (a link, a file it did not write, no such folder, not a
    picture format) now, before the computation."""
    from ..plot import _base

    _base.check_save(path)


def _save_plot(fig, path) -> None:
    """Save a --plot figure with descend's own labels in the CLI's language (the locale's, or
    :func:`descend.i18n.set_lang`'s), as ``descend demo`` picks it."""
    from ..i18n import get_lang
    from ..i18n.plots import translate_figure
    from ..plot import _base

    _base.save(translate_figure(fig, get_lang()), path, dpi=110)


def cli_lr_find(target: str, *, optimizer: str | None = None, min_lr: float = 1e-7, max_lr: float = 10.0,
                steps: int = 200, method: str = "minimum", batch_size: str | None = "32", seed: int = 0,
                hp=(), params=(), plot: str | None = None, as_json: bool = False, out=None):
    """``descend lr-find PROBLEM_OR_DATASET [--optimizer sgd] [--min-lr ..] [--max-lr ..] [--plot lr.png]``.

    Prints the summary (suggestion; for a problem the curvature, 2/L and the measured
    divergence boundary); ``plot`` writes the loss-against-lr figure.  Returns the
    :class:`~descend.sweeps.lr_find.LRFinderResult`.
    """
    from ..problems import Problem
    from ..sweeps.grid import parse_values
    from ..sweeps.lr_find import lr_find

    if plot:
        _check_plot(plot)
    tgt = resolve_target(target, params)
    kwargs = parse_hyperparameters(hp)
    bs = 32  # unused by a problem
    if not isinstance(tgt, Problem):
        values = parse_values(batch_size) if batch_size is not None else [None]
        if len(values) != 1:
            raise DescendError(f"--batch-size takes one value for lr-find, got {batch_size!r}")
        bs = values[0]
    res = lr_find(tgt, optimizer=optimizer, min_lr=min_lr, max_lr=max_lr, steps=steps, method=method,
                  batch_size=bs, seed=seed, **kwargs)
    if plot:
        _save_plot(res.plot(), plot)
    if as_json:
        c = res.curvature
        _dump(out, {"suggestion": res.suggestion, "method": res.method, "lr_steepest": res.lr_steepest,
                    "lr_min_loss": res.lr_min_loss, "stopped_early": res.stopped_early,
                    "lrs": res.lrs, "losses": res.losses, "smoothed": res.smoothed,
                    "curvature": None if c is None else {"L": c.L, "mu": c.mu, "stable_lr": c.stable_lr,
                                                         "kappa": c.kappa, "rate": c.rate, "x": c.x},
                    "boundary": res.boundary, "boundary_ratio": res.boundary_ratio})
        return res
    (out or sys.stdout).write(res.summary() + "\n" + (f"plot written to {plot}\n" if plot else ""))
    return res


def cli_benchmark(problems: str, optimizers: str, *, budget: int = 1000, starts: int = 20, seeds: int = 3,
                  lr: str | None = None, tol: float = 1e-6, plot: str | None = None, as_json: bool = False,
                  out=None):
    """``descend benchmark rosenbrock,himmelblau --optimizers gd,momentum,adam [--budget 1000] [--plot b.png]``.

    ``seeds`` is a count (seeds 0 .. seeds-1); ``lr`` the tuning grid as for
    :func:`descend.sweeps.parse_lr` (default 1e-5 .. 1, four per decade).  Returns the
    :class:`~descend.sweeps.benchmark.BenchmarkResult`.
    """
    from ..sweeps.benchmark import benchmark_optimizers
    from ..sweeps.grid import parse_lr

    seeds = _count("--seeds", seeds)
    if plot:
        _check_plot(plot)
    res = benchmark_optimizers(_names(problems, "problems"), _names(optimizers, "--optimizers"), budget=budget,
                               starts=starts, seeds=list(range(seeds)), lrs=None if lr is None else parse_lr(lr),
                               tol=tol)
    if plot:
        _save_plot(res.plot(), plot)
    if as_json:
        _dump(out, res.summary_rows)
        return res
    console = _console(out)
    rows = [{"problem": r["problem"], "optimizer": r["optimizer"], "lr": r["lr"], "runs": r["runs"],
             "success": f"{r['success_rate']:.0%}", "evals median": r["evals_median"],
             "evals q25": r["evals_q25"], "evals q75": r["evals_q75"], "distance median": r["distance_median"]}
            for r in res.summary_rows]
    console.print(_rich_table(f"benchmark: tuned lr, budget {res.budget} gradient evaluations, tol {res.tol:g}",
                              rows))
    if plot:
        console.print(f"plot written to {plot}")
    return res


def cli_report(store: str, *, out_dir: str | None = None, as_json: bool = False, out=None):
    """``descend report sweep.db [--out DIR]``: the store's summary table; with ``out_dir`` also
    ``runs.csv``, ``summary.csv``, ``final_loss.png`` and ``curves.png``.  Returns the summary rows.
    """
    from .. import i18n
    from ..sweeps.report import summarize, write_report
    from ..sweeps.run import load
    from ..sweeps.store import SweepStore

    with SweepStore(store, "r") as st:
        count, defs = st.count(), st.definitions
    table = load(store, as_records=True)
    summary = summarize(table)
    paths = write_report(table, out_dir, lang=i18n.get_lang()) if out_dir else []
    if as_json:
        _dump(out, {"runs": count, "sweeps": defs, "summary": summary, "written": paths})
        return summary
    console = _console(out)
    for d in defs:
        fixed = ", ".join(f"{k}={v}" for k, v in d["definition"].get("fixed", {}).items() if v is not None)
        console.print(f"sweep {d['hash'][:8]}: {d['definition'].get('kind')} "
                      f"{d['definition'].get('target', {}).get('name')!r}, {fixed}")
    shown = [{**r, "sweep": r["sweep"][:8]} if "sweep" in r else r for r in _without_idle_columns(summary)]
    console.print(_rich_table(f"{store}: {count} runs", shown))
    for p in paths:
        console.print(f"wrote {p}")
    return summary


@click.command("sweep")
@click.argument("target")
@click.option("--optimizer", default="gd", show_default=True, help="Comma-separated optimizer names.")
@click.option("--lr", default="1e-4:1:13", show_default=True, help="a:b:k (k log-spaced values), a list, or one.")
@click.option("--hp", multiple=True, help="More grid axes, key=v1,v2 (repeatable).")
@click.option("--seeds", type=int, default=None, help="Number of seeds.")
@click.option("--starts", type=int, default=None, help="Problems: random starts per seed.")
@click.option("--steps", type=int, default=None, help="Problems: steps per run.")
@click.option("--epochs", type=int, default=None, help="Data sets: epochs per run.")
@click.option("--batch-size", "batch_size", default=None, help="Data sets: comma list of batch sizes.")
@click.option("--param", "params", multiple=True, help="Problem parameter key=value.")
@click.option("--store", default=None, help="SQLite file: finished runs are kept and skipped on a rerun.")
@click.option("--backend", default="auto", show_default=True, help="auto, local, loky or dask.")
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://127.0.0.1:8786.")
@click.option("--jobs", "n_jobs", type=int, default=None, help="Local worker processes.")
@click.option("--extend", is_flag=True, help="Add this sweep to a store made by another definition.")
@click.option("--tol", type=float, default=1e-6, show_default=True,
              help="Gap to the minimum (problems) that counts as reached.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON instead of a summary table.")
def sweep_cmd(target, **kwargs):
    """Run a grid of optimizers and hyperparameters on a problem or a data set."""
    cli_sweep(target, **kwargs)


@click.command("lr-find")
@click.argument("target")
@click.option("--optimizer", default=None, help="Optimizer (default: plain gradient descent / SGD).")
@click.option("--min-lr", type=float, default=1e-7, show_default=True, help="The first learning rate tried.")
@click.option("--max-lr", type=float, default=10.0, show_default=True, help="The last learning rate tried.")
@click.option("--steps", type=int, default=200, show_default=True,
              help="Updates, the lr growing geometrically from --min-lr to --max-lr.")
@click.option("--method", default="minimum", show_default=True,
              help="How to pick the suggestion: minimum (a tenth of the lr at the lowest loss) or steepest.")
@click.option("--batch-size", "batch_size", default="32", show_default=True,
              help="Data sets: the batch size ('full' for the whole set).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the weights and the batch order.")
@click.option("--hp", multiple=True, help="Optimizer hyperparameter key=value (repeatable).")
@click.option("--param", "params", multiple=True, help="Problem parameter key=value (repeatable).")
@click.option("--plot", default=None, type=click.Path(dir_okay=False), help="Write loss against lr to this PNG.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def lr_find_cmd(target, plot, **kwargs):
    """The learning-rate range test (and, for a problem, the curvature bound 2/L)."""
    # checked here for problems too (which use no batches): --batch-size 0 is an error anywhere
    sizes = batch_sizes(kwargs["batch_size"])
    if len(sizes) != 1:
        raise DescendError(f"--batch-size takes one value for lr-find, got {kwargs['batch_size']!r}")
    kwargs["batch_size"] = "none" if sizes[0] is None else str(sizes[0])
    if plot:
        refuse_overwrite(plot)
    cli_lr_find(target, plot=plot, **kwargs)


@click.command("benchmark")
@click.argument("problems")
@click.option("--optimizers", default="gd,momentum,adagrad,rmsprop,adam", show_default=True,
              help="Comma-separated optimizer names.")
@click.option("--budget", type=int, default=1000, show_default=True, help="Gradient evaluations per run.")
@click.option("--starts", type=int, default=20, show_default=True, help="Random starts per seed.")
@click.option("--seeds", type=int, default=3, show_default=True, help="Number of seeds (0 .. seeds-1).")
@click.option("--lr", default=None, help="The tuning grid, a:b:k.")
@click.option("--tol", type=float, default=1e-6, show_default=True, help="Gap to the minimum that counts as solved.")
@click.option("--plot", default=None, type=click.Path(dir_okay=False), help="Write the results' figure to this PNG.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def benchmark_cmd(problems, optimizers, plot, **kwargs):
    """A fair optimizer benchmark: each optimizer's lr tuned under the same budget, many starts."""
    if plot:
        refuse_overwrite(plot)
    cli_benchmark(problems, optimizers, plot=plot, **kwargs)


@click.command("report")
@click.argument("store", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Also write CSV files and plots to this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def report_cmd(store, out_dir, as_json):
    """Tables (and with --out, plots and CSV files) from a sweep store."""
    import os

    if not os.path.exists(store):
        raise DescendError(f"no sweep store at {store}")
    cli_report(store, out_dir=out_dir, as_json=as_json)
