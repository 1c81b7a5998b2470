"""Write torch.optim.LBFGS's trajectories for tests/test_optim_lbfgs.py.

    pip install torch==2.13.0
    python scripts/make_lbfgs_fixtures.py

writes tests/fixtures/torch_lbfgs_steps.npz (plain arrays and JSON strings, no pickle):
for each case, torch's parameters after each of STEPS calls of ``step(closure)`` and its
``func_evals`` / ``n_iter`` counters, from the same start on the same problem.  torch's
closure gets its gradient from the NumPy function below (the test defines the same),
so both optimizers see the very same numbers.  The problems' arrays are stored too.
The "mlp" cases run a descend.nn network (2-6-2, tanh, cross-entropy on 40 moons):
torch's closure gets descend.nn's backward pass, as descend's LBFGS does.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_lbfgs_steps.npz"
STEPS = 6

CASES = {  # name -> (problem, torch.optim.LBFGS keywords)
    "quadratic_fixed": ("quadratic", {"lr": 0.5}),
    "quadratic_wolfe": ("quadratic", {"line_search_fn": "strong_wolfe"}),
    "rosenbrock_wolfe": ("rosenbrock", {"line_search_fn": "strong_wolfe"}),
    "rosenbrock_wolfe_short": ("rosenbrock", {"line_search_fn": "strong_wolfe", "history_size": 3,
                                              "max_iter": 5, "max_eval": 6}),
    "logistic_fixed": ("logistic", {"lr": 0.5, "max_iter": 4, "history_size": 2}),
    "logistic_wolfe": ("logistic", {"line_search_fn": "strong_wolfe", "max_iter": 7, "tolerance_change": 1e-12}),
    "mlp_wolfe": ("mlp", {"line_search_fn": "strong_wolfe", "max_iter": 10}),
    "mlp_fixed": ("mlp", {"lr": 0.2, "max_iter": 10, "history_size": 5}),
}


def problems():
    """name -> dict of arrays: the start (x0, or x0.<key> for a dict) and the data."""
    rng = np.random.default_rng(20261201)
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    A = Q @ np.diag([0.3, 1.0, 2.0, 4.0, 9.0]) @ Q.T
    X = rng.standard_normal((40, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) + 2.0 * rng.standard_normal(40) > 0).astype(np.float64)
    from descend import datasets, nn

    moons = datasets.moons(40, noise=0.2, seed=1)
    net = nn.mlp([2, 6, 2], activation="tanh", rng=0, dtype="float64")
    return {
        "mlp": {"X": moons.X, "y": moons.y, **{f"x0.{k}": v.copy() for k, v in net.params.items()}},
        "quadratic": {"A": (A + A.T) / 2, "b": rng.standard_normal(5), "x0": rng.standard_normal(5) * 2},
        "rosenbrock": {"x0": np.array([-1.2, 1.0])},
        "logistic": {"X": X, "y": y, "x0.w": rng.standard_normal(3), "x0.b": np.array([0.5])},
    }


def loss_and_grad(problem, arrays):
    """params -> (loss, grads) of a problem, in NumPy (the test defines the same)."""
    if problem == "quadratic":
        A, b = arrays["A"], arrays["b"]
        return lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b)
    if problem == "rosenbrock":
        return lambda x: ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
                          np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)]))
    X, y = arrays["X"], arrays["y"]
    if problem == "mlp":
        return _mlp(X, y)

    def logistic(p):
        z = X @ p["w"] + p["b"][0]
        loss = np.mean(np.logaddexp(0, z) - y * z)
        r = (1 / (1 + np.exp(-z)) - y) / len(y)
        return loss, {"w": X.T @ r, "b": np.array([r.sum()])}
    return logistic


def _mlp(X, y):
    """A descend.nn network 2-6-2 (tanh) with cross-entropy on moons: params -> (loss, grads)."""
    from descend import nn

    net = nn.mlp([2, 6, 2], activation="tanh", rng=0, dtype="float64")
    loss_fn = nn.CrossEntropyLoss()

    def fg(p):
        for k, v in p.items():
            net.params[k][...] = v
        loss = loss_fn.forward(net.forward(X), y)
        return loss, {k: g.copy() for k, g in net.backward(loss_fn.backward()).items()}
    return fg


def start(arrays):
    if "x0" in arrays:
        return arrays["x0"].copy()
    return {k[3:]: v.copy() for k, v in arrays.items() if k.startswith("x0.")}


def torch_run(problem, arrays, kw, steps=STEPS):
    """torch.optim.LBFGS's parameters (flat) and counters after each step."""
    import torch

    fg = loss_and_grad(problem, arrays)
    x0 = start(arrays)
    keys = list(x0) if isinstance(x0, dict) else None
    tensors = [torch.tensor(x0[k] if keys else x0, dtype=torch.float64) for k in (keys or [None])]
    opt = torch.optim.LBFGS(tensors, **kw)

    def closure():
        values = [t.detach().numpy().copy() for t in tensors]
        now = dict(zip(keys, values)) if keys else values[0]
        loss, g = fg(now)
        for t, gk in zip(tensors, [g[k] for k in keys] if keys else [g]):
            t.grad = torch.tensor(gk, dtype=torch.float64)
        return torch.tensor(loss, dtype=torch.float64)

    xs, evals, iters = [], [], []
    for _ in range(steps):
        opt.step(closure)
        xs.append(np.concatenate([t.detach().numpy().reshape(-1) for t in tensors]))
        st = opt.state[tensors[0]]
        evals.append(st["func_evals"])
        iters.append(st["n_iter"])
    return np.array(xs), np.array(evals), np.array(iters)


def main():
    import torch

    probs = problems()
    out = {"torch_version": np.array(torch.__version__), "cases": np.array(json.dumps(CASES))}
    for name, arrays in probs.items():
        for k, v in arrays.items():
            out[f"problem.{name}.{k}"] = v
    for case, (problem, kw) in CASES.items():
        xs, evals, iters = torch_run(problem, probs[problem], kw)
        out[f"{case}.x"], out[f"{case}.func_evals"], out[f"{case}.n_iter"] = xs, evals, iters
    np.savez(OUT, **out)
    print(f"wrote {OUT} ({len(CASES)} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
