"""The explorer's page in headless Chromium: load to first plot, a slider's redraw, training frames/s.

Starts ``descend serve --no-browser --port 0`` in a child process and drives the page
with Selenium and Debian's chromium (``apt-get install chromium chromium-driver``):

* **page load to first plot**: navigation start to the landscape's first drawn
  contour with its trajectories (Rosenbrock, 3 optimizers x 200 steps: the default
  view), the time the page itself records (``data-first-drawn`` of the plot).  *Cold*:
  a fresh browser profile each round (nothing cached, plotly.js's cartesian
  bundle compiled from scratch; the full bundle waits for the 3-D view); *warm*:
  the same browser loading the page again.  Target <= 1 s.
* **slider redraw**: an lr slider moved by one key press, to the redrawn path (the
  request, descend.minimize on the server, the JSON and plotly's redraw) with 6
  optimizers x 1000 steps on Rosenbrock, the issue's landscape update.
* **training frames/s** as the learner sees them: 2-8-8-1 on 500 points, batch 10,
  1 update per frame, each frame requested, received and drawn (heat map and losses).

Usage: ``python bench/page.py [--rounds 7]``.  Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CHROMEDRIVER = "/usr/bin/chromedriver"
SIX = "run=gd,lr=0.001&run=momentum,lr=0.001&run=nesterov,lr=0.001&run=adagrad,lr=0.1&run=rmsprop,lr=0.001&run=adam,lr=0.01"


def start_server():
    proc = subprocess.Popen([sys.executable, "-m", "descend.cli", "serve", "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("descend explorer at "):
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.stderr.read()}")
    return proc, line.split()[3]


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="descend-bench-chromium-")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    return driver, profile


def wait(driver, script, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        value = driver.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(0.01)
    raise SystemExit(f"timed out waiting for {script}")


FIRST = ("(() => { const g = document.getElementById('land-plot');"
         " return g && Number(g.dataset.runs || 0) >= 3 && Number(g.dataset.firstDrawn) })()")


def load_ms(driver, url):
    driver.get("about:blank")
    driver.get(url)
    first = wait(driver, FIRST)
    return first - driver.execute_script("return performance.timeOrigin")


def slider_ms(driver, url):
    from selenium.webdriver.common.keys import Keys

    driver.get("about:blank")
    driver.get(f"{url}#{SIX}&steps=1000")
    wait(driver, "Number(document.getElementById('land-plot').dataset.runs || 0) >= 6")
    time.sleep(0.5)  # the internals request after the first draw has settled
    times = []
    for _ in range(5):
        before = driver.execute_script("return document.getElementById('land-plot').dataset.drawnAt")
        slider = driver.find_element("css selector", '.run-card[data-run="0"] [data-name="lr"] input[type="range"]')
        t0 = driver.execute_script("return performance.timeOrigin + performance.now()")
        slider.send_keys(Keys.ARROW_LEFT)
        drawn = wait(driver, f"(() => {{ const d = document.getElementById('land-plot').dataset.drawnAt;"
                             f" return d !== '{before}' && Number(d) }})()")
        times.append(drawn - t0)
        time.sleep(0.4)
    return statistics.median(times)


def frames_per_s(driver, url, seconds=4.0):
    driver.get("about:blank")
    driver.get(f"{url}#tab=training&data=moons&n=500&noise=0.1&layers=8,8&topt=sgd&tlr=0.1&k=10&speed=1")
    wait(driver, "document.getElementById('train-status').dataset.step === '0'")
    driver.find_element("id", "train-play").click()
    time.sleep(0.5)
    s0 = int(driver.execute_script("return document.getElementById('train-status').dataset.step"))
    t0 = time.perf_counter()
    time.sleep(seconds)
    s1 = int(driver.execute_script("return document.getElementById('train-status').dataset.step"))
    elapsed = time.perf_counter() - t0
    driver.find_element("id", "train-play").click()
    return (s1 - s0) / elapsed  # one update per frame: frames = updates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    proc, url = start_server()
    cold, warm, slide, fps = [], [], [], []
    try:
        for _ in range(args.rounds):
            driver, profile = browser()
            try:
                cold.append(load_ms(driver, url))
                warm.append(load_ms(driver, url))
                slide.append(slider_ms(driver, url))
                fps.append(frames_per_s(driver, url))
            finally:
                driver.quit()
                shutil.rmtree(profile, ignore_errors=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"| what | median of {args.rounds} | range | target |")
    print("|---|---|---|---|")
    print(f"| page load to first plot, cold (fresh profile) | {statistics.median(cold):.0f} ms | "
          f"{min(cold):.0f}-{max(cold):.0f} ms | <= 1000 ms |")
    print(f"| page load to first plot, warm (reload) | {statistics.median(warm):.0f} ms | "
          f"{min(warm):.0f}-{max(warm):.0f} ms | <= 1000 ms |")
    print(f"| lr slider key press to redrawn paths (6 x 1000 steps) | {statistics.median(slide):.0f} ms | "
          f"{min(slide):.0f}-{max(slide):.0f} ms | |")
    print(f"| training frames drawn per second (2-8-8-1, 500 points, batch 10) | {statistics.median(fps):.1f} | "
          f"{min(fps):.1f}-{max(fps):.1f} | >= 10 (30 hoped) |")
    with open("/proc/loadavg") as f:
        print(f"\nload average during the run: {f.read().split()[0]} on {__import__('os').cpu_count()} cores")


if __name__ == "__main__":
    main()
