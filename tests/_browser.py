"""Headless Chromium for the browser tests (test_report_browser.py, test_serve_browser.py, test_report_browser_ja.py).

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


@contextlib.contextmanager
def explorer(token: str):
    """The explorer's app (``descend serve``) on 127.0.0.1:<a free port> in a thread; yields its base address."""
    import threading
    import time

    import uvicorn
    from helpers import free_port

    from descend.serve.app import create_app

    port = free_port()
    app = create_app(token=token, host="127.0.0.1", port=port)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the explorer's server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def wait_for(driver, script: str, timeout: float = 15.0, what: str = ""):
    """Run ``script`` (a JS expression) until it is truthy; return its value, or fail saying what the page shows."""
    import time

    end = time.time() + timeout
    value = None
    while time.time() < end:
        value = driver.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(0.05)
    logs = [e["message"] for e in driver.get_log("browser")]
    errors = driver.execute_script(
        "return Array.from(document.querySelectorAll('.message.error')).filter(e => !e.hidden).map(e => e.textContent)")
    raise AssertionError(f"timed out waiting for {what or script} (last value {value!r}; messages on the page: "
                         f"{errors}; console: {logs}; address: {driver.current_url})")


def screenshots(folder, *copies):
    """``save(driver, name)``: a screenshot as ``folder/name.png`` (not blank), copied into each folder of ``copies``."""

    def save(driver, name: str):
        path = folder / f"{name}.png"
        driver.save_screenshot(str(path))
        assert path.stat().st_size > 10_000, f"screenshot {name} is (nearly) empty"
        for other in copies:
            os.makedirs(other, exist_ok=True)
            shutil.copy(path, os.path.join(other, path.name))
        return path

    return save
