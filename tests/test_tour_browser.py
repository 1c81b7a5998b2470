"""The Japanese demo page in headless Chromium: its own CJK font is used (no tofu), formulas render
as MathML, and nothing overflows a 600 px wide screen.

Needs chromium, chromium-driver and selenium, as tests/test_browser.py; skipped, saying which is
missing, only where they cannot be installed.
"""

import time

import pytest
from _browser import chromium, skip_without_browser

pytestmark = skip_without_browser()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from descend import report, tour

    out = tmp_path_factory.mktemp("ja-page")
    index = report.build(out, sections=tour.sections(["gradient_descent", "line_search", "optimizer_race"],
                                                     lang="ja"), gif=False, dpi=40)
    with chromium("600,1200") as driver:
        driver.get(index.resolve().as_uri())
        for _ in range(100):
            if driver.execute_script("return document.fonts.status === 'loaded' && "
                                     "Array.from(document.images).every(i => i.complete)"):
                break
            time.sleep(0.1)
        yield driver


_GLYPH = """
const [text, font] = arguments;
const c = document.createElement('canvas'); c.width = 64; c.height = 64;
const g = c.getContext('2d'); g.font = font; g.fillStyle = '#000'; g.fillText(text, 4, 48);
return c.toDataURL();
"""


def test_the_page_is_japanese(page):
    assert page.execute_script("return document.documentElement.lang") == "ja"
    assert "勾配降下法と学習率" in page.find_element("tag name", "h2").text


def test_the_embedded_cjk_font_is_used_and_draws_real_glyphs(page):
    assert page.execute_script("return document.fonts.check(\"16px 'descend-ja'\", '学習率')")
    family = page.execute_script("return getComputedStyle(document.querySelector('h2')).fontFamily")
    assert "descend-ja" in family
    tofu = page.execute_script(_GLYPH, "\ue000", "32px 'descend-ja'")   # a private-use point: no glyph
    for ch in "学習率勾配":
        assert page.execute_script(_GLYPH, ch, "32px 'descend-ja'") != tofu, ch
    assert page.execute_script(_GLYPH, "学", "32px 'descend-ja'") != page.execute_script(_GLYPH, "率", "32px 'descend-ja'")


def test_each_section_shows_its_formula_as_mathml(page):
    boxes = page.execute_script(
        "return Array.from(document.querySelectorAll('section .rule math')).map(m => "
        "[m.getBoundingClientRect().width, m.getBoundingClientRect().height, m.namespaceURI])")
    assert len(boxes) == 3
    for width, height, ns in boxes:
        assert ns == "http://www.w3.org/1998/Math/MathML" and width > 20 and height > 10


def test_nothing_overflows_a_600_px_screen(page):
    inner, scroll = page.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert inner <= 600 and scroll <= inner, (inner, scroll)
