"""Sections 7 to 9 of the tour: the optimizers' race, a small network trained by mini-batches, many starts at once."""

from __future__ import annotations

import numpy as np

from .. import problems
from ..minimize import minimize
from .section import RULES, Picture, Section, Table, figure, pyplot, translator


# ------------------------------------------------------------------------------------------ 7

RACE = ("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam")
#: learning rates for Rosenbrock's valley (the book's race lrs are for the bowl)
ROSENBROCK_LR = {"sgd": 1e-3, "momentum": 1e-3, "adagrad": 0.5, "adadelta": 1.0, "rmsprop": 0.01, "adam": 0.05}


def optimizer_race_section(lang: str = "en") -> Section:
    from ..race import COLUMNS, compare

    tr = translator(lang)

    bowl = compare("elongated_bowl", RACE, steps=30)
    rosen = compare("rosenbrock", RACE, lr=ROSENBROCK_LR, steps=1000, tol=1e-4)
    bowl_p, rosen_p = bowl.problem, rosen.problem

    def race():
        from .. import plot

        fig, ax = figure(2, width=5.6, height=5.2)
        plot.trajectories(bowl_p, list(bowl.results.values()), ax=ax[0, 0], markers=True, legend=False,
                          title=tr(".optimizer_race.plot.bowl_title"))
        plot.trajectories(rosen_p, list(rosen.results.values()), ax=ax[0, 1], markers=False, legend=False,
                          title=tr(".optimizer_race.plot.rosenbrock_title"))
        # one legend for both, below them: inside, it covered Rosenbrock's minimum and the paths' ends
        handles, labels = ax[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(5, len(labels)), fontsize="small", frameon=False)
        fig.tight_layout(rect=(0, 0.12, 1, 1))
        return fig

    def inside(name, lr):
        def draw():
            from .. import plot

            return plot.internals(bowl_p, name, steps=30, lr=lr)
        return draw

    def gif(path):
        from .. import plot

        # one GIF for every screen, 560 px wide: 12 pt text keeps its legend ("small", 10 pt) at 11 px on a phone
        with pyplot().rc_context({"font.size": 12.0}):
            return plot.animate(bowl_p, list(bowl.results.values()), path, frames=31, fps=6, dpi=80, figsize=(7.0, 5.0), legend="lower right",
                                title=tr(".optimizer_race.plot.gif_title"), lang=lang)

    from .. import fmt

    columns = [fmt.header(c, lang) for c in COLUMNS]
    kinds = [fmt.kind_of(c) or "text" for c in COLUMNS]
    return Section(
        "optimizer_race", tr(".optimizer_race.title"), tr(".optimizer_race.text"),
        [Table(tr(".optimizer_race.table.bowl"), columns, bowl.table(), kinds),
         Table(tr(".optimizer_race.table.rosenbrock"), columns, rosen.table(), kinds)],
        [Picture(tr(".optimizer_race.caption.race"), race),
         Picture(tr(".optimizer_race.caption.gif"), gif, kind="gif"),
         Picture(tr(".optimizer_race.caption.momentum"), inside("momentum", 0.1)),
         Picture(tr(".optimizer_race.caption.adagrad"), inside("adagrad", 1.5)),
         Picture(tr(".optimizer_race.caption.adam"), inside("adam", 0.3))],
        rule=RULES["optimizer_race"], lang=lang,
    )


# ------------------------------------------------------------------------------------------ 8

def training_section(lang: str = "en") -> Section:
    import time

    tr = translator(lang)
    from .. import datasets, nn
    from ..training import train

    data = datasets.linear(500, seed=0)  # seed 003: 500 samples of y = 3 x0 + 2 x1, x uniform in [0, 1)^2
    X, y = data.X, data.y.reshape(-1, 1)
    runs, histories, labels = [], [], []
    for name, bs in ((tr(".training.method.batch"), None), (tr(".training.method.stochastic"), 1),
                     (tr(".training.method.minibatch"), 10)):
        model = nn.Sequential(nn.Linear(2, 10, rng=0, dtype=np.float64), nn.ReLU(),
                              nn.Linear(10, 1, rng=1, dtype=np.float64))
        t0 = time.perf_counter()
        h = train(model, X, y, loss="mse", optimizer="sgd", lr=0.05, batch_size=bs, epochs=5, seed=0,
                  progress=False)
        seconds = time.perf_counter() - t0
        final = float(np.mean((model.predict(X) - y) ** 2))
        runs.append((name, tr("word.all") if bs is None else bs, len(h.loss) // max(h.epoch, 1), len(h.loss),
                     float(h.epochs["loss"][-1]), final, seconds))
        histories.append(h)
        labels.append(name)

    def draw():
        from .. import plot

        fig, ax = figure(2, width=5.6)
        plot.loss_curves(histories, labels=labels, ax=ax[0, 0], per="epoch", log=True,
                         title=tr(".training.plot.epoch_title"))
        plot.loss_curves(histories, labels=labels, ax=ax[0, 1], per="update", smooth=10, log=True,
                         title=tr(".training.plot.update_title"))
        fig.tight_layout()
        return fig

    columns = [tr(".differentiation.col.method"), tr("col.batch_size"), tr(".training.col.updates_per_epoch"),
               tr(".training.col.updates"), tr(".training.col.last_epoch_loss"), tr(".training.col.final_loss"),
               tr(".training.col.time")]
    return Section(
        "training", tr(".training.title"), tr(".training.text"),
        [Table(tr(".training.table"), columns, runs, ["text", "count", "count", "count", "loss", "loss", "seconds"])],
        [Picture(tr(".training.caption"), draw)],
        rule=RULES["training"], lang=lang,
    )


# ------------------------------------------------------------------------------------------ 9

def _clusters(points, fvals, tol=1e-3):
    """Group final points closer than tol: [(centre, f, count)], lowest f first."""
    groups = []
    for x, fx in zip(points, fvals):
        for g in groups:
            if np.linalg.norm(g[0] - x) < tol:
                g[2] += 1
                break
        else:
            groups.append([x.copy(), float(fx), 1])
    return sorted(groups, key=lambda g: g[1])


def multistart_section(lang: str = "en") -> Section:
    tr = translator(lang)
    rng = np.random.default_rng(0)
    tables, results, probs = [], [], []
    for name, lr in (("himmelblau", 0.01), ("six_hump_camel", 0.02)):
        p = problems.get(name)
        (xlo, xhi), (ylo, yhi) = p.window
        X0 = np.column_stack([rng.uniform(xlo, xhi, 40), rng.uniform(ylo, yhi, 40)])
        r = minimize(p, X0, lr=lr, steps=2000, gtol=1e-6)
        rows = []
        for centre, fx, count in _clusters(r.x, r.fun):
            kind = tr("word.global" if abs(fx - p.minimum) <= 1e-6 * max(1.0, abs(p.minimum)) else "word.local")
            rows.append((centre, fx, kind, count))
        tables.append(Table(tr(".multistart.table", name=name, lr=f"{lr:g}"),
                            [tr(".multistart.col.minimizer"), tr(".multistart.col.f"), tr(".multistart.col.kind"),
                             tr(".multistart.col.starts")], rows, ["value", "value", "text", "count"]))
        results.append(r)
        probs.append(p)

    def draw():
        from .. import plot

        fig, ax = figure(2, width=5.6)
        for a, p, r in zip(ax[0], probs, results):
            plot.trajectories(p, r, ax=a, markers=False, labels=[tr(".multistart.plot.label")],
                              title=tr(".multistart.plot.title", name=p.name))
        fig.tight_layout()
        return fig

    return Section(
        "multistart", tr(".multistart.title"), tr(".multistart.text"), tables,
        [Picture(tr(".multistart.caption"), draw)],
        rule=RULES["multistart"], lang=lang,
    )
