"""Issue 22.5: sizes given on the command line or to the API are checked against the memory they
need before anything is allocated, with the number in the message; the formula parser's exponent
limit is checked on the value, after constant folding."""

import numpy as np
import pytest

from descend import DescendError, critical_point, problems
from descend.cli import main
from descend.problems import problem as problem_module
from descend.problems.expression import parse
from descend.sweeps import sweep
from descend.sweeps.grid import Grid, parse_lr

GIB = 2 ** 30


@pytest.fixture
def small_machine(monkeypatch):
    """A machine that allows 1 GiB per request, whatever this one has."""
    monkeypatch.setattr(problem_module, "memory_limit", lambda: GIB)


@pytest.mark.parametrize("args, words", [
    (["minimize", "rosenbrock", "--param", "n=1000000000"], "problem 'rosenbrock' with n = 1000000000 needs 89.4 GiB"),
    (["compare", "rosenbrock", "--param", "n=10000000000"], "problem 'rosenbrock' with n = 10000000000 needs 894 GiB"),
    (["sweep", "rosenbrock", "--lr", "1e-4:1:100000000"], "a sweep of 100000000 runs needs 191 GiB"),
    (["sweep", "rosenbrock", "--seeds", "100000000"], "--seeds 100000000: a sweep of 100000000 runs needs 191 GiB"),
    (["critical-point", "rosenbrock", "--param", "n=100000"],
     "n = 100000 \\(a dense 100000 x 100000 Hessian\\) needs 224 GiB"),
])
def test_a_huge_size_on_the_command_line_is_one_line(args, words, small_machine, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert pytest.importorskip("re").search(words, err), err
    assert "more than the 1 GiB allowed" in err


def test_the_api_checks_sizes_before_allocating(small_machine):
    with pytest.raises(DescendError, match=r"with n = 100000000 needs 8.94 GiB of memory, more than the 1 GiB"):
        problems.get("rosenbrock", n=10 ** 8)
    problems.get("rosenbrock", n=1000)  # well within
    with pytest.raises(DescendError, match=r"grid: a sweep of 100000000 runs needs 191 GiB"):
        Grid({"lr": [0.1] * 10_000, "seed": list(range(10_000))}, "problem")
    with pytest.raises(DescendError, match=r"grid: a sweep of 100000000 runs"):
        sweep(problems.get("rosenbrock"), {"start": 10 ** 8}, progress=False)
    with pytest.raises(DescendError, match=r"--lr '1e-4:1:100000000' \(100000000 values\)"):
        parse_lr("1e-4:1:100000000")
    with pytest.raises(DescendError, match=r"n = 20000 \(a dense 20000 x 20000 Hessian\) needs 8.94 GiB"):
        critical_point(lambda x: float(x @ x), np.zeros(20_000))


@pytest.mark.parametrize("text, shown", [
    ("x**(100+1)", "100 \\+ 1 = 101"), ("9**9**9", "9\\*\\*9 = 3.8742e\\+08"), ("x**(2*60)", "2 \\* 60 = 120"),
    ("x**(10**3)", "10\\*\\*3 = 1000"), ("x**(1/0)", "1 / 0 = inf"), ("x**(0/0)", "0 / 0 = nan"),
])
def test_the_exponent_limit_is_checked_on_the_folded_value(text, shown):
    with pytest.raises(DescendError, match=f"the exponent {shown} is too large"):
        parse(text, ("x", "y"))


def test_exponents_within_the_limit_or_with_a_variable_parse():
    assert parse("x**(50+50)", ("x", "y"))(x=np.array(1.0001), y=0) == pytest.approx(1.0001 ** 100)
    for text in ("x**100", "x**y", "x**(y+200)", "2**x", "x**sin(1)", "x**(-100)"):
        parse(text, ("x", "y"))


# ------------------------------------------------------------------ what is left (issue 22.5)
# Measured 2026-12-07 and kept as strict xfails so that they flip, and must be turned into plain
# tests, when the owners of problems/ and methods/ fix them (test_sizes.py checks sizes; the
# checks live in those modules).

@pytest.mark.xfail(strict=True, raises=MemoryError,
                   reason="methods/: bfgs and newton allocate a dense n x n matrix (74.5 GiB at "
                          "n = 100000) without check_memory, a MemoryError traceback")
@pytest.mark.parametrize("method", ["bfgs", "newton"])
def test_a_dense_second_order_method_at_a_huge_n_is_one_line(method, capsys):
    assert main(["minimize", "rosenbrock", "--param", "n=100000", "--method", method, "--steps", "2"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "n = 100000" in err


@pytest.mark.xfail(strict=True, reason="problems.BYTES_PER_DIMENSION (96) is below what a run takes: "
                                       "tracemalloc peak 1.3x it for adam, 3.1x for lbfgs (its 2m = 20 "
                                       "history vectors), so a size that passes the check can need 1.5x "
                                       "the machine's memory")
@pytest.mark.parametrize("kwargs", [dict(optimizer="adam", lr=1e-3), dict(method="lbfgs")])
def test_the_memory_a_run_needs_is_within_the_checked_estimate(kwargs):
    import tracemalloc

    from descend import minimize
    from descend.problems.problem import BYTES_PER_DIMENSION

    p = problems.get("rosenbrock", n=1000)
    minimize(p, p.x0, steps=3, **kwargs)  # imports and caches first: only the run is measured
    n = 100_000
    p = problems.get("rosenbrock", n=n)
    tracemalloc.start()
    try:
        minimize(p, p.x0, steps=3, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= BYTES_PER_DIMENSION * n, peak / (BYTES_PER_DIMENSION * n)


def test_a_large_size_within_memory_is_allowed(small_machine):
    """Decided for issue 22.5: a size is refused for memory only (one line, the number and the
    limit); a run within it is bounded by --steps (time linear in n * steps) and is let run, as
    NumPy and scipy.optimize do.  n = 2e7 (1.8 GiB) on a 1 GiB machine is refused; n = 1e6 is
    not."""
    with pytest.raises(DescendError, match=r"problem 'rosenbrock' with n = 20000000 needs 1.79 GiB"):
        problems.get("rosenbrock", n=2 * 10 ** 7)
    assert problems.get("rosenbrock", n=10 ** 6).dim == 10 ** 6
