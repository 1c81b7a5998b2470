"""The seeds' tour as data: each section has a title, a plain explanation, tables and pictures.

``descend demo`` prints the sections' tables; :func:`descend.report.build` draws their
pictures too and writes the demo page.  Every number here is computed by descend when
the tour runs, nothing is typed in.  Building the sections needs NumPy only: a
:class:`Picture` holds a function that imports matplotlib when it is called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import problems
from .diff import derivative, diff_error, gradient
from .minimize import minimize
from .numerics import condition_number, logsumexp, softmax

__all__ = ["Table", "Picture", "Section", "sections", "SECTIONS"]


@dataclass
class Table:
    """A table of a section: a title, column names and rows of values (numbers, arrays, text)."""

    title: str
    columns: list
    rows: list


@dataclass
class Picture:
    """A picture of a section: ``draw()`` returns a matplotlib Figure (kind "png"), or,
    for kind "gif", ``draw(path)`` writes an animation there and returns the path."""

    caption: str
    draw: Callable
    kind: str = "png"


@dataclass
class Section:
    """One step of the tour: a key, a title, a plain explanation, its tables and its pictures."""

    key: str
    title: str
    text: str
    tables: list = field(default_factory=list)
    pictures: list = field(default_factory=list)


def _pyplot():
    from .plot import _base

    return _base.pyplot()


def _figure(ncols: int = 2, nrows: int = 1, *, width: float = 5.2, height: float = 4.2, **kwargs):
    plt = _pyplot()
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kwargs)


# ------------------------------------------------------------------------------------------ 1

def _naive_softmax(x):
    with np.errstate(all="ignore"):  # the point of the section: this overflows / divides 0 by 0
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)


def softmax_section() -> Section:
    rows = []
    for c in (10.0, 1000.0, -1000.0):
        x = np.full(5, c)
        rows.append((f"c = {c:g}", _naive_softmax(x), softmax(x)))
    x = np.arange(1.0, 6.0)
    rows.append(("x = 1..5", _naive_softmax(x), softmax(x)))
    big = np.finfo(np.float64).max
    limits = [("largest float64", big), ("x where exp(x) overflows: log(max)", float(np.log(big))),
              ("smallest positive float64 (subnormal), 2^-1074", float(np.nextafter(0.0, 1.0))),
              ("x below which exp(x) rounds to 0: log(2^-1075)", -1075 * float(np.log(2.0)))]

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
        a.plot(xs, shown, color="C0", linewidth=2, label="np.exp(x) in float64")
        a.axvspan(limits[1][1], 800, color="red", alpha=0.15, label="overflow: inf")
        a.axvspan(-800, limits[3][1], color="blue", alpha=0.15, label="underflow: 0")
        a.set_xlabel("x")
        a.set_ylabel("exp(x)")
        a.set_title("exp(x) leaves float64 beyond 709.8 and below -745.1", fontsize="medium")
        a.legend(loc="upper left", fontsize="small")
        cs = np.linspace(-1000, 1000, 801)
        X = cs[:, None] + np.arange(1.0, 6.0)
        b.plot(cs, softmax(X)[:, -1], color="C2", linewidth=5, alpha=0.5, label="descend.softmax (x - max(x) first)")
        b.plot(cs, _naive_softmax(X)[:, -1], color="C3", linewidth=1.5, label="naive exp(x) / sum exp(x)")
        b.axvspan(cs[0], limits[3][1] - 5, color="blue", alpha=0.1)  # every c + k underflows
        b.axvspan(limits[1][1] - 5, cs[-1], color="red", alpha=0.1)  # c + 5 overflows
        b.set_ylim(0, 1)
        b.set_xlabel("c")
        b.set_ylabel("largest entry of softmax(c + [1, 2, 3, 4, 5])")
        b.set_title("the naive formula gives nan once exp overflows or underflows", fontsize="medium")
        b.legend(loc="center", fontsize="small")
        fig.tight_layout()
        return fig

    return Section(
        "softmax", "Overflow, underflow and the stable softmax",
        "exp(1000) overflows to inf (inf/inf = nan) and exp(-1000) underflows to 0 (0/0 = nan). "
        "Subtracting max(x) first leaves the answer unchanged and makes every exponent <= 0.",
        [Table("softmax of five equal entries c (seed 001)", ["input", "naive exp(x)/sum", "descend.softmax"], rows),
         Table("where float64 runs out", ["what", "value"], limits),
         Table("log(exp(c) + exp(c)): naive against descend.logsumexp (exact: c + log 2)",
               ["c", "naive log(sum(exp))", "descend.logsumexp"],
               [(c, _naive_lse(c), float(logsumexp(np.array([c, c])))) for c in (-1000.0, 0.0, 1000.0)])],
        [Picture("Left: exp(x) in float64, with the regions where it overflows to inf and underflows to 0. "
                 "Right: the largest entry of softmax(c + [1..5]) as c moves; the stable formula gives the "
                 "same 0.636 everywhere; the naive one turns to nan once exp(c + 5) overflows or every exp(c + k) "
                 "underflows, and just before that, among subnormal numbers, it drifts to 1.", draw)],
    )


def _naive_lse(c):
    with np.errstate(all="ignore"):  # the point: the naive formula overflows
        return float(np.log(np.exp(c) + np.exp(c)))


# ------------------------------------------------------------------------------------------ 2

#: the part of the kappa = 10 bowl the runs from (10, 1) visit, drawn to scale
_KAPPA10_WINDOW = ((-1.5, 11.0), (-3.0, 3.0))

def conditioning_section() -> Section:
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
        from . import plot

        fig, ax = _figure(2)
        plot.trajectories(p10, zig, ax=ax[0, 0], labels=["lr = 1/L = 0.1", "lr = 1.9/L = 0.19"],
                          window=_KAPPA10_WINDOW, legend="lower right",
                          title="kappa = 10: a larger lr zigzags across the valley")
        ax[0, 0].set_aspect("equal")  # the lesson is the shape: a round-looking valley would hide it
        plot.loss_curves(results, ax=ax[0, 1], labels=[f"kappa = {k:g}, lr = {1 / k:g}" for k in (1, 10, 100)],
                         log=True, title="f against step: about kappa times more steps")
        fig.tight_layout()
        return fig

    return Section(
        "conditioning", "Conditioning",
        "The condition number is the ratio of the largest to the smallest singular value. "
        "For a quadratic it is how much more the steepest direction curves than the flattest: the lr must "
        "suit the steepest one, so the flat one crawls, and plain gradient descent needs about kappa times "
        "more steps.",
        [Table("condition numbers (seed 001)", ["matrix", "condition number"], rows),
         Table("gradient descent on a quadratic with condition number kappa (lr = 1/L = 1/kappa, the eigenvalues "
               "running from 1 to kappa; gtol 1e-6)",
               ["kappa", "lr", "steps", "final f", "status"], runs)],
        [Picture("Left: gradient descent on f = (x0^2 + 10 x1^2)/2 from (10, 1), drawn to scale; with lr close "
                 "to the stability limit 2/L (L = 10, the largest curvature) the steep coordinate overshoots at "
                 "every step. Right: the loss against the step for condition numbers 1, 10 and 100.", draw)],
    )


# ------------------------------------------------------------------------------------------ 3

def differentiation_section() -> Section:
    rows = [("central", h, derivative(np.exp, 0.0, h=h)) for h in (1e-3, 1e-4)]
    rows.append(("forward", 5e-4, derivative(np.exp, 0.0, method="forward", h=5e-4)))
    rows.append(("central (h chosen by descend)", float("nan"), derivative(np.exp, 0.0)))
    rows.append(("complex step (h chosen by descend)", float("nan"), derivative(np.exp, 0.0, method="complex")))
    de = diff_error(np.exp, 0.0, 1.0)
    best = [(m, de.best_h[m], de.best_error[m]) for m in de.errors]
    poly = problems.get("poly1d")

    def draw():
        from . import plot

        fig, ax = _figure(2)
        plot.function(poly, tangent_at=5.0, ax=ax[0, 0], label="f(x) = 0.01 x^2 + 0.1 x")
        ax[0, 0].set_title("seed 001: a function and its tangent at x = 5", fontsize="medium")
        plot.diff_error(de, ax=ax[0, 1], title="error of the derivative of e^x at 0 against h")
        fig.tight_layout()
        return fig

    return Section(
        "differentiation", "Numerical differentiation",
        "f'(x) ~ (f(x+h) - f(x-h)) / 2h. A smaller h cuts the truncation error (h for forward, h^2 for "
        "central) until round-off, about eps/h, takes over: each method has a best h. The complex step "
        "Im f(x+ih)/h subtracts nothing, so it has no round-off branch.",
        [Table("derivative of e^x at 0 (exact: 1; seed 004)", ["method", "h", "estimate"], rows),
         Table("best step for each method (error against h)", ["method", "best h", "error there"], best)],
        [Picture("Left: seed 001's f(x) = 0.01x^2 + 0.1x with its tangent at 5 (slope 0.2). Right: the error of "
                 "each finite-difference method against h on log-log axes; dotted lines have the theoretical "
                 "slopes (the order p on the right, -1 on the left), circles mark the best h.", draw)],
    )


# ------------------------------------------------------------------------------------------ 4

def gradient_field_section() -> Section:
    def function_2(x):
        return np.sum(x ** 2)

    rows = []
    for point in ([3.0, 4.0], [0.0, 2.0], [3.0, 0.0]):
        x = np.array(point)
        rows.append((x, gradient(function_2, x, h=1e-4), 2.0 * x))
    # seed 001 fixes the other coordinate at 0 ("it is a constant, any value gives the same result"):
    # in exact arithmetic yes, in floating point the last digits move, as the 4^2 rows show
    partials = [("df/dx0 at x0 = 3 of x0^2 + 0^2 (seed 001)", derivative(lambda x0: x0 ** 2 + 0 ** 2, 3.0, h=1e-4)),
                ("df/dx0 at x0 = 3 of x0^2 + 4^2", derivative(lambda x0: x0 ** 2 + 4.0 ** 2, 3.0, h=1e-4)),
                ("df/dx1 at x1 = 4 of 0^2 + x1^2 (seed 001)", derivative(lambda x1: 0 ** 2 + x1 ** 2, 4.0, h=1e-4)),
                ("df/dx1 at x1 = 4 of 3^2 + x1^2", derivative(lambda x1: 3.0 ** 2 + x1 ** 2, 4.0, h=1e-4))]
    himmelblau = problems.get("himmelblau")

    def draw():
        from . import plot

        fig, ax = _figure(2)
        plot.gradient_field(function_2, ((-2.0, 2.25), (-2.0, 2.25)), density=18, contours=False, ax=ax[0, 0])
        ax[0, 0].set_xlim(-2, 2)
        ax[0, 0].set_ylim(-2, 2)
        ax[0, 0].set_title("seed 001: -grad of x0^2 + x1^2 (central differences, h = 1e-4)", fontsize="medium")
        plot.gradient_field(himmelblau, density=21, normalize=True, ax=ax[0, 1])
        plot._base.draw_minimizers(ax[0, 1], himmelblau)
        ax[0, 1].set_title("Himmelblau: each arrow points downhill, to its own valley", fontsize="medium")
        fig.tight_layout()
        return fig

    return Section(
        "gradient_field", "The gradient field",
        "The gradient collects the partial derivatives into one vector; minus the gradient points where f "
        "falls fastest. On a bowl every arrow points at the minimum; on a surface with several valleys the "
        "arrows lead to the nearest one, which need not be the lowest.",
        [Table("numerical gradient of f(x) = x0^2 + x1^2 (h = 1e-4; seed 001)", ["point", "central differences",
                                                                                 "exact 2x"], rows),
         Table("partial derivatives at (3, 4), h = 1e-4: the constant term changes the last digits",
               ["what", "estimate (exact: 6 and 8)"], partials)],
        [Picture("Left: seed 001's quiver plot of -grad f for f = x0^2 + x1^2. Right: the directions of -grad f "
                 "on Himmelblau's function with its four minima (stars).", draw)],
    )


# ------------------------------------------------------------------------------------------ 5

def step_factors(result) -> tuple[float, float]:
    """(x_1 / x_0, f_1 / f_0): what one step of a run multiplies x (first coordinate) and f by.

    On the sphere ``x0^2 + x1^2`` gradient descent multiplies x by ``1 - 2 lr`` at every step and
    f by ``(1 - 2 lr)^2``; the section's text quotes these, measured from the run.
    """
    h = result.history
    return float(h.x[1][0] / h.x[0][0]), float(h.f[1] / h.f[0])


def gradient_descent_section() -> Section:
    p = problems.get("sphere")
    rows, runs, factors = [], [], {}
    for lr, verdict in ((0.1, "right"), (0.01, "too small"), (1.0, "too large")):
        r = minimize(p, np.array([-3.0, 4.0]), lr=lr, steps=20)
        rows.append((lr, verdict, r.x, r.fun, r.status))
        runs.append((lr, verdict, r))
        factors[lr] = step_factors(r)
    para = problems.get("parabola")
    seed2 = []
    for lr, steps in ((0.01, 500), (0.001, 5000), (0.999, 5000), (1e-9, 100), (10.0, 100)):
        r = minimize(para, np.array([-3.0]), lr=lr, steps=steps)
        seed2.append((lr, steps, float(r.x[0]), r.status, r.message))
    lrs = np.geomspace(1e-9, 10.0, 31)
    sweep = minimize(para, np.full((lrs.size, 1), -3.0), lr=lrs, steps=100)

    def draw():
        from . import plot

        fig, ax = _figure(4, width=4.0, height=4.2)
        for a, (lr, verdict, r) in zip(ax[0], runs):
            plot.trajectories(p, r, ax=a, legend=False, title=f"lr = {lr:g}: {verdict}")
            a.axhline(0, color="b", linestyle="--", linewidth=0.8)
            a.axvline(0, color="b", linestyle="--", linewidth=0.8)
        plot.lr_sweep(sweep, problem=para, ax=ax[0, 3], title="f(x) = x^2 + 1, 100 steps from -3")
        fig.tight_layout()
        return fig

    return Section(
        "gradient_descent", "Gradient descent and the learning rate",
        f"x <- x - lr * grad f(x). On f = x0^2 + x1^2 the gradient is 2x, so one step multiplies x by "
        f"1 - 2 lr and f by its square: with lr 0.1 x shrinks by {factors[0.1][0]:.4g} per step and f by "
        f"{factors[0.1][1]:.4g}; with 0.01 x by {factors[0.01][0]:.4g} and f by {factors[0.01][1]:.4g} (too slow); "
        f"with 1.0 the factor is {factors[1.0][0]:.4g}: each step jumps to the mirror point -x and never gets "
        "closer. Past lr = 1 = 2/L (L = 2, the curvature of x^2) every step overshoots further and the run "
        "diverges.",
        [Table("f(x) = x0^2 + x1^2 from (-3, 4), 20 steps (seed 001)", ["lr", "verdict", "x", "f", "status"], rows),
         Table("f(x) = x^2 + 1 from -3 (seed 002): too small, too large", ["lr", "steps", "x", "status", "message"],
               seed2)],
        [Picture("The three runs of seed 001 from (-3, 4), 20 steps each, and the final f - f* of seed 002's "
                 "f(x) = x^2 + 1 after 100 steps for 31 learning rates from 1e-9 to 10 (one batched run): "
                 "too small barely moves, too large diverges (red crosses).", draw)],
    )


# ------------------------------------------------------------------------------------------ 6

def least_squares_section() -> Section:
    p = problems.get("least_squares")
    r = minimize(p, lr=0.01, steps=10_000, gtol=0.01)
    rows = [("gradient descent, lr 0.01", r.nit, r.history.x[-2], r.x, r.status)]
    results, labels = [r], ["gradient descent, lr 0.01"]
    for method in ("backtracking", "exact"):
        q = minimize(p, steps=10_000, gtol=0.01, line_search=method)
        rows.append((f"line search: {method}", q.nit, q.history.x[-2] if q.nit else q.x, q.x, q.status))
        results.append(q)
        labels.append(f"line search: {method}")
    ill = problems.get("ill_conditioned", kappa=10.0)
    zig = minimize(ill, steps=100, gtol=1e-6, line_search="exact")
    rows.append(("exact line search on kappa = 10", zig.nit, zig.history.x[-2], zig.x, zig.status))

    def draw():
        from . import plot

        fig, ax = _figure(3, width=4.6)
        plot.trajectories(p, results, ax=ax[0, 0], labels=labels, title="|Ax - b|^2 / 2 from (2, 2)")
        ax[0, 0].set_aspect("equal")
        a = ax[0, 1]
        for r_, label in zip(results, labels):
            plot._base.tag(a.semilogy(np.arange(len(r_.history.grad_norm)), r_.history.grad_norm, marker=".",
                                      label=label)[0], "grad_norm")
        a.axhline(0.01, color="red", linestyle="--", linewidth=1, label="tolerance 0.01")
        a.set_xlabel("step")
        a.set_ylabel("|grad f|")
        a.set_title("the run stops when |grad| <= 0.01", fontsize="medium")
        a.legend(fontsize="small")
        plot.trajectories(ill, zig, ax=ax[0, 2], labels=["exact line search"], window=_KAPPA10_WINDOW,
                          legend="lower right", title="exact line search zigzags when kappa = 10")
        ax[0, 2].set_aspect("equal")  # equal scales: the zigzag's right angles look right-angled
        fig.tight_layout()
        return fig

    return Section(
        "line_search", "Line search and the tolerance stop",
        "f(x) = |Ax - b|^2 / 2 with A = I and b = (1, 1) from (2, 2): stop when |grad| <= 0.01. "
        "The seed counts 493 iterations and ends at 1.00712059; a line search picks each step along -grad "
        "and gets there in far fewer. With A = I the exact step lands on the minimum at once; on an "
        "ill-conditioned quadratic even the exact step zigzags, each step at right angles to the last.",
        [Table("least squares, tolerance 0.01 (seed 001)", ["method", "steps", "last x before the stop", "final x",
                                                             "status"], rows)],
        [Picture("Left: the three runs on the least-squares bowl. Middle: the gradient norm against the step "
                 "and the tolerance. Right: exact line search on a quadratic with condition number 10.", draw)],
    )


# ------------------------------------------------------------------------------------------ 7

RACE = ("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam")
#: learning rates for Rosenbrock's valley (the book's race lrs are for the bowl)
ROSENBROCK_LR = {"sgd": 1e-3, "momentum": 1e-3, "adagrad": 0.5, "adadelta": 1.0, "rmsprop": 0.01, "adam": 0.05}


def optimizer_race_section() -> Section:
    from .race import compare

    bowl = compare("elongated_bowl", RACE, steps=30)
    rosen = compare("rosenbrock", RACE, lr=ROSENBROCK_LR, steps=1000, tol=1e-4)
    bowl_p, rosen_p = bowl.problem, rosen.problem

    def race():
        from . import plot

        fig, ax = _figure(2, width=5.6, height=4.6)
        plot.trajectories(bowl_p, list(bowl.results.values()), ax=ax[0, 0], markers=True, legend="lower right",
                          title="f = x^2/20 + y^2, 30 steps from (-7, 2)")
        plot.trajectories(rosen_p, list(rosen.results.values()), ax=ax[0, 1], markers=False, legend="lower right",
                          title="Rosenbrock, 1000 steps from (-1.2, 1)")
        fig.tight_layout()
        return fig

    def inside(name, lr):
        def draw():
            from . import plot

            return plot.internals(bowl_p, name, steps=30, lr=lr)
        return draw

    def gif(path):
        from . import plot

        return plot.animate(bowl_p, list(bowl.results.values()), path, frames=31, fps=6, dpi=80, figsize=(7.0, 5.0), legend="lower right",
                            title="the race on x^2/20 + y^2")

    columns = list(bowl.columns)
    return Section(
        "optimizer_race", "The optimizer race",
        "The same start, the same number of steps, six update rules. Momentum keeps a running sum of "
        "gradients, so it gains speed along the valley and overshoots across it; AdaGrad divides each "
        "coordinate's step by the root of its summed squared gradients, so the steep coordinate slows down "
        "at once; RMSProp uses a running average instead of a sum, so it never stops; Adam combines momentum "
        "with RMSProp's scaling and corrects both for starting at zero; Adadelta needs no lr but starts with "
        "tiny steps. On the bowl the lrs are the book's (Deep Learning from Scratch, ch. 6); on Rosenbrock "
        "they were picked so that no run diverges.",
        [Table("x^2/20 + y^2 from (-7, 2), 30 steps (book's lrs)", columns, bowl.table()),
         Table("Rosenbrock from (-1.2, 1), 1000 steps, tol 1e-4 on f", columns, rosen.table())],
        [Picture("The six optimizers on the elongated bowl and in Rosenbrock's banana valley.", race),
         Picture("The race as an animation.", gif, kind="gif"),
         Picture("Inside Momentum: the momentum buffer b (the velocity divided by -lr) and the effective step "
                 "size, which stays at lr times the accumulated gradient.", inside("momentum", 0.1)),
         Picture("Inside AdaGrad: the running sum of squared gradients grows fastest on the steep coordinate "
                 "x1, so its effective step size falls fastest.", inside("adagrad", 1.5)),
         Picture("Inside Adam: the first moment m, the second moment v and the effective step size "
                 "lr * m_hat / (sqrt(v_hat) + eps) / g.", inside("adam", 0.3))],
    )


# ------------------------------------------------------------------------------------------ 8

def training_section() -> Section:
    import time

    from . import datasets, nn
    from .training import train

    data = datasets.linear(500, seed=0)  # seed 003: 500 samples of y = 3 x0 + 2 x1, x uniform in [0, 1)^2
    X, y = data.X, data.y.reshape(-1, 1)
    runs, histories, labels = [], [], []
    for name, bs in (("batch (all 500 samples)", None), ("stochastic (1 sample)", 1), ("mini-batch (10 samples)", 10)):
        model = nn.Sequential(nn.Linear(2, 10, rng=0, dtype=np.float64), nn.ReLU(),
                              nn.Linear(10, 1, rng=1, dtype=np.float64))
        t0 = time.perf_counter()
        h = train(model, X, y, loss="mse", optimizer="sgd", lr=0.05, batch_size=bs, epochs=5, seed=0,
                  progress=False)
        seconds = time.perf_counter() - t0
        final = float(np.mean((model.predict(X) - y) ** 2))
        runs.append((name, "all" if bs is None else bs, len(h.loss) // max(h.epoch, 1), len(h.loss),
                     float(h.epochs["loss"][-1]), final, round(seconds, 3)))
        histories.append(h)
        labels.append(name)

    def draw():
        from . import plot

        fig, ax = _figure(2, width=5.6)
        plot.loss_curves(histories, labels=labels, ax=ax[0, 0], per="epoch", log=True,
                         title="mean loss of each epoch: same data, same lr")
        plot.loss_curves(histories, labels=labels, ax=ax[0, 1], per="update", smooth=10, log=True,
                         title="seed 003: the loss of every update (faded), mean of 10")
        fig.tight_layout()
        return fig

    return Section(
        "training", "Batch, stochastic and mini-batch gradient descent",
        "Seed 003 trains a 2-10-1 ReLU network on y = 3 x0 + 2 x1. Batch gradient descent makes one update "
        "per pass over the data; stochastic gradient descent one per sample (noisy, but 500 times as many); "
        "mini-batch gradient descent one per 10 samples, averaging out most of the noise while still making "
        "many updates. Here every epoch visits every sample once, in a fresh random order.",
        [Table("5 epochs of plain SGD, lr 0.05, MSE loss", ["method", "batch size", "updates per epoch",
                                                             "updates", "last epoch's mean loss",
                                                             "loss on all data at the end", "seconds"], runs)],
        [Picture("Left: the epoch loss of the three methods. Right: seed 003's comparison, the loss of every "
                 "update (faded) and its running mean over 10 updates, on the same epoch axis: stochastic updates are "
                 "noisy, mini-batch ones smoother, and batch training makes one update per epoch.", draw)],
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


def multistart_section() -> Section:
    rng = np.random.default_rng(0)
    tables, results, probs = [], [], []
    for name, lr in (("himmelblau", 0.01), ("six_hump_camel", 0.02)):
        p = problems.get(name)
        (xlo, xhi), (ylo, yhi) = p.window
        X0 = np.column_stack([rng.uniform(xlo, xhi, 40), rng.uniform(ylo, yhi, 40)])
        r = minimize(p, X0, lr=lr, steps=2000, gtol=1e-6)
        rows = []
        for centre, fx, count in _clusters(r.x, r.fun):
            kind = "global" if abs(fx - p.minimum) <= 1e-6 * max(1.0, abs(p.minimum)) else "local"
            rows.append((centre, fx, kind, count))
        tables.append(Table(f"{name}: where 40 random starts ended (gd, lr {lr:g}, gtol 1e-6)",
                            ["minimizer reached", "f there", "global or local", "starts"], rows))
        results.append(r)
        probs.append(p)

    def draw():
        from . import plot

        fig, ax = _figure(2, width=5.6)
        for a, p, r in zip(ax[0], probs, results):
            plot.trajectories(p, r, ax=a, markers=False, labels=["gradient descent"],
                              title=f"{p.name}: 40 starts, one batched run")
        fig.tight_layout()
        return fig

    return Section(
        "multistart", "Many random starts on a surface with several valleys",
        "Gradient descent ends in the valley it starts in. Dropping many balls at random places and keeping "
        "the best end point finds the lowest valley more reliably: one call to minimize with X0 of shape "
        "(40, 2) runs all 40 starts as one array. Himmelblau's four minima are all global (f = 0); the "
        "six-hump camel has two global and four local minima, and some starts stop in a local one. "
        "Seed 002 calls this 'stochastic gradient descent (SGD)'; it is multi-start gradient descent: the "
        "randomness is in the starts, not in the gradient. SGD proper estimates each gradient from a random "
        "sample of the data (section 8).",
        tables,
        [Picture("40 random starts on Himmelblau's function and on the six-hump camel; stars mark the known "
                 "global minima.", draw)],
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
)


def sections(keys=None) -> list[Section]:
    """The tour's sections, in order (only those named in ``keys`` when given).

    Parameters
    ----------
    keys : sequence of str, optional
        Keys of :data:`SECTIONS`.

    Returns
    -------
    list of Section
        Computed now; their pictures are drawn only when called (matplotlib is not needed
        for the tables).
    """
    if keys is not None:
        from .errors import DescendError, unknown_name

        valid = [k for k, _ in SECTIONS]
        unknown = [k for k in keys if k not in valid]
        if unknown:
            raise DescendError(unknown_name("tour section", unknown[0], valid))
    return [build() for key, build in SECTIONS if keys is None or key in keys]
