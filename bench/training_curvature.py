"""Benchmark: what the explorer's Training panel pays for its curvature (issue 24), per frame.

Run as ``python bench/training_curvature.py`` (``--repeats N``, default 5).  Not a test.  For the
page's default network (spirals, 500 points, 8-8 tanh, Adam lr 0.01, batches of 10) and the largest
one the playground takes (spirals, 2000 points with 1800 to train on, 4 x 32 tanh, Adam, full
batch), after 50 updates: one frame without a measurement (losses, the output on the grid), one
measurement (the sharpness and Adam's preconditioned sharpness by Lanczos, the slice's 21 losses:
:meth:`Session.measure`), and 10 updates for scale; medians of interleaved repeats.  Prints
``os.getloadavg()`` and the thread settings: record them with the numbers in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

try:
    from descend.serve.api import playground
except ImportError:  # run from a checkout without installing: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from descend.serve.api import playground

CASES = {
    "page default (500 pts, 8-8, batch 10)": {"dataset": "spirals", "n": 500, "hidden": [8, 8], "optimizer": "adam",
                                              "lr": 0.01, "batch_size": 10},
    "largest (1800 train pts, 4 x 32, full)": {"dataset": "spirals", "n": 2000, "test_fraction": 0.1,
                                               "hidden": [32] * 4, "optimizer": "adam", "lr": 0.01,
                                               "batch_size": None},
}


def one(body: dict) -> dict:
    session = playground.Session(playground.parse_config({**body, "curvature_every": 0}))
    session.advance(50)
    out = {}
    t0 = time.perf_counter()
    session.frame()
    out["frame without measurement"] = time.perf_counter() - t0
    session.advance(1)  # new weights: the measurement is not the cached one
    t0 = time.perf_counter()
    session.measure(now=True)
    out["one measurement"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    session.advance(10)
    out["10 updates"] = time.perf_counter() - t0
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    threads = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    print(f"load {os.getloadavg()}, cores {os.cpu_count()}, {threads}; median of {args.repeats}")
    times = {name: {} for name in CASES}
    for _ in range(args.repeats):
        for name, body in CASES.items():  # interleaved
            for what, seconds in one(body).items():
                times[name].setdefault(what, []).append(seconds)
    for name, rows in times.items():
        print(name)
        for what, values in rows.items():
            print(f"  {what:28s} {1e3 * statistics.median(values):9.1f} ms  "
                  f"({1e3 * min(values):.1f}-{1e3 * max(values):.1f})")
    print(f"load at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
