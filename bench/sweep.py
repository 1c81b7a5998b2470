"""Sweeps: a vectorized problem sweep against one run at a time; training sweeps on 1 and 2 workers, loky and Dask.

    python bench/sweep.py            # the full sizes (a few minutes on 2 cores)
    python bench/sweep.py --quick    # smaller sizes, to check that it runs

Part 1, the problem sweep: 6 optimizers (gd, momentum, nesterov, adagrad, rmsprop, adam) x
20 learning rates (1e-5 .. 1, log-spaced) x 50 random starts x 2 seeds (each seed draws its own
50 starts from the domain) x 2000 steps on 2-D Rosenbrock, 12,000 runs.  Timed:

* ``descend.sweeps.sweep`` (vectorized: one (1000, 2) array per optimizer through
  ``descend.minimize``), without a store and with an SQLite store (curves included);
* ``descend.minimize`` one run at a time (a subset of runs, spread over optimizers and lrs,
  extrapolated to 12,000);
* ``torch.optim`` one run at a time (the same subset, the same update rules: SGD,
  SGD(momentum=0.9), SGD(momentum=0.9, nesterov=True), Adagrad, RMSprop, Adam; the gradient
  computed with torch tensor ops, no autograd), extrapolated.

Part 2, training sweeps: a 64-128-128-10 ReLU network on the digits data set, mini-batches of
32, 15 epochs, 12 runs (3 optimizers x 2 lrs x 2 seeds; a third of a second each); the speed-up of joblib/loky with 2
workers over 1 (joblib runs ``n_jobs=1`` in the calling process; the pool is started before
timing).  BLAS is limited to one thread per process.  Then the overhead per run of each backend: 48 tiny runs
(a 2-1 linear model, one full-batch epoch, ~0.1 ms of work each) on loky with 2 workers and on a
Dask ``LocalCluster(n_workers=2, processes=True)`` (cluster start-up and a warm-up sweep
excluded), against the
same runs in this process; overhead per run = (backend time - in-process time) / runs.

Every figure is the median of ``--repeats`` repeats (3 in part 1, 5 in part 2), the cases
interleaved within each repeat so that a burst of load on the (shared) machine hits them
alike; a ratio is the median of the ratios repeat by repeat.
"""

from __future__ import annotations

import argparse
import os

# one BLAS thread per process, so that "1 worker" is one core and 2 workers are two
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import platform
import statistics
import sys
import tempfile
import time

import numpy as np

import descend
from descend import problems
from descend.sweeps import TrainingSetup, sweep

OPTIMIZERS = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ------------------------------------------------------------------------------ part 1

def problem_grid(n_lrs, n_starts, n_seeds):
    return {"optimizer": list(OPTIMIZERS), "lr": [float(v) for v in np.geomspace(1e-5, 1.0, n_lrs)],
            "start": n_starts, "seed": list(range(n_seeds))}


def subset(rows, k):
    """k runs spread evenly over the table (every optimizer and lr range)."""
    idx = np.linspace(0, len(rows) - 1, k).round().astype(int)
    return [rows[i] for i in idx]


def descend_one_at_a_time(p, runs, steps):
    for r in runs:
        descend.minimize(p, np.array(r["x0"]), optimizer=r["optimizer"], lr=r["lr"], steps=steps, history="f")


def torch_one_at_a_time(runs, steps):
    import torch

    def make(name, x, lr):
        if name == "gd":
            return torch.optim.SGD([x], lr=lr)
        if name == "momentum":
            return torch.optim.SGD([x], lr=lr, momentum=0.9)
        if name == "nesterov":
            return torch.optim.SGD([x], lr=lr, momentum=0.9, nesterov=True)
        return {"adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}[name](
            [x], lr=lr)

    for r in runs:
        x = torch.tensor(r["x0"], dtype=torch.float64)
        opt = make(r["optimizer"], x, r["lr"])
        for _ in range(steps):
            x0, x1 = x[0], x[1]
            t = x1 - x0 * x0
            x.grad = torch.stack([-400.0 * x0 * t - 2.0 * (1.0 - x0), 200.0 * t])
            opt.step()


def part1(args):
    p = problems.get("rosenbrock")
    grid = problem_grid(args.lrs, args.starts, args.seeds)
    n_runs = len(OPTIMIZERS) * args.lrs * args.starts * args.seeds
    steps = args.steps
    print(f"Part 1: {len(OPTIMIZERS)} optimizers x {args.lrs} lrs x {args.starts} starts x {args.seeds} seeds x "
          f"{steps} steps on 2-D Rosenbrock = {n_runs} runs")
    rows = sweep(p, grid, steps=steps, as_records=True, progress=False)
    status = {s: sum(r["status"] == s for r in rows) for s in ("max_steps", "diverged")}
    print(f"  statuses: {status}")

    def with_store():
        with tempfile.TemporaryDirectory() as d:
            sweep(p, grid, steps=steps, store=os.path.join(d, "sweep.db"), as_records=True, progress=False)

    sub = subset(rows, args.subset)
    try:
        import torch

        torch.set_num_threads(1)
        torch_version = torch.__version__
        run_torch = lambda: torch_one_at_a_time(sub, steps)  # noqa: E731
    except ImportError:
        torch_version, run_torch = "not installed", None
    cases = [("descend.sweeps.sweep, vectorized, no store", lambda: sweep(p, grid, steps=steps, as_records=True,
                                                                          progress=False), 1.0),
             ("descend.sweeps.sweep, vectorized, SQLite store + curves", with_store, 1.0),
             (f"descend.minimize one run at a time ({len(sub)} runs, extrapolated)",
              lambda: descend_one_at_a_time(p, sub, steps), n_runs / len(sub))]
    if run_torch is not None:
        cases.append((f"torch.optim one run at a time ({len(sub)} runs, extrapolated)", run_torch,
                      n_runs / len(sub)))
    samples = {label: [] for label, _, _ in cases}
    for _ in range(args.repeats):  # interleaved: a burst of load on the machine hits every case alike
        for label, fn, scale in cases:
            t0 = time.perf_counter()
            fn()
            samples[label].append((time.perf_counter() - t0) * scale)
    base = samples[cases[0][0]]
    print(f"  {'how':<58} {'time (s)':>10} {'per run (ms)':>13} {'vs sweep':>9}")
    for label, _, _ in cases:
        t = statistics.median(samples[label])
        ratio = statistics.median(a / b for a, b in zip(samples[label], base))  # paired, repeat by repeat
        print(f"  {label:<58} {t:>10.2f} {1e3 * t / n_runs:>13.3f} {ratio:>8.1f}x")
    print(f"  torch {torch_version}")
    parts = []
    for name in OPTIMIZERS:
        g = dict(grid, optimizer=[name])
        parts.append((name, _median_time(lambda: sweep(p, g, steps=steps, as_records=True, progress=False),
                                         args.repeats)))
    print("  the vectorized sweep by optimizer (s): " + ", ".join(f"{n} {t:.2f}" for n, t in parts))


# ------------------------------------------------------------------------------ part 2

class DigitsNet:
    """seed -> 64-128-128-10 ReLU network (a class, so that it pickles by reference).

    Its 26,122 parameters are fewer than descend.optim's FUSED_MIN_SIZE (32,768), so the
    optimizers take their NumPy path, and numba is not even imported in the workers.
    """

    __name__ = "digits_64_128_128_10"

    def __call__(self, seed):
        return descend.nn.mlp((64, 128, 128, 10), rng=seed)


def _spin(n):
    """Pure-Python CPU work: the control for what 2 workers can gain on this machine right now."""
    s = 0
    for i in range(n):
        s += i * i
    return s


class TinyLinear:
    __name__ = "tiny_linear"

    def __call__(self, seed):
        return descend.nn.Sequential(descend.nn.Linear(2, 1, rng=seed))


def part2(args):
    d = descend.datasets.digits()
    setup = TrainingSetup(DigitsNet(), d.X_train, d.y_train, "cross_entropy", name="digits")
    grid = {"optimizer": ["sgd", "momentum", "adam"], "lr": [1e-3, 1e-2], "seed": [0, 1]}
    runs = 12
    args.repeats = max(args.repeats, 5) if not args.quick else args.repeats
    print(f"\nPart 2: training sweeps, digits 64-128-128-10, batch 32, {args.epochs} epoch(s), {runs} runs")
    grid_b = dict(grid, batch_size=[32])
    sweep(setup, dict(grid_b, seed=[0]), epochs=1, backend="loky", n_jobs=2, progress=False)  # start the pool
    configs = [("in this process (backend='local')", {"backend": "local"}),
               ("loky, n_jobs=1 (joblib: in this process)", {"backend": "loky", "n_jobs": 1}),
               ("loky, 2 workers", {"backend": "loky", "n_jobs": 2})]
    samples = {label: [] for label, _ in configs}
    for _ in range(args.repeats):  # interleaved, so that a burst of load on the machine hits all alike
        for label, kw in configs:
            t0 = time.perf_counter()
            sweep(setup, grid_b, epochs=args.epochs, progress=False, **kw)
            samples[label].append(time.perf_counter() - t0)
    times = {label: statistics.median(v) for label, v in samples.items()}
    for label, t in times.items():
        print(f"  {label:<42} {t:>8.2f} s  {t / runs * 1e3:>8.1f} ms per run")
    speed = times["loky, n_jobs=1 (joblib: in this process)"] / times["loky, 2 workers"]
    print(f"  speed-up from 1 to 2 loky workers: {speed:.2f}x")
    from joblib import Parallel, delayed

    control = {1: [], 2: []}
    for _ in range(args.repeats):
        for nj in (1, 2):
            t0 = time.perf_counter()
            Parallel(n_jobs=nj, backend="loky")(delayed(_spin)(2_000_000) for _ in range(8))
            control[nj].append(time.perf_counter() - t0)
    ctrl = statistics.median(control[1]) / statistics.median(control[2])
    print(f"  control, 8 pure-Python loops on 1 and 2 loky workers: {ctrl:.2f}x (the most this machine "
          f"gave 2 processes while it ran; load average now {os.getloadavg()[0]:.1f})")

    x = descend.datasets.linear(64, seed=0)
    tiny = TrainingSetup(TinyLinear(), x.X, x.y.reshape(-1, 1), "mse", name="tiny")
    tgrid = {"lr": [float(v) for v in np.geomspace(1e-3, 1e-1, 12)], "seed": [0, 1, 2, 3]}
    n = 48
    print(f"\n  overhead per run: {n} tiny runs (2-1 linear model, 1 full-batch epoch)")
    t_local = _median_time(lambda: sweep(tiny, tgrid, epochs=1, backend="local", progress=False), args.repeats)
    t_loky = _median_time(lambda: sweep(tiny, tgrid, epochs=1, backend="loky", n_jobs=2, progress=False),
                          args.repeats)
    try:
        from distributed import LocalCluster
    except ImportError:
        t_dask = float("nan")
    else:
        with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=":0") as cluster:
            addr = cluster.scheduler_address
            sweep(tiny, tgrid, epochs=1, backend="dask", scheduler=addr, progress=False)  # warm the workers
            t_dask = _median_time(lambda: sweep(tiny, tgrid, epochs=1, backend="dask", scheduler=addr,
                                                progress=False), args.repeats)
    print(f"  {'backend':<34} {'time (s)':>9} {'overhead per run (ms)':>22}")
    for label, t in [("local (in this process)", t_local), ("loky, 2 workers", t_loky),
                     ("dask LocalCluster, 2 workers", t_dask)]:
        print(f"  {label:<34} {t:>9.3f} {1e3 * (t - t_local) / n:>22.2f}")
    print(f"  Dask overhead per run over loky: {1e3 * (t_dask - t_loky) / n:.2f} ms")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, to check that it runs")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--part", choices=("1", "2", "all"), default="all")
    args = ap.parse_args(argv)
    if args.quick:
        args.lrs, args.starts, args.seeds, args.steps, args.subset, args.epochs = 5, 10, 1, 200, 12, 1
        args.repeats = args.repeats or 1
    else:
        args.lrs, args.starts, args.seeds, args.steps, args.subset, args.epochs = 20, 50, 2, 2000, 30, 15
        args.repeats = args.repeats or 3
    import joblib
    import numpy

    print(f"Python {platform.python_version()}, NumPy {numpy.__version__}, joblib {joblib.__version__}; "
          f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if args.part in ("1", "all"):
        part1(args)
    if args.part in ("2", "all"):
        part2(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
