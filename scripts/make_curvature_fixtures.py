"""Write the torch references of tests/test_curvature.py: Hessian-vector products and Hessians.

    pip install torch==2.13.0     # the CPU build is enough
    python scripts/make_curvature_fixtures.py

writes tests/fixtures/torch_curvature.npz (plain arrays and JSON strings, no pickle).  For each
case: a small descend.nn network in float64 (its architecture as JSON, its parameters in the
order of ``model.params``), a batch ``X, y``, a direction ``v``, torch's
``torch.autograd.functional.hvp`` of the loss at the parameters along ``v`` and its full
``torch.autograd.functional.hessian``.  The network is written here again with torch operations
on the same arrays (``X @ W + b``, W stored (in, out) as descend keeps it), so the files record
torch's double backward alone.  The tests hold :func:`torch_loss` too and rerun it live when
torch is importable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "torch_curvature.npz"

# name -> (sizes, activation, loss, reduction, target kind, samples)
CASES = {
    "tanh_cross_entropy": ((4, 6, 3), "tanh", "cross_entropy", "mean", "labels", 12),
    "sigmoid_mse": ((3, 5, 4, 2), "sigmoid", "mse", "mean", "regression", 10),
    "relu_bce": ((4, 7, 1), "relu", "bce_with_logits", "mean", "binary", 16),
    "leaky_soft_cross_entropy_sum": ((3, 5, 4), "leaky_relu", "cross_entropy", "sum", "soft", 9),
}


def case_data(name: str):
    """The network (a descend model), X, y and v of a case, from a seed made of its name."""
    from descend import nn

    sizes, act, _, _, target, samples = CASES[name]
    seed = sum(map(ord, name))
    rng = np.random.default_rng(seed)
    model = nn.mlp(sizes, activation=act, rng=seed, dtype="float64")
    for p in model.params.values():  # biases away from zero, so that their terms are checked too
        p += 0.1 * rng.standard_normal(p.shape)
    X = rng.standard_normal((samples, sizes[0]))
    out = sizes[-1]
    y = {"labels": lambda: rng.integers(0, out, samples),
         "regression": lambda: rng.standard_normal((samples, out)),
         "binary": lambda: rng.integers(0, 2, samples).astype(np.float64),
         "soft": lambda: rng.dirichlet(np.ones(out), samples) * rng.uniform(0.5, 1.5, (samples, 1))}[target]()
    v = rng.standard_normal(model.n_params)
    return model, X, y, v


def torch_loss(torch, model, loss: str, reduction: str, X, y):
    """``theta (flat) -> loss``, the descend model written again with torch operations."""
    F = torch.nn.functional
    acts = {"Tanh": torch.tanh, "Sigmoid": torch.sigmoid, "ReLU": torch.relu,
            "LeakyReLU": lambda z: F.leaky_relu(z, 0.01)}
    shapes = [p.shape for p in model.params.values()]
    Xt = torch.as_tensor(X)
    yt = torch.as_tensor(y)

    def f(theta):
        parts, at = [], 0
        for s in shapes:
            n = int(np.prod(s))
            parts.append(theta[at:at + n].reshape(s))
            at += n
        z, k = Xt, 0
        for layer in model.layers:
            kind = type(layer).__name__
            if kind == "Linear":
                z = z @ parts[k] + parts[k + 1]
                k += 2
            elif kind != "Dropout":
                z = acts[kind](z)
        if loss == "mse":
            return F.mse_loss(z, yt.reshape(z.shape), reduction=reduction)
        if loss == "bce_with_logits":
            return F.binary_cross_entropy_with_logits(z, yt.reshape(z.shape), reduction=reduction)
        if yt.dtype.is_floating_point:  # soft targets: -sum t log softmax(z)
            total = -(yt * torch.log_softmax(z, dim=1)).sum()
            return total / len(z) if reduction == "mean" else total
        return F.cross_entropy(z, yt, reduction=reduction)
    return f


def torch_references(torch, name: str):
    """(hvp, hessian) of a case by torch.autograd.functional, in float64."""
    model, X, y, v = case_data(name)
    _, _, loss, reduction, _, _ = CASES[name]
    f = torch_loss(torch, model, loss, reduction, X, y)
    theta = torch.as_tensor(np.concatenate([p.reshape(-1) for p in model.params.values()]))
    _, hv = torch.autograd.functional.hvp(f, theta, torch.as_tensor(v))
    H = torch.autograd.functional.hessian(f, theta)
    return hv.numpy(), H.numpy()


def main() -> int:
    import torch

    sys.path.insert(0, str(ROOT / "src"))
    torch.set_default_dtype(torch.float64)
    arrays = {"torch_version": np.array(torch.__version__), "cases": np.array(json.dumps(CASES))}
    for name in CASES:
        model, X, y, v = case_data(name)
        hv, H = torch_references(torch, name)
        arrays[f"{name}/hvp"] = hv
        arrays[f"{name}/hessian"] = H
        arrays[f"{name}/theta"] = np.concatenate([p.reshape(-1) for p in model.params.values()])
    np.savez(OUT, **arrays)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(CASES)} cases, torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
