"""Section 10 of the tour, beyond the gradient: Newton against gradient descent, the saddle, the
second-derivative test and a constrained path along the ball with its KKT multiplier."""

from __future__ import annotations

import numpy as np

from .. import problems
from ..minimize import minimize
from .section import RULES, Picture, Section, Table, figure, translator


# ------------------------------------------------------------------------------------------ 10

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


def second_order_section(lang: str = "en") -> Section:
    from ..constraints import least_squares_three_ways

    tr = translator(lang)
    runs = _newton_against_gd()
    saddle = problems.saddle()
    s_newton = minimize(saddle, method="newton", steps=10, gtol=1e-12)
    s_gd = minimize(saddle, lr=0.1, steps=20)
    from ..critical import critical_point

    s_kinds = [critical_point(saddle, r.x).kind for r in (s_newton, s_gd)]
    camel, points = six_hump_critical_points()
    count = {k: sum(c.kind == k for c in points) for k in ("minimum", "saddle", "maximum")}
    ls, proj, book, kkt_end = _constrained_run()
    three = least_squares_three_ways(_LS_A, _LS_B, radius=1.0)
    agree = max(float(np.max(np.abs(three[k] - three["pinv"]))) for k in ("gradient_descent", "newton"))
    agree_c = float(np.max(np.abs(three["projected"] - three["constrained"])))

    def kind(k):
        return tr(f".second_order.kind.{k.replace(' ', '_')}")

    newton, gd = tr(".second_order.method.newton"), tr(".second_order.method.gd")
    race = []
    for name, (p, n, g, lr) in runs.items():
        race.append((name, newton, n.nit, _distance(n, p), n.status))
        race.append((name, tr(".second_order.method.gd_lr", lr=f"{lr:g}"), g.nit, _distance(g, p), g.status))
    saddle_rows = [(newton, s_newton.nit, s_newton.x, s_newton.fun, kind(s_kinds[0])),
                   (gd, s_gd.nit, s_gd.x, s_gd.fun, kind(s_kinds[1]))]
    camel_rows = [(c.x, c.fun, c.eigenvalues, kind(c.kind)) for c in points]
    ls_rows = [(tr(f".second_order.ls.{k}"), three[k], float(three[k] @ three[k]),
                float(np.max(np.abs(three[k] - three["constrained" if k in ("constrained", "projected") else "pinv"]))))
               for k in ("gradient_descent", "newton", "pinv", "constrained", "projected")]

    def draw_newton():
        from .. import plot

        fig, ax = figure(3, width=4.6, height=4.4)
        for a, (name, (p, n, g, lr)) in zip(ax[0], runs.items()):
            plot.trajectories(p, [g, n], ax=a, labels=[gd, newton], markers=name == "elongated_bowl", legend=False,
                              title=tr(".second_order.plot.paths_title", name=name))
        c = ax[0, 2]
        for k, (name, (p, n, g, lr)) in enumerate(runs.items()):
            plot.convergence([g, n], ax=c, target=p.minimizers[0], labels=[f"{name}: {gd}", f"{name}: {newton}"],
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

    def draw_saddle():
        from .. import plot

        fig, ax = figure(2, width=5.6, height=4.6)
        plot.trajectories(saddle, [s_gd, s_newton], ax=ax[0, 0], labels=[gd, newton], legend=False,
                          title=tr(".second_order.plot.saddle_title"))
        labels = {k: kind(k) for k in plot.second_order.KIND_MARKERS}
        plot.critical_points(saddle, [critical_point(saddle, np.zeros(2))], ax=ax[0, 0], labels=labels,
                             contour=False, legend="lower left")
        ax[0, 0].set_aspect("equal")
        plot.critical_points(camel, points, ax=ax[0, 1], labels=labels, legend=False,
                             title=tr(".second_order.plot.camel_title", n=len(points)))
        handles, names = ax[0, 1].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize="small", frameon=False,
                   bbox_to_anchor=(0.75, 0.0))
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        return fig

    def draw_constrained():
        from .. import plot

        fig, ax = figure(2, width=5.0, height=4.6)
        plot.constrained_path(ls, proj, 1.0, ax=ax[0, 0], label=tr(".second_order.plot.projected"),
                              window=((-1.5, 5.0), (-1.5, 2.6)), legend="lower right",
                              title=tr(".second_order.plot.ball_title"))
        a = ax[0, 1]
        plot._base.tag(a.plot(np.arange(book.lam_history.size), book.lam_history, marker="o",
                              label=tr(".second_order.plot.lambda"))[0], "lambda")
        a.axhline(kkt_end.lam[0], color="red", linestyle="--", linewidth=1, label=tr(".second_order.plot.kkt_lambda"))
        a.set_xlabel(tr("col.step"))
        a.set_ylabel(r"$\lambda$")
        a.set_title(tr(".second_order.plot.lambda_title"), fontsize="medium")
        a.legend(fontsize="small", loc="lower right")
        fig.tight_layout()
        return fig

    bowl, rosen = runs["elongated_bowl"], runs["rosenbrock"]
    text = tr(".second_order.text", bowl_newton=bowl[1].nit, bowl_gd=bowl[2].nit, rosen_newton=rosen[1].nit,
              rosen_gd=rosen[2].nit, rosen_gd_dist=f"{_distance(rosen[2], rosen[0]):.3g}",
              saddle_newton=s_newton.nit, saddle_gd=s_gd.nit, saddle_gd_y=f"{abs(s_gd.x[1]):.3g}",
              n_points=len(points), n_min=count["minimum"], n_saddle=count["saddle"], n_max=count["maximum"],
              slide=proj.nit, x=f"({proj.x[0]:.3f}, {proj.x[1]:.3f})",
              lam=f"{kkt_end.lam[0]:.3g}", agree=f"{agree:.1e}", agree_c=f"{agree_c:.1e}")
    method_col = tr(".differentiation.col.method")
    return Section(
        "second_order", tr(".second_order.title"), text,
        [Table(tr(".second_order.table.race"), [tr("col.problem"), method_col, tr("col.nit"), tr("col.distance"),
                                                tr("col.status")], race, ["text", "text", "count", "value", "status"]),
         Table(tr(".second_order.table.saddle"), [method_col, tr("col.nit"), tr(".second_order.col.end"), "f",
                                                  tr(".second_order.col.test")], saddle_rows,
               ["text", "count", "value", "value", "text"]),
         Table(tr(".second_order.table.camel", n=len(points)), [tr(".second_order.col.point"), "f",
                                                                tr(".second_order.col.eigenvalues"),
                                                                tr(".second_order.col.kind")], camel_rows,
               ["value", "value", "value", "text"]),
         Table(tr(".second_order.table.least_squares"), [method_col, "x", "x'x", tr(".second_order.col.differs")],
               ls_rows, ["text", "value", "value", "lr"])],
        [Picture(tr(".second_order.caption.newton"), draw_newton),
         Picture(tr(".second_order.caption.saddle"), draw_saddle),
         Picture(tr(".second_order.caption.constrained", lam=f"{kkt_end.lam[0]:.3g}"), draw_constrained)],
        rule=RULES["second_order"], lang=lang,
    )
