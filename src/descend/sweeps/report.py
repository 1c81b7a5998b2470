"""Tables and figures from a sweep's runs (a store or the table :func:`descend.sweeps.sweep` returned).

:func:`summarize` groups the runs by their settings, seeds and starts aside, and gives
per group: runs, how many converged / diverged, the median final and best loss, the
median steps to the tolerance and the median wall time.  :func:`plot_final_loss`
draws the median final loss against lr per optimizer, :func:`plot_curves` the median
loss curve of each optimizer at its best lr.  :func:`write_report` writes all of it
to a folder (CSV files and PNGs).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os

import numpy as np

from ..errors import DescendError

__all__ = ["summarize", "plot_final_loss", "plot_curves", "write_report", "records_of"]

_AGGREGATED = ("seed", "start", "x0")
_RESULT = {"final_loss", "best_loss", "steps_to_tol", "status", "nit", "ngev", "distance", "x", "final_val_loss",
           "best_val_loss", "wall_time", "message", "curve", "val_curve", "key"}


def records_of(table) -> list[dict]:
    """The rows of a sweep table (DataFrame or list of dicts) as a list of dicts."""
    if isinstance(table, list):
        return table
    to_dict = getattr(table, "to_dict", None)
    if to_dict is None:
        raise DescendError(f"expected a sweep table (a DataFrame or a list of dicts), got {type(table).__name__}")
    return to_dict("records")


def _setting_columns(rows):
    cols = []
    for r in rows:
        for k in r:
            if k not in _RESULT and k not in _AGGREGATED and k not in cols:
                cols.append(k)
    return cols


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _freeze(v):
    if isinstance(v, (list, np.ndarray)):
        return tuple(np.asarray(v).tolist())
    return None if _missing(v) else v


def _median(values):
    a = np.array([v for v in values if not _missing(v)], dtype=float)
    return float(np.median(a)) if a.size else float("nan")


def summarize(table) -> list[dict]:
    """One row per distinct setting (optimizer, lr, hyperparameters, batch_size), over seeds and starts."""
    rows = records_of(table)
    cols = _setting_columns(rows)
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault(tuple(_freeze(r.get(c)) for c in cols), []).append(r)
    out = []
    for key, members in groups.items():
        s = dict(zip(cols, key))
        status = [m.get("status") for m in members]
        reached = [m.get("steps_to_tol") for m in members]
        s.update(
            runs=len(members),
            converged=sum(st == "converged" for st in status),
            diverged=sum(st == "diverged" for st in status),
            reached_tol=sum(not _missing(v) for v in reached),
            final_loss_median=_median(m.get("final_loss") for m in members),
            best_loss_min=float(np.nanmin([m.get("best_loss", np.nan) for m in members]))
            if any(np.isfinite(m.get("best_loss", np.nan)) for m in members) else float("nan"),
            steps_to_tol_median=_median(reached),
            wall_time_median=_median(m.get("wall_time") for m in members),
        )
        if any("final_val_loss" in m and not _missing(m.get("final_val_loss")) for m in members):
            s["final_val_loss_median"] = _median(m.get("final_val_loss") for m in members)
        out.append(s)
    return out


def _new_axes(ax, figsize=(6.0, 4.0)):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def plot_final_loss(table, ax=None):
    """Median final loss (and the range over seeds/starts) against lr, one line per optimizer; a Figure."""
    fig, ax = _new_axes(ax)
    rows = records_of(table)
    opts = list(dict.fromkeys(r["optimizer"] for r in rows))
    for j, opt in enumerate(opts):
        by_lr: dict[float, list] = {}
        for r in rows:
            if r["optimizer"] == opt:
                v = r.get("final_loss")
                by_lr.setdefault(float(r["lr"]), []).append(np.inf if _missing(v) or r.get("status") == "diverged"
                                                            else float(v))
        lrs = np.array(sorted(by_lr))
        vals = [np.array(by_lr[lr]) for lr in lrs]
        med = np.array([np.median(v) for v in vals])
        lo = np.array([np.min(v) for v in vals])
        hi = np.array([np.max(v[np.isfinite(v)]) if np.any(np.isfinite(v)) else np.nan for v in vals])
        ok = np.isfinite(med)
        ax.plot(lrs[ok], med[ok], "o-", color=f"C{j % 10}", label=opt, gid=f"descend:sweep_final:{opt}")
        both = ok & np.isfinite(lo) & np.isfinite(hi)
        ax.fill_between(lrs[both], lo[both], hi[both], color=f"C{j % 10}", alpha=0.15)
    ax.set_xscale("log")
    finite = [float(r["final_loss"]) for r in rows
              if not _missing(r.get("final_loss")) and r.get("status") != "diverged"]
    if finite and min(finite) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("final loss (median; band: min..max)")
    ax.set_title("final loss against lr (diverged runs left out)")
    ax.legend(fontsize="small")
    return fig


def plot_curves(table, ax=None):
    """The median loss curve of each optimizer at its best lr (lowest median final loss); a Figure."""
    fig, ax = _new_axes(ax)
    rows = [r for r in records_of(table) if r.get("curve") is not None]
    if not rows:
        raise DescendError("the table holds no curves (the sweep ran with curves=False)")
    summary = summarize(rows)
    opts = list(dict.fromkeys(r["optimizer"] for r in rows))
    for j, opt in enumerate(opts):
        cands = [s for s in summary if s["optimizer"] == opt and s["diverged"] < s["runs"]]
        if not cands:
            continue
        best = min(cands, key=lambda s: (s["final_loss_median"] if math.isfinite(s["final_loss_median"])
                                         else math.inf))
        members = [r for r in rows if r["optimizer"] == opt and float(r["lr"]) == best["lr"]]
        n = max(len(r["curve"]) for r in members)
        # runs that stopped early keep their last value, as descend.minimize's histories do
        stack = np.array([np.pad(np.asarray(r["curve"], dtype=float), (0, n - len(r["curve"])), mode="edge")
                          for r in members])
        with np.errstate(invalid="ignore"):
            med = np.nanmedian(np.where(np.isfinite(stack), stack, np.nan), axis=0)
        ax.plot(np.arange(n), med, color=f"C{j % 10}", label=f"{opt}, lr={best['lr']:.3g}",
                gid=f"descend:sweep_curve:{opt}")
    if all(np.all(np.asarray(r["curve"])[np.isfinite(r["curve"])] > 0) for r in rows):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (median over seeds and starts)")
    ax.set_title("each optimizer at its best lr")
    ax.legend(fontsize="small")
    return fig


def _csv_value(v):
    if isinstance(v, np.ndarray):
        return json.dumps(v.tolist())
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v)
    return "" if v is None else v


def _csv_text(rows, columns) -> str:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: _csv_value(r.get(c)) for c in columns})
    return buf.getvalue()


def write_report(table, out_dir, *, lang: str = "en") -> list[str]:
    """Write ``runs.csv`` (curves left out), ``summary.csv``, ``final_loss.png`` and ``curves.png``.

    The pictures' own labels are written in ``lang`` ("en" or "ja", through
    :func:`descend.i18n.plots.translate_figure`).

    Every file goes through :mod:`descend.files` (atomic, never through a symbolic
    link); a file of one of these names that descend did not write is refused before
    anything is written.  Returns the paths written.
    """
    from .. import files
    from ..i18n import check_lang
    from ..i18n.plots import translate_figure
    # lazy: the one figure writer (descend.files, picture-format check) lives in plot, a layer above;
    # only a report with pictures needs it
    from ..plot import _base

    lang = check_lang(lang)
    rows = records_of(table)
    if not rows:
        raise DescendError("the sweep holds no runs yet: nothing to report")
    out_dir = os.fspath(out_dir)
    has_curves = any(r.get("curve") is not None for r in rows)
    names = ["runs.csv", "summary.csv", "final_loss.png"] + (["curves.png"] if has_curves else [])
    files.ensure_folder(out_dir)
    for name in names:
        files.check_writable(os.path.join(out_dir, name))
    paths = []
    run_cols = [c for c in rows[0] if c not in ("curve", "val_curve")]
    for r in rows[1:]:
        run_cols += [c for c in r if c not in run_cols and c not in ("curve", "val_curve")]
    p = os.path.join(out_dir, "runs.csv")
    files.write_text(p, _csv_text(rows, run_cols))
    paths.append(p)
    summary = summarize(rows)
    cols = list(dict.fromkeys(k for s in summary for k in s))
    p = os.path.join(out_dir, "summary.csv")
    files.write_text(p, _csv_text(summary, cols))
    paths.append(p)
    p = os.path.join(out_dir, "final_loss.png")
    _base.save(translate_figure(plot_final_loss(rows), lang), p, dpi=110)
    paths.append(p)
    if has_curves:
        p = os.path.join(out_dir, "curves.png")
        _base.save(translate_figure(plot_curves(rows), lang), p, dpi=110)
        paths.append(p)
    return paths
