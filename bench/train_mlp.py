"""Benchmark: one training epoch of an MLP, descend.train against PyTorch (CPU) and hand-written NumPy.

The model is 784-H-10 with ReLU and softmax cross-entropy, trained on random
float32 data (seeded) in mini-batches; every framework uses the same threads.

Each (framework, H, batch, optimizer) runs in its own Python process, started once
per cell and kept (so that its peak memory can be read cleanly), and serves epochs
on request after one warm-up epoch:

* time: ``--rounds`` rounds; a round times one epoch of every contender, one after
  the other (the order rotated each round), each with ``time.perf_counter``.  The
  shared machine slows down and speeds up over tens of seconds, so epochs compared
  with each other are run side by side: the "x torch" column is the median over the
  rounds of (this contender's epoch / torch's epoch of the same round), and the
  seconds columns are the median and the minimum epoch;
* memory: the process's peak resident set size (``ru_maxrss``) at the end, and
  the same minus the RSS measured just after the data were created, the
  framework imported and the model built ("extra"), which is what training
  itself added.

Contenders: PyTorch (``torch.set_num_threads``, ``opt.zero_grad(); loss.backward();
opt.step()``, a ``torch.randperm`` order each epoch); ``descend.train`` with
``descend.optim.get(name, lr=...)``; ``descend.train`` with a bare in-place float32
``p -= lr * g`` (SGD rows only: what descend.nn and descend.train cost apart from the
optimizer); NumPy by hand in float32 with in-place updates (SGD rows only).

Batch size 1 runs on ``--n-small`` samples and the time is scaled to 60,000
samples (``time * n / n_small``); the table says so.

Usage::

    python bench/train_mlp.py                     # the full table (several minutes)
    python bench/train_mlp.py --quick             # H=256, batch 100 only
    python bench/train_mlp.py --cells 256:100,50:1 --rounds 11
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

FRAMEWORKS = ("torch", "descend", "descend_bare", "numpy")


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make_data(n: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return X, y


# ------------------------------------------------------------------------------------------
def run_torch(X, y, hidden, batch, opt_name, lr, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr) if opt_name == "sgd" else \
        torch.optim.Adam(model.parameters(), lr=lr)
    n = len(Xt)
    gen = torch.Generator().manual_seed(0)
    base = rss_mib()

    def epoch():
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            xb, yb = Xt[idx], yt[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        return float(loss.detach())

    return base, epoch


class InPlaceSGD:
    """The least an optimizer can do: ``p -= lr * g`` in place, in float32 (no descend.optim).

    Used only to show what descend.nn + descend.train cost apart from the optimizer.
    """

    def __init__(self, lr):
        import numpy as np

        self.lr32 = np.float32(lr)
        self.last_lr = lr

    def step(self, params, grads):
        for k, p in params.items():
            g = grads[k]
            g *= self.lr32  # the model's own gradient buffer, overwritten by the next backward
            p -= g

    def state_dict(self):
        return {}

    def load_state_dict(self, d):
        pass


def run_descend(X, y, hidden, batch, opt_name, lr, threads, bare=False):
    import descend
    from descend import nn
    from descend.training import train

    model = nn.Sequential(nn.Linear(784, hidden, rng=0), nn.ReLU(), nn.Linear(hidden, 10, rng=1))
    if bare and opt_name != "sgd":
        raise SystemExit("the bare in-place optimizer is SGD only")
    opt = InPlaceSGD(lr) if bare else descend.optim.get(opt_name, lr=lr)
    seeds = iter(range(10**6))
    base = rss_mib()

    def epoch():
        h = train(model, X, y, loss="cross_entropy", optimizer=opt, batch_size=batch, epochs=1,
                  seed=next(seeds), progress=False)
        assert h.status == "completed", h.message
        return h.loss[-1]

    return base, epoch


def run_descend_bare(*args):
    return run_descend(*args, bare=True)


def run_numpy(X, y, hidden, batch, opt_name, lr, threads):
    """NumPy written carefully by hand: float32, BLAS matmuls, in-place updates (SGD only)."""
    import numpy as np

    if opt_name != "sgd":
        raise SystemExit("the hand-written NumPy baseline is SGD only")
    rng = np.random.default_rng(0)
    W1 = (rng.standard_normal((784, hidden), dtype=np.float32) * np.float32(np.sqrt(2 / 784)))
    b1 = np.zeros(hidden, np.float32)
    W2 = (rng.standard_normal((hidden, 10), dtype=np.float32) * np.float32(np.sqrt(2 / hidden)))
    b2 = np.zeros(10, np.float32)
    lr32 = np.float32(lr)
    n = len(X)
    base = rss_mib()

    def epoch():
        perm = rng.permutation(n)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            xb, yb = X[idx], y[idx]
            m = len(idx)
            h = xb @ W1
            h += b1
            np.maximum(h, 0, out=h)
            z = h @ W2
            z += b2
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)
            loss = -np.log(z[np.arange(m), yb]).mean()
            z[np.arange(m), yb] -= 1
            z *= np.float32(1 / m)
            gW2 = h.T @ z
            gb2 = z.sum(axis=0)
            dh = z @ W2.T
            dh *= h > 0
            gW1 = xb.T @ dh
            gb1 = dh.sum(axis=0)
            for w, g in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2)):
                g *= lr32
                np.subtract(w, g, out=w)
        return float(loss)

    return base, epoch


def child(args) -> None:
    """Serve epochs: set up, run the warm-up epoch, say "ready"; then one timed epoch per
    "epoch" line on stdin (its time on stdout), and the summary as JSON on "quit"."""
    X, y = make_data(args.n)
    runner = {"torch": run_torch, "descend": run_descend, "descend_bare": run_descend_bare,
              "numpy": run_numpy}[args.child]
    lr = args.lr if args.lr is not None else (0.01 if args.opt == "sgd" else 1e-3)
    base, epoch = runner(X, y, args.hidden, args.batch, args.opt, lr, args.threads)
    epoch()  # warm-up: first-touch allocations, BLAS thread start-up, numba's cache
    print("ready", flush=True)
    times, last = [], None
    for line in sys.stdin:
        if line.strip() != "epoch":
            break
        t0 = time.perf_counter()
        last = epoch()
        times.append(time.perf_counter() - t0)
        print(times[-1], flush=True)
    print(json.dumps({"framework": args.child, "times": times, "last_loss": last,
                      "base_rss_mib": base, "peak_rss_mib": peak_rss_mib()}), flush=True)


class Contender:
    """One contender's child process, started once per cell and asked for epochs in turn."""

    def __init__(self, framework, hidden, batch, opt, n, threads, extra_env=()):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        env.update(dict(extra_env))
        src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")  # descend from this checkout
        cmd = [sys.executable, __file__, "--child", framework, "--hidden", str(hidden), "--batch", str(batch),
               "--opt", opt, "--n", str(n), "--threads", str(threads)]
        self.framework = framework
        self.error = None
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self._failed()

    def _failed(self):
        self.proc.kill()
        err = self.proc.stderr.read().strip().splitlines()
        self.error = err[-1] if err else "?"

    def epoch(self) -> float | None:
        if self.error:
            return None
        self.proc.stdin.write("epoch\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        try:
            return float(line)
        except ValueError:
            self._failed()
            return None

    def finish(self) -> dict:
        if self.error:
            return {"framework": self.framework, "error": self.error}
        out, _ = self.proc.communicate("quit\n")
        return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", choices=FRAMEWORKS)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--opt", choices=("sgd", "adam"), default="sgd")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--n", type=int, default=60000)
    p.add_argument("--n-small", type=int, default=3000, help="samples for batch size 1 (time scaled to --n)")
    p.add_argument("--rounds", type=int, default=7, help="timed epochs per contender, taken in turns")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="H=256, batch 100 only")
    p.add_argument("--cells", default=None, help="H:batch pairs, e.g. 256:100,50:1")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="extra environment for the descend child, e.g. NUMBA_THREADING_LAYER=workqueue")
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return
    cells = [(256, 100)] if args.quick else [(256, 100), (256, 1000), (256, 1), (50, 100), (50, 1000), (50, 1)]
    if args.cells:
        cells = [tuple(int(v) for v in c.split(":")) for c in args.cells.split(",")]
    extra = [kv.split("=", 1) for kv in args.env]
    print(f"# {args.rounds} rounds of one epoch per contender, in turns (order rotated each round); "
          f"threads={args.threads}; descend env: {' '.join(args.env) or '(default)'}")
    print(f"{'H':>4} {'batch':>5} {'opt':>4}  {'contender':<24} {'median s':>9} {'min s':>8} {'x torch':>8} "
          f"{'peak MiB':>9} {'extra MiB':>9}")
    names = {"torch": "torch", "descend": "descend.train", "descend_bare": "descend.train, bare SGD",
             "numpy": "numpy by hand"}
    for hidden, batch in cells:
        n = args.n_small if batch == 1 else args.n
        for opt in ("sgd", "adam"):
            fws = ("torch", "descend") + (("descend_bare", "numpy") if opt == "sgd" else ())
            procs = {fw: Contender(fw, hidden, batch, opt, n, args.threads,
                                   extra if fw.startswith("descend") else ()) for fw in fws}
            times = {fw: [] for fw in fws}
            for r in range(args.rounds):
                # each round times one epoch of every contender back to back, so that a burst
                # of load on the shared machine hits the epochs compared with each other alike
                order = fws[r % len(fws):] + fws[:r % len(fws)]
                for fw in order:
                    times[fw].append(procs[fw].epoch())
            results = {fw: procs[fw].finish() for fw in fws}
            scale = args.n / n
            for fw in fws:
                res = results[fw]
                if "error" in res or None in times[fw]:
                    print(f"{hidden:>4} {batch:>5} {opt:>4}  {names[fw]:<24} failed: {res.get('error')}")
                    continue
                # the ratio is the median of the per-round ratios: epochs timed side by side
                ratios = [a / b for a, b in zip(times[fw], times["torch"]) if b]
                note = f"  (time x{scale:g} from {n} samples)" if scale != 1 else ""
                print(f"{hidden:>4} {batch:>5} {opt:>4}  {names[fw]:<24} {statistics.median(times[fw]) * scale:9.3f} "
                      f"{min(times[fw]) * scale:8.3f} {statistics.median(ratios):8.2f} {res['peak_rss_mib']:9.0f} "
                      f"{res['peak_rss_mib'] - res['base_rss_mib']:9.0f}{note}", flush=True)


if __name__ == "__main__":
    main()
