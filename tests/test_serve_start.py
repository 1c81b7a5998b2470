"""descend serve's start: the page's first loops are loaded before the browser opens it."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("starlette")

from descend.serve import server  # noqa: E402
from descend.serve.api import runner  # noqa: E402


def test_warm_loads_the_pages_first_runs_then_says_so_then_the_rest(monkeypatch):
    ready = threading.Event()
    seen = []
    monkeypatch.setattr(runner, "warm_now", lambda config, **kw: seen.append((config["optimizer"], ready.is_set())))
    started = []
    server.warm(lambda: started.append(ready.is_set()), ready)
    first = [(name, False) for name in server.PAGE_FIRST]
    assert seen[:len(first)] == first  # loaded before the event
    assert all(done for _, done in seen[len(first):])  # everything else after it
    assert started == [True] and ready.is_set()


def test_the_browser_opens_when_the_page_is_ready_or_after_the_wait(monkeypatch):
    opened = []
    monkeypatch.setattr(server.webbrowser, "open", lambda address: opened.append(address))
    ready = threading.Event()
    t = threading.Thread(target=server._open_when_ready, args=("http://127.0.0.1:1/?token=x", ready))
    t.start()
    t.join(0.2)
    assert opened == []  # still waiting for the page's loops
    ready.set()
    t.join(5)
    assert opened == ["http://127.0.0.1:1/?token=x"]
    monkeypatch.setattr(server, "OPEN_WAIT_S", 0.05)
    server._open_when_ready("later", threading.Event())  # never ready: opens after the wait anyway
    assert opened[-1] == "later"
