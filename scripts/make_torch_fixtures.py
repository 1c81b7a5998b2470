"""Write the torch reference trajectories and schedules used by tests/test_optim*.py.

    pip install torch==2.13.0     # the CPU build is enough
    python scripts/make_torch_fixtures.py

writes tests/fixtures/torch_optim.npz and tests/fixtures/torch_schedules.npz (plain
arrays and JSON strings, no pickle).  The objectives and their gradients are defined
here, in NumPy, and the gradient at torch's current point is computed by that same
NumPy code, so the files record torch's optimizers alone.  The tests hold the same
objectives; they also rerun torch live when it is importable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

STEPS = 200
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def quadratic_problem():
    """f(x) = x.A.x/2 - b.x with A symmetric positive definite (eigenvalues in [0.5, 5])."""
    rng = np.random.default_rng(20240611)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    A = Q @ np.diag([0.5, 1.0, 2.5, 5.0]) @ Q.T
    A = (A + A.T) / 2
    b = rng.standard_normal(4)
    x0 = rng.standard_normal(4) * 2
    return A, b, x0


def quadratic_grad(x, A, b):
    return A @ x - b


def rosenbrock_grad(x):
    """Gradient of (1 - x)^2 + 100 (y - x^2)^2."""
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


ROSENBROCK_X0 = np.array([-1.2, 1.0])

# name -> (descend optimizer, hyperparameters, lr on the quadratic, lr on Rosenbrock)
CONFIGS = {
    "sgd": ("sgd", {}, 0.1, 2e-4),
    "sgd_momentum": ("sgd", {"momentum": 0.9}, 0.05, 1e-4),
    "sgd_dampening": ("sgd", {"momentum": 0.9, "dampening": 0.5}, 0.05, 1e-4),
    "sgd_nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}, 0.05, 1e-4),
    "sgd_weight_decay": ("sgd", {"momentum": 0.5, "weight_decay": 0.1}, 0.1, 2e-4),
    "adagrad": ("adagrad", {}, 0.5, 0.1),
    "adagrad_options": ("adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1,
                                    "weight_decay": 0.01, "eps": 1e-8}, 0.5, 0.1),
    "adadelta": ("adadelta", {}, 1.0, 1.0),
    "adadelta_options": ("adadelta", {"rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}, 1.0, 1.0),
    "rmsprop": ("rmsprop", {}, 0.01, 1e-3),
    "rmsprop_centered": ("rmsprop", {"centered": True}, 0.01, 1e-3),
    "rmsprop_momentum": ("rmsprop", {"momentum": 0.5, "alpha": 0.95}, 0.01, 1e-3),
    "rmsprop_all": ("rmsprop", {"centered": True, "momentum": 0.9, "weight_decay": 0.01, "eps": 1e-6},
                    0.01, 1e-3),
    "adam": ("adam", {}, 0.05, 0.01),
    "adam_amsgrad": ("adam", {"amsgrad": True, "betas": (0.8, 0.99)}, 0.05, 0.01),
    "adam_weight_decay": ("adam", {"weight_decay": 0.1}, 0.05, 0.01),
    "adam_decoupled": ("adam", {"weight_decay": 0.1, "decoupled_weight_decay": True}, 0.05, 0.01),
    "adamw": ("adamw", {}, 0.05, 0.01),
    "adamw_amsgrad": ("adamw", {"amsgrad": True, "weight_decay": 0.05, "eps": 1e-6}, 0.05, 0.01),
    "nadam": ("nadam", {}, 0.05, 0.01),
    "nadam_options": ("nadam", {"weight_decay": 0.1, "momentum_decay": 0.01}, 0.05, 0.01),
    "nadam_decoupled": ("nadam", {"weight_decay": 0.1, "decoupled_weight_decay": True}, 0.05, 0.01),
    "radam": ("radam", {}, 0.05, 5e-4),
    "radam_weight_decay": ("radam", {"weight_decay": 0.1, "betas": (0.9, 0.99)}, 0.05, 5e-4),
    "radam_decoupled": ("radam", {"weight_decay": 0.1, "decoupled_weight_decay": True}, 0.05, 5e-4),
    "adamax": ("adamax", {}, 0.05, 0.01),
    "adamax_weight_decay": ("adamax", {"weight_decay": 0.1, "betas": (0.8, 0.99)}, 0.05, 0.01),
}

TORCH_CLASS = {"sgd": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta", "rmsprop": "RMSprop", "adam": "Adam",
               "adamw": "AdamW", "nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax"}


def torch_defaults(torch):
    """Hyperparameter names and defaults of each torch.optim class (those descend shares)."""
    import inspect

    skip = {"self", "params", "foreach", "maximize", "capturable", "differentiable", "fused"}
    out = {}
    for name, cls in TORCH_CLASS.items():
        sig = inspect.signature(getattr(torch.optim, cls).__init__)
        out[name] = {k: (list(p.default) if isinstance(p.default, tuple) else p.default)
                     for k, p in sig.parameters.items() if k not in skip}
    return out


def torch_trajectory(torch, name, kwargs, lr, grad, x0, steps=STEPS):
    """(steps + 1, n) iterates of torch.optim.<name> from x0 with gradient grad(x)."""
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = getattr(torch.optim, TORCH_CLASS[name])([p], lr=lr, **kwargs)
    out = [x0.copy()]
    for _ in range(steps):
        p.grad = torch.from_numpy(grad(p.detach().numpy().copy()))
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


# -- schedules: name -> (descend schedule, its arguments, torch scheduler, its arguments)
SCHEDULE_STEPS = 60
SCHEDULES = {
    "step": ("step", {"lr": 0.5, "step_size": 7, "gamma": 0.5}, "StepLR", {"step_size": 7, "gamma": 0.5}),
    "multistep": ("multistep", {"lr": 0.5, "milestones": [5, 12, 30], "gamma": 0.3},
                  "MultiStepLR", {"milestones": [5, 12, 30], "gamma": 0.3}),
    "exponential": ("exponential", {"lr": 0.5, "gamma": 0.95}, "ExponentialLR", {"gamma": 0.95}),
    "cosine": ("cosine", {"lr": 0.5, "decay_steps": SCHEDULE_STEPS, "min_lr": 0.01},
               "CosineAnnealingLR", {"T_max": SCHEDULE_STEPS, "eta_min": 0.01}),
    "cosine_restarts": ("cosine", {"lr": 0.5, "decay_steps": 10, "min_lr": 0.01, "restarts": True, "period_mult": 2},
                        "CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2, "eta_min": 0.01}),
    "linear_warmup": ("linear_warmup", {"lr": 0.5, "warmup_steps": 10, "start_factor": 0.1},
                      "LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10}),
    "polynomial": ("polynomial", {"lr": 0.5, "decay_steps": 40, "power": 2.0},
                   "PolynomialLR", {"total_iters": 40, "power": 2.0}),
    "onecycle": ("onecycle", {"max_lr": 0.5, "total_steps": SCHEDULE_STEPS},
                 "OneCycleLR", {"max_lr": 0.5, "total_steps": SCHEDULE_STEPS, "cycle_momentum": False}),
    "onecycle_linear3": ("onecycle", {"max_lr": 0.5, "total_steps": SCHEDULE_STEPS, "anneal": "linear",
                                      "three_phase": True, "pct_start": 0.25},
                         "OneCycleLR", {"max_lr": 0.5, "total_steps": SCHEDULE_STEPS, "anneal_strategy": "linear",
                                        "three_phase": True, "pct_start": 0.25, "cycle_momentum": False}),
    "plateau": ("plateau", {"lr": 0.5, "factor": 0.5, "patience": 3, "threshold": 0.01, "cooldown": 2,
                            "min_lr": 0.05},
                "ReduceLROnPlateau", {"factor": 0.5, "patience": 3, "threshold": 0.01, "cooldown": 2,
                                      "min_lr": 0.05}),
}


def plateau_losses():
    """A loss that improves, stalls, improves a little, stalls: exercises patience and cooldown."""
    k = np.arange(SCHEDULE_STEPS)
    return np.where(k < 15, 1.0 / (1 + k), np.where(k < 35, 1 / 15 - 1e-4 * (k - 15), 0.05 + 0.0 * k))


def torch_schedule(torch, tname, targs, base_lr):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = getattr(torch.optim.lr_scheduler, tname)(opt, **targs)
    out = []
    losses = plateau_losses()
    for k in range(SCHEDULE_STEPS):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if tname == "ReduceLROnPlateau":
            sched.step(float(losses[k]))
        else:
            sched.step()
    return np.array(out)


def main() -> int:
    import torch

    torch.set_default_dtype(torch.float64)  # torch's step counts and mu_product in float64
    A, b, xq = quadratic_problem()
    problems = {
        "quadratic": (lambda x: quadratic_grad(x, A, b), xq, 2),
        "rosenbrock": (rosenbrock_grad, ROSENBROCK_X0, 3),
    }
    data = {"A": A, "b": b, "quadratic_x0": xq, "rosenbrock_x0": ROSENBROCK_X0,
            "configs": np.array(json.dumps(CONFIGS)), "torch_version": np.array(torch.__version__),
            "torch_defaults": np.array(json.dumps(torch_defaults(torch)))}
    for cfg, (name, kwargs, lr_q, lr_r) in CONFIGS.items():
        for prob, (grad, x0, idx) in problems.items():
            lr = (None, None, lr_q, lr_r)[idx]
            traj = torch_trajectory(torch, name, kwargs, lr, grad, x0)
            if not np.all(np.isfinite(traj)):
                raise SystemExit(f"{cfg} on {prob} diverged: pick a smaller lr")
            data[f"{cfg}.{prob}"] = traj
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "torch_optim.npz", **data)

    sdata = {"schedules": np.array(json.dumps(SCHEDULES)), "plateau_losses": plateau_losses(),
             "torch_version": np.array(torch.__version__)}
    for sname, (_, dargs, tname, targs) in SCHEDULES.items():
        base = dargs.get("lr", dargs.get("max_lr"))
        sdata[sname] = torch_schedule(torch, tname, targs, base)
    np.savez_compressed(OUT / "torch_schedules.npz", **sdata)
    print(f"wrote {OUT / 'torch_optim.npz'} and {OUT / 'torch_schedules.npz'} with torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
