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

from .. import i18n
from .gradients import differentiation_section, gradient_descent_section, gradient_field_section, \
    least_squares_section, step_factors
from .curvature import curvature_section
from .numerics import conditioning_section, softmax_section
from .optimizers import RACE, ROSENBROCK_LR, multistart_section, optimizer_race_section, training_section  # noqa: F401 (public names of the tour)
from .second_order import _LS_A, _LS_B, second_order_section, six_hump_critical_points  # noqa: F401 (tests read them)
from .section import RULES, Picture, Section, Table

__all__ = ["Table", "Picture", "Section", "sections", "SECTIONS", "RULES", "step_factors"]


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
    ("curvature", curvature_section),
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
