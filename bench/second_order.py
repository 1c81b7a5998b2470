"""L-BFGS against scipy.optimize (L-BFGS-B) and torch.optim.LBFGS: evaluations, many starts, large n.

    python bench/second_order.py            # the four measurements
    python bench/second_order.py --quick    # fewer repeats, 200 starts
    python bench/second_order.py --single   # only the single solves (issue 20 point 4)
    python bench/second_order.py --starts   # only the 1000 batched starts (issue 20 point 4)
    python bench/second_order.py --single --compiled false   # the NumPy path (default: compiled=None)

BLAS threads are fixed (threadpoolctl, ``--threads``, default 1) and printed with the load.

1. Evaluations: nfev + njev until the first evaluated point with |grad|_2 <= 1e-6, counted
   by wrapping f and grad (scipy's L-BFGS-B evaluates both at every point; torch's closure
   too), from each problem's own start, over every 2-D problem and Rosenbrock n = 10, 100.
2. Many starts: 1000 random starts of 2-D Rosenbrock (gtol 1e-6): one batched
   descend.minimize(x0 of shape (1000, 2), method="lbfgs") against scipy one start at a
   time; contenders alternate, median over the rounds of the per-round ratio.
3. Rosenbrock n = 1000: wall time per iteration over 200 iterations, alternating, median.
4. Single solves: one bfgs / lbfgs / cg solve of Rosenbrock n = 2, 10, 100 from its own start
   (gtol 1e-6) against scipy's BFGS / L-BFGS-B / CG, alternating, median of the per-round ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np
from scipy.optimize import minimize as scipy_minimize

import descend
from descend import problems

GTOL = 1e-6


class Counter:
    """f and grad of one point, counting calls and noting the count when |grad| first drops to GTOL."""

    def __init__(self, p):
        self.p, self.nfev, self.njev, self.reached = p, 0, 0, None

    def f(self, x):
        self.nfev += 1
        return float(self.p.f(np.asarray(x, dtype=float)))

    def grad(self, x):
        self.njev += 1
        g = np.asarray(self.p.grad(np.asarray(x, dtype=float)), dtype=float)
        if self.reached is None and np.linalg.norm(g) <= GTOL:
            self.reached = self.nfev + self.njev
        return g

    def fg(self, x):
        return self.f(x), self.grad(x)


def count_descend(p):
    c = Counter(p)
    descend.minimize(c.f, p.x0, grad=c.grad, method="lbfgs", steps=5000, gtol=GTOL, history=False)
    return c.reached


def count_scipy(p):
    c = Counter(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scipy_minimize(c.fg, p.x0, jac=True, method="L-BFGS-B",
                       options={"gtol": 1e-12, "ftol": 0.0, "maxiter": 5000, "maxfun": 20000})
    return c.reached


def count_torch(p):
    try:
        import torch
    except ImportError:
        return None
    c = Counter(p)
    x = torch.tensor(np.array(p.x0, dtype=float), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=5000, max_eval=20000, tolerance_grad=1e-12,
                            tolerance_change=0.0, history_size=10, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        xn = x.detach().numpy()
        value, g = c.fg(xn)
        x.grad = torch.tensor(g, dtype=torch.float64)
        return torch.tensor(value, dtype=torch.float64)

    opt.step(closure)
    return c.reached


def evaluations():
    cases = [problems.get(n) for n in problems.names() if problems.get(n).dim == 2]
    cases += [problems.get("rosenbrock", n=10), problems.get("rosenbrock", n=100)]
    rows = []
    for p in cases:
        d, s, t = count_descend(p), count_scipy(p), count_torch(p)
        rows.append((f"{p.name}{'' if p.dim == 2 else p.dim}", d, s, t))
    print("| problem | descend lbfgs | scipy L-BFGS-B | torch LBFGS (strong_wolfe) | descend / scipy |")
    print("|---|---:|---:|---:|---:|")
    ratios = []
    for name, d, s, t in rows:
        r = d / s if d and s else float("nan")
        if np.isfinite(r):
            ratios.append(r)
        print(f"| {name} | {d} | {s} | {t} | {r:.2f} |")
    med = lambda k: statistics.median([r[k] for r in rows if r[k] is not None])  # noqa: E731
    print(f"| **median** | {med(1):g} | {med(2):g} | {med(3):g} | {statistics.median(ratios):.2f} |")
    return statistics.median(ratios)


COMPILED = None  # minimize's compiled= (--compiled)


def _warm(fn):
    """One call, then wait until the compiled solver it queued is loaded (compiled=None)."""
    fn()
    descend.jit.wait_ready(600)
    return fn()


def many_starts(R, rounds):
    p = problems.get("rosenbrock")
    X0 = np.random.default_rng(0).uniform([-2.0, -1.0], [2.0, 3.0], size=(R, 2))

    def ours():
        return descend.minimize(p, X0, method="lbfgs", steps=1000, gtol=GTOL, history=False, compiled=COMPILED)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [scipy_minimize(p.f, x, jac=p.grad, method="L-BFGS-B", options={"gtol": GTOL})
                    for x in X0]

    _warm(ours)
    ratios, t_ours, t_theirs = [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        r = ours()
        t1 = time.perf_counter()
        s = theirs()
        t2 = time.perf_counter()
        t_ours.append(t1 - t0)
        t_theirs.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    conv = np.mean(r.status == "converged")
    sconv = np.mean([np.linalg.norm(p.grad(q.x)) <= 1e-5 for q in s])
    print(f"| {R} starts of 2-D Rosenbrock | {statistics.median(t_ours) * 1e3:.0f} ms "
          f"({conv:.0%} converged) | {statistics.median(t_theirs) * 1e3:.0f} ms ({sconv:.0%} at |g| <= 1e-5) | "
          f"{statistics.median(ratios):.0f}x |")
    return statistics.median(ratios)


def large_n(n, iters, rounds):
    p = problems.get("rosenbrock", n=n)

    def ours():
        t0 = time.perf_counter()
        r = descend.minimize(p, method="lbfgs", steps=iters, gtol=1e-300, history=False)
        return (time.perf_counter() - t0) / r.nit

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            r = scipy_minimize(p.f, p.x0, jac=p.grad, method="L-BFGS-B",
                               options={"maxiter": iters, "gtol": 1e-300, "ftol": 0.0, "maxfun": 10 * iters})
            return (time.perf_counter() - t0) / r.nit

    ours(), theirs()
    a, b = [], []
    for _ in range(rounds):
        a.append(ours())
        b.append(theirs())
    ratio = statistics.median([x / y for x, y in zip(a, b)])
    print(f"| Rosenbrock n = {n}, {iters} iterations | {statistics.median(a) * 1e6:.0f} us/iter | "
          f"{statistics.median(b) * 1e6:.0f} us/iter | {ratio:.2f}x |")
    return ratio


SCIPY_METHOD = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "cg": "CG"}


def single_solves(rounds):
    """One solve per contender per round, alternating; medians and the per-round ratio."""
    print("| case | descend | scipy | descend / scipy | nit (descend, scipy) | evaluations f + grad (descend, scipy) |")
    print("|---|---:|---:|---:|---:|---:|")
    for n in (2, 10, 100):
        p = problems.get("rosenbrock", n=n)
        for method, theirs_name in SCIPY_METHOD.items():
            def ours():
                return descend.minimize(p, method=method, steps=5000, gtol=GTOL, history=False, compiled=COMPILED)

            def theirs():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return scipy_minimize(p.f, p.x0, jac=p.grad, method=theirs_name, options={"gtol": GTOL})

            r, s = _warm(ours), theirs()
            k = max(1, rounds // 4) if n == 100 else rounds
            a, b = [], []
            for _ in range(k):
                t0 = time.perf_counter()
                ours()
                t1 = time.perf_counter()
                theirs()
                a.append(t1 - t0)
                b.append(time.perf_counter() - t1)
            ratio = statistics.median([x / y for x, y in zip(a, b)])
            print(f"| {method} n = {n} | {statistics.median(a) * 1e3:.2f} ms | {statistics.median(b) * 1e3:.2f} ms | "
                  f"{ratio:.2f}x | {r.nit}, {s.nit} | {r.nfev + r.ngev}, {s.nfev + s.njev} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--single", action="store_true", help="only the single solves")
    ap.add_argument("--starts", action="store_true", help="only the 1000 batched starts")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (threadpoolctl)")
    ap.add_argument("--compiled", choices=("none", "true", "false"), default="none",
                    help="minimize's compiled= for descend's solves (default none: compiled once loaded)")
    args = ap.parse_args()
    global COMPILED
    COMPILED = {"none": None, "true": True, "false": False}[args.compiled]
    from threadpoolctl import threadpool_limits
    threadpool_limits(args.threads)
    print(f"# {platform.machine()}, {os.cpu_count()} cores, BLAS threads {args.threads} (threadpoolctl), "
          f"numpy {np.__version__}, compiled={COMPILED}, load average (1 min) {os.getloadavg()[0]:.1f} at the start")
    if args.single or args.starts:
        if args.single:
            single_solves(3 if args.quick else 9)
        if args.starts:
            print("| case | descend | scipy | ratio |")
            print("|---|---:|---:|---:|")
            many_starts(200 if args.quick else 1000, 1 if args.quick else 3)
        print(f"# load average (1 min) {os.getloadavg()[0]:.1f} at the end")
        return
    print("### Evaluations to |grad| <= 1e-6 (nfev + njev)\n")
    evaluations()
    print("\n### Time\n")
    print("| case | descend | scipy | ratio |")
    print("|---|---:|---:|---:|")
    many_starts(200 if args.quick else 1000, 1 if args.quick else 3)
    large_n(1000, 200, 2 if args.quick else 5)
    print("\n### Single solves\n")
    single_solves(3 if args.quick else 9)
    print(f"# load average (1 min) {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
