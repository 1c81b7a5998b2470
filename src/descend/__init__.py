"""descend: gradient-based optimization as it is taught and practised in deep-learning fundamentals.

The layers, each importing only those below it (README "Architecture"; scripts/architecture.py)::

    serve          the live explorer: the app, serve/api/ (one module per endpoint group), the page
    cli            the `descend` command, every subcommand
    plot, report   pictures, the demo page and the tour (matplotlib, imported lazily)
    sweeps         many runs, the SQLite store, lr_find, the fair benchmark
    training       epochs, batches, callbacks, checkpoints (descend.train)
    curvature      Hessian-vector products, eigenvalues, sharpness and loss landscapes of nn models
    nn, datasets   layers and losses (forward, backward, R-operator); small data sets
    minimize       the drivers (first_order, methods/, jit/): steps, stopping, line search, history
    optim          one update rule per optimizer, schedules, gradient transforms
    diff, problems finite differences and gradient checks; test functions; the safe formula parser
    numerics       stable softmax / logsumexp / sigmoid, condition number; errors, files, JSON, i18n

``import descend`` loads NumPy and the small core only; the rest is imported on first use.
"""

from __future__ import annotations

import importlib

from .errors import DescendError
from .numerics import condition_number, log_softmax, logsumexp, sigmoid, softmax
from .diff import (check_grad, derivative, diff_error, gradient, hessian, hessian_vector_product, jacobian,
                   tangent_line)
from . import problems
from .minimize import minimize, Result, History
from .race import compare
from .jit import compiled

__version__ = "0.1.0"

__all__ = [
    "DescendError", "softmax", "log_softmax", "logsumexp", "sigmoid", "condition_number",
    "derivative", "gradient", "jacobian", "hessian", "hessian_vector_product", "tangent_line", "check_grad",
    "diff_error",
    "problems", "minimize", "Result", "History", "compare", "compiled",
    "train", "partial_fit", "train_online", "sweep", "lr_find", "benchmark_optimizers",
    "critical_point", "optimal_step", "kkt",
]

# Sub-packages and functions imported on first use, so `import descend` stays fast.
_LAZY_MODULES = {"optim", "schedules", "nn", "datasets", "training", "plot", "report", "tour", "sweeps", "cli",
                 "methods", "critical", "constraints", "curvature"}
_LAZY_ATTRS = {
    "train": "descend.training", "partial_fit": "descend.training", "train_online": "descend.training",
    "sweep": "descend.sweeps", "lr_find": "descend.sweeps", "benchmark_optimizers": "descend.sweeps",
    "critical_point": "descend.critical", "optimal_step": "descend.critical", "kkt": "descend.constraints",
}


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f"descend.{name}")
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
    raise AttributeError(f"module 'descend' has no attribute {name!r}")
