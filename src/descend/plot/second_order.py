"""Pictures for the methods beyond the gradient: convergence per iteration, critical points by kind,
a constrained path on its set (Goodfellow et al. sec. 4.3 to 4.5)."""

from __future__ import annotations

import numpy as np

from ..errors import DescendError
from . import _base
from ._base import tag

#: how each verdict of :func:`descend.critical_point` is marked: (marker, colour)
KIND_MARKERS = {
    "minimum": ("o", "tab:blue"),
    "maximum": ("^", "tab:red"),
    "saddle": ("X", "tab:orange"),
    "inconclusive": ("s", "0.5"),
}


def convergence(results, *, labels=None, ax=None, target=None, title=None, log_steps: bool = True):
    """Distance to ``target`` against the iteration, one line per run, log-log by default.

    Parameters
    ----------
    results : Result or sequence of Result
        Single (not batched) runs of :func:`descend.minimize` with ``history=True``.
    labels : sequence of str, optional
        One per Result; default "optimizer, lr=...".
    ax : matplotlib Axes, optional
    target : array_like, shape (n,) or (len(results), n), optional
        The point measured to (a known minimizer), or one per run (runs on different
        problems); default each run's own end point.
    title : str, optional
    log_steps : bool
        Log scale for the iteration axis too (iteration k drawn at k + 1), so that a
        run of 5 steps and one of 5000 are both readable.

    Returns
    -------
    matplotlib.axes.Axes
        One line per run, gid ``descend:convergence``.
    """
    runs = _base.as_results(results)
    labels = _base.check_labels(labels, len(runs))
    targets = None if target is None else np.asarray(target, dtype=float)
    if targets is not None and targets.ndim == 2 and targets.shape[0] != len(runs):
        raise DescendError(f"target must be one point, or one per run ({len(runs)}), got shape {targets.shape}")
    ax = _base.new_axes(ax)
    for i, (r, color) in enumerate(zip(runs, _base.colors(len(runs)))):
        if r.history is None or r.history.x is None or np.ndim(r.history.x) != 2:
            raise DescendError(f"results[{i}] must be one run (not a batch) with its iterates: run minimize "
                               "with one start and history=True")
        x = np.asarray(r.history.x, dtype=float)
        if targets is None:
            end = np.asarray(r.x, dtype=float).reshape(-1)
        else:
            end = targets[i] if targets.ndim == 2 else targets
        if end.shape != x.shape[1:]:
            raise DescendError(f"target must have shape ({x.shape[1]},) to match results[{i}], got {end.shape}")
        d = np.linalg.norm(x - end, axis=1)
        d = np.maximum(d, np.finfo(float).tiny)  # an exact hit (Newton on a quadratic) still shows on log axes
        k = np.arange(d.size) + (1 if log_steps else 0)
        (line,) = ax.plot(k, d, color=color, marker="o" if d.size <= 30 else None, markersize=4,
                          label=labels[i] if labels else _base.result_label(r))
        tag(line, "convergence")
    ax.set_yscale("log")
    if log_steps:
        ax.set_xscale("log")
    ax.set_xlabel("step + 1" if log_steps else "step")
    ax.set_ylabel("distance to x*")
    if title is not None:
        ax.set_title(title, fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    return ax


def critical_points(problem, points, *, ax=None, labels=None, window=None, levels: int = 25, title=None,
                    legend=True, contour: bool = True):
    """The contour of a 2-D problem with its critical points marked by kind.

    Parameters
    ----------
    problem : Problem or str
    points : sequence of CriticalPoint
        From :func:`descend.critical_point`; each is marked by its ``kind``
        (:data:`KIND_MARKERS`).
    labels : mapping kind -> str, optional
        Legend entries (default the kinds themselves).
    contour : bool
        Draw the contour first; False marks the points on what ``ax`` already shows
        (the paths of :func:`descend.plot.trajectories`, say).

    Returns
    -------
    matplotlib.axes.Axes
        One line per kind present, gid ``descend:critical-<kind>``.
    """
    p = _base.as_problem_2d(problem)
    ax = _base.new_axes(ax)
    if contour:
        _base.draw_contour(ax, p, levels=levels, window=window)
    pts = list(points)
    for kind, (marker, color) in KIND_MARKERS.items():
        xs = np.array([np.asarray(c.x, dtype=float) for c in pts if c.kind == kind]).reshape(-1, 2)
        if xs.size == 0:
            continue
        label = (labels or {}).get(kind, kind)
        (line,) = ax.plot(xs[:, 0], xs[:, 1], linestyle="none", marker=marker, markersize=9, color=color,
                          markeredgecolor="black", markeredgewidth=0.6, zorder=5, label=label)
        tag(line, f"critical-{kind}")
    if title is not None:
        ax.set_title(title, fontsize="medium")
    if legend:
        ax.legend(loc=legend if isinstance(legend, str) else "best", fontsize="small", framealpha=0.85)
    return ax


def constrained_path(problem, result, radius: float, *, center=(0.0, 0.0), ax=None, label=None, window=None,
                     title=None, legend=True):
    """A run of projected gradient descent on the contour, with the ball ``|x - c| <= r`` it is held to.

    Parameters
    ----------
    problem : Problem or str
        2-D.
    result : Result
        The constrained run (``minimize(..., constraint=Ball(radius))``, ``history=True``).
    radius : float > 0
    center : (float, float)

    Returns
    -------
    matplotlib.axes.Axes
        The path as :func:`descend.plot.trajectories` draws it, and the ball's edge
        (gid ``descend:constraint``).
    """
    from .landscape import trajectories

    r = float(radius)
    if not np.isfinite(r) or r <= 0:
        raise DescendError(f"radius must be a finite number > 0, got {radius!r}")
    c = np.asarray(center, dtype=float)
    ax = trajectories(problem, result, ax=ax, labels=None if label is None else [label], window=window,
                      legend=False, title=title)
    t = np.linspace(0.0, 2.0 * np.pi, 361)
    (edge,) = ax.plot(c[0] + r * np.cos(t), c[1] + r * np.sin(t), color="black", linewidth=1.5, linestyle="--",
                      label=f"x'x = {r * r:g}")
    tag(edge, "constraint")
    ax.set_aspect("equal")  # a ball drawn as an ellipse would hide what the path slides along
    if legend:
        ax.legend(loc=legend if isinstance(legend, str) else "best", fontsize="small", framealpha=0.85)
    return ax
