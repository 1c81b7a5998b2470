"""Headless Chromium for the browser tests (test_browser.py, test_serve_browser.py, test_tour_browser.py).

Needs the Debian packages chromium and chromium-driver (``apt-get install -y chromium
chromium-driver``) and selenium; :func:`skip_without_browser` skips a test module, saying
which is missing, only where they cannot be installed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"


def missing(*modules: str, extra: str = "serve") -> str | None:
    """Why a browser test cannot run here, or None: selenium, then each of ``modules`` (brought by
    ``descend[extra]``), chromedriver and chromium."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for module in modules:
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install 'descend[{extra}]')"
    if not os.path.exists(CHROMEDRIVER):
        return f"{CHROMEDRIVER} is missing (apt-get install -y chromium chromium-driver)"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "chromium is missing (apt-get install -y chromium)"
    return None


def skip_without_browser(*modules: str, extra: str = "serve"):
    """The ``pytestmark`` of a browser test module: skip it, saying why, where :func:`missing` says so."""
    reason = missing(*modules, extra=extra)
    return pytest.mark.skipif(reason is not None, reason=str(reason))


@contextlib.contextmanager
def chromium(window_size: str, *, console_log: bool = False, script_timeout: float | None = None):
    """A headless Chromium through chromedriver, in a fresh profile folder removed afterwards.

    ``window_size`` is "width,height"; ``console_log`` keeps the page's console messages
    (``driver.get_log("browser")``).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="descend-chromium-")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={profile}", f"--window-size={window_size}"):
        options.add_argument(arg)
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    if script_timeout is not None:
        driver.set_script_timeout(script_timeout)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
