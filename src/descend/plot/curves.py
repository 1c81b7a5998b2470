"""Curves: loss against update or epoch, finite-difference error against h, final loss against lr."""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import DescendError, check_choice
from . import _base
from ._base import tag


# ---------------------------------------------------------------------------- loss curves

class _Series:
    """One curve of :func:`loss_curves`: values per update (one column per run) and, for training, per epoch."""

    def __init__(self, label, updates, epoch_values=None, kind="minimize"):
        self.label = label
        self.updates = updates              # (k, R)
        self.epoch_values = epoch_values    # (E,) or None
        self.kind = kind                    # "minimize", "training" or "values"

    @property
    def updates_per_epoch(self) -> float:
        if self.epoch_values is None or len(self.epoch_values) == 0:
            return float("nan")
        return len(self.updates) / len(self.epoch_values)


def _is_training_history(h) -> bool:
    return hasattr(h, "loss") and hasattr(h, "epochs") and isinstance(getattr(h, "epochs"), dict)


def _series(item, index: int) -> _Series:
    from ..result import History, Result

    if isinstance(item, Result):
        if item.history is None:
            raise DescendError(f"histories[{index}] is a Result without a history: run minimize with history=True "
                               f"or history='f'")
        return _Series(_base.result_label(item), _columns(item.history.f), kind="minimize")
    if isinstance(item, History):
        return _Series(f"run {index}", _columns(item.f), kind="minimize")
    if _is_training_history(item):
        loss = np.asarray(item.loss, dtype=float)
        ep = item.epochs.get("loss")
        return _Series(f"run {index}", loss[:, None], None if ep is None else np.asarray(ep, dtype=float),
                       kind="training")
    try:
        values = np.asarray(item, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim not in (1, 2) or values.size == 0:
        raise DescendError(f"histories[{index}] must be a minimize Result or History, a training History or a "
                           f"1-D sequence of losses, got {type(item).__name__}")
    return _Series(f"run {index}", _columns(values), kind="values")


def _columns(f):
    f = np.asarray(f, dtype=float)
    return f[:, None] if f.ndim == 1 else f


def _moving_average(v, k: int):
    """Trailing mean over k updates (fewer at the start), ignoring non-finite values."""
    ok = np.isfinite(v)
    c = np.concatenate([[0.0], np.cumsum(np.where(ok, v, 0.0))])
    n = np.concatenate([[0], np.cumsum(ok)])
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(idx - k, 0)
    count = n[idx] - n[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (c[idx] - c[lo]) / np.maximum(count, 1), np.nan)


def loss_curves(histories, *, labels=None, ax=None, per: str = "both", x: str = "auto", smooth=None, log=None,
                title: str | None = None):
    """Loss curves: f per step of minimize runs, loss per update and per epoch of training runs.

    Seed 003's figure (SGD against mini-batch) is ``loss_curves([h_sgd, h_mini], labels=[...],
    smooth=20)``: with ``x="epoch"`` (the default for training runs) both share one axis
    even though SGD makes ten times more updates per epoch.

    Parameters
    ----------
    histories : sequence
        Each one a :class:`descend.Result` or its ``History`` (f per step; every row of a
        batched run), a training History from :func:`descend.train` (``loss`` per update,
        ``epochs["loss"]`` per epoch), or a 1-D array of losses. A single one may be
        given without a list.
    labels : sequence of str, optional
        Legend entries, one per history.
    ax : matplotlib Axes, optional
    per : {"update", "epoch", "both"}
        For training runs: the loss of every update (thin), the mean loss of every
        epoch (with markers), or both.
    x : {"auto", "update", "epoch"}
        The horizontal axis. "auto": epochs when every history is a training run
        (updates become fractions of an epoch), updates (steps) otherwise.
    smooth : int, optional
        Draw the trailing moving average over this many updates on top of the raw
        per-update curve, which is then faded (curves of fewer than ``2 * smooth``
        updates are drawn as they are).
    log : bool, optional
        Log-scale the loss axis; default when all values are positive and span more
        than two decades.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Lines tagged ``descend:update``, ``descend:smoothed`` and ``descend:epoch``.
    """
    from ..result import History, Result

    if isinstance(histories, (Result, History)) or _is_training_history(histories) or (
            isinstance(histories, np.ndarray) and histories.ndim == 1):
        histories = [histories]
    try:
        items = list(histories)
    except TypeError:
        raise DescendError(f"histories must be a sequence of histories, got {type(histories).__name__}") from None
    if not items:
        raise DescendError("histories must hold at least one history, got an empty sequence")
    series = [_series(h, i) for i, h in enumerate(items)]
    labels = _base.check_labels(labels, len(series))
    per = check_choice("per", per, ["update", "epoch", "both"])
    x = check_choice("x", x, ["auto", "update", "epoch"])
    if smooth is not None and (isinstance(smooth, bool) or not isinstance(smooth, numbers.Integral) or smooth < 1):
        raise DescendError(f"smooth must be None or an integer >= 1 (updates to average), got {smooth!r}")
    training = [s.kind == "training" for s in series]
    if x == "auto":
        x = "epoch" if all(training) else "update"
    if x == "epoch" and not all(training):
        raise DescendError("x='epoch' needs training histories (with per-epoch records); "
                           "minimize runs have steps only: use x='update'")
    ax = _base.new_axes(ax)
    everything = []
    for i, (s, color) in enumerate(zip(series, _base.colors(len(series)))):
        label = labels[i] if labels else s.label
        k = len(s.updates)
        upe = s.updates_per_epoch
        has_epochs = s.epoch_values is not None and len(s.epoch_values) > 0
        draw_updates = per in ("update", "both") or not has_epochs
        if s.kind == "minimize":
            xs = np.arange(k)  # f[0] is the start, before any step
        else:
            xs = np.arange(1, k + 1, dtype=float)  # loss[j] is the batch loss of update j + 1
        if x == "epoch":
            xs = xs / upe
        if draw_updates:
            faded = smooth is not None and 1 < smooth and 2 * smooth <= k  # too short a curve is drawn as is
            for j in range(s.updates.shape[1]):
                (line,) = ax.plot(xs, s.updates[:, j], color=color, linewidth=0.8 if faded else 1.3,
                                  alpha=0.3 if faded else (0.9 if s.updates.shape[1] == 1 else 0.5),
                                  label=None if (faded or j) else label)
                tag(line, "update")
                if faded:
                    (sm,) = ax.plot(xs, _moving_average(s.updates[:, j], smooth), color=color, linewidth=1.8,
                                    label=f"{label} (mean of {smooth})" if j == 0 else None)
                    tag(sm, "smoothed")
            everything.append(s.updates.ravel())
        if has_epochs and per in ("epoch", "both"):
            E = len(s.epoch_values)
            ex = np.arange(1, E + 1, dtype=float)
            if x == "update":
                ex = ex * upe
            (el,) = ax.plot(ex, s.epoch_values, color=color, marker="o", markersize=4, linewidth=1.5,
                            linestyle="--" if draw_updates else "-",
                            label=f"{label} (epoch mean)" if draw_updates else label)
            tag(el, "epoch")
            everything.append(s.epoch_values)
    values = np.concatenate(everything)
    values = values[np.isfinite(values)]
    if log is None:
        log = bool(values.size and values.min() > 0 and values.max() / values.min() > 100)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel({"epoch": "epoch", "update": "update" if any(training) else "step"}[x])
    ax.set_ylabel("loss" if any(training) else "f")
    if title:
        ax.set_title(title, fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    return ax


# ---------------------------------------------------------------------------- finite-difference error

def diff_error(result_or_f, x=None, exact=None, *, methods=None, hs=None, ax=None, slopes: bool = True,
               best: bool = True, title: str | None = None):
    """Error of each finite-difference method against the step h, on log-log axes (seed 004).

    For large h the truncation error falls like h^p (p the method's order: slope p);
    for small h round-off takes over, about eps |f| / h (slope -1); the best h sits
    where they cross. The complex step has no subtraction, hence no round-off branch.

    Parameters
    ----------
    result_or_f : DiffErrorResult or callable
        The output of :func:`descend.diff_error`, or a scalar function to pass to it
        together with ``x`` and ``exact``.
    x, exact : float, optional
        The point and the true derivative (with a function).
    methods, hs : optional
        Passed to :func:`descend.diff_error` (with a function).
    ax : matplotlib Axes, optional
    slopes : bool
        Draw the guide lines with the theoretical slopes through each method's best
        point: ``p`` on the large-h side, ``-1`` on the small-h side (gid ``descend:slope``).
    best : bool
        Mark each method's best h (gid ``descend:best``).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Log-log, one line per method (gid ``descend:method``). An error of exactly 0 is
        drawn at half an ulp of the exact value, so it stays on the log axis.
    """
    from .. import diff as _diff

    if isinstance(result_or_f, _diff.DiffErrorResult):
        if x is not None or exact is not None or methods is not None or hs is not None:
            raise DescendError("x, exact, methods and hs go with a function, not with a DiffErrorResult")
        res = result_or_f
    elif callable(result_or_f):
        if x is None or exact is None:
            raise DescendError("x and exact are required when result_or_f is a function")
        kwargs = {} if methods is None else {"methods": methods}
        res = _diff.diff_error(result_or_f, x, exact, hs=hs, **kwargs)
    else:
        raise DescendError(f"result_or_f must be a DiffErrorResult or a callable, got {type(result_or_f).__name__}")
    ax = _base.new_axes(ax)
    floor = 0.5 * np.finfo(float).eps * max(1.0, abs(res.exact))
    orders = _diff.ORDERS
    for m, color in zip(res.methods, _base.colors(len(res.methods))):
        e = np.asarray(res.errors[m], dtype=float)
        shown = np.where(e > 0, e, floor)
        (line,) = ax.loglog(res.hs, shown, color=color, marker=".", markersize=3, linewidth=1.3,
                            label=f"{m} (order {orders.get(m, '?')})")
        tag(line, "method")
        bh, be = res.best_h[m], res.best_error[m]
        if not (np.isfinite(bh) and np.isfinite(be)):
            continue
        be = max(be, floor)
        if slopes:
            p = orders.get(m)
            big = res.hs[res.hs >= bh]
            if p is not None and big.size > 1:
                (t,) = ax.loglog(big, be * (big / bh) ** p, color=color, linestyle=":", linewidth=1, alpha=0.8)
                tag(t, "slope")
            small = res.hs[res.hs <= bh]
            if m != "complex" and small.size > 1:
                (r,) = ax.loglog(small, be * (bh / small), color=color, linestyle=":", linewidth=1, alpha=0.8)
                tag(r, "slope")
        if best:
            (b,) = ax.loglog([bh], [be], marker="o", markersize=9, markerfacecolor="none", markeredgecolor=color,
                             markeredgewidth=2, linestyle="none")
            tag(b, "best")
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error" if res.relative else "absolute error")
    ax.set_title(title or f"error of f'({res.x:g}) against h (dotted: slopes p and -1; circles: best h)",
                 fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    return ax


# ---------------------------------------------------------------------------- learning-rate sweep

def _sweep_points(results):
    """(lr, fun, status, f0) arrays from a batched Result with one lr per run, or from single runs."""
    from ..result import Result

    runs = _base.as_results(results)
    lrs, funs, statuses, f0s = [], [], [], []
    for i, r in enumerate(runs):
        n = len(r)
        lr = r.lr
        try:
            lr = np.broadcast_to(np.asarray(lr, dtype=float), (n,)) if lr is not None else None
        except (TypeError, ValueError):
            lr = None
        if lr is None:
            raise DescendError(f"results[{i}] has no numeric learning rate (lr={r.lr!r}): "
                               f"lr_sweep needs runs made with a number or an array of lr")
        lrs.append(lr)
        funs.append(np.atleast_1d(np.asarray(r.fun, dtype=float)))
        statuses.append(np.atleast_1d(np.asarray(r.status, dtype=str)))
        if isinstance(r, Result) and r.history is not None:
            f0s.append(np.atleast_1d(np.asarray(r.history.f[0], dtype=float)))
        else:
            f0s.append(np.full(n, np.nan))
    lr, fun, status, f0 = (np.concatenate(a) for a in (lrs, funs, statuses, f0s))
    order = np.argsort(lr, kind="stable")
    return lr[order], fun[order], status[order], f0[order]


def lr_sweep(results, *, problem=None, minimum=None, ax=None, log=None, title: str | None = None):
    """Final loss against the learning rate, with diverged runs marked (seed 002: too small, too large).

    Parameters
    ----------
    results : Result or sequence of Result
        A batched Result with one lr per run (``minimize(p, X0, lr=lrs)`` with X0 of
        shape (R, n) and lrs of shape (R,)), or single runs, each with its own lr.
    problem : Problem, optional
        Its known minimum is subtracted (the axis then shows f - f*).
    minimum : float, optional
        Subtract this instead.
    ax : matplotlib Axes, optional
    log : bool, optional
        Log-scale the loss axis (default: yes when every value is positive). Values
        that are 0 after subtracting the minimum are drawn at the bottom with a
        down-pointing triangle (gid ``descend:zero``).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Log-scaled lr axis; the runs as one line (gid ``descend:final``), diverged runs
        as red crosses at their last finite value (``descend:diverged``), and f at the
        start as a dashed line (``descend:start``) when the runs kept a history.
    """
    lr, fun, status, f0 = _sweep_points(results)
    if problem is not None and minimum is not None:
        raise DescendError("give problem or minimum, not both")
    if problem is not None:
        from ..problems import Problem

        if not isinstance(problem, Problem):
            raise DescendError(f"problem must be a descend Problem, got {type(problem).__name__}")
        minimum = problem.minimum if np.isfinite(problem.minimum) else None
    shift = 0.0 if minimum is None else float(minimum)
    y = fun - shift
    y0 = f0 - shift
    diverged = status == "diverged"
    ax = _base.new_axes(ax)
    if log is None:
        log = bool(np.all(y[np.isfinite(y)] >= 0)) and bool(np.any(y > 0))
    plot_y = y.copy()
    zero = np.zeros(len(y), dtype=bool)
    if log:
        positive = np.concatenate([y[y > 0], y0[np.isfinite(y0) & (y0 > 0)]])
        floor = positive.min() / 10.0 if positive.size else 1e-300
        zero = ~(y > 0)
        plot_y[zero] = floor
    ok = ~diverged
    (line,) = ax.plot(lr[ok], plot_y[ok], marker="o", markersize=5, linewidth=1.2, label="final f" if minimum is None
                      else "final f - f*")
    tag(line, "final")
    if np.any(zero & ok):
        (z,) = ax.plot(lr[zero & ok], plot_y[zero & ok], linestyle="none", marker="v", markersize=8, color="green",
                       label="exactly at the minimum")
        tag(z, "zero")
    if np.any(diverged):
        (d,) = ax.plot(lr[diverged], plot_y[diverged], linestyle="none", marker="x", markersize=10,
                       markeredgewidth=2, color="red", label="diverged (last finite value)")
        tag(d, "diverged")
    if np.any(np.isfinite(y0)):
        start = float(np.nanmax(y0))
        s = ax.axhline(start, color="gray", linestyle="--", linewidth=1, label="at the start x0")
        tag(s, "start")
    ax.set_xscale("log")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("final f" if minimum is None else "final f - f*")
    ax.set_title(title or "final loss against the learning rate", fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    return ax


__all__ = ["loss_curves", "diff_error", "lr_sweep"]
