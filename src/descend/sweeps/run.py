"""Running a sweep: vectorized problem runs, training runs in processes (joblib/loky) or on Dask.

:func:`sweep` is the entry point.  How the runs are carried out:

* **A problem** (a :class:`descend.problems.Problem` or a plain function): the runs of
  one optimizer that share their non-numeric hyperparameters (``betas``, ``nesterov``,
  ...) go through :func:`descend.minimize` as one (R, n) array, the learning rate and
  every numeric hyperparameter as an (R,) array.  Rows are independent, so each row
  is bit for bit the single run with its settings (the tests check this).  The runs
  are cut into chunks of ``chunk_size`` rows, and each chunk's rows are stored when
  the chunk finishes.
* **A training setup** (:class:`TrainingSetup`): each run builds its model from its
  seed and calls :func:`descend.train`; runs go to worker processes of this machine
  (``backend="loky"``, joblib) or to a Dask cluster (``backend="dask"`` with
  ``scheduler="tcp://host:port"``), and each run is stored as it comes back.

Either kind runs on any backend: ``"local"`` (this process), ``"loky"`` or ``"dask"``;
``"auto"`` is ``"local"`` for a problem and ``"loky"`` for a training setup with more
than one run.  Only the process that called :func:`sweep` writes to the store.

Worker lifetime (``"loky"``): the workers are kept for the next sweep while they are
idle for less than :data:`WORKER_IDLE_S` (30 s), then exit; they end when the process
exits normally (Ctrl-C included); if the process is killed with SIGKILL they notice
it only through that idle timeout and exit within about a minute (30 s idle, then
loky's 30 s wait for the parent; joblib's default idle time alone is 300 s).

The targets and the expansion of a grid into runs are in :mod:`.targets`; the runners and the
backends in :mod:`.runners`; this module drives them and makes the table.
"""

from __future__ import annotations

import numbers
import os
import sys
import time

from ..errors import DescendError
from .grid import RESERVED, Grid, digest
from .runners import is_numeric, problem_tasks, run_dask, run_local, run_loky, run_problem_chunk, training_task
from .targets import TrainingSetup, expand_runs, problem_identity, target_kind

__all__ = ["sweep", "TrainingSetup", "load", "to_table", "BACKENDS"]

BACKENDS = ("auto", "local", "loky", "dask")

#: Seconds an idle loky worker waits for its next task before it exits (joblib's default is 300).
#: The workers stay between sweeps of one session for this long; at a normal exit of the process
#: they end with it; when the process is killed (SIGKILL), they end within this plus 30 s (a
#: worker that times out waits up to 30 s for its parent before it exits: loky's own wait).
WORKER_IDLE_S = 30.0

#: memory the (steps+1, R) histories of one chunk may take (f, gradient norm, lr), bytes
_CHUNK_BYTES = 64 * 2**20


# ---------------------------------------------------------------------------------- progress

#: seconds between two progress lines of a sweep whose stderr is not a terminal (the first after as long)
PROGRESS_EVERY = 2.0

class _Progress:
    """A rich progress bar on stderr over the runs; when stderr is not a terminal, a plain line
    (``120/400 runs, 4.20 s``, in the locale's language) every :data:`PROGRESS_EVERY` seconds once the
    sweep has taken that long: a short sweep stays quiet."""

    def __init__(self, total: int, enabled: bool, label: str):
        self._bar = None
        self._lines = enabled and total > 0 and not sys.stderr.isatty()
        self._total, self._done = total, 0
        self._t0 = self._last = time.perf_counter()
        if not (enabled and total > 0 and sys.stderr.isatty()):
            return
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        except ImportError:  # pragma: no cover - rich is a dependency
            return
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int) -> None:
        self._done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)
        elif self._lines and time.perf_counter() - self._last >= PROGRESS_EVERY:
            from .. import fmt, i18n

            self._last = time.perf_counter()
            print(i18n.t("cli.progress.sweep", None, done=self._done, total=self._total,
                         seconds=fmt.seconds(self._last - self._t0)), file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


# ---------------------------------------------------------------------------------- tables

_FIRST = ("key", "optimizer", "lr")
_SETTINGS_LAST = ("batch_size", "seed", "start", "x0")
_RESULTS = ("final_loss", "best_loss", "steps_to_tol", "status", "nit", "ngev", "distance", "x",
            "final_val_loss", "best_val_loss", "wall_time", "message")


def _rows(records: list[dict]) -> tuple[list[dict], list[str]]:
    hp_cols = []
    for r in records:
        for k in r["settings"]:
            if k not in RESERVED and k != "x0" and k not in hp_cols:
                hp_cols.append(k)
    hp_cols.sort()
    present = set()
    for r in records:
        present |= set(r["settings"]) | set(r["result"])
    columns = ["key", "optimizer", "lr"] + hp_cols + [c for c in _SETTINGS_LAST if c in present]
    columns += [c for c in _RESULTS if c in present] + ["curve"]
    if any(r.get("val_curve") is not None for r in records):
        columns.append("val_curve")
    if any("sweep" in r for r in records):
        columns.append("sweep")
    rows = []
    for r in records:
        row = dict.fromkeys(columns)
        row["key"] = r["key"]
        row.update({k: v for k, v in r["settings"].items() if k in row})
        row.update({k: v for k, v in r["result"].items() if k in row})
        row["curve"] = r.get("curve")
        if "val_curve" in row:
            row["val_curve"] = r.get("val_curve")
        if "sweep" in row:
            row["sweep"] = r.get("sweep")
        rows.append(row)
    return rows, columns


def to_table(records: list[dict], *, as_records: bool = False):
    """Runs as a table: a pandas DataFrame when pandas is installed (else a list of dicts).

    One row per run: its key, settings (optimizer, lr, hyperparameters, batch_size,
    seed, start and x0), then ``final_loss``, ``best_loss``, ``steps_to_tol``,
    ``status``, ``nit``, ``ngev``, (problems) ``distance`` and final ``x``,
    (validation) ``final_val_loss`` and ``best_val_loss``, ``wall_time``, ``message``
    and the ``curve``.
    """
    rows, columns = _rows(records)
    if as_records:
        return rows
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows, columns=columns)


def load(store, *, curves: bool = True, as_records: bool = False):
    """Every run in a sweep store as a table (see :func:`to_table`); reading needs no lock."""
    from .store import SweepStore

    with SweepStore(store, "r") as st:
        records = st.records(curves=curves)
    return to_table(records, as_records=as_records)


# ---------------------------------------------------------------------------------- sweep

def _check_int_param(name, value, lo=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def sweep(target, grid, *, steps: int | None = None, epochs: int | None = None, store=None,
          backend: str = "auto", scheduler=None, n_jobs: int | None = None, extend: bool = False,
          tol: float | None = 1e-6, gtol: float | None = None, max_growth: float | None = 1e8,
          chunk_size: int | None = None, curves: bool = True, lock_timeout: float = 10.0,
          progress: bool = True, as_records: bool = False):
    """Run every combination of ``grid`` on ``target``; return one row per run.

    Parameters
    ----------
    target : Problem, callable or TrainingSetup
        A problem (or a function ``f(x)``, minimized with a numerical gradient from the
        starts given in the grid), or a :class:`TrainingSetup`.
    grid : dict of lists, or a list of such dicts
        ``optimizer``, ``lr``, any hyperparameter, ``batch_size`` (training), ``seed``
        and ``start`` (problems: a count of random starts from ``Problem.domain``, or
        points); see :mod:`descend.sweeps.grid`.
    steps : int, default 100
        Updates per problem run (problems only).
    epochs : int, default 1
        Epochs per training run (training setups only).
    store : str or PathLike, optional
        An SQLite file: each run is committed as it finishes, runs already there are
        skipped (so a killed sweep resumes), and a store of another sweep is refused
        unless ``extend=True``.
    backend : {"auto", "local", "loky", "dask"}
        Where runs execute (see the module docstring).
    scheduler : str or distributed.Client, optional
        The Dask scheduler (``"tcp://host:port"``), with ``backend="dask"``.
    n_jobs : int, optional
        Worker processes for ``"loky"`` (default: every core).
    extend : bool, default False
        Add this sweep's runs to a store made by another sweep definition.
    tol : float or None, default 1e-6
        ``steps_to_tol`` is the first step at which the loss is within ``tol`` of the
        problem's known minimum (of 0 when unknown, and for training, where the
        per-update batch loss is used).
    gtol, max_growth : passed to :func:`descend.minimize` (problems).
    chunk_size : int, optional
        Rows per vectorized problem batch (default: as many as keep the histories under
        64 MiB, at most 4096); also the commit unit of the store.
    curves : bool, default True
        Keep each run's loss curve (in the table and the store).
    lock_timeout : float, default 10
        Seconds to wait for another sweep writing to the same store.
    progress : bool, default True
        A progress bar on stderr (silent when stderr is not a terminal).
    as_records : bool, default False
        Return a list of dicts even when pandas is installed.

    Returns
    -------
    pandas.DataFrame or list of dict
        One row per run of the grid, in grid order (runs found in the store included),
        with the columns of :func:`to_table`.
    """
    kind = target_kind(target)
    g = Grid(grid, kind)
    fixed, ident = _fixed_settings(target, kind, steps, epochs, tol, gtol, max_growth)
    n_jobs, chunk_size = _check_execution(backend, scheduler, n_jobs, chunk_size, lock_timeout)
    runs = expand_runs(target, g, ident, fixed)
    definition = {"kind": kind, "target": ident, "fixed": fixed, "grid": g.definition()}
    sweep_hash = digest(definition)
    st = _open_store(store, lock_timeout)
    try:
        todo = _todo(st, runs, sweep_hash, definition, extend)
        results = _start(target, kind, todo, dict(fixed, curves=bool(curves)), backend, scheduler, n_jobs,
                         chunk_size)
        new = _collect(results, st, sweep_hash, len(todo), progress, f"sweep {ident.get('name', '')}")
        records = _in_grid_order(runs, new, st, curves)
    finally:
        if st is not None:
            st.close()
    for rec in records:
        rec.pop("sweep", None)
        rec.pop("finished", None)
        if not curves:
            rec["curve"] = rec["val_curve"] = None
    return to_table(records, as_records=as_records)


def _fixed_settings(target, kind, steps, epochs, tol, gtol, max_growth) -> tuple[dict, dict]:
    """Check: what every run of the sweep shares (``fixed``) and the target's identity."""
    if kind == "problem":
        if epochs is not None:
            raise DescendError("epochs applies to training sweeps; a problem sweep takes steps=")
        steps = 100 if steps is None else _check_int_param("steps", steps, 0)
        if gtol is not None and not (is_numeric(gtol) and gtol >= 0):
            raise DescendError(f"gtol must be None or a number >= 0, got {gtol!r}")
        if max_growth is not None and not (is_numeric(max_growth) and max_growth > 0):
            raise DescendError(f"max_growth must be None or a number > 0, got {max_growth!r}")
        fixed = {"steps": steps, "gtol": gtol, "max_growth": max_growth, "tol": tol}
        ident = problem_identity(target)
    else:
        if steps is not None:
            raise DescendError("steps applies to problem sweeps; a training sweep takes epochs=")
        epochs = 1 if epochs is None else _check_int_param("epochs", epochs, 1)
        fixed = {"epochs": epochs, "tol": tol}
        ident = target.identity()
    if tol is not None and not (is_numeric(tol) and tol >= 0):
        raise DescendError(f"tol must be None or a number >= 0, got {tol!r}")
    return fixed, ident


def _check_execution(backend, scheduler, n_jobs, chunk_size, lock_timeout) -> tuple[int | None, int | None]:
    """Check where and how the runs execute; ``n_jobs`` and ``chunk_size`` as ints (or None)."""
    if backend not in BACKENDS:
        raise DescendError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if scheduler is not None and backend != "dask":
        raise DescendError(f"scheduler is for backend='dask', got backend={backend!r}")
    if n_jobs is not None:
        n_jobs = _check_int_param("n_jobs", n_jobs, 1)
    if chunk_size is not None:
        chunk_size = _check_int_param("chunk_size", chunk_size, 1)
    if not (is_numeric(lock_timeout) and lock_timeout >= 0):  # checked with or without a store
        raise DescendError(f"lock_timeout must be a number of seconds >= 0, got {lock_timeout!r}")
    return n_jobs, chunk_size


def _open_store(store, lock_timeout):
    """The store opened for writing (its lock taken), or None without one."""
    if store is None:
        return None
    from .store import SweepStore

    return SweepStore(store, "w", lock_timeout=lock_timeout)


def _todo(st, runs, sweep_hash, definition, extend) -> list[tuple[str, dict]]:
    """The runs still to do: all of them, or (with a store) those it has not finished."""
    done = set()
    if st is not None:
        st.attach(sweep_hash, definition, extend=extend)
        done = st.finished_keys()
    return [(k, s) for k, s in runs if k not in done]


def _start(target, kind, todo, fixed_run, backend, scheduler, n_jobs, chunk_size):
    """Cut the runs into tasks and hand them to the backend: a generator of finished batches."""
    if kind == "problem":
        size = chunk_size or int(min(4096, max(16, _CHUNK_BYTES // (24 * (fixed_run["steps"] + 1)))))
        tasks = problem_tasks(todo, size)
        fn = run_problem_chunk
    else:
        tasks = [{"runs": [r]} for r in todo]
        fn = training_task
    if backend == "auto":
        backend = "local" if kind == "problem" or len(tasks) <= 1 or n_jobs == 1 else "loky"
    if backend == "local":
        return run_local(fn, target, tasks, fixed_run)
    if backend == "loky":
        return run_loky(fn, target, tasks, fixed_run, n_jobs or os.cpu_count() or 1, WORKER_IDLE_S)
    return run_dask(fn, target, tasks, fixed_run, scheduler)


def _collect(results, st, sweep_hash, total, progress, label) -> dict[str, dict]:
    """Each batch as it finishes: into the store (committed), counted on the progress bar."""
    new: dict[str, dict] = {}
    bar = _Progress(total, progress, label)
    try:
        for batch in results:
            if st is not None:
                st.add(batch, sweep_hash)
            for rec in batch:
                new[rec["key"]] = rec
            bar.advance(len(batch))
    finally:
        bar.close()
        close = getattr(results, "close", None)
        if close is not None:
            close()
    return new


def _in_grid_order(runs, new, st, curves) -> list[dict]:
    """The records of every run in grid order: the new ones, and the store's for runs done before."""
    old = {}
    if st is not None and len(new) < len(runs):
        for rec in st.records([k for k, _ in runs if k not in new], curves=curves):
            old[rec["key"]] = rec
    records = []
    for key, _ in runs:
        rec = new.get(key) or old.get(key)
        if rec is not None:
            records.append(rec)
    return records
