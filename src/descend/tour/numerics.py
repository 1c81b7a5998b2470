"""Sections 1 and 2 of the tour: a stable softmax, and the condition number that slows gradient descent."""

from __future__ import annotations

import numpy as np

from .. import problems
from ..minimize import minimize
from ..numerics import condition_number, logsumexp, softmax
from .section import RULES, Picture, Section, Table, figure, pyplot, translator


# ------------------------------------------------------------------------------------------ 1

def _naive_softmax(x):
    with np.errstate(all="ignore"):  # the point of the section: this overflows / divides 0 by 0
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)


def softmax_section(lang: str = "en") -> Section:
    tr = translator(lang)
    rows = []
    for c in (10.0, 1000.0, -1000.0):
        x = np.full(5, c)
        rows.append((f"c = {c:g}", _naive_softmax(x), softmax(x)))
    x = np.arange(1.0, 6.0)
    rows.append(("x = 1..5", _naive_softmax(x), softmax(x)))
    big = np.finfo(np.float64).max
    limits = [(tr(".softmax.limit.max"), big), (tr(".softmax.limit.overflow"), float(np.log(big))),
              (tr(".softmax.limit.tiny"), float(np.nextafter(0.0, 1.0))),
              (tr(".softmax.limit.underflow"), -1075 * float(np.log(2.0)))]
    stable_top = float(softmax(np.arange(1.0, 6.0))[-1])

    def draw():
        fig, ax = figure(2)
        a, b = ax[0]
        xs = np.linspace(-800, 800, 1601)
        with np.errstate(all="ignore"):
            ex = np.exp(xs)
        shown = np.where(np.isfinite(ex) & (ex > 0), ex, np.nan)
        a.set_yscale("log")
        # fixed limits and ticks: autoscaling's margin and the log locator's next decade would overflow
        a.set_ylim(1e-320, 1e308)
        a.set_yticks([10.0 ** k for k in range(-300, 301, 100)])
        a.yaxis.set_minor_locator(pyplot().NullLocator())
        a.set_xlim(-800, 800)
        a.plot(xs, shown, color="C0", linewidth=2, label=tr(".softmax.plot.exp"))
        a.axvspan(limits[1][1], 800, color="red", alpha=0.15, label=tr(".softmax.plot.overflow"))
        a.axvspan(-800, limits[3][1], color="blue", alpha=0.15, label=tr(".softmax.plot.underflow"))
        a.set_xlabel("x")
        a.set_ylabel("exp(x)")
        a.set_title(tr(".softmax.plot.exp_title", hi=f"{limits[1][1]:.1f}", lo=f"{limits[3][1]:.1f}"),
                    fontsize="medium")
        a.legend(loc="upper left", fontsize="small")
        cs = np.linspace(-1000, 1000, 801)
        X = cs[:, None] + np.arange(1.0, 6.0)
        b.plot(cs, softmax(X)[:, -1], color="C2", linewidth=5, alpha=0.5, label=tr(".softmax.plot.stable"))
        b.plot(cs, _naive_softmax(X)[:, -1], color="C3", linewidth=1.5, label=tr(".softmax.plot.naive"))
        b.axvspan(cs[0], limits[3][1] - 5, color="blue", alpha=0.1)  # every c + k underflows
        b.axvspan(limits[1][1] - 5, cs[-1], color="red", alpha=0.1)  # c + 5 overflows
        b.set_ylim(0, 1)
        b.set_xlabel("c")
        b.set_ylabel(tr(".softmax.plot.ylabel"))
        b.set_title(tr(".softmax.plot.nan_title"), fontsize="medium")
        b.legend(loc="center", fontsize="small")
        fig.tight_layout()
        return fig

    return Section(
        "softmax", tr(".softmax.title"), tr(".softmax.text"),
        [Table(tr(".softmax.table.equal"), [tr(".softmax.col.input"), tr(".softmax.col.naive"), "descend.softmax"],
               rows, ["text", "value", "value"]),
         Table(tr(".softmax.table.limits"), [tr("col.what"), tr("col.value")], limits, ["text", "exact"]),
         Table(tr(".softmax.table.lse"), ["c", tr(".softmax.col.naive_lse"), "descend.logsumexp"],
               [(c, _naive_lse(c), float(logsumexp(np.array([c, c])))) for c in (-1000.0, 0.0, 1000.0)],
               ["value", "exact", "exact"])],
        [Picture(tr(".softmax.caption", value=f"{stable_top:.3f}"), draw)],
        rule=RULES["softmax"], lang=lang,
    )


def _naive_lse(c):
    with np.errstate(all="ignore"):  # the point: the naive formula overflows
        return float(np.log(np.exp(c) + np.exp(c)))


# ------------------------------------------------------------------------------------------ 2

#: the part of the kappa = 10 bowl the runs from (10, 1) visit, drawn to scale
KAPPA10_WINDOW = ((-1.5, 11.0), (-3.0, 3.0))

def conditioning_section(lang: str = "en") -> Section:
    tr = translator(lang)
    mats = {
        "[[1,0,-1],[0,1,0],[1,0,1]]": np.array([[1, 0, -1], [0, 1, 0], [1, 0, 1]]),
        "diag(1, 10, 100)": np.diag([1, 10, 100]),
    }
    rows = [(name, condition_number(A)) for name, A in mats.items()]
    runs, results = [], []
    for kappa in (1.0, 10.0, 100.0):
        p = problems.get("ill_conditioned", kappa=kappa)
        lr = 1.0 / kappa  # the stable step 2/L halved: L = kappa for eigenvalues 1..kappa
        r = minimize(p, p.x0, lr=lr, steps=5000, gtol=1e-6)
        runs.append((kappa, lr, r.nit, r.fun, r.status))
        results.append(r)
    p10 = problems.get("ill_conditioned", kappa=10.0)
    zig = [minimize(p10, p10.x0, lr=lr, steps=40) for lr in (0.1, 0.19)]

    def draw():
        from .. import plot

        fig, ax = figure(2)
        plot.trajectories(p10, zig, ax=ax[0, 0], labels=[tr(".conditioning.plot.lr1"), tr(".conditioning.plot.lr19")],
                          window=KAPPA10_WINDOW, legend="lower right", title=tr(".conditioning.plot.zig_title"))
        ax[0, 0].set_aspect("equal")  # the lesson is the shape: a round-looking valley would hide it
        plot.loss_curves(results, ax=ax[0, 1],
                         labels=[tr(".conditioning.plot.curve", kappa=f"{k:g}", lr=f"{1 / k:g}") for k in (1, 10, 100)],
                         log=True, title=tr(".conditioning.plot.curves_title"))
        fig.tight_layout()
        return fig

    return Section(
        "conditioning", tr(".conditioning.title"), tr(".conditioning.text"),
        [Table(tr(".conditioning.table.numbers"), [tr(".conditioning.col.matrix"), tr(".conditioning.col.kappa")],
               rows, ["text", "exact"]),
         Table(tr(".conditioning.table.runs"),
               ["kappa", tr("col.lr"), tr("col.nit"), tr(".conditioning.col.final_f"), tr("col.status")], runs,
               ["value", "lr", "count", "loss", "status"])],
        [Picture(tr(".conditioning.caption"), draw)],
        rule=RULES["conditioning"], lang=lang,
    )
