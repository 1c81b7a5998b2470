"""The demo page in headless Chromium: every image loads, no console errors, and a screenshot is taken.

Needs the Debian packages chromium and chromium-driver (``apt-get install -y chromium
chromium-driver``) and selenium; skipped, saying which is missing, only where they
cannot be installed.
"""

import io
import os
import time

import numpy as np
import pytest

from descend import tour
from _browser import chromium, skip_without_browser
from _demo_page import built

SCREENSHOT_DIR = os.environ.get("DESCEND_SCREENSHOT_DIR")  # keep the screenshot for a person to look at

pytestmark = skip_without_browser("matplotlib", "PIL", extra="demo")  # the page's pictures need the plot stack


@pytest.fixture(scope="module")
def browser():
    with chromium("1280,1600", console_log=True) as driver:
        yield driver


@pytest.fixture(scope="module")
def page(browser):
    index, _ = built()
    browser.get(index.resolve().as_uri())
    # wait until every image has finished loading (or failed)
    for _ in range(100):
        if browser.execute_script("return Array.from(document.images).every(i => i.complete)"):
            break
        time.sleep(0.1)
    return browser


def test_every_image_loads(page):
    images = page.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth, "
        "i.naturalHeight])")
    assert len(images) >= 9
    for src, complete, width, height in images:
        assert complete and width > 0 and height > 0, f"{src} did not load"


def test_no_console_errors(page):
    errors = [e for e in page.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == []


def test_the_page_renders_and_a_screenshot_is_taken(page, tmp_path):
    assert page.title == "descend: the tour"
    height = page.execute_script("return document.body.scrollHeight")
    assert height > 3000  # eleven sections of pictures and tables
    sections = page.execute_script("return document.querySelectorAll('section h2').length")
    assert sections == len(tour.SECTIONS) == 11
    from PIL import Image

    png = page.get_screenshot_as_png()
    im = Image.open(io.BytesIO(png))
    assert im.format == "PNG" and im.size[0] >= 1000
    px = np.asarray(im.convert("RGB"), dtype=float)
    assert px.std() > 10  # not a blank page
    # the first figure is on screen and drawn: many non-background pixels in the screenshot
    assert np.mean(np.any(np.abs(px - px[5, 5]) > 40, axis=-1)) > 0.02
    folder = SCREENSHOT_DIR or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    im.save(os.path.join(folder, "demo-page.png"))
    page.execute_script("document.getElementById('s7-optimizer_race').scrollIntoView()")
    page.get_screenshot_as_file(os.path.join(folder, "demo-page-race.png"))
    assert os.path.getsize(os.path.join(folder, "demo-page-race.png")) > 10_000
