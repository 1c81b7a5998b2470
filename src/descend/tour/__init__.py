"""The seeds' tour as data: each section has a title, a plain explanation, its update rule, tables and pictures.

``descend demo`` prints the sections' tables; :func:`descend.report.build` draws their
pictures too and writes the demo page.  Every number here is computed by descend when
the tour runs, nothing is typed in.  Building the sections needs NumPy only: a
:class:`Picture` holds a function that imports matplotlib when it is called.

Every sentence, title, column header and plot label comes from the one catalogue,
:mod:`descend.i18n`, in the language asked for (``sections(lang="ja")``); a table's
columns carry a kind (:mod:`descend.fmt`) that says how its numbers are shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import i18n, problems
from ..diff import default_step, derivative, diff_error, gradient
from ..minimize import minimize
from ..numerics import condition_number, logsumexp, softmax

__all__ = ["Table", "Picture", "Section", "sections", "SECTIONS", "RULES", "step_factors"]


@dataclass
class Table:
    """A table of a section: a title, column names, rows of values (numbers, arrays, text) and,
    optionally, each column's kind for :func:`descend.fmt.cell` (None: by the value's type)."""

    title: str
    columns: list
    rows: list
    kinds: list | None = None

    def kind(self, j: int) -> str | None:
        """The kind of column ``j`` (None when the table gives none)."""
        return None if self.kinds is None else self.kinds[j]


@dataclass
class Picture:
    """A picture of a section: ``draw()`` returns a matplotlib Figure (kind "png"), or,
    for kind "gif", ``draw(path)`` writes an animation there and returns the path."""

    caption: str
    draw: Callable
    kind: str = "png"


@dataclass
class Section:
    """One step of the tour: a key, a title, a plain explanation, its tables and its pictures,
    the update rule or formula it is about (LaTeX, :data:`RULES`) and the language of its text."""

    key: str
    title: str
    text: str
    tables: list = field(default_factory=list)
    pictures: list = field(default_factory=list)
    rule: str = ""
    lang: str = "en"


#: each section's formula in LaTeX (the same in every language): the page renders it as MathML
RULES = {
    "softmax": r"\mathrm{softmax}(x)_i = \frac{e^{x_i - \max_j x_j}}{\sum_k e^{x_k - \max_j x_j}}",
    "conditioning": r"\kappa(A) = \frac{\sigma_{\max}(A)}{\sigma_{\min}(A)}, \qquad \eta < \frac{2}{L}",
    "differentiation": r"f'(x) \approx \frac{f(x+h) - f(x-h)}{2h}",
    "gradient_field": r"\nabla f(x) = \left(\frac{\partial f}{\partial x_0}, \frac{\partial f}{\partial x_1}\right)",
    "gradient_descent": r"x \leftarrow x - \eta \nabla f(x)",
    "line_search": r"\eta_k = \mathrm{arg\,min}_{\eta > 0} f(x_k - \eta \nabla f(x_k)), \qquad "
                   r"\|\nabla f(x)\| \le \varepsilon",
    "optimizer_race": r"m \leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, "
                      r"\quad x \leftarrow x - \eta \frac{\hat m}{\sqrt{\hat v} + \epsilon}",
    "training": r"W \leftarrow W - \eta \frac{1}{|B|} \sum_{i \in B} \nabla_W L_i(W)",
    "multistart": r"x^\ast = \mathrm{arg\,min}_{r = 1, \dots, R} f\left(\mathrm{GD}(x_0^{(r)})\right)",
    "second_order": r"x \leftarrow x - H^{-1} \nabla f(x), \quad \nabla f + 2 \lambda x = 0, \ "
                    r"\lambda (x^\top x - 1) = 0",
}


def _t(lang):
    """``tr(key, **fields)`` for one language; keys are relative to ``tour.`` when they start with a dot."""
    def tr(key, **fields):
        return i18n.t(f"tour{key}" if key.startswith(".") else key, lang, **fields)
    return tr


def _pyplot():
    from ..plot import _base

    return _base.pyplot()


def _figure(ncols: int = 2, nrows: int = 1, *, width: float = 5.2, height: float = 4.2, **kwargs):
    plt = _pyplot()
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kwargs)


# ------------------------------------------------------------------------------------------ 1

def _naive_softmax(x):
    with np.errstate(all="ignore"):  # the point of the section: this overflows / divides 0 by 0
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)


def softmax_section(lang: str = "en") -> Section:
    tr = _t(lang)
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
        fig, ax = _figure(2)
        a, b = ax[0]
        xs = np.linspace(-800, 800, 1601)
        with np.errstate(all="ignore"):
            ex = np.exp(xs)
        shown = np.where(np.isfinite(ex) & (ex > 0), ex, np.nan)
        a.set_yscale("log")
        # fixed limits and ticks: autoscaling's margin and the log locator's next decade would overflow
        a.set_ylim(1e-320, 1e308)
        a.set_yticks([10.0 ** k for k in range(-300, 301, 100)])
        a.yaxis.set_minor_locator(_pyplot().NullLocator())
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
_KAPPA10_WINDOW = ((-1.5, 11.0), (-3.0, 3.0))

def conditioning_section(lang: str = "en") -> Section:
    tr = _t(lang)
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

        fig, ax = _figure(2)
        plot.trajectories(p10, zig, ax=ax[0, 0], labels=[tr(".conditioning.plot.lr1"), tr(".conditioning.plot.lr19")],
                          window=_KAPPA10_WINDOW, legend="lower right", title=tr(".conditioning.plot.zig_title"))
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


# ------------------------------------------------------------------------------------------ 3

def differentiation_section(lang: str = "en") -> Section:
    tr = _t(lang)

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

        fig, ax = _figure(2)
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
    tr = _t(lang)

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

        fig, ax = _figure(2)
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
    tr = _t(lang)
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

        fig, ax = _figure(4, width=4.0, height=4.2)
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
    tr = _t(lang)
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

        fig, ax = _figure(3, width=4.6)
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
        plot.trajectories(ill, zig, ax=ax[0, 2], labels=[tr(".line_search.plot.exact")], window=_KAPPA10_WINDOW,
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


# ------------------------------------------------------------------------------------------ 7

RACE = ("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam")
#: learning rates for Rosenbrock's valley (the book's race lrs are for the bowl)
ROSENBROCK_LR = {"sgd": 1e-3, "momentum": 1e-3, "adagrad": 0.5, "adadelta": 1.0, "rmsprop": 0.01, "adam": 0.05}


def optimizer_race_section(lang: str = "en") -> Section:
    from ..race import COLUMNS, compare

    tr = _t(lang)

    bowl = compare("elongated_bowl", RACE, steps=30)
    rosen = compare("rosenbrock", RACE, lr=ROSENBROCK_LR, steps=1000, tol=1e-4)
    bowl_p, rosen_p = bowl.problem, rosen.problem

    def race():
        from .. import plot

        fig, ax = _figure(2, width=5.6, height=5.2)
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

    tr = _t(lang)
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

        fig, ax = _figure(2, width=5.6)
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
    tr = _t(lang)
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

        fig, ax = _figure(2, width=5.6)
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

    tr = _t(lang)
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

        fig, ax = _figure(3, width=4.6, height=4.4)
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

        fig, ax = _figure(2, width=5.6, height=4.6)
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

        fig, ax = _figure(2, width=5.0, height=4.6)
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


#: the sections in order: (key, builder)
SECTIONS = (
    ("softmax", softmax_section),
    ("conditioning", conditioning_section),
    ("differentiation", differentiation_section),
    ("gradient_field", gradient_field_section),
    ("gradient_descent", gradient_descent_section),
    ("line_search", least_squares_section),
    ("optimizer_race", optimizer_race_section),
    ("training", training_section),
    ("multistart", multistart_section),
    ("second_order", second_order_section),
)


def sections(keys=None, lang: str | None = None) -> list[Section]:
    """The tour's sections, in order (only those named in ``keys`` when given).

    Parameters
    ----------
    keys : sequence of str, optional
        Keys of :data:`SECTIONS`.
    lang : {"en", "ja"}, optional
        The language of every sentence, header and plot label (default
        :func:`descend.i18n.get_lang`: the locale's).

    Returns
    -------
    list of Section
        Computed now; their pictures are drawn only when called (matplotlib is not needed
        for the tables).
    """
    if keys is not None:
        from ..errors import DescendError, unknown_name

        valid = [k for k, _ in SECTIONS]
        unknown = [k for k in keys if k not in valid]
        if unknown:
            raise DescendError(unknown_name("tour section", unknown[0], valid))
    lang = i18n.check_lang(lang)
    built = [build(lang) for key, build in SECTIONS if keys is None or key in keys]
    for section in built:
        for pic in section.pictures:
            pic.draw = _in_language(pic.draw, pic.kind, lang)
    return built


def _in_language(draw, kind: str, lang: str):
    """``draw`` with a font for ``lang``'s glyphs, and descend.plot's own labels in ``lang``."""
    if lang == "en":
        return draw

    def drawn(*args):
        from ..i18n.plots import plot_context, translate_figure

        with plot_context(lang):
            out = draw(*args)
            if kind != "gif":
                translate_figure(out, lang)
                out.canvas.draw()  # lay the text out while the font is in place
        return out
    return drawn
