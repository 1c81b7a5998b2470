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
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import numbers
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DescendError
from .grid import RESERVED, Grid, digest, recordable

__all__ = ["sweep", "TrainingSetup", "load", "to_table", "BACKENDS"]

BACKENDS = ("auto", "local", "loky", "dask")

#: Seconds an idle loky worker waits for its next task before it exits (joblib's default is 300).
#: The workers stay between sweeps of one session for this long; at a normal exit of the process
#: they end with it; when the process is killed (SIGKILL), they end within this plus 30 s (a
#: worker that times out waits up to 30 s for its parent before it exits: loky's own wait).
WORKER_IDLE_S = 30.0

#: memory the (steps+1, R) histories of one chunk may take (f, gradient norm, lr), bytes
_CHUNK_BYTES = 64 * 2**20


# ---------------------------------------------------------------------------------- targets

@dataclasses.dataclass(frozen=True, eq=False)
class TrainingSetup:
    """What a training sweep trains: a model factory, the data and the loss.

    Parameters
    ----------
    model_factory : callable
        ``model_factory(seed) -> descend.nn.Sequential``: a fresh model whose initial
        weights come from ``seed`` (a factory taking no argument is called as
        ``model_factory()``).  Sent to worker processes, so it must pickle (joblib and
        Dask use cloudpickle: lambdas and closures are fine).
    X, y : array_like
        The training data (never modified).
    loss : str or descend.nn.Loss
        E.g. ``"mse"`` or ``"cross_entropy"``.
    validation : (X_val, y_val), optional
        Evaluated after every epoch: the table gets ``final_val_loss``, ``best_val_loss``
        and a ``val_curve``.
    name : str, optional
        A label for tables and the store (default: the factory's name).

    The store tells two setups apart by ``name``, the loss, the factory's qualified
    name and a SHA-256 of the data; a factory whose code changed under the same name
    is not noticed (give it a new ``name``).
    """

    model_factory: Callable
    X: Any
    y: Any
    loss: Any
    validation: Any = None
    name: str | None = None

    def __post_init__(self):
        if not callable(self.model_factory):
            raise DescendError(f"model_factory must be callable (seed -> Sequential), got {self.model_factory!r}")
        X, y = np.asarray(self.X), np.asarray(self.y)
        if X.dtype.kind not in "biuf" or X.ndim != 2 or len(X) == 0:
            raise DescendError(f"X must be a non-empty (n_samples, n_features) array of numbers, "
                               f"got shape {X.shape} and dtype {X.dtype}")
        if y.ndim == 0 or len(y) != len(X):
            raise DescendError(f"y must have one row per sample of X ({len(X)}), got shape {y.shape}")
        from ..nn.losses import get as get_loss

        get_loss(self.loss)  # refuses an unknown loss now, not in a worker
        if self.validation is not None:
            v = self.validation
            if not (isinstance(v, (tuple, list)) and len(v) == 2):
                raise DescendError("validation must be a pair (X_val, y_val)")
            Xv, yv = np.asarray(v[0]), np.asarray(v[1])
            if Xv.ndim != 2 or Xv.shape[1] != X.shape[1] or len(yv) != len(Xv):
                raise DescendError(f"validation X_val must have shape (m, {X.shape[1]}) and y_val one row per "
                                   f"sample, got shapes {Xv.shape} and {yv.shape}")
        if self.name is not None and (not isinstance(self.name, str) or not self.name):
            raise DescendError(f"name must be a non-empty string or None, got {self.name!r}")

    @property
    def label(self) -> str:
        return self.name or getattr(self.model_factory, "__name__", type(self.model_factory).__name__)

    def build(self, seed: int):
        """A fresh model from ``model_factory``."""
        import inspect

        from ..nn.model import Sequential

        try:
            takes = len(inspect.signature(self.model_factory).parameters) > 0
        except (TypeError, ValueError):
            takes = True
        model = self.model_factory(seed) if takes else self.model_factory()
        if not isinstance(model, Sequential):
            raise DescendError(f"model_factory must return a descend.nn.Sequential, got {type(model).__name__}")
        return model

    def identity(self) -> dict:
        h = hashlib.sha256()
        arrays = [self.X, self.y] + (list(self.validation) if self.validation is not None else [])
        for a in arrays:
            a = np.ascontiguousarray(a)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        factory = f"{getattr(self.model_factory, '__module__', '?')}.{getattr(self.model_factory, '__qualname__', '?')}"
        return {"type": "training", "name": self.label, "data": h.hexdigest()[:32], "loss": repr(self.loss),
                "factory": factory, "n": int(len(np.asarray(self.X)))}

    def __repr__(self) -> str:
        X = np.asarray(self.X)
        val = "" if self.validation is None else f", validation={len(np.asarray(self.validation[0]))} samples"
        return f"TrainingSetup({self.label!r}, X {X.shape}, loss={self.loss!r}{val})"


def _problem_identity(target) -> dict:
    from ..problems import Problem

    if isinstance(target, Problem):
        recipe = getattr(target, "_recipe", None)
        ident = {"type": "problem", "name": target.name,
                 "params": {k: recordable(v, k) for k, v in target.params.items()}}
        if recipe is None:  # home-made: say what we can see
            ident.update(x0=target.x0.tolist(), description=target.description)
        return ident
    name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__name__)}"
    return {"type": "function", "name": name}


def _target_kind(target) -> str:
    from ..problems import Problem

    if isinstance(target, TrainingSetup):
        return "training"
    if isinstance(target, Problem) or callable(target):
        return "problem"
    raise DescendError(f"target must be a Problem, a function f(x) or a TrainingSetup, got {type(target).__name__}")


# ---------------------------------------------------------------------------------- runs

def _random_starts(domain: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k points uniform in the box ``domain`` (n, 2), from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    lo, hi = domain[:, 0], domain[:, 1]
    return lo + (hi - lo) * rng.random((k, domain.shape[0]))


def _expand(target, grid: Grid, ident: dict, fixed: dict) -> list[tuple[str, dict]]:
    """(key, settings) of every run, in grid order; a problem's settings carry the start point."""
    from ..problems import Problem

    is_problem = grid.kind == "problem"
    draws: dict[tuple[int, int], np.ndarray] = {}
    out, seen = [], set()
    for run in grid.runs():
        settings = dict(run)
        if is_problem:
            start = settings.pop("start", None)
            if start is None:
                if not isinstance(target, Problem):
                    raise DescendError("a plain function has no default start: give grid['start'] as a list of "
                                       "points")
                x0 = target.x0
                settings["start"] = None
            elif start[0] == "random":
                if not isinstance(target, Problem):
                    raise DescendError("random starts are drawn from a Problem's domain; for a plain function "
                                       "give grid['start'] as a list of points")
                _, i, count = start
                key = (settings["seed"], count)
                if key not in draws:
                    draws[key] = _random_starts(target.domain, count, settings["seed"])
                x0 = draws[key][i]
                settings["start"] = i
            else:
                x0 = np.array(start[1])
                if isinstance(target, Problem) and x0.shape != (target.dim,):
                    raise DescendError(f"grid['start'] points must have {target.dim} coordinates for "
                                       f"{target.name!r}, got {x0.size}")
                settings["start"] = None
            settings["x0"] = [float(v) for v in np.asarray(x0, dtype=np.float64).reshape(-1)]
        plain = {k: recordable(v, k) for k, v in settings.items()}
        key = digest({"target": ident, "fixed": fixed, "settings": plain})
        if key in seen:
            continue
        seen.add(key)
        out.append((key, settings))
    return out


def _is_numeric(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _problem_tasks(runs: list[tuple[str, dict]], chunk_size: int) -> list[dict]:
    """Group runs that can share one optimizer object, then cut the groups into chunks."""
    groups: dict[str, list] = {}
    for key, s in runs:
        hps = {k: v for k, v in s.items() if k not in RESERVED and k != "x0"}
        shared = {k: v for k, v in hps.items() if not _is_numeric(v)}
        gkey = repr((s["optimizer"], sorted(hps), sorted(shared.items(), key=lambda kv: kv[0])))
        groups.setdefault(gkey, []).append((key, s))
    tasks = []
    for members in groups.values():
        for i in range(0, len(members), chunk_size):
            tasks.append({"runs": members[i:i + chunk_size]})
    return tasks


def _steps_to_tol(curve: np.ndarray, floor: float, tol: float | None):
    if tol is None:
        return None
    with np.errstate(invalid="ignore"):
        hit = np.flatnonzero(curve - floor <= tol)
    return int(hit[0]) if hit.size else None


def _run_problem_chunk(target, task: dict, fixed: dict) -> list[dict]:
    """One chunk of problem runs through :func:`descend.minimize` as one (R, n) array."""
    from ..minimize import minimize
    from ..problems import Problem

    runs = task["runs"]
    first = runs[0][1]
    hp_names = [k for k in first if k not in RESERVED and k != "x0"]
    hps = {}
    for k in hp_names:
        if _is_numeric(first[k]):
            hps[k] = np.array([float(s[k]) for _, s in runs])
        else:
            hps[k] = first[k]
    X0 = np.array([s["x0"] for _, s in runs], dtype=np.float64)
    lr = np.array([float(s["lr"]) for _, s in runs])
    t0 = time.perf_counter()
    res = minimize(target, X0, optimizer=first["optimizer"], lr=lr, steps=fixed["steps"], gtol=fixed["gtol"],
                   max_growth=fixed["max_growth"], history="f", **hps)
    wall = (time.perf_counter() - t0) / len(runs)
    is_problem = isinstance(target, Problem)
    floor = target.minimum if is_problem and math.isfinite(target.minimum) else 0.0
    dist = target.distance_to_minimizer(res.x) if is_problem else np.full(len(runs), np.nan)
    out = []
    for i, (key, s) in enumerate(runs):
        nit = int(res.nit[i])
        curve = res.history.f[: nit + 1, i].copy()
        result = {
            "final_loss": float(res.fun[i]),
            "best_loss": float(np.nanmin(curve)) if np.any(np.isfinite(curve)) else float("nan"),
            "steps_to_tol": _steps_to_tol(curve, floor, fixed["tol"]),
            "status": str(res.status[i]),
            "nit": nit,
            "ngev": int(res.ngev[i]),
            "distance": float(dist[i]),
            "x": [float(v) for v in res.x[i]],
            "wall_time": wall,
            "message": res.message[i],
        }
        out.append({"key": key, "settings": s, "result": result,
                    "curve": curve if fixed["curves"] else None, "val_curve": None})
    return out


def _run_training(setup: TrainingSetup, key: str, settings: dict, fixed: dict) -> dict:
    """One training run: build the model from its seed, train, summarize."""
    from .. import optim
    from ..training import train

    seed = int(settings["seed"])
    model = setup.build(seed)
    hps = {k: (tuple(v) if isinstance(v, list) else v) for k, v in settings.items() if k not in RESERVED}
    opt = optim.get(settings["optimizer"], lr=settings["lr"], **hps)
    t0 = time.perf_counter()
    h = train(model, setup.X, setup.y, loss=setup.loss, optimizer=opt, batch_size=settings.get("batch_size"),
              epochs=fixed["epochs"], seed=seed, validation=setup.validation, progress=False)
    wall = time.perf_counter() - t0
    curve = np.asarray(h.loss, dtype=np.float64)
    epoch_loss = np.asarray(h.epochs.get("loss", []), dtype=np.float64)
    val = np.asarray(h.epochs.get("val_loss", []), dtype=np.float64) if setup.validation is not None else None

    def last(a):
        return float(a[-1]) if a is not None and a.size else float("nan")

    def best(a):
        return float(np.nanmin(a)) if a is not None and np.any(np.isfinite(a)) else float("nan")

    result = {
        "final_loss": last(epoch_loss),
        "best_loss": best(epoch_loss),
        "steps_to_tol": _steps_to_tol(curve, 0.0, fixed["tol"]),
        "status": h.status,
        "nit": int(h.step),
        "ngev": int(h.step),
        "wall_time": wall,
        "message": h.message,
    }
    if val is not None:
        result["final_val_loss"] = last(val)
        result["best_val_loss"] = best(val)
    return {"key": key, "settings": settings, "result": result,
            "curve": curve if fixed["curves"] else None,
            "val_curve": val if fixed["curves"] else None}


def _training_task(setup, task, fixed):
    return [_run_training(setup, key, s, fixed) for key, s in task["runs"]]


# ---------------------------------------------------------------------------------- backends

def _local(fn, target, tasks, fixed):
    for task in tasks:
        yield fn(target, task, fixed)


def _loky(fn, target, tasks, fixed, n_jobs):
    try:
        from joblib import Parallel, delayed
    except ImportError:
        raise DescendError("backend='loky' needs joblib: pip install 'descend[sweep]'") from None
    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered",
                        idle_worker_timeout=WORKER_IDLE_S)
    yield from parallel(delayed(fn)(target, task, fixed) for task in tasks)


def _dask(fn, target, tasks, fixed, scheduler):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise DescendError("backend='dask' needs dask.distributed: pip install 'descend[dask]'") from None
    own = False
    if scheduler is None:
        try:
            from distributed import get_client

            client = get_client()
        except ValueError:
            raise DescendError("backend='dask' needs scheduler='tcp://host:port' (the address of a running "
                               "Dask scheduler) or a distributed.Client") from None
    elif isinstance(scheduler, str):
        try:
            client = Client(scheduler)  # waits distributed.comm.timeouts.connect (dask config, 30 s)
        except OSError as exc:
            raise DescendError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
        own = True
    elif isinstance(scheduler, Client):
        client = scheduler
    else:
        raise DescendError(f"scheduler must be an address such as 'tcp://127.0.0.1:8786' or a "
                           f"distributed.Client, got {scheduler!r}")
    try:
        [shared] = client.scatter([target], broadcast=True, hash=False)
        futures = [client.submit(fn, shared, task, fixed, pure=False) for task in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                fut.cancel()
    finally:
        if own:
            client.close()


# ---------------------------------------------------------------------------------- progress

class _Progress:
    """A rich progress bar on stderr over the runs; silent when stderr is not a terminal."""

    def __init__(self, total: int, enabled: bool, label: str):
        self._bar = None
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
        if self._bar is not None:
            self._bar.advance(self._task, n)

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
    kind = _target_kind(target)
    g = Grid(grid, kind)
    if kind == "problem":
        if epochs is not None:
            raise DescendError("epochs applies to training sweeps; a problem sweep takes steps=")
        steps = 100 if steps is None else _check_int_param("steps", steps, 0)
        if gtol is not None and not (_is_numeric(gtol) and gtol >= 0):
            raise DescendError(f"gtol must be None or a number >= 0, got {gtol!r}")
        if max_growth is not None and not (_is_numeric(max_growth) and max_growth > 0):
            raise DescendError(f"max_growth must be None or a number > 0, got {max_growth!r}")
        fixed = {"steps": steps, "gtol": gtol, "max_growth": max_growth, "tol": tol}
        ident = _problem_identity(target)
    else:
        if steps is not None:
            raise DescendError("steps applies to problem sweeps; a training sweep takes epochs=")
        epochs = 1 if epochs is None else _check_int_param("epochs", epochs, 1)
        fixed = {"epochs": epochs, "tol": tol}
        ident = target.identity()
    if tol is not None and not (_is_numeric(tol) and tol >= 0):
        raise DescendError(f"tol must be None or a number >= 0, got {tol!r}")
    if backend not in BACKENDS:
        raise DescendError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if scheduler is not None and backend != "dask":
        raise DescendError(f"scheduler is for backend='dask', got backend={backend!r}")
    if n_jobs is not None:
        n_jobs = _check_int_param("n_jobs", n_jobs, 1)
    if chunk_size is not None:
        chunk_size = _check_int_param("chunk_size", chunk_size, 1)
    if not (_is_numeric(lock_timeout) and lock_timeout >= 0):  # checked with or without a store
        raise DescendError(f"lock_timeout must be a number of seconds >= 0, got {lock_timeout!r}")

    runs = _expand(target, g, ident, fixed)
    definition = {"kind": kind, "target": ident, "fixed": fixed, "grid": g.definition()}
    sweep_hash = digest(definition)
    fixed_run = dict(fixed, curves=bool(curves))

    st = None
    if store is not None:
        from .store import SweepStore

        st = SweepStore(store, "w", lock_timeout=lock_timeout)
    try:
        done = set()
        if st is not None:
            st.attach(sweep_hash, definition, extend=extend)
            done = st.finished_keys()
        todo = [(k, s) for k, s in runs if k not in done]
        if kind == "problem":
            size = chunk_size or int(min(4096, max(16, _CHUNK_BYTES // (24 * (steps + 1)))))
            tasks = _problem_tasks(todo, size)
            fn = _run_problem_chunk
        else:
            tasks = [{"runs": [r]} for r in todo]
            fn = _training_task
        if backend == "auto":
            backend = "local" if kind == "problem" or len(tasks) <= 1 or n_jobs == 1 else "loky"
        if backend == "local":
            results = _local(fn, target, tasks, fixed_run)
        elif backend == "loky":
            results = _loky(fn, target, tasks, fixed_run, n_jobs or os.cpu_count() or 1)
        else:
            results = _dask(fn, target, tasks, fixed_run, scheduler)

        new: dict[str, dict] = {}
        bar = _Progress(len(todo), progress, f"sweep {ident.get('name', '')}")
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
        old = {}
        if st is not None and len(new) < len(runs):
            for rec in st.records([k for k, _ in runs if k not in new], curves=curves):
                old[rec["key"]] = rec
        records = []
        for key, _ in runs:
            rec = new.get(key) or old.get(key)
            if rec is not None:
                records.append(rec)
    finally:
        if st is not None:
            st.close()
    for rec in records:
        rec.pop("sweep", None)
        rec.pop("finished", None)
        if not curves:
            rec["curve"] = rec["val_curve"] = None
    return to_table(records, as_records=as_records)
