"""The tour's sentences say what its own numbers show."""

import re

import numpy as np
import pytest

from descend import minimize, problems, tour


def _numbers_after(text, phrase):
    """The numbers in ``text`` right after each occurrence of ``phrase``."""
    return [float(m) for m in re.findall(re.escape(phrase) + r"\s*(-?[0-9.]+)", text)]


def test_section_5_quotes_the_factors_one_step_multiplies_x_and_f_by():
    section = tour.gradient_descent_section()
    p = problems.get("sphere")
    claimed_x = _numbers_after(section.text, "x shrinks by") + _numbers_after(section.text, "0.01 x by")
    claimed_f = _numbers_after(section.text, "and f by")
    measured = {}
    for lr in (0.1, 0.01):
        r = minimize(p, np.array([-3.0, 4.0]), lr=lr, steps=20)
        # every step, not only the first: the factor is a property of the rule on this f
        measured[lr] = (r.history.x[1:, 0] / r.history.x[:-1, 0], r.history.f[1:] / r.history.f[:-1])
    assert claimed_x == pytest.approx([measured[0.1][0][0], measured[0.01][0][0]], abs=5e-4)
    assert claimed_f == pytest.approx([measured[0.1][1][0], measured[0.01][1][0]], abs=5e-4)
    assert claimed_f == pytest.approx([0.64, 0.9604])
    for lr in (0.1, 0.01):
        assert np.allclose(measured[lr][0], 1 - 2 * lr) and np.allclose(measured[lr][1], (1 - 2 * lr) ** 2)


def test_the_stability_limit_is_called_2_over_L():
    section = tour.conditioning_section()
    captions = " ".join(p.caption for p in section.pictures)
    assert "2/kappa" not in captions and "2/L" in captions
    assert all("2/kappa" not in t.title for t in section.tables)


@pytest.mark.parametrize("key, axes", [("conditioning", [0]), ("line_search", [0, 2])])
def test_contours_whose_lesson_is_the_shape_are_drawn_to_scale(key, axes):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    (section,) = tour.sections([key])
    fig = section.pictures[0].draw()
    try:
        for i in axes:
            ax = fig.axes[i]
            assert ax.get_aspect() == 1.0, (key, i)
            # equal data units per pixel on both axes
            fig.canvas.draw()
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            bbox = ax.get_window_extent()
            assert (bbox.width / (x1 - x0)) == pytest.approx(bbox.height / (y1 - y0), rel=0.02)
    finally:
        plt.close(fig)


_JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_every_section_in_japanese_has_japanese_text_tables_and_captions():
    for section in tour.sections(lang="ja"):
        assert section.lang == "ja"
        assert _JA.search(section.title) and _JA.search(section.text), section.key
        for t in section.tables:
            assert _JA.search(t.title), (section.key, t.title)
        for p in section.pictures:
            assert _JA.search(p.caption), (section.key, p.caption)
        assert section.rule == tour.RULES[section.key]


def test_the_numbers_are_the_same_in_both_languages():
    en, ja = tour.sections(["line_search"], lang="en")[0], tour.sections(["line_search"], lang="ja")[0]
    (te,), (tj,) = en.tables, ja.tables
    for re_, rj in zip(te.rows, tj.rows):
        for kind, a, b in zip(te.kinds, re_, rj):
            if kind != "text":
                assert np.array_equal(a, b)
    assert "493" in en.text and "493" in ja.text


def test_every_table_has_a_kind_per_column():
    for section in tour.sections(lang="en"):
        for t in section.tables:
            assert t.kinds is not None and len(t.kinds) == len(t.columns), (section.key, t.title)
            assert all(len(r) == len(t.columns) for r in t.rows)


def test_japanese_pictures_use_a_cjk_font_and_translate_descends_own_labels():
    pytest.importorskip("matplotlib")
    import warnings

    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    (section,) = tour.sections(["line_search"], lang="ja")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would be a UserWarning
        fig = section.pictures[0].draw()
        fig.canvas.draw()
    try:
        texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
        assert "初期値" in texts and "終点" in texts and "ステップ" in texts  # plot.trajectories' / the axis' own
        assert "start" not in texts and "end" not in texts
        fonts = {f for t in fig.findobj(Text) if _JA.search(t.get_text()) for f in t.get_fontfamily()}
        assert "IPAexGothic" in fonts
    finally:
        plt.close(fig)


def test_the_japanese_page_has_formulas_and_japanese_frame(tmp_path):
    pytest.importorskip("matplotlib")
    from descend import report

    index = report.build(tmp_path, sections=tour.sections(["gradient_descent"], lang="ja"), gif=False, dpi=40)
    text = index.read_text(encoding="utf-8")
    assert '<html lang="ja">' in text and "勾配降下法と学習率" in text and "学習率" in text
    assert text.count("<math") == 1 and "<mo>&#x02190;</mo>" in text  # x <- x - eta grad f(x), as MathML
    assert "ステップ数の上限" in text  # the status words, not "max_steps"
    assert "max_steps" not in text


def test_the_race_legend_covers_no_minimum_and_no_end_point():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    (section,) = tour.sections(["optimizer_race"])
    fig = section.pictures[0].draw()
    try:
        fig.canvas.draw()
        boxes = [lg.get_window_extent() for lg in fig.legends] + \
                [a.get_legend().get_window_extent() for a in fig.axes if a.get_legend() is not None]
        assert boxes
        for ax in fig.axes:
            for line in ax.get_lines():
                if line.get_gid() in ("descend:minimizer", "descend:end"):
                    for x, y in ax.transData.transform(np.column_stack(line.get_data())):
                        assert not any(b.contains(x, y) for b in boxes), (line.get_gid(), x, y)
    finally:
        plt.close(fig)


def test_every_formula_converts_to_mathml_without_a_latex_command_left_over():
    converter = pytest.importorskip("latex2mathml.converter")
    for key, latex in tour.RULES.items():
        mathml = converter.convert(latex)
        assert "\\" not in mathml, key  # latex2mathml leaves a command it does not know as text
        assert "<mi>" in mathml and "<mo>" in mathml, key


def test_the_step_descend_chose_is_shown_not_nan():
    from descend.diff import default_step

    (section,) = tour.sections(["differentiation"])
    auto = [r for r in section.tables[0].rows if "chosen by descend" in r[0]]
    assert len(auto) == 2
    for (label, h, _), method in zip(auto, ("central", "complex")):
        assert np.isfinite(h) and h == float(default_step(method, 0.0)), label


def test_tables_show_no_raw_floats_nan_or_snake_case():
    from descend import fmt

    for section in tour.sections(lang="en"):
        for t in section.tables:
            assert all("_" not in str(c) or c.startswith("descend.") for c in t.columns), t.columns
            for row in t.rows:
                for kind, v in zip(t.kinds, row):
                    text = fmt.cell(v, kind)
                    if kind not in ("exact", "text"):
                        for number in re.findall(r"[0-9][0-9.]*(?=e-?[0-9]+|\b)", text):
                            significant = number.replace(".", "").lstrip("0")
                            assert len(significant) <= 6, (t.title, text)
                    if kind not in ("exact",) and not isinstance(v, np.ndarray):
                        assert text != "nan", (t.title, kind)
