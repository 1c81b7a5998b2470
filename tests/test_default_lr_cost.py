"""Issue 22.5: the CLI's default learning rate costs a bounded number of Hessian-vector products
per coordinate (rosenbrock at n = 2e6 took 88 products, 21 s), and says so where it stopped early;
at the registered problems' default sizes its value is unchanged (tests/test_cli*.py and the seeds
pin those)."""

import importlib

import numpy as np
import pytest

from descend import problems
from descend.cli import commands


def test_a_large_n_caps_the_power_iterations_and_says_so(monkeypatch):
    p = problems.get("rosenbrock", n=5000)
    full_lr, full_how = commands.default_lr(p, p.x0)  # 300 at most: converged
    assert "lower bound" not in full_how
    monkeypatch.setattr(commands, "DEFAULT_LR_WORK", 5000 * 12)  # as n = 2.5e6 with the real budget
    calls = []
    lr_find = importlib.import_module("descend.sweeps.lr_find")  # descend.sweeps.lr_find is also a function's name
    real = lr_find.curvature
    monkeypatch.setattr(lr_find, "curvature", lambda *a, **k: calls.append(k["iters"]) or real(*a, **k))
    lr, how = commands.default_lr(p, p.x0)
    assert calls == [12]
    assert "after 12 power iterations at n = 5000, a lower bound; --lr to choose" in how and "L>=" in how
    assert full_lr <= lr <= 1.05 * full_lr  # the quotient approaches L from below: a slightly larger lr


@pytest.mark.parametrize("name", problems.names())
def test_the_default_sizes_keep_the_full_power_iteration(name):
    p = problems.get(name)
    assert min(300, max(commands.DEFAULT_LR_MIN_ITERS, commands.DEFAULT_LR_WORK // p.dim)) == 300
    lr, how = commands.default_lr(p, p.x0)
    assert "lower bound" not in how and np.isfinite(lr)
