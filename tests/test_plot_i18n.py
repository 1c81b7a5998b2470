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


def _saved_texts(monkeypatch):
    """Spy on descend.plot._base.save: the texts of every figure saved, per file name."""
    from matplotlib.text import Text

    from descend.plot import _base

    seen = {}
    real = _base.save

    def spy(fig, path, **kwargs):
        seen[str(path).rsplit("/", 1)[-1]] = {t.get_text() for t in fig.findobj(Text) if t.get_text()}
        return real(fig, path, **kwargs)

    monkeypatch.setattr(_base, "save", spy)
    return seen


@pytest.fixture
def japanese_locale(monkeypatch):
    from descend import i18n

    for var in ("LANGUAGE", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    i18n.set_lang(None)
    yield
    i18n.set_lang(None)


def test_lr_find_plot_follows_the_locale_as_demo_does(monkeypatch, tmp_path, japanese_locale):
    from descend.cli.sweeps import cli_lr_find

    seen = _saved_texts(monkeypatch)
    cli_lr_find("rosenbrock", steps=40, plot=str(tmp_path / "lr.png"), out=open(tmp_path / "out.txt", "w"))
    texts = seen["lr.png"]
    assert "学習率" in texts and "損失" in texts and "平滑化" in texts
    assert any(t.startswith("推奨値 ") for t in texts) and any(t.startswith("学習率レンジテスト (") for t in texts)
    assert not {"learning rate", "loss", "smoothed"} & texts
    assert (tmp_path / "lr.png").read_bytes()[:4] == b"\x89PNG"


def test_lr_find_plot_stays_english_in_an_english_locale(monkeypatch, tmp_path):
    from descend import i18n
    from descend.cli.sweeps import cli_lr_find

    i18n.set_lang("en")
    try:
        seen = _saved_texts(monkeypatch)
        cli_lr_find("rosenbrock", steps=40, plot=str(tmp_path / "lr.png"), out=open(tmp_path / "out.txt", "w"))
    finally:
        i18n.set_lang(None)
    assert {"learning rate", "loss", "smoothed"} <= seen["lr.png"]


def test_sweep_report_pictures_follow_the_locale(monkeypatch, tmp_path, japanese_locale):
    from descend.cli.sweeps import cli_report, cli_sweep

    store = str(tmp_path / "s.db")
    cli_sweep("rosenbrock", optimizer="gd,adam", lr="1e-4:1e-2:3", store=store, steps=20,
              out=open(tmp_path / "sweep.txt", "w"))
    seen = _saved_texts(monkeypatch)
    cli_report(store, out_dir=str(tmp_path / "rep"), out=open(tmp_path / "rep.txt", "w"))
    final, curves = seen["final_loss.png"], seen["curves.png"]
    assert {"学習率", "最終的な損失 (中央値、帯: 最小..最大)", "学習率と最終的な損失 (発散した実行は除く)"} <= final
    assert {"ステップ", "損失 (シードと初期値にわたる中央値)", "最良の学習率での各最適化手法"} <= curves
    assert not {"learning rate", "step", "each optimizer at its best lr"} & (final | curves)


def test_the_animation_keeps_every_path_colour_in_its_palette(tmp_path):
    from matplotlib.colors import to_rgb
    from PIL import Image

    from descend.plot import _base

    p = problems.get("elongated_bowl")
    runs = [minimize(p, optimizer=name, lr=lr, steps=30)
            for name, lr in (("sgd", 0.95), ("momentum", 0.1), ("adagrad", 1.5), ("adadelta", 1.0),
                             ("rmsprop", 0.1), ("adam", 0.3))]
    out = plot.animate(p, runs, tmp_path / "race.gif", frames=5, dpi=60)
    with Image.open(out) as im:
        im.seek(im.n_frames - 1)
        rgb = np.asarray(im.convert("RGB"), dtype=float).reshape(-1, 3)
    for style in _base.run_styles(len(runs)):
        want = np.array(to_rgb(style["color"])) * 255
        assert np.min(np.abs(rgb - want).max(axis=1)) < 24, style["color"]  # quantizing lost no path's colour
