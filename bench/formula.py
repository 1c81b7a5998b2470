"""Typed formulas at compiled speed (issue 20 point 1): the explorer's landscape update on a typed formula.

Two parts, each interleaved round by round, medians:

* **in this process**: the six runs of the explorer (6 optimizers x 1000 steps from
  (-1.2, 1)) through ``descend.minimize`` on the typed Rosenbrock, compiled (the
  formula's program run by :mod:`descend.jit.formula`) against the NumPy path
  (``compiled=False``), and on the registered ``rosenbrock`` (compiled kernels), the
  peer the typed formula should come near; then the same six runs on a formula never
  seen before (a new text each round: parse, derivatives, program, six runs).
* **through HTTP** (``descend serve --no-browser --port 0`` in a child process, driven
  with httpx as the page does, the response parsed with orjson): ``POST /api/run`` with
  the typed Rosenbrock (warm), with a new formula each round, and with the registered
  Rosenbrock.  Targets: <= 30 ms warm, <= 150 ms for a formula never seen before.

The compiled loops are loaded (or compiled, once) before the timed rounds; loading them
in a new process is issue 20 point 3's business, and its own benchmark's.

Usage: ``python bench/formula.py [--rounds 15] [--http-rounds 41] [--no-http]``.  Prints a Markdown table
with the load average and thread settings it ran at.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve import LRS, OPTIMIZERS, landscape_body, start_server  # noqa: E402  (bench/serve.py)

ROSENBROCK = "(1-x)**2 + 100*(y-x**2)**2"


def six(problem, compiled):
    """Seconds for the explorer's six runs on ``problem``."""
    import descend

    t = time.perf_counter()
    for name in OPTIMIZERS:
        descend.minimize(problem, np.array([-1.2, 1.0]), optimizer=name, lr=LRS[name], steps=1000,
                         compiled=compiled)
    return time.perf_counter() - t


def new_formula(k: int) -> str:
    """A formula no earlier round has seen (the same landscape, another text)."""
    return f"(1-x)**2 + 100*(y-x**2)**2 + {k + 1}e-12*x*y"


def in_process(rounds):
    import descend
    from descend.problems import from_expression

    typed, registered = from_expression(ROSENBROCK), descend.problems.get("rosenbrock")
    six(typed, True), six(registered, True)  # the loops loaded (or compiled once)
    rows = {"compiled": [], "numpy": [], "registered": [], "new": []}
    for k in range(rounds):
        rows["compiled"].append(six(typed, None))
        rows["numpy"].append(six(typed, False))
        rows["registered"].append(six(registered, None))
        t = time.perf_counter()
        six(from_expression(new_formula(k)), None)
        rows["new"].append(time.perf_counter() - t)
    ratio = statistics.median([n / c for n, c in zip(rows["numpy"], rows["compiled"])])
    peer = statistics.median([c / r for c, r in zip(rows["compiled"], rows["registered"])])
    return {k: statistics.median(v) for k, v in rows.items()}, ratio, peer


def over_http(rounds):
    import httpx
    import orjson

    proc, base, token = start_server()
    try:
        client = httpx.Client(base_url=base, headers={"Authorization": f"token {token}"}, timeout=120)
        for _ in range(50):
            try:
                client.get("/api/problems")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        body = landscape_body()
        typed = dict(body, problem={"expression": ROSENBROCK})

        def post(req, rows=None, key=None):
            t = time.perf_counter()
            r = client.post("/api/run", json=req)
            orjson.loads(r.content)
            assert r.status_code == 200, r.text
            if rows is not None:
                rows[key].append(time.perf_counter() - t)
                compute = [p for p in r.headers["server-timing"].split(",") if "compute" in p]
                rows[key + " compute"].append(float(compute[0].split("dur=")[1]) / 1e3)

        for _ in range(3):  # the loops loaded in the server (the first typed request loads them)
            post(typed), post(body)
        rows = {k: [] for k in ("typed", "new", "registered", "typed compute", "new compute",
                                "registered compute")}
        for k in range(rounds):
            post(typed, rows, "typed")
            post(dict(body, problem={"expression": new_formula(1000 + k)}), rows, "new")
            post(body, rows, "registered")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return {k: statistics.median(v) for k, v in rows.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15, help="in-process rounds (the NumPy path: ~1-3 s each)")
    ap.add_argument("--http-rounds", type=int, default=41)
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args(argv)
    import numba

    import descend

    load0 = os.getloadavg()[0]
    mine, ratio, peer = in_process(args.rounds)
    http = None if args.no_http else over_http(args.http_rounds)
    load1 = os.getloadavg()[0]
    print(f"# {platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, numba {numba.__version__}, "
          f"descend {descend.__version__}, python {platform.python_version()}, "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'default')}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'default')}")
    print(f"# load average (1 min) {load0:.1f} at the start, {load1:.1f} at the end; medians of {args.rounds} "
          f"interleaved rounds in process, {args.http_rounds} through HTTP")
    print("| six runs (6 optimizers x 1000 steps) | median | target |")
    print("|---|---|---|")
    print(f"| typed Rosenbrock, compiled (in process) | {mine['compiled'] * 1e3:.2f} ms | |")
    print(f"| typed Rosenbrock, NumPy path (in process) | {mine['numpy'] * 1e3:.1f} ms | |")
    print(f"| NumPy path / compiled (median of per-round ratios) | {ratio:.0f}x | |")
    print(f"| registered rosenbrock, compiled kernels (in process) | {mine['registered'] * 1e3:.2f} ms | |")
    print(f"| typed / registered (median of per-round ratios) | {peer:.2f}x | |")
    print(f"| a formula never seen before: parse, derivatives, six runs (in process) | {mine['new'] * 1e3:.2f} ms | |")
    if http:
        for key, label, target in (("typed", "typed Rosenbrock", "<= 30 ms"),
                                   ("new", "a formula never seen before", "<= 150 ms"),
                                   ("registered", "registered rosenbrock", "")):
            print(f"| POST /api/run, {label}: request to parsed response (of which the server's compute, "
                  f"Server-Timing) | {http[key] * 1e3:.1f} ms ({http[key + ' compute'] * 1e3:.1f} ms) | {target} |")


if __name__ == "__main__":
    main()
