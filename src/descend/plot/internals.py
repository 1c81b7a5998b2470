"""Inside an optimizer: its state along a run (momentum buffer, squared-gradient averages, Adam's m and v)."""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..errors import DescendError
from . import _base
from ._base import tag


@dataclass
class Trace:
    """What :func:`record` saw at every step of an optimizer on a problem.

    Attributes
    ----------
    optimizer : str
        The optimizer's name.
    x : ndarray, shape (steps + 1, n)
        The iterates, the start first.
    grad : ndarray, shape (steps, n)
        The gradient each step was given.
    update : ndarray, shape (steps, n)
        What the step did to x: ``x[k + 1] - x[k]``.
    state : dict of str -> ndarray of shape (steps, n)
        Every state array of the optimizer (e.g. ``momentum_buffer``, ``sum``,
        ``square_avg``, ``exp_avg``, ``exp_avg_sq``) after each step, by its name in
        :attr:`descend.optim.Optimizer.state`.
    lr : float or str
        The learning rate given (a schedule's name for a schedule).
    """

    optimizer: str
    x: np.ndarray
    grad: np.ndarray
    update: np.ndarray
    state: dict = field(default_factory=dict)
    lr: float | str | None = None

    @property
    def effective_lr(self) -> np.ndarray:
        """Per step and coordinate, ``|update| / |grad|``: the step size the optimizer really used.

        Constant ``lr`` for plain gradient descent; adaptive methods shrink it where the
        gradient has been large. nan where the gradient component is 0.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.grad != 0, np.abs(self.update) / np.abs(self.grad), np.nan)

    def __repr__(self) -> str:
        fields = ", ".join(self.state) or "none"
        return f"Trace({self.optimizer}, {len(self.update)} steps, state: {fields})"


def _make(optimizer, lr, hyperparameters):
    from .. import optim

    if isinstance(optimizer, str):
        kwargs = dict(hyperparameters)
        if lr is not None:
            kwargs["lr"] = lr
        return optim.get(optimizer, **kwargs)
    if not isinstance(optimizer, optim.Optimizer):
        raise DescendError(f"optimizer must be a name ({', '.join(optim.names())}) or a descend.optim optimizer, "
                           f"got {type(optimizer).__name__}")
    if lr is not None or hyperparameters:
        raise DescendError("lr and hyperparameters go with an optimizer name; an optimizer instance brings its own")
    opt = copy.deepcopy(optimizer)  # the caller's optimizer and its state stay as they were
    opt.reset()
    return opt


def record(problem, optimizer, x0=None, steps: int = 50, *, lr=None, **hyperparameters) -> Trace:
    """Step ``optimizer`` on ``problem`` and record its state after every step.

    Parameters
    ----------
    problem : Problem or str
        Any :class:`~descend.problems.Problem` (its analytic gradient is used).
    optimizer : str or descend.optim.Optimizer
        A name of :func:`descend.optim.names` (built with ``lr`` and
        ``hyperparameters``), or an instance, which is copied and reset so the
        caller's stays untouched.
    x0 : array_like, shape (n,), optional
        The start; default the problem's.
    steps : int >= 1
    lr : float, optional
        The learning rate (with a name).

    Returns
    -------
    Trace
    """
    from ..problems import Problem

    if isinstance(problem, str):
        from .. import problems

        problem = problems.get(problem)
    if not isinstance(problem, Problem):
        raise DescendError(f"problem must be a descend Problem or a problem name, got {type(problem).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise DescendError(f"steps must be an integer >= 1, got {steps!r}")
    x = np.array(problem.x0 if x0 is None else x0, dtype=float)  # our own copy: the caller's x0 is never moved
    if x.shape != (problem.dim,) or not np.all(np.isfinite(x)):
        raise DescendError(f"x0 must be a finite point of shape ({problem.dim},) for {problem.name!r}, "
                           f"got {np.array2string(np.asarray(x0), threshold=6)}")
    opt = _make(optimizer, lr, hyperparameters)
    xs, gs, us = [x.copy()], [], []
    state: dict[str, list] = {}
    with np.errstate(all="ignore"):  # a diverging run shows as inf/nan in the trace
        for _ in range(steps):
            g = np.asarray(problem.grad(x), dtype=float)
            before = x.copy()
            opt.step(x, g)
            gs.append(g)
            us.append(x - before)
            xs.append(x.copy())
            for name, value in opt.state._asdict().items():
                if name == "count" or value is None:
                    continue
                state.setdefault(name, []).append(np.array(value, dtype=float).reshape(problem.dim))
    lr_given = getattr(opt, "lr", lr)
    if callable(lr_given):
        lr_given = getattr(lr_given, "__name__", type(lr_given).__name__)
    return Trace(optimizer=opt.name, x=np.array(xs), grad=np.array(gs), update=np.array(us),
                 state={k: np.array(v) for k, v in state.items()}, lr=lr_given)


#: one line of explanation per state array, shown as the panel's title
_STATE_TITLES = {
    "momentum_buffer": "momentum buffer b (velocity V = -lr * b)",
    "sum": "AdaGrad's running sum of squared gradients",
    "square_avg": "running average of squared gradients",
    "acc_delta": "Adadelta's running average of squared updates",
    "grad_avg": "running average of gradients (centered)",
    "exp_avg": "first moment m (average gradient)",
    "exp_avg_sq": "second moment v (average squared gradient)",
    "max_exp_avg_sq": "max of v so far (AMSGrad)",
    "exp_inf": "exponentially weighted infinity norm u",
}


def internals(problem, optimizer, x0=None, steps: int = 50, *, lr=None, fig=None, **hyperparameters):
    """The run on the contour beside the optimizer's state along it.

    One panel per state array of the optimizer (the momentum buffer; the running
    squared gradient of AdaGrad / RMSProp / Adadelta; Adam's m and v), each coordinate
    a line, and a last panel with the effective step size ``|update| / |grad|`` per
    coordinate: constant for gradient descent, shrinking on the steep coordinate for
    the adaptive methods.

    Parameters
    ----------
    problem, optimizer, x0, steps, lr, **hyperparameters
        As for :func:`record` (a 2-D problem, to draw its contour).
    fig : matplotlib Figure, optional
        An empty figure to draw in; a new one otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        Its first Axes holds the path (gid ``descend:path``); the others the state
        lines (``descend:state``) and the effective step (``descend:effective_lr``).
        ``fig.descend_trace`` is the :class:`Trace` drawn.
    """
    p = _base.as_problem_2d(problem)
    trace = record(p, optimizer, x0, steps, lr=lr, **hyperparameters)
    plt = _base.pyplot()
    panels = len(trace.state) + 1
    if fig is None:
        fig = plt.figure(figsize=(11.0, max(4.5, 2.3 * panels)))
    elif fig.axes:
        raise DescendError("fig must be an empty Figure (internals lays out its own panels)")
    gs = fig.add_gridspec(panels, 2, width_ratios=(1.1, 1.0))
    ax = fig.add_subplot(gs[:, 0])
    _base.draw_contour(ax, p)
    (line,) = ax.plot(trace.x[:, 0], trace.x[:, 1], color="C3", marker="o", markersize=2.5, linewidth=1.2,
                      label=f"{trace.optimizer}, lr={_base.lr_text(trace.lr)}")
    tag(line, "path")
    tag(ax.plot(trace.x[:1, 0], trace.x[:1, 1], "o", color="white", markeredgecolor="C3", markersize=7,
                label="start")[0], "start")
    tag(ax.plot(trace.x[-1:, 0], trace.x[-1:, 1], "X", color="C3", markeredgecolor="black", markersize=8,
                label="end")[0], "end")
    _base.draw_minimizers(ax, p)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(f"{trace.optimizer} on {p.name}, {steps} steps", fontsize="medium")
    k = np.arange(1, len(trace.update) + 1)
    axes = []
    for row, (name, values) in enumerate(trace.state.items()):
        a = fig.add_subplot(gs[row, 1])
        for j in range(values.shape[1]):
            tag(a.plot(k, values[:, j], linewidth=1.3, label=f"x{j}")[0], "state")
        finite = values[np.isfinite(values)]
        if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
            a.set_yscale("log")
        a.set_title(f"{name}: {_STATE_TITLES.get(name, 'state')}", fontsize="small")
        a.legend(loc="best", fontsize="x-small")
        axes.append(a)
    a = fig.add_subplot(gs[panels - 1, 1])
    eff = trace.effective_lr
    for j in range(eff.shape[1]):
        tag(a.plot(k, eff[:, j], linewidth=1.3, label=f"x{j}")[0], "effective_lr")
    finite = eff[np.isfinite(eff) & (eff > 0)]
    if finite.size and finite.max() / finite.min() > 10:
        a.set_yscale("log")
    a.set_title("effective step size |update| / |grad| per coordinate", fontsize="small")
    a.set_xlabel("step")
    a.legend(loc="best", fontsize="x-small")
    axes.append(a)
    for a in axes[:-1]:
        a.tick_params(labelbottom=False)
    fig.descend_trace = trace
    fig.tight_layout()
    return fig


__all__ = ["Trace", "record", "internals"]
