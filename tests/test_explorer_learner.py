"""The explorer under a learner's hands (issue 19): what a sequence of actions leaves on screen.

One headless Chromium per width, each starting in one language and switching to the other:
load, click a start, drag the start marker, type a start (Enter, then leaving the box),
switch the language, switch tab and back, change an optimizer, type a bad then a good
formula, replay. After each step: the contours are there (``#land-plot .contourlayer
path``), every figure of the panel is drawn (no "loading…" left after 3 s), the console
has no error, no plotly toolbar lies over a legend, and a screenshot is saved (under the
test's tmp folder, copied to /tmp/explorer-shots/ for review).

Needs the Debian packages chromium and chromium-driver, selenium and the ``serve`` extra;
skipped, saying which is missing, only where they cannot be installed.
"""

from __future__ import annotations

import time

import pytest
from _browser import chromium, explorer, screenshots, skip_without_browser, wait_for

from descend.i18n import t

pytestmark = skip_without_browser("starlette", "uvicorn", "plotly", extra="serve")

TOKEN = "learner-test-token"
REVIEW = "/tmp/explorer-shots"  # a copy of every screenshot, for a person to look at


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return screenshots(tmp_path_factory.mktemp("explorer-learner"), REVIEW)


@pytest.fixture(scope="module")
def server():
    with explorer(TOKEN) as base:
        yield base


PLOT = "document.getElementById('land-plot')"
CONTOURS = "document.querySelectorAll('#land-plot .contourlayer path').length"


def start_shown(driver):
    return [float(v) for v in driver.execute_script(f"return {PLOT}.dataset.start").split(",")]


def paths_from(driver):
    """The first iterate of the first drawn path (the start the runs on screen began from)."""
    text = driver.execute_script(f"return {PLOT}.dataset.pathsFrom")
    return [float(v) for v in text.split(",")] if text else None


def settled(driver, start=None):
    """Wait until the drawn paths begin at the start on screen (``start`` when given)."""
    wait_for(driver, f"(() => {{ const d = {PLOT}.dataset; return d.pathsFrom && d.pathsFrom === d.start"
                     f"{' && d.start === ' + repr(','.join(str(c) for c in start)) if start else ''} }})()",
             what=f"the paths to start from {start or 'the start on screen'}")


def marker_at(driver):
    """The start marker's place in the window (CSS pixels)."""
    return driver.execute_script(
        "const g = document.getElementById('land-paths'); const l = g._fullLayout; const r = g.getBoundingClientRect();"
        f"const [x, y] = {PLOT}.dataset.start.split(',').map(Number);"
        "return [r.left + l.xaxis._offset + l.xaxis.c2p(x), r.top + l.yaxis._offset + l.yaxis.c2p(y)];")


def overlaps(a, b) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def check(driver, shots, name: str, lang: str, *, landscape: bool = True):
    """What must hold after every step: contours, every figure drawn, no console error, no toolbar over a legend."""
    if landscape:
        wait_for(driver, f"{CONTOURS} > 0", what=f"{name}: the contours")
    loading = t("explorer.loading", lang)
    # every "loading…" of the panel on screen has ended (in a figure or a one-line message) within 3 s
    wait_for(driver, "(() => { const p = document.querySelector('section.panel:not([hidden])');"
                     f" return p && !p.textContent.includes({loading!r}) }})()", timeout=3.0,
             what=f"{name}: every figure drawn (no {loading!r} after 3 s)")
    if landscape:
        state = driver.execute_script("return document.getElementById('land-internals').dataset.state")
        assert state in ("drawn", "missing"), f"{name}: the internals are {state!r}"
    # a refusal (400) of a bad formula is the server's answer, shown on the page: any other error counts
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
              and "the server responded with a status of 400" not in e["message"]]
    assert errors == [], f"{name}: {errors}"
    boxes = driver.execute_script(
        "const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,"
        " bottom: r.bottom, w: r.width}; };"
        "return Array.from(document.querySelectorAll('section.panel:not([hidden]) .js-plotly-plot')).map(g => {"
        " const bar = g.querySelector('.modebar'); const legends = Array.from(g.querySelectorAll('.legend'));"
        " return [g.id, bar ? box(bar) : null, legends.map(box)]; });")
    for gid, bar, legends in boxes:
        for legend in legends:
            assert bar is None or bar["w"] == 0 or not overlaps(bar, legend), f"{name}: the toolbar covers {gid}'s legend"
    shots(driver, name)


def learner(driver, server, shots, width: int, lang: str):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    other = "ja" if lang == "en" else "en"
    tag = f"{width}-{lang}"
    driver.set_window_size(width, 1000)
    driver.get(f"{server}/?token={TOKEN}#lang={lang}&problem=himmelblau&steps=60&run=gd,lr=0.01&run=adam,lr=0.1")
    wait_for(driver, f"Number({PLOT}.dataset.runs || 0) === 2", what="the first drawing")
    settled(driver)
    check(driver, shots, f"{tag}-1-load", lang)
    surface_draws = driver.execute_script(f"return {PLOT}.dataset.surfaceDraws")

    # a click: the paths start where it landed, the contours are not drawn again
    drag = driver.find_element("css selector", "#land-paths .nsewdrag")
    w, h = drag.size["width"], drag.size["height"]
    ActionChains(driver).move_to_element_with_offset(drag, -w // 5, -h // 5).click().perform()
    wait_for(driver, f"{PLOT}.dataset.start !== '0,0'", what="the clicked start")
    settled(driver)
    clicked = start_shown(driver)
    check(driver, shots, f"{tag}-2-click", lang)
    assert driver.execute_script(f"return {PLOT}.dataset.surfaceDraws") == surface_draws  # paths alone redrawn

    # a drag of the start marker: the paths follow while it moves
    x, y = marker_at(driver)
    actions = ActionChains(driver, duration=30)
    pointer = actions.w3c_actions.pointer_action
    pointer.move_to_location(int(x), int(y))
    pointer.pointer_down()
    for k in range(1, 13):
        pointer.move_to_location(int(x) + 6 * k, int(y) + 3 * k)
    pointer.pointer_up()
    actions.perform()
    settled(driver)
    dragged = start_shown(driver)
    assert dragged != clicked and dragged[0] > clicked[0] and dragged[1] < clicked[1], (clicked, dragged)
    assert int(driver.execute_script(f"return {PLOT}.dataset.dragUpdates")) >= 1
    check(driver, shots, f"{tag}-3-drag", lang)

    # a typed start: x with Enter, then y counted when the box is left
    box = driver.find_element("css selector", '[data-name="start-x"] input')
    box.clear()
    box.send_keys("-3.5", Keys.ENTER)
    wait_for(driver, f"{PLOT}.dataset.start.startsWith('-3.5,')", what="the typed x0")
    settled(driver)
    box = driver.find_element("css selector", '[data-name="start-y"] input')
    box.clear()
    box.send_keys("-1.25")
    driver.find_element("css selector", '[data-name="steps"] input.value').click()  # leave the box
    settled(driver, [-3.5, -1.25])
    assert paths_from(driver) == [-3.5, -1.25]
    check(driver, shots, f"{tag}-4-typed-start", lang)

    # the language: every panel in the other one, the internals asked again in it
    Select(driver.find_element("id", "lang")).select_by_value(other)
    wait_for(driver, f"document.querySelector('[data-tab=\"lr\"]').textContent === {t('explorer.tab_lr', other)!r}",
             what="the labels in the other language")
    wait_for(driver, "document.getElementById('land-internals').dataset.state === 'drawn'", what="the internals")
    titles = driver.execute_script("return document.getElementById('land-internals').layout.annotations"
                                   ".map(a => a.text).join(' ')")
    assert t("explorer.effective_step", other) in titles, titles
    axes = driver.execute_script("const l = document.getElementById('land-internals').layout;"
                                 "return Object.keys(l).filter(k => k.startsWith('yaxis')).map(k => l[k].title.text)")
    assert axes and not any("_" in a for a in axes), axes  # named in words, not momentum_buffer / exp_avg
    check(driver, shots, f"{tag}-5-language", other)

    # another tab and back: the lr panel draws, the landscape is as it was
    driver.find_element("css selector", '[data-tab="lr"]').click()
    wait_for(driver, "Number(document.getElementById('lr-plot').dataset.curves || 0) >= 1", what="the lr curves")
    check(driver, shots, f"{tag}-6-lr-tab", other, landscape=False)
    driver.find_element("css selector", '[data-tab="landscape"]').click()
    settled(driver, [-3.5, -1.25])
    check(driver, shots, f"{tag}-7-back", other)

    # an optimizer switch keeps the lr just tuned when the new rule allows it
    Select(driver.find_element("css selector", '.run-card[data-run="0"] [data-name="optimizer"] select')).select_by_value("momentum")
    wait_for(driver, "document.getElementById('land-paths').data.some(d => d.meta && d.meta.run === 0"
                     " && d.name.startsWith('momentum'))", what="the momentum path")
    lr = driver.find_element("css selector", '.run-card[data-run="0"] [data-name="lr"] input.value').get_attribute("value")
    assert float(lr) == 0.01
    check(driver, shots, f"{tag}-8-optimizer", other)

    # a bad formula: one friendly line, the last good landscape stays; then a good one is drawn
    Select(driver.find_element("css selector", '[data-name="problem"] select')).select_by_value("expression")
    formula = driver.find_element("id", "land-expr")
    formula.clear()
    formula.send_keys("x**2 + foo(y)", Keys.ENTER)
    message = wait_for(driver, "(() => { const e = document.getElementById('land-expr-error');"
                               " return !e.hidden && e.textContent })()", what="the refusal")
    assert "problem." not in message and "\n" not in message and "allowed:" not in message, message
    assert "foo" in message
    # the line is the server's own wording in the page's language (formula_error of the 400)
    from descend.problems import from_expression
    from descend.serve.api.page_text import formula_text
    try:
        from_expression("x**2 + foo(y)")
    except Exception as exc:  # the parser's refusal, as the server words it
        assert message == formula_text(f"problem.expression: {exc}", other), message
    assert len(driver.find_elements("css selector", "#land-controls .message.error:not([hidden])")) == 1
    assert driver.execute_script(f"return {PLOT}.dataset.problem") == "himmelblau"  # the last good landscape
    check(driver, shots, f"{tag}-9-bad-formula", other)
    formula.clear()
    formula.send_keys("x**2/20 + y**2", Keys.ENTER)
    typed = f"{PLOT}.dataset.problem === 'x**2/20 + y**2' && Number({PLOT}.dataset.runs) === 2"
    for _ in range(3):  # a typed formula's first run may pass the server's time limit on a busy machine: again
        try:
            wait_for(driver, typed, timeout=12, what="the typed landscape")
            break
        except AssertionError:
            formula.send_keys(Keys.ENTER)
    wait_for(driver, typed, what="the typed landscape")
    assert driver.find_element("id", "land-expr-error").get_attribute("hidden") is not None
    settled(driver)
    check(driver, shots, f"{tag}-10-good-formula", other)

    # replay: one step, then the whole race played
    driver.find_element("id", "land-step").click()
    wait_for(driver, "document.getElementById('land-paths').data.filter(d => d.meta)[0].x.length === 1",
             what="the replay at step 0")
    driver.find_element("id", "land-play").click()
    wait_for(driver, "!location.hash.includes('replay=')", what="the replay to reach the end")
    check(driver, shots, f"{tag}-11-replay", other)


@pytest.mark.parametrize("width, lang", [(1280, "en"), (600, "ja")])
def test_a_learners_sequence_never_leaves_a_broken_panel(server, shots, width, lang):
    with chromium(f"{width},1000", console_log=True) as driver:
        learner(driver, server, shots, width, lang)


def test_no_2_over_l_line_where_the_curvature_is_not_positive(server, shots):
    with chromium("1280,1000", console_log=True) as driver:
        driver.get(f"{server}/?token={TOKEN}#tab=lr&problem=expression&expr=sin(x)*cos(y)&start=-2,2"
                   "&run=gd,lr=0.01&lrmin=0.0001&lrmax=1&lrn=9")
        wait_for(driver, "Number(document.getElementById('lr-plot').dataset.curves || 0) >= 1", what="the lr curves")
        assert driver.execute_script("return document.getElementById('lr-plot').dataset.stableLr") == "none"
        layout = driver.execute_script("const l = document.getElementById('lr-plot')._fullLayout;"
                                       "return [l.xaxis.range, l.xaxis.exponentformat, l.shapes.length,"
                                       " l.annotations.map(a => a.text)]")
        xr, notation, shapes, notes = layout
        assert xr == pytest.approx([-4.05, 0.05])  # the axis covers the grid, not a bound far off it
        assert notation == "power" and shapes == 0
        assert any(t("explorer.no_bound", "en") in n for n in notes), notes
        check(driver, shots, "lr-no-bound", "en", landscape=False)


def test_the_training_export_trains_what_the_panel_shows(server, shots):
    with chromium("1280,1000", console_log=True) as driver:
        driver.get(f"{server}/?token={TOKEN}#tab=training&data=moons&n=200&k=20&speed=20&seed=3&layers=6")
        wait_for(driver, "document.getElementById('train-status').dataset.step === '0'", what="the first frame")
        driver.find_element("id", "train-play").click()
        wait_for(driver, "Number(document.getElementById('train-status').dataset.step) >= 40", what="some training")
        driver.find_element("id", "train-play").click()
        time.sleep(0.3)
        check(driver, shots, "training", "en", landscape=False)
        epoch = driver.execute_script(
            "return Array.from(document.querySelectorAll('#train-status .stat')).map(s => s.textContent)[0]")
        shown = float(epoch.split(":")[1])
        driver.find_element("css selector", '[data-tab="share"]').click()
        driver.find_element("id", "export-button").click()
        code = wait_for(driver, "(() => { const c = document.querySelectorAll('#export-snippets section.export');"
                                " return c.length === 2 && c[1].querySelector('pre code').textContent })()",
                        what="the Training export")
        assert f"epochs={max(1, round(shown))}," in code, code
        assert "hidden" not in code or "[2, 6, 1]" in code
        assert "seed=3" in code and "'moons'" in code


def test_japanese_throughout_the_derivatives_panel(server, shots):
    with chromium("1280,1000", console_log=True) as driver:
        driver.get(f"{server}/?token={TOKEN}#lang=ja&tab=derivatives&dexpr=exp(x)&dx=1")
        wait_for(driver, "Number(document.getElementById('der-plot').dataset.methods || 0) >= 3", what="the error curves")
        table = driver.find_element("id", "der-best").text
        for method in ("forward", "backward", "central"):
            assert t(f"explorer.method.{method}", "ja") in table, table  # 前方差分, 後方差分, 中心差分 as on the demo page
        names = driver.execute_script("return document.getElementById('der-plot').data.map(d => d.name).join(' ')")
        assert "中心差分" in names and "central" not in names, names
        syntax = driver.find_element("css selector", "#der-controls .control.expression .range").text
        assert t("explorer.syntax_numbers", "ja") in syntax and "characters" not in syntax, syntax
        box = driver.find_element("id", "der-expr")
        box.clear()
        box.send_keys("exp(z)")
        message = wait_for(driver, "(() => { const e = document.getElementById('der-error');"
                                   " return !e.hidden && e.textContent })()", what="the refusal")
        assert message == t("explorer.formula_name", "ja", name="z"), message
        assert int(driver.execute_script("return document.getElementById('der-plot').data.length")) >= 3  # kept
        check(driver, shots, "derivatives-ja", "ja", landscape=False)
