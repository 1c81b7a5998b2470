"""Export: the explorer's configuration as code you can run.

:func:`export` turns the body of ``/api/run`` (or of ``/api/train/start``) into a
descend snippet that prints the same numbers the explorer shows (one JSON line per
run: optimizer, status, nit, final f, final x), and into torch.optim and optax code
for the optimizers those libraries have.  The snippets are built from the checked
configuration with ``repr`` of plain numbers and strings, so a typed formula goes in
as a string literal handed to ``descend.problems.from_expression``, never as code.
"""

from __future__ import annotations

from ..checks import choice, integer, mapping
from . import listings
from .inputs import parse_run_request
from .playground import parse_config

__all__ = ["export"]

# torch's keyword names and defaults are descend's; optax's differ in places (noted in the snippets).
_OPTAX_NOTES = {
    "nadam": "optax.nadam has no momentum_decay schedule (torch's and descend's NAdam do): numbers differ",
    "radam": "optax.radam's threshold for the rectification differs slightly from torch's and descend's",
}


def _problem_code(problem_value) -> str:
    if isinstance(problem_value, str):
        return f"problem = descend.problems.get({problem_value!r})"
    window = problem_value.get("window")
    text = problem_value["expression"]
    if window is None:
        return f"problem = descend.problems.from_expression({text!r})"
    return f"problem = descend.problems.from_expression({text!r}, window={[list(map(float, w)) for w in window]!r})"


def _kwargs_code(kwargs: dict) -> str:
    parts = []
    for k, v in kwargs.items():
        parts.append(f"{k}={v!r}")
    return ", ".join(parts)


def _run_snippets(body: dict) -> dict:
    req = parse_run_request(body)  # refused exactly as /api/run refuses it
    start, steps, specs = req.start, req.steps, req.specs
    lines = ["import json", "", "import numpy as np", "", "import descend", "",
             _problem_code(body["problem"]), f"start = {start!r}", f"steps = {steps!r}", "", "runs = ["]
    for name, kwargs in specs:
        lines.append(f"    dict({_kwargs_code(kwargs)}),")
    lines += ["]", "for kwargs in runs:",
              "    result = descend.minimize(problem, np.array(start), steps=steps, **kwargs)",
              "    print(json.dumps({\"optimizer\": kwargs[\"optimizer\"], \"status\": result.status, "
              "\"nit\": result.nit,", "                      \"f\": float(result.fun), \"x\": result.x.tolist()}))"]
    descend_code = "\n".join(lines) + "\n"
    notes = []
    torch_code = _torch_run(body["problem"], start, steps, specs, notes)
    optax_code = _optax_run(body["problem"], start, steps, specs, notes)
    return {"descend": descend_code, "torch": torch_code, "optax": optax_code, "notes": notes}


def _torch_kwargs(name: str, kwargs: dict) -> dict:
    hp = {k: v for k, v in kwargs.items() if k not in ("optimizer", "gtol", "line_search")}
    if name == "momentum":
        hp.setdefault("momentum", 0.9)
    if name == "nesterov":
        hp.setdefault("momentum", 0.9)
        hp["nesterov"] = True
    return hp


def _torch_run(problem_value, start, steps, specs, notes) -> str | None:
    usable = [(n, k) for n, k in specs if listings.TORCH.get(n) and "line_search" not in k]
    if not usable:
        return None
    skipped = [n for n, k in specs if (n, k) not in usable]
    if skipped:
        notes.append(f"torch.optim has no equivalent of: {', '.join(skipped)} (left out of the torch snippet)")
    lines = ["import torch", "", "import descend", "", _problem_code(problem_value),
             "# the gradient is the problem's analytic one; torch.optim takes the steps",
             f"start = {start!r}", f"steps = {steps!r}", ""]
    for name, kwargs in usable:
        cls = listings.TORCH[name]
        hp = _torch_kwargs(name, kwargs)
        lines += ["p = torch.tensor(start, dtype=torch.float64, requires_grad=True)",
                  f"opt = {cls}([p], {_kwargs_code(hp)})",
                  "for _ in range(steps):",
                  "    opt.zero_grad()",
                  "    p.grad = torch.from_numpy(problem.grad(p.detach().numpy()))",
                  "    opt.step()",
                  f"print({name!r}, float(problem(p.detach().numpy())), p.detach().tolist())", ""]
    return "\n".join(lines)


def _optax_args(name: str, cfg: dict, notes: list) -> tuple[str, dict]:
    """optax's function and keywords for descend's optimizer ``name`` with its full config
    (descend's defaults written out where optax's differ, e.g. AdamW's weight decay)."""
    lr = cfg["lr"]
    b1, b2 = cfg.get("betas", (None, None))
    if cfg.get("weight_decay") and name not in ("adamw", "lion", "adadelta"):
        notes.append(f"{name}: weight_decay={cfg['weight_decay']!r} is coupled (L2) in descend and torch; in optax "
                     f"chain optax.add_decayed_weights({cfg['weight_decay']!r}) before the optimizer")
    if name in ("sgd", "gd", "momentum", "nesterov"):
        args = {"learning_rate": lr}
        if cfg.get("momentum"):
            args["momentum"] = cfg["momentum"]
            if cfg.get("nesterov"):
                args["nesterov"] = True
        if cfg.get("dampening"):
            notes.append(f"{name}: optax.sgd has no dampening (dampening={cfg['dampening']!r} is left out)")
        return "optax.sgd", args
    if name == "adagrad":  # optax's defaults are 0.1 and 1e-7: descend's (torch's) written out
        return "optax.adagrad", {"learning_rate": lr, "initial_accumulator_value": cfg["initial_accumulator_value"],
                                 "eps": cfg["eps"]}
    if name == "adadelta":
        return "optax.adadelta", {"learning_rate": lr, "rho": cfg["rho"], "eps": cfg["eps"],
                                  "weight_decay": cfg["weight_decay"]}
    if name == "rmsprop":
        args = {"learning_rate": lr, "decay": cfg["alpha"], "eps": cfg["eps"], "eps_in_sqrt": False}
        if cfg.get("centered"):
            args["centered"] = True
        if cfg.get("momentum"):
            args["momentum"] = cfg["momentum"]
        return "optax.rmsprop", args
    if name in ("adam", "adamw", "nadam", "radam", "adamax"):
        fn = "optax.amsgrad" if cfg.get("amsgrad") else f"optax.{name}"
        args = {"learning_rate": lr, "b1": b1, "b2": b2, "eps": cfg["eps"]}
        if name == "adamw":
            args["weight_decay"] = cfg["weight_decay"]
        if name in _OPTAX_NOTES:
            notes.append(_OPTAX_NOTES[name])
        return fn, args
    if name == "lion":
        return "optax.lion", {"learning_rate": lr, "b1": b1, "b2": b2, "weight_decay": cfg["weight_decay"]}
    return listings.OPTAX[name], {"learning_rate": lr}


def _optax_run(problem_value, start, steps, specs, notes) -> str | None:
    from ... import optim

    usable = [(n, k) for n, k in specs if listings.OPTAX.get(n) and "line_search" not in k]
    if not usable:
        return None
    lines = ["import jax", "import jax.numpy as jnp", "import numpy as np", "import optax", "", "import descend", "",
             'jax.config.update("jax_enable_x64", True)  # float64, as descend', "",
             _problem_code(problem_value), "# the gradient is the problem's analytic one; optax takes the steps",
             f"start = {start!r}", f"steps = {steps!r}", ""]
    for name, kwargs in usable:
        hp = {k: v for k, v in kwargs.items() if k not in ("optimizer", "gtol")}
        cfg = optim.get(name, **hp).config
        fn, args = _optax_args(name, cfg, notes)
        lines += ["params = jnp.asarray(start, dtype=jnp.float64)",
                  f"opt = {fn}({_kwargs_code(args)})",
                  "state = opt.init(params)",
                  "for _ in range(steps):",
                  "    g = jnp.asarray(problem.grad(np.asarray(params, dtype=np.float64)))",
                  "    updates, state = opt.update(g, state, params)",
                  "    params = optax.apply_updates(params, updates)",
                  f"print({name!r}, float(problem(np.asarray(params, dtype=np.float64))), np.asarray(params).tolist())",
                  ""]
    return "\n".join(lines)


def _train_snippets(body: dict) -> dict:
    cfg = parse_config({k: v for k, v in body.items() if k not in ("kind", "epochs")})
    epochs = integer(body.get("epochs", 5), "epochs", 1, 1000)
    task_loss = "bce_with_logits" if cfg["dataset"] != "linear" else "mse"
    data_kwargs = {"n": cfg["n"], "noise": cfg["noise"], "seed": cfg["seed"]}
    if cfg["dataset"] == "spirals":
        data_kwargs["classes"] = 2
    hp = {"lr": cfg["lr"], **cfg["hyperparameters"]}
    metrics = '("accuracy",)' if task_loss != "mse" else "()"
    code = f"""import json

import numpy as np

import descend
from descend import datasets, nn, optim

data = datasets.get({cfg['dataset']!r}, {_kwargs_code(data_kwargs)})
s = data.split({cfg['test_fraction']!r}, seed={cfg['seed']!r})
X, y = s.X_train.astype(np.float64), s.y_train.astype(np.float64)
X_test, y_test = s.X_test.astype(np.float64), s.y_test.astype(np.float64)
model = nn.mlp({[2, *cfg['hidden'], 1]!r}, activation={cfg['activation']!r}, rng={cfg['seed']!r}, dtype="float64")
opt = optim.get({cfg['optimizer']!r}, {_kwargs_code(hp)})
history = descend.train(model, X, y, loss={task_loss!r}, optimizer=opt, batch_size={cfg['batch_size']!r},
                        epochs={epochs!r}, seed={cfg['seed']!r}, progress=False)
train = descend.training.evaluate(model, X, y, loss={task_loss!r}, metrics={metrics})
test = descend.training.evaluate(model, X_test, y_test, loss={task_loss!r}, metrics={metrics})
print(json.dumps({{"status": history.status, "step": history.step, "epoch": {epochs!r},
                  "train_loss": train["loss"], "test_loss": test["loss"],
                  "train_accuracy": train.get("accuracy"), "test_accuracy": test.get("accuracy")}}))
"""
    notes = []
    if cfg["dataset"] == "spirals":
        notes.append("the playground's spirals have two arms (classes=2), for one sigmoid output")
    return {"descend": code, "torch": None, "optax": None, "notes": notes}


def export(body: dict) -> dict:
    """``POST /api/export``: ``{"kind": "run" | "train", ...}`` -> the snippets."""
    body = mapping(body, "body")
    kind = choice(body.get("kind", "run"), "kind", ("run", "train"))
    if kind == "train":
        return _train_snippets(body)
    return _run_snippets(body)
