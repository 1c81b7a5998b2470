"""Sections 3 to 6 of the tour: numerical derivatives, the gradient field, gradient descent's learning rate and
the least-squares stop with an exact line search."""

from __future__ import annotations

import numpy as np

from .. import i18n, problems
from ..diff import default_step, derivative, diff_error, gradient
from ..minimize import minimize
from .numerics import KAPPA10_WINDOW
from .section import RULES, Picture, Section, Table, figure, translator


# ------------------------------------------------------------------------------------------ 3

def differentiation_section(lang: str = "en") -> Section:
    tr = translator(lang)

    def method(name):
        return tr(f".differentiation.method.{name}") if i18n.has(f"tour.differentiation.method.{name}") else name

    rows = [(method("central"), h, derivative(np.exp, 0.0, h=h)) for h in (1e-3, 1e-4)]
    rows.append((method("forward"), 5e-4, derivative(np.exp, 0.0, method="forward", h=5e-4)))
    for name in ("central", "complex"):
        rows.append((tr(".differentiation.method.auto", method=method(name)), float(default_step(name, 0.0)),
                     derivative(np.exp, 0.0, method=name)))
    de = diff_error(np.exp, 0.0, 1.0)
    best = [(method(m), de.best_h[m], de.best_error[m]) for m in de.errors]
    poly = problems.get("poly1d")

    def draw():
        from .. import plot

        fig, ax = figure(2)
        plot.function(poly, tangent_at=5.0, ax=ax[0, 0], label=tr(".differentiation.plot.f"))
        ax[0, 0].set_title(tr(".differentiation.plot.tangent_title"), fontsize="medium")
        plot.diff_error(de, ax=ax[0, 1], title=tr(".differentiation.plot.error_title"))
        fig.tight_layout()
        return fig

    return Section(
        "differentiation", tr(".differentiation.title"), tr(".differentiation.text"),
        [Table(tr(".differentiation.table.estimates"),
               [tr(".differentiation.col.method"), tr(".differentiation.col.h"), tr(".differentiation.col.estimate")],
               rows, ["text", "value", "exact"]),
         Table(tr(".differentiation.table.best"),
               [tr(".differentiation.col.method"), tr(".differentiation.col.best_h"), tr(".differentiation.col.error")],
               best, ["text", "lr", "lr"])],
        [Picture(tr(".differentiation.caption"), draw)],
        rule=RULES["differentiation"], lang=lang,
    )


# ------------------------------------------------------------------------------------------ 4

def gradient_field_section(lang: str = "en") -> Section:
    tr = translator(lang)

    def function_2(x):
        return np.sum(x ** 2)

    rows = []
    for point in ([3.0, 4.0], [0.0, 2.0], [3.0, 0.0]):
        x = np.array(point)
        rows.append((x, gradient(function_2, x, h=1e-4), 2.0 * x))
    # seed 001 fixes the other coordinate at 0 ("it is a constant, any value gives the same result"):
    # in exact arithmetic yes, in floating point the last digits move, as the 4^2 rows show
    seed = lambda what: tr(".gradient_field.partial.seed", what=what)  # noqa: E731
    partials = [(seed("df/dx0 (x0 = 3), x0^2 + 0^2"), derivative(lambda x0: x0 ** 2 + 0 ** 2, 3.0, h=1e-4)),
                ("df/dx0 (x0 = 3), x0^2 + 4^2", derivative(lambda x0: x0 ** 2 + 4.0 ** 2, 3.0, h=1e-4)),
                (seed("df/dx1 (x1 = 4), 0^2 + x1^2"), derivative(lambda x1: 0 ** 2 + x1 ** 2, 4.0, h=1e-4)),
                ("df/dx1 (x1 = 4), 3^2 + x1^2", derivative(lambda x1: 3.0 ** 2 + x1 ** 2, 4.0, h=1e-4))]
    himmelblau = problems.get("himmelblau")

    def draw():
        from .. import plot

        fig, ax = figure(2)
        plot.gradient_field(function_2, ((-2.0, 2.25), (-2.0, 2.25)), density=18, contours=False, ax=ax[0, 0])
        ax[0, 0].set_xlim(-2, 2)
        ax[0, 0].set_ylim(-2, 2)
        ax[0, 0].set_title(tr(".gradient_field.plot.quiver_title"), fontsize="medium")
        plot.gradient_field(himmelblau, density=21, normalize=True, ax=ax[0, 1])
        plot._base.draw_minimizers(ax[0, 1], himmelblau)
        ax[0, 1].set_title(tr(".gradient_field.plot.himmelblau_title"), fontsize="medium")
        fig.tight_layout()
        return fig

    return Section(
        "gradient_field", tr(".gradient_field.title"), tr(".gradient_field.text"),
        [Table(tr(".gradient_field.table.gradient"),
               [tr(".gradient_field.col.point"), tr(".gradient_field.col.central"), tr(".gradient_field.col.exact")],
               rows, ["value", "exact", "value"]),
         Table(tr(".gradient_field.table.partials"), [tr(".gradient_field.col.what"), tr(".gradient_field.col.partial")],
               partials, ["text", "exact"])],
        [Picture(tr(".gradient_field.caption"), draw)],
        rule=RULES["gradient_field"], lang=lang,
    )


# ------------------------------------------------------------------------------------------ 5

def step_factors(result) -> tuple[float, float]:
    """(x_1 / x_0, f_1 / f_0): what one step of a run multiplies x (first coordinate) and f by.

    On the sphere ``x0^2 + x1^2`` gradient descent multiplies x by ``1 - 2 lr`` at every step and
    f by ``(1 - 2 lr)^2``; the section's text quotes these, measured from the run.
    """
    h = result.history
    return float(h.x[1][0] / h.x[0][0]), float(h.f[1] / h.f[0])


def gradient_descent_section(lang: str = "en") -> Section:
    tr = translator(lang)
    p = problems.get("sphere")
    rows, runs, factors = [], [], {}
    for lr, verdict in ((0.1, "right"), (0.01, "too small"), (1.0, "too large")):
        r = minimize(p, np.array([-3.0, 4.0]), lr=lr, steps=20)
        rows.append((lr, tr(f".gradient_descent.verdict.{verdict}"), r.x, r.fun, r.status))
        runs.append((lr, verdict, r))
        factors[lr] = step_factors(r)
    para = problems.get("parabola")
    seed2 = []
    for lr, steps in ((0.01, 500), (0.001, 5000), (0.999, 5000), (1e-9, 100), (10.0, 100)):
        r = minimize(para, np.array([-3.0]), lr=lr, steps=steps)
        seed2.append((lr, steps, float(r.x[0]), r.status))
    lrs = np.geomspace(1e-9, 10.0, 31)
    sweep = minimize(para, np.full((lrs.size, 1), -3.0), lr=lrs, steps=100)

    def draw():
        from .. import plot

        fig, ax = figure(4, width=4.0, height=4.2)
        for a, (lr, verdict, r) in zip(ax[0], runs):
            plot.trajectories(p, r, ax=a, legend=False, title=tr(".gradient_descent.plot.run_title", lr=f"{lr:g}",
                                                                 verdict=tr(f".gradient_descent.verdict.{verdict}")))
            a.axhline(0, color="b", linestyle="--", linewidth=0.8)
            a.axvline(0, color="b", linestyle="--", linewidth=0.8)
        plot.lr_sweep(sweep, problem=para, ax=ax[0, 3], title=tr(".gradient_descent.plot.sweep_title"))
        fig.tight_layout()
        return fig

    fx = {lr: f"{factors[lr][0]:.4g}" for lr in factors}
    ff = {lr: f"{factors[lr][1]:.4g}" for lr in factors}
    cols = [tr("col.lr"), tr(".gradient_descent.col.verdict"), "x", "f", tr("col.status")]
    return Section(
        "gradient_descent", tr(".gradient_descent.title"),
        tr(".gradient_descent.text", x1=fx[0.1], f1=ff[0.1], x2=fx[0.01], f2=ff[0.01], x3=fx[1.0]),
        [Table(tr(".gradient_descent.table.sphere"), cols, rows, ["lr", "text", "value", "value", "status"]),
         Table(tr(".gradient_descent.table.parabola"), [tr("col.lr"), tr("col.nit"), "x", tr("col.status")], seed2,
               ["lr", "count", "value", "status"])],
        [Picture(tr(".gradient_descent.caption"), draw)],
        rule=RULES["gradient_descent"], lang=lang,
    )


# ------------------------------------------------------------------------------------------ 6

def least_squares_section(lang: str = "en") -> Section:
    tr = translator(lang)
    p = problems.get("least_squares")
    r = minimize(p, lr=0.01, steps=10_000, gtol=0.01)
    rows = [(tr(".line_search.method.gd"), r.nit, r.history.x[-2], r.x, r.status)]
    results, labels = [r], [tr(".line_search.method.gd")]
    for method in ("backtracking", "exact"):
        q = minimize(p, steps=10_000, gtol=0.01, line_search=method)
        rows.append((tr(f".line_search.method.{method}"), q.nit, q.history.x[-2] if q.nit else q.x, q.x, q.status))
        results.append(q)
        labels.append(tr(f".line_search.method.{method}"))
    ill = problems.get("ill_conditioned", kappa=10.0)
    zig = minimize(ill, steps=100, gtol=1e-6, line_search="exact")
    rows.append((tr(".line_search.method.zigzag"), zig.nit, zig.history.x[-2], zig.x, zig.status))

    def draw():
        from .. import plot

        fig, ax = figure(3, width=4.6)
        plot.trajectories(p, results, ax=ax[0, 0], labels=labels, title=tr(".line_search.plot.bowl_title"))
        ax[0, 0].set_aspect("equal")
        a = ax[0, 1]
        for r_, label in zip(results, labels):
            plot._base.tag(a.semilogy(np.arange(len(r_.history.grad_norm)), r_.history.grad_norm, marker=".",
                                      label=label)[0], "grad_norm")
        a.axhline(0.01, color="red", linestyle="--", linewidth=1, label=tr(".line_search.plot.tolerance"))
        a.set_xlabel(tr("col.step"))
        a.set_ylabel(r"$\|\nabla f\|$")
        a.set_title(tr(".line_search.plot.stop_title"), fontsize="medium")
        a.legend(fontsize="small")
        plot.trajectories(ill, zig, ax=ax[0, 2], labels=[tr(".line_search.plot.exact")], window=KAPPA10_WINDOW,
                          legend="lower right", title=tr(".line_search.plot.zig_title"))
        ax[0, 2].set_aspect("equal")  # equal scales: the zigzag's right angles look right-angled
        fig.tight_layout()
        return fig

    return Section(
        "line_search", tr(".line_search.title"),
        tr(".line_search.text", nit=r.nit, x=f"{r.history.x[-2][0]:.9g}"),
        [Table(tr(".line_search.table"), [tr(".differentiation.col.method"), tr("col.nit"),
                                          tr(".line_search.col.last_x"), tr(".line_search.col.final_x"),
                                          tr("col.status")], rows, ["text", "count", "exact", "value", "status"])],
        [Picture(tr(".line_search.caption"), draw)],
        rule=RULES["line_search"], lang=lang,
    )
