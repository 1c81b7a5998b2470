"""Hostile files and edge inputs (issue 12, items 2, 4, 5 and 6).

Each test builds its hostile input (a doctored checkpoint, a zip bomb, JSON nested
100000 deep, a tampered progress field...) in a temp folder, or passes the edge value
directly, and asserts descend's refusal: a DescendError whose message names what is
wrong, never a traceback from NumPy, a RecursionError or gigabytes allocated.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import optim
from descend.errors import DescendError

# --------------------------------------------------------------------------------------
# Item 5: wrong answers given without a word
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [False, True])
def test_sgd_ignores_dampening_without_momentum_like_torch(fused):
    # torch.optim.SGD(lr=0.1, dampening=0.5), x = 1 and three unit gradients: 0.9, 0.8, 0.7
    opt = optim.SGD(lr=0.1, dampening=0.5, fused=fused)
    x = np.ones(1)
    seen = []
    for _ in range(3):
        opt.step(x, np.ones(1))
        seen.append(x[0])
    np.testing.assert_allclose(seen, [0.9, 0.8, 0.7], rtol=0, atol=1e-15)


def test_sgd_dampening_still_applies_with_momentum_per_run():
    # run 0 has no momentum (dampening ignored), run 1 momentum 0.9 (dampening from step 2)
    opt = optim.SGD(lr=0.1, dampening=0.5, momentum=np.array([0.0, 0.9]))
    X = np.ones((2, 1))
    seen = []
    for _ in range(3):
        opt.step(X, np.ones((2, 1)), runs=2)
        seen.append(X[:, 0].copy())
    # run 1: b = 1, 0.9 + 0.5 = 1.4, 1.26 + 0.5 = 1.76
    np.testing.assert_allclose(seen, [[0.9, 0.9], [0.8, 0.76], [0.7, 0.584]], atol=1e-15)


def test_minimize_sgd_ignores_dampening_without_momentum():
    r = descend.minimize(lambda x: x[0], [1.0], grad=lambda x: np.ones(1), optimizer="sgd", lr=0.1,
                         dampening=0.5, steps=3)
    np.testing.assert_allclose(r.history.x[:, 0], [1.0, 0.9, 0.8, 0.7], atol=1e-15)


def test_sgd_dampening_matches_torch_live():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    ref = torch.optim.SGD([p], lr=0.1, dampening=0.5)
    x, opt = np.ones(1), optim.SGD(lr=0.1, dampening=0.5)
    for _ in range(5):
        p.grad = torch.ones(1, dtype=torch.float64)
        ref.step()
        opt.step(x, np.ones(1))
        assert x[0] == p.item()


COMPLEX_VALUED = [
    ("derivative", lambda: descend.derivative(lambda x: 1j * x * x, 1.0, method="complex")),
    ("derivative array", lambda: descend.derivative(lambda x: 1j * x, np.ones(3), method="complex")),
    ("gradient", lambda: descend.gradient(lambda p: 1j * np.sum(p * p), np.ones(2), method="complex")),
    ("gradient vectorized", lambda: descend.gradient(lambda P: 1j * np.sum(P * P, axis=1), np.ones((3, 2)),
                                                     method="complex", vectorized=True)),
    ("jacobian", lambda: descend.jacobian(lambda p: 1j * p * p, np.ones(2), method="complex")),
    ("hessian", lambda: descend.hessian(lambda p: 1j * np.sum(p * p), np.ones(2), method="complex")),
    ("hessian vectorized", lambda: descend.hessian(lambda P: 1j * np.sum(P * P, axis=1), np.ones(2),
                                                   method="complex", vectorized=True)),
]


@pytest.mark.parametrize("name, call", COMPLEX_VALUED, ids=[c[0] for c in COMPLEX_VALUED])
def test_complex_step_refuses_a_complex_valued_f(name, call):
    with pytest.raises(DescendError, match=r"method='complex' needs a real-valued f .* is complex"):
        call()


def test_complex_step_still_exact_for_a_real_f():
    assert descend.derivative(np.sin, 1.0, method="complex") == np.cos(1.0)
    H = descend.hessian(lambda p: p[0] ** 2 * p[1], np.array([1.0, 2.0]), method="complex")
    np.testing.assert_allclose(H, [[4.0, 2.0], [2.0, 0.0]], atol=1e-8)


# --------------------------------------------------------------------------------------
# Item 6: cost guards
# --------------------------------------------------------------------------------------


def test_sphere_of_20000_variables_builds_no_dense_hessian():
    import tracemalloc

    from descend import problems

    tracemalloc.start()
    try:
        p = problems.get("sphere", n=20000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # the dense Hessian alone would be 3.2 GB
    assert p.f(np.ones(20000)) == 20000.0
    H = problems.get("sphere", n=3).hessian(np.ones(3))  # built when asked for, and still right
    assert np.array_equal(H, 2.0 * np.eye(3))
    H[0, 0] = 5.0  # a fresh copy per call
    assert problems.get("sphere", n=3).hessian(np.ones(3))[0, 0] == 2.0


def test_hessian_refuses_over_its_memory_limit_and_says_how_much():
    calls = []

    def f(p):
        calls.append(1)
        return np.sum(p * p)

    with pytest.raises(DescendError, match=r"hessian of 3000 variables \(method='central'\) would take about "
                                           r"[0-9.]+ GiB of memory \(3000 x 3000 matrix, 18000001 evaluations "
                                           r"of f\), over max_memory=1.0 GiB; pass a larger max_memory"):
        descend.hessian(f, np.ones(3000))
    assert not calls  # refused before evaluating anything
    with pytest.raises(DescendError, match=r"vectorized\) would take about [0-9.]+ GiB"):
        descend.hessian(lambda P: np.sum(P * P, axis=1), np.ones(1000), vectorized=True)
    with pytest.raises(DescendError, match=r"over max_memory=1\.0 MiB"):
        descend.hessian(f, np.ones(100), max_memory=2 ** 20)
    # the caller can raise the limit, or lift it
    H = descend.hessian(lambda P: np.sum(P * P, axis=1), np.ones(3), vectorized=True, max_memory=None)
    np.testing.assert_allclose(H, 2 * np.eye(3), atol=1e-6)
    assert descend.hessian(f, np.ones(100), max_memory=2 ** 30).shape == (100, 100)


@pytest.mark.parametrize("bad", [0, -1, "1GB", True, float("nan")])
def test_hessian_max_memory_is_checked(bad):
    with pytest.raises(DescendError, match=r"max_memory must be a number of bytes > 0 or None \(no limit\), got"):
        descend.hessian(lambda p: np.sum(p * p), np.ones(2), max_memory=bad)
