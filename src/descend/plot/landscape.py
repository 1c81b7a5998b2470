"""Pictures of a function: its graph and tangent, the gradient field, runs on the contour, the surface."""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import DescendError
from . import _base
from ._base import tag


def _check_int(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def _window_1d(f, window):
    from ..problems import Problem

    if isinstance(f, Problem):
        if f.dim != 1:
            raise DescendError(f"function draws a function of one variable; {f.name!r} has dim={f.dim} "
                               f"(use trajectories or surface for 2-D problems)")
        p = f
        window = p.window[0] if window is None else window
        f = p.f
    elif not callable(f):
        raise DescendError(f"f must be a callable or a 1-D descend Problem, got {type(f).__name__}")
    if window is None:
        raise DescendError("window (lo, hi) is required when f is a plain function")
    try:
        lo, hi = (float(v) for v in window)
    except (TypeError, ValueError):
        raise DescendError(f"window must be a pair (lo, hi), got {window!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise DescendError(f"window must have finite lo < hi, got {window!r}")
    return f, lo, hi


def _values_1d(f, xs):
    """f on a 1-D grid: one call with the whole array when f is elementwise, else one call per point."""
    try:
        with np.errstate(all="ignore"):
            ys = np.asarray(f(xs.copy()), dtype=float)
        if ys.shape == xs.shape:
            return ys
    except Exception:  # f takes one number only (a 1-D Problem takes (m, 1)): fall back
        pass
    try:
        with np.errstate(all="ignore"):
            ys = np.asarray(f(xs[:, None].copy()), dtype=float)
        if ys.shape == xs.shape:
            return ys
    except Exception:
        pass
    with np.errstate(all="ignore"):
        return np.array([float(f(float(x))) for x in xs])


def function(f, window=None, *, tangent_at=None, ax=None, points: int = 400, label: str = "f(x)"):
    """Draw a function of one variable and, optionally, its tangent lines (seed 001's figure).

    Parameters
    ----------
    f : callable or Problem
        A scalar function of one variable, or a 1-D :class:`~descend.problems.Problem`
        (whose window is used when ``window`` is None).
    window : (lo, hi), optional
        The x range.
    tangent_at : float or sequence of float, optional
        Points where to draw the tangent ``t -> f'(x0) (t - x0) + f(x0)``, computed with
        :func:`descend.tangent_line` (central differences).
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.
    points : int >= 2
        Grid points.
    label : str
        Legend entry of the function.

    Returns
    -------
    matplotlib.axes.Axes
        With one line for f, one per tangent (gid ``descend:tangent``) and the points
        of contact (gid ``descend:contact``).

    Examples
    --------
    >>> ax = function(lambda x: 0.01 * x**2 + 0.1 * x, (0, 20), tangent_at=5)  # doctest: +SKIP
    """
    from ..diff import tangent_line

    fn, lo, hi = _window_1d(f, window)
    points = _check_int("points", points, 2)
    at = [] if tangent_at is None else np.atleast_1d(np.asarray(tangent_at, dtype=float)).ravel().tolist()
    ax = _base.new_axes(ax)
    xs = np.linspace(lo, hi, points)
    (line,) = ax.plot(xs, _values_1d(fn, xs), label=label, linewidth=2)
    tag(line, "function")

    def scalar_f(x):
        return np.asarray(fn(x)).reshape(())[()]

    for x0 in at:
        t = tangent_line(scalar_f, x0)
        (tl,) = ax.plot(xs, t(xs), linestyle="--", label=f"tangent at x={x0:g} (slope {t.slope:.4g})")
        tag(tl, "tangent")
        (pt,) = ax.plot([x0], [scalar_f(x0)], marker="o", color=tl.get_color(), linestyle="none")
        tag(pt, "contact")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(loc="best", fontsize="small")
    return ax


def gradient_field(problem_or_f, window=None, *, grad=None, density: int = 17, contours: bool = True,
                   normalize: bool = False, ax=None):
    """The negative gradient as arrows: at every point, the direction that lowers f fastest (seed 001).

    Parameters
    ----------
    problem_or_f : Problem or callable
        A 2-D :class:`~descend.problems.Problem` (analytic gradient), or a function of a
        point of shape (2,) (its gradient is then ``grad`` or central differences).
    window : ((xlo, xhi), (ylo, yhi)), optional
        The region; default the problem's window (required for a plain function).
    grad : callable, optional
        The gradient of a plain function, point (2,) -> (2,).
    density : int >= 2
        Arrows per side (density**2 arrows).
    contours : bool
        Draw contour lines of f under the arrows.
    normalize : bool
        Draw every arrow with the same length (only the direction), useful when the
        gradient's size varies over orders of magnitude (Rosenbrock).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Its quiver has gid ``descend:field``.
    """
    from ..diff import gradient
    from ..problems import Problem

    if isinstance(problem_or_f, (Problem, str)):
        p = _base.as_problem_2d(problem_or_f, "problem_or_f")
        f, g = p.f, (p.grad if grad is None else grad)
        window = p.window if window is None else window
        log = p.log_levels
        minimum = p.minimum
    elif callable(problem_or_f):
        if window is None:
            raise DescendError("window ((xlo, xhi), (ylo, yhi)) is required when problem_or_f is a plain function")
        f, g, log, minimum = problem_or_f, grad, False, float("nan")
    else:
        raise DescendError(f"problem_or_f must be a 2-D Problem or a callable, got {type(problem_or_f).__name__}")
    if g is not None and not callable(g):
        raise DescendError(f"grad must be callable, got {type(g).__name__}")
    w = _base.check_window_2d(window)
    density = _check_int("density", density, 2)
    ax = _base.new_axes(ax)
    if contours:
        X, Y, Z = _base.grid(f, w, 100)
        lv = _base.contour_levels(Z, n=15, log=log, minimum=minimum)
        if len(lv) > 1:
            tag(ax.contour(X, Y, Z, levels=lv, cmap="viridis", linewidths=0.7, alpha=0.6), "contour")
    xs = np.linspace(w[0, 0], w[0, 1], density)
    ys = np.linspace(w[1, 0], w[1, 1], density)
    X, Y = np.meshgrid(xs, ys)
    P = np.column_stack([X.ravel(), Y.ravel()])
    with np.errstate(all="ignore"):
        if g is None:
            G = np.asarray(gradient(lambda q: f(q), P), dtype=float)
        else:
            G = _gradients(g, P)
    U, V = -G[:, 0], -G[:, 1]
    if normalize:
        norm = np.hypot(U, V)
        norm[norm == 0] = 1.0
        U, V = U / norm, V / norm
    q = ax.quiver(P[:, 0], P[:, 1], U, V, angles="xy", color="#555555")
    tag(q, "field")
    ax.set_xlim(*w[0])
    ax.set_ylim(*w[1])
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title("-grad f" + (" (directions)" if normalize else ""))
    return ax


def _gradients(g, P):
    try:
        G = np.asarray(g(P.copy()), dtype=float)
        if G.shape == P.shape:
            return G
    except Exception:  # g takes one point only
        pass
    return np.array([np.asarray(g(p.copy()), dtype=float).reshape(2) for p in P])


def trajectories(problem, results, *, labels=None, ax=None, levels: int = 25, log_levels=None,
                 show_minima: bool = True, legend=True, markers: bool = True, window=None,
                 title: str | None = None):
    """Runs on the contour of a 2-D problem: paths, start and end markers, the known minima.

    Parameters
    ----------
    problem : Problem or str
        A 2-D problem (or its name); its window sets the axes.
    results : Result or sequence of Result
        Runs of :func:`descend.minimize` with ``history=True``. A batched Result draws
        one path per row, all in the Result's colour.
    labels : sequence of str, optional
        Legend entries, one per Result; default "optimizer, lr=...".
    ax : matplotlib Axes, optional
    levels : int
        Number of contour levels.
    log_levels : bool, optional
        Log-spaced levels above the minimum; default the problem's ``log_levels``
        (wide ranges such as Rosenbrock's).
    show_minima : bool
        Mark the known global minimizers (gid ``descend:minimizer``).
    legend : bool or str
        Add a legend (a string is its matplotlib ``loc``, e.g. "lower right").
    markers : bool
        Draw a dot at every iterate, as seed 001 does.
    window : ((xlo, xhi), (ylo, yhi)), optional
        Override the problem's window.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Per Result: one line per path (gid ``descend:path``), one line holding the
        start markers (``descend:start``) and one holding the end markers
        (``descend:end``).
    """
    p = _base.as_problem_2d(problem)
    runs = _base.as_results(results)
    labels = _base.check_labels(labels, len(runs))
    all_paths = [_base.paths(r, i) for i, r in enumerate(runs)]
    ax = _base.new_axes(ax)
    cs = _base.draw_contour(ax, p, levels=levels, log_levels=log_levels, window=window)
    _fade_contour(cs)
    for i, (r, x) in enumerate(zip(runs, all_paths)):
        label = labels[i] if labels else _base.result_label(r)
        if x.shape[1] > 1:
            label += f" ({x.shape[1]} runs)"
        _draw_run(ax, r, x, i, len(runs), label, markers)
    if show_minima:
        line = _base.draw_minimizers(ax, p)
        if line is not None:
            line.set_zorder(_Z_MINIMIZER)
    if title is None:
        title = p.description
    ax.set_title(title, fontsize="medium")
    if legend:
        ax.legend(loc=legend if isinstance(legend, str) else "best", fontsize="small", framealpha=0.85)
    return ax


# drawing order: contours at the bottom, then the paths (in order), the starts, the known minimizer,
# the ends (each run's end above the previous one's, and smaller, so ends that meet stay visible)
_Z_CONTOUR, _Z_PATH, _Z_START, _Z_MINIMIZER, _Z_END = 1.0, 3.0, 4.0, 5.0, 6.0
#: marks along a path drawn without per-iterate markers: one every this fraction of the axes' diagonal
_MARK_SPACING = 0.07


def _fade_contour(cs):
    """Contours behind the runs, thinner and paler, so a path along a contour line stays visible."""
    if cs is None:
        return
    cs.set_zorder(_Z_CONTOUR)
    cs.set_alpha(0.45)
    cs.set_linewidth(0.6)


def _draw_run(ax, r, x, i: int, n: int, label: str, markers: bool):
    """One Result's paths, start and end markers, in run ``i``'s style of :func:`_base.run_styles`."""
    style = _base.run_styles(n)[i]
    color = style["color"]
    rows = x.shape[1]
    every = 1 if markers else (_MARK_SPACING * i / max(1, n), _MARK_SPACING)  # offset: marks do not coincide
    for j in range(rows):
        (line,) = ax.plot(x[:, j, 0], x[:, j, 1], color=color, linestyle=style["linestyle"],
                          linewidth=1.7 if rows == 1 else 1.0, alpha=0.95 if rows == 1 else 0.6,
                          marker=style["marker"], markersize=3.0 if markers else 4.5, markevery=every,
                          markeredgewidth=0.0 if markers else 0.6, markeredgecolor="white",
                          label=label if j == 0 else None, zorder=_Z_PATH + i / (n + 1))
        tag(line, "path")
    # concentric: the first run's start and end are the largest, each later run's smaller and above it
    shrink = 1.0 - 0.45 * i / max(1, n - 1)
    (s,) = ax.plot(x[0, :, 0], x[0, :, 1], linestyle="none", marker="o", markersize=10 * shrink,
                   markerfacecolor="white", markeredgecolor=color, markeredgewidth=1.6,
                   label="start" if i == 0 else None, zorder=_Z_START + i / (n + 1))
    tag(s, "start")
    (e,) = ax.plot(x[-1, :, 0], x[-1, :, 1], linestyle="none", marker="X", markersize=11 * shrink, color=color,
                   markeredgecolor="black", markeredgewidth=0.6, label="end" if i == 0 else None,
                   zorder=_Z_END + i / (n + 1))
    tag(e, "end")
    if np.any(np.atleast_1d(r.status) == "diverged"):
        e.set_marker("x")


def surface(problem, *, path=None, ax=None, resolution: int = 60, log=None, cmap: str = "viridis",
            elev: float = 35.0, azim: float = -60.0):
    """The 3-D surface z = f(x0, x1) of a 2-D problem, with an optional path on it.

    Parameters
    ----------
    problem : Problem or str
        A 2-D problem; its window is the plotted region.
    path : Result or array of shape (k, 2), optional
        A run (its iterates, every row of a batch) or points to draw on the surface.
    ax : 3-D matplotlib Axes, optional
        ``fig.add_subplot(projection="3d")``; a new figure otherwise.
    resolution : int >= 2
        Grid points per side.
    log : bool, optional
        Draw ``log10(1 + f - f*)`` instead of f (default: the problem's ``log_levels``),
        so a steep wall does not flatten the valley.
    cmap : str
    elev, azim : float
        The view angles.

    Returns
    -------
    mpl_toolkits.mplot3d.Axes3D
        The surface has gid ``descend:surface``, each path ``descend:path``.
    """
    from ..result import Result

    p = _base.as_problem_2d(problem)
    resolution = _check_int("resolution", resolution, 2)
    ax = _base.new_axes(ax, projection="3d", figsize=(6.5, 5.0))
    log = p.log_levels if log is None else bool(log)
    X, Y, Z = _base.grid(p.f, p.window, resolution)
    base = p.minimum if np.isfinite(p.minimum) else float(np.nanmin(Z))

    def height(z):
        if not log:
            return z
        with np.errstate(all="ignore"):
            return np.log10(1.0 + np.maximum(z - base, 0.0))

    surf = ax.plot_surface(X, Y, height(Z), cmap=cmap, alpha=0.75, linewidth=0, antialiased=True)
    tag(surf, "surface")
    if path is not None:
        if isinstance(path, Result):
            pts = _base.paths(path).transpose(1, 0, 2)  # (R, steps+1, 2)
        else:
            pts = np.asarray(path, dtype=float)
            if pts.ndim != 2 or pts.shape[1] != 2:
                raise DescendError(f"path must be a Result or an array of shape (k, 2), got shape {pts.shape}")
            pts = pts[None]
        for row in pts:
            z = height(_base.evaluate_rows(p.f, row))
            (line,) = ax.plot(row[:, 0], row[:, 1], z, color="red", marker="o", markersize=2.5, linewidth=1.5,
                              zorder=10)
            tag(line, "path")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_zlabel("log10(1 + f - f*)" if log else "f")
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(p.description, fontsize="medium")
    return ax


__all__ = ["function", "gradient_field", "trajectories", "surface"]
