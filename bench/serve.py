"""The explorer's speed: one landscape update and the training playground's frames, through real HTTP.

Starts ``descend serve --no-browser --port 0`` (uvicorn on 127.0.0.1) in a child
process and drives it with httpx, as the page does:

* **landscape update**: ``POST /api/run`` with 6 optimizers x 1000 steps on Rosenbrock
  from (-1.2, 1), request to response (the 0.5 MB of JSON parsed with orjson, a native
  parser like the browser's ``JSON.parse``).  Side by side, in turns, the same
  six ``descend.minimize`` calls in this process: the library's own time, so the
  ratio is what HTTP, JSON and the server add.  Target: median <= 50 ms.
* **training frames**: ``POST /api/train/step`` on a 2-8-8-1 network, 500 points
  (half for training), batch 10; one frame = one request taking ``updates`` mini-batch
  updates and returning the losses and the 50 x 50 decision-boundary grid.  Target >= 10
  frames/s (30 hoped for) at 1 update per frame.

* **internals** (in this process, interleaved): the internals of the six runs as the server
  builds them (one batched gradient call, the optimizer's rule stepped on it) against
  ``descend.plot.internals.record`` for the same runs (a gradient call and a step per step,
  what the server did before); and the whole ``POST /api/run`` with ``"internals": true``
  through HTTP.
* **typed formula** (in this process, interleaved): the six runs on the typed Rosenbrock
  with the tape on float64 scalars at each step against the same tape on one-element arrays
  (every call through ``_Compiled._on_arrays``, as before).

* **first requests after start**: the first five landscape updates of a fresh server, each
  timed (the compiled loops are loaded in the background meanwhile; until then the NumPy path).
* **availability** (issue 19 point 7): 8 of the largest ``/api/lr`` and ``/api/run`` requests in
  flight (they go to the worker processes and are ended at the 10 s deadline); meanwhile
  ``GET /api/problems``, a small ``/api/run`` and the page's 6 x 1000 update are timed.
  Target: each answered within 1 s.

Usage: ``python bench/serve.py [--rounds 15] [--quick]`` (``--quick``: the landscape update, the
first requests and availability only).  Prints a Markdown table, the load average and the
thread settings.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import subprocess
import sys
import time

import numpy as np

OPTIMIZERS = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
LRS = {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.1, "rmsprop": 1e-3, "adam": 1e-2}


def start_server():
    proc = subprocess.Popen([sys.executable, "-m", "descend.cli", "serve", "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("descend explorer at "):
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.stderr.read()}")
    url = line.split()[3]
    base, token = url.split("/?token=")
    return proc, base, token


def landscape_body(steps=1000):
    return {"problem": "rosenbrock", "start": [-1.2, 1.0], "steps": steps,
            "runs": [{"optimizer": name, "lr": LRS[name]} for name in OPTIMIZERS]}


def in_process(steps=1000):
    import descend

    p = descend.problems.get("rosenbrock")
    t = time.perf_counter()
    for name in OPTIMIZERS:
        descend.minimize(p, np.array([-1.2, 1.0]), optimizer=name, lr=LRS[name], steps=steps)
    return time.perf_counter() - t


def internals_in_process(rounds):
    """Median seconds of the server's internals and of descend.plot.internals.record, six runs."""
    import descend
    from descend.plot.internals import record
    from descend.serve.api import landscape

    p = descend.problems.get("rosenbrock")
    runs = [(name, descend.minimize(p, np.array([-1.2, 1.0]), optimizer=name, lr=LRS[name], steps=1000))
            for name in OPTIMIZERS]
    ours, ref = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        for name, res in runs:
            landscape._internals(p, res.history.x, int(res.nit), {"optimizer": name, "lr": LRS[name]})
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        for name, res in runs:
            record(p, name, [-1.2, 1.0], int(res.nit), lr=LRS[name])
        ref.append(time.perf_counter() - t)
    return statistics.median(ours), statistics.median(ref), statistics.median([r / o for o, r in zip(ours, ref)])


def typed_in_process(rounds):
    """Median seconds of six typed-Rosenbrock runs, one-point tape against one-element arrays."""
    import descend
    from descend import expression

    p = descend.problems.from_expression("(1-x)**2 + 100*(y-x**2)**2")
    one_point = expression._Compiled.__call__

    def arrays_only(self, X):
        return self._on_arrays(np.asarray(X))

    def six():
        t = time.perf_counter()
        for name in OPTIMIZERS:
            descend.minimize(p, np.array([-1.2, 1.0]), optimizer=name, lr=LRS[name], steps=1000)
        return time.perf_counter() - t

    new, old = [], []
    try:
        for _ in range(rounds):
            expression._Compiled.__call__ = one_point
            new.append(six())
            expression._Compiled.__call__ = arrays_only
            old.append(six())
    finally:
        expression._Compiled.__call__ = one_point
    return statistics.median(new), statistics.median(old), statistics.median([o / n for n, o in zip(new, old)])


#: The largest requests the limits allow: they run in the worker processes.
LARGEST_LR = {"problem": "rosenbrock", "steps": 5000, "lrs": {"min": 1e-4, "max": 1.0, "points": 81},
              "optimizers": [{"optimizer": "adam"}, {"optimizer": "rmsprop"}]}
LARGEST_RUN = {"problem": {"expression": "(1-x)**2 + 100*(y-x**2)**2 + sin(x*y)"}, "steps": 5000,
               "runs": [{"optimizer": "adam", "lr": 1e-3}] * 12}


def first_requests(client, body, count=5):
    """Seconds of each of the first ``count`` landscape updates of a fresh server."""
    times = []
    for _ in range(count):
        t = time.perf_counter()
        r = client.post("/api/run", json=body)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
    return times


def availability(client, body, probes=3):
    """Worst seconds of GET /api/problems, a small /api/run and the page's update while 8 of the
    largest requests are in flight, and how the 8 were answered."""
    small = {"problem": "rosenbrock", "steps": 50, "runs": [{"optimizer": "adam", "lr": 0.01}]}
    worst = {"problems": 0.0, "small run": 0.0, "6 x 1000 update": 0.0}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        heavy = [pool.submit(client.post, "/api/lr", json=LARGEST_LR) for _ in range(4)]
        heavy += [pool.submit(client.post, "/api/run", json=LARGEST_RUN) for _ in range(4)]
        time.sleep(0.5)
        for _ in range(probes):
            for label, call in (("problems", lambda: client.get("/api/problems")),
                                ("small run", lambda: client.post("/api/run", json=small)),
                                ("6 x 1000 update", lambda: client.post("/api/run", json=body))):
                t = time.perf_counter()
                r = call()
                worst[label] = max(worst[label], time.perf_counter() - t)
                assert r.status_code == 200, r.text
        answers = [f.result() for f in heavy]
    codes = sorted({r.status_code for r in answers})
    return worst, codes


def _threads() -> str:
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
    return ", ".join(f"{n}={os.environ.get(n, 'unset')}" for n in names)


def main(argv=None):
    import httpx
    import orjson

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="the update, first requests and availability only")
    args = ap.parse_args(argv)
    load_start = os.getloadavg()

    proc, base, token = start_server()
    try:
        client = httpx.Client(base_url=base, headers={"Authorization": f"token {token}"}, timeout=60)
        for _ in range(20):
            try:
                client.get("/api/problems")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        body = landscape_body()
        firsts = first_requests(client, body)
        first_s = firsts[0]
        in_process()  # warm: compiled kernels loaded in this process too
        http, lib, server = [], [], []
        for _ in range(args.rounds):  # interleaved: one of each per round
            t = time.perf_counter()
            r = client.post("/api/run", json=body)
            orjson.loads(r.content)  # a native parser, as the browser's JSON.parse (Python's json: ~40 ms more)
            http.append(time.perf_counter() - t)
            server.append(sum(float(part.split("dur=")[1]) for part in r.headers["server-timing"].split(",")) / 1e3)
            lib.append(in_process())
        ratios = [h / max(b, 1e-12) for h, b in zip(http, lib)]
        worst, codes = availability(client, body)
        if args.quick:
            _report_quick(http, server, lib, ratios, firsts, worst, codes, load_start, args)
            return
        extra = {}
        typed = dict(body, problem={"expression": "(1-x)**2 + 100*(y-x**2)**2"})
        surface = {"problem": "rosenbrock", "points": 101}
        inside = dict(body, internals=True)
        for label, path, req in (("typed", "/api/run", typed), ("surface", "/api/surface", surface),
                                 ("internals", "/api/run", inside)):
            times = []
            for _ in range(max(3, args.rounds // 3)):
                t = time.perf_counter()
                orjson.loads(client.post(path, json=req).content)
                times.append(time.perf_counter() - t)
            extra[label] = statistics.median(times)

        cfg = {"dataset": "moons", "n": 1000, "test_fraction": 0.5, "hidden": [8, 8], "activation": "tanh",
               "optimizer": "sgd", "lr": 0.1, "batch_size": 10, "seed": 0, "grid": 50}
        rows = []
        for updates in (1, 10):
            sid = client.post("/api/train/start", json=cfg).json()["session"]
            client.post("/api/train/step", json={"session": sid, "updates": updates})
            times = []
            for _ in range(args.frames):
                t = time.perf_counter()
                client.post("/api/train/step", json={"session": sid, "updates": updates}).json()
                times.append(time.perf_counter() - t)
            rows.append((updates, statistics.median(times), len(times) / sum(times)))
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    med_http, med_lib = statistics.median(http), statistics.median(lib)
    print("| measure | median | target |")
    print("|---|---|---|")
    print(f"| landscape update, 6 optimizers x 1000 steps, Rosenbrock, HTTP request to parsed response "
          f"| {med_http * 1e3:.1f} ms | <= 50 ms |")
    print(f"| of which in the server: the six runs and the JSON (Server-Timing) | {statistics.median(server) * 1e3:.1f} ms | |")
    print(f"| the same six descend.minimize calls in-process | {med_lib * 1e3:.1f} ms | |")
    print(f"| HTTP / in-process (median of per-round ratios) | {statistics.median(ratios):.2f}x | |")
    print(f"| first landscape update after start (the kernels are loaded or compiled) | {first_s * 1e3:.0f} ms | |")
    print(f"| the same update on the typed (1-x)**2 + 100*(y-x**2)**2 (NumPy path: a typed formula is not "
          f"compiled) | {extra['typed'] * 1e3:.0f} ms | |")
    print(f"| contours: f on a 101 x 101 grid (POST /api/surface) | {extra['surface'] * 1e3:.1f} ms | |")
    for updates, med, fps in rows:
        print(f"| training frame, 2-8-8-1, 500 training points, batch 10, {updates} update(s)/frame, 50x50 grid "
              f"| {med * 1e3:.2f} ms ({fps:.0f} frames/s) | >= 10 frames/s |")
    print(f"| the landscape update with the internals of all six runs (\"internals\": true) "
          f"| {extra['internals'] * 1e3:.0f} ms | |")
    rounds = max(3, args.rounds // 3)
    ours, ref, ratio = internals_in_process(rounds)
    print(f"| internals of the six runs in-process: batched replay / descend.plot.internals.record "
          f"| {ours * 1e3:.0f} ms / {ref * 1e3:.0f} ms ({ratio:.2f}x) | |")
    new, old, ratio = typed_in_process(rounds)
    print(f"| six typed-Rosenbrock runs in-process: one-point tape / one-element arrays "
          f"| {new * 1e3:.0f} ms / {old * 1e3:.0f} ms ({ratio:.2f}x) | |")
    print(f"| first five updates after start | {', '.join(f'{t * 1e3:.0f}' for t in firsts)} ms | |")
    for label, t in worst.items():
        print(f"| {label}, worst of 3, with 8 of the largest requests in flight | {t * 1e3:.0f} ms | <= 1000 ms |")
    print(f"\n{args.rounds} rounds (landscape), {args.frames} frames per row; load average {load_start[0]:.1f} at "
          f"the start, {os.getloadavg()[0]:.1f} at the end; {_threads()}; python {sys.version.split()[0]}")


def _report_quick(http, server, lib, ratios, firsts, worst, codes, load_start, args):
    print("| measure | median | target |")
    print("|---|---|---|")
    print(f"| landscape update, 6 optimizers x 1000 steps, Rosenbrock, HTTP request to parsed response "
          f"| {statistics.median(http) * 1e3:.1f} ms | <= 100 ms (page: click to redrawn paths) |")
    print(f"| of which in the server (Server-Timing) | {statistics.median(server) * 1e3:.1f} ms | |")
    print(f"| the same six descend.minimize calls in-process | {statistics.median(lib) * 1e3:.1f} ms | |")
    print(f"| HTTP / in-process (median of per-round ratios) | {statistics.median(ratios):.2f}x | |")
    print(f"| first five updates after start | {', '.join(f'{t * 1e3:.0f}' for t in firsts)} ms | |")
    for label, t in worst.items():
        print(f"| {label}, worst of 3, with 8 of the largest requests in flight | {t * 1e3:.0f} ms | <= 1000 ms |")
    print(f"| the 8 largest requests answered with | {', '.join(map(str, codes))} | 400 at the deadline |")
    print(f"\n{args.rounds} rounds; load average {load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
          f"end; {os.cpu_count()} cores; {_threads()}; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
