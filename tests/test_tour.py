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
