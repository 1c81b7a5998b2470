"""Section 10 of the tour, beyond the gradient: Newton against gradient descent, the saddle, the
second-derivative test and a constrained path along the ball with its KKT multiplier."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import problems
from ..minimize import minimize
from .section import RULES, Picture, Section, Table, figure, translator


#: Goodfellow 4.5's example in two variables: min |Ax - b|^2 / 2 subject to x'x <= 1, whose
#: unconstrained minimizer (4.5, 2.25) lies far outside the unit ball, so that a run started on the
#: ball's edge at (-1, 0) slides along it all the way
_LS_A = np.array([[1.0, 0.0], [0.0, 2.0]])
_LS_B = np.array([4.5, 4.5])
#: gradient descent's budget on Rosenbrock (lr 0.001, the race's): Newton needs a handful of steps
_ROSENBROCK_GD_STEPS = 2000


def _distance(result, problem) -> float:
    return float(np.min(np.linalg.norm(problem.minimizers - np.asarray(result.x), axis=1)))


def _newton_against_gd():
    """Pure Newton and plain gradient descent from the same start on the bowl and on Rosenbrock."""
    runs = {}
    for name, lr, steps in (("elongated_bowl", 0.5, 5000), ("rosenbrock", 1e-3, _ROSENBROCK_GD_STEPS)):
        p = problems.get(name)
        runs[name] = (p, minimize(p, method="newton", steps=100, gtol=1e-6),
                      minimize(p, lr=lr, steps=steps, gtol=1e-6), lr)
    return runs


def six_hump_critical_points():
    """Every critical point of the six-hump camel in its window, classified: pure Newton from a
    9 x 7 grid of starts as one batched run (Newton goes to critical points of every kind), the
    distinct end points, then :func:`descend.critical_point` at each, sorted by x then y."""
    from ..critical import critical_point

    p = problems.get("six_hump_camel")
    w = np.asarray(p.window, dtype=float)
    X0 = np.array([[a, b] for a in np.linspace(*w[0], 9) for b in np.linspace(*w[1], 7)])
    r = minimize(p, X0, method="newton", steps=50, gtol=1e-10, history=False)
    found = []
    for x, status in zip(r.x, np.atleast_1d(r.status)):
        inside = np.all((x >= w[:, 0]) & (x <= w[:, 1]))
        if status == "converged" and inside and all(np.linalg.norm(x - q) > 1e-6 for q in found):
            found.append(x)
    found.sort(key=lambda q: (round(float(q[0]), 6), float(q[1])))
    return p, [critical_point(p, q) for q in found]


def _constrained_run():
    """Projected gradient descent on the ball from (-1, 0), the unconstrained run, the book's
    Lagrange-multiplier solution and the KKT residuals at the end point."""
    from ..constraints import Ball, constrained_least_squares, kkt

    p = problems.get("least_squares", A=_LS_A, b=_LS_B)
    start = np.array([-1.0, 0.0])
    ball = Ball(1.0)
    r = minimize(p, start, lr=0.1, steps=500, gtol=1e-13, constraint=ball)
    book = constrained_least_squares(_LS_A, _LS_B, 1.0)
    return p, r, book, kkt(p, r.x, ball)


@dataclass
class _Numbers:
    """Every run and number section 10 shows, computed once (its tables, text and pictures read them)."""

    runs: dict
    saddle: object
    s_newton: object
    s_gd: object
    s_kinds: list
    camel: object
    points: list
    ls: object
    proj: object
    book: object
    kkt_end: object
    three: dict

    @property
    def count(self) -> dict:
        return {k: sum(c.kind == k for c in self.points) for k in ("minimum", "saddle", "maximum")}

    @property
    def agree(self) -> float:
        return max(float(np.max(np.abs(self.three[k] - self.three["pinv"]))) for k in ("gradient_descent", "newton"))

    @property
    def agree_c(self) -> float:
        return float(np.max(np.abs(self.three["projected"] - self.three["constrained"])))


def _compute() -> _Numbers:
    """Run everything: Newton against GD, the saddle, the camel's critical points, the ball."""
    from ..constraints import least_squares_three_ways
    from ..critical import critical_point

    runs = _newton_against_gd()
    saddle = problems.saddle()
    s_newton = minimize(saddle, method="newton", steps=10, gtol=1e-12)
    s_gd = minimize(saddle, lr=0.1, steps=20)
    s_kinds = [critical_point(saddle, r.x).kind for r in (s_newton, s_gd)]
    camel, points = six_hump_critical_points()
    ls, proj, book, kkt_end = _constrained_run()
    three = least_squares_three_ways(_LS_A, _LS_B, radius=1.0)
    return _Numbers(runs, saddle, s_newton, s_gd, s_kinds, camel, points, ls, proj, book, kkt_end, three)


def _words(tr):
    """The section's recurring words in its language: the two methods and a critical point's kind."""
    def kind(k):
        return tr(f".second_order.kind.{k.replace(' ', '_')}")
    return tr(".second_order.method.newton"), tr(".second_order.method.gd"), kind


def _text(n: _Numbers, tr) -> str:
    bowl, rosen = n.runs["elongated_bowl"], n.runs["rosenbrock"]
    count = n.count
    return tr(".second_order.text", bowl_newton=bowl[1].nit, bowl_gd=bowl[2].nit, rosen_newton=rosen[1].nit,
              rosen_gd=rosen[2].nit, rosen_gd_dist=f"{_distance(rosen[2], rosen[0]):.3g}",
              saddle_newton=n.s_newton.nit, saddle_gd=n.s_gd.nit, saddle_gd_y=f"{abs(n.s_gd.x[1]):.3g}",
              n_points=len(n.points), n_min=count["minimum"], n_saddle=count["saddle"], n_max=count["maximum"],
              slide=n.proj.nit, x=f"({n.proj.x[0]:.3f}, {n.proj.x[1]:.3f})",
              lam=f"{n.kkt_end.lam[0]:.3g}", agree=f"{n.agree:.1e}", agree_c=f"{n.agree_c:.1e}")


def _tables(n: _Numbers, tr) -> list:
    newton, gd, kind = _words(tr)
    race = []
    for name, (p, nr, g, lr) in n.runs.items():
        race.append((name, newton, nr.nit, _distance(nr, p), nr.status))
        race.append((name, tr(".second_order.method.gd_lr", lr=f"{lr:g}"), g.nit, _distance(g, p), g.status))
    saddle_rows = [(newton, n.s_newton.nit, n.s_newton.x, n.s_newton.fun, kind(n.s_kinds[0])),
                   (gd, n.s_gd.nit, n.s_gd.x, n.s_gd.fun, kind(n.s_kinds[1]))]
    camel_rows = [(c.x, c.fun, c.eigenvalues, kind(c.kind)) for c in n.points]
    three = n.three
    ls_rows = [(tr(f".second_order.ls.{k}"), three[k], float(three[k] @ three[k]),
                float(np.max(np.abs(three[k] - three["constrained" if k in ("constrained", "projected") else "pinv"]))))
               for k in ("gradient_descent", "newton", "pinv", "constrained", "projected")]
    method_col = tr(".differentiation.col.method")
    race_cols = [tr("col.problem"), method_col, tr("col.nit"), tr("col.distance"), tr("col.status")]
    return [Table(tr(".second_order.table.race"), race_cols, race, ["text", "text", "count", "value", "status"]),
            Table(tr(".second_order.table.saddle"), [method_col, tr("col.nit"), tr(".second_order.col.end"), "f",
                                                     tr(".second_order.col.test")], saddle_rows,
                  ["text", "count", "value", "value", "text"]),
            Table(tr(".second_order.table.camel", n=len(n.points)), [tr(".second_order.col.point"), "f",
                                                                     tr(".second_order.col.eigenvalues"),
                                                                     tr(".second_order.col.kind")], camel_rows,
                  ["value", "value", "value", "text"]),
            Table(tr(".second_order.table.least_squares"), [method_col, "x", "x'x", tr(".second_order.col.differs")],
                  ls_rows, ["text", "value", "value", "lr"])]


def _draw_newton(n: _Numbers, tr):
    from .. import plot

    newton, gd, _ = _words(tr)
    fig, ax = figure(3, width=4.6, height=4.4)
    for a, (name, (p, nr, g, lr)) in zip(ax[0], n.runs.items()):
        plot.trajectories(p, [g, nr], ax=a, labels=[gd, newton], markers=name == "elongated_bowl", legend=False,
                          title=tr(".second_order.plot.paths_title", name=name))
    c = ax[0, 2]
    for k, (name, (p, nr, g, lr)) in enumerate(n.runs.items()):
        plot.convergence([g, nr], ax=c, target=p.minimizers[0], labels=[f"{name}: {gd}", f"{name}: {newton}"],
                         title=tr(".second_order.plot.convergence_title"))
        if k:  # the same colours as the paths, dashed for the second problem
            for line in c.get_lines()[-2:]:
                line.set_linestyle("--")
    c.legend(fontsize="small", loc="lower left")
    # one legend for the paths, below them: inside, it covered the paths' ends
    handles, labels = ax[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize="small", frameon=False,
               bbox_to_anchor=(0.35, 0.0))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _draw_saddle(n: _Numbers, tr):
    from .. import plot
    from ..critical import critical_point

    newton, gd, kind = _words(tr)
    fig, ax = figure(2, width=5.6, height=4.6)
    plot.trajectories(n.saddle, [n.s_gd, n.s_newton], ax=ax[0, 0], labels=[gd, newton], legend=False,
                      title=tr(".second_order.plot.saddle_title"))
    labels = {k: kind(k) for k in plot.second_order.KIND_MARKERS}
    plot.critical_points(n.saddle, [critical_point(n.saddle, np.zeros(2))], ax=ax[0, 0], labels=labels,
                         contour=False, legend="lower left")
    ax[0, 0].set_aspect("equal")
    plot.critical_points(n.camel, n.points, ax=ax[0, 1], labels=labels, legend=False,
                         title=tr(".second_order.plot.camel_title", n=len(n.points)))
    handles, names = ax[0, 1].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize="small", frameon=False,
               bbox_to_anchor=(0.75, 0.0))
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def _draw_constrained(n: _Numbers, tr):
    from .. import plot

    fig, ax = figure(2, width=5.0, height=4.6)
    plot.constrained_path(n.ls, n.proj, 1.0, ax=ax[0, 0], label=tr(".second_order.plot.projected"),
                          window=((-1.5, 5.0), (-1.5, 2.6)), legend="lower right",
                          title=tr(".second_order.plot.ball_title"))
    a = ax[0, 1]
    lam = n.book.lam_history
    plot._base.tag(a.plot(np.arange(lam.size), lam, marker="o", label=tr(".second_order.plot.lambda"))[0], "lambda")
    a.axhline(n.kkt_end.lam[0], color="red", linestyle="--", linewidth=1, label=tr(".second_order.plot.kkt_lambda"))
    a.set_xlabel(tr("col.step"))
    a.set_ylabel(r"$\lambda$")
    a.set_title(tr(".second_order.plot.lambda_title"), fontsize="medium")
    a.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig


def second_order_section(lang: str = "en") -> Section:
    """Section 10, in phases: compute every run, then the text, the tables and the pictures from them."""
    tr = translator(lang)
    n = _compute()
    pictures = [Picture(tr(".second_order.caption.newton"), partial(_draw_newton, n, tr)),
                Picture(tr(".second_order.caption.saddle"), partial(_draw_saddle, n, tr)),
                Picture(tr(".second_order.caption.constrained", lam=f"{n.kkt_end.lam[0]:.3g}"),
                        partial(_draw_constrained, n, tr))]
    return Section("second_order", tr(".second_order.title"), _text(n, tr), _tables(n, tr), pictures,
                   rule=RULES["second_order"], lang=lang)
