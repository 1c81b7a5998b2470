"""Loss landscapes: the loss along a line between two weight vectors, and on a plane through the weights.

Three pictures of a loss that lives in thousands of dimensions:

- **the line** (Goodfellow, Vinyals and Saxe 2015): ``L((1 - a) theta_0 + a theta_1)`` for ``a``
  from before 0 to past 1, e.g. from the initial to the trained weights;
- **a random plane** (Li et al. 2018): ``L(theta + a d_1 + b d_2)`` with Gaussian directions
  *filter-normalised*, each output unit's slice of ``d`` rescaled to the norm of the same slice
  of ``theta`` (``d_j <- d_j ||theta_j|| / ||d_j||``), so that the picture does not depend on
  the scale of the weights, which ReLU networks leave free; biases get no direction;
- **the plane of a trajectory** (Li et al. 2018, section 7): the two top principal directions of
  ``theta_t - theta_final`` over a training run, in which the run itself is drawn, projected:
  its coordinates are the least-squares ``(a, b)`` of ``theta_t - theta_center``.

A Linear weight here is stored (in, out), so a unit's slice is a column (torch's row).

References: I. J. Goodfellow, O. Vinyals and A. M. Saxe, "Qualitatively characterizing neural network
optimization problems", ICLR 2015; H. Li, Z. Xu, G. Taylor, C. Studer and T. Goldstein, "Visualizing
the loss landscape of neural nets", NeurIPS 2018.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..errors import DescendError, check_positive
from .hvp import HessianOperator

__all__ = ["interpolate", "random_directions", "pca_directions", "surface", "Line", "Surface"]


@dataclass
class Line:
    """The loss along ``(1 - a) start + a end``: ``alphas`` and ``loss`` (arrays of one length)."""

    alphas: np.ndarray
    loss: np.ndarray


@dataclass
class Surface:
    """The loss on the plane ``center + a d1 + b d2``.

    Attributes
    ----------
    a, b : ndarray
        The grid's coordinates along d1 and d2.
    loss : ndarray (len(b), len(a))
        ``loss[i, j]`` at ``(a[j], b[i])`` (rows along b, as contour plots want).
    path : ndarray (T, 2) or None
        The trajectory projected onto the plane.
    """

    a: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    path: np.ndarray | None = None


def _operator(model, loss, X, y):
    """A private float64 copy of the model, in evaluation mode, with the flat layout of its parameters."""
    return HessianOperator(model, loss, X, y)


def _loss_at(op, theta) -> float:
    op.model.load_params(op.unflatten(theta))
    with np.errstate(all="ignore"):  # a far point may overflow: its loss is inf, drawn as such
        return float(op.loss_fn.forward(op.model.forward(op.X), op.y))


def _points(name, value, lo=2):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def interpolate(model, loss, X, y, start: dict, end: dict, alphas=None) -> Line:
    """The loss along the line from ``start`` (a = 0) to ``end`` (a = 1), Goodfellow et al. (2015).

    ``start``, ``end``: parameter dicts of the model (e.g. ``{k: p.copy() for k, p in
    model.params.items()}`` before and after training).  ``alphas`` defaults to 41 points
    in [-0.5, 1.5].  The model is not changed.
    """
    op = _operator(model, loss, X, y)
    a, b = op.flatten(start), op.flatten(end)
    alphas = np.linspace(-0.5, 1.5, 41) if alphas is None else np.asarray(alphas, dtype=np.float64).reshape(-1)
    if alphas.size == 0 or not np.isfinite(alphas).all():
        raise DescendError("alphas must be finite numbers, at least one")
    return Line(alphas, np.array([_loss_at(op, (1 - t) * a + t * b) for t in alphas]))


def random_directions(model, *, seed=0, filter_normalize: bool = True) -> tuple[dict, dict]:
    """Two Gaussian directions in the parameters, filter-normalised (Li et al. 2018) unless asked not.

    Each 2-D weight's columns (one per output unit) are rescaled to the norms of the model's
    columns; 1-D parameters (biases) get zero.  Seeded.
    """
    rng = np.random.default_rng(seed)
    pair = []
    for _ in range(2):
        d = {}
        for name, p in model.params.items():
            p = np.asarray(p, dtype=np.float64)
            if p.ndim < 2:
                d[name] = np.zeros_like(p)  # Li et al.: no direction for biases
                continue
            r = rng.standard_normal(p.shape)
            if filter_normalize:
                r *= np.linalg.norm(p, axis=0) / np.maximum(np.linalg.norm(r, axis=0), 1e-300)
            d[name] = r
        pair.append(d)
    return pair[0], pair[1]


def _trajectory(trajectory, names) -> np.ndarray:
    rows = []
    for t, params in enumerate(trajectory):
        if not isinstance(params, dict) or set(params) != set(names):
            raise DescendError(f"trajectory[{t}] must be a dict of the model's parameters {names}")
        rows.append(np.concatenate([np.asarray(params[k], dtype=np.float64).reshape(-1) for k in names]))
    if len(rows) < 3:
        raise DescendError(f"a trajectory needs at least 3 points for two directions, got {len(rows)}")
    return np.stack(rows)


def pca_directions(trajectory) -> tuple[dict, dict, np.ndarray]:
    """The top two principal directions of ``theta_t - theta_last`` over a trajectory (a list of
    parameter dicts), with the share of the variance each explains: ``(d1, d2, explained)``."""
    trajectory = list(trajectory)
    if not trajectory:
        raise DescendError("a trajectory needs at least 3 points for two directions, got 0")
    names = list(trajectory[0])
    M = _trajectory(trajectory, names)
    _, s, Vt = np.linalg.svd(M - M[-1], full_matrices=False)
    explained = s[:2] ** 2 / np.sum(s ** 2)
    shapes = {k: np.shape(trajectory[0][k]) for k in names}
    sizes = np.cumsum([0] + [int(np.prod(shapes[k])) for k in names])

    def as_dict(v):
        return {k: v[a:b].reshape(shapes[k]) for k, a, b in zip(names, sizes[:-1], sizes[1:])}

    return as_dict(Vt[0]), as_dict(Vt[1]), explained


def surface(model, loss, X, y, d1: dict, d2: dict, *, center=None, span: float = 1.0, points: int = 21,
            trajectory=None) -> Surface:
    """The loss on ``center + a d1 + b d2`` for ``a, b`` in ``[-span, span]``, ``points`` each way.

    Parameters
    ----------
    model, loss, X, y
        The network (not changed) and the data.
    d1, d2 : dict
        Directions (:func:`random_directions`, :func:`pca_directions`).
    center : dict, optional
        The plane's origin; the model's parameters by default.
    span : float > 0, points : int >= 2
    trajectory : list of dict, optional
        Parameter dicts of a run, projected onto the plane (least squares) as ``path``.
    """
    check_positive("span", span)
    points = _points("points", points)
    op = _operator(model, loss, X, y)
    origin = op.theta.copy() if center is None else op.flatten(center)
    D = np.stack([op.flatten(d1), op.flatten(d2)], axis=1)
    if np.linalg.matrix_rank(D) < 2:
        raise DescendError("d1 and d2 must be two independent directions (neither zero, not parallel)")
    grid = np.linspace(-span, span, points)
    Z = np.array([[_loss_at(op, origin + a * D[:, 0] + b * D[:, 1]) for a in grid] for b in grid])
    path = None
    if trajectory is not None:
        M = _trajectory(list(trajectory), op.names)
        path = np.linalg.lstsq(D, (M - origin).T, rcond=None)[0].T
    return Surface(grid, grid.copy(), Z, path)
