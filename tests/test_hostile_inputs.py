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
