"""Benchmark: Hessian-vector products of a 784-256-10 MLP against one gradient and against torch;
the top eigenvalue to 1e-3 relative.

Run as ``python bench/curvature.py`` (``--repeats N``, default 7).  Not a test.  A ReLU MLP
784-256-10 (He init, seed 0) with the cross-entropy loss on 1,000 random samples (standard normal
pixels, labels 0..9, seeded), float64 (the dtype of descend.curvature) and float32 gradients
for scale.  Rows, each the median over interleaved repeats:

- descend gradient: ``loss.forward(model.forward(X))`` + ``model.backward(loss.backward())``;
- descend hvp(): one :func:`descend.curvature.hvp` call (copy of the model, forward, backward,
  the two R-passes): what one product costs alone;
- descend operator matvec: one product of a :class:`~descend.curvature.HessianOperator` (the
  forward and backward done once, at its construction): what Lanczos pays per step;
- torch gradient / torch double-backward HVP: ``torch.autograd.grad`` of the same network
  written with torch ops, then ``grad(g . v, create_graph)``, float64, the peer figure.

Then the top eigenvalue by :func:`descend.curvature.eigenvalues` with ``tol=1e-3`` against a
reference with ``tol=1e-10``: time, products, relative error.  Prints ``os.getloadavg()`` and the
thread settings: record them with the table in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

try:
    from descend import nn
except ImportError:  # run from a checkout without installing: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from descend import nn
from descend.curvature import HessianOperator, eigenvalues, hvp

try:
    import torch
except ImportError:  # the peer's rows are printed as skipped
    torch = None


def setup(n=1000, sizes=(784, 256, 10)):
    rng = np.random.default_rng(0)
    model = nn.mlp(sizes, activation="relu", rng=0, dtype="float64")
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    v = rng.standard_normal(model.n_params)
    return model, X, y, v


def descend_cases(model, X, y, v):
    loss = nn.CrossEntropyLoss()
    m32 = model.astype(np.float32)
    X32 = X.astype(np.float32)
    op = HessianOperator(model, loss, X, y)

    def grad64():
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())

    def grad32():
        loss.forward(m32.forward(X32), y)
        m32.backward(loss.backward())

    return {"descend gradient (float64)": grad64, "descend gradient (float32)": grad32,
            "descend hvp() (float64)": lambda: hvp(model, loss, X, y, v),
            "descend operator matvec (float64)": lambda: op.matvec(v)}


def torch_cases(model, X, y, v):
    if torch is None:
        return {}
    params = [torch.tensor(p, requires_grad=True) for p in model.params.values()]
    Xt, yt, vt = torch.tensor(X), torch.tensor(y), torch.tensor(v)
    sizes = [p.numel() for p in params]
    vs = [part.reshape(p.shape) for part, p in zip(torch.split(vt, sizes), params)]

    def f():
        W1, b1, W2, b2 = params
        return torch.nn.functional.cross_entropy(torch.relu(Xt @ W1 + b1) @ W2 + b2, yt)

    def grad():
        torch.autograd.grad(f(), params)

    def hvp_double_backward():
        g = torch.autograd.grad(f(), params, create_graph=True)
        torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, vs)), params)

    return {"torch gradient (float64)": grad, "torch double-backward HVP (float64)": hvp_double_backward}


def timeit(fn, min_time=0.05):
    fn()
    t0, k = time.perf_counter(), 0
    while True:
        fn()
        k += 1
        t = time.perf_counter() - t0
        if t >= min_time:
            return t / k


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    model, X, y, v = setup()
    cases = {**descend_cases(model, X, y, v), **torch_cases(model, X, y, v)}
    times = {name: [] for name in cases}
    for _ in range(args.repeats):  # interleaved: a burst of load hits every case alike
        for name, fn in cases.items():
            times[name].append(timeit(fn))
    med = {name: statistics.median(t) for name, t in times.items()}
    base = med["descend gradient (float64)"]
    print(f"Python {platform.python_version()}, NumPy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", torch: skipped"))
    print(f"load {os.getloadavg()[0]:.1f}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; {os.cpu_count()} cpus")
    print(f"MLP 784-256-10 ReLU, cross-entropy, 1000 samples; median of {args.repeats} interleaved repeats\n")
    print(f"{'case':40s} {'median':>10s} {'x descend grad64':>17s}")
    for name, t in med.items():
        print(f"{name:40s} {t * 1e3:8.2f} ms {t / base:17.2f}")
    if torch is not None:
        print(f"\nhvp matvec / torch double-backward HVP: "
              f"{med['descend operator matvec (float64)'] / med['torch double-backward HVP (float64)']:.2f}")
    ref = eigenvalues(model, "cross_entropy", X, y, tol=1e-10, max_iter=300).eigenvalues[0]
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = eigenvalues(model, "cross_entropy", X, y, tol=1e-3)
        runs.append((time.perf_counter() - t0, out))
    t, out = sorted(runs, key=lambda r: r[0])[1]
    print(f"\ntop eigenvalue, tol=1e-3: {out.eigenvalues[0]:.6g} in {t:.2f} s (median of 3), {out.nhvp} products, "
          f"relative error {abs(out.eigenvalues[0] - ref) / abs(ref):.1e} against {ref:.8g} (tol=1e-10)")
    ok = med["descend hvp() (float64)"] / base <= 3 and t <= 2
    print(f"targets (hvp() <= 3x a gradient, top eigenvalue <= 2 s): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
