"""descend.plot's pictures for second-order methods: convergence, critical points by kind, a constrained path."""

import numpy as np
import pytest

from descend import DescendError, constraints, critical_point, minimize, problems

plt = pytest.importorskip("matplotlib.pyplot")
from descend import plot
from descend.plot import _base


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_convergence_draws_the_distance_to_the_target_per_step():
    p = problems.get("elongated_bowl")
    newton = minimize(p, method="newton", steps=10, gtol=1e-8)
    gd = minimize(p, lr=0.5, steps=100)
    ax = plot.convergence([gd, newton], target=p.minimizers[0], labels=["gd", "newton"])
    lines = _base.tagged(ax, "convergence")
    assert len(lines) == 2 and ax.get_xscale() == "log" and ax.get_yscale() == "log"
    k, d = lines[0].get_data()
    assert np.array_equal(k, np.arange(101) + 1)
    assert np.allclose(d, np.linalg.norm(gd.history.x - p.minimizers[0], axis=1))
    k, d = lines[1].get_data()
    assert len(d) == 2 and d[-1] > 0  # Newton's exact hit is kept on the log axis, not dropped
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["gd", "newton"]


def test_convergence_takes_one_target_per_run_and_measures_to_the_end_by_default():
    bowl, rosen = problems.get("elongated_bowl"), problems.get("rosenbrock")
    a, b = minimize(bowl, lr=0.5, steps=50), minimize(rosen, lr=1e-3, steps=50)
    ax = plot.convergence([a, b], target=np.array([bowl.minimizers[0], rosen.minimizers[0]]), log_steps=False)
    d = _base.tagged(ax, "convergence")[1].get_data()[1]
    assert np.allclose(d, np.linalg.norm(b.history.x - [1.0, 1.0], axis=1)) and ax.get_xscale() == "linear"
    ax = plot.convergence(a)
    assert _base.tagged(ax, "convergence")[0].get_data()[1][-1] == np.finfo(float).tiny  # its own end


@pytest.mark.parametrize("kwargs, fragment", [
    ({"target": np.zeros((3, 2))}, "one per run (1)"),
    ({"target": np.zeros(3)}, "target must have shape (2,)"),
])
def test_convergence_errors(kwargs, fragment):
    r = minimize(problems.get("sphere"), lr=0.1, steps=5)
    with pytest.raises(DescendError) as exc:
        plot.convergence(r, **kwargs)
    assert fragment in str(exc.value)


def test_convergence_refuses_a_batched_run():
    r = minimize(problems.get("sphere"), np.ones((3, 2)), lr=0.1, steps=5)
    with pytest.raises(DescendError, match="must be one run"):
        plot.convergence(r)


def test_critical_points_marks_each_kind_where_the_point_is():
    p = problems.get("six_hump_camel")
    pts = [critical_point(p, x, refine=True) for x in ([0.0, 0.0], [0.09, -0.71], [1.23, 0.16])]
    assert [c.kind for c in pts] == ["saddle", "minimum", "maximum"]
    ax = plot.critical_points(p, pts, labels={"saddle": "鞍点"}, title="t")
    for c in pts:
        (line,) = _base.tagged(ax, f"critical-{c.kind}")
        assert np.allclose(np.column_stack(line.get_data()), [c.x])
    assert _base.tagged(ax, "contour") and ax.get_title() == "t"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "鞍点" in texts and "minimum" in texts
    # on a picture already drawn: markers only
    ax2 = plot.trajectories(p, minimize(p, lr=0.02, steps=5), legend=False)
    n_contours = len(_base.tagged(ax2, "contour"))
    plot.critical_points(p, pts[:1], ax=ax2, contour=False, legend=False)
    assert len(_base.tagged(ax2, "contour")) == n_contours and len(_base.tagged(ax2, "critical-saddle")) == 1


def test_constrained_path_draws_the_ball_to_scale():
    p = problems.get("least_squares", A=np.diag([1.0, 2.0]), b=np.array([4.5, 4.5]))
    r = minimize(p, np.array([-1.0, 0.0]), lr=0.1, steps=100, constraint=constraints.Ball(2.0))
    ax = plot.constrained_path(p, r, 2.0, window=((-3.0, 5.0), (-3.0, 3.0)))
    (edge,) = _base.tagged(ax, "constraint")
    xy = np.column_stack(edge.get_data())
    assert np.allclose(np.linalg.norm(xy, axis=1), 2.0) and edge.get_label() == "x'x = 4"
    assert ax.get_aspect() == 1.0 and len(_base.tagged(ax, "path")) == 1
    with pytest.raises(DescendError, match="radius must be a finite number > 0"):
        plot.constrained_path(p, r, -1.0)
