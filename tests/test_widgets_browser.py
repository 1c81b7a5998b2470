"""descend.widgets in a real JupyterLab: a throwaway folder, JupyterLab on 127.0.0.1 with a token,
one notebook opened in headless Chromium and run (the landscape in English and in Japanese, the lr,
derivatives and training panels: one page and one kernel for every test); a click on the landscape
moves ``start`` in the kernel, ``.results`` follow and the contours stay drawn; a drag of the start
marker carries it; an lr typed in an optimizer card reaches ``optimizers``; a trait set from Python
redraws the page; the explorer's Training panel trains through the comm, its loss and sharpness
plots drawn in the widget.  Screenshots in en and ja go to /tmp/widget-shots for review.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from _browser import chromium, screenshots, skip_without_browser, wait_for

pytestmark = [skip_without_browser("anywidget", extra="notebook"),
              skip_without_browser("jupyterlab", "jupyter_client", extra="test")]

TOKEN = "widget-test-token"
REVIEW = "/tmp/widget-shots"  # a copy of every screenshot, for a person to look at
RESULTS = "{'start': w.start, 'f': [float(r.fun) for r in w.results]}"


#: One notebook, one kernel, one page for every test (a page and a kernel cost ~8 s each on a busy
#: machine): the landscape in English (w) and in Japanese (wj), then the other three panels.
CELLS = ["from descend.widgets import Derivatives, Landscape, LearningRate, Training\n"
         "w = Landscape('rosenbrock', steps=1000, lang='en')\nw",
         "wj = Landscape('rosenbrock', steps=1000, lang='ja')\nwj",
         "lr = LearningRate('elongated_bowl', steps=50, lrs={'min': 1e-3, 'max': 1.0, 'points': 9})\nlr",
         "Derivatives('sin(x)', x=0.5)",
         "tr = Training({'dataset': 'moons', 'n': 100, 'hidden': [6]})\ntr"]
NOTEBOOK = "widgets.ipynb"


def _notebook(code) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3",
                                                                           "display_name": "Python 3"}},
            "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "outputs": [], "execution_count": None,
                       "source": src} for i, src in enumerate(code)]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 over a throwaway folder (its own config, data and runtime folders)."""
    root = tmp_path_factory.mktemp("widget-lab")
    (root / NOTEBOOK).write_text(json.dumps(_notebook(CELLS)), encoding="utf-8")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".config"), "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"), "JUPYTERLAB_WORKSPACES_DIR": str(root / ".ws")}
    news = root / ".settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no pop-up over the cell
    port = _free_port()
    log = open(root / "lab.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}",
                             f"--ServerApp.root_dir={root}", "--expose-app-in-browser",
                             "--ServerApp.port_retries=0", "--allow-root"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                if time.time() > end or proc.poll() is not None:
                    pytest.fail(f"JupyterLab did not start: {(root / 'lab.log').read_text(errors='replace')[-2000:]}")
                time.sleep(0.3)
        yield {"base": base, "root": root, "runtime": root / ".runtime"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _kernel(lab, path: str):
    """A client of the kernel that runs ``path`` (by its connection file in the throwaway runtime folder)."""
    from jupyter_client import BlockingKernelClient

    with urllib.request.urlopen(f"{lab['base']}/api/sessions?token={TOKEN}", timeout=5) as r:
        sessions = json.load(r)
    kid = next(s["kernel"]["id"] for s in sessions if s["path"].endswith(path))
    client = BlockingKernelClient(connection_file=str(lab["runtime"] / f"kernel-{kid}.json"))
    client.load_connection_file()
    client.start_channels()
    return client


def _ask(client, expr: str):
    """The JSON value of ``expr`` evaluated in the notebook's kernel (only this request's own messages:
    the kernel's iopub also carries the page's comm traffic and the notebook's own cells)."""
    out = []
    asked = client.execute(f"import json as _j; print(_j.dumps({expr}))", store_history=False)
    end = time.time() + 20
    while time.time() < end:
        msg = client.get_iopub_msg(timeout=20)
        mine = msg.get("parent_header", {}).get("msg_id") == asked
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":  # a page event's warning in the log
            raise AssertionError(f"the kernel wrote to stderr: {msg['content']['text'][:2000]}")
        if not mine:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return json.loads("".join(out))
    raise AssertionError(f"no answer from the kernel for {expr}")


#: The notebook's kernel connected and idle (the status bar says idle before the kernel is connected).
KERNEL_READY = ("(() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
                " return !!(k && k.connectionStatus === 'connected' && k.status === 'idle'); })()")
#: The widgets in the order of the cells: 0 the landscape in English, 1 in Japanese, 2 lr, 3 derivatives, 4 training.
WIDGET = "document.querySelectorAll('.descend-widget')"


def contours(k: int) -> str:
    return f"{WIDGET}[{k}].querySelectorAll('.contourlayer path').length"


#: The start marker's place on the screen (client pixels), from the upper figure's own axes.
MARKER = (f"const gd = {WIDGET}[0].querySelector('#land-paths'); const L = gd._fullLayout;"
          " const r = gd.getBoundingClientRect(); const [x, y] = gd.parentElement.dataset.start.split(',').map(Number);"
          " return [r.left + L.xaxis._offset + L.xaxis.c2p(x), r.top + L.yaxis._offset + L.yaxis.c2p(y),"
          " L.yaxis._length];")


def _until(client, expr, ok, seconds=15):
    """``expr`` read in the kernel until ``ok(value)`` (or the time is up): the last value."""
    end = time.time() + seconds
    value = _ask(client, expr)
    while not ok(value) and time.time() < end:
        time.sleep(0.2)
        value = _ask(client, expr)
    return value


def _drag(driver, x, y, dy, steps=5):
    """Press at (x, y) in client pixels, move up by ``dy`` in ``steps`` moves, let go."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(int(x), int(y)).pointer_down()
    for k in range(1, steps + 1):
        actions.pointer_action.pause(0.05).move_to_location(int(x), int(y - dy * k / steps))
    actions.pointer_action.pointer_up()
    actions.perform()


@pytest.fixture(scope="module")
def page(lab):
    """The notebook open in headless Chromium, every cell run, every widget drawn; and a client of its kernel."""
    with chromium("1280,1240", console_log=True) as driver:  # tall enough for the results table (README's picture)
        driver.get(f"{lab['base']}/lab/workspaces/widgets/tree/{NOTEBOOK}?reset&token={TOKEN}")
        wait_for(driver, "window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')", 60, "the notebook")
        wait_for(driver, KERNEL_READY, 60, "the kernel connected and idle")
        driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        wait_for(driver, f"{WIDGET}.length === 5 && Array.from({WIDGET}).every((w) => w.dataset.drawn)", 90,
                 "the five widgets drawn")
        wait_for(driver, f"{contours(0)} && {contours(1)}", 10, "the contours")
        client = _kernel(lab, NOTEBOOK)
        try:
            yield driver, client
        finally:
            client.stop_channels()
        severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and "descend" in e["message"]]
        assert not severe, severe


def _show(driver, k: int):
    """Scroll widget ``k``'s cell to the top of the notebook (for its screenshot)."""
    driver.execute_script(f"{WIDGET}[{k}].closest('.jp-Cell').scrollIntoView({{block: 'start'}})")
    time.sleep(0.3)


def test_click_and_drag_move_start_in_the_kernel(page, tmp_path):
    """The explorer's own landscape panel in the cell: a click moves ``start`` in the kernel, a drag of
    the start marker carries it, an lr typed in an optimizer card reaches ``optimizers``, and a trait
    set from Python redraws the page's controls."""
    driver, client = page
    save = screenshots(tmp_path, REVIEW)
    mine = f"{WIDGET}[0]"
    # the explorer's controls: optimizer cards with an lr slider, replay, in English
    assert driver.execute_script(f"return {mine}.querySelectorAll('.run-card [data-name=lr]').length") == 3
    assert driver.execute_script(f"return !!{mine}.querySelector('[data-name=replay]')")
    assert driver.execute_script(f"return {mine}.querySelector('h3[data-i18n=optimizers]').textContent") == "optimizers"
    before = _ask(client, RESULTS)
    _show(driver, 0)
    save(driver, "widget-landscape-en")
    drawn = int(driver.execute_script(f"return {mine}.dataset.drawn"))
    box = driver.find_element("css selector", ".descend-widget #land-paths .nsewdrag")
    from selenium.webdriver import ActionChains

    # a quarter of the plot right and down of its centre: (1, 0) in Rosenbrock's window
    ActionChains(driver).move_to_element_with_offset(box, box.size["width"] // 4, box.size["height"] // 4).click().perform()
    after = _until(client, RESULTS, lambda v: v["start"] != before["start"])
    assert after["start"] != before["start"], "the click did not move start in the kernel"
    assert after["f"] != before["f"], ".results did not follow the new start"
    wait_for(driver, f"Number({mine}.dataset.drawn) > {drawn}", 15, "the paths redrawn from the new start")
    assert driver.execute_script(f"return {contours(0)}") > 0, "the contours are gone after the click"
    assert _ask(client, "w.error") == ""
    # a drag of the start marker carries the start a quarter of the plot up (y + 1 in [-1, 3])
    x, y, height = driver.execute_script(MARKER)
    clicked = after
    _drag(driver, x, y, height / 4)
    after = _until(client, RESULTS, lambda v: v["start"][1] > clicked["start"][1] + 0.8)
    assert abs(after["start"][0] - clicked["start"][0]) < 0.05 and 0.8 < after["start"][1] - clicked["start"][1] < 1.2, \
        f"the drag did not carry start up to where it was let go: {clicked['start']} -> {after['start']}"
    assert driver.execute_script(f"return {contours(0)}") > 0, "the contours are gone after the drag"
    # the first card's lr typed in its box: the kernel's optimizers follow
    driver.execute_script(f"const b = {mine}.querySelector('.run-card[data-run=\"0\"] [data-name=lr] input.value');"
                          " b.value = '0.0005'; b.dispatchEvent(new Event('change'));")
    lr = _until(client, "w.optimizers[0].get('lr')", lambda v: v == 0.0005)
    assert lr == 0.0005, lr
    # and back: steps set from Python redraws the page's steps slider and the runs
    _ask(client, "setattr(w, 'steps', 40) or w.steps")
    wait_for(driver, f"{mine}.querySelector('[data-name=steps] input.value').value === '40'", 15,
             "the steps box following w.steps")
    wait_for(driver, f"{mine}.querySelector('#land-plot').dataset.runs === '3' && "
                     f"{mine}.querySelector('[data-name=replay] .range').textContent.endsWith('40')",
             15, "the runs of 40 steps drawn")
    save(driver, "widget-landscape-en-dragged")
    # another problem set from Python: the page draws its landscape, the problem's own start
    _ask(client, "setattr(w, 'problem', 'himmelblau') or w.problem")
    wait_for(driver, f"{mine}.querySelector('#land-plot').dataset.problem === 'himmelblau'", 15, "himmelblau drawn")
    # a formula the explorer refuses, typed in the page: one friendly line, the kernel's problem kept
    driver.execute_script(f"{mine}.querySelector('[id$=land-expr]').value = 'x+'; {mine}.querySelector('#land-expr-draw').click()")
    error = _until(client, "w.error", lambda v: v != "")
    assert "formula" in error and _ask(client, "w.problem") == "himmelblau", error
    wait_for(driver, f"{mine}.querySelector(':scope > .descend-error').textContent.includes('formula')", 10,
             "the refusal in one line on the page")


def test_the_landscape_in_japanese(page, tmp_path):
    """The same panel with lang='ja': the catalogue's Japanese labels, and a click moves ``wj.start``."""
    driver, client = page
    save = screenshots(tmp_path, REVIEW)
    mine = f"{WIDGET}[1]"
    heading = driver.execute_script(f"return {mine}.querySelector('h3[data-i18n=optimizers]').textContent")
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", heading), heading
    status = driver.execute_script(f"return {mine}.querySelector('#land-status').textContent")
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", status), status  # the results table's words too
    # each widget's formula box has its own id, its label pointing at it (not at the first widget's box)
    ids = driver.execute_script(f"return Array.from({WIDGET}).slice(0, 2).map((w) => {{"
                                " const l = w.querySelector('label[for$=land-expr]');"
                                " return [l.htmlFor, w.contains(document.getElementById(l.htmlFor))]; })")
    assert ids[0][0] != ids[1][0] and all(inside for _, inside in ids), ids
    _show(driver, 1)
    save(driver, "widget-landscape-ja")
    before = _ask(client, "wj.start")
    box = driver.find_elements("css selector", ".descend-widget #land-paths .nsewdrag")[1]
    from selenium.webdriver import ActionChains

    ActionChains(driver).move_to_element_with_offset(box, -box.size["width"] // 4, -box.size["height"] // 4).click().perform()
    after = _until(client, "wj.start", lambda v: v != before)
    assert after != before and after[0] < 0 < after[1] - 1.5, after  # (-1, 2): left and up of the centre
    assert driver.execute_script(f"return {contours(1)}") > 0
    assert _ask(client, "wj.error") == ""
    # the language set from Python: the panel relabels itself
    _ask(client, "setattr(wj, 'lang', 'en') or wj.lang")
    wait_for(driver, f"{mine}.querySelector('h3[data-i18n=optimizers]').textContent === 'optimizers'", 10,
             "the labels in English")


def test_the_other_panels_draw(page, tmp_path):
    """The explorer's lr and derivatives panels (their controls too) and the training panel's first
    frame; the lr widget's own hint; a click on an lr curve comes back to Python as ``picked``."""
    driver, client = page
    save = screenshots(tmp_path, REVIEW)
    shown = driver.execute_script(
        f"const w = {WIDGET}; return [w[2].querySelector('#lr-plot').dataset.curves,"
        " w[3].querySelector('#der-plot').dataset.methods, !!w[2].querySelector('[data-name=lrmin]'),"
        " !!w[3].querySelector('[id$=der-expr]'), !!w[4].querySelector('#train-boundary').dataset.picture]")
    assert shown == ["1", "5", True, True, True], shown  # gd's curve; 5 methods; their controls; the first frame
    errors = driver.execute_script(
        f"return Array.from({WIDGET}).slice(1).map((w) => w.querySelector(':scope > .descend-error').textContent)")
    assert errors == ["", "", "", ""], errors  # (the first widget's line: the formula refused above)
    styles = driver.execute_script("return Array.from(document.head.querySelectorAll('style'))"
                                   ".filter((s) => s.textContent.includes('.descend-widget .run-card')).length")
    assert styles == 1, styles  # the front end's files came once for the five widgets
    hint = driver.execute_script(f"return {WIDGET}[2].querySelector('p.hint').textContent")
    assert ".picked" in hint and "into the landscape" not in hint, hint  # here a click sets .picked
    _show(driver, 2)
    save(driver, "widget-panels-en")
    # a click on the lr curve's fifth point (lr = 10**-1.5): Python reads it in lr.picked
    x, y = driver.execute_script(
        f"const p = {WIDGET}[2].querySelectorAll('#lr-plot .scatterlayer .trace .points path')[4].getBoundingClientRect();"
        " return [p.left + p.width / 2, p.top + p.height / 2]")
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(int(x), int(y)).pause(0.2).click()
    actions.perform()
    picked = _until(client, "lr.picked", lambda v: v is not None)
    assert picked == {"optimizer": "gd", "lr": 0.03162}, picked


def test_the_training_panel_trains_in_the_kernel(page, tmp_path):
    """The explorer's own Training panel in the cell: the playground's defaults for what ``config``
    leaves out, play trains through the comm (the loss plot and the sharpness plot drawn in the widget),
    a setting changed on the page reaches ``config``, an lr set from Python reaches the page's lr box,
    and the panel relabels itself in Japanese."""
    driver, client = page
    save = screenshots(tmp_path, REVIEW)
    mine = f"{WIDGET}[4]"
    sel = f"{mine}.querySelector('[data-name=train-optimizer] select').value"
    assert driver.execute_script(f"return [{sel}, {mine}.querySelector('[data-name=train-lr] input.value').value]") \
        == ["sgd", "0.03"]  # the kernel's playground defaults (the explorer page starts on adam)
    driver.execute_script(f"{mine}.querySelector('#train-play').click()")
    wait_for(driver, f"Number({mine}.querySelector('#train-status').dataset.step) >= 40 && "
                     f"Number({mine}.querySelector('#train-sharpness').dataset.points) >= 3", 20,
             "training frames with their sharpness")
    driver.execute_script(f"{mine}.querySelector('#train-play').click()")  # pause
    drawn = driver.execute_script(
        f"const w = {mine}; return [w.querySelector('#train-loss').data[0].x.length,"
        " w.querySelectorAll('#train-sharpness .scatterlayer .trace').length,"
        " w.querySelectorAll('#train-slice .scatterlayer .trace').length, w.querySelector('#train-sharpness').dataset.rule]")
    assert drawn[0] >= 5 and drawn[1] == 2 and drawn[2] == 2 and drawn[3] == "gd", drawn  # sgd's 2/η line
    _show(driver, 4)
    save(driver, "widget-training-en")
    # the page's seed: the kernel's config follows (and stays a config the playground takes)
    driver.execute_script(f"const b = {mine}.querySelector('[data-name=seed] input');"
                          " b.value = '7'; b.dispatchEvent(new Event('change'));")
    seed = _until(client, "tr.config.get('seed')", lambda v: v == 7)
    assert seed == 7 and _ask(client, "tr.error") == "", seed
    # an lr set from Python: the page's lr box follows
    _ask(client, "setattr(tr, 'config', {**tr.config, 'lr': 0.05}) or tr.config['lr']")
    wait_for(driver, f"{mine}.querySelector('[data-name=train-lr] input.value').value === '0.05'", 10,
             "the lr box following tr.config")
    _ask(client, "setattr(tr, 'lang', 'ja') or tr.lang")
    wait_for(driver, f"/[\\u3040-\\u30ff\\u4e00-\\u9fff]/.test({mine}.querySelector('#train-curvature h3').textContent)",
             10, "the sharpness plot's title in Japanese")
    driver.execute_script(f"{mine}.querySelector('#train-play').click()")  # the new lr's run, a few frames of it
    wait_for(driver, f"Number({mine}.querySelector('#train-status').dataset.step) >= 20", 15, "frames at lr 0.05")
    driver.execute_script(f"{mine}.querySelector('#train-play').click()")
    save(driver, "widget-training-ja")
    # each Japanese label of the loss plot's legend is shown whole: plotly's tester, on the page outside every
    # widget, measures it in the widget's font (the stylesheet's tester rule was scoped to the widget: a fallback)
    legend = driver.execute_script(
        "const g = arguments[0].querySelector('#train-loss'); const at = (e) => e.transform.baseVal.consolidate().matrix;"
        " const rows = Array.from(g.querySelectorAll('.legend .traces')).map(e => { const x = e.querySelector('text.legendtext');"
        " return [x.textContent, at(e).e + Number(x.getAttribute('x')) + x.getComputedTextLength(), at(e).e, at(e).f]; });"
        " const width = g.querySelector('.legend rect.bg').getBBox().width;"
        " return rows.map(([text, end, , y], i) => { const next = rows.slice(i + 1).find(r => r[3] === y);"
        " return [text, end, next ? next[2] : width]; });", driver.execute_script(f"return {mine}"))
    assert len(legend) == 2 and all(re.search("[\u30a0-\u30ff]", text) for text, _, _ in legend), legend
    for text, end, room in legend:
        assert end <= room + 1, f"the legend's {text!r} is cut off or covered (ends at {end}, room to {room})"
