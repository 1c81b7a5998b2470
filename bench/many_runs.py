"""Many runs of Adam on 2-D Rosenbrock: descend.minimize (compiled and NumPy paths) against peers.

    python bench/many_runs.py                 # every section
    python bench/many_runs.py --quick         # 1 x 1000 and 100 x 1000, no first-call section
    python bench/many_runs.py --only sizes    # or: first, explorer, commands

Sections (all in one process unless said otherwise, contenders interleaved round by round,
medians of the rounds):

* sizes: R runs x steps = 1 x 1000, 100 x 1000, 10000 x 2000 -- ``descend.minimize`` on the
  compiled path (``history=False`` and ``"f"``), on the NumPy path (``compiled=False``, what
  it was before), the bare Adam formula in NumPy with all runs as one array, and optax
  (``jax.vmap`` + ``lax.scan`` + ``jit``: a first call with the compile, a later call).  The
  ratio column divides by optax's first call, the one beside it by optax's later calls.
* explorer: six optimizers x 1000 steps, one run each (a live explorer's unit of work).
* first: the first ``minimize`` of a fresh process, on a fresh numba cache (compiles) and on
  a warm one (loads), each in its own subprocess.
* commands: ``descend.compare`` and ``descend.sweep`` over a problem, compiled path against
  the NumPy path (``DESCEND_NO_NUMBA=1`` switches it off, interleaved).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import descend

LR, B1, B2, EPS = 1e-2, 0.9, 0.999, 1e-8
OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "nadam")


def rosen_grad_np(x):
    x0, x1 = x[..., 0], x[..., 1]
    t = x1 - x0 * x0
    return np.stack([-400.0 * x0 * t - 2.0 * (1.0 - x0), 200.0 * t], axis=-1)


def numpy_one_array(X0, steps):
    """The bare Adam formula on one (R, 2) array: the floor of any NumPy driver."""
    x = X0.copy()
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, steps + 1):
        g = rosen_grad_np(x)
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        x = x - LR * (m / (1 - B1**t)) / (np.sqrt(v / (1 - B2**t)) + EPS)
    return x


def optax_runner(steps):
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)

    def grad(x):
        t = x[1] - x[0] * x[0]
        return jnp.stack([-400.0 * x[0] * t - 2.0 * (1.0 - x[0]), 200.0 * t])

    opt = optax.adam(LR, b1=B1, b2=B2, eps=EPS)

    def one(x0):
        def body(carry, _):
            x, s = carry
            u, s = opt.update(grad(x), s, x)
            return (optax.apply_updates(x, u), s), None

        (x, _), _ = jax.lax.scan(body, (x0, opt.init(x0)), None, length=steps)
        return x

    return jax.jit(jax.vmap(one))


def interleaved(contenders, rounds):
    """{name: median seconds}: each round runs every contender once, in turn."""
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def _table(rows, ref1, ref2, labels=("x optax 1st", "x optax later")):
    print(f"  {'what':58s} {'median':>11s} {labels[0]:>12s} {labels[1]:>14s}")
    for name, t in rows:
        print(f"  {name:58s} {t * 1e3:8.2f} ms {t / ref1:12.3f} {t / ref2:14.2f}")


def sizes(quick):
    p = descend.problems.get("rosenbrock")
    try:
        import jax.numpy as jnp
        have_optax = True
    except ImportError:
        have_optax = False
    plan = [(1, 1000, 15), (100, 1000, 9)] + ([] if quick else [(1000, 2000, 5), (10_000, 2000, 3)])
    for R, steps, rounds in plan:
        X0 = np.random.default_rng(0).uniform(-2.0, 2.0, size=(R, 2))
        kw = dict(optimizer="adam", lr=LR, steps=steps)
        descend.minimize(p, X0, compiled=True, history="f", **kw)  # warm: compile or load once
        descend.minimize(p, X0, compiled=True, history=False, **kw)
        lrs = np.full(R, LR)  # one lr per run (the same value, so the numbers compare)
        c = {
            "descend compiled, history=False": lambda: descend.minimize(p, X0, compiled=True, history=False, **kw),
            "descend compiled, one lr per run, history=False":
                lambda: descend.minimize(p, X0, compiled=True, history=False, **dict(kw, lr=lrs)),
            "descend compiled, history='f'": lambda: descend.minimize(p, X0, compiled=True, history="f", **kw),
            "descend NumPy path (compiled=False), history=False":
                lambda: descend.minimize(p, X0, compiled=False, history=False, **kw),
            "bare NumPy formula, all runs as one array": lambda: numpy_one_array(X0, steps),
        }
        if have_optax:
            X0j = jnp.asarray(X0)
            later = optax_runner(steps)
            later(X0j).block_until_ready()
            c["optax vmap+scan+jit, first call (compile included)"] = \
                lambda: optax_runner(steps)(X0j).block_until_ready()
            c["optax vmap+scan+jit, later calls"] = lambda: later(X0j).block_until_ready()
        med = interleaved(c, rounds if R < 10_000 else 3)
        res = descend.minimize(p, X0, compiled=True, history=False, **kw)
        ref = descend.minimize(p, X0, compiled=False, history=False, **kw)
        same = np.array_equal(res.x, ref.x)
        print(f"\nR = {R} runs x {steps} steps ({rounds} rounds; compiled == NumPy path bit for bit: {same})")
        first = med.get("optax vmap+scan+jit, first call (compile included)", float("nan"))
        later_t = med.get("optax vmap+scan+jit, later calls", float("nan"))
        _table(list(med.items()), first, later_t)
        bare = med["bare NumPy formula, all runs as one array"]
        comp = med["descend compiled, history=False"]
        with_f = med["descend compiled, history='f'"]
        print(f"  compiled / bare NumPy formula: {comp / bare:.2f}; one lr per run / one lr: "
              f"{med['descend compiled, one lr per run, history=False'] / comp:.2f}; history='f' / False: "
              f"{with_f / comp:.2f}; "
              f"NumPy path / compiled: {med['descend NumPy path (compiled=False), history=False'] / comp:.0f}x; "
              f"load average {os.getloadavg()[0]:.1f}")


def explorer():
    p = descend.problems.get("rosenbrock")
    lrs = {"sgd": 1e-3, "momentum": 1e-3, "adagrad": 0.1, "rmsprop": 1e-2, "adam": 1e-2, "nadam": 1e-2}
    for name in OPTIMIZERS:
        descend.minimize(p, optimizer=name, lr=lrs[name], steps=1000)

    def six(compiled):
        for name in OPTIMIZERS:
            descend.minimize(p, optimizer=name, lr=lrs[name], steps=1000, compiled=compiled)

    one = lambda: descend.minimize(p, optimizer="adam", lr=LR, steps=1000, compiled=True)  # noqa: E731
    med = interleaved({"1 run x 1000 steps of Adam, compiled, history=True": one,
                       "6 optimizers x 1000 steps, compiled, history=True": lambda: six(True),
                       "6 optimizers x 1000 steps, NumPy path": lambda: six(False)}, 15)
    print("\nexplorer: one run each from Rosenbrock's x0, with the full history (15 rounds)")
    for name, t in med.items():
        print(f"  {name:58s} {t * 1e3:8.2f} ms")


_FIRST = """
import time
t0 = time.perf_counter()
import numpy as np, descend
t1 = time.perf_counter()
p = descend.problems.get("rosenbrock")
descend.minimize(p, optimizer="adam", lr=0.01, steps=1000, compiled=True)
t2 = time.perf_counter()
descend.minimize(p, optimizer="adam", lr=0.01, steps=1000, compiled=True)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def first():
    print("\nfirst call of a fresh process (Adam on Rosenbrock, 1 x 1000; own subprocess, NUMBA_CACHE_DIR fresh)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("fresh numba cache (compiles)", "warm numba cache (loads)", "warm numba cache, again"):
            out = subprocess.run([sys.executable, "-c", _FIRST], env=env, capture_output=True, text=True, check=True)
            imp, call, again = (float(v) for v in out.stdout.split())
            print(f"  {label:34s} import descend {imp * 1e3:7.0f} ms, first minimize {call * 1e3:8.0f} ms, "
                  f"second {again * 1e3:6.2f} ms")


def commands():
    p = descend.problems.get("rosenbrock")

    def with_numba(on, fn):
        def run():
            if on:
                os.environ.pop("DESCEND_NO_NUMBA", None)
            else:
                os.environ["DESCEND_NO_NUMBA"] = "1"
            try:
                fn()
            finally:
                os.environ.pop("DESCEND_NO_NUMBA", None)
        return run

    cmp = lambda: descend.compare(p, OPTIMIZERS, steps=1000, starts=10)  # noqa: E731
    grid = {"optimizer": ["adam", "rmsprop", "momentum"], "lr": list(np.geomspace(1e-4, 1e-1, 8)), "start": 50}
    swp = lambda: descend.sweep(p, grid, steps=1000, backend="local", progress=False, as_records=True)  # noqa: E731
    cmp()
    swp()
    med = interleaved({"compare: 6 optimizers x 10 starts x 1000 steps, compiled": with_numba(True, cmp),
                       "compare: the same, NumPy path": with_numba(False, cmp),
                       "sweep: 3 optimizers x 8 lr x 50 starts x 1000 steps, compiled": with_numba(True, swp),
                       "sweep: the same, NumPy path": with_numba(False, swp)}, 5)
    print("\ncommands (descend.compare and descend.sweep over Rosenbrock, backend='local'; 5 rounds)")
    for name, t in med.items():
        print(f"  {name:64s} {t * 1e3:9.1f} ms")
    names = list(med)
    print(f"  compare: {med[names[1]] / med[names[0]]:.1f}x faster compiled; "
          f"sweep: {med[names[3]] / med[names[2]]:.1f}x faster compiled")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=("sizes", "explorer", "first", "commands"))
    args = ap.parse_args(argv)
    threads = {k: os.environ.get(k, "(unset)") for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                          "NUMBA_NUM_THREADS")}
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}; Adam lr={LR} on 2-D Rosenbrock, float64; "
          f"load average {os.getloadavg()[0]:.1f} ({len(os.sched_getaffinity(0))} cores; {threads}; descend's "
          f"compiled loop: one thread per core from 64 runs)")
    if args.only in (None, "sizes"):
        sizes(args.quick)
    if args.only in (None, "explorer"):
        explorer()
    if args.only in (None, "first") and not args.quick:
        first()
    if args.only in (None, "commands"):
        commands()


if __name__ == "__main__":
    main()
