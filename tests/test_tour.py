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
    # x <- x - eta grad f(x), drawn as SVG with its LaTeX for screen readers
    assert text.count('<svg class="formula"') == 1 and 'aria-label="x \\leftarrow x - \\eta \\nabla f(x)"' in text
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


# ------------------------------------------------------------------ 10 beyond the gradient

def _second_order(lang="en"):
    (section,) = tour.sections(["second_order"], lang=lang)
    return section


def test_beyond_the_gradient_newton_needs_one_step_on_the_bowl_and_a_few_on_rosenbrock():
    section = _second_order()
    text = section.text
    race = {(r[0], r[1].split(",")[0]): r for r in section.tables[0].rows}
    bowl = problems.get("elongated_bowl")
    newton = minimize(bowl, method="newton", steps=100, gtol=1e-6)
    assert newton.nit == 1 and np.allclose(newton.x, 0.0, atol=1e-12)  # exact on a quadratic
    assert race["elongated_bowl", "Newton's method"][2] == 1
    assert _numbers_after(text, "lands on the minimizer in") == [1.0]
    gd_steps = race["elongated_bowl", "gradient descent"][2]
    assert _numbers_after(text, "with the step 1/L needs") == [gd_steps] and gd_steps > 100
    # gradient descent with lr = 1/L shrinks x0 by 1 - lambda_min / L = 1 - 0.1 / 2 per step
    gd = minimize(bowl, lr=0.5, steps=5000, gtol=1e-6)
    assert gd.nit == gd_steps and gd.status == "converged"
    rosen_newton, rosen_gd = race["rosenbrock", "Newton's method"], race["rosenbrock", "gradient descent"]
    assert _numbers_after(text, "on Rosenbrock it needs") == [rosen_newton[2]] and rosen_newton[2] <= 10
    assert rosen_newton[4] == "converged" and rosen_newton[3] < 1e-6
    assert rosen_gd[4] == "max_steps" and rosen_gd[3] > 0.1
    assert _numbers_after(text, "is still") == pytest.approx([rosen_gd[3]], rel=1e-2)


def test_beyond_the_gradient_newton_ends_at_the_saddle_and_gradient_descent_escapes():
    from descend import critical_point

    section = _second_order()
    from descend import gradient, hessian

    p = problems.saddle()
    for x in ([1.5, 0.05], [-0.3, 1.7], [0.0, 0.0]):
        x = np.array(x)
        assert p.grad(x) == pytest.approx(gradient(p.f, x), abs=1e-6)
        assert p.hessian(x) == pytest.approx(hessian(p.f, x), abs=1e-4)
    assert p.hessian(p.x0) == pytest.approx(np.diag([2.0, -2.0])) and p.minimizers.shape == (0, 2)
    assert "saddle" not in problems.names()  # no minimum: kept out of the registry the optimizers are tested on
    assert critical_point(p, np.zeros(2)).kind == "saddle"
    newton = minimize(p, method="newton", steps=10, gtol=1e-12)
    gd = minimize(p, lr=0.1, steps=20)
    assert newton.nit == 1 and np.array_equal(newton.x, [0.0, 0.0])
    assert critical_point(p, newton.x).kind == "saddle"
    assert np.linalg.norm(gd.x) > 1.5 and critical_point(p, gd.x).kind == "not critical"
    assert abs(gd.x[1]) == pytest.approx(0.05 * 1.2 ** 20)  # y grows by 1 + 2 lr per step: the escape
    (n_row, g_row) = section.tables[1].rows
    assert n_row[4] == "saddle" and np.array_equal(n_row[2], newton.x)
    assert g_row[4].startswith("not critical") and np.array_equal(g_row[2], gd.x)
    assert _numbers_after(section.text, "to the saddle (0, 0) in") == [1.0]
    assert _numbers_after(section.text, "|y| =") == pytest.approx([abs(gd.x[1])], rel=1e-2)


def test_beyond_the_gradient_the_six_hump_camels_critical_points_and_their_kinds():
    from descend import critical_point

    p, points = tour.six_hump_critical_points()
    # each is critical, distinct, and its kind is what the Hessian's eigenvalues say
    for c in points:
        g = p.grad(c.x)
        assert np.linalg.norm(g) < 1e-8
        lam = np.linalg.eigvalsh(p.hessian(c.x))
        expected = "minimum" if lam.min() > 0 else ("maximum" if lam.max() < 0 else "saddle")
        assert c.kind == expected == critical_point(p, c.x).kind
    X = np.array([c.x for c in points])
    assert np.min(np.linalg.norm(X[:, None] - X[None], axis=-1) + np.eye(len(X)) * 9) > 1e-3
    kinds = [c.kind for c in points]
    assert (kinds.count("minimum"), kinds.count("saddle"), kinds.count("maximum")) == (6, 7, 2)
    # f(x, y) = f(-x, -y): the set is symmetric; the two global minimizers are among the minima
    assert all(np.min(np.linalg.norm(X + x, axis=1)) < 1e-8 for x in X)
    for m in p.minimizers:
        assert any(np.allclose(c.x, m, atol=1e-8) and c.kind == "minimum" for c in points)
    text = _second_order().text
    assert "15 critical points in its window: 6 minima, 7 saddles and 2 maxima" in text
    table = _second_order().tables[2]
    assert [r[3] for r in table.rows] == kinds


def test_beyond_the_gradient_the_constrained_path_slides_along_the_ball_to_the_kkt_point():
    from descend import constraints

    section = _second_order()
    A, b = tour._LS_A, tour._LS_B
    p = problems.get("least_squares", A=A, b=b)
    r = minimize(p, np.array([-1.0, 0.0]), lr=0.1, steps=500, gtol=1e-13, constraint=constraints.Ball(1.0))
    X = r.history.x
    assert r.status == "converged"
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-12)  # every iterate on the edge: it slides
    angle = np.unwrap(np.arctan2(X[:, 1], X[:, 0]), period=2 * np.pi)
    assert np.all(np.diff(angle) <= 1e-15) and angle[0] - angle[-1] > np.pi / 2  # one way, a long way round
    book = constraints.constrained_least_squares(A, b, 1.0)
    assert np.max(np.abs(r.x - book.x)) < 1e-12
    k = constraints.kkt(p, r.x, constraints.Ball(1.0))
    assert k.ok(1e-8) and k.lam[0] > 0 and k.lam[0] == pytest.approx(book.lam, rel=1e-10)
    g = p.grad(r.x)
    assert np.dot(-g, r.x) / (np.linalg.norm(g) * np.linalg.norm(r.x)) == pytest.approx(1.0, abs=1e-10)
    assert _numbers_after(section.text, "slides along the edge for") == [r.nit]
    assert _numbers_after(section.text, "lambda =") == pytest.approx([k.lam[0]], rel=1e-2)
    assert f"({r.x[0]:.3f}, {r.x[1]:.3f})" in section.text
    assert f"lambda = {k.lam[0]:.3g}" in section.pictures[2].caption


def test_beyond_the_gradient_least_squares_three_ways_agree():
    section = _second_order()
    rows = {r[0]: r for r in section.tables[3].rows}
    pinv = np.linalg.pinv(tour._LS_A) @ tour._LS_B
    for name, row in rows.items():
        reference = rows[next(n for n in rows if "Lagrange" in n)][1] if "x'x" in name else pinv
        assert np.max(np.abs(row[1] - reference)) == pytest.approx(row[3], abs=1e-16)
        assert row[3] < 1e-12, name
        if "x'x" in name:
            assert row[2] == pytest.approx(1.0, abs=1e-12)  # on the edge: the constraint is active
    assert len(rows) == 5 and np.linalg.norm(pinv) > 1  # the unconstrained minimizer is outside the ball
    claimed = re.findall(r"gives the same x to ([0-9.e+-]+); .* agree to ([0-9.e+-]+)\.", section.text)
    (same, agree), = claimed
    assert float(same) == pytest.approx(max(rows[n][3] for n in rows if "x'x" not in n), rel=0.1)
    assert float(agree) == pytest.approx(max(rows[n][3] for n in rows if "x'x" in n), rel=0.1)


def test_beyond_the_gradient_renders_in_english_and_japanese(tmp_path):
    pytest.importorskip("matplotlib")
    from descend import report

    for lang, title in (("en", "Beyond the gradient"), ("ja", "勾配の先へ")):
        index = report.build(tmp_path / lang, sections=tour.sections(["second_order"], lang=lang), gif=False, dpi=40)
        text = index.read_text(encoding="utf-8")
        assert title in text and text.count('<svg class="formula"') == 1
        assert text.count("<img ") == 3 and text.count("<table>") == 4
    ja = (tmp_path / "ja" / "index.html").read_text(encoding="utf-8")
    for term in ("ニュートン法", "鞍点", "ヘッセ行列", "二階微分判定", "KKT条件", "ラグランジュ乗数", "最小二乗法", "極小"):
        assert term in ja, term
    assert "saddle" not in ja.split("<h2")[1].split("</section>")[0].replace("descend", "")


def test_beyond_the_gradients_japanese_pictures_have_no_english_labels_of_descends_own():
    pytest.importorskip("matplotlib")
    import warnings

    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    section = _second_order("ja")
    for pic in section.pictures:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph would warn
            fig = pic.draw()
        try:
            texts = {t.get_text() for t in fig.findobj(Text) if t.get_text()}
            for english in ("start", "end", "known minimizer", "distance to x*", "step + 1", "step", "saddle",
                            "minimum", "gradient descent"):
                assert english not in texts, english
        finally:
            plt.close(fig)


# ------------------------------------------------------------------ the curvature of a network

def _curvature(lang="en"):
    (section,) = tour.sections(["curvature"], lang=lang)
    return section


def test_curvature_section_reproduces_progressive_sharpening_and_the_edge_of_stability():
    from descend.tour.curvature import edge_runs

    runs = edge_runs().runs
    assert len(runs) >= 2
    for run in runs:
        s = run.summary()
        # progressive sharpening: the sharpness starts well below 2/lr and rises to it
        assert s["sharpness_first"] < 0.8 * run.threshold, s
        assert s["sharpening"] > 1.3 and s["reached"] is not None and s["reached"] > 0, s
        # the edge of stability: it then settles at 2/lr, within 10 %
        assert abs(s["settled"] - 1) < 0.10, s
        late = run.sharpness[run.steps >= s["reached"]]
        assert np.all(np.abs(late / run.threshold - 1) < 0.25), late / run.threshold
        # the loss keeps falling over the run, but not monotonically
        assert s["loss_last"] < 0.5 * s["loss_first"] and s["loss_increases"] > 10, s
    # the smaller lr reaches its (higher) 2/lr later
    by_lr = sorted(runs, key=lambda r: r.lr)
    assert by_lr[0].reached > by_lr[-1].reached


def test_curvature_section_says_what_its_numbers_show():
    from descend.tour.curvature import edge_runs

    runs = edge_runs().runs
    section = _curvature()
    text = section.text
    assert [int(v) for v in _numbers_after(text, "at step")] == [r.reached for r in runs]
    medians = [float(m) for m in re.findall(r"([0-9.]+) times 2/lr", text) + re.findall(r"is ([0-9.]+) and", text)]
    for r in runs:
        assert any(abs(m - r.settled) < 1e-3 for m in medians), (r.settled, medians)
    assert f"went up on {runs[0].loss_increases} and {runs[-1].loss_increases} steps" in text
    edge = section.tables[0]
    assert [row[0] for row in edge.rows] == [r.lr for r in runs]
    assert [row[5] for row in edge.rows] == [r.settled for r in runs]
    ja = _curvature("ja")
    assert ja.tables[0].rows == edge.rows and "シャープネス" in ja.text and "安定性の限界" in ja.text


def test_curvature_section_landscape_line_and_planes():
    from descend.tour.curvature import landscape

    land = landscape()
    line = land.line
    # the line's ends are the run's first and last weights: their losses are the run's
    assert line.loss[np.argmin(np.abs(line.alphas))] == pytest.approx(land.loss[0], rel=1e-12)
    assert line.loss[np.argmin(np.abs(line.alphas - 1))] < 0.5 * land.loss[0]
    for surf in (land.random, land.pca):
        mid = len(surf.a) // 2
        assert surf.a[mid] == 0 and surf.b[mid] == 0 and surf.loss.shape == (len(surf.b), len(surf.a))
        assert np.allclose(surf.path[-1], 0)  # the plane is centred on the trained weights
        assert surf.loss[mid, mid] == pytest.approx(line.loss[np.argmin(np.abs(line.alphas - 1))], rel=1e-12)
    # the principal plane holds the run (it moves far across it), a random plane hardly sees it
    assert np.sum(land.explained) > 0.9
    pca_span = np.max(np.abs(land.pca.path))
    assert pca_span > 10 * np.max(np.abs(land.random.path))
    assert np.max(np.abs(land.pca.a)) >= pca_span  # the whole run lies on the drawn part


def test_curvature_section_pictures_in_english_and_japanese():
    pytest.importorskip("matplotlib")
    import warnings

    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    for lang in ("en", "ja"):
        section = _curvature(lang)
        assert len(section.pictures) == 2
        for pic in section.pictures:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a missing glyph would warn
                fig = pic.draw()
                fig.canvas.draw()
            try:
                texts = {t.get_text() for t in fig.findobj(Text) if t.get_text()}
                if lang == "ja":
                    assert any(_JA.search(t) for t in texts)
                    for english in ("step", "loss", "direction 1", "the run, projected"):
                        assert english not in texts, english
                else:
                    assert "step" in texts or "direction 1" in texts
            finally:
                plt.close(fig)
