"""The explorer's HTTP app: Starlette routes over the panels, behind one guard.

:func:`create_app` builds the ASGI app.  :class:`Guard` wraps it and checks every
request (HTTP and websocket) before any route sees it: the Host header (DNS
rebinding), the Origin (no cross-site calls) and, except for the page's public
assets, the access token.  Each API call reads at most ``LIMITS["body_bytes"]`` of
JSON, runs its computation in a small thread pool under a wall-time limit, and
answers JSON; bad input is ``400 {"error": ...}``, and no request can stop the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hmac
import ipaddress
import json
import logging
import re
import secrets
import time
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import DescendError
from .api import derivatives, export, landscape, learning_rate, listings, page_text, playground
from .checks import LIMITS, BadRequest
from .workers import Refused, WorkerError, WorkerPool
from .json_out import dumps

__all__ = ["create_app", "Guard", "STATIC", "plotly_js", "dumps"]

log = logging.getLogger("descend.serve")

#: The page's own files (index.html, its scripts and styles).
STATIC = Path(__file__).with_name("static")

#: Paths that need no token: the page's public code (no computation behind them).
PUBLIC_PREFIXES = ("/static/", "/vendor/")

_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}
_ANY = {"0.0.0.0", "::", ""}

#: Sent with every response: the page loads nothing from elsewhere, and is never framed.
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'self'; script-src 'self' 'unsafe-eval'; "
                                "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                                "worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


#: The vendored assets' headers (plotly.js, the font): the security headers without no-store, so they may be cached.
_ASSET_HEADERS = {k: v for k, v in SECURITY_HEADERS.items() if k != "cache-control"}


def plotly_js() -> Path | None:
    """Where the installed plotly wheel keeps ``plotly.min.js`` (None without plotly)."""
    try:
        path = resources.files("plotly") / "package_data" / "plotly.min.js"
    except ModuleNotFoundError:
        return None
    path = Path(str(path))
    return path if path.is_file() else None


# --------------------------------------------------------------------------- the guard

#: A Host header as RFC 9110 writes it: a name or IPv4 address, or an IPv6 address in brackets, then an optional port.
_HOST_RE = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9.-]+))(?::(?P<port>[0-9]{1,5}))?")


def _hostname(host_header: str) -> str | None:
    """The host part of a well-formed Host header (``[::1]:8765`` -> ``::1``), lower case; None for
    anything else (``127.0.0.1:80@evil.com``, ``[127.0.0.1]``, a port past 65535, an empty name)."""
    m = _HOST_RE.fullmatch(host_header.strip().lower())
    if m is None or (m["port"] is not None and int(m["port"]) > 65535):
        return None
    if m["v6"] is not None:
        try:
            return str(ipaddress.IPv6Address(m["v6"]))
        except ValueError:
            return None
    return m["name"] if m["name"].strip(".") else None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    """ASGI middleware: Host, Origin and token checks before anything else runs.

    Parameters
    ----------
    app : ASGI app
    token : str
        The access token (query ``token=`` or header ``Authorization: token ...``).
    host : str
        The address the server is bound to: requests must name it, ``localhost``,
        ``127.0.0.1`` or ``[::1]`` in their Host header (bound to ``0.0.0.0`` or ``::``,
        any IP address too, never another name: that is what DNS rebinding needs).
    """

    def __init__(self, app, *, token: str, host: str):
        self.app, self.token, self.host = app, token, host.strip("[]").lower()

    def host_allowed(self, header: str | None) -> bool:
        if not header:
            return False
        name = _hostname(header)
        if name is None:
            return False
        if name in _LOCAL_NAMES or name == self.host:
            return True
        return self.host in _ANY and _is_ip(name)

    @staticmethod
    def origin_allowed(origin: str | None, host_header: str | None) -> bool:
        if origin is None:
            return True  # not a browser's cross-origin request (curl, scripts, same-origin GETs)
        parts = urlsplit(origin)
        return bool(host_header) and parts.scheme in ("http", "https", "ws", "wss") and \
            parts.netloc.lower() == host_header.strip().lower()

    def token_ok(self, scope, headers: dict) -> bool:
        given = None
        auth = headers.get("authorization", "")
        if auth[:6].lower() == "token ":
            given = auth[6:].strip()
        if given is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            values = query.get("token")
            given = values[0] if values else None
        return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host_header = headers.get("host")
        path = scope.get("path", "")
        why = None
        if not self.host_allowed(host_header):
            why = (f"Host {host_header!r:.80} is not this server's address; open it as "
                   f"http://127.0.0.1 or http://localhost (DNS rebinding protection)")
        elif not self.origin_allowed(headers.get("origin"), host_header):
            why = f"Origin {headers.get('origin')!r:.80} is not this server: cross-site requests are refused"
        elif not path.startswith(PUBLIC_PREFIXES) and not self.token_ok(scope, headers):
            why = ("the access token is missing or wrong: open the address descend serve printed "
                   "(with ?token=...), or send the header Authorization: token ...")
        if why is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": why[:120]})
            return
        await _send_json(send, 403, {"error": why})


async def _send_json(send, status: int, payload: dict):
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------- JSON in and out

def json_response(payload, status: int = 200) -> Response:
    """``payload`` as JSON (bytes are JSON already: a worker process wrote them)."""
    return Response(payload if isinstance(payload, bytes) else dumps(payload), status_code=status, media_type="application/json", headers=SECURITY_HEADERS)


def _error(status: int, message: str, extra: dict | None = None) -> Response:
    return json_response({"error": " ".join(str(message).split()), **(extra or {})}, status)


async def _read_json(request: Request):
    limit = LIMITS["body_bytes"]
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadRequest(f"body: at most {limit} bytes of JSON, got {declared!r:.20} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"body: at most {limit} bytes of JSON")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise BadRequest("body: must be a JSON object, got an empty body")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"body: not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(body, dict):
        raise BadRequest(f"body: must be a JSON object, got {type(body).__name__}")
    return body


# --------------------------------------------------------------------------- the app

class _Compute:
    """Where the panels' computations run, each under the wall-time limit.

    Light ones (a small ``/api/run`` or ``/api/lr``, a surface, the derivatives, an export, the
    playground's steps: bounded to milliseconds or a fraction of a second) in a thread pool of this
    process, next to the compiled loops it keeps warm; heavy ones (a large ``/api/run`` or ``/api/lr``) in
    worker processes (:class:`~descend.serve.workers.WorkerPool`) that are ended at the deadline,
    so a computation past its wall time frees its slot at once and keeps no core busy.
    """

    def __init__(self, threads: int = 4, processes: int | None = None):
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="descend-serve")
        self.workers = WorkerPool(LIMITS["workers"] if processes is None else processes)
        self.lanes = {"light": 0, "heavy": 0}  # computations in flight in each lane

    @property
    def in_flight(self) -> int:
        return sum(self.lanes.values())

    async def __call__(self, fn, body, *, heavy: bool = False):
        most, lane = LIMITS["in_flight"], "heavy" if heavy else "light"
        if self.lanes[lane] >= most:  # a flood of requests is refused, not queued without end
            raise BadRequest(f"requests: at most {most} {lane} computations at once; wait for the running ones")
        loop = asyncio.get_running_loop()
        limit = LIMITS["wall_time_s"]
        self.lanes[lane] += 1  # each lane its own bound: heavy requests in flight never hold up a light one
        try:
            if heavy:
                return await self.workers.call(fn, body, loop.time() + limit)  # the answer's JSON bytes
            future = loop.run_in_executor(self.pool, functools.partial(fn, body))
            return await asyncio.wait_for(asyncio.shield(future), timeout=limit)
        except Refused as exc:
            raise BadRequest(str(exc), exc.extra) from None
        except asyncio.TimeoutError:
            # a worker was ended; a light thread finishes on its own (milliseconds); the client hears now
            raise BadRequest(f"wall time: the request took longer than {limit:g} s (the limit); "
                             f"ask for fewer steps, runs or points") from None
        finally:
            self.lanes[lane] -= 1


def _large(runs_key: str, default_steps: int):
    """Whether a body asks for more than ``LIMITS["light_run_steps"]`` steps x runs (``/api/run``) or
    steps x optimizers (``/api/lr``, whose lrs run batched): what the page asks, 6 optimizers x 1000
    steps, stays in this process; a malformed body is refused in a thread."""
    def large(body) -> bool:
        steps, runs = body.get("steps", default_steps), body.get(runs_key, [None])
        if isinstance(steps, bool) or not isinstance(steps, int) or not isinstance(runs, list):
            return False
        return steps * len(runs) > LIMITS["light_run_steps"]
    return large


def _with_catalogue(html: str) -> str:
    """The page with its labels in both languages (descend.i18n) as one inert JSON block in its head,
    so the scripts hold no text and the first paint needs no extra request."""
    from ..i18n import LANGS

    data = json.dumps({lang: page_text.page_messages(lang) for lang in LANGS}, ensure_ascii=False)
    data = data.replace("<", "\\u003c")  # no "</script>" can end the block early
    block = f'<script type="application/json" id="descend-catalogue">{data}</script>\n'
    return html.replace("</head>", block + "</head>", 1)


def _endpoint(compute: _Compute, fn, *, method: str = "POST", heavy=None):
    """The handler of one API route around a panel's function ``fn``.

    POST: the body read (:func:`_read_json`) and ``fn(body)`` run in ``compute`` under the wall-time
    limit; GET: ``fn()`` at once (the listings: cached, no computation to bound).  The answer is JSON
    with its Server-Timing; a :class:`BadRequest` or :class:`DescendError` is a 400, anything else a
    500 the server survives.
    """
    async def handler(request: Request):
        t0 = time.perf_counter()
        try:
            if method == "POST":
                body = await _read_json(request)
                payload = await compute(fn, body, heavy=heavy is not None and heavy(body))
            else:
                payload = fn()  # the listings: cached, no computation to bound
        except BadRequest as exc:
            return _error(400, str(exc), exc.extra)
        except DescendError as exc:
            return _error(400, str(exc))
        except ClientDisconnect:  # the client went away mid-body: nothing to compute, nobody to answer
            client = request.client.host if request.client else "?"
            log.warning("client %s disconnected before sending its whole request to %s", client, request.url.path)
            return _error(400, "body: the client disconnected before sending it all")
        except WorkerError as exc:  # a bug in a worker process: logged with the worker's traceback
            log.error("internal error in %s (worker process): %s", request.url.path, exc.trace or exc)
            return _error(500, f"internal error: {exc.kind}: {exc.message[:160]} (details in the server's log)")
        except Exception as exc:  # a bug: the client hears of it, the server keeps running
            return _internal_error(request, exc)
        t1 = time.perf_counter()
        response = json_response(payload)  # a worker's answer comes as its JSON bytes
        t2 = time.perf_counter()
        # how long the library's work and the JSON took (browsers' devtools show it; so does bench/serve.py)
        response.headers["server-timing"] = f"compute;dur={(t1 - t0) * 1e3:.2f}, json;dur={(t2 - t1) * 1e3:.2f}"
        return response
    handler.__name__ = getattr(fn, "__name__", "handler")
    return handler


def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug's 500: logged with its traceback, told to the client in one printable line."""
    log.exception("internal error in %s", request.url.path)
    first = "".join(ch for ch in (str(exc).splitlines() or [""])[0] if ch.isprintable())
    first = first.replace("[1m", "").replace("[0m", "")
    return _error(500, f"internal error: {type(exc).__name__}: {first[:160]} (details in the server's log)")


# --------------------------------------------------------------------------- the page and its assets

async def _index(request: Request):
    page = STATIC / "index.html"
    if not page.is_file():
        return HTMLResponse("<!doctype html><title>descend</title><p>The explorer's page is not installed "
                            "(descend/serve/static/index.html is missing).</p>", status_code=500,
                            headers=SECURITY_HEADERS)
    return HTMLResponse(_with_catalogue(page.read_text(encoding="utf-8")), headers=SECURITY_HEADERS)


async def _catalogue(request: Request):
    from ..i18n import LANGS

    lang = request.query_params.get("lang", "en")
    if lang not in LANGS:
        return _error(400, f"lang: must be one of {', '.join(LANGS)}, got {lang!r:.40}")
    return json_response({"lang": lang, "messages": page_text.page_messages(lang)})


async def _plotly(request: Request):
    path = plotly_js()
    if path is None:
        return _error(404, "plotly is not installed: pip install 'descend[serve]'")
    return FileResponse(path, media_type="text/javascript", headers=_ASSET_HEADERS)


async def _japanese_font(request: Request):
    # the page's Japanese (labels, plot titles) in IPAexGothic from the matplotlib-fontja wheel
    # (the demo extra), so a machine without any Japanese font shows no boxes; offline
    from ..i18n.plots import font_file

    path = font_file()
    if path is None:
        return _error(404, "no Japanese font is installed: pip install 'descend[demo]' (matplotlib-fontja)")
    return FileResponse(path, media_type="font/ttf", headers=_ASSET_HEADERS)


async def _not_found(request: Request, exc):
    status = getattr(exc, "status_code", 404)
    what = "method not allowed" if status == 405 else "not found"
    return _error(status, f"{request.method} {request.url.path}: {what}; the API is described in "
                          f"descend/serve/API.md")


# --------------------------------------------------------------------------- the routes and the app

def _page_routes() -> list:
    """The page, its vendored assets and its words (``GET /api/catalogue``)."""
    return [
        Route("/", _index, methods=["GET"], name="index"),
        Route("/vendor/plotly.min.js", _plotly, methods=["GET"], name="plotly"),
        Route("/vendor/ipaexg.ttf", _japanese_font, methods=["GET"], name="japanese_font"),
        Route("/api/catalogue", _catalogue, methods=["GET"], name="catalogue"),
    ]


def _api_routes(compute: _Compute, sessions: playground.Sessions) -> list:
    """One route per endpoint of ``API.md``, each over its group's function in :mod:`descend.serve.api`."""
    def get(path, fn):
        return Route(path, _endpoint(compute, fn, method="GET"), methods=["GET"])

    def post(path, fn, heavy=None):
        return Route(path, _endpoint(compute, fn, heavy=heavy), methods=["POST"])

    return [
        get("/api/problems", listings.problems_listing),
        get("/api/optimizers", listings.optimizers_listing),
        get("/api/datasets", playground.datasets_listing),
        post("/api/surface", landscape.surface),
        post("/api/run", landscape.run, heavy=_large("runs", 100)),
        post("/api/lr", learning_rate.lr_curves, heavy=_large("optimizers", 200)),
        post("/api/derivatives", derivatives.derivatives),
        post("/api/train/start", functools.partial(playground.start, sessions)),
        post("/api/train/step", functools.partial(playground.step, sessions)),
        post("/api/train/stop", functools.partial(playground.stop, sessions)),
        post("/api/export", export.export),
    ]


def create_app(token: str | None = None, host: str = "127.0.0.1", port: int = 8765):
    """The explorer's ASGI app (Starlette), wrapped in its :class:`Guard`.

    Parameters
    ----------
    token : str, optional
        The access token; default a fresh random one (``app.state.token`` on the
        returned app's ``.app``; :attr:`Guard.token`).
    host : str
        The address the server is bound to (for the Host check).
    port : int
        The port (shown in messages; the Host check accepts any port).

    Returns
    -------
    Guard
        An ASGI app; ``.token`` is its token, ``.app`` the Starlette app inside.
    """
    token = token or secrets.token_urlsafe(24)
    sessions = playground.Sessions()
    compute = _Compute()
    routes = _page_routes() + _api_routes(compute, sessions)
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC, check_dir=False), name="static"))
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.token, app.state.host, app.state.port, app.state.sessions = token, host, port, sessions
    app.state.compute = compute
    guard = Guard(app, token=token, host=host)
    guard.port = port
    return guard
