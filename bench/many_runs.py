"""Many runs of Adam on 2-D Rosenbrock: descend.minimize with x0 of shape (R, 2) against peers.

    python bench/many_runs.py            # R x steps = 100 x 1000 and 10000 x 2000
    python bench/many_runs.py --quick    # 100 x 1000 only

Peers, in the same process: torch.optim.Adam one run at a time (timed on a subset of runs and
extrapolated), NumPy one run at a time (the formula in a loop), NumPy with all runs as one
array, and optax with jax.vmap + lax.scan + jit (first call, compile included, and a second
call). Every row reports the median of a few repeats; the last column is the time divided by
optax's first call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import descend

LR, B1, B2, EPS = 1e-2, 0.9, 0.999, 1e-8


def rosen_grad_np(x):
    x0, x1 = x[..., 0], x[..., 1]
    t = x1 - x0 * x0
    return np.stack([-400.0 * x0 * t - 2.0 * (1.0 - x0), 200.0 * t], axis=-1)


def numpy_one_array(X0, steps):
    x = X0.copy()
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, steps + 1):
        g = rosen_grad_np(x)
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        x = x - LR * (m / (1 - B1**t)) / (np.sqrt(v / (1 - B2**t)) + EPS)
    return x


def numpy_one_at_a_time(X0, steps):
    return np.array([numpy_one_array(x[None, :], steps)[0] for x in X0])


def torch_one_at_a_time(X0, steps):
    import torch

    out = []
    for x0 in X0:
        x = torch.tensor(x0, dtype=torch.float64, requires_grad=False)
        opt = torch.optim.Adam([x], lr=LR)
        for _ in range(steps):
            x0_, x1_ = x[0], x[1]
            t = x1_ - x0_ * x0_
            x.grad = torch.stack([-400.0 * x0_ * t - 2.0 * (1.0 - x0_), 200.0 * t])
            opt.step()
        out.append(x.detach().numpy().copy())
    return np.array(out)


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


def timed(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    sizes = [(100, 1000)] if args.quick else [(100, 1000), (10_000, 2000)]
    p = descend.problems.get("rosenbrock")
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}; Adam lr={LR} on 2-D Rosenbrock, float64")
    for R, steps in sizes:
        X0 = np.random.default_rng(0).uniform(-2.0, 2.0, size=(R, 2))
        rows = []
        t, res = timed(lambda: descend.minimize(p, X0, optimizer="adam", lr=LR, steps=steps, history=False), 3)
        rows.append(("descend.minimize, (R, 2) array, history=False", t))
        t_f, _ = timed(lambda: descend.minimize(p, X0, optimizer="adam", lr=LR, steps=steps, history="f"), 3)
        rows.append(("descend.minimize, (R, 2) array, history='f'", t_f))
        t, ref = timed(lambda: numpy_one_array(X0, steps), 3)
        rows.append(("NumPy, all runs as one array", t))
        close = np.mean(np.all(np.isclose(res.x, ref, rtol=1e-6, atol=1e-8), axis=1))
        print(f"  (descend and the NumPy formula end within 1e-6 of each other on {close:.0%} of the runs; "
              f"Rosenbrock amplifies last-bit differences of the two ways to write Adam's bias correction)")
        sub = X0[: max(2, R // 1000 if R > 1000 else 10)]
        t, _ = timed(lambda: numpy_one_at_a_time(sub, steps), 1)
        rows.append((f"NumPy one run at a time (x{R // len(sub)} from {len(sub)} runs)", t * R / len(sub)))
        try:
            import torch

            torch.set_num_threads(2)
            t, _ = timed(lambda: torch_one_at_a_time(sub, steps), 1)
            rows.append((f"torch.optim.Adam one run at a time (x{R // len(sub)} from {len(sub)} runs)",
                         t * R / len(sub)))
        except ImportError:
            rows.append(("torch.optim.Adam one run at a time: torch not installed", float("nan")))
        optax_first = float("nan")
        try:
            run = optax_runner(steps)
            import jax.numpy as jnp

            X0j = jnp.asarray(X0)
            t0 = time.perf_counter()
            run(X0j).block_until_ready()
            optax_first = time.perf_counter() - t0
            t, _ = timed(lambda: run(X0j).block_until_ready(), 3)
            rows.append(("optax vmap+scan+jit, first call (compile included)", optax_first))
            rows.append(("optax vmap+scan+jit, later calls", t))
        except ImportError:
            rows.append(("optax: jax/optax not installed", float("nan")))
        print(f"\nR = {R} runs x {steps} steps")
        print(f"  {'what':70s} {'median':>10s} {'x optax 1st':>12s}")
        for name, t in rows:
            print(f"  {name:70s} {t * 1e3:8.1f} ms {t / optax_first:12.2f}")


if __name__ == "__main__":
    main()
