"""What every plot shares: the lazy matplotlib import, new axes, evaluating f on a grid, contour levels.

Nothing here imports matplotlib at module level; :func:`pyplot` does, on first use.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from ..errors import DescendError

#: gid given to the artists each function draws, so a test (or a user) can find them
GID = "descend:{}"


def pyplot():
    """matplotlib.pyplot, with the Agg backend when there is no display to draw on.

    A backend chosen by the user (``MPLBACKEND``, ``matplotlib.use``, a notebook's
    inline backend) is left alone.
    """
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - exercised only without matplotlib
        raise ImportError("descend.plot needs matplotlib: pip install 'descend[demo]'") from None
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND") and not _has_display():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _picture_format(p, supported) -> str:
    if p.suffix:
        fmt = p.suffix[1:].lower()
    else:
        import matplotlib

        fmt = matplotlib.rcParams["savefig.format"]
    if fmt not in supported:
        raise DescendError(f"cannot save a figure as {str(p)!r}: unknown picture format {fmt!r}; valid: "
                           f"{', '.join(sorted(supported))}")
    return fmt


def check_save(path, *, replace: bool = True):
    """Refuse now what :func:`save` would refuse after the work: a path :mod:`descend.files`
    may not write, or a suffix that is no picture format matplotlib writes."""
    from matplotlib.backend_bases import FigureCanvasBase

    from .. import files

    p = files.check_writable(path, replace=replace)
    _picture_format(p, FigureCanvasBase.get_supported_filetypes())
    return p


def save(fig, path, *, dpi=None, replace: bool = True):
    """Save a matplotlib Figure to ``path`` through :mod:`descend.files`; return the path.

    Atomic, never through a symbolic link, and an existing file is replaced only when
    descend wrote it.  The format comes from the suffix (``.png``, ``.svg``, ``.pdf``...;
    matplotlib's default format when there is none).
    """
    from .. import files

    p = files.check_writable(path, replace=replace)
    fmt = _picture_format(p, fig.canvas.get_supported_filetypes())
    return files.write_with(p, lambda fh: fig.savefig(fh, format=fmt, dpi=dpi if dpi is not None else "figure"),
                            replace=replace)


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def new_axes(ax=None, *, figsize=(6.0, 4.5), projection=None):
    """``ax`` itself, or the Axes of a new figure."""
    if ax is not None:
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise DescendError("ax must be a 3-D Axes (fig.add_subplot(projection='3d')), "
                               f"got a {getattr(ax, 'name', type(ax).__name__)!r} Axes")
        return ax
    plt = pyplot()
    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(projection=projection)


def tag(artist, what: str):
    """Mark ``artist`` as a descend ``what`` (its gid), and return it."""
    artist.set_gid(GID.format(what))
    return artist


def tagged(ax, what: str) -> list:
    """The lines and collections of ``ax`` tagged ``what`` by :func:`tag`."""
    gid = GID.format(what)
    return [a for a in list(ax.lines) + list(ax.collections) if a.get_gid() == gid]


# ---------------------------------------------------------------------------- problems and grids

def as_problem_2d(problem, what: str = "problem"):
    """Check that ``problem`` is a 2-D :class:`descend.problems.Problem` with a window."""
    from ..problems import Problem

    if isinstance(problem, str):
        from .. import problems

        problem = problems.get(problem)
    if not isinstance(problem, Problem):
        raise DescendError(f"{what} must be a descend Problem or a problem name, got {type(problem).__name__}")
    if problem.dim != 2:
        raise DescendError(f"{what} must be 2-D to draw its contour, got {problem.name!r} with dim={problem.dim}")
    return problem


def check_window_2d(window, what: str = "window"):
    try:
        w = np.asarray(window, dtype=float)
    except (TypeError, ValueError):
        w = None
    if w is None or w.shape != (2, 2) or not np.all(np.isfinite(w)) or not np.all(w[:, 0] < w[:, 1]):
        raise DescendError(f"{what} must be ((xlo, xhi), (ylo, yhi)) with finite lo < hi, got {window!r}")
    return w


def evaluate_rows(f, P):
    """f at every row of P (m, n): one vectorized call when f takes a batch, else one call per row."""
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(f(P.copy()), dtype=float)
        if out.shape == (P.shape[0],):
            return out
    except Exception:  # f takes one point only: fall back to a loop
        pass
    with np.errstate(all="ignore"):
        return np.array([float(f(p.copy())) for p in P])


def grid(f, window, resolution: int):
    """Meshgrid X, Y over ``window`` and Z = f on it (non-finite values kept as nan)."""
    w = check_window_2d(window)
    xs = np.linspace(w[0, 0], w[0, 1], resolution)
    ys = np.linspace(w[1, 0], w[1, 1], resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = evaluate_rows(f, np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    Z[~np.isfinite(Z)] = np.nan
    return X, Y, Z


def contour_levels(Z, *, n: int = 25, log: bool = False, minimum: float = float("nan")):
    """Contour levels: evenly spaced, or log-spaced above the minimum where the range is wide.

    Log-spaced levels sit at ``base + geomspace(lo, hi)`` with ``base`` the known minimum
    (or the grid's smallest value), so the rings crowd towards the bottom of the valley
    as they do for Rosenbrock.
    """
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise DescendError("f is not finite anywhere in the window: nothing to draw")
    zmin = float(finite.min())
    if log:
        base = float(minimum) if np.isfinite(minimum) and minimum <= zmin else zmin
        above = finite - base
        hi = float(np.percentile(above, 99))
        positive = above[above > 0]
        if hi > 0 and positive.size:
            lo = max(float(positive.min()), hi * 1e-7)
            if hi > lo:
                return base + np.geomspace(lo, hi, n)
    hi = float(np.percentile(finite, 95))
    if not hi > zmin:
        hi = float(finite.max())
    if not hi > zmin:  # a flat function: one level
        return np.array([zmin])
    return np.linspace(zmin, hi, n)


def draw_contour(ax, problem, *, resolution: int = 120, levels=25, log_levels=None, filled: bool = False,
                 cmap: str = "viridis", window=None):
    """Contour lines of a 2-D problem over its window (or ``window``), axes limited to it."""
    w = check_window_2d(problem.window if window is None else window)
    X, Y, Z = grid(problem.f, w, resolution)
    log = problem.log_levels if log_levels is None else bool(log_levels)
    lv = contour_levels(Z, n=levels, log=log, minimum=problem.minimum) if np.ndim(levels) == 0 else levels
    if len(lv) < 2:
        cs = None
    elif filled:
        cs = ax.contourf(X, Y, Z, levels=lv, cmap=cmap, alpha=0.6, extend="max")
    else:
        cs = ax.contour(X, Y, Z, levels=lv, cmap=cmap, linewidths=0.8, alpha=0.8)
    if cs is not None:
        tag(cs, "contour")
    ax.set_xlim(*w[0])
    ax.set_ylim(*w[1])
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    return cs


def draw_minimizers(ax, problem, label: str = "known minimizer"):
    m = problem.minimizers
    if m.shape[0] == 0:
        return None
    (line,) = ax.plot(m[:, 0], m[:, 1], linestyle="none", marker="*", markersize=13, color="gold",
                      markeredgecolor="black", zorder=5, label=label)
    return tag(line, "minimizer")


# ---------------------------------------------------------------------------- results

def lr_text(lr) -> str:
    if lr is None:
        return ""
    if isinstance(lr, str):
        return lr
    if np.ndim(lr) == 0:
        try:
            return f"{float(lr):g}"
        except (TypeError, ValueError):
            return str(lr)
    a = np.asarray(lr, dtype=float)
    return f"{a.min():g}..{a.max():g}"


def result_label(result) -> str:
    lr = lr_text(result.lr)
    name = result.optimizer
    return f"{name}, lr={lr}" if lr else name


def as_results(results, what: str = "results") -> list:
    """A Result or a sequence of Results, as a list (each checked)."""
    from ..result import Result

    if isinstance(results, Result):
        return [results]
    if isinstance(results, dict):
        results = list(results.values())
    try:
        out = list(results)
    except TypeError:
        raise DescendError(f"{what} must be a Result or a sequence of Results, "
                           f"got {type(results).__name__}") from None
    if not out:
        raise DescendError(f"{what} must hold at least one Result, got an empty sequence")
    for i, r in enumerate(out):
        if not isinstance(r, Result):
            raise DescendError(f"{what}[{i}] must be a descend Result, got {type(r).__name__}")
    return out


def paths(result, index: int = 0) -> np.ndarray:
    """The iterates of a 2-D run as an array (steps+1, R, 2): one path per row (R = 1 unless batched)."""
    h = result.history
    if h is None or h.x is None:
        raise DescendError(f"results[{index}] kept no iterates: run minimize with history=True to draw its path")
    x = np.asarray(h.x, dtype=float)
    if x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3 or x.shape[-1] != 2:
        raise DescendError(f"results[{index}] is not a run in 2 variables: its iterates have shape {h.x.shape}")
    return x


def check_labels(labels, n: int):
    if labels is None:
        return None
    if isinstance(labels, str):
        labels = [labels]
    labels = list(labels)
    if len(labels) != n:
        raise DescendError(f"labels must have one entry per result ({n}), got {len(labels)}")
    return [str(s) for s in labels]


def colors(n: int) -> list:
    plt = pyplot()
    cycle = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    return [cycle[i % len(cycle)] for i in range(n)]


#: Okabe & Ito's colour-blind-safe palette (black left out: it is the end markers' edge)
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
#: line styles and markers cycled beside the colours, so paths differ in more than hue
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "*")


def run_styles(n: int) -> list[dict]:
    """n distinct styles for runs drawn together: colour, line style and marker.

    Colours come from :data:`OKABE_ITO` (distinguishable with the common colour-vision
    deficiencies); the line style and the marker change with every run as well, so any two
    of the first ``len(OKABE_ITO) * len(LINESTYLES)`` runs differ in (colour, line style).
    """
    out = []
    for i in range(n):
        out.append({"color": OKABE_ITO[i % len(OKABE_ITO)],
                    "linestyle": LINESTYLES[(i + i // len(OKABE_ITO)) % len(LINESTYLES)],
                    "marker": MARKERS[i % len(MARKERS)]})
    return out
