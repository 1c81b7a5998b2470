"""Loss landscapes: the line between two weight vectors, filter-normalised planes, PCA planes of a trajectory."""

from __future__ import annotations

import numpy as np
import pytest

from descend import nn
from descend.curvature import interpolate, pca_directions, random_directions, surface
from descend.errors import DescendError


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((25, 3))
    y = X @ np.array([1.0, -1.0, 2.0]) + 0.1 * rng.standard_normal(25)
    return X, y


def _loss(model, X, y):
    return nn.MSELoss().forward(model.forward(X), y)


def test_the_line_is_exact_at_its_ends_and_a_parabola_for_a_linear_model(problem):
    X, y = problem
    model = nn.Sequential(nn.Linear(3, 1, rng=0, dtype=np.float64))
    start = {k: p.copy() for k, p in model.params.items()}
    end = {"0.weight": np.array([[1.0], [-1.0], [2.0]]), "0.bias": np.zeros(1)}
    line = interpolate(model, "mse", X, y, start, end, alphas=np.linspace(-1, 2, 13))
    assert line.loss[4] == pytest.approx(_loss(model, X, y), rel=1e-12)  # a = 0
    second = np.diff(line.loss, 2)
    np.testing.assert_allclose(second, second[0], rtol=1e-9)  # MSE of a linear model: quadratic in a
    np.testing.assert_array_equal(model.params["0.weight"], start["0.weight"])  # not changed


def test_filter_normalised_directions_have_the_norms_of_the_weights_columns(problem):
    model = nn.mlp([3, 5, 2], rng=0, dtype="float64")
    d1, d2 = random_directions(model, seed=1)
    for name, p in model.params.items():
        if p.ndim == 2:
            np.testing.assert_allclose(np.linalg.norm(d1[name], axis=0), np.linalg.norm(p, axis=0), rtol=1e-12)
            assert not np.allclose(d1[name], d2[name])
        else:
            assert not d1[name].any()
    again, _ = random_directions(model, seed=1)
    np.testing.assert_array_equal(again["0.weight"], d1["0.weight"])


def test_surface_centre_is_the_model_and_a_planar_path_projects_back_exactly(problem):
    X, y = problem
    model = nn.mlp([3, 4, 1], activation="tanh", rng=0, dtype="float64")
    d1, d2 = random_directions(model, seed=2)
    coords = np.array([[0.5, -0.2], [0.1, 0.3], [-0.4, 0.0], [0.0, 0.0]])
    path = [{k: p + a * d1[k] + b * d2[k] for k, p in model.params.items()} for a, b in coords]
    surf = surface(model, "mse", X, y, d1, d2, span=0.5, points=5, trajectory=path)
    assert surf.loss.shape == (5, 5)
    assert surf.loss[2, 2] == pytest.approx(_loss(model, X, y), rel=1e-12)
    np.testing.assert_allclose(surf.path, coords, atol=1e-12)
    # the (i, j) entry is at (a[j], b[i])
    shifted = nn.mlp([3, 4, 1], activation="tanh", rng=0, dtype="float64")
    shifted.load_params({k: p + 0.5 * d1[k] - 0.25 * d2[k] for k, p in model.params.items()})
    assert surf.loss[1, 4] == pytest.approx(_loss(shifted, X, y), rel=1e-12)


def test_pca_directions_of_a_planar_trajectory_explain_all_of_it(problem):
    X, y = problem
    model = nn.mlp([3, 4, 1], activation="tanh", rng=0, dtype="float64")
    d1, d2 = random_directions(model, seed=4)
    t = np.linspace(0, 1, 8)
    path = [{k: p + (1 - s) * d1[k] + (1 - s) ** 2 * d2[k] for k, p in model.params.items()} for s in t]
    p1, p2, explained = pca_directions(path)
    assert explained.sum() == pytest.approx(1.0, abs=1e-12)
    assert explained[0] >= explained[1] > 0
    surf = surface(model, "mse", X, y, p1, p2, center=path[-1], points=3, trajectory=path)
    # reconstructed from its projection, each point is the trajectory's
    D = np.stack([np.concatenate([p1[k].ravel() for k in model.params]),
                  np.concatenate([p2[k].ravel() for k in model.params])], axis=1)
    flat = np.stack([np.concatenate([q[k].ravel() for k in model.params]) for q in path])
    np.testing.assert_allclose(flat[-1] + surf.path @ D.T, flat, atol=1e-12)


def test_errors(problem):
    X, y = problem
    model = nn.mlp([3, 4, 1], rng=0, dtype="float64")
    d1, _ = random_directions(model, seed=0)
    with pytest.raises(DescendError, match="two independent directions"):
        surface(model, "mse", X, y, d1, {k: 2 * v for k, v in d1.items()})
    with pytest.raises(DescendError, match="at least 3 points"):
        pca_directions([model.params, model.params])
    with pytest.raises(DescendError, match="points must be an integer >= 2"):
        surface(model, "mse", X, y, *random_directions(model), points=1)
    with pytest.raises(DescendError, match="span must be a finite number > 0"):
        surface(model, "mse", X, y, *random_directions(model), span=0)
