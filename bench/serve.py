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

Usage: ``python bench/serve.py [--rounds 15]``.  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
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


def main(argv=None):
    import httpx
    import orjson

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--frames", type=int, default=100)
    args = ap.parse_args(argv)

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
        t0 = time.perf_counter()
        for _ in range(10):  # the server warms its compiled kernels in the background at start-up
            first = client.post("/api/run", json=body)
            if first.status_code == 200:
                break
        first_s = time.perf_counter() - t0
        assert first.status_code == 200, first.text
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
    print(f"\n{args.rounds} rounds (landscape), {args.frames} frames per row; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
