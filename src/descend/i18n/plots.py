"""Pictures in the reader's language: a CJK font from PyPI and the plot functions' own labels translated.

matplotlib's default font has no Japanese glyphs.  :func:`plot_context` adds IPAexGothic
from the ``matplotlib-fontja`` wheel (the ``demo`` extra) and lists it after the default
font in ``font.family``, so Latin letters and digits look as they always do and kana and kanji fall back to
it glyph by glyph (matplotlib >= 3.6).  The package is located without importing it:
importing ``matplotlib_fontja`` would switch every later figure's font.

:func:`translate_figure` replaces the labels that :mod:`descend.plot` writes itself
("start", "end", "known minimizer", axis names ...) by their catalogue text: each
``plot.*`` key's English is a template, ``{fields}`` matching any text, so
``tangent at x=5 (slope 0.2)`` becomes ``x=5 での接線 (傾き 0.2)``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import pathlib
import re
import string

from . import CATALOGUE, check_lang

__all__ = ["font_file", "japanese_font", "plot_context", "translate_figure", "translate_label"]

#: the family name of the font in matplotlib-fontja
FONT_NAME = "IPAexGothic"


def font_file() -> pathlib.Path | None:
    """IPAexGothic's TrueType file inside the ``matplotlib-fontja`` wheel, or None where it is not installed.

    Found without importing the package (its import switches matplotlib's font).
    """
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return None
    ttf = pathlib.Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf"
    return ttf if ttf.is_file() else None


@functools.lru_cache(maxsize=1)
def japanese_font() -> str | None:
    """Register the CJK font of ``matplotlib-fontja`` with matplotlib; its family name, or None
    when the package is not installed (then Japanese labels show as boxes)."""
    ttf = font_file()
    if ttf is None:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(ttf))
    return FONT_NAME


@contextlib.contextmanager
def plot_context(lang: str | None = None):
    """Inside: figures drawn in ``lang`` get a font with its glyphs (nothing changes for English)."""
    lang = check_lang(lang)
    font = japanese_font() if lang == "ja" else None
    if font is None:
        yield
        return
    import matplotlib

    # a list of families, not the generic "sans-serif": matplotlib falls back glyph by glyph only along
    # font.family itself
    with matplotlib.rc_context({"font.family": [matplotlib.rcParams["font.sans-serif"][0], font]}):
        yield


@functools.lru_cache(maxsize=None)
def _patterns():
    out = []
    for key, entry in CATALOGUE.items():
        if not key.startswith("plot."):
            continue
        parts, names, fixed = [], [], 0
        for literal, name, _, _ in string.Formatter().parse(entry["en"]):
            parts.append(re.escape(literal))
            fixed += len(literal)
            if name is not None:
                parts.append(f"(?P<{name}>.+?)")
                names.append(name)
        out.append((re.compile("^" + "".join(parts) + "$"), key, bool(names), fixed))
    # templates without fields first: an exact label wins over a pattern that would also match; then the
    # patterns with more fixed text ("lr range test ({optimizer})" before "lr {lr}")
    return [p[:3] for p in sorted(out, key=lambda p: (p[2], -p[3]))]


def translate_label(text: str, lang: str) -> str:
    """``text`` in ``lang`` when it is one of descend.plot's own labels, else unchanged."""
    if lang == "en" or not text:
        return text
    for pattern, key, _ in _patterns():
        m = pattern.match(text)
        if m:
            fields = {k: translate_label(v, lang) for k, v in m.groupdict().items()}
            return CATALOGUE[key][lang].format(**fields)
    return text


def translate_figure(fig, lang: str | None = None):
    """Translate every label, title and legend entry descend.plot wrote in ``fig`` and give every text
    a font with ``lang``'s glyphs; returns fig."""
    lang = check_lang(lang)
    if lang == "en":
        return fig
    import matplotlib
    from matplotlib.text import Text

    font = japanese_font() if lang == "ja" else None
    # the font is fixed on each text, so the figure keeps its glyphs when saved after the context
    families = [matplotlib.rcParams["font.sans-serif"][0], font] if font else None
    for artist in fig.findobj(Text):
        text = artist.get_text()
        new = translate_label(text, lang)
        if new != text:
            artist.set_text(new)
        if families:
            artist.set_fontfamily(families)
    return fig


#: the family name the Japanese page gives its embedded font
WEB_FONT = "descend-ja"


def web_font_css(text: str) -> str:
    """An ``@font-face`` rule embedding IPAexGothic, cut to the characters of ``text``, as a data: URL.

    The Japanese page then shows its kana and kanji on a machine without any Japanese font,
    offline (no link, no download); a few hundred characters make some 100 KB.  Empty when
    matplotlib-fontja (the demo extra) is not installed.
    """
    import base64

    if japanese_font() is None:
        return ""
    from fontTools import subset

    ttf = font_file()
    chars = sorted({c for c in text if ord(c) > 0x2000} | set("0123456789"))
    options = subset.Options()
    options.layout_features = ["*"]
    font = subset.load_font(str(ttf), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(chars))
    subsetter.subset(font)
    import io

    buf = io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f"@font-face {{ font-family: '{WEB_FONT}'; src: url(data:font/ttf;base64,{data}) format('truetype'); "
            "font-display: block; }")
