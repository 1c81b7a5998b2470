"""What several test modules share, written once (``from helpers import quad_grad, run``).

- the 2-D quadratic ``x.A.x/2 - b.x`` and Rosenbrock, row-wise on ``(..., n)``, with their minimizers;
- :func:`run`: an optimizer's steps on one array, in place;
- :func:`run_cli`: the ``descend`` command in this process: exit code, stdout, stderr;
- :func:`comparable`: a training History without its wall-clock measurements;
- :func:`free_port`: a TCP port on 127.0.0.1 that nothing listens on;
- :func:`requires` / :func:`missing`: skip a test where an optional extra is not installed, so that
  the suite collects and runs with only the core (numpy, click, rich) installed.

The test folder is on ``sys.path`` (pytest's rootdir conftest), as for ``_browser`` and ``_demo_page``.
"""

from __future__ import annotations

import importlib
import socket

import numpy as np
import pytest

# -- objectives (no dependency on descend.problems) ---------------------------------------------------

QA = np.array([[3.0, 1.0], [1.0, 2.0]])
QB = np.array([1.0, -1.0])
Q_MIN = np.linalg.solve(QA, QB)
R_MIN = np.array([1.0, 1.0])


def quad_grad(x):
    """Gradient of x.A.x/2 - b.x, row-wise on an (..., 2) batch."""
    return x @ QA - QB


def rosen(x):
    """Rosenbrock sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2) along the last axis."""
    return np.sum(100.0 * (x[..., 1:] - x[..., :-1] ** 2) ** 2 + (1 - x[..., :-1]) ** 2, axis=-1)


def rosen_grad(x):
    """Gradient of :func:`rosen`, row-wise; in 2-D (-2 (1 - x) - 400 x (y - x^2), 200 (y - x^2))."""
    g = np.zeros_like(x)
    t = x[..., 1:] - x[..., :-1] ** 2
    g[..., :-1] = -400.0 * x[..., :-1] * t - 2 * (1 - x[..., :-1])
    g[..., 1:] += 200.0 * t
    return g


def run(opt, grad, x, steps):
    """``steps`` steps of ``opt`` on ``x`` in place (x of any shape holding pairs, e.g. Muon's 1 x 2 matrix);
    the gradient is taken row-wise on pairs and cast to x's dtype.  Returns x."""
    for _ in range(steps):
        opt.step(x, grad(x.reshape(-1, 2)).reshape(x.shape).astype(x.dtype))
    return x


# -- the command line and the server ----------------------------------------------------------------

def run_cli(capsys, *argv):
    """``descend ARGV...`` through descend.cli.main in this process: (exit code, stdout, stderr).

    The command's streams are this call's own (sys.stdout and sys.stderr set for the call): once,
    on a loaded machine with a cold numba cache, three commands' output reached pytest's global
    capture instead of capsys, as if sys.stdout had been swapped back under the test."""
    import contextlib
    import io

    from descend.cli import main

    capsys.readouterr()  # what came before is not this command's
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- training ---------------------------------------------------------------------------------------

def comparable(h) -> dict:
    """Everything in a descend.training.History except wall-clock measurements."""
    return {"loss": h.loss, "lr": h.lr, "status": h.status, "message": h.message, "epoch": h.epoch, "step": h.step,
            "best_epoch": h.best_epoch,
            "epochs": {k: v for k, v in h.epochs.items() if k not in type(h).TIMING_KEYS}}


# -- optional extras ----------------------------------------------------------------------------------

def missing(*modules: str) -> str | None:
    """The first of ``modules`` that cannot be imported here, or None."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            return module
    return None


def requires(*modules: str, extra: str = "test"):
    """A mark that skips a test (or, as ``pytestmark``, a module) where one of ``modules`` is missing,
    saying which and the extra that brings it."""
    absent = missing(*modules)
    return pytest.mark.skipif(absent is not None, reason=f"{absent} is not installed (pip install 'descend[{extra}]')")
