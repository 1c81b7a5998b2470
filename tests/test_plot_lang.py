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


def _texts_of_the_animation(monkeypatch, tmp_path, **kwargs):
    """Run plot.animate and return the texts of its figure, taken when it is closed."""
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    seen = []
    close = plt.close

    def spy(fig=None):
        if fig is not None and hasattr(fig, "findobj"):
            seen.extend(t.get_text() for t in fig.findobj(Text) if t.get_text())
        return close(fig)

    monkeypatch.setattr(plt, "close", spy)
    p, runs = _race_runs(2)
    out = plot.animate(p, runs, tmp_path / "race.gif", frames=4, dpi=30, **kwargs)
    assert out.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    return seen


def test_the_animation_writes_its_labels_in_japanese(monkeypatch, tmp_path):
    texts = _texts_of_the_animation(monkeypatch, tmp_path, lang="ja")
    assert "初期値" in texts and "終点" in texts and "既知の最小点" in texts
    assert "ステップ 60" in texts  # the counter, at the last frame
    assert not {"start", "end", "known minimizer", "step 60"} & set(texts)


def test_the_animation_stays_english_by_default(monkeypatch, tmp_path):
    texts = _texts_of_the_animation(monkeypatch, tmp_path)
    assert {"start", "end", "step 60"} <= set(texts)


def test_the_tour_gif_is_drawn_in_the_tour_language(monkeypatch, tmp_path):
    from descend import tour

    seen = {}
    real = plot.animate

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **{**kwargs, "frames": 3, "dpi": 20})

    monkeypatch.setattr(plot, "animate", spy)
    (section,) = tour.sections(["optimizer_race"], lang="ja")
    (gif,) = [p for p in section.pictures if p.kind == "gif"]
    gif.draw(tmp_path / "tour.gif")
    assert seen["lang"] == "ja"
