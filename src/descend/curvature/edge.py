"""The edge of stability: full-batch gradient descent on a network, its sharpness against 2/lr.

On a quadratic, gradient descent with learning rate ``lr`` diverges along any direction whose
curvature exceeds ``2 / lr``.  Cohen et al. (2021) found what it does on a network instead:

1. progressive sharpening: the sharpness (the Hessian's largest eigenvalue) rises while training;
2. when it reaches ``2 / lr`` it stops rising and hovers just above and below it (the edge of
   stability), where the quadratic model says gradient descent should diverge;
3. meanwhile the loss keeps falling over the long run, but not monotonically: it goes up on
   many steps.

:func:`gradient_descent` runs plain full-batch gradient descent, ``theta <- theta - lr grad L``,
written out, measuring the sharpness every ``every`` steps (Lanczos, warm-started from the last
top eigenvector: a measurement costs about ten Hessian-vector products, Lanczos's minimum);
:func:`edge_of_stability` does it on the bundled digits (a tanh MLP, MSE loss against one-hot
targets) at two learning rates and sums up each run in numbers the tour and the tests read.

Reference: J. M. Cohen, S. Kaur, Y. Li, J. Z. Kolter and A. Talwalkar, "Gradient descent on neural
networks typically occurs at the edge of stability", ICLR 2021.
"""

from __future__ import annotations

import contextlib
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..errors import DescendError, check_positive
from ..nn.losses import get as get_loss
from .eigen import top_eigen
from .hvp import HessianOperator

__all__ = ["gradient_descent", "edge_of_stability", "EdgeRun", "EdgeOfStability"]


@dataclass
class EdgeRun:
    """One run of full-batch gradient descent with its sharpness.

    Attributes
    ----------
    lr, threshold : float
        The learning rate and ``2 / lr``.
    loss : ndarray (steps + 1,)
        The full-batch loss before each step (and after the last).
    steps, sharpness : ndarray
        The steps at which the sharpness was measured, and its values.
    nhvp : int
        Hessian-vector products spent on the measurements.
    """

    lr: float
    threshold: float
    loss: np.ndarray
    steps: np.ndarray
    sharpness: np.ndarray
    nhvp: int

    @property
    def reached(self):
        """The first measured step with sharpness >= 0.95 * 2/lr (None: never)."""
        hit = np.flatnonzero(self.sharpness >= 0.95 * self.threshold)
        return int(self.steps[hit[0]]) if hit.size else None

    @property
    def settled(self) -> float:
        """Median sharpness over the last quarter of the measurements, divided by 2/lr (1: at the edge)."""
        last = self.sharpness[-max(1, len(self.sharpness) // 4):]
        return float(np.median(last) / self.threshold)

    @property
    def sharpening(self) -> float:
        """The largest sharpness measured divided by the first (> 1: progressive sharpening)."""
        return float(self.sharpness.max() / self.sharpness[0])

    @property
    def loss_increases(self) -> int:
        """Steps after which the loss was higher than before (0 for a monotone descent)."""
        return int(np.sum(np.diff(self.loss) > 0))

    def summary(self) -> dict:
        """The numbers a page shows: lr, 2/lr, first and last sharpness, reached, settled, sharpening,
        loss increases, first and last loss."""
        return {"lr": self.lr, "threshold": self.threshold, "sharpness_first": float(self.sharpness[0]),
                "sharpness_last": float(self.sharpness[-1]), "reached": self.reached, "settled": self.settled,
                "sharpening": self.sharpening, "loss_increases": self.loss_increases,
                "loss_first": float(self.loss[0]), "loss_last": float(self.loss[-1])}


@dataclass
class EdgeOfStability:
    """:func:`edge_of_stability`'s runs, one per learning rate, and the setting."""

    runs: list
    setting: dict = field(default_factory=dict)


def one_blas_thread():
    """One BLAS thread for the small products of these runs: on a shared machine the threads of
    a 1000 x 64 product wait more than they work (1.4 ms a step against 40 ms at load 12)."""
    try:
        from threadpoolctl import threadpool_limits  # lazy: optional, comes with scikit-learn
    except ImportError:  # pragma: no cover - scikit-learn brings it
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _count(name, value, lo):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def gradient_descent(model, loss, X, y, *, lr: float, steps: int, every: int = 20, tol: float = 1e-3,
                     seed=0) -> EdgeRun:
    """Full-batch gradient descent on ``model`` (updated in place), the sharpness every ``every`` steps.

    Stops early, with what it has, where the loss stops being finite (a learning rate far
    beyond the edge).  ``tol`` is the relative accuracy of each sharpness.
    """
    lr = float(check_positive("lr", lr))
    steps, every = _count("steps", steps, 1), _count("every", every, 1)
    loss_fn = get_loss(loss)
    losses, at, sharp, start, nhvp = [], [], [], None, 0
    with np.errstate(all="ignore"):
        for step in range(steps + 1):
            value = loss_fn.forward(model.forward(X), y)
            losses.append(value)
            if not np.isfinite(value):
                break
            grads = model.backward(loss_fn.backward())
            if step % every == 0 or step == steps:
                op = HessianOperator(model, loss_fn, X, y)
                values, vectors, _, _ = top_eigen(op.matvec, op.n, 1, tol=tol, seed=seed, start=start)
                start, nhvp = vectors[0], nhvp + op.nhvp
                at.append(step)
                sharp.append(values[0])
            if step < steps:
                for name, p in model.params.items():
                    p -= lr * grads[name]  # theta <- theta - lr grad L
    return EdgeRun(lr, 2.0 / lr, np.array(losses), np.array(at), np.array(sharp), nhvp)


def edge_of_stability(lrs=(0.6, 0.8), *, n_samples: int = 1000, hidden=(32,), steps: int = 2000,
                      every: int = 20, init: float = 0.1, seed=0, tol: float = 1e-3) -> EdgeOfStability:
    """The edge of stability reproduced on the bundled digits, at each learning rate of ``lrs``.

    A tanh MLP ``64 -> hidden -> 10`` (float64, weights normal with standard deviation
    ``init``, seeded) is trained by full-batch gradient descent on ``n_samples`` digits with
    the MSE loss against one-hot targets; each run starts from the same weights.  With the
    defaults (a few seconds) the sharpness rises from about 1.9 (progressive sharpening),
    reaches ``2 / lr`` and stays within a few percent of it while the loss keeps falling
    with hundreds of upward steps.  Needs scikit-learn (the digits).

    Returns
    -------
    EdgeOfStability
        ``runs``: one :class:`EdgeRun` per learning rate (``run.summary()`` for the numbers).
    """
    from .. import datasets, nn  # lazy: the data and the model builder are needed only here

    n_samples = _count("n_samples", n_samples, 1)
    if n_samples > 1797:
        raise DescendError(f"n_samples must be at most 1797 (the digits), got {n_samples}")
    data = datasets.digits(seed=seed)  # shuffled with seed; both parts, in order
    X = np.concatenate([data.X_train, data.X_test])[:n_samples]
    Y = np.eye(10)[np.concatenate([data.y_train, data.y_test])[:n_samples]]  # one-hot targets for the MSE
    runs = []
    with one_blas_thread():
        for lr in lrs:
            model = nn.mlp([64, *hidden, 10], activation="tanh", init=init, rng=seed, dtype="float64")
            runs.append(gradient_descent(model, nn.MSELoss(), X, Y, lr=lr, steps=steps, every=every, tol=tol,
                                         seed=seed))
    return EdgeOfStability(runs, {"n_samples": n_samples, "hidden": list(hidden), "steps": steps, "every": every,
                                  "init": init, "seed": seed, "loss": "mse", "activation": "tanh"})
