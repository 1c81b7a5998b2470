"""descend.widgets in real JupyterLab (headless Chromium): a click on the landscape to the redrawn
paths through the kernel's comm, beside the explorer's click over HTTP, and the first widget's time.

* **click to redrawn paths**: 6 optimizers x 1000 steps on Rosenbrock; a click (pointer down and up) on the
  widget's plot at a new point each time, to the paths drawn from there (the page's ``start`` sent to the
  kernel, checked, the run request over the comm, descend.minimize through the explorer's /api/run
  function, the JSON back, plotly's redraw).  The peer is the explorer's own page (bench/page.py's
  click, over HTTP with its compiled loops), in the same run, rounds interleaved; the ratio is
  widget / explorer.
* **first widget**: a fresh notebook (a new kernel, idle) in a fresh page: the cell run to the widget's
  first drawing with paths (import descend.widgets in the kernel, the front end and plotly.js over the
  comm, the explorer's modules, the lists, the surface and the runs).  Target <= 2 s.  Its phases:
  ``kernel`` (the cell run until the page renders the widget), ``files`` (the front end's files over
  the comm), ``panel`` (the modules, the panel's requests and plotly.js until the drawing).

Usage: ``python bench/widgets.py [--rounds 3]``.  Prints a Markdown table of medians with the load
average and thread settings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import page  # noqa: E402  - the explorer's own bench: its server, browser and click

TOKEN = "bench-widgets"
SIX = ("[{'optimizer': 'gd', 'lr': 0.001}, {'optimizer': 'momentum', 'lr': 0.001}, "
       "{'optimizer': 'nesterov', 'lr': 0.001}, {'optimizer': 'adagrad', 'lr': 0.1}, "
       "{'optimizer': 'rmsprop', 'lr': 0.001}, {'optimizer': 'adam', 'lr': 0.01}]")
CELL = f"from descend.widgets import Landscape\nw = Landscape('rosenbrock', optimizers={SIX}, steps=1000)\nw"


def notebook(path):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "display_name": "P"}},
          "cells": [{"cell_type": "code", "id": "c0", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": CELL}]}
    path.write_text(json.dumps(nb), encoding="utf-8")


def start_lab(root):
    from pathlib import Path

    root = Path(root)
    settings = root / ".settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".config"), "JUPYTER_RUNTIME_DIR": str(root / ".rt"),
           "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"), "JUPYTERLAB_WORKSPACES_DIR": str(root / ".ws")}
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}", "--allow-root",
                             f"--ServerApp.root_dir={root}", "--expose-app-in-browser"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    end = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2).close()
            return proc, base
        except OSError:
            if time.time() > end:
                proc.kill()
                raise SystemExit("JupyterLab did not start")
            time.sleep(0.3)


DRAWN = "Number((document.querySelector('.descend-widget') || {dataset: {}}).dataset.drawn || 0)"

# In the page: clicks on the widget's plot at a new point each, timed to the next drawing.
CLICKS = """
const done = arguments[arguments.length - 1];
const el = document.querySelector('.descend-widget');
const plot = el.querySelector('#land-paths'), box = plot.querySelector('.nsewdrag');
const l = plot._fullLayout, xa = l.xaxis, ya = l.yaxis, r = box.getBoundingClientRect();
const [x0, x1] = xa.range, [y0, y1] = ya.range;
const frame = () => new Promise(requestAnimationFrame);
(async () => {
  const times = [];
  for (let n = 0; n < arguments[0]; n++) {
    const k = window.benchClicks = ((window.benchClicks || 0) + 1) % 7;
    const x = x0 + (0.15 + 0.1 * k) * (x1 - x0), y = y0 + (0.2 + 0.08 * k) * (y1 - y0);
    const before = Number(el.dataset.drawn);
    const t0 = performance.now();
    const at = { clientX: r.left + xa.c2p(x), clientY: r.top + ya.c2p(y), button: 0, isPrimary: true,
                 pointerId: 1, pointerType: 'mouse', bubbles: true, cancelable: true };
    box.dispatchEvent(new PointerEvent('pointerdown', at));
    window.dispatchEvent(new PointerEvent('pointerup', at));
    while (Number(el.dataset.drawn) === before) {
      if (performance.now() - t0 > 20000) { done(null); return; }
      await frame();
    }
    times.push(performance.now() - t0);
    await new Promise((res) => setTimeout(res, 300));
  }
  done(times);
})();
"""


#: The notebook's kernel connected and idle (the status bar says idle before the kernel is connected).
KERNEL_READY = ("(() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
                " return !!(k && k.connectionStatus === 'connected' && k.status === 'idle'); })()")


def open_notebook(driver, base, name):
    driver.get(f"{base}/lab/workspaces/{name.split('.')[0]}/tree/{name}?reset&token={TOKEN}")
    page.wait(driver, KERNEL_READY, 90)


def first_widget_ms(driver, base, name):
    """The cell run to the widget's first drawing with paths, and its phases: the kernel (import,
    the widget built and displayed) until the page renders it, the front end's files over the comm,
    then the modules, the panel's first requests and plotly.js until the drawing."""
    open_notebook(driver, base, name)
    t0 = driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');"
                               " return performance.timeOrigin + performance.now()")
    page.wait(driver, f"{DRAWN} > 0", 60)
    now = driver.execute_script("return performance.timeOrigin + performance.now()")
    at = driver.execute_script("const d = document.querySelector('.descend-widget').dataset;"
                               " return [Number(d.renderAt), Number(d.filesAt)]")
    return now - t0, {"kernel": at[0] - t0, "files": at[1] - at[0], "panel": now - at[1]}


def widget_click_ms(driver, clicks=5):
    # the kernel loads each optimizer's compiled loop in the background the first time (NumPy path
    # meanwhile): clicks until one is answered fast, or for 90 s at most, as bench/page.py does
    end = time.time() + 90
    while time.time() < end:
        first = driver.execute_async_script(CLICKS, 1)
        if first and first[0] < 400:
            break
    times = driver.execute_async_script(CLICKS, clicks)
    if not times:
        raise SystemExit("a click was not answered within 20 s")
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    root = tempfile.mkdtemp(prefix="descend-bench-lab-")
    from pathlib import Path

    for i in range(args.rounds):
        notebook(Path(root) / f"w{i}.ipynb")
    lab, base = start_lab(root)
    server, url = page.start_server()
    first, widget, explorer, phases = [], [], [], []
    try:
        for i in range(args.rounds):
            driver, profile = page.browser()
            driver.set_script_timeout(120)
            try:
                ms, parts = first_widget_ms(driver, base, f"w{i}.ipynb")
                first.append(ms)
                phases.append(parts)
                widget.append(widget_click_ms(driver))
                explorer.append(page.click_ms(driver, url, f"problem=rosenbrock&{page.SIX}&steps=1000"))
            finally:
                driver.quit()
                shutil.rmtree(profile, ignore_errors=True)
    finally:
        lab.terminate()
        server.terminate()
        lab.wait(timeout=10)
        server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
    ratio = [w / e for w, e in zip(widget, explorer)]
    print(f"| what | median of {args.rounds} | range | target |")
    print("|---|---|---|---|")
    print(f"| widget: click to redrawn paths, Rosenbrock 6 x 1000 (comm) | {statistics.median(widget):.0f} ms | "
          f"{min(widget):.0f}-{max(widget):.0f} ms | <= 150 ms |")
    print(f"| explorer: click to redrawn paths, same (HTTP) | {statistics.median(explorer):.0f} ms | "
          f"{min(explorer):.0f}-{max(explorer):.0f} ms | |")
    print(f"| widget / explorer | {statistics.median(ratio):.2f} | {min(ratio):.2f}-{max(ratio):.2f} | |")
    print(f"| first widget: cell run to first drawing (fresh kernel and page) | {statistics.median(first):.0f} ms | "
          f"{min(first):.0f}-{max(first):.0f} ms | <= 2000 ms |")
    for name in ("kernel", "files", "panel"):
        v = [p[name] for p in phases]
        print(f"| first widget, phase: {name} | {statistics.median(v):.0f} ms | {min(v):.0f}-{max(v):.0f} ms | |")
    threads = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")}
    print(f"\nload average (1, 5, 15 min): {load_before} at the start, {os.getloadavg()} at the end, "
          f"on {os.cpu_count()} cores; threads: {threads}")


if __name__ == "__main__":
    main()
