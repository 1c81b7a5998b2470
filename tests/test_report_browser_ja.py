"""The demo page in headless Chromium at 600 px, in English and Japanese: the Japanese page uses its own
CJK font (no tofu), formulas are drawn, nothing overflows the screen, the text of every figure is at
least 11 CSS px (the narrow pictures: panels stacked, larger text; a figure that cannot stack keeps a
minimum width and scrolls), and a table or figure wider than the screen says that it scrolls.

Needs chromium, chromium-driver and selenium, as tests/test_report_browser.py; skipped, saying which is
missing, only where they cannot be installed.
"""

import time

import pytest
from _browser import chromium, skip_without_browser

pytestmark = skip_without_browser()


def _wide_picture():
    """An 11-inch figure of one panel (as plot.internals draws): it cannot stack, so it must scroll."""
    from descend.tour.section import pyplot

    fig = pyplot().figure(figsize=(11.0, 3.0))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="a legend in small type")
    ax.legend(fontsize="small")
    ax.set_title("one wide panel")
    return fig


@pytest.fixture(scope="module", params=["en", "ja"])
def page(request, tmp_path_factory):
    from descend import report, tour

    lang = request.param
    out = tmp_path_factory.mktemp(f"{lang}-page")
    sections = tour.sections(["softmax", "gradient_descent"], lang=lang)
    sections.append(tour.Section("wide", "wide", "", pictures=[tour.Picture("a wide figure", _wide_picture)],
                                 lang=lang))
    index = report.build(out, sections=sections, gif=False)
    with chromium("600,1200") as driver:
        driver.get(index.resolve().as_uri())
        for _ in range(100):
            if driver.execute_script("return document.fonts.status === 'loaded' && "
                                     "Array.from(document.images).every(i => i.complete)"):
                break
            time.sleep(0.1)
        yield lang, driver


_GLYPH = """
const [text, font] = arguments;
const c = document.createElement('canvas'); c.width = 64; c.height = 64;
const g = c.getContext('2d'); g.font = font; g.fillStyle = '#000'; g.fillText(text, 4, 48);
return c.toDataURL();
"""


def test_the_page_is_in_its_language(page):
    lang, driver = page
    assert driver.execute_script("return document.documentElement.lang") == lang
    title = {"en": "Overflow, underflow and the stable softmax", "ja": "オーバーフロー、アンダーフローと安定したソフトマックス関数"}
    assert title[lang] in driver.find_element("tag name", "h2").text


def test_the_embedded_cjk_font_is_used_and_draws_real_glyphs(page):
    lang, driver = page
    if lang != "ja":
        assert "descend-ja" not in driver.execute_script("return getComputedStyle(document.querySelector('h2')).fontFamily")
        return
    assert driver.execute_script("return document.fonts.check(\"16px 'descend-ja'\", '学習率')")
    family = driver.execute_script("return getComputedStyle(document.querySelector('h2')).fontFamily")
    assert "descend-ja" in family
    tofu = driver.execute_script(_GLYPH, "\ue000", "32px 'descend-ja'")   # a private-use point: no glyph
    for ch in "学習率勾配":
        assert driver.execute_script(_GLYPH, ch, "32px 'descend-ja'") != tofu, ch
    assert driver.execute_script(_GLYPH, "学", "32px 'descend-ja'") != driver.execute_script(_GLYPH, "率", "32px 'descend-ja'")


def test_each_section_shows_its_formula(page):
    _, driver = page
    boxes = driver.execute_script(
        "return Array.from(document.querySelectorAll('section .rule svg.formula')).map(m => "
        "[m.getBoundingClientRect().width, m.getBoundingClientRect().height])")
    assert len(boxes) == 2
    for width, height in boxes:
        assert width > 20 and height > 10


def test_nothing_overflows_a_600_px_screen(page):
    _, driver = page
    inner, scroll = driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert inner <= 600 and scroll <= inner, (inner, scroll)


#: each figure's smallest text as shown: the PNG's own smallest text (data-text-px, or data-narrow-text-px
#: for the narrow picture the <picture> chose) times the scale it is shown at
_FIGURE_TEXT = """
return Array.from(document.querySelectorAll('figure img')).map(i => {
  const narrow = i.currentSrc.includes('-narrow.png') || (!!i.dataset.narrowTextPx && i.currentSrc.startsWith('data:')
                 && i.closest('picture').querySelector('source').srcset === i.currentSrc);
  const own = parseFloat(narrow ? i.dataset.narrowTextPx : i.dataset.textPx);
  const scale = i.getBoundingClientRect().width / i.naturalWidth;
  return {src: i.currentSrc.slice(-40), narrow: narrow, own: own, scale: scale, shown: own * scale,
          stackable: !!i.dataset.narrowTextPx};
});
"""


def test_every_figure_text_is_at_least_11_px_at_600_px(page):
    _, driver = page
    figures = driver.execute_script(_FIGURE_TEXT)
    assert len(figures) == 3, figures
    for f in figures:
        assert f["own"] > 0 and f["shown"] >= 11.0 - 1e-6, f
        assert f["narrow"] == f["stackable"], f  # the stacked picture is the one shown at 600 px
    assert sum(f["narrow"] for f in figures) == 2  # softmax's and gradient descent's panels stack


def test_what_is_wider_than_the_screen_says_that_it_scrolls(page):
    """Every table or figure that scrolls sideways at 600 px has a visible note just before it; the
    softmax table (descend.softmax's column was off-screen) and the wide figure are among them."""
    _, driver = page
    boxes = driver.execute_script("""
      return Array.from(document.querySelectorAll('div.scroll, figure')).map(e => {
        const note = e.tagName === 'FIGURE' ? e.querySelector(':scope > .scroll-note')
                                            : e.previousElementSibling;
        return {what: e.tagName + ' ' + (e.querySelector('th, figcaption') || e).textContent.slice(0, 30),
                scrolls: e.scrollWidth > e.clientWidth + 1,
                note: !!note && note.classList.contains('scroll-note') && getComputedStyle(note).display !== 'none'};
      });""")
    scrolling = [b for b in boxes if b["scrolls"]]
    assert len(scrolling) >= 2 and any(b["what"].startswith("FIGURE") for b in scrolling), boxes
    for b in scrolling:
        assert b["note"], b


def test_the_scroll_notes_are_hidden_on_a_wide_screen(page):
    _, driver = page
    try:
        driver.set_window_size(1280, 1200)
        shown = driver.execute_script("return Array.from(document.querySelectorAll('.scroll-note'))"
                                      ".filter(n => getComputedStyle(n).display !== 'none').length")
        count = driver.execute_script("return document.querySelectorAll('.scroll-note').length")
        assert count >= 2 and shown == 0
    finally:
        driver.set_window_size(600, 1200)
