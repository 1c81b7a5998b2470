"""Write torch.optim.LBFGS's minimizers for tests/test_methods.py.

    pip install torch==2.13.0
    python scripts/make_second_order_fixtures.py

writes tests/fixtures/torch_lbfgs.npz (plain float arrays, no pickle): for every 2-D
problem of descend.problems and Rosenbrock n = 10, the start, the point where
torch.optim.LBFGS(line_search_fn="strong_wolfe", history_size=10, lr=1) stops with
tolerance_grad=1e-10, the gradient norm there, and the closure evaluations it took.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from descend import problems

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_lbfgs.npz"


def cases():
    out = [(name, problems.get(name)) for name in problems.names() if problems.get(name).dim == 2]
    return out + [("rosenbrock10", problems.get("rosenbrock", n=10))]


def torch_lbfgs(p):
    x = torch.tensor(np.array(p.x0, dtype=float), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=10_000, max_eval=50_000, tolerance_grad=1e-10,
                            tolerance_change=0.0, history_size=10, line_search_fn="strong_wolfe")
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        xn = x.detach().numpy()
        x.grad = torch.tensor(p.grad(xn), dtype=torch.float64)
        return torch.tensor(float(p.f(xn)), dtype=torch.float64)

    opt.step(closure)
    xs = x.detach().numpy().copy()
    return xs, float(np.linalg.norm(p.grad(xs))), calls[0]


def main():
    arrays = {}
    for name, p in cases():
        x, gnorm, calls = torch_lbfgs(p)
        arrays[f"{name}/x0"] = np.array(p.x0, dtype=float)
        arrays[f"{name}/x"] = x
        arrays[f"{name}/grad_norm"] = np.array(gnorm)
        arrays[f"{name}/calls"] = np.array(calls)
        print(f"{name:18s} x={np.array2string(x, precision=6, threshold=4)} |g|={gnorm:.2e} calls={calls}")
    arrays["torch_version"] = np.array(torch.__version__)
    np.savez(OUT, **arrays)


if __name__ == "__main__":
    main()
