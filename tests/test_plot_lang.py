"""Pictures readable and in the reader's language: the race's paths apart, the GIF and the CLI plots translated."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from descend import minimize, plot, problems  # noqa: E402
from descend.plot._base import tagged  # noqa: E402


def _race_runs(n=6):
    p = problems.get("rosenbrock")
    lrs = np.geomspace(1e-4, 1e-3, n)
    return p, [minimize(p, lr=float(lr), steps=60) for lr in lrs]


def test_every_race_path_has_its_own_colour_and_line_style_and_lies_above_the_contours():
    import matplotlib.pyplot as plt

    p, runs = _race_runs()
    ax = plot.trajectories(p, runs, markers=False)
    try:
        paths = tagged(ax, "path")
        assert len(paths) == 6
        pairs = {(line.get_color(), line.get_linestyle()) for line in paths}
        assert len(pairs) == 6  # no two paths look alike
        assert len({line.get_color() for line in paths}) == 6
        (contour,) = tagged(ax, "contour")
        assert min(line.get_zorder() for line in paths) > contour.get_zorder()
        assert all(line.get_linewidth() >= 1.5 for line in paths)
        assert all(line.get_markevery() is not None for line in paths)  # marks along a path drawn without markers
        # the ends of runs that meet stay visible: each later end is drawn above and smaller than the one before
        ends = tagged(ax, "end")
        z = [e.get_zorder() for e in ends]
        size = [e.get_markersize() for e in ends]
        assert z == sorted(z) and len(set(z)) == 6 and size == sorted(size, reverse=True) and len(set(size)) == 6
        (m,) = tagged(ax, "minimizer")
        assert min(z) > m.get_zorder() > max(line.get_zorder() for line in paths)
    finally:
        plt.close(ax.figure)


def test_the_tour_race_picture_keeps_its_six_paths_apart():
    import matplotlib.pyplot as plt

    from descend import tour

    (section,) = tour.sections(["optimizer_race"])
    fig = section.pictures[0].draw()
    try:
        for ax in fig.axes:
            paths = tagged(ax, "path")
            assert len(paths) == 6
            assert len({(line.get_color(), line.get_linestyle()) for line in paths}) == 6
    finally:
        plt.close(fig)
