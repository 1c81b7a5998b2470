"""The tour's section on the curvature of a network: the edge of stability and loss landscapes.

Full-batch gradient descent on a small tanh network (the bundled digits, MSE against one-hot
targets) at two learning rates: the sharpness (the Hessian's largest eigenvalue) rises until it
reaches ``2 / lr`` and hovers there while the loss keeps falling, not monotonically (Cohen et al.
2021, :func:`descend.curvature.edge_of_stability`).  Then the loss between the initial and the
trained weights (Goodfellow et al. 2015) and on two planes through the trained weights: random
filter-normalised directions and the top two principal directions of the run (Li et al. 2018),
with the run drawn on them (:mod:`descend.curvature.landscape`).

Everything is computed when the section is built; the runs are the same in every language, so
they are computed once per process (:func:`edge_runs`, :func:`landscape`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np

from .section import RULES, Picture, Section, Table, figure, translator

__all__ = ["curvature_section", "edge_runs", "landscape", "Landscape", "LANDSCAPE_LR", "LANDSCAPE_STEPS"]

#: the landscape's run: full-batch gradient descent at the first edge run's learning rate, for this many
#: steps, its weights kept every ``_SNAPSHOT`` steps for the trajectory
LANDSCAPE_LR = 0.6
LANDSCAPE_STEPS = 600
_SNAPSHOT = 20


@lru_cache(maxsize=1)
def edge_runs():
    """:func:`descend.curvature.edge_of_stability` with its defaults, computed once per process
    (5-20 s: the sections in both languages and the tests share it)."""
    from .. import curvature

    return curvature.edge_of_stability()


@dataclass
class Landscape:
    """The landscape pictures' numbers: the line from the initial to the trained weights and two planes.

    ``line``: :class:`descend.curvature.Line`; ``random`` and ``pca``: :class:`descend.curvature.Surface`
    (each with the run's ``path``); ``explained``: the share of the run's variance in the two
    principal directions; ``loss``: the run's loss per step.
    """

    line: object
    random: object
    pca: object
    explained: np.ndarray
    loss: np.ndarray


def _digits_mse(setting):
    """The edge runs' data: the first ``n_samples`` shuffled digits and their one-hot targets."""
    from .. import datasets

    data = datasets.digits(seed=setting["seed"])
    X = np.concatenate([data.X_train, data.X_test])[:setting["n_samples"]]
    Y = np.eye(10)[np.concatenate([data.y_train, data.y_test])[:setting["n_samples"]]]
    return X, Y


def _snapshots(model, X, Y, loss):
    """Train by full-batch gradient descent (the edge runs' network and start) keeping the weights
    every ``_SNAPSHOT`` steps: ``(trajectory, losses)``."""
    from ..training import train
    from ..training.callbacks import Callback

    trajectory = [{k: p.copy() for k, p in model.params.items()}]

    class Keep(Callback):
        def on_epoch_end(self, epoch, logs, model):
            if epoch % _SNAPSHOT == 0:
                trajectory.append({k: p.copy() for k, p in model.params.items()})

    h = train(model, X, Y, loss=loss, optimizer="sgd", lr=LANDSCAPE_LR, batch_size=None, epochs=LANDSCAPE_STEPS,
              seed=0, callbacks=[Keep()], progress=False)
    return trajectory, np.asarray(h.loss, dtype=float)


@lru_cache(maxsize=1)
def landscape() -> Landscape:
    """The run of the landscape pictures (the edge runs' network, lr :data:`LANDSCAPE_LR`,
    :data:`LANDSCAPE_STEPS` steps) and its line and planes, computed once per process."""
    from .. import curvature, nn
    from ..curvature.edge import one_blas_thread

    s = edge_runs().setting
    X, Y = _digits_mse(s)
    model = nn.mlp([64, *s["hidden"], 10], activation=s["activation"], init=s["init"], rng=s["seed"],
                   dtype="float64")
    loss = nn.MSELoss()
    with one_blas_thread():
        trajectory, losses = _snapshots(model, X, Y, loss)
        line = curvature.interpolate(model, loss, X, Y, trajectory[0], trajectory[-1])
        d1, d2 = curvature.random_directions(model, seed=0)
        random = curvature.surface(model, loss, X, Y, d1, d2, span=1.0, points=21, trajectory=trajectory)
        p1, p2, explained = curvature.pca_directions(trajectory)
        probe = curvature.surface(model, loss, X, Y, p1, p2, span=1.0, points=2, trajectory=trajectory)
        span = 1.25 * float(np.max(np.abs(probe.path)))  # the plane wide enough for the whole run
        pca = curvature.surface(model, loss, X, Y, p1, p2, span=span, points=21, trajectory=trajectory)
    return Landscape(line, random, pca, explained, losses)


def _text(runs, land, tr) -> str:
    first, last = runs[0].summary(), runs[-1].summary()
    inside = (land.line.alphas >= 0) & (land.line.alphas <= 1)
    rises = int(np.sum(np.diff(land.line.loss[inside]) > 0))
    return tr(".curvature.text", s0=f"{first['sharpness_first']:.3g}", lr1=f"{first['lr']:g}",
              t1=f"{first['threshold']:.3g}", r1=first["reached"], st1=f"{first['settled']:.3f}",
              lr2=f"{last['lr']:g}", t2=f"{last['threshold']:.3g}", r2=last["reached"],
              st2=f"{last['settled']:.3f}", up1=first["loss_increases"], up2=last["loss_increases"],
              steps=len(runs[0].loss) - 1, n=edge_runs().setting["n_samples"], rises=rises, explained=f"{100 * float(np.sum(land.explained)):.0f}")


def _tables(runs, land, tr) -> list:
    rows = [(r.lr, r.threshold, s["sharpness_first"], s["sharpening"], s["reached"], s["settled"],
             s["loss_increases"], s["loss_first"], s["loss_last"]) for r in runs for s in (r.summary(),)]
    cols = [tr("col.lr"), "2/lr", tr(".curvature.col.sharpness_first"), tr(".curvature.col.sharpening"),
            tr(".curvature.col.reached"), tr(".curvature.col.settled"), tr(".curvature.col.loss_increases"),
            tr(".curvature.col.loss_first"), tr(".curvature.col.loss_last")]
    kinds = ["lr", "value", "value", "value", "count", "value", "count", "loss", "loss"]
    line = land.line
    at = {a: float(line.loss[np.argmin(np.abs(line.alphas - a))]) for a in (0.0, 0.5, 1.0)}
    lrow = [(tr(".curvature.row.line", a=f"{a:g}"), v) for a, v in at.items()]
    lrow += [(tr(".curvature.row.random_center"), float(land.random.loss[10, 10])),
             (tr(".curvature.row.explained"), float(np.sum(land.explained)))]
    return [Table(tr(".curvature.table.edge"), cols, rows, kinds),
            Table(tr(".curvature.table.landscape"), [tr("col.what"), tr("col.value")], lrow, ["text", "value"])]


def _draw_edge(runs, tr):
    fig, ax = figure(2, width=5.6)
    s, lo = ax[0, 0], ax[0, 1]
    for k, r in enumerate(runs):
        colour = f"C{k}"
        s.plot(r.steps, r.sharpness, color=colour, label=tr(".curvature.plot.sharpness", lr=f"{r.lr:g}"))
        s.axhline(r.threshold, color=colour, linestyle="--", linewidth=1,
                  label=tr(".curvature.plot.threshold", value=f"{r.threshold:.3g}"))
        lo.plot(np.arange(r.loss.size), r.loss, color=colour, linewidth=0.8, label=f"lr = {r.lr:g}")
    s.set_xlabel(tr("col.step"))
    s.set_ylabel(tr(".curvature.plot.sharpness_axis"))
    s.set_title(tr(".curvature.plot.edge_title"), fontsize="medium")
    s.legend(fontsize="small", loc="lower right")
    lo.set_yscale("log")
    lo.set_xlabel(tr("col.step"))
    lo.set_ylabel(tr("col.loss"))
    lo.set_title(tr(".curvature.plot.loss_title"), fontsize="medium")
    lo.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _contour(a, surf, title, tr):
    levels = np.quantile(surf.loss[np.isfinite(surf.loss)], np.linspace(0, 1, 16))
    cs = a.contourf(surf.a, surf.b, surf.loss, levels=np.unique(levels), cmap="viridis")
    a.figure.colorbar(cs, ax=a, label=tr("col.loss"))
    a.plot(surf.path[:, 0], surf.path[:, 1], color="white", marker=".", markersize=4, linewidth=1,
           label=tr(".curvature.plot.path"))
    a.plot(*surf.path[-1], marker="*", color="red", markersize=10, linestyle="none")
    a.set_xlabel(tr(".curvature.plot.d1"))
    a.set_ylabel(tr(".curvature.plot.d2"))
    a.set_title(title, fontsize="medium")
    a.legend(fontsize="small", loc="upper right")


def _draw_landscape(land: Landscape, tr):
    fig, ax = figure(3, width=4.8, height=4.2)
    a = ax[0, 0]
    a.plot(land.line.alphas, land.line.loss, marker=".")
    for x in (0.0, 1.0):
        a.axvline(x, color="grey", linestyle=":", linewidth=1)
    a.set_yscale("log")
    a.set_xlabel(tr(".curvature.plot.alpha"))
    a.set_ylabel(tr("col.loss"))
    a.set_title(tr(".curvature.plot.line_title"), fontsize="medium")
    _contour(ax[0, 1], land.random, tr(".curvature.plot.random_title"), tr)
    _contour(ax[0, 2], land.pca, tr(".curvature.plot.pca_title", pct=f"{100 * float(np.sum(land.explained)):.0f}"),
             tr)
    fig.tight_layout()
    return fig


def curvature_section(lang: str = "en") -> Section:
    """The section, in phases: the runs (cached per process), then the text, tables and pictures."""
    tr = translator(lang)
    runs = edge_runs().runs
    land = landscape()
    lrs = ", ".join(f"{r.lr:g}" for r in runs)
    pictures = [Picture(tr(".curvature.caption.edge", lrs=lrs), partial(_draw_edge, runs, tr)),
                Picture(tr(".curvature.caption.landscape", steps=LANDSCAPE_STEPS, lr=f"{LANDSCAPE_LR:g}"),
                        partial(_draw_landscape, land, tr))]
    return Section("curvature", tr(".curvature.title"), _text(runs, land, tr), _tables(runs, land, tr), pictures,
                   rule=RULES["curvature"], lang=lang)
