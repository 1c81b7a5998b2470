"""descend.plot: each function draws what it should, renders to a non-blank PNG, and checks its input."""

import dataclasses
import io
import os
import subprocess
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")  # the plot extra: without it, this module skips
matplotlib.use("Agg")  # the tests never need a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import descend  # noqa: E402
from descend import DescendError, minimize, optim, plot, problems  # noqa: E402
from descend.plot._base import tagged  # noqa: E402
from descend.training import train  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def png_pixels(fig) -> np.ndarray:
    """Render ``fig`` to PNG bytes and read them back as an (h, w, 3) array."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


def assert_not_blank(fig):
    px = png_pixels(fig)
    assert px.shape[0] > 50 and px.shape[1] > 50
    # a blank canvas has one colour; a drawn figure has many pixels far from the background
    assert px.std() > 10.0
    background = px[0, 0]
    assert np.mean(np.any(np.abs(px - background) > 30, axis=-1)) > 0.02


def sphere_runs():
    p = problems.get("sphere")
    return p, [minimize(p, np.array([-3.0, 4.0]), lr=lr, steps=20) for lr in (0.1, 0.01, 1.0)]


def tiny_training(batch_size, epochs=3, n=60):
    data = descend.datasets.linear(n, seed=0)
    model = descend.nn.Sequential(descend.nn.Linear(2, 4, rng=0, dtype=np.float64), descend.nn.ReLU(),
                                  descend.nn.Linear(4, 1, rng=1, dtype=np.float64))
    return train(model, data.X, data.y.reshape(-1, 1), loss="mse", optimizer="sgd", lr=0.05,
                 batch_size=batch_size, epochs=epochs, seed=0, progress=False)


# ---------------------------------------------------------------------------- import and backend

def _run_python(code, env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def _env(**changes):
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def test_importing_descend_and_descend_plot_does_not_import_matplotlib():
    proc = _run_python("import sys, descend, descend.plot; print('matplotlib' in sys.modules)", _env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_agg_backend_without_a_display():
    code = ("import descend.plot, matplotlib; descend.plot.function(lambda x: x * x, (0, 1)); "
            "print(matplotlib.get_backend().lower())")
    proc = _run_python(code, _env(DISPLAY=None, WAYLAND_DISPLAY=None, MPLBACKEND=None))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("agg")


def test_a_backend_chosen_by_the_user_is_kept():
    code = ("import descend.plot, matplotlib; descend.plot.function(lambda x: x * x, (0, 1)); "
            "print(matplotlib.get_backend().lower())")
    proc = _run_python(code, _env(DISPLAY=None, WAYLAND_DISPLAY=None, MPLBACKEND="svg"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "svg"


# ---------------------------------------------------------------------------- function

def test_function_draws_f_and_its_tangents():
    poly = problems.get("poly1d")  # seed 001: 0.01 x^2 + 0.1 x on [0, 20]
    ax = plot.function(poly, tangent_at=[5.0, 15.0])
    (f_line,) = tagged(ax, "function")
    tangents = tagged(ax, "tangent")
    contacts = tagged(ax, "contact")
    assert len(tangents) == 2 and len(contacts) == 2
    xs, ys = f_line.get_data()
    assert xs[0] == 0.0 and xs[-1] == 20.0
    np.testing.assert_allclose(ys, 0.01 * xs**2 + 0.1 * xs, rtol=1e-12)
    for line, dot, x0 in zip(tangents, contacts, (5.0, 15.0)):
        tx, ty = line.get_data()
        slope = (ty[-1] - ty[0]) / (tx[-1] - tx[0])
        assert slope == pytest.approx(0.02 * x0 + 0.1, rel=1e-6)  # f'(x0)
        # the tangent touches f at x0
        assert np.interp(x0, tx, ty) == pytest.approx(0.01 * x0**2 + 0.1 * x0, rel=1e-6)
        assert dot.get_data()[0][0] == x0
    assert ax.get_xlim() == (0.0, 20.0)
    assert_not_blank(ax.figure)


def test_function_takes_a_plain_callable_that_handles_one_number_only():
    calls = []

    def f(x):
        calls.append(x)
        return float(x) ** 2 if np.ndim(x) == 0 else np.asarray(x).reshape(-1)[:1]  # wrong shape for arrays

    ax = plot.function(f, (-1.0, 1.0), points=11)
    _, ys = tagged(ax, "function")[0].get_data()
    np.testing.assert_allclose(ys, np.linspace(-1, 1, 11) ** 2)


def test_function_draws_on_a_given_axes():
    fig, ax = plt.subplots()
    assert plot.function(np.sin, (0, 3), ax=ax) is ax


# ---------------------------------------------------------------------------- gradient_field

def test_gradient_field_arrows_are_minus_the_gradient():
    ax = plot.gradient_field(lambda x: np.sum(x**2), ((-2.0, 2.0), (-2.0, 2.0)), density=9, contours=False)
    (q,) = tagged(ax, "field")
    assert q.N == 81
    P = q.get_offsets()
    np.testing.assert_allclose(q.U, -2 * P[:, 0], atol=1e-6)  # central differences of x^2 are exact up to rounding
    np.testing.assert_allclose(q.V, -2 * P[:, 1], atol=1e-6)
    assert tagged(ax, "contour") == []
    assert_not_blank(ax.figure)


def test_gradient_field_of_a_problem_uses_its_gradient_and_draws_contours():
    p = problems.get("rosenbrock")
    ax = plot.gradient_field(p, density=7, normalize=True)
    (q,) = tagged(ax, "field")
    P = q.get_offsets()
    G = p.grad(np.asarray(P))
    n = np.hypot(G[:, 0], G[:, 1])
    np.testing.assert_allclose(q.U, -G[:, 0] / n, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(q.U, q.V), 1.0)
    assert len(tagged(ax, "contour")) == 1
    assert ax.get_xlim() == p.window[0] and ax.get_ylim() == p.window[1]


def test_gradient_field_with_an_explicit_gradient():
    ax = plot.gradient_field(lambda x: x[0] * x[1], ((0, 1), (0, 1)), grad=lambda x: np.array([x[1], x[0]]),
                             density=3, contours=False)
    (q,) = tagged(ax, "field")
    P = q.get_offsets()
    np.testing.assert_allclose(q.U, -P[:, 1])


# ---------------------------------------------------------------------------- trajectories

def test_trajectories_draws_every_run_with_markers_and_minima():
    p, runs = sphere_runs()
    ax = plot.trajectories(p, runs)
    paths = tagged(ax, "path")
    assert len(paths) == 3
    for line, r in zip(paths, runs):
        np.testing.assert_array_equal(np.column_stack(line.get_data()), r.history.x)
    starts, ends = tagged(ax, "start"), tagged(ax, "end")
    assert len(starts) == 3 and len(ends) == 3
    np.testing.assert_array_equal(np.column_stack(ends[2].get_data())[0], runs[2].x)
    (m,) = tagged(ax, "minimizer")
    np.testing.assert_array_equal(np.column_stack(m.get_data()), p.minimizers)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"gd, lr=0.1", "gd, lr=0.01", "gd, lr=1"} <= set(labels)
    assert_not_blank(ax.figure)


def test_trajectories_of_a_batched_run_draws_every_row():
    p = problems.get("himmelblau")
    X0 = np.random.default_rng(1).uniform(-5, 5, (7, 2))
    r = minimize(p, X0, lr=0.01, steps=30)
    ax = plot.trajectories(p, r, labels=["multi-start"])
    assert len(tagged(ax, "path")) == 7
    (starts,) = tagged(ax, "start")
    np.testing.assert_array_equal(np.column_stack(starts.get_data()), X0)
    assert len(tagged(ax, "minimizer")[0].get_data()[0]) == 4
    assert "multi-start (7 runs)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_trajectories_uses_log_spaced_levels_where_the_range_is_wide():
    p = problems.get("rosenbrock")
    r = minimize(p, lr=1e-3, steps=50)
    ax = plot.trajectories(p, r, levels=12)
    (cs,) = tagged(ax, "contour")
    above = np.asarray(cs.levels) - p.minimum
    ratios = above[1:] / above[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)  # geometric: equal ratios
    assert ratios[0] > 1.5
    lin = tagged(plot.trajectories(p, r, levels=12, log_levels=False), "contour")[0].levels
    np.testing.assert_allclose(np.diff(lin), np.diff(lin)[0], rtol=1e-9)  # evenly spaced


def test_result_and_history_plot_methods():
    p, runs = sphere_runs()
    ax = runs[0].plot(p)
    assert len(tagged(ax, "path")) == 1
    ax2 = runs[0].history.plot()
    (line,) = tagged(ax2, "update")
    np.testing.assert_array_equal(line.get_data()[1], runs[0].history.f)
    ax3 = runs[1].plot()  # no problem: the loss curve
    assert len(tagged(ax3, "update")) == 1


# ---------------------------------------------------------------------------- surface

def test_surface_draws_a_3d_surface_and_the_path_on_it():
    p = problems.get("himmelblau")
    r = minimize(p, np.array([-1.0, -1.0]), lr=0.01, steps=40)
    ax = plot.surface(p, path=r, resolution=25, log=False)
    assert ax.name == "3d"
    assert len(tagged(ax, "surface")) == 1
    (line,) = tagged(ax, "path")
    xs, ys, zs = line.get_data_3d()
    np.testing.assert_allclose(np.column_stack([xs, ys]), r.history.x)
    np.testing.assert_allclose(zs, p.f(r.history.x))
    assert_not_blank(ax.figure)


def test_surface_log_height_and_points():
    p = problems.get("rosenbrock")
    pts = np.array([[-1.0, 1.0], [1.0, 1.0]])
    ax = plot.surface(p, path=pts, resolution=10)
    (line,) = tagged(ax, "path")
    np.testing.assert_allclose(line.get_data_3d()[2], np.log10(1 + p.f(pts) - p.minimum))
    assert "log10" in ax.get_zlabel()


# ---------------------------------------------------------------------------- loss curves

def test_loss_curves_of_minimize_runs():
    p, runs = sphere_runs()
    ax = plot.loss_curves(runs)
    lines = tagged(ax, "update")
    assert len(lines) == 3
    for line, r in zip(lines, runs):
        x, y = line.get_data()
        np.testing.assert_array_equal(x, np.arange(21))
        np.testing.assert_array_equal(y, r.history.f)
    assert ax.get_yscale() == "log"  # 25 down to ~0.003: more than two decades
    assert ax.get_xlabel() == "step"
    assert_not_blank(ax.figure)


def test_loss_curves_of_a_batched_run_draws_every_row():
    p = problems.get("sphere")
    r = minimize(p, np.array([[1.0, 1.0], [2.0, 0.0], [0.5, 0.5]]), lr=0.1, steps=5)
    ax = plot.loss_curves(r, log=False)
    assert len(tagged(ax, "update")) == 3
    assert ax.get_yscale() == "linear"


def test_loss_curves_of_training_histories_per_update_and_per_epoch():
    sgd, mini = tiny_training(1), tiny_training(10)
    ax = plot.loss_curves([sgd, mini], labels=["SGD", "mini-batch"])
    updates, epochs = tagged(ax, "update"), tagged(ax, "epoch")
    assert len(updates) == 2 and len(epochs) == 2
    x, y = updates[0].get_data()
    np.testing.assert_array_equal(y, sgd.loss)
    np.testing.assert_allclose(x, np.arange(1, 181) / 60)  # 60 updates per epoch: x in epochs
    np.testing.assert_allclose(updates[1].get_data()[0], np.arange(1, 19) / 6)
    ex, ey = epochs[0].get_data()
    np.testing.assert_array_equal(ex, [1, 2, 3])
    np.testing.assert_array_equal(ey, sgd.epochs["loss"])
    assert ax.get_xlabel() == "epoch"
    ax2 = plot.loss_curves([sgd], x="update", per="epoch")
    assert tagged(ax2, "update") == []
    np.testing.assert_array_equal(tagged(ax2, "epoch")[0].get_data()[0], [60, 120, 180])


def test_loss_curves_smoothing_is_the_trailing_mean():
    losses = np.array([4.0, 2.0, 6.0, 0.0, 8.0, 2.0])
    ax = plot.loss_curves([losses], smooth=3)
    (sm,) = tagged(ax, "smoothed")
    want = [4.0, 3.0, 4.0, 8 / 3, 14 / 3, 10 / 3]
    np.testing.assert_allclose(sm.get_data()[1], want)
    (raw,) = tagged(ax, "update")
    assert raw.get_alpha() < 0.5  # faded under the mean
    short = plot.loss_curves([losses], smooth=4)  # 6 < 2 * 4 updates: nothing to average over
    assert tagged(short, "smoothed") == [] and tagged(short, "update")[0].get_alpha() > 0.5


# ---------------------------------------------------------------------------- diff_error

def test_diff_error_is_log_log_with_one_line_per_method_and_the_best_h():
    res = descend.diff_error(np.exp, 0.0, 1.0, methods=("forward", "central"))
    ax = plot.diff_error(res)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    lines = tagged(ax, "method")
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[0].get_data()[0], res.hs)
    best = tagged(ax, "best")
    assert [b.get_data()[0][0] for b in best] == [res.best_h["forward"], res.best_h["central"]]
    # guide lines: slope = order on the right of the best h, -1 on its left
    slopes = []
    for line in tagged(ax, "slope"):
        x, y = line.get_data()
        slopes.append(round(float(np.log(y[-1] / y[0]) / np.log(x[-1] / x[0])), 9))
    assert sorted(slopes) == [-1.0, -1.0, 1.0, 2.0]
    assert_not_blank(ax.figure)


def test_diff_error_from_a_function_and_zero_errors_stay_on_the_axis():
    ax = plot.diff_error(np.exp, 0.0, 1.0, methods=("complex",), hs=[1e-10, 1e-8, 1e-2])
    (line,) = tagged(ax, "method")
    y = line.get_data()[1]
    assert np.all(y > 0)  # the complex step is exact for tiny h: drawn at half an ulp, not lost
    assert len(tagged(ax, "slope")) == 1  # no round-off branch for the complex step


# ---------------------------------------------------------------------------- lr_sweep

def test_lr_sweep_marks_diverged_runs():
    para = problems.get("parabola")
    lrs = np.geomspace(1e-6, 10.0, 15)
    r = minimize(para, np.full((15, 1), -3.0), lr=lrs, steps=100)
    ax = plot.lr_sweep(r, problem=para)
    assert ax.get_xscale() == "log"
    diverged = r.status == "diverged"
    assert diverged.any() and not diverged.all()
    (d,) = tagged(ax, "diverged")
    np.testing.assert_array_equal(d.get_data()[0], lrs[diverged])
    (final,) = tagged(ax, "final")
    np.testing.assert_array_equal(final.get_data()[0], lrs[~diverged])
    (start,) = tagged(ax, "start")
    assert start.get_ydata()[0] == pytest.approx(9.0)  # f(-3) - f* = 10 - 1
    assert_not_blank(ax.figure)


def test_lr_sweep_of_single_runs_and_exact_zeros():
    para = problems.get("parabola")
    runs = [minimize(para, np.array([-3.0]), lr=lr, steps=10) for lr in (0.5, 0.01, 0.1)]
    ax = plot.lr_sweep(runs, minimum=1.0)
    (final,) = tagged(ax, "final")
    np.testing.assert_array_equal(final.get_data()[0], [0.01, 0.1, 0.5])  # sorted by lr
    (zero,) = tagged(ax, "zero")  # lr 0.5 jumps to the minimum in one step: f - f* == 0
    np.testing.assert_array_equal(zero.get_data()[0], [0.5])
    assert tagged(ax, "diverged") == []


# ---------------------------------------------------------------------------- internals

def test_record_follows_the_momentum_rule():
    tr = plot.record("elongated_bowl", "momentum", steps=15, lr=0.1)
    assert set(tr.state) == {"momentum_buffer"}
    b = tr.state["momentum_buffer"]
    assert b.shape == (15, 2) and tr.x.shape == (16, 2)
    expect = np.zeros(2)
    for k in range(15):
        expect = 0.9 * expect + tr.grad[k] if k else tr.grad[0].copy()  # torch: b = g at the first step
        np.testing.assert_allclose(b[k], expect, rtol=1e-12)
        np.testing.assert_allclose(tr.update[k], -0.1 * expect, rtol=1e-12)
    np.testing.assert_allclose(np.diff(tr.x, axis=0), tr.update)


def test_record_effective_lr_is_lr_for_gradient_descent_and_adaptive_otherwise():
    gd = plot.record("elongated_bowl", "gd", steps=10, lr=0.3)
    np.testing.assert_allclose(gd.effective_lr, 0.3, rtol=1e-12)
    ada = plot.record("elongated_bowl", "adagrad", steps=10, lr=1.5)
    s = ada.state["sum"]
    np.testing.assert_allclose(s[-1], np.sum(ada.grad**2, axis=0), rtol=1e-12)
    assert np.all(np.diff(ada.effective_lr, axis=0) <= 0)  # AdaGrad's step sizes only shrink


def test_record_copies_an_optimizer_instance():
    opt = optim.get("adam", lr=0.1)
    x = np.array([1.0, 1.0])
    opt.step(x, np.array([1.0, 1.0]))
    tr = plot.record("sphere", opt, steps=4)
    assert opt.state.count == 1  # the caller's optimizer did not move
    assert set(tr.state) == {"exp_avg", "exp_avg_sq"}
    assert tr.state["exp_avg"].shape == (4, 2)


def test_internals_figure_has_a_panel_per_state_array():
    fig = plot.internals("elongated_bowl", "adam", steps=20, lr=0.3)
    assert len(fig.axes) == 1 + 2 + 1  # path, m, v, effective step
    assert len(tagged(fig.axes[0], "path")) == 1
    assert len(tagged(fig.axes[1], "state")) == 2  # one line per coordinate
    assert len(tagged(fig.axes[-1], "effective_lr")) == 2
    assert fig.descend_trace.optimizer == "adam"
    assert_not_blank(fig)
    fig2 = plot.internals("elongated_bowl", "gd", steps=5, lr=0.1)
    assert len(fig2.axes) == 2


# ---------------------------------------------------------------------------- animate

def test_animate_writes_a_gif_of_the_race(tmp_path):
    p = problems.get("elongated_bowl")
    runs = [minimize(p, optimizer=o, lr=lr, steps=12) for o, lr in (("sgd", 0.95), ("adam", 0.3))]
    out = plot.animate(p, runs, tmp_path / "race.gif", frames=20, dpi=40)
    assert out == tmp_path / "race.gif"
    im = Image.open(out)
    assert im.format == "GIF"
    assert im.n_frames == 13  # never more frames than steps + 1
    first = np.asarray(im.convert("RGB"), dtype=float)
    im.seek(im.n_frames - 1)
    last = np.asarray(im.convert("RGB"), dtype=float)
    assert first.std() > 10 and np.abs(first - last).sum() > 0  # the runs moved between frames
    assert plt.get_fignums() == []  # its figure is closed


# ---------------------------------------------------------------------------- errors

def _history_f_result():
    return minimize(problems.get("sphere"), lr=0.1, steps=3, history="f")


def _no_history_result():
    return minimize(problems.get("sphere"), lr=0.1, steps=3, history=False)


def _three_d_result():
    return minimize(problems.get("sphere", n=3), lr=0.1, steps=3)


def _schedule_lr_result():
    return dataclasses.replace(minimize(problems.get("sphere"), lr=0.1, steps=3), lr="cosine")


def _used_fig():
    fig = plt.figure()
    fig.add_subplot()
    return fig


ERRORS = [
    (lambda: plot.function(problems.get("sphere")), "function draws a function of one variable"),
    (lambda: plot.function(42), "f must be a callable or a 1-D descend Problem"),
    (lambda: plot.function(np.sin), "window (lo, hi) is required"),
    (lambda: plot.function(np.sin, 3), "window must be a pair (lo, hi)"),
    (lambda: plot.function(np.sin, (1, 0)), "window must have finite lo < hi"),
    (lambda: plot.function(np.sin, (0, 1), points=1), "points must be an integer >= 2"),
    (lambda: plot.gradient_field(np.sin), "window ((xlo, xhi), (ylo, yhi)) is required"),
    (lambda: plot.gradient_field(3.0, ((0, 1), (0, 1))), "problem_or_f must be a 2-D Problem or a callable"),
    (lambda: plot.gradient_field("sphere", grad=1), "grad must be callable"),
    (lambda: plot.gradient_field(np.sin, ((0, 1), (1, 0))), "window must be ((xlo, xhi), (ylo, yhi))"),
    (lambda: plot.gradient_field("sphere", density=1), "density must be an integer >= 2"),
    (lambda: plot.gradient_field("nope"), "unknown problem 'nope'"),
    (lambda: plot.trajectories(problems.get("parabola"), []), "must be 2-D to draw its contour"),
    (lambda: plot.trajectories(object(), []), "problem must be a descend Problem or a problem name"),
    (lambda: plot.trajectories("sphere", []), "results must hold at least one Result"),
    (lambda: plot.trajectories("sphere", 3), "results must be a Result or a sequence of Results"),
    (lambda: plot.trajectories("sphere", [1]), "results[0] must be a descend Result"),
    (lambda: plot.trajectories("sphere", _no_history_result()), "results[0] kept no iterates"),
    (lambda: plot.trajectories("sphere", _history_f_result()), "results[0] kept no iterates"),
    (lambda: plot.trajectories("sphere", _three_d_result()), "is not a run in 2 variables"),
    (lambda: plot.trajectories("sphere", _history_f_result(), labels=["a", "b"]), "labels must have one entry"),
    (lambda: plot.gradient_field(problems.Problem("nan", lambda x: np.full(np.shape(x)[:-1], np.nan),
                                                  lambda x: np.zeros_like(x), x0=[0.0, 0.0], minimizers=[],
                                                  minimum=float("nan"), window=((0, 1), (0, 1)),
                                                  description="nan everywhere")),
     "not finite anywhere in the window"),
    (lambda: plot.surface("sphere", ax=plt.figure().add_subplot()), "ax must be a 3-D Axes"),
    (lambda: plot.surface("sphere", path=np.zeros(3)), "path must be a Result or an array of shape (k, 2)"),
    (lambda: plot.surface("sphere", resolution=1), "resolution must be an integer >= 2"),
    (lambda: plot.loss_curves([]), "histories must hold at least one history"),
    (lambda: plot.loss_curves(5), "histories must be a sequence of histories"),
    (lambda: plot.loss_curves([_no_history_result()]), "histories[0] is a Result without a history"),
    (lambda: plot.loss_curves([{"a": 1}]), "histories[0] must be a minimize Result or History"),
    (lambda: plot.loss_curves([[1.0, 2.0]], per="all"), "unknown per 'all'; valid: update, epoch, both"),
    (lambda: plot.loss_curves([[1.0, 2.0]], x="time"), "unknown x 'time'; valid: auto, update, epoch"),
    (lambda: plot.loss_curves([[1.0, 2.0]], smooth=0), "smooth must be None or an integer >= 1"),
    (lambda: plot.loss_curves([[1.0, 2.0]], x="epoch"), "x='epoch' needs training histories"),
    (lambda: plot.diff_error(descend.diff_error(np.exp, 0.0, 1.0, methods="central"), x=1.0),
     "x, exact, methods and hs go with a function"),
    (lambda: plot.diff_error(np.exp, 0.0), "x and exact are required"),
    (lambda: plot.diff_error("exp"), "result_or_f must be a DiffErrorResult or a callable"),
    (lambda: plot.lr_sweep(_schedule_lr_result()), "has no numeric learning rate"),
    (lambda: plot.lr_sweep(_history_f_result(), problem=problems.get("sphere"), minimum=0.0),
     "give problem or minimum, not both"),
    (lambda: plot.lr_sweep(_history_f_result(), problem="sphere"), "problem must be a descend Problem"),
    (lambda: plot.record("sphere", 3), "optimizer must be a name"),
    (lambda: plot.record("sphere", "adamm"), "unknown optimizer 'adamm'"),
    (lambda: plot.record("sphere", optim.get("adam"), lr=0.1), "lr and hyperparameters go with an optimizer name"),
    (lambda: plot.record(7, "adam"), "problem must be a descend Problem or a problem name"),
    (lambda: plot.record("sphere", "adam", steps=0), "steps must be an integer >= 1"),
    (lambda: plot.record("sphere", "adam", x0=[1.0, 2.0, 3.0]), "x0 must be a finite point of shape (2,)"),
    (lambda: plot.internals("sphere", "adam", fig=_used_fig()), "fig must be an empty Figure"),
    (lambda: plot.internals("parabola", "adam"), "must be 2-D to draw its contour"),
    (lambda: plot.animate("sphere", _history_f_result(), "race.png"), "path must end in .gif"),
    (lambda: plot.animate("sphere", _history_f_result(), "/no/such/folder/race.gif"),
     "the folder of path does not exist"),
    (lambda: plot.animate("sphere", _history_f_result(), 5), "path must be a file path"),
    (lambda: plot.animate("sphere", _history_f_result(), "r.gif", frames=1), "frames must be an integer >= 2"),
    (lambda: plot.animate("sphere", _history_f_result(), "r.gif", fps=0), "fps must be an integer >= 1"),
    (lambda: plot.animate("sphere", _history_f_result(), "r.gif", dpi=5), "dpi must be an integer >= 10"),
]


@pytest.mark.parametrize("call, fragment", ERRORS, ids=[f for _, f in ERRORS])
def test_every_error_message(call, fragment):
    with pytest.raises(DescendError) as exc:
        call()
    assert fragment in str(exc.value)


def test_errors_leave_no_figure_behind_for_bad_gif_paths():
    with pytest.raises(DescendError):
        plot.animate("sphere", _history_f_result(), "race.txt")
    assert plt.get_fignums() == []
