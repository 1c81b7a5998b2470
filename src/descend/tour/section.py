"""What a section of the tour is made of (its tables, pictures and formula) and the helpers every section uses."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import i18n

__all__ = ["Table", "Picture", "Section", "RULES", "translator", "pyplot", "figure", "narrow_layout", "NARROW_FONT_SIZE"]


@dataclass
class Table:
    """A table of a section: a title, column names, rows of values (numbers, arrays, text) and,
    optionally, each column's kind for :func:`descend.fmt.cell` (None: by the value's type)."""

    title: str
    columns: list
    rows: list
    kinds: list | None = None

    def kind(self, j: int) -> str | None:
        """The kind of column ``j`` (None when the table gives none)."""
        return None if self.kinds is None else self.kinds[j]


@dataclass
class Picture:
    """A picture of a section: ``draw()`` returns a matplotlib Figure (kind "png"), or,
    for kind "gif", ``draw(path)`` writes an animation there and returns the path."""

    caption: str
    draw: Callable
    kind: str = "png"


@dataclass
class Section:
    """One step of the tour: a key, a title, a plain explanation, its tables and its pictures,
    the update rule or formula it is about (LaTeX, :data:`RULES`) and the language of its text."""

    key: str
    title: str
    text: str
    tables: list = field(default_factory=list)
    pictures: list = field(default_factory=list)
    rule: str = ""
    lang: str = "en"


#: each section's formula in LaTeX (the same in every language): the page draws it as SVG (report: mathtext)
RULES = {
    "softmax": r"\mathrm{softmax}(x)_i = \frac{e^{x_i - \max_j x_j}}{\sum_k e^{x_k - \max_j x_j}}",
    "conditioning": r"\kappa(A) = \frac{\sigma_{\max}(A)}{\sigma_{\min}(A)}, \qquad \eta < \frac{2}{L}",
    "differentiation": r"f'(x) \approx \frac{f(x+h) - f(x-h)}{2h}",
    "gradient_field": r"\nabla f(x) = \left(\frac{\partial f}{\partial x_0}, \frac{\partial f}{\partial x_1}\right)",
    "gradient_descent": r"x \leftarrow x - \eta \nabla f(x)",
    "line_search": r"\eta_k = \mathrm{arg\,min}_{\eta > 0} f(x_k - \eta \nabla f(x_k)), \qquad "
                   r"\|\nabla f(x)\| \le \varepsilon",
    "optimizer_race": r"m \leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, "
                      r"\quad x \leftarrow x - \eta \frac{\hat m}{\sqrt{\hat v} + \epsilon}",
    "training": r"W \leftarrow W - \eta \frac{1}{|B|} \sum_{i \in B} \nabla_W L_i(W)",
    "curvature": r"\theta \leftarrow \theta - \eta \nabla L(\theta), \qquad "
                 r"\lambda_{\max}\left(\nabla^2 L(\theta)\right) \approx \frac{2}{\eta}",
    "multistart": r"x^\ast = \mathrm{arg\,min}_{r = 1, \dots, R} f\left(\mathrm{GD}(x_0^{(r)})\right)",
    "second_order": r"x \leftarrow x - H^{-1} \nabla f(x), \quad \nabla f + 2 \lambda x = 0, \ "
                    r"\lambda (x^\top x - 1) = 0",
}

def translator(lang):
    """``tr(key, **fields)`` for one language; keys are relative to ``tour.`` when they start with a dot."""
    def tr(key, **fields):
        return i18n.t(f"tour{key}" if key.startswith(".") else key, lang, **fields)
    return tr


def pyplot():
    """matplotlib.pyplot, set up headless by :mod:`descend.plot` (imported on first use)."""
    from ..plot import _base

    return _base.pyplot()


#: the base font size (points) of a figure drawn for a narrow screen: matplotlib's "small" (legends) is then
#: 10 pt, 12.5 CSS px at the page's 90 dpi, shown unscaled on a 600 px screen
NARROW_FONT_SIZE = 12.0
_NARROW = contextvars.ContextVar("descend_tour_narrow", default=False)


@contextlib.contextmanager
def narrow_layout(font_size: float = NARROW_FONT_SIZE):
    """Draw the tour's figures for a narrow screen: the panels of :func:`figure` stacked in one column,
    and matplotlib's base font size ``font_size`` (the demo page shows this picture below 700 px)."""
    token = _NARROW.set(True)
    try:
        with pyplot().rc_context({"font.size": font_size}):
            yield
    finally:
        _NARROW.reset(token)


def figure(ncols: int = 2, nrows: int = 1, *, width: float = 5.2, height: float = 4.2, **kwargs):
    """``plt.subplots`` for a row of panels of ``width`` x ``height`` inches each (axes always 2-D, indexed
    ``ax[0, k]``); under :func:`narrow_layout` the row is drawn as a column, with the same indexing."""
    plt = pyplot()
    if _NARROW.get() and nrows == 1 and ncols > 1:
        fig, axes = plt.subplots(ncols, 1, figsize=(width, height * ncols), squeeze=False, **kwargs)
        return fig, axes.reshape(1, ncols)
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kwargs)
