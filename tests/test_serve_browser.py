"""The live explorer (``descend serve``) in headless Chromium, against a real server.

A uvicorn server runs the explorer's app on a free 127.0.0.1 port in a thread; Selenium
drives Debian's chromium through chromedriver. Every panel is used the way a learner
would: click the contour, move a slider, type a formula (and a malicious one), play the
training, open a shared link. A screenshot of each panel is saved under the test's tmp
folder (and in $DESCEND_SCREENSHOT_DIR when set, for a person to look at).

Needs the Debian packages chromium and chromium-driver (``apt-get install -y chromium
chromium-driver``), selenium and the ``serve`` extra; skipped, saying which is missing,
only where they cannot be installed.
"""

from __future__ import annotations

import math
import os
import time

import pytest
from _browser import chromium, explorer, screenshots, skip_without_browser, wait_for

from descend.i18n import t

SCREENSHOT_DIR = os.environ.get("DESCEND_SCREENSHOT_DIR")
TOKEN = "browser-test-token"

pytestmark = skip_without_browser("starlette", "uvicorn", "plotly", extra="serve")


# ---- the server and the browser -------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    """The explorer on 127.0.0.1:<free port> in a thread; yields its base address."""
    with explorer(TOKEN) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium("1280,1100", console_log=True, script_timeout=30) as driver:
        yield driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where the screenshots go: the tmp folder, and $DESCEND_SCREENSHOT_DIR when set."""
    return screenshots(tmp_path_factory.mktemp("explorer-screenshots"), *([SCREENSHOT_DIR] if SCREENSHOT_DIR else []))


def open_page(driver, server, fragment: str = "", width: int = 1280):
    driver.set_window_size(width, 1100)
    driver.get("about:blank")
    driver.get_log("browser")  # what earlier tests left in the console is theirs
    driver.get(f"{server}/?token={TOKEN}{'#' + fragment if fragment else ''}")


def landscape_ready(driver, runs: int = 1):
    """Wait until the contour and at least ``runs`` trajectories are drawn."""
    wait_for(driver, f"(() => {{ const g = document.getElementById('land-paths'); return g && g.data && "
                     f"g.data.length > 0 && Number(document.getElementById('land-plot').dataset.runs || 0) >= {runs} &&"
                     f" (g.data[0].type === 'surface' || document.querySelectorAll('#land-surface .contourlayer path').length > 0) }})()",
             what="the landscape's contour and trajectories")


def path_of(driver, run: int = 0):
    """The drawn iterates of trajectory ``run`` (the trace after the contour)."""
    return driver.execute_script(
        "const g = document.getElementById('land-paths');"
        "const t = g.data.filter(d => d.meta && d.meta.run === arguments[0])[0];"
        "return t ? [Array.from(t.x), Array.from(t.y)] : null;", run)


def show_tab(driver, tab: str):
    driver.find_element("css selector", f'[data-tab="{tab}"]').click()
    wait_for(driver, f"!document.getElementById('panel-{tab}').hidden", what=f"the {tab} panel")


def full_page(driver, shots, name: str, width: int):
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height + 140, 700), 4000))
    time.sleep(0.4)  # plotly refits to the new size
    return shots(driver, name)


def severe(logs):
    return [e["message"] for e in logs if e["level"] == "SEVERE"]


# ---- the tests -----------------------------------------------------------------------------

def test_page_loads_with_no_console_errors(browser, server, shots):
    open_page(browser, server)
    landscape_ready(browser, runs=3)
    # every panel once, so an error in any of them shows in the log
    for tab in ("lr", "derivatives", "training", "share", "landscape"):
        show_tab(browser, tab)
        time.sleep(0.6)
    logs = browser.get_log("browser")
    assert severe(logs) == [], severe(logs)
    assert browser.find_element("id", "fatal").get_attribute("hidden") is not None


def test_first_plot_is_timed_from_navigation(browser, server):
    # the page records when it first drew; the time itself is measured by bench/page.py, not asserted here
    open_page(browser, server)
    landscape_ready(browser)
    elapsed = browser.execute_script(
        "return Number(document.getElementById('land-plot').dataset.firstDrawn) - performance.timeOrigin")
    print(f"page load to first plot: {elapsed:.0f} ms")
    assert elapsed > 0


def test_click_on_contour_starts_a_trajectory_there(browser, server, shots):
    from selenium.webdriver.common.action_chains import ActionChains

    open_page(browser, server, "problem=himmelblau&run=gd,lr=0.01")
    landscape_ready(browser)
    before = path_of(browser)
    drag = browser.find_element("css selector", "#land-paths .nsewdrag")
    w, h = drag.size["width"], drag.size["height"]
    # a point a quarter of the way in from the top left corner (offsets are from the centre)
    ActionChains(browser).move_to_element_with_offset(drag, -w // 4, -h // 4).click().perform()
    xr, yr = browser.execute_script(
        "const l = document.getElementById('land-paths')._fullLayout; return [l.xaxis.range, l.yaxis.range];")
    expected = (xr[0] + 0.25 * (xr[1] - xr[0]), yr[1] - 0.25 * (yr[1] - yr[0]))
    wait_for(browser, f"(() => {{ const t = document.getElementById('land-paths').data.filter(d => d.meta)[0];"
                      f" return t && Math.abs(t.x[0] - {before[0][0]}) + Math.abs(t.y[0] - {before[1][0]}) > 1e-9 }})()",
             what="the trajectory to start from the clicked point")
    xs, ys = path_of(browser)
    tol_x, tol_y = 0.02 * (xr[1] - xr[0]), 0.02 * (yr[1] - yr[0])
    assert abs(xs[0] - expected[0]) < tol_x and abs(ys[0] - expected[1]) < tol_y, (xs[0], ys[0], expected)
    assert len(xs) > 10  # the run went on from there
    # the start boxes show the clicked point, and so does the address
    sx = float(browser.find_element("css selector", '[data-name="start-x"] input').get_attribute("value"))
    assert math.isclose(sx, xs[0], rel_tol=1e-4, abs_tol=1e-6)
    assert "start=" in browser.current_url
    shots(browser, "landscape-after-click")


def test_the_drawn_path_and_its_hover_are_descend_minimize(browser, server):
    import numpy as np

    import descend
    from descend import problems

    open_page(browser, server, "problem=rosenbrock&start=-1.5,2&steps=150&run=momentum,lr=0.001,momentum=0.8")
    landscape_ready(browser)
    trace = browser.execute_script(
        "const t = document.getElementById('land-paths').data.filter(d => d.meta)[0];"
        "return {x: Array.from(t.x), y: Array.from(t.y), custom: t.customdata, hover: t.hovertemplate};")
    want = descend.minimize(problems.get("rosenbrock"), np.array([-1.5, 2.0]), optimizer="momentum", lr=0.001,
                            momentum=0.8, steps=150).history
    assert np.array_equal(np.c_[trace["x"], trace["y"]], want.x)  # bit for bit: the page computes nothing
    custom = np.array(trace["custom"], dtype=float)  # per point: step, f, |grad|, x, y
    assert np.array_equal(custom[:, 0], np.arange(151))
    assert np.array_equal(custom[:, 1], want.f) and np.array_equal(custom[:, 2], want.grad_norm)
    for word in ("step", "x = ", "f = ", "|∇f|"):
        assert word in trace["hover"]
    # a real mouse over the start: the tooltip names the step and f there
    from selenium.webdriver.common.action_chains import ActionChains

    drag = browser.find_element("css selector", "#land-paths .nsewdrag")
    xr, yr = browser.execute_script(
        "const l = document.getElementById('land-paths')._fullLayout; return [l.xaxis.range, l.yaxis.range];")
    fx = (-1.5 - xr[0]) / (xr[1] - xr[0])
    fy = (yr[1] - 2.0) / (yr[1] - yr[0])
    w, h = drag.size["width"], drag.size["height"]
    ActionChains(browser).move_to_element_with_offset(drag, int((fx - 0.5) * w), int((fy - 0.5) * h)).perform()
    tip = wait_for(browser, "(() => { const h = document.querySelector('#land-paths .hoverlayer');"
                            " return h && h.textContent })()", what="the tooltip")
    assert "step 0" in tip and "f = " in tip, tip


def test_moving_an_lr_slider_changes_the_path(browser, server):
    from selenium.webdriver.common.keys import Keys

    open_page(browser, server, "problem=rosenbrock&run=gd,lr=0.0005")
    landscape_ready(browser)
    before = path_of(browser)
    slider = browser.find_element("css selector", '.run-card[data-run="0"] [data-name="lr"] input[type="range"]')
    for _ in range(15):
        slider.send_keys(Keys.ARROW_RIGHT)  # each key is an "input" event, as a drag is
    wait_for(browser, f"(() => {{ const t = document.getElementById('land-paths').data.filter(d => d.meta)[0];"
                      f" return t && t.x[t.x.length - 1] !== {before[0][-1]} }})()", what="the path to change")
    after = path_of(browser)
    assert after[0][0] == before[0][0] and after[1][0] == before[1][0]  # same start
    assert after != before
    lr = float(browser.find_element("css selector", '.run-card[data-run="0"] [data-name="lr"] input.value')
               .get_attribute("value"))
    assert lr > 0.0005
    assert "lr%3D" in browser.current_url or "lr=" in browser.current_url


def test_replay_steps_and_plays_the_race(browser, server):
    open_page(browser, server, "problem=himmelblau&steps=100&run=gd,lr=0.01&run=adam,lr=0.1")
    landscape_ready(browser, runs=2)
    assert len(path_of(browser)[0]) == 101
    browser.find_element("id", "land-step").click()  # from the whole race to its first step
    wait_for(browser, "(() => { const t = document.getElementById('land-paths').data.filter(d => d.meta)[0];"
                      " return t.x.length === 1 })()", what="the replay at step 0")
    browser.find_element("id", "land-step").click()
    wait_for(browser, "(() => { const t = document.getElementById('land-paths').data.filter(d => d.meta)[0];"
                      " return t.x.length === 2 })()", what="the replay at step 1")
    wait_for(browser, "window.location.href.includes('replay=1')", what="the address at step 1")
    browser.find_element("id", "land-play").click()
    wait_for(browser, "(() => { const t = document.getElementById('land-paths').data.filter(d => d.meta)[0];"
                      " return t.x.length === 101 })()", what="the replay to reach the end")
    # the whole race again; the address follows within the page's 150 ms throttle of address writes
    wait_for(browser, "!window.location.href.includes('replay=')", what="the address without replay")


def test_a_typed_function_gets_its_contours(browser, server, shots):
    open_page(browser, server)
    landscape_ready(browser)
    problem = browser.find_element("css selector", '[data-name="problem"] select')
    from selenium.webdriver.support.ui import Select

    Select(problem).select_by_value("expression")
    box = browser.find_element("id", "land-expr")
    box.clear()
    box.send_keys("x**2/20 + y**2")
    browser.find_element("id", "land-expr-draw").click()
    wait_for(browser, "document.getElementById('land-plot').dataset.problem === 'x**2/20 + y**2'",
             what="the typed function's contours")
    x, y, z, raw = browser.execute_script(
        "const g = document.getElementById('land-plot'); const c = document.getElementById('land-surface').data[0];"
        "return [Array.from(c.x), Array.from(c.y), c.z.map(r => Array.from(r)), g.dataset.log];")
    assert len(x) > 20 and len(y) > 20
    # the drawn heights are f itself, or log10(1 + f - min f) where f spans decades
    f = [[xj ** 2 / 20 + yi ** 2 for xj in x] for yi in y]
    lo = min(min(row) for row in f)
    for i, j in ((0, 0), (len(y) // 2, len(x) // 3), (len(y) - 1, len(x) - 1)):
        want = math.log10(1 + f[i][j] - lo) if raw == "true" else f[i][j]
        assert z[i][j] == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert browser.find_element("id", "land-expr-error").get_attribute("hidden") is not None
    shots(browser, "landscape-typed")


def test_a_malicious_function_is_refused_visibly_and_runs_nothing(browser, server, tmp_path, shots):
    marker = tmp_path / "pwned"
    open_page(browser, server)
    landscape_ready(browser)
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("css selector", '[data-name="problem"] select')).select_by_value("expression")
    box = browser.find_element("id", "land-expr")
    box.clear()
    box.send_keys(f"__import__('os').system('touch {marker}')")
    browser.find_element("id", "land-expr-draw").click()
    message = wait_for(browser, "(() => { const e = document.getElementById('land-expr-error');"
                                " return !e.hidden && e.textContent })()", what="the refusal")
    assert "allowed" in message.lower() or "not allowed" in message.lower(), message
    assert browser.find_element("id", "land-expr-error").is_displayed()
    time.sleep(0.3)
    assert not marker.exists()
    shots(browser, "landscape-refused")


def test_training_playground_learns_live(browser, server, shots):
    open_page(browser, server, "tab=training&data=moons&noise=0.1&n=300&topt=adam&tlr=0.03&k=10&speed=10")
    wait_for(browser, "document.getElementById('train-status').dataset.step === '0'", what="the first frame")
    loss0 = float(browser.execute_script("return document.getElementById('train-status').dataset.testLoss"))
    picture = "return document.getElementById('train-boundary').dataset.source"  # the heat map's image
    z0 = browser.execute_script(picture)
    browser.find_element("id", "train-play").click()
    time.sleep(4)
    fps = float(browser.execute_script("return document.getElementById('train-status').dataset.fps"))
    browser.find_element("id", "train-play").click()  # pause
    step = int(browser.execute_script("return document.getElementById('train-status').dataset.step"))
    loss = float(browser.execute_script("return document.getElementById('train-status').dataset.testLoss"))
    z = browser.execute_script(picture)
    print(f"training playground: {fps:.1f} frames/s, {step} updates in 4 s")
    assert step > 0
    assert loss < loss0, (loss0, loss)
    assert z.startswith("data:image/png") and z != z0
    drawn = browser.execute_script("return document.getElementById('train-boundary')._fullLayout.images[0].source")
    assert drawn == z
    full_page(browser, shots, "training", 1280)
    # the same seed gives the same run: reset, three single steps, twice
    browser.find_element("id", "train-reset").click()
    wait_for(browser, "document.getElementById('train-status').dataset.step === '0'", what="the reset")
    assert float(browser.execute_script("return document.getElementById('train-status').dataset.testLoss")) == loss0
    seen = []
    for _ in range(2):
        browser.find_element("id", "train-reset").click()
        wait_for(browser, "document.getElementById('train-status').dataset.step === '0'", what="the reset")
        for k in range(1, 4):
            browser.find_element("id", "train-step").click()
            wait_for(browser, f"document.getElementById('train-status').dataset.step === '{k}'", what=f"step {k}")
        seen.append(browser.execute_script("return document.getElementById('train-status').dataset.testLoss"))
    assert seen[0] == seen[1]


def test_learning_rate_panel_marks_divergence_and_loads_an_lr(browser, server, shots):
    open_page(browser, server, "tab=lr&problem=rosenbrock&run=gd,lr=0.0005&lrmin=0.00001&lrmax=0.1&lrn=13")
    wait_for(browser, "Number(document.getElementById('lr-plot').dataset.curves || 0) >= 1", what="the lr curves")
    names = browser.execute_script("return document.getElementById('lr-plot').data.map(d => d.name)")
    assert any("diverged" in n for n in names), names  # 0.1 diverges on Rosenbrock from its start
    stable = float(browser.execute_script("return document.getElementById('lr-plot').dataset.stableLr"))
    assert 0 < stable < 0.1
    full_page(browser, shots, "learning-rate", 1280)
    # clicking a point of the curve loads its lr into the landscape
    lr = browser.execute_script(
        "const g = document.getElementById('lr-plot'); const t = g.data[0];"
        "const k = 3; g.emit('plotly_click', {points: [{x: t.x[k], customdata: t.customdata[k]}]}); return t.x[k];")
    wait_for(browser, "!document.getElementById('panel-landscape').hidden", what="the landscape panel")
    shown = float(browser.find_element("css selector", '.run-card[data-run="0"] [data-name="lr"] input.value')
                  .get_attribute("value"))
    assert shown == pytest.approx(lr, rel=1e-3)


def test_derivatives_panel_shows_each_method_and_its_best_h(browser, server, shots):
    open_page(browser, server, "tab=derivatives&dexpr=exp(x)&dx=1")
    wait_for(browser, "Number(document.getElementById('der-plot').dataset.methods || 0) >= 3", what="the error curves")
    text = browser.find_element("id", "der-best").text
    assert "central" in text and "forward" in text
    full_page(browser, shots, "derivatives", 1280)
    box = browser.find_element("id", "der-expr")
    box.clear()
    box.send_keys("x.__class__")
    message = wait_for(browser, "(() => { const e = document.getElementById('der-error');"
                                " return !e.hidden && e.textContent })()", what="the refusal")
    assert message


def test_a_shared_link_reproduces_the_view(browser, server, shots):
    open_page(browser, server, "problem=himmelblau&run=adam,lr=0.05&run=momentum,lr=0.002,momentum=0.8")
    landscape_ready(browser, runs=2)
    from selenium.webdriver.common.action_chains import ActionChains

    drag = browser.find_element("css selector", "#land-paths .nsewdrag")
    ActionChains(browser).move_to_element_with_offset(drag, 30, -40).click().perform()
    wait_for(browser, "location.hash.includes('start=')", what="the clicked start in the address")
    landscape_ready(browser, runs=2)
    time.sleep(0.5)
    paths = [path_of(browser, 0), path_of(browser, 1)]
    show_tab(browser, "share")
    link = browser.find_element("id", "share-link").get_attribute("value")
    assert "problem=himmelblau" in link and "start=" in link
    shots(browser, "share")
    # a fresh page from the link alone
    browser.get("about:blank")
    browser.get(link)
    landscape_ready(browser, runs=2)
    wait_for(browser, f"(() => {{ const g = document.getElementById('land-paths');"
                      f" const t = g.data.filter(d => d.meta)[0]; return t && t.x[0] === {paths[0][0][0]} }})()",
             what="the shared start")
    assert [path_of(browser, 0), path_of(browser, 1)] == paths
    problem = browser.find_element("css selector", '[data-name="problem"] select').get_attribute("value")
    assert problem == "himmelblau"
    momentum = browser.find_element("css selector", '.run-card[data-run="1"] [data-name="momentum"] input.value')
    assert float(momentum.get_attribute("value")) == pytest.approx(0.8)


def test_a_link_pasted_into_the_open_page_changes_the_view(browser, server):
    open_page(browser, server, "problem=rosenbrock")
    landscape_ready(browser, runs=3)
    browser.execute_script("location.hash = 'problem=booth&run=adam,lr=0.1'")
    wait_for(browser, "(() => { const g = document.getElementById('land-plot');"
                      " return g.dataset.problem === 'booth' && g.dataset.runs === '1' })()", what="the pasted view")
    assert browser.find_element("css selector", '[data-name="problem"] select').get_attribute("value") == "booth"


def test_an_old_or_hand_typed_link_keeps_only_what_the_server_offers(browser, server):
    open_page(browser, server, "problem=nonsense&run=adam,lr=0.05,bogus=1&run=<img src=x onerror=alert(1)>,lr=1")
    landscape_ready(browser, runs=1)
    assert browser.execute_script("return document.getElementById('land-plot').dataset.problem") == "rosenbrock"
    assert "bogus" not in browser.current_url and "img" not in browser.current_url
    assert browser.find_elements("css selector", ".run-card") and len(browser.find_elements("css selector", ".run-card")) == 1
    assert severe(browser.get_log("browser")) == []


def test_export_shows_the_python_snippet(browser, server):
    open_page(browser, server, "tab=share&problem=rosenbrock&run=adam,lr=0.05")
    browser.find_element("id", "export-button").click()
    code = wait_for(browser, "(() => { const c = document.querySelector('#export-snippets pre code');"
                             " return c && c.textContent })()", what="the exported snippet")
    assert "descend" in code and "adam" in code


def test_japanese_labels(browser, server):
    open_page(browser, server, "lang=ja")
    landscape_ready(browser)
    # the switch lists every language of the catalogue, each by its own name
    options = browser.execute_script("return Array.from(document.querySelectorAll('#lang option'))"
                                     ".map(o => [o.value, o.textContent])")
    assert options == [["en", "English"], ["ja", "日本語"]]
    assert browser.execute_script("return document.getElementById('lang').value") == "ja"
    # controls draw in the page's fonts too (a <select> does not inherit them: 日本語 drew as boxes)
    assert "descend-ja" in browser.execute_script("return getComputedStyle(document.getElementById('lang')).fontFamily")
    tab = browser.find_element("css selector", '[data-tab="lr"]').text
    assert tab == "学習率"
    labels = browser.execute_script("return Array.from(document.querySelectorAll('#land-controls label'))"
                                    ".map(l => l.textContent).join(' ')")
    assert "学習率" in labels and "ステップ数" in labels
    assert "[" not in labels  # no "[1]" or "[steps]" a reader takes for a footnote
    # the kana and kanji are drawn in the explorer's own font, so no system font is needed (no boxes)
    loaded = browser.execute_async_script("const done = arguments[arguments.length - 1];"
                                          "document.fonts.load('16px descend-ja', '学習率').then(f => done(f.length));")
    assert loaded >= 1
    assert browser.execute_script("return document.fonts.check('16px descend-ja', '学習率')")
    # the server's words follow the same catalogue: a status word in the runs' table and an
    # internals title (Adam's first moment, descend.plot's title) in Japanese
    statuses = browser.execute_script("return Array.from(document.querySelectorAll('#land-status td span[class^=status-]'))"
                                      ".map(s => s.textContent)")
    words = {t("status.converged", "ja"), t("status.max_steps", "ja"), t("status.diverged", "ja")}
    assert statuses and set(statuses) <= words, statuses
    browser.execute_script("document.getElementById('land-internals').scrollIntoView()")
    wait_for(browser, "(() => { const g = document.getElementById('land-internals'); return g && g.layout && "
                      "(g.layout.annotations || []).some(a => a.text.includes('(')) })()",
             what="the internals panels")
    titles = browser.execute_script("return document.getElementById('land-internals').layout.annotations"
                                    ".map(a => a.text).join(' | ')")
    assert t("plot.state.exp_avg", "ja") in titles or t("plot.state.momentum_buffer", "ja") in titles, titles
    assert "実効ステップ" in titles and "first moment" not in titles, titles
    browser.find_element("css selector", "#lang").send_keys("English")  # the switch: the same labels in English
    wait_for(browser, "document.querySelector('[data-tab=\"lr\"]').textContent === 'Learning rate'",
             what="the English labels")
    assert "lang=ja" not in browser.current_url


@pytest.mark.parametrize("width", [1280, 600])
def test_screenshots_of_every_panel(browser, server, shots, width):
    open_page(browser, server, "problem=rosenbrock&start=-1.5,2", width=width)
    landscape_ready(browser, runs=3)
    full_page(browser, shots, f"landscape-{width}", width)
    open_page(browser, server, "problem=rosenbrock&view=3d", width=width)
    landscape_ready(browser, runs=3)
    kinds = browser.execute_script("return document.getElementById('land-paths').data.map(d => d.type)")
    assert kinds[0] == "surface" and kinds.count("scatter3d") == 3  # the paths on the surface
    shots(browser, f"landscape-3d-{width}")
    for tab, ready in (("lr", "Number(document.getElementById('lr-plot').dataset.curves || 0) >= 1"),
                       ("derivatives", "Number(document.getElementById('der-plot').dataset.methods || 0) >= 1"),
                       ("training", "document.getElementById('train-status').dataset.step !== undefined"),
                       ("share", "true")):
        browser.set_window_size(width, 1100)
        show_tab(browser, tab)
        wait_for(browser, ready, what=f"the {tab} panel's figure")
        full_page(browser, shots, f"{tab}-{width}", width)
    # nothing is wider than the window (no sideways scrolling on a narrow screen)
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow} px wider than a {width} px window"


def test_the_3d_view_loads_the_full_plotly_and_earlier_plots_keep_working(browser, server):
    # the page draws with plotly.js's cartesian bundle (no 3-D traces); the full bundle comes with
    # the first 3-D view, and the plots drawn before move to it with their click handlers
    open_page(browser, server, "problem=rosenbrock")
    landscape_ready(browser, runs=3)
    has_surface = "return !!window.Plotly.PlotSchema.get().traces.surface"
    assert browser.execute_script(has_surface) is False
    assert browser.execute_script("return document.getElementById('land-surface').data[0].type") == "contour"
    show_tab(browser, "lr")
    wait_for(browser, "Number(document.getElementById('lr-plot').dataset.curves || 0) >= 1", what="the lr curves")
    show_tab(browser, "landscape")
    view = browser.find_element("css selector", '[data-name="view"] select')
    view.send_keys("3-D")
    wait_for(browser, "(() => { const g = document.getElementById('land-paths');"
                      " return g.data && g.data[0].type === 'surface' })()", what="the surface")
    assert browser.execute_script(has_surface) is True
    clicks = ("return [['land-paths', 'plotly_afterplot'], ['lr-plot', 'plotly_click']].map(([id, e]) =>"
              " document.getElementById(id)._ev.listeners(e).length)")
    assert browser.execute_script(clicks) == [1, 1]
    lr_traces = browser.execute_script("return document.getElementById('lr-plot').data.length")
    assert lr_traces >= 1
    view.send_keys("contours")
    wait_for(browser, "document.getElementById('land-surface').data[0].type === 'contour'", what="the contour again")
    assert browser.execute_script("return document.getElementById('land-plot').querySelector('.contourlayer') !== null")
