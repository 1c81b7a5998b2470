"""Running the explorer: bind, print the address with its token, open the browser, stop on Ctrl-C."""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import webbrowser

from ..errors import DescendError

__all__ = ["main", "url", "is_local"]


def is_local(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url(host: str, port: int, token: str) -> str:
    """The address to open: ``http://127.0.0.1:8765/?token=...``."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/?token={token}"


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise DescendError(f"--host {host!r} is not an address of this machine ({exc.strerror})") from None
    family, kind, proto, _, addr = infos[0]
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted sockets only then (without it,
    # Nagle holds each response's body until the client's delayed ACK: 40 ms a request)
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise DescendError(f"cannot listen on {host}:{port} ({exc.strerror}); is another server using it? "
                           f"pass another --port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


#: The page's default runs (static/state.js): their loops are loaded first.
PAGE_FIRST = ("gd", "momentum", "adam")


def warm(then=None, page_ready: threading.Event | None = None) -> None:
    """Load (or compile, the first time on a machine) the compiled loops the page asks for first,
    the page's default optimizers before the others (``page_ready`` is set once those are loaded),
    then call ``then()`` (the worker processes' start: they would compete with this for the cores).

    Run in a background thread at start-up; until a configuration is loaded, requests
    for it run on the NumPy path (the same numbers), so nothing waits for this.
    """
    from .. import optim
    from .api import runner

    import numpy as np

    names = optim.names()
    first = [n for n in PAGE_FIRST if n in names]
    for name in first:
        runner.warm_now({"optimizer": name, "lr": 1e-3})
    if page_ready is not None:
        page_ready.set()
    for name in [n for n in names if n not in PAGE_FIRST]:
        runner.warm_now({"optimizer": name, "lr": 1e-3})
    for name in [n for n in PAGE_FIRST if n in names]:  # the lr panel: 41 runs, one lr each, no history
        runner.warm_now({"optimizer": name, "lr": np.geomspace(1e-4, 10.0, 41), "history": False},
                        x0=np.ones((41, 2)))
    if then is not None:
        then()


#: the longest the browser waits for the page's loops (a fresh install compiles them: the page then
#: opens anyway, and runs on the NumPy path with the same numbers until they are ready)
OPEN_WAIT_S = 20.0


def _open_when_ready(address: str, page_ready: threading.Event) -> None:
    page_ready.wait(OPEN_WAIT_S)
    webbrowser.open(address)


def main(host: str = "127.0.0.1", port: int = 8765, *, open_browser: bool = True, token: str | None = None,
         out=None) -> None:
    """Serve the explorer until Ctrl-C.

    Parameters
    ----------
    host : str
        The address to bind (127.0.0.1 unless told: anything else is reachable from
        other machines, and a warning says so).
    port : int
        0 picks a free port.
    open_browser : bool
        Open the address in the default browser once the server listens.
    token : str, optional
        The access token (default: a fresh random one).
    out : file, optional
        Where the address line goes (default stdout; warnings go to stderr).
    """
    import uvicorn

    from .app import create_app

    out = sys.stdout if out is None else out
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise DescendError(f"port must be an integer in [0, 65535], got {port!r}")
    sock = _bind(host, port)
    port = sock.getsockname()[1]
    app = create_app(token=token, host=host, port=port)
    address = url(host, port, app.token)
    if not is_local(host):
        print(f"warning: --host {host} makes the explorer reachable from other machines; anyone with the "
              f"token can run computations on this one", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    # the heavy requests' processes start once the page's loops are loaded
    page_ready = threading.Event()
    threading.Thread(target=warm, args=(app.app.state.compute.workers.prestart, page_ready),
                     name="descend-serve-warm", daemon=True).start()
    print(f"descend explorer at {address} (Ctrl-C stops it)", file=out, flush=True)
    if open_browser:  # the page opens once its first runs' loops are loaded, so its first click is not slow
        threading.Thread(target=_open_when_ready, args=(address, page_ready), name="descend-serve-open",
                         daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        app.app.state.compute.workers.close()
    print("descend explorer stopped", file=out, flush=True)
