"""The Training panel's curvature in a browser, as a learner uses it (issue 24).

Start training full batch, let it run: the sharpness plot and the loss slice redraw while it
trains, through a switch to Japanese; pause; then in each language and at 1280 and 600 px: the sharpness is drawn with its
stability threshold 2/η as a labelled dashed line (the frames' numbers), the slice is drawn
from the initial weights (α = 0) to the current ones (α = 1), no "loading…" is left, the
plots fit the window and no plotly toolbar covers a legend, every axis title of the panel's three plots
(the loss curves too) is drawn with the Japanese font first, every legend entry and annotation shows its whole
text (in Japanese too, on a page opened in Japanese whose font arrives after plotly.js), a log axis labelled at
1, 2, 5 reads 0.5 as "0.5", and the console has no error.
Screenshots are saved under the test's tmp folder (and copied to /tmp/explorer-shots/).

Needs the Debian packages chromium and chromium-driver, selenium and the ``serve`` extra;
skipped, saying which is missing, only where they cannot be installed.
"""

from __future__ import annotations

import time

import pytest
from _browser import chromium, explorer, screenshots, skip_without_browser, wait_for

from descend.i18n import t

pytestmark = skip_without_browser("starlette", "uvicorn", "plotly", extra="serve")

TOKEN = "curvature-browser-token"
REVIEW = "/tmp/explorer-shots"
LR = 0.5  # full-batch gradient descent: 2/η = 4
STATUS = "document.getElementById('train-status').dataset"
SHARP = "document.getElementById('train-sharpness')"
SLICE = "document.getElementById('train-slice')"
LOSS = "document.getElementById('train-loss')"
#: the axis titles of the Training panel's three plots with their computed fonts (style.css: Japanese first in every
#: plot's SVG text, as in plotly's tester; the loss plot's titles drew as boxes where only the curvature plots had it)
TITLES = (f"return [{LOSS}, {SHARP}, {SLICE}].flatMap(g => Array.from(g.querySelectorAll('.g-xtitle text, .g-ytitle text'))"
          ".map(e => [e.textContent, getComputedStyle(e).fontFamily]))")


#: each legend entry of the loss plot ([its text, where its text ends, where the next entry of its row starts or the
#: legend's box ends]) and each annotation ([its text, its text's width, its box's width]): plotly keeps the size it
#: measured for a label for good, so a Japanese one measured before the font had arrived was cut off ("訓練デー")
FITS = (f"const g = {LOSS}; const bg = g.querySelector('.legend rect.bg');"
        " const at = (e) => e.transform.baseVal.consolidate().matrix;"
        " const rows = Array.from(g.querySelectorAll('.legend .traces')).map(e => { const x = e.querySelector('text.legendtext');"
        " return [x.textContent, at(e).e + Number(x.getAttribute('x')) + x.getComputedTextLength(), at(e).e, at(e).f]; });"
        " const legend = rows.map(([text, end, , y], i) => { const next = rows.slice(i + 1).find(r => r[3] === y);"
        " return [text, end, next ? next[2] : bg.getBBox().width]; });"
        f" const notes = Array.from({SHARP}.querySelectorAll('.annotation')).map(a => [a.querySelector('text').textContent,"
        " a.querySelector('text').getComputedTextLength(), a.querySelector('rect.bg').getBBox().width]);"
        " return [legend, notes];")
#: the tick labels of the curvature plots' log axes labelled at 1, 2, 5 of each decade: [the tick's value, its label]
TICKS = ("return Array.from(arguments[0].querySelectorAll('.ytick text')).map(e => [Math.pow(10, e.__data__.x), e.textContent])")


def fits(driver, name: str):
    """Every label of the loss plot's legend and of the sharpness plot's annotation shows its whole text."""
    legend, notes = driver.execute_script(FITS)
    assert len(legend) == 2 and notes, (name, legend, notes)
    for text, end, room in legend:
        assert end <= room + 1, f"{name}: the legend's {text!r} is cut off or covered (ends at {end}, room to {room})"
    for text, width, box in notes:
        assert width <= box, f"{name}: the annotation {text!r} ({width} px) is wider than its box ({box} px)"


def decade_ticks(driver, name: str):
    """A 1-2-5 log axis reads 0.05, 0.1, 0.2, 0.5, 1, 2 (plotly's own labels were "5" for 0.5)."""
    for plot in (SHARP, SLICE):
        gd = driver.execute_script(f"return {plot}")
        if driver.execute_script("return arguments[0].layout.yaxis.dtick", gd) != "D2":
            continue  # within a decade: plotly's own labels
        for value, label in driver.execute_script(TICKS, gd):
            assert float(label) == pytest.approx(value, rel=1e-9), (name, plot, value, label)
    slice_ = driver.execute_script(f"return {SLICE}")
    driver.execute_script("return Plotly.relayout(arguments[0], {'yaxis.range': [-1.5, 0.5]})", slice_)
    labels = [label for _, label in driver.execute_script(TICKS, slice_)]
    driver.execute_script("return Plotly.relayout(arguments[0], {'yaxis.autorange': true})", slice_)
    assert labels == ["0.05", "0.1", "0.2", "0.5", "1", "2"], (name, labels)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return screenshots(tmp_path_factory.mktemp("training-curvature"), REVIEW)


def overlaps(a, b) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def check(driver, shots, name: str, lang: str, width: int):
    """What a learner sees in ``lang`` at ``width``: both plots drawn and labelled, nothing broken."""
    threshold = t("explorer.threshold", lang, formula="2/η")
    wait_for(driver, f"(() => {{ const a = Array.from({SHARP}.querySelectorAll('.annotation-text')).map(e => e.textContent);"
                     f" return a.includes({threshold!r}) && {SHARP}.layout.yaxis.title.text === {t('explorer.sharpness', lang)!r}"
                     f" }})()", timeout=5, what=f"{name}: the sharpness and its line labelled {threshold!r}")
    traces = driver.execute_script(f"return {SHARP}.data.map(d => [d.name, Array.from(d.x), Array.from(d.y)])")
    (_, steps, values), (_, line_x, line_y) = traces
    assert len(steps) >= 3 and steps == sorted(steps) and all(v > 0 for v in values), traces
    assert line_y == [2 / LR, 2 / LR] and line_x[0] == 0 and line_x[1] == steps[-1]  # across every measurement
    drawn = driver.execute_script(f"return {SHARP}.querySelectorAll('.scatterlayer .trace path.js-line').length")
    assert drawn == 2, f"{name}: {drawn} lines drawn on the sharpness plot"
    axis = driver.execute_script(f"return {SLICE}.layout.xaxis.title.text")
    assert axis == t("explorer.slice_axis", lang)
    marks = driver.execute_script(f"return {SLICE}.data[1].text")
    assert marks == [t("explorer.slice_initial", lang), t("explorer.slice_now", lang)]
    assert driver.execute_script(f"return {SLICE}.data[0].x.length") == 21
    assert driver.execute_script(f"return {SLICE}.querySelectorAll('.scatterlayer .trace path.js-line').length") == 1
    loading = t("explorer.loading", lang)
    assert loading not in driver.execute_script("return document.getElementById('panel-training').textContent")
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], f"{name}: {errors}"
    sizes = driver.execute_script(
        "const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,"
        " bottom: r.bottom, w: r.width}; };"
        f"return [{SHARP}, {SLICE}].map(g => [box(g), g.querySelector('.modebar') && box(g.querySelector('.modebar')),"
        " Array.from(g.querySelectorAll('.legend, .annotation')).map(box)]).concat([[document.documentElement.clientWidth]]);")
    *plots, (page_width,) = sizes
    for plot, bar, legends in plots:
        assert 200 < plot["w"] and plot["right"] <= page_width, f"{name}: a plot does not fit ({plot}, {page_width})"
        for box in legends:
            assert bar is None or bar["w"] == 0 or not overlaps(bar, box), f"{name}: the toolbar covers a label"
    fits(driver, name)
    decade_ticks(driver, name)
    titles = driver.execute_script(TITLES)
    assert len(titles) == 6, titles
    for text, family in titles:
        assert family.startswith(('"descend-ja"', "descend-ja")), (name, text, family)
        if lang == "ja":
            assert driver.execute_script("return document.fonts.check('16px descend-ja', arguments[0])", text), text
    driver.execute_script("document.getElementById('train-curvature').scrollIntoView()")
    time.sleep(0.2)
    shots(driver, name)
    if width < 760:  # the loss plot too, where the page has narrowed past its break
        driver.execute_script(f"{LOSS}.scrollIntoView()")
        time.sleep(0.2)
        shots(driver, name.replace("curvature", "loss"))


def switch(driver, lang: str):
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "lang")).select_by_value(lang)
    wait_for(driver, f"{SLICE}.layout.xaxis.title.text === {t('explorer.slice_axis', lang)!r}", timeout=5,
             what=f"the slice in {lang}")


def opened_in_japanese_on_a_slower_line(driver, server):
    """The page opened in Japanese where the font (6 MB) arrives after plotly.js (1.5 MB), at 5 MB/s: the loss
    plot's legend was measured in a fallback font and cut its labels off; the plots now wait for the font."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 5,
                                                                 "downloadThroughput": 5_000_000, "uploadThroughput": 5_000_000})
    try:
        driver.get(f"{server}/?token={TOKEN}#tab=training&lang=ja&data=moons&n=200&layers=8,8&topt=sgd&tlr={LR}&batch=full")
        wait_for(driver, f"{STATUS}.step === '0' && {LOSS}.querySelectorAll('.legend .traces').length === 2",
                 what="the first frame in Japanese")
        fits(driver, "training-loss-ja-first")
    finally:
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                                     "downloadThroughput": -1, "uploadThroughput": -1})


def test_a_learner_watches_the_sharpness_reach_for_2_over_eta(shots):
    with explorer(TOKEN) as server, chromium("1280,1000", console_log=True) as driver:
        opened_in_japanese_on_a_slower_line(driver, server)
        driver.get(f"{server}/?token={TOKEN}#tab=training&lang=en&data=moons&n=200&noise=0.1&layers=8,8&act=tanh"
                   f"&topt=sgd&tlr={LR}&batch=full&seed=1&speed=10")
        wait_for(driver, f"{STATUS}.step === '0' && {SHARP}.dataset.points === '1'", what="the first frame")
        assert float(driver.execute_script(f"return {SHARP}.dataset.threshold")) == 2 / LR
        assert driver.execute_script(f"return {SLICE}.dataset.points") == "0"  # no line before an update
        driver.find_element("id", "train-play").click()
        # while it trains, both redraw: more points on the sharpness plot, a later slice
        wait_for(driver, f"Number({SHARP}.dataset.points) >= 3 && Number({SLICE}.dataset.step) >= 10",
                 what="the curvature drawn while training")
        switch(driver, "ja")  # while it trains: the plots are drawn again in Japanese and go on
        first = int(driver.execute_script(f"return {SLICE}.dataset.step"))
        wait_for(driver, f"Number({SHARP}.dataset.points) >= 6 && Number({SLICE}.dataset.step) > {first}",
                 what="the curvature redrawn while training")
        driver.find_element("id", "train-play").click()  # pause
        time.sleep(0.3)  # the frame on its way when paused is drawn too
        check(driver, shots, "training-curvature-1280-ja", "ja", 1280)
        switch(driver, "en")
        check(driver, shots, "training-curvature-1280-en", "en", 1280)
        driver.set_window_size(600, 1000)
        time.sleep(0.4)  # plotly refits to the new size
        check(driver, shots, "training-curvature-600-en", "en", 600)
        switch(driver, "ja")
        check(driver, shots, "training-curvature-600-ja", "ja", 600)
        # one update at a time: each one measured (the step button asks for it)
        before = int(driver.execute_script(f"return {SHARP}.dataset.points"))
        step = int(driver.execute_script(f"return {STATUS}.step"))
        driver.find_element("id", "train-step").click()
        wait_for(driver, f"{SHARP}.dataset.step === '{step + 1}'", what="the single update's sharpness")
        assert int(driver.execute_script(f"return {SHARP}.dataset.points")) == before + 1
