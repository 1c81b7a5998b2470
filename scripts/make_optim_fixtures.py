"""Write the reference trajectories of the optimizers added after torch_optim.npz.

    pip install torch==2.13.0 schedulefree prodigyopt pytorch-optimizer optax
    python scripts/make_optim_fixtures.py

writes tests/fixtures/optim_references.npz (plain arrays and JSON strings, no pickle):
for each case, the iterates of the reference implementation (torch.optim, or the pip
package that is the optimizer's reference) from the same start on the same problem,
the gradient at the reference's current point computed here in NumPy.  The problems'
arrays are stored in the file too, so tests/test_optim_references.py needs nothing else; it
reruns the references live when they are importable.

Muon: torch runs Newton-Schulz in bfloat16.  The "muon*" cases are torch's own code
with the bfloat16 cast made a no-op (so float64 throughout: the reference for 1e-12
agreement); "muon_bf16" is torch as it ships, for the looser bfloat16 comparison.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from pathlib import Path
from unittest import mock

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "optim_references.npz"
STEPS = 100


def problems():
    """name -> dict of arrays: x0 and what the gradient needs."""
    rng = np.random.default_rng(20261201)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    A = Q @ np.diag([0.5, 1.0, 2.5, 5.0]) @ Q.T
    out = {
        "quadratic": {"A": (A + A.T) / 2, "b": rng.standard_normal(4), "x0": rng.standard_normal(4) * 2},
        "rosenbrock": {"x0": np.array([-1.2, 1.0])},
    }
    out["concave"] = dict(out["quadratic"])  # its negative: for maximize=True
    for name, (m, n) in (("matrix", (3, 5)), ("tall", (5, 3)), ("square", (3, 3))):
        out[name] = {"M": rng.standard_normal((m + 1, m)), "Y": rng.standard_normal((m + 1, n)),
                     "x0": rng.standard_normal((m, n))}
    out["tensor"] = {"C": 0.5 + rng.random((2, 3, 4)), "T": rng.standard_normal((2, 3, 4)),
                     "x0": rng.standard_normal((2, 3, 4))}
    return out


def gradient(problem, arrays):
    """The gradient function of a problem (the test defines the same)."""
    if problem == "quadratic":
        return lambda x: arrays["A"] @ x - arrays["b"]
    if problem == "concave":
        return lambda x: arrays["b"] - arrays["A"] @ x
    if problem == "rosenbrock":
        return lambda x: np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
    if problem in ("matrix", "tall", "square"):
        return lambda x: arrays["M"].T @ (arrays["M"] @ x - arrays["Y"])
    return lambda x: arrays["C"] * (x - arrays["T"])


# case -> (descend name, hyperparameters, lr, problem, reference); the reference is
# ("torch", class name), ("torch_f64", class name) for torch with bfloat16 patched out,
# or a package's (below)
CASES = {
    "rprop.quadratic": ("rprop", {}, 0.01, "quadratic", ("torch", "Rprop")),
    "rprop.rosenbrock": ("rprop", {}, 0.01, "rosenbrock", ("torch", "Rprop")),
    "rprop_options.quadratic": ("rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.5)}, 0.1, "quadratic",
                                ("torch", "Rprop")),
    "asgd.quadratic": ("asgd", {}, 0.05, "quadratic", ("torch", "ASGD")),
    "asgd_averaging.quadratic": ("asgd", {"t0": 20, "lambd": 0.01, "alpha": 0.5, "weight_decay": 0.1}, 0.05,
                                 "quadratic", ("torch", "ASGD")),
    "asgd.rosenbrock": ("asgd", {"t0": 10}, 2e-4, "rosenbrock", ("torch", "ASGD")),
    "adafactor.quadratic": ("adafactor", {}, 0.05, "quadratic", ("torch", "Adafactor")),
    "adafactor.rosenbrock": ("adafactor", {}, 0.01, "rosenbrock", ("torch", "Adafactor")),
    "adafactor.matrix": ("adafactor", {}, 0.05, "matrix", ("torch", "Adafactor")),
    "adafactor_options.tensor": ("adafactor", {"weight_decay": 0.1, "eps": (1e-20, 1e-3), "d": 1.5,
                                               "beta2_decay": -0.5}, 0.05, "tensor", ("torch", "Adafactor")),
    "muon.matrix": ("muon", {}, 0.02, "matrix", ("torch_f64", "Muon")),
    "muon.tall": ("muon", {"nesterov": False, "weight_decay": 0.0}, 0.02, "tall", ("torch_f64", "Muon")),
    "muon_adamw_rms.matrix": ("muon", {"adjust_lr_fn": "match_rms_adamw", "momentum": 0.9}, 0.01, "matrix",
                              ("torch_f64", "Muon")),
    "muon_bf16.matrix": ("muon", {}, 0.02, "matrix", ("torch", "Muon")),
}
# maximize=True on the concave problem, with weight decay where torch has it (the
# gradient is negated before the decay is added)
_MAXIMIZE = {"SGD": ("sgd", {"momentum": 0.9, "weight_decay": 0.01}, 0.05),
             "Adam": ("adam", {"weight_decay": 0.01, "amsgrad": True}, 0.05),
             "AdamW": ("adamw", {}, 0.05), "Adagrad": ("adagrad", {"weight_decay": 0.01}, 0.5),
             "Adadelta": ("adadelta", {"weight_decay": 0.01}, 1.0),
             "RMSprop": ("rmsprop", {"centered": True, "momentum": 0.5}, 0.01),
             "NAdam": ("nadam", {"weight_decay": 0.01}, 0.05), "RAdam": ("radam", {}, 0.05),
             "Adamax": ("adamax", {"weight_decay": 0.01}, 0.05), "ASGD": ("asgd", {"weight_decay": 0.01}, 0.05),
             "Rprop": ("rprop", {}, 0.01), "Adafactor": ("adafactor", {"weight_decay": 0.01}, 0.05)}
for _cls, (_name, _kw, _lr) in _MAXIMIZE.items():
    CASES[f"{_name}_maximize.concave"] = (_name, {**_kw, "maximize": True}, _lr, "concave", ("torch", _cls))

# the modern optimizers: reference ("schedulefree", class), ("pytorch_optimizer" or
# "prodigyopt", class, its keywords) or ("optax", function, its keywords)
CASES.update({
    "sgd_schedule_free.quadratic": ("sgd_schedule_free", {}, 0.1, "quadratic",
                                    ("schedulefree", "SGDScheduleFreeReference")),
    "sgd_schedule_free_options.rosenbrock": ("sgd_schedule_free", {"warmup_steps": 10, "weight_decay": 0.01,
                                                                   "r": 1.0, "momentum": 0.8}, 1e-4, "rosenbrock",
                                             ("schedulefree", "SGDScheduleFreeReference")),
    "sgd_schedule_free_package.quadratic": ("sgd_schedule_free", {"warmup_steps": 10, "weight_decay": 0.01}, 0.1,
                                            "quadratic", ("schedulefree", "SGDScheduleFree")),
    "adamw_schedule_free.quadratic": ("adamw_schedule_free", {}, 0.05, "quadratic",
                                      ("schedulefree", "AdamWScheduleFreeReference")),
    "adamw_schedule_free.rosenbrock": ("adamw_schedule_free", {"warmup_steps": 20}, 0.01, "rosenbrock",
                                       ("schedulefree", "AdamWScheduleFreeReference")),
    "adamw_schedule_free_options.matrix": ("adamw_schedule_free", {"warmup_steps": 10, "weight_decay": 0.01,
                                                                   "r": 0.5}, 0.05, "matrix",
                                           ("schedulefree", "AdamWScheduleFreeReference")),
    "adamw_schedule_free_decay_at_z.quadratic": ("adamw_schedule_free", {"weight_decay": 0.01, "decay_at_z": True},
                                                 0.05, "quadratic", ("schedulefree", "AdamWScheduleFreeReference")),
    "adamw_schedule_free_package.quadratic": ("adamw_schedule_free", {"warmup_steps": 10, "weight_decay": 0.01},
                                              0.05, "quadratic", ("schedulefree", "AdamWScheduleFree")),
    "adopt.quadratic": ("adopt", {}, 0.05, "quadratic", ("pytorch_optimizer", "ADOPT", {})),
    "adopt.rosenbrock": ("adopt", {}, 0.01, "rosenbrock", ("pytorch_optimizer", "ADOPT", {})),
    "adopt_options.quadratic": ("adopt", {"weight_decay": 0.01, "betas": (0.8, 0.99)}, 0.05, "quadratic",
                                ("pytorch_optimizer", "ADOPT", {"weight_decay": 0.01, "betas": (0.8, 0.99)})),
    "adopt_decoupled.tensor": ("adopt", {"weight_decay": 0.01, "decoupled_weight_decay": True, "eps": 1e-3}, 0.05,
                               "tensor", ("pytorch_optimizer", "ADOPT",
                                          {"weight_decay": 0.01, "weight_decouple": True, "eps": 1e-3})),
    "ademamix.quadratic": ("ademamix", {}, 0.05, "quadratic", ("pytorch_optimizer", "AdEMAMix", {})),
    "ademamix.rosenbrock": ("ademamix", {}, 0.005, "rosenbrock", ("pytorch_optimizer", "AdEMAMix", {})),
    "prodigy.quadratic": ("prodigy", {}, 1.0, "quadratic", ("prodigyopt", "Prodigy", {})),
    "prodigy.rosenbrock": ("prodigy", {}, 1.0, "rosenbrock", ("prodigyopt", "Prodigy", {})),
    "prodigy_options.matrix": ("prodigy", {"weight_decay": 0.01, "decoupled_weight_decay": False,
                                           "use_bias_correction": True}, 1.0, "matrix",
                               ("prodigyopt", "Prodigy", {"weight_decay": 0.01, "decouple": False,
                                                          "use_bias_correction": True})),
    "prodigy_safeguard.tensor": ("prodigy", {"safeguard_warmup": True, "beta3": 0.9, "growth_rate": 1.05,
                                             "d_coef": 0.5, "weight_decay": 0.01}, 1.0, "tensor",
                                 ("prodigyopt", "Prodigy", {"safeguard_warmup": True, "beta3": 0.9,
                                                            "growth_rate": 1.05, "d_coef": 0.5, "weight_decay": 0.01})),
    "lamb.rosenbrock": ("lamb", {}, 0.01, "rosenbrock", ("pytorch_optimizer", "Lamb", {})),
    "lamb_coupled.rosenbrock": ("lamb", {"weight_decay": 0.01, "decoupled_weight_decay": False}, 0.01, "rosenbrock",
                                ("pytorch_optimizer", "Lamb", {"weight_decay": 0.01, "weight_decouple": False})),
    "lamb.matrix": ("lamb", {}, 0.01, "matrix", ("pytorch_optimizer", "Lamb", {})),
    "lamb_options.matrix": ("lamb", {"grad_averaging": False, "weight_decay": 0.1}, 0.01, "matrix",
                            ("pytorch_optimizer", "Lamb", {"grad_averaging": False, "weight_decay": 0.1})),
    "soap.quadratic": ("soap", {}, 0.01, "quadratic", ("pytorch_optimizer", "SOAP", {})),
    "soap.square": ("soap", {"precondition_frequency": 1000}, 0.01, "square",
                    ("pytorch_optimizer", "SOAP", {"precondition_frequency": 1000})),
    "soap_options.square": ("soap", {"precondition_frequency": 1000, "correct_bias": False, "weight_decay": 0.0,
                                     "betas": (0.9, 0.99), "shampoo_beta": 0.9}, 0.01, "square",
                            ("pytorch_optimizer", "SOAP", {"precondition_frequency": 1000, "correct_bias": False,
                                                           "weight_decay": 0.0, "betas": (0.9, 0.99),
                                                           "shampoo_beta": 0.9})),
    # (no non-square matrix and no precondition_1d: a rank-deficient Gram matrix has an eigenspace
    # whose basis is LAPACK's arbitrary choice, so two correct implementations part there)
    "lion.quadratic": ("lion", {}, 0.01, "quadratic", ("optax", "lion", {"b1": 0.9, "b2": 0.99, "weight_decay": 0.0})),
    "lion_decay.rosenbrock": ("lion", {"betas": (0.8, 0.95), "weight_decay": 0.1}, 1e-3, "rosenbrock",
                              ("optax", "lion", {"b1": 0.8, "b2": 0.95, "weight_decay": 0.1})),
    "ademamix_warmup.matrix": ("ademamix", {"t_alpha_beta3": 50, "alpha": 2.0, "weight_decay": 0.01}, 0.05,
                               "matrix", ("pytorch_optimizer", "AdEMAMix",
                                          {"t_alpha_beta3": 50, "alpha": 2.0, "weight_decay": 0.01})),
})

TORCH_NEW = ("Rprop", "ASGD", "Adafactor", "Muon")


@contextlib.contextmanager
def _float64_newton_schulz(torch):
    with mock.patch.object(torch.Tensor, "bfloat16", lambda self: self.clone()):
        yield


def torch_trajectory(torch, cls, kwargs, lr, grad, x0, steps=STEPS, float64=False):
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = getattr(torch.optim, cls)([p], lr=lr, **kwargs)
    out = [x0.copy()]
    with _float64_newton_schulz(torch) if float64 else contextlib.nullcontext():
        for _ in range(steps):
            p.grad = torch.from_numpy(np.asarray(grad(p.detach().numpy().copy())))
            opt.step()
            out.append(p.detach().numpy().copy())
    return np.array(out)


def package_trajectory(torch, opt, p, grad, x0, steps=STEPS):
    out = [x0.copy()]
    for _ in range(steps):
        p.grad = torch.from_numpy(np.asarray(grad(p.detach().numpy().copy())))
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def optax_trajectory(name, kwargs, lr, grad, x0, steps=STEPS):
    """optax's gradient transformation, in float64 (jax_enable_x64)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax
    tx = getattr(optax, name)(lr, **kwargs)
    p = jnp.asarray(x0)
    state = tx.init(p)
    out = [x0.copy()]
    for _ in range(steps):
        updates, state = tx.update(jnp.asarray(grad(np.asarray(p).copy())), state, p)
        p = optax.apply_updates(p, updates)
        out.append(np.asarray(p).copy())
    return np.array(out)


def reference_trajectory(case, probs):
    """The reference's iterates, and for Schedule-Free its averaged point x at the end (else None)."""
    _, kwargs, lr, problem, ref = CASES[case]
    kind, cls = ref[:2]
    grad, x0 = gradient(problem, probs[problem]), probs[problem]["x0"]
    if kind == "optax":
        return optax_trajectory(cls, ref[2], lr, grad, x0), None
    import torch
    torch.set_default_dtype(torch.float64)  # torch's scalar state (ASGD's eta, mu) in float64
    if kind in ("torch", "torch_f64"):
        return torch_trajectory(torch, cls, kwargs, lr, grad, x0, float64=kind == "torch_f64"), None
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    if kind == "schedulefree":
        import schedulefree
        opt = getattr(schedulefree, cls)([p], lr=lr, **kwargs)
        opt.train()
        traj = package_trajectory(torch, opt, p, grad, x0)
        opt.eval()
        return traj, p.detach().numpy().copy()
    if kind == "prodigyopt":
        import prodigyopt
        opt = getattr(prodigyopt, cls)([p], lr=lr, **ref[2])
        return package_trajectory(torch, opt, p, grad, x0), None
    if kind == "pytorch_optimizer":
        import pytorch_optimizer
        extra = {} if cls == "SOAP" else {"foreach": False}  # SOAP has no foreach path
        opt = getattr(pytorch_optimizer, cls)([p], lr=lr, **extra, **ref[2])
        return package_trajectory(torch, opt, p, grad, x0), None
    raise ValueError(kind)


def torch_defaults(torch):
    skip = {"self", "params", "foreach", "maximize", "capturable", "differentiable", "fused"}
    out = {}
    for cls in TORCH_NEW:
        sig = inspect.signature(getattr(torch.optim, cls).__init__)
        out[cls.lower()] = {k: (list(p.default) if isinstance(p.default, tuple) else p.default)
                            for k, p in sig.parameters.items() if k not in skip}
    return out


def main() -> None:
    import torch

    probs = problems()
    data = {f"problem.{name}.{k}": v for name, arrays in probs.items() for k, v in arrays.items()}
    cases = {}
    for case, (name, kwargs, lr, problem, ref) in CASES.items():
        data[f"case.{case}"], x_eval = reference_trajectory(case, probs)
        if x_eval is not None:
            data[f"eval.{case}"] = x_eval
        cases[case] = [name, kwargs, lr, problem, list(ref)]
    data["cases"] = np.array(json.dumps(cases))
    data["steps"] = np.array(STEPS)
    data["torch_defaults"] = np.array(json.dumps(torch_defaults(torch)))
    from importlib.metadata import version
    data["versions"] = np.array(json.dumps({"torch": torch.__version__, "schedulefree": version("schedulefree"),
                                            "pytorch_optimizer": version("pytorch_optimizer"),
                                            "optax": version("optax"),
                                            "prodigyopt": version("prodigyopt")}))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
