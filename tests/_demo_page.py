"""The demo page, built once per test session and shared by test_report.py and test_report_browser.py."""

from __future__ import annotations

import functools
import tempfile
import time


@functools.lru_cache(maxsize=None)
def built():
    """(path of index.html, seconds report.build took); the folder lives until the process ends."""
    from descend import report

    folder = tempfile.mkdtemp(prefix="descend-demo-")
    t0 = time.perf_counter()
    index = report.build(folder)
    return index, time.perf_counter() - t0
