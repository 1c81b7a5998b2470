"""Small data sets for training examples, and the mini-batch iterator.

Generators return plain NumPy arrays in a :class:`Data` named tuple ``(X, y)``
(``.split(test_size, seed)`` makes a :class:`Split`); :func:`digits` returns a
:class:`Split` ``(X_train, y_train, X_test, y_test)``.  Every random draw comes
from a ``np.random.Generator`` seeded by ``seed`` (None: fresh OS entropy).

Seed 003 and what it got wrong
------------------------------
Seed 003 trains a 2-10-1 ReLU network on ``y = 3 x0 + 2 x1`` (``x`` uniform in
``[0, 1)^2``; here :func:`linear`) and compares stochastic gradient descent (one
sample per update) with mini-batch gradient descent (10 per update).  Its
mini-batch code is wrong in four ways, all fixed in :mod:`descend.nn` and
:func:`descend.train`:

1. Its mini-batch backward does not average the per-sample gradients.  It takes
   one "representative" sample ``x[0]``, ``z1[0]`` of the batch and the mean of
   ``delta2``, i.e. ``grad W2 = z1[0] * mean(delta2)``.  The gradient of the mean
   loss is the mean of the per-sample gradients: with ``delta2`` of shape
   ``(B,)``, ``grad W2 = z1.T @ delta2 / B``, ``grad b2 = mean(delta2)``,
   ``delta1 = outer(delta2, W2) * 1[u1 > 0]``, ``grad W1 = x.T @ delta1 / B``,
   ``grad b1 = mean(delta1, axis=0)``.
2. It multiplies by the sigmoid's derivative (``d_sigmoid(z1)``) after a ReLU
   layer (in both its batch and its stochastic branch); the ReLU's derivative is
   the indicator ``1[u1 > 0]``.
3. Its batch slicing ``random_datasets[idx_d:idx_d+batch_size-1]`` takes 9
   samples, not 10, and the loop fills only rows 0..8 of ``xs``, so the 10th row
   is stale data from the previous batch (and uninitialised memory in the first);
   one sample in ten is never seen.  :func:`batches` slices ``[i:i+batch_size]``.
4. ``np.random.choice(data_sets, 500)`` samples *with* replacement, so an
   "epoch" repeats some samples and misses others.  Here an epoch is a
   permutation: every sample exactly once.

(Its loss ``mean_squared_error`` is also half the usual MSE; with
:class:`descend.nn.MSELoss` the same learning rate takes twice the step.)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from .errors import DescendError, check_in_range, unknown_name

__all__ = ["Data", "Split", "linear", "digits", "spirals", "moons", "xor", "circles", "batches", "split",
           "get", "names"]


class Split(NamedTuple):
    """A train/test split: ``X_train, y_train, X_test, y_test``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self):
        return (f"Split(train: X {self.X_train.shape} y {self.y_train.shape}, "
                f"test: X {self.X_test.shape} y {self.y_test.shape})")


class Data(NamedTuple):
    """Features and targets: ``X`` of shape (n, d), ``y`` of shape (n,)."""

    X: np.ndarray
    y: np.ndarray

    def split(self, test_size: float = 0.25, seed=None) -> Split:
        """A shuffled train/test :class:`Split` (see :func:`split`)."""
        return split(self.X, self.y, test_size=test_size, seed=seed)

    def __repr__(self):
        return f"Data(X {self.X.shape} {self.X.dtype}, y {self.y.shape} {self.y.dtype})"


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0):
        return np.random.default_rng(seed)
    raise DescendError(f"seed must be None, an integer >= 0 or a numpy.random.Generator, got {seed!r}")


def _n(name: str, n, lo: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {n!r}")
    return int(n)


def _noise(noise) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise DescendError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def split(X, y, test_size: float = 0.25, seed=None) -> Split:
    """Shuffle the rows with ``seed`` and split off ``test_size`` (a fraction in (0, 1)) for testing."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise DescendError(f"X and y must have the same number of rows, got {len(X)} and {len(y)}")
    check_in_range("test_size", test_size, 0, 1, lo_open=True, hi_open=True)
    n_test = int(round(len(X) * test_size))
    if n_test == 0 or n_test == len(X):
        raise DescendError(f"test_size={test_size} leaves an empty train or test set for {len(X)} samples")
    perm = _rng(seed).permutation(len(X))
    test, train = perm[:n_test], perm[n_test:]
    return Split(X[train], y[train], X[test], y[test])


def linear(n: int = 1000, weights=(3, 2), bias: float = 0, noise: float = 0, seed=None) -> Data:
    """Seed 003's regression data: ``x`` uniform in ``[0, 1)^d``, ``y = x @ weights + bias (+ noise)``.

    Parameters
    ----------
    n : int
        Number of samples.
    weights : sequence of float, default (3, 2)
        One weight per feature (seed 003: ``y = 3*x0 + 2*x1``).
    bias : float
    noise : float >= 0
        Standard deviation of Gaussian noise added to ``y``.
    seed : None, int or Generator

    Returns
    -------
    Data
        ``X`` float64 of shape (n, len(weights)), ``y`` float64 of shape (n,).
    """
    n = _n("n", n)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)):
        raise DescendError(f"weights must be a non-empty sequence of finite numbers, got {weights!r}")
    if isinstance(bias, bool) or not isinstance(bias, numbers.Real) or not math.isfinite(bias):
        raise DescendError(f"bias must be a finite number, got {bias!r}")
    noise = _noise(noise)
    gen = _rng(seed)
    X = gen.random((n, w.size))
    y = w[0] * X[:, 0]
    for j in range(1, w.size):  # term by term, as seed 003's f(x) = 3*x[0] + 2*x[1] (bit for bit)
        y = y + w[j] * X[:, j]
    if bias:
        y = y + bias
    if noise:
        y += noise * gen.standard_normal(n)
    return Data(X, y)


def digits(test_size: float = 0.25, seed=0, dtype=np.float64) -> Split:
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes), no download.

    Pixels (0..16) are scaled to ``[0, 1]``; the rows are shuffled with ``seed`` and
    ``test_size`` of them kept for testing.  Needs scikit-learn (``pip install
    'descend[data]'`` or ``pip install scikit-learn``).

    Returns
    -------
    Split
        ``X_*`` of shape (n, 64) in ``dtype``, ``y_*`` int64 labels 0..9.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DescendError("digits() needs scikit-learn, which is not installed: "
                           "pip install 'descend[data]' (or pip install scikit-learn)") from None
    bunch = load_digits()
    X = (bunch.data / 16.0).astype(dtype)
    y = bunch.target.astype(np.int64)
    return split(X, y, test_size=test_size, seed=seed)


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed=None) -> Data:
    """Interleaved spirals (CS231n's classic): ``classes`` arms of about ``n / classes`` points.

    Point ``i`` of arm ``k`` has radius ``r = i / m`` and angle ``4 k + 4 r`` (plus Gaussian
    noise of standard deviation ``noise`` on the angle), at ``r (sin t, cos t)``.
    """
    n = _n("n", n)
    classes = _n("classes", classes, 2)
    if n < classes:
        raise DescendError(f"n must be at least classes={classes}, got {n}")
    noise = _noise(noise)
    gen = _rng(seed)
    sizes = [n // classes + (k < n % classes) for k in range(classes)]
    X = np.empty((n, 2))
    y = np.empty(n, dtype=np.int64)
    start = 0
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + noise * gen.standard_normal(m)
        X[start:start + m] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[start:start + m] = k
        start += m
    return Data(X, y)


def moons(n: int = 200, noise: float = 0.1, seed=None) -> Data:
    """Two interleaving half circles (as scikit-learn's make_moons), labels 0 and 1."""
    n = _n("n", n, 2)
    noise = _noise(noise)
    gen = _rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)],
                   np.c_[1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]])
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)]
    if noise:
        X += noise * gen.standard_normal(X.shape)
    return Data(X, y)


def xor(n: int = 200, noise: float = 0.0, seed=None) -> Data:
    """XOR: ``x`` uniform in ``[-1, 1]^2``, label 1 where the two signs differ (then noise on x)."""
    n = _n("n", n)
    noise = _noise(noise)
    gen = _rng(seed)
    X = gen.uniform(-1.0, 1.0, (n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    if noise:
        X += noise * gen.standard_normal(X.shape)
    return Data(X, y)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed=None) -> Data:
    """A small circle inside a large one (as scikit-learn's make_circles): labels 0 outside, 1 inside.

    ``n // 2`` points evenly spaced on the unit circle (label 0), the rest on the circle
    of radius ``factor`` in (0, 1) (label 1), then Gaussian noise of standard deviation
    ``noise`` on x.
    """
    n = _n("n", n, 2)
    noise = _noise(noise)
    check_in_range("factor", factor, 0, 1, lo_open=True, hi_open=True)
    gen = _rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)],
                   factor * np.c_[np.cos(t_in), np.sin(t_in)]])
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)]
    if noise:
        X += noise * gen.standard_normal(X.shape)
    return Data(X, y)


def batches(X, y, batch_size=None, shuffle: bool = True, rng=None, *,
            drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of mini-batches ``(X_batch, y_batch)``: every sample exactly once.

    Parameters
    ----------
    X, y : array_like
        Same number of rows.
    batch_size : int or None
        Rows per batch; None is the whole set in one batch (full-batch gradient descent).
    shuffle : bool, default True
        Visit the rows in the order of a permutation drawn from ``rng`` (no sampling
        with replacement); False keeps the order.  A single batch (``batch_size``
        None or >= n) is the rows in order, and draws nothing from ``rng``.  With
        ``rng = np.random.default_rng(seed)`` reused every epoch these are the
        batches :func:`descend.train` uses with that ``seed``.
    rng : None, int or Generator
        Source of the permutation.  Pass the same Generator every epoch to get a
        new order each epoch that a seed reproduces.
    drop_last : bool, default False
        Drop the last batch when it is shorter than ``batch_size`` (else it is kept).

    Yields
    ------
    (ndarray, ndarray)
        Copies of the selected rows when shuffling, views when not.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise DescendError(f"X and y must have a sample axis, got shapes {X.shape} and {y.shape}")
    n = len(X)
    if len(y) != n:
        raise DescendError(f"X and y must have the same number of rows, got {n} and {len(y)}")
    size = n if batch_size is None else _n("batch_size", batch_size)
    if drop_last and size > n:
        raise DescendError(f"batch_size={size} with drop_last=True leaves no batch of {n} samples")
    stop = n - n % size if drop_last else n
    if shuffle and size < n:  # one batch holding every sample needs no order (and draws none)
        order = _rng(rng).permutation(n)
        for i in range(0, stop, size):
            idx = order[i:i + size]
            yield X[idx], y[idx]
    else:
        for i in range(0, stop, size):
            yield X[i:i + size], y[i:i + size]


_GENERATORS = {"linear": linear, "digits": digits, "spirals": spirals, "moons": moons, "xor": xor,
               "circles": circles}


def names() -> list[str]:
    """The data set names :func:`get` knows."""
    return list(_GENERATORS)


def get(name: str, **kwargs):
    """A data set by name, e.g. ``get("moons", n=500, seed=0)``; keyword arguments go to its function."""
    if name not in _GENERATORS:
        raise DescendError(unknown_name("data set", name, _GENERATORS))
    try:
        return _GENERATORS[name](**kwargs)
    except TypeError as exc:
        raise DescendError(f"data set {name!r}: {exc}") from None
