"""Every formula of the tour, as the demo page draws it (matplotlib's mathtext as inline SVG), in headless
Chromium in English and Japanese: hats clear of the fraction bar and the radical's bar, a prime that is a
full-size glyph, nothing cut off. Each formula's screenshot is saved (tmp folder, and
$DESCEND_SCREENSHOT_DIR when set, for a person to look at).

Needs chromium, chromium-driver and selenium, as tests/test_report_browser.py; skipped, saying which is
missing, only where they cannot be installed. Firefox (geckodriver) is not installed here: not checked.
"""

import os

import pytest
import shutil

from _browser import chromium, skip_without_browser

pytestmark = skip_without_browser("matplotlib", extra="plot")

SCREENSHOT_DIR = os.environ.get("DESCEND_SCREENSHOT_DIR")


def _formula_sections(lang):
    """A Section per formula of the tour, with its real title and no tables or pictures (drawing them
    is test_report's job): the page is built in a second."""
    from descend import i18n, tour

    return [tour.Section(key, i18n.t(f"tour.{key}.title", lang), "", rule=tour.RULES[key], lang=lang)
            for key, _ in tour.SECTIONS if key in tour.RULES]


@pytest.fixture(scope="module", params=["en", "ja"])
def page(request, tmp_path_factory):
    from descend import report

    lang = request.param
    out = tmp_path_factory.mktemp(f"formulas-{lang}")
    index = report.build(out, sections=_formula_sections(lang), gif=False)
    shots = tmp_path_factory.mktemp(f"formula-shots-{lang}")
    with chromium("1280,900") as driver:
        driver.get(index.resolve().as_uri())
        yield lang, driver, shots


#: each formula's glyph boxes, classed by report: hats ("accent"), primes, radicals; its rules (fraction bars,
#: radicals' bars: the <path>s drawn after the glyphs, inside the text group) and the rule's font size
_BOXES = """
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
return Array.from(document.querySelectorAll('.rule')).map(rule => {
  const svg = rule.querySelector('svg.formula');
  if (!svg) return {missing: rule.closest('section').id};
  return {section: rule.closest('section').id, svg: box(svg), rule: box(rule),
          font: parseFloat(getComputedStyle(rule).fontSize),
          accents: Array.from(svg.querySelectorAll('use.accent')).map(box),
          primes: Array.from(svg.querySelectorAll('use.prime')).map(box),
          radicals: Array.from(svg.querySelectorAll('use.radical')).map(box),
          bars: Array.from(svg.querySelectorAll('g[transform] > path')).map(box)};
});
"""


def _overlap(a, b):
    """The overlap of two boxes (left, top, right, bottom) as (width, height); negative: apart."""
    return min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])


@pytest.fixture(scope="module")
def formulas(page):
    from descend import tour

    lang, driver, shots = page
    found = driver.execute_script(_BOXES)
    assert all("missing" not in f for f in found), found
    assert len(found) == len([k for k, _ in tour.SECTIONS if k in tour.RULES])
    return lang, driver, shots, found


def test_every_formula_is_drawn_whole_inside_its_box(formulas):
    lang, driver, shots, found = formulas
    for f in found:
        width, height = f["svg"][2] - f["svg"][0], f["svg"][3] - f["svg"][1]
        assert width > 3 * f["font"] and 1.2 * f["font"] < height < 6 * f["font"], f
        assert f["svg"][1] >= f["rule"][1] - 0.5 and f["svg"][3] <= f["rule"][3] + 0.5, f  # not cut off vertically
    for f in found:  # one screenshot per formula, for a person to look at
        path = shots / f"formula-{lang}-{f['section']}.png"
        driver.find_element("css selector", f"#{f['section']} .rule").screenshot(str(path))
        assert path.stat().st_size > 1000, path
        if SCREENSHOT_DIR:
            os.makedirs(SCREENSHOT_DIR, exist_ok=True)
            shutil.copy(path, SCREENSHOT_DIR)


def test_hats_clear_the_fraction_bar_and_the_radical(formulas):
    """Adam's m-hat over the fraction bar and v-hat under the radical: no hat's ink box touches a bar,
    and the tour has both (so the check cannot pass by finding nothing)."""
    _, _, _, found = formulas
    hats = [(f, a) for f in found for a in f["accents"]]
    assert len(hats) >= 2 and any(f["radicals"] for f, _ in hats), [f["section"] for f, _ in hats]
    for f, hat in hats:
        for bar in f["bars"]:
            across, up = _overlap(hat, bar)
            if across > 0:  # the bar runs over or under the hat: there must be a gap between them
                assert up <= -0.5, (f["section"], hat, bar)


def test_the_prime_is_a_full_size_glyph_beside_its_letter(formulas):
    """f'(x): the prime is drawn at the formula's size (STIX's prime is a raised wedge about 0.3 em high;
    as mathtext's superscript it was 0.7 of that, a speck), and it stays clear of the bars."""
    _, _, _, found = formulas
    primes = [(f, p) for f in found for p in f["primes"]]
    assert primes, "no prime found in the tour's formulas"
    for f, p in primes:
        height, width = p[3] - p[1], p[2] - p[0]
        assert height >= 0.25 * f["font"] and width >= 0.1 * f["font"], (f["section"], p, f["font"])
        assert p[1] >= f["svg"][1] - 0.5


def test_the_formula_keeps_its_latex_for_screen_readers(formulas):
    _, driver, _, _ = formulas
    labels = driver.execute_script(
        "return Array.from(document.querySelectorAll('svg.formula')).map(s => [s.getAttribute('role'), "
        "s.getAttribute('aria-label'), s.querySelector('title').textContent])")
    from descend import tour

    expected = [tour.RULES[k] for k, _ in tour.SECTIONS if k in tour.RULES]
    assert [label for _, label, _ in labels] == expected and all(r == "img" for r, _, _ in labels)
    assert [title for _, _, title in labels] == expected
