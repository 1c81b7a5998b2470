"""The first minimize of a fresh process: how long a learner waits (issue 20 point 3).

    python bench/first_call.py              # 3 rounds
    python bench/first_call.py --rounds 5

Each contender is a fresh ``python -c`` (import descend included), run in turn round by round
(interleaved), medians of the rounds:

* numpy: ``DESCEND_NO_NUMBA=1``, the NumPy path only (the peer: what a learner without numba gets);
* warm: numba's cache as it is (loaded loops) -- the first minimize answers on the NumPy path
  while a thread imports numba and loads the loop; the child then waits for it (``ready``);
* cold: ``NUMBA_CACHE_DIR`` an empty temporary folder, as on a fresh install: the first
  minimize answers on the NumPy path while the loop compiles; ``ready`` is when it is compiled;
* load: in a process with numba imported and one loop loaded, the first compiled call of
  another configuration (a cached loop loaded from disk).

The job: Adam on 2-D Rosenbrock, 1000 steps, and the explorer's unit (six optimizers x 1000
steps, one run each).  Prints the load average (os.getloadavg) and thread settings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r'''
import json, os, sys, time
t0 = time.perf_counter()
import descend
from descend import problems
p = problems.get("rosenbrock")
t1 = time.perf_counter()
out = {"import": t1 - t0}
if MODE == "load":
    import numba  # noqa: F401
    descend.minimize(p, optimizer="adam", lr=1e-3, steps=10, compiled=True)
    t = time.perf_counter()
    descend.minimize(p, optimizer="rmsprop", lr=1e-3, steps=10, compiled=True, history=False)
    out["load"] = time.perf_counter() - t
else:
    descend.minimize(p, optimizer="adam", lr=1e-3, steps=1000)
    out["first"] = time.perf_counter() - t0
    t = time.perf_counter()
    for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam", "nadam"):
        descend.minimize(p, optimizer=name, lr=1e-3, steps=1000)
    out["six"] = time.perf_counter() - t
    if MODE != "numpy":
        descend.jit.wait_ready(600)
        out["ready"] = time.perf_counter() - t0
        t = time.perf_counter()
        for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam", "nadam"):
            descend.minimize(p, optimizer=name, lr=1e-3, steps=1000)
        out["six_after"] = time.perf_counter() - t
print(json.dumps(out))
'''


def child(mode: str, cache: str | None = None) -> dict:
    env = dict(os.environ)
    env.pop("DESCEND_JIT_WAIT", None)
    if mode == "numpy":
        env["DESCEND_NO_NUMBA"] = "1"
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = cache
    code = f"MODE = {mode!r}\n" + CHILD
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-cache child (it compiles for seconds)")
    args = ap.parse_args()
    print(f"load {os.getloadavg()[0]:.1f} at start, cores {os.cpu_count()}, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS')}, NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    child("warm")  # the warm cache holds this configuration's loops
    rows: dict = {}
    for _ in range(args.rounds):
        rows.setdefault("numpy", []).append(child("numpy"))
        rows.setdefault("warm", []).append(child("warm"))
        rows.setdefault("load", []).append(child("load"))
        if not args.no_cold:
            with tempfile.TemporaryDirectory(prefix="descend-cold-") as cold:
                rows.setdefault("cold", []).append(child("cold", cold))
    print(f"load {os.getloadavg()[0]:.1f} at end; medians of {args.rounds} rounds, seconds")
    numpy_first = statistics.median(r["first"] for r in rows["numpy"])
    for mode, rs in rows.items():
        keys = sorted({k for r in rs for k in r})
        cells = ", ".join(f"{k} {statistics.median(r[k] for r in rs):.3f}" for k in keys)
        ratio = f" (first / numpy's first {statistics.median(r['first'] for r in rs) / numpy_first:.2f}x)" \
            if "first" in keys else ""
        print(f"{mode:6s} {cells}{ratio}")


if __name__ == "__main__":
    main()
