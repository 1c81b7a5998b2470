"""The demo page: the seeds' tour drawn as one HTML page that works offline.

:func:`build` runs every section of :mod:`descend.tour`, saves its pictures as PNG
(and the race as a GIF) beside ``index.html`` or embeds them as base64, and writes
the page: inline CSS only, no scripts, fonts or links to anything outside the folder.
"""

from __future__ import annotations

import base64
import html
import os
import pathlib
import io
import platform
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
.rule { overflow-x: auto; overflow-y: hidden; font-size: 1.15em; margin: 0.6em 0; }
th { white-space: nowrap; }
@media (max-width: 640px) { main { padding: 1em 0.8em 3em; } nav ol { columns: 1; } }
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


def _table_html(table, lang=None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for j, v in enumerate(row):
            text, is_text = _cell(v, table.kind(j) if hasattr(table, "kind") else None, lang)
            cells.append(f'<td class="text">{text}</td>' if is_text else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    # a wide table scrolls inside its box instead of widening a narrow screen's page
    return (f'<h3>{html.escape(table.title)}</h3>\n<div class="scroll"><table><thead><tr>{head}</tr></thead>'
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


def _math(latex: str) -> str:
    """A formula as MathML (latex2mathml, the demo extra; the browser renders it offline), else as code."""
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


def _picture_src(pic, out: pathlib.Path, name: str, embed: bool, dpi: int, plt) -> str:
    """Draw one picture; write it as ``out/name`` (or embed it) and return the img src."""
    mime = "image/gif" if pic.kind == "gif" else "image/png"
    if pic.kind == "gif":
        if embed:
            data = _gif_bytes(pic)
        else:
            pic.draw(out / name)  # plot.animate writes through descend.files
            return html.escape(name)
    else:
        fig = pic.draw()
        try:
            data = _png_bytes(fig, dpi)
        finally:
            plt.close(fig)
        if not embed:
            files.write_bytes(out / name, data)
            return html.escape(name)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


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
                        f"{_math(section.rule)}</div>")
        for pic, name in zip(section.pictures, row):
            if name is None:
                continue
            src = _picture_src(pic, out, name, embed, dpi, plt)
            alt = html.escape(pic.caption, quote=True)
            body.append(f'<figure><img src="{src}" alt="{alt}"><figcaption>{html.escape(pic.caption)}'
                        f"</figcaption></figure>")
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
