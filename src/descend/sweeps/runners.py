"""Carrying out a sweep's runs: problem runs in vectorized chunks, training runs one by one, and the
backends that execute them (this process, joblib/loky worker processes, a Dask cluster).

Each runner takes ``(target, task, fixed)`` and returns a list of records (key, settings,
result, curves); a backend yields those lists as tasks finish.
"""

from __future__ import annotations

import math
import numbers
import time

import numpy as np

from ..errors import DescendError
from .grid import RESERVED
from .targets import TrainingSetup

__all__ = ["is_numeric", "problem_tasks", "steps_to_tol", "run_problem_chunk", "run_training", "training_task",
           "run_local", "run_loky", "run_dask"]


def is_numeric(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def problem_tasks(runs: list[tuple[str, dict]], chunk_size: int) -> list[dict]:
    """Group runs that can share one optimizer object, then cut the groups into chunks."""
    groups: dict[str, list] = {}
    for key, s in runs:
        hps = {k: v for k, v in s.items() if k not in RESERVED and k != "x0"}
        shared = {k: v for k, v in hps.items() if not is_numeric(v)}
        gkey = repr((s["optimizer"], sorted(hps), sorted(shared.items(), key=lambda kv: kv[0])))
        groups.setdefault(gkey, []).append((key, s))
    tasks = []
    for members in groups.values():
        for i in range(0, len(members), chunk_size):
            tasks.append({"runs": members[i:i + chunk_size]})
    return tasks


def steps_to_tol(curve: np.ndarray, floor: float, tol: float | None):
    if tol is None:
        return None
    with np.errstate(invalid="ignore"):
        hit = np.flatnonzero(curve - floor <= tol)
    return int(hit[0]) if hit.size else None


def run_problem_chunk(target, task: dict, fixed: dict) -> list[dict]:
    """One chunk of problem runs through :func:`descend.minimize` as one (R, n) array."""
    from ..minimize import minimize
    from ..problems import Problem

    runs = task["runs"]
    first = runs[0][1]
    hp_names = [k for k in first if k not in RESERVED and k != "x0"]
    hps = {}
    for k in hp_names:
        if is_numeric(first[k]):
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
            "steps_to_tol": steps_to_tol(curve, floor, fixed["tol"]),
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


def run_training(setup: TrainingSetup, key: str, settings: dict, fixed: dict) -> dict:
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
        "steps_to_tol": steps_to_tol(curve, 0.0, fixed["tol"]),
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


def training_task(setup, task, fixed):
    return [run_training(setup, key, s, fixed) for key, s in task["runs"]]


def run_local(fn, target, tasks, fixed):
    for task in tasks:
        yield fn(target, task, fixed)


def run_loky(fn, target, tasks, fixed, n_jobs, idle_timeout):
    try:
        from joblib import Parallel, delayed
    except ImportError:
        raise DescendError("backend='loky' needs joblib: pip install 'descend[sweep]'") from None
    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered",
                        idle_worker_timeout=idle_timeout)
    yield from parallel(delayed(fn)(target, task, fixed) for task in tasks)


def run_dask(fn, target, tasks, fixed, scheduler):
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
