"""One optimizer step on 10M float32 parameters: descend vs torch.optim vs plain NumPy.

    python bench/optim_step.py [--n 10000000] [--rounds 30] [--threads 2]

For Adam, SGD with momentum and RMSProp, times in one process, round-robin (one
step of each contender per round, so drift hits all alike), the median step of

* torch.optim with ``fused=True`` (where torch has a fused CPU kernel), ``foreach=True``
  and the default single-tensor loop;
* NumPy written as the formula (``m = b1*m + (1-b1)*g`` ..., allocating temporaries);
* descend with the numba kernel (``fused=None``, the default) and with its NumPy
  path (``fused=False``, blocked, in place).

It also reports the peak memory allocated during one step after warm-up (tracemalloc,
which sees NumPy's allocations; torch's are invisible to it, so none is shown), and
checks that descend's two paths give the same bits.  torch is imported only here.

``--cases adam --bound`` adds two numba loops that are not descend (Adam in float32
arithmetic; one that only moves Adam's bytes) to show what bounds the float64 kernel;
``--cases muon`` adds torch's Muon with its Newton-Schulz iteration in float32 instead of
bfloat16, to show what bfloat16 buys torch.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np


def numpy_formula(name, p, g, st, k):
    """The textbook NumPy step, temporaries and all (what descend is compared with)."""
    if name == "adam":
        lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
        st["m"] = b1 * st["m"] + (1 - b1) * g
        st["v"] = b2 * st["v"] + (1 - b2) * g * g
        m_hat = st["m"] / (1 - b1 ** k)
        v_hat = st["v"] / (1 - b2 ** k)
        p -= lr * m_hat / (np.sqrt(v_hat) + eps)
    elif name == "sgd_momentum":
        st["b"] = 0.9 * st["b"] + g
        p -= 1e-3 * st["b"]
    else:
        st["h"] = 0.99 * st["h"] + (1 - 0.99) * g * g
        p -= 1e-2 * g / (np.sqrt(st["h"]) + 1e-8)


def adam_bounds(n):
    """What bounds descend's Adam kernel: the same numba loop with float32 arithmetic (not
    descend's numbers: descend computes in float64, rounded once), and one that moves the
    same bytes (read p, g, m, v; write p, m, v) with one addition per array."""
    import numba
    from numba import float32, prange

    @numba.njit(parallel=True, fastmath=False)
    def adam32(p, g, m, v, b1, b2, a, e):
        b1, b2, a, e = float32(b1), float32(b2), float32(a), float32(e)
        c1, c2 = float32(1) - b1, float32(1) - b2
        for i in prange(p.size):
            gi = g[i]
            mi = b1 * m[i] + c1 * gi
            vi = b2 * v[i] + c2 * gi * gi
            p[i] = p[i] - a * mi / (np.sqrt(vi) + e)
            m[i] = mi
            v[i] = vi

    @numba.njit(parallel=True, fastmath=False)
    def traffic(p, g, m, v):
        for i in prange(p.size):
            gi = g[i]
            p[i] += gi
            m[i] += gi
            v[i] += gi

    rng = np.random.default_rng(1)
    a32 = [rng.standard_normal(n).astype(np.float32) for _ in range(2)] + [np.zeros(n, np.float32) for _ in range(2)]
    at = [np.zeros(n, np.float32) for _ in range(4)]
    return {"numba float32 arithmetic (bound)": (lambda: adam32(*a32, 0.9, 0.999, 1e-3, 1e-8), False),
            "numba traffic only (bound)": (lambda: traffic(*at), False)}


def float32_newton_schulz(torch, step):
    """``step`` with torch's Newton-Schulz iteration run in float32 instead of bfloat16 (torch's
    own function, with ``grad.bfloat16()`` made a float32 copy), to show what bfloat16 buys it."""
    import inspect
    import torch.optim._muon as tm

    src = inspect.getsource(tm._zeropower_via_newtonschulz).replace("grad.bfloat16()", "grad.float().clone()")
    assert "grad.float().clone()" in src, "torch's Newton-Schulz no longer starts with grad.bfloat16()"
    ns = dict(vars(tm))
    exec(compile(src, "<torch Newton-Schulz in float32>", "exec"), ns)
    original, f32 = tm._zeropower_via_newtonschulz, ns["_zeropower_via_newtonschulz"]

    def run():
        tm._zeropower_via_newtonschulz = f32
        try:
            step()
        finally:
            tm._zeropower_via_newtonschulz = original
    run()
    return run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bound", action="store_true",
                    help="adam: also time the same numba loop in float32 and one that only moves the bytes")
    ap.add_argument("--cases", default="adam,sgd_momentum,rmsprop",
                    help="comma-separated; also rprop, asgd, adafactor (a 2500 x 4000 matrix), "
                         "muon (a 4096 x 2048 matrix)")
    args = ap.parse_args(argv)

    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
    import torch
    import numba

    from descend import optim

    torch.set_num_threads(args.threads)
    numba.set_num_threads(args.threads)
    n = args.n
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(n).astype(np.float32)
    g0 = (rng.standard_normal(n) * 0.1).astype(np.float32)

    cases = {
        "adam": ("Adam", {"lr": 1e-3}, "adam", {"lr": 1e-3}),
        "sgd_momentum": ("SGD", {"lr": 1e-3, "momentum": 0.9}, "sgd", {"lr": 1e-3, "momentum": 0.9}),
        "rmsprop": ("RMSprop", {"lr": 1e-2}, "rmsprop", {"lr": 1e-2}),
        "rprop": ("Rprop", {"lr": 1e-2}, "rprop", {"lr": 1e-2}),
        "asgd": ("ASGD", {"lr": 1e-2}, "asgd", {"lr": 1e-2}),
        "adafactor": ("Adafactor", {"lr": 1e-2}, "adafactor", {"lr": 1e-2}),
        "muon": ("Muon", {"lr": 1e-3}, "muon", {"lr": 1e-3}),
    }
    shapes = {"adafactor": (2500, 4000), "muon": (4096, 2048)}  # matrices: the factored / orthogonalized paths
    wanted = args.cases.split(",")
    unknown = [c for c in wanted if c not in cases]
    if unknown:
        ap.error(f"unknown case(s) {unknown}; valid: {', '.join(cases)}")
    cases = {c: v for c, v in cases.items() if c in wanted}
    load0 = os.getloadavg()[0]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, threads={args.threads}, "
          f"n={n:,} float32, torch {torch.__version__}, numba {numba.__version__}, numpy {np.__version__}, "
          f"python {sys.version.split()[0]}")
    rows = []
    full_p0, full_g0 = p0, g0
    for case, (tname, tkw, dname, dkw) in cases.items():
        shape = shapes.get(case, (n,))
        size = int(np.prod(shape))
        p0, g0 = full_p0[:size].reshape(shape), full_g0[:size].reshape(shape)
        contenders = {}
        for mode in ("fused", "foreach", "for-loop"):
            tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
            tp.grad = torch.from_numpy(g0.copy())
            kw = {"fused": True} if mode == "fused" else {"foreach": mode == "foreach"}
            try:
                try:
                    topt = getattr(torch.optim, tname)([tp], **tkw, **kw)
                except TypeError:  # no foreach keyword (Muon): the for-loop is its only implementation
                    if mode != "for-loop":
                        raise
                    topt = getattr(torch.optim, tname)([tp], **tkw)
                topt.step()
            except (RuntimeError, TypeError, ValueError) as exc:
                rows.append((case, f"torch {mode}", None, None, f"not available: {str(exc).splitlines()[0][:60]}"))
                continue
            contenders[f"torch {mode}"] = (topt.step, False)
            if case == "muon":  # what torch's bfloat16 matrix products buy it: the same step in float32
                contenders["torch for-loop, NS in float32"] = (float32_newton_schulz(torch, topt.step), False)
        xp, st, k = p0.copy(), {"m": np.zeros(n, np.float32), "v": np.zeros(n, np.float32),
                                "b": np.zeros(n, np.float32), "h": np.zeros(n, np.float32)}, [0]

        def formula(xp=xp, st=st, k=k, case=case, g0=g0):
            k[0] += 1
            numpy_formula(case, xp, g0, st, k[0])
        if case in ("adam", "sgd_momentum", "rmsprop"):  # the textbook formula is written for these
            contenders["numpy formula"] = (formula, True)
        if case == "adam" and args.bound:
            contenders.update(adam_bounds(n))
        xs = {}
        for label, fused in (("descend fused", None), ("descend numpy path", False)):
            x = p0.copy()
            opt = optim.get(dname, **dkw, fused=fused)
            xs[label] = (x, opt)
            contenders[label] = (lambda x=x, opt=opt, g0=g0: opt.step(x, g0), True)

        for _ in range(args.warmup):
            for f, _ in contenders.values():
                f()
        times = {c: [] for c in contenders}
        for _ in range(args.rounds):
            for c, (f, _) in contenders.items():
                t0 = time.perf_counter()
                f()
                times[c].append(time.perf_counter() - t0)
        peaks = {}
        for c, (f, tracked) in contenders.items():
            if not tracked:
                continue
            gc.collect()
            tracemalloc.start()
            f()
            peaks[c] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        same = np.array_equal(xs["descend fused"][0], xs["descend numpy path"][0])
        ref = statistics.median(times["torch fused"]) if "torch fused" in times else None
        best_torch = min(statistics.median(v) for c, v in times.items() if c.startswith("torch"))
        for c, v in times.items():
            med = statistics.median(v)
            note = "bit-identical to the NumPy path" if c == "descend fused" and same else ""
            if c == "descend fused" and not same:
                note = "DIFFERS from the NumPy path"
            rows.append((case, c, med, peaks.get(c), note))
        rows.append((case, "ratio descend fused / torch fused" if ref else "ratio descend fused / best torch",
                     statistics.median(times["descend fused"]) / (ref or best_torch), None, ""))
        if "torch for-loop, NS in float32" in times:
            rows.append((case, "ratio descend fused / torch NS float32", statistics.median(times["descend fused"])
                         / statistics.median(times["torch for-loop, NS in float32"]), None, ""))
        del contenders, xs
        gc.collect()

    print(f"# load average (1 min) {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
          f"median of {args.rounds} interleaved rounds after {args.warmup} warm-up rounds")
    print(f"{'step':14s} {'contender':34s} {'median ms':>10s} {'peak extra MiB':>15s}  note")
    for case, c, med, peak, note in rows:
        if c.startswith("ratio"):
            print(f"{case:14s} {c:34s} {med:10.2f}x")
            continue
        ms = "" if med is None else f"{med * 1e3:10.2f}"
        pk = "" if peak is None else f"{peak / 2**20:15.3f}"
        print(f"{case:14s} {c:34s} {ms:>10s} {pk:>15s}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
