"""The demo page: the seeds' tour drawn as one HTML page that works offline.

:func:`build` runs every section of :mod:`descend.tour`, saves its pictures as PNG
(and the race as a GIF) beside ``index.html`` or embeds them as base64, and writes
the page: inline CSS only, no scripts, fonts or links to anything outside the folder.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
import pathlib
import io
import math
import platform
import re
import tempfile
import time

import numpy as np

from . import files
from .errors import DescendError

__all__ = ["build", "DEFAULT_DIR"]

#: where ``descend demo`` writes the page when no folder is given
DEFAULT_DIR = "descend-demo"

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1d1d1f;
       background: #fafafa; line-height: 1.5; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5em 2em 4em; }
h1 { font-size: 1.9em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2.2em; }
h3 { font-size: 1em; margin: 1.2em 0 0.3em; color: #444; }
nav ol { columns: 2; padding-left: 1.4em; }
figure { margin: 1em 0; background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 0.6em; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { font-size: 0.92em; color: #444; margin-top: 0.4em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.88em; background: #fff; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; vertical-align: top; }
th { background: #f0f0f0; }
td.text { text-align: left; max-width: 38em; }
td code { white-space: pre; }
.scroll { overflow-x: auto; max-width: 100%; }
.rule { overflow-x: auto; overflow-y: hidden; font-size: 1.3em; margin: 0.6em 0; }
svg.formula { display: block; max-width: none; margin: 0.2em 0; }
th { white-space: nowrap; }
@media (max-width: 640px) { main { padding: 1em 0.8em 3em; } nav ol { columns: 1; } }
.scroll-note, .stacked-note { display: none; font-size: 0.85em; color: #666; margin: 0.2em 0; }
@media (max-width: 700px) {
  .scroll-note { display: block; }
  .stacked-note { display: inline; }
  figure { overflow-x: auto; }
  figure img { min-width: var(--narrow-min-width, 0); }  /* text stays >= 11 px: the figure scrolls instead */
}
.lead { color: #444; }
footer { margin-top: 3em; font-size: 0.85em; color: #666; }
"""


def _cell(v, kind=None, lang=None) -> tuple[str, bool]:
    """(escaped text, is it text) for a table cell, its number shown by the column's kind (descend.fmt)."""
    from . import fmt

    text = html.escape(fmt.cell(v, kind, lang))
    if isinstance(v, np.ndarray):
        return f"<code>{text}</code>", False
    is_text = kind in ("text", "status") or isinstance(v, (str, bool, np.bool_))
    return text, is_text


def _text_width_px(text: str) -> float:
    """A generous guess of the width of ``text`` in the tables' 14 px font: 8.5 px a Latin character,
    15 px a wide (CJK) one."""
    import unicodedata

    return sum(15.0 if unicodedata.east_asian_width(c) in "WF" else 8.5 for c in text)


def _table_html(table, lang=None) -> str:
    from . import i18n

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    widths = [_text_width_px(str(c)) for c in table.columns]  # th does not wrap
    body = []
    for row in table.rows:
        cells = []
        for j, v in enumerate(row):
            text, is_text = _cell(v, table.kind(j) if hasattr(table, "kind") else None, lang)
            cells.append(f'<td class="text">{text}</td>' if is_text else f"<td>{text}</td>")
            if j < len(widths):
                widths[j] = max(widths[j], min(_text_width_px(html.unescape(re.sub("<[^>]+>", "", text))), 300.0))
        body.append("<tr>" + "".join(cells) + "</tr>")
    # a wide table scrolls inside its box instead of widening a narrow screen's page, and says so there
    wide = sum(w + 22 for w in widths) > _NARROW_ROOM
    note = f'<p class="scroll-note">{html.escape(i18n.t("page.scroll_table", lang))}</p>' if wide else ""
    return (f'<h3>{html.escape(table.title)}</h3>\n{note}<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _font_css(lang: str, text: str) -> str:
    """For a Japanese page, the CJK font embedded (cut to the page's characters): no tofu without a system font."""
    if lang != "ja":
        return ""
    from .i18n import CATALOGUE
    from .i18n.plots import WEB_FONT, web_font_css

    frame = "".join(e["ja"] for k, e in CATALOGUE.items() if k.startswith("page."))  # h1, lead, footer
    face = web_font_css(html.unescape(text) + frame)
    return f"\n{face}\nbody {{ font-family: -apple-system, 'Segoe UI', Helvetica, Arial, '{WEB_FONT}', sans-serif; }}" \
        if face else ""


#: LaTeX that matplotlib's mathtext spells otherwise: (pattern, replacement); \\dfrac keeps a display formula's
#: fraction at full size
_MATHTEXT = ((re.compile(r"\\le(?![a-zA-Z])"), r"\\leq"), (re.compile(r"\\ge(?![a-zA-Z])"), r"\\geq"),
             (re.compile(r"\\frac(?![a-zA-Z])"), r"\\dfrac"),
             # f' as mathtext writes it is STIX's prime shrunk as a superscript, a speck: the full-size
             # prime glyph, which is drawn raised already
             (re.compile(r"(?<=[A-Za-z])'"), r"{\\prime}"))
#: the class each glyph of a formula's SVG gets, by character: the browser test finds hats, primes and radicals
_GLYPH_CLASS = {0x302: "accent", 0x5E: "accent", 0x2C6: "accent", 0x2032: "prime", 0x221A: "radical"}
_MATH_PT = 20.0  # the size formulas are laid out at; the SVG is then sized in em, so it follows the page's font


def _math(latex: str, number: int = 0) -> str:
    """A formula as inline SVG, laid out by matplotlib's mathtext (TeX's rules for hats, primes, fractions
    and roots) in the STIX fonts matplotlib ships: the same picture in every browser, offline, with the
    glyphs as paths; ``aria-label`` and ``<title>`` keep the LaTeX. MathML (latex2mathml) where mathtext
    cannot parse the formula. ``number`` keeps the ids of the page's formulas apart."""
    import matplotlib.mathtext
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    text = latex
    for pattern, replacement in _MATHTEXT:
        text = pattern.sub(replacement, text)
    text = f"${text}$"
    try:
        glyphs = matplotlib.mathtext.MathTextParser("path").parse(
            text, 72, FontProperties(size=_MATH_PT, math_fontfamily="stix")).glyphs
        fig = Figure()
        fig.text(0, 0, text, fontsize=_MATH_PT, math_fontfamily="stix")
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.04, transparent=True)
    except ValueError:
        return _mathml(latex)
    return _inline_svg(buf.getvalue(), glyphs, latex, f"f{number}-")


def _inline_svg(svg: str, glyphs, latex: str, prefix: str) -> str:
    """matplotlib's SVG of one formula made fit to sit in the page: no XML header or metadata, its ids
    prefixed, sized in em, each glyph's ``<use>`` classed by :data:`_GLYPH_CLASS` (the glyphs come in
    the parser's order)."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'(xlink:href="#|url\(#)', lambda m: m.group(1) + prefix, svg)
    # inside HTML an svg needs no namespaces, and the page names no outside address (SVG 2's plain href)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg).replace("xlink:href=", "href=")
    uses = iter(glyphs)

    def classed(m):
        glyph = next(uses, None)
        kind = None if glyph is None else _GLYPH_CLASS.get(glyph[2])
        return m.group(0) if kind is None else f'<use class="{kind}" ' + m.group(0)[len("<use "):]
    svg = re.sub(r"<use [^>]*>", classed, svg)

    def em(m):
        return f'{m.group(1)}="{float(m.group(2)) / _MATH_PT:.3f}em"'
    svg = re.sub(r'(width|height)="([0-9.]+)pt"', em, svg, count=2)
    label = html.escape(latex, quote=True)
    return svg.replace("<svg ", f'<svg class="formula" role="img" aria-label="{label}" ', 1).replace(
        ">", f"><title>{html.escape(latex)}</title>", 1)


def _mathml(latex: str) -> str:
    """A formula as MathML (latex2mathml, the demo extra), else as code: where mathtext cannot parse it."""
    try:
        from latex2mathml.converter import convert
    except ImportError:  # pragma: no cover - without the demo extra
        return f"<code>{html.escape(latex)}</code>"
    # HTML parses <math> without the namespace, and the page names no outside address
    return convert(latex, display="block").replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "")


def _png_bytes(fig, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _gif_bytes(pic) -> bytes:
    """Draw a GIF picture in a private temporary folder (outside the page's) and return its bytes."""
    with tempfile.TemporaryDirectory(prefix="descend-gif-") as tmp:
        path = pathlib.Path(tmp) / "picture.gif"
        pic.draw(path)
        return path.read_bytes()


#: below this window width (CSS px) the page shows the narrow pictures (one panel a row, larger text)
NARROW_SCREEN = 700
#: the smallest text a figure may show on a narrow screen, in CSS px (issue 25: readable on a phone)
MIN_TEXT_PX = 11.0
#: the widest a picture can be shown unscaled on a 600 px screen (the page's padding and the figure's frame)
_NARROW_ROOM = 540


def _smallest_text_px(fig, dpi: int) -> float:
    """The size of the smallest text the figure draws, in pixels of its PNG at ``dpi``."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return math.floor(min(sizes, default=72.0) * dpi / 72 * 100) / 100  # as written in the page, rounded down


def _fit_titles(fig) -> None:
    """Fit a narrow figure's larger text: at most 6 ticks on a linear x axis (their labels ran into each
    other), and a title wider than the figure wrapped onto two lines, the figure laid out again for it."""
    from matplotlib.ticker import MaxNLocator

    for ax in fig.axes:
        locator = ax.xaxis.get_major_locator()
        if type(locator).__name__ == "AutoLocator":
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    fig.canvas.draw()
    width = fig.bbox.width
    wrapped = False
    for ax in fig.axes:
        title = ax.title
        if title.get_text() and title.get_window_extent().width > 0.96 * width:
            title.set_wrap(True)
            wrapped = True
    if wrapped and not fig.legends:  # a figure legend's room would be lost: leave its layout alone
        fig.tight_layout()


def _png(pic, dpi: int, plt, narrow: bool = False) -> tuple[bytes, float, float]:
    """Draw one picture as PNG bytes: (bytes, its width in px, its smallest text in px)."""
    from .tour.section import narrow_layout

    with narrow_layout() if narrow else contextlib.nullcontext():
        fig = pic.draw()
        if narrow:
            _fit_titles(fig)
    try:
        return _png_bytes(fig, dpi), fig.get_figwidth() * dpi, _smallest_text_px(fig, dpi)
    finally:
        plt.close(fig)


def _source(out: pathlib.Path, name: str, data: bytes, embed: bool, mime: str = "image/png") -> str:
    """Write one picture's bytes as ``out/name`` (or embed them) and return its src."""
    if embed:
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    files.write_bytes(out / name, data)
    return html.escape(name)


def _figure_html(pic, out: pathlib.Path, name: str, embed: bool, dpi: int, plt, lang) -> str:
    """One picture as a ``<figure>``. A PNG wider than a 600 px screen's room is drawn a second time for
    narrow screens (:func:`descend.tour.section.narrow_layout`: panels stacked, larger text) and offered
    by ``<picture>``; where even that one would be shown with text under :data:`MIN_TEXT_PX`, it keeps a
    minimum width on narrow screens and scrolls sideways, saying so. ``data-text-px`` (and
    ``data-narrow-text-px``) give the smallest text of each PNG at its own size, for the browser test."""
    from . import i18n

    alt = html.escape(pic.caption, quote=True)
    caption = f"<figcaption>{html.escape(pic.caption)}</figcaption></figure>"
    if pic.kind == "gif":
        if embed:
            src = _source(out, name, _gif_bytes(pic), True, "image/gif")
        else:
            src = html.escape(name)
            pic.draw(out / name)  # plot.animate writes through descend.files
        return f'<figure><img src="{src}" alt="{alt}">{caption}'
    data, width, text_px = _png(pic, dpi, plt)
    attrs = f'data-text-px="{text_px:.2f}"'
    sources, shown_px, shown_width = "", text_px, width
    if width > _NARROW_ROOM:
        n_data, n_width, n_text_px = _png(pic, dpi, plt, narrow=True)
        if n_width < width:  # the picture has panels that stack
            n_src = _source(out, name.replace(".png", "-narrow.png"), n_data, embed)
            sources = f'<source media="(max-width: {NARROW_SCREEN}px)" srcset="{n_src}">'
            attrs += f' data-narrow-text-px="{n_text_px:.2f}"'
            shown_px, shown_width = n_text_px, n_width
            caption = caption.replace("<figcaption>", '<figcaption><span class="stacked-note">'
                                      f'{html.escape(i18n.t("page.stacked", lang))} </span>', 1)
    src = _source(out, name, data, embed)
    note = ""
    least = shown_width * MIN_TEXT_PX / shown_px  # the width at which its smallest text is MIN_TEXT_PX
    if least > _NARROW_ROOM:
        attrs += f' style="--narrow-min-width: {math.ceil(least)}px"'
        note = f'<p class="scroll-note">{html.escape(i18n.t("page.scroll_figure", lang))}</p>'
    img = f'<img src="{src}" alt="{alt}" {attrs}>'
    return f"<figure>{note}<picture>{sources}{img}</picture>" + caption if sources else \
        f"<figure>{note}{img}{caption}"


def _picture_names(sections, gif: bool) -> list[list[str | None]]:
    """The file name of every picture, section by section (None: a GIF left out)."""
    names = []
    for number, section in enumerate(sections, 1):
        row = []
        for k, pic in enumerate(section.pictures, 1):
            if pic.kind == "gif":
                row.append(f"{number:02d}-{section.key}-{k}.gif" if gif else None)
            else:
                row.append(f"{number:02d}-{section.key}-{k}.png")
        names.append(row)
    return names


_GENERATOR = '<meta name="generator" content="descend demo">'

#: where ``descend serve`` listens by default; the address it prints and opens adds its access token, so
#: the page names the address as text, never as a link (without the token it answers 403)
EXPLORER_URL = "http://127.0.0.1:8765/"


def _explorer_html(lang) -> str:
    """The paragraph that says how to start the live explorer: ``descend serve`` opens it in the browser
    with its access token; the address is shown as code, not linked (a link without the token is refused)."""
    from . import i18n

    text = html.escape(i18n.t("page.explorer", lang, command="\x00", url="\x01"))
    return text.replace("\x00", "<code>descend serve</code>").replace("\x01", f"<code>{EXPLORER_URL}?token=…</code>")


def check_out(out_dir) -> pathlib.Path:
    """The folder the demo page goes to (``DEFAULT_DIR`` for None), refused before any work starts when it is
    a file or holds an ``index.html`` descend did not write."""
    if out_dir is None:
        out_dir = DEFAULT_DIR
    try:
        out = pathlib.Path(os.fspath(out_dir))
    except TypeError:
        raise DescendError(f"out_dir must be a folder path, got {type(out_dir).__name__}") from None
    if out.exists() and not out.is_dir():
        raise DescendError(f"out_dir must be a folder, but {str(out)!r} is a file")
    if out.is_dir():
        # A page descend wrote before is replaced; anything else the user saved there is not
        # (descend.files keeps the manifest that tells them apart).
        files.check_writable(out / "index.html")
    return out


def _sections(tour, sections):
    if sections is not None and not isinstance(sections, str):
        sections = list(sections)
        if sections and all(isinstance(s, tour.Section) for s in sections):
            return sections
        if any(isinstance(s, tour.Section) for s in sections):
            raise DescendError("sections must be all keys or all tour.Section objects, not a mix")
    elif isinstance(sections, str):
        sections = [sections]
    return tour.sections(sections)


def build(out_dir=None, *, embed: bool = False, sections=None, gif: bool = True, dpi: int = 90) -> pathlib.Path:
    """Run the tour and write the demo page; return the path of ``index.html``.

    Parameters
    ----------
    out_dir : str or PathLike, optional
        The folder (created if needed; default ``./descend-demo``). Only the page and
        its picture files (``NN-<section>-K.png``, ``NN-<section>-K.gif``) are written
        there, through :mod:`descend.files`: atomically, never through a symbolic link,
        and replacing only files descend wrote (a second build into the same folder
        replaces the first; a user's file of one of those names is refused before
        anything is drawn).
    embed : bool
        Put the pictures into the page as base64 ``data:`` URLs (one self-contained
        file) instead of files beside it.
    sections : sequence of str or of tour.Section, optional
        Keys of :data:`descend.tour.SECTIONS` to include (default all), or sections
        already built by :func:`descend.tour.sections` (so a caller that printed their
        tables does not compute them twice).
    gif : bool
        Include the animated optimizer race.
    dpi : int
        Resolution of the PNGs.

    Returns
    -------
    pathlib.Path
        ``out_dir/index.html``.
    """
    from . import tour
    from .plot import _base

    out = check_out(out_dir)
    if isinstance(dpi, bool) or not isinstance(dpi, (int, np.integer)) or dpi < 20:
        raise DescendError(f"dpi must be an integer >= 20, got {dpi!r}")
    plt = _base.pyplot()
    start = time.perf_counter()
    sections = _sections(tour, sections)
    names = _picture_names(sections, gif)
    files.ensure_folder(out)
    if not embed:  # refuse a link or a user's file of a picture's name before drawing anything
        for name in (n for row in names for n in row if n is not None):
            files.check_writable(out / name)
            if name.endswith(".png"):
                files.check_writable(out / name.replace(".png", "-narrow.png"))
    from . import fmt, i18n

    lang = getattr(sections[0], "lang", "en") if sections else i18n.get_lang()
    parts, toc = [], []
    for number, (section, row) in enumerate(zip(sections, names), 1):
        t0 = time.perf_counter()
        anchor = f"s{number}-{section.key}"
        toc.append(f'<li><a href="#{anchor}">{html.escape(section.title)}</a></li>')
        body = [f'<section id="{anchor}">', f"<h2>{number}. {html.escape(section.title)}</h2>",
                f'<p class="lead">{html.escape(section.text)}</p>']
        if getattr(section, "rule", ""):
            body.append(f'<div class="rule" title="{html.escape(i18n.t("page.update_rule", lang), quote=True)}">'
                        f"{_math(section.rule, number)}</div>")
        body.extend(_figure_html(pic, out, name, embed, dpi, plt, lang)
                    for pic, name in zip(section.pictures, row) if name is not None)
        body.extend(_table_html(t, lang) for t in section.tables)
        took = fmt.seconds(time.perf_counter() - t0, lang)
        body.append(f"<p><small>{html.escape(i18n.t('page.computed_in', lang, seconds=took))}</small></p>")
        body.append("</section>")
        parts.append("\n".join(body))
    seconds = time.perf_counter() - start
    from . import __version__
    import matplotlib

    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
{_GENERATOR}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(i18n.t("page.title", lang))}</title>
<style>{_CSS}{_font_css(lang, "".join(parts) + "".join(toc))}</style>
</head>
<body>
<main>
<h1>{html.escape(i18n.t("page.h1", lang))}</h1>
<p class="lead">{html.escape(i18n.t("page.lead", lang, version=__version__))}</p>
<p class="lead explorer">{_explorer_html(lang)}</p>
<nav><ol>
{''.join(toc)}
</ol></nav>
{''.join(parts)}
<footer>{i18n.t("page.footer", lang, seconds=html.escape(fmt.seconds(seconds, lang)),
                  python=html.escape(platform.python_version()), numpy=html.escape(np.__version__),
                  matplotlib=html.escape(matplotlib.__version__))}</footer>
</main>
</body>
</html>
"""
    return files.write_text(out / "index.html", page)
