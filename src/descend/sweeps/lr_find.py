r"""The learning-rate range test, and for a problem its local curvature and the divergence boundary.

Range test (L. N. Smith, "Cyclical learning rates for training neural networks",
WACV 2017; the fastai ``lr_find``): take ``steps`` updates with a learning rate
that grows geometrically from ``min_lr`` to ``max_lr``,

.. math:: \eta_k = \eta_{\min} (\eta_{\max} / \eta_{\min})^{k / (K - 1)},

record the loss after each update against the learning rate that made it, smooth it
with a bias-corrected exponential moving average (``smooth`` = beta), and stop when the
smoothed loss gap (loss minus the floor: the problem's known minimum, else 0) exceeds
``diverge`` times the best gap so far, or the loss is no longer finite.  Two
suggestions are computed from the smoothed curve before the stop:

``"minimum"`` (the default)
    a tenth of the learning rate at the lowest smoothed loss (fastai's
    ``lr_min / 10``): the minimum sits where the loss starts to blow up;
``"steepest"``
    the learning rate where the smoothed loss falls fastest per unit of ``log(lr)``
    (the most negative ``np.gradient(smoothed, log lr)``), skipping the first tenth of
    the curve where the average is still warming up.

Why "minimum" is the default: for gradient descent on a quadratic with largest
curvature L the loss blows up once the learning rate passes 2/L, and a tenth of the
lr at the minimum lands at 0.4 to 0.7 times 2/L for condition numbers 1 to 1e4 (n = 2
and 10, rotated or not, 100 or 300 updates).  The steepest descent is at 0.02 to 0.4
times 2/L when the problem is well conditioned but at up to 6 times 2/L when it is
not (condition number >= 100): by the time the flat direction moves fastest, the lr
is already past the stiff direction's limit, whose blow-up shows only later because
that component had been shrunk to almost nothing.

Curvature of a problem (at ``start``, default ``Problem.x0``):

* the eigenvalue of the Hessian of largest magnitude, by power iteration on
  Hessian-vector products (central differences of the gradient,
  :func:`descend.diff.hessian_vector_product`), then the other end of the spectrum by
  power iteration on the shifted operator ``a I - H`` (``a`` the first eigenvalue),
  giving ``L = lambda_max`` and ``mu = lambda_min``;
* the stable step bound ``2 / L`` of gradient descent on the local quadratic model,
  the condition number ``kappa = L / mu`` and the contraction factor per step
  ``(kappa - 1) / (kappa + 1)`` that gradient descent reaches with its best step
  ``2 / (L + mu)`` on that model;
* the measured boundary: plain gradient descent from ``start`` for a log grid of
  learning rates around 2/L, all runs as one batch through :func:`descend.minimize`;
  the smallest learning rate whose run diverges, to compare with 2/L (its ratio to
  2/L is ``boundary_ratio``; a quadratic gives a ratio just above 1, within the grid's
  spacing).
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from ..errors import DescendError

__all__ = ["lr_find", "curvature", "LRFinderResult", "Curvature"]

_METHODS = ("minimum", "steepest")


@dataclasses.dataclass(frozen=True)
class Curvature:
    """Extreme Hessian eigenvalues at a point, from power iteration on Hessian-vector products.

    Attributes
    ----------
    x : ndarray
        The point.
    L, mu : float
        The largest and smallest eigenvalues found.
    stable_lr : float
        ``2 / L`` (nan unless L > 0): gradient descent on the local quadratic model
        diverges above it.
    kappa : float
        ``L / mu`` (inf unless mu > 0: the point is not in a convex region).
    rate : float
        ``(kappa - 1) / (kappa + 1)``, the error contraction per step of gradient
        descent with the step ``2 / (L + mu)`` on the local model.
    iterations : int
        Power-iteration steps taken (both runs together); ``hvp_evaluations`` gradients per
        product are 2 (central differences).
    converged : bool
        Both power iterations met ``tol``.
    """

    x: np.ndarray
    L: float
    mu: float
    stable_lr: float
    kappa: float
    rate: float
    iterations: int
    converged: bool

    def __repr__(self) -> str:
        return (f"Curvature(L={self.L:.6g}, mu={self.mu:.6g}, 2/L={self.stable_lr:.6g}, "
                f"kappa={self.kappa:.6g}, rate={self.rate:.6g})")


def _power(op, n: int, rng: np.random.Generator, iters: int, tol: float, of=lambda lam: lam):
    """The eigenvalue of largest magnitude of the symmetric operator ``op`` (Rayleigh quotient).

    Stops when the Rayleigh quotient changes by at most ``tol`` times ``|of(quotient)|``,
    the quantity the caller wants (for a shifted operator, the unshifted eigenvalue).
    """
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    lam = 0.0
    for k in range(1, iters + 1):
        w = op(v)
        lam_new = float(v @ w)
        norm = float(np.linalg.norm(w))
        if norm == 0.0:  # v is in the null space: the eigenvalue is 0
            return 0.0, k, True
        v = w / norm
        if k > 1 and abs(lam_new - lam) <= tol * max(abs(of(lam_new)), 1e-300):
            return lam_new, k, True
        lam = lam_new
    return lam, iters, False


def curvature(problem, x=None, *, iters: int = 2000, tol: float = 1e-12, seed: int = 0, h=None) -> Curvature:
    """Largest and smallest Hessian eigenvalues of ``problem`` at ``x`` (default ``problem.x0``).

    Parameters
    ----------
    problem : Problem
    x : array_like, optional
    iters : int
        Most power-iteration steps per eigenvalue.
    tol : float
        Stop when the Rayleigh quotient changes by at most ``tol`` relative to the
        eigenvalue sought.  Power iteration converges like ``(lambda_2 / lambda_1)^(2k)``,
        slowly when the two largest are close (many iterations in many dimensions).
    seed : int
        The random start vector.
    h : float, optional
        Step of the finite-difference Hessian-vector product (None: its default).

    Returns
    -------
    Curvature
    """
    from ..diff import hessian_vector_product
    from ..problems import Problem

    if not isinstance(problem, Problem):
        raise DescendError(f"curvature needs a descend Problem (with a gradient), got {type(problem).__name__}")
    x = np.array(problem.x0 if x is None else x, dtype=np.float64).reshape(-1)
    if x.shape != (problem.dim,) or not np.all(np.isfinite(x)):
        raise DescendError(f"x must be a finite point of shape ({problem.dim},) for {problem.name!r}, got {x!r}")
    iters = _int("iters", iters, 1)
    rng = np.random.default_rng(seed)

    def H(v):
        return hessian_vector_product(problem.grad, x, v, h=h)

    a, k1, ok1 = _power(H, problem.dim, rng, iters, tol)
    b_shift, k2, ok2 = _power(lambda v: a * v - H(v), problem.dim, rng, iters, tol, of=lambda lam: a - lam)
    b = a - b_shift  # the eigenvalue at the other end of the spectrum
    L, mu = max(a, b), min(a, b)
    stable = 2.0 / L if L > 0 else float("nan")
    kappa = L / mu if mu > 0 and L > 0 else float("inf")
    rate = (kappa - 1) / (kappa + 1) if math.isfinite(kappa) else 1.0
    return Curvature(x=x, L=L, mu=mu, stable_lr=stable, kappa=kappa, rate=rate, iterations=k1 + k2,
                     converged=ok1 and ok2)


@dataclasses.dataclass
class LRFinderResult:
    """What :func:`lr_find` measured.

    Attributes
    ----------
    lrs, losses, smoothed : ndarray
        The learning rate of each update and the loss after it (raw and smoothed), up to
        the stop.
    suggestion : float
        The suggested learning rate (by ``method``).
    method : str
        "minimum" or "steepest".
    lr_steepest, lr_min_loss : float
        The learning rate of the steepest smoothed descent and of the lowest smoothed loss
        (the "minimum" suggestion is ``lr_min_loss / 10``).
    stopped_early : bool
        The loss blew up before ``max_lr`` (the curve ends there).
    optimizer : str
    curvature : Curvature or None
        For a problem: the local curvature at the start.
    boundary : float or None
        For a problem: the smallest learning rate of ``boundary_lrs`` at which plain
        gradient descent diverged (nan if none did).
    boundary_lrs : ndarray or None
        The learning rates tried for ``boundary`` (with ``boundary_status``).
    boundary_status : ndarray or None
        Each one's status from :func:`descend.minimize`.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    method: str
    lr_steepest: float
    lr_min_loss: float
    stopped_early: bool
    optimizer: str
    curvature: Curvature | None = None
    boundary: float | None = None
    boundary_lrs: np.ndarray | None = None
    boundary_status: np.ndarray | None = None

    @property
    def boundary_ratio(self) -> float | None:
        """``boundary / (2/L)``: how close the measured divergence boundary is to 2/L."""
        if self.curvature is None or self.boundary is None or not math.isfinite(self.curvature.stable_lr):
            return None
        return self.boundary / self.curvature.stable_lr

    def table(self, *, as_records: bool = False):
        """The curve, one row per update: lr, loss, smoothed (a DataFrame when pandas is there)."""
        rows = [{"lr": float(a), "loss": float(b), "smoothed": float(c)}
                for a, b, c in zip(self.lrs, self.losses, self.smoothed)]
        if as_records:
            return rows
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows, columns=["lr", "loss", "smoothed"])

    def past_bound(self, lr: float) -> bool:
        """Whether ``lr`` lies above the stable step 2/L measured at the start (False without a curvature)."""
        c = self.curvature
        return c is not None and math.isfinite(c.stable_lr) and lr > c.stable_lr

    def _mark(self, lr: float) -> str:
        return f"  <- past 2/L = {self.curvature.stable_lr:.4g}, where fixed-lr gradient descent diverges" \
            if self.past_bound(lr) else ""

    def summary(self) -> str:
        """A few lines: the suggestion, and for a problem the curvature and the boundary.

        Candidates above the stable step 2/L are marked, and when one is, a note says
        why a one-pass range test overshoots the bound.
        """
        stop = (f", stopped after lr {self.lrs[-1]:.3g}: the next update's loss blew up"
                if self.stopped_early else "")
        lines = [f"lr range test ({self.optimizer}, {len(self.lrs)} updates, lr {self.lrs[0]:.3g} .. "
                 f"{self.lrs[-1]:.3g}{stop})",
                 f"  suggested lr      {self.suggestion:.4g}  ({self.method}){self._mark(self.suggestion)}",
                 f"  steepest descent  {self.lr_steepest:.4g}{self._mark(self.lr_steepest)}",
                 f"  minimum loss at   {self.lr_min_loss:.4g}  (a tenth: {self.lr_min_loss / 10:.4g})"
                 f"{self._mark(self.lr_min_loss)}"]
        if any(self.past_bound(v) for v in (self.suggestion, self.lr_steepest, self.lr_min_loss)):
            lines += ["  why a one-pass test overshoots 2/L: the lr grows at every update, and while it was small",
                      "  the steep direction was shrunk almost to nothing; past 2/L that tiny component grows",
                      "  by |1 - lr L| per update and needs many updates to show, so the loss still falls at",
                      "  lrs where a run at that fixed lr diverges. Take an lr below 2/L."]
        c = self.curvature
        if c is not None:
            lines += [f"curvature at x = {np.array2string(c.x, precision=4)}",
                      f"  largest eigenvalue L   {c.L:.6g}",
                      f"  smallest eigenvalue mu {c.mu:.6g}",
                      f"  stable step 2/L        {c.stable_lr:.6g}",
                      f"  condition number kappa {c.kappa:.6g}",
                      f"  GD rate (k-1)/(k+1)    {c.rate:.6g}"]
            if self.boundary is not None:
                ratio = self.boundary_ratio
                extra = f"  ({ratio:.4g} x 2/L)" if ratio is not None and math.isfinite(ratio) else ""
                lines.append(f"  GD diverges from lr    {self.boundary:.6g}{extra}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        parts = [f"suggestion={self.suggestion:.4g}", f"method={self.method!r}"]
        if self.curvature is not None:
            parts += [f"2/L={self.curvature.stable_lr:.4g}", f"kappa={self.curvature.kappa:.4g}"]
        if self.boundary is not None:
            parts.append(f"boundary={self.boundary:.4g}")
        return f"LRFinderResult({', '.join(parts)})"

    def plot(self, ax=None):
        """Loss against lr (log axis) with the suggestion, 2/L and the measured boundary; returns the Figure."""
        from matplotlib.figure import Figure

        if ax is None:
            fig = Figure(figsize=(6.0, 4.0), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        ax.plot(self.lrs, self.losses, color="0.75", lw=1, label="loss", gid="descend:lr_find_loss")
        ax.plot(self.lrs, self.smoothed, color="C0", lw=2, label="smoothed", gid="descend:lr_find_smoothed")
        ax.set_xscale("log")
        if np.all(self.smoothed[np.isfinite(self.smoothed)] > 0):
            ax.set_yscale("log")
        ax.axvline(self.suggestion, color="C2", ls="--", label=f"suggested {self.suggestion:.3g}")
        if self.curvature is not None and math.isfinite(self.curvature.stable_lr):
            ax.axvline(self.curvature.stable_lr, color="C3", ls=":", label=f"2/L = {self.curvature.stable_lr:.3g}")
            if self.lrs[-1] > self.curvature.stable_lr:  # the one-pass curve runs on past the bound
                ax.axvspan(self.curvature.stable_lr, self.lrs[-1], color="C3", alpha=0.08, lw=0,
                           label="past 2/L: a fixed lr diverges", gid="descend:lr_find_past_bound")
        if self.boundary is not None and math.isfinite(self.boundary):
            ax.axvline(self.boundary, color="C1", ls="-.", label=f"GD diverges {self.boundary:.3g}")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(f"lr range test ({self.optimizer})")
        ax.legend(fontsize="small")
        return fig


def _int(name, value, lo):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isfinite(value) and value > 0):
        raise DescendError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _smooth(losses: np.ndarray, beta: float) -> np.ndarray:
    """Bias-corrected exponential moving average (beta = 0: the losses themselves)."""
    out = np.empty_like(losses)
    avg = 0.0
    for k, v in enumerate(losses):
        avg = beta * avg + (1 - beta) * v
        out[k] = avg / (1 - beta ** (k + 1)) if beta > 0 else v
    return out


def _stop_index(smoothed: np.ndarray, floor: float, diverge: float) -> int:
    """Length of the curve kept: up to (excluding) the first blown-up or non-finite point."""
    best = math.inf
    for k, s in enumerate(smoothed):
        gap = s - floor
        if not math.isfinite(s) or (k > 0 and gap > diverge * max(best, 0.0)):
            return k
        best = min(best, gap)
    return len(smoothed)


def _suggest(lrs, smoothed):
    n = len(lrs)
    i_min = int(np.argmin(smoothed))
    if n < 3:
        return float(lrs[i_min]), float(lrs[i_min])
    skip = max(1, n // 10)
    slope = np.gradient(smoothed, np.log(lrs))
    lo = skip if n - skip >= 2 else 0
    i_steep = lo + int(np.argmin(slope[lo:]))
    return float(lrs[i_steep]), float(lrs[i_min])


def _range_problem(problem, x0, optimizer, schedule, steps, hyperparameters):
    from .. import optim

    opt = optim.get(optimizer, lr=schedule, **hyperparameters)
    x = x0.copy()
    f0 = float(problem.f(x))
    limit = f0 + 1e8 * max(1.0, abs(f0))  # descend.minimize's max_growth: far past any blow-up
    losses = []
    with np.errstate(all="ignore"):  # the test runs until the loss blows up, overflow included
        for _ in range(steps):
            opt.step(x, problem.grad(x))
            f = float(problem.f(x)) if np.all(np.isfinite(x)) else math.inf
            losses.append(f if math.isfinite(f) else math.inf)
            if not f <= limit:
                break
    return np.asarray(losses)


def _range_training(setup, optimizer, schedule, steps, batch_size, seed, hyperparameters):
    from .. import optim
    from ..datasets import batches
    from ..training import partial_fit

    model = setup.build(seed)
    opt = optim.get(optimizer, lr=schedule, **hyperparameters)
    rng = np.random.default_rng(seed)
    X, y = np.asarray(setup.X), np.asarray(setup.y)
    values = []
    while len(values) <= steps:
        for xb, yb in batches(X, y, batch_size, shuffle=True, rng=rng):
            try:
                values.append(partial_fit(model, xb, yb, loss=setup.loss, optimizer=opt))
            except DescendError:  # a non-finite loss: the range test is over
                values.append(math.inf)
                return np.asarray(values[1:])
            if len(values) > steps:
                break
    return np.asarray(values[1:steps + 1])  # the loss before update k+1 is the loss after update k


def lr_find(target, *, optimizer: str | None = None, min_lr: float = 1e-7, max_lr: float = 10.0, steps: int = 200,
            smooth: float | None = None, diverge: float = 4.0, method: str = "minimum", start=None,
            batch_size: int | None = 32, seed: int = 0, curvature_at_start: bool = True,
            boundary_steps: int = 500, boundary_points: int = 61, **hyperparameters) -> LRFinderResult:
    """The learning-rate range test, on a problem or a training setup.

    Parameters
    ----------
    target : Problem or TrainingSetup
    optimizer : str, optional
        Default "gd" for a problem, "sgd" for a training setup.
    min_lr, max_lr : float
        The range; the learning rate grows geometrically over ``steps`` updates.
    steps : int, default 200
        Updates in the test.
    smooth : float in [0, 1), optional
        The moving average's beta; default 0.98 for training (noisy batch losses) and
        0 for a problem (its loss is exact).
    diverge : float > 1, default 4
        Stop when the smoothed loss gap exceeds ``diverge`` times the best gap.
    method : {"minimum", "steepest"}
        Which suggestion :attr:`LRFinderResult.suggestion` holds (see the module docstring).
    start : array_like, optional
        A problem's start (default ``Problem.x0``); also where the curvature is measured.
    batch_size : int or None, default 32
        Training only: samples per update (None: full batch).
    seed : int
        Training: the model's initial weights and the data order; problems: the power
        iteration's start vector.
    curvature_at_start : bool, default True
        For a problem: measure the curvature and the divergence boundary of plain
        gradient descent (:func:`curvature`).
    boundary_steps, boundary_points : int
        Steps of each gradient-descent run, and the number of learning rates (log grid
        from 2/(8L) to 16/L, or ``min_lr`` .. ``max_lr`` without a usable L).
    **hyperparameters
        Passed to the optimizer (``momentum=0.9``...).

    Returns
    -------
    LRFinderResult
    """
    from ..problems import Problem
    from ..schedules import Exponential
    from .targets import TrainingSetup

    is_problem = isinstance(target, Problem)
    if not (is_problem or isinstance(target, TrainingSetup)):
        raise DescendError(f"lr_find needs a Problem or a TrainingSetup, got {type(target).__name__}")
    if optimizer is None:
        optimizer = "gd" if is_problem else "sgd"
    if "lr" in hyperparameters:
        raise DescendError("lr_find sets lr itself (from min_lr to max_lr); do not pass lr")
    min_lr, max_lr = _positive("min_lr", min_lr), _positive("max_lr", max_lr)
    if not min_lr < max_lr:
        raise DescendError(f"min_lr must be < max_lr, got min_lr={min_lr:g}, max_lr={max_lr:g}")
    steps = _int("steps", steps, 2)
    if smooth is None:
        smooth = 0.0 if is_problem else 0.98
    if isinstance(smooth, bool) or not isinstance(smooth, numbers.Real) or not 0 <= smooth < 1:
        raise DescendError(f"smooth must be in [0, 1), got {smooth!r}")
    diverge = _positive("diverge", diverge)
    if diverge <= 1:
        raise DescendError(f"diverge must be > 1, got {diverge:g}")
    if method not in _METHODS:
        raise DescendError(f"unknown method {method!r}; valid: {', '.join(_METHODS)}")
    from .. import optim

    optim.get(optimizer, **hyperparameters)  # unknown optimizer or hyperparameter: its own message, now

    schedule = Exponential(lr=min_lr, gamma=(max_lr / min_lr) ** (1.0 / (steps - 1)))
    if is_problem:
        x0 = np.array(target.x0 if start is None else start, dtype=np.float64)
        if x0.shape != (target.dim,) or not np.all(np.isfinite(x0)):
            raise DescendError(f"start must be a finite point of shape ({target.dim},), got {start!r}")
        losses = _range_problem(target, x0, optimizer, schedule, steps, hyperparameters)
        floor = target.minimum if math.isfinite(target.minimum) else 0.0
    else:
        if start is not None:
            raise DescendError("start applies to problems; a training setup starts from model_factory(seed)")
        if batch_size is not None:
            batch_size = _int("batch_size", batch_size, 1)
        losses = _range_training(target, optimizer, schedule, steps, batch_size, _int("seed", seed, 0),
                                 hyperparameters)
        floor = 0.0
    lrs_all = np.array([schedule(k) for k in range(steps)])
    smoothed = _smooth(losses, float(smooth))
    n = _stop_index(smoothed, floor, diverge)
    if n == 0:
        raise DescendError(f"the loss was not finite after the first update (lr={min_lr:g}); lower min_lr")
    stopped = n < steps
    lrs, losses, smoothed = lrs_all[:n], losses[:n], smoothed[:n]
    lr_steep, lr_min = _suggest(lrs, smoothed)
    suggestion = lr_steep if method == "steepest" else lr_min / 10
    result = LRFinderResult(lrs=lrs, losses=losses, smoothed=smoothed, suggestion=suggestion, method=method,
                            lr_steepest=lr_steep, lr_min_loss=lr_min, stopped_early=stopped, optimizer=optimizer)
    if is_problem and curvature_at_start:
        from ..minimize import minimize

        c = curvature(target, x0, seed=_int("seed", seed, 0))
        points = _int("boundary_points", boundary_points, 2)
        if math.isfinite(c.stable_lr):
            grid = np.geomspace(c.stable_lr / 8, c.stable_lr * 8, points)
        else:
            grid = np.geomspace(min_lr, max_lr, points)
        res = minimize(target, np.tile(x0, (points, 1)), optimizer="gd", lr=grid,
                       steps=_int("boundary_steps", boundary_steps, 1), history=False)
        diverged = np.flatnonzero(res.status == "diverged")
        result.curvature = c
        result.boundary = float(grid[diverged[0]]) if diverged.size else float("nan")
        result.boundary_lrs = grid
        result.boundary_status = np.asarray(res.status)
    return result
