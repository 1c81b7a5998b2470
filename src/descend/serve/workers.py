"""Worker processes for the explorer's heavy computations: a deadline that really stops the work.

A thread cannot be stopped from outside, and descend's compiled loops take no callback, so a
computation past its wall time would keep running and keep its slot.  A :class:`WorkerPool` runs
each heavy request in one of a few spawned processes kept warm; at the deadline the process is
killed, its slot is free at once, and a fresh process takes its place (it imports descend while
the next request waits for it).  The workers run at a lower priority (nice 10), so the server's
light requests (the page's clicks) keep the cores while heavy ones run.  Requests and answers cross the pipe as JSON bytes (the answer
exactly the bytes the client gets), never as pickles.

The child runs ``module.function(body)`` for a function of :mod:`descend.serve.api` named by the
parent, and answers ``ok`` + the JSON, ``bad`` + a JSON refusal (a ``BadRequest``'s or
``DescendError``'s one-line message and a ``BadRequest``'s extra fields), or ``err`` + a JSON object with the exception's type, message and traceback.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import json
import logging
import os
import subprocess
import sys
import threading

__all__ = ["WorkerPool", "WorkerError", "Refused", "child_main"]

log = logging.getLogger("descend.serve")

#: Modules whose functions a worker may run (the parent names one of them, nothing else).
_ALLOWED = "descend.serve.api."


class Refused(Exception):
    """The worker refused the request: ``str(exc)`` is its one-line message (a 400), ``extra`` the
    answer's other fields."""

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.extra = dict(extra or {})


class WorkerError(Exception):
    """A bug in the worker's computation: the exception's type and message, and its traceback."""

    def __init__(self, kind: str, message: str, trace: str):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message, self.trace = kind, message, trace


def _read_frame(stream) -> bytes:
    """One message: 8 bytes of length (big-endian), then that many bytes; EOFError when the pipe closed."""
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("the pipe closed")
    size = int.from_bytes(head, "big")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the pipe closed mid-message")
    return data


def _write_frame(stream, data: bytes) -> None:
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _answer(module: str, name: str, body) -> bytes:  # pragma: no cover - runs in the child process
    """``module.name(body)`` as ``ok`` + JSON, ``bad`` + a refusal or ``err`` + a bug's description."""
    import traceback

    import numpy as np

    from ..errors import DescendError
    from .checks import BadRequest
    from .json_out import dumps

    try:
        if not module.startswith(_ALLOWED):
            raise BadRequest(f"worker: {module} is not an endpoint module")
        fn = getattr(importlib.import_module(module), name)
        with np.errstate(all="ignore"):
            return b"ok" + dumps(fn(body))
    except (BadRequest, DescendError) as exc:
        return b"bad" + json.dumps({"message": str(exc), "extra": getattr(exc, "extra", {})}).encode()
    except Exception as exc:  # noqa: BLE001 - the parent logs it and answers 500
        return b"err" + json.dumps({"kind": type(exc).__name__, "message": str(exc)[:500],
                                    "trace": traceback.format_exc()}).encode()


def child_main() -> None:  # pragma: no cover - runs in the child process
    """The child's loop over its stdin and stdout: one request at a time until stdin closes."""
    try:
        os.nice(10)  # heavy work yields the cores to the server's light requests (the page's clicks)
    except (AttributeError, OSError):
        pass
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the answers
    requests = sys.stdin.buffer
    while True:
        try:
            raw = _read_frame(requests)
        except EOFError:
            return
        module, name, body = json.loads(raw)
        _write_frame(channel, _answer(module, name, body))


_CHILD = "from descend.serve.workers import child_main; child_main()"


class _Worker:
    """One child process (running :func:`child_main`) and the parent's ends of its pipes."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, close_fds=True)

    def ask(self, data: bytes) -> bytes:
        """Send one request and wait for its answer (blocking: run in a thread)."""
        _write_frame(self.process.stdin, data)
        return _read_frame(self.process.stdout)

    def kill(self) -> None:
        self.process.kill()
        threading.Thread(target=self._reap, name="descend-serve-reap", daemon=True).start()

    def _reap(self) -> None:
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class WorkerPool:
    """``size`` worker processes, started on first use, each running one request at a time.

    Parameters
    ----------
    size : int
        How many computations run at once (the others wait for a process, under their deadline).
    """

    def __init__(self, size: int):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            from ..errors import DescendError

            raise DescendError(f"size must be an integer >= 1, got {size!r}")
        self.size = size
        self._idle: asyncio.Queue | None = None
        self._loop = None
        self._ready: list = []  # started before any event loop (prestart)
        self._lock = threading.Lock()  # prestart runs in another thread than the event loop
        self._threads = concurrent.futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="descend-serve-io")
        self.killed = 0  # how many processes were ended at a deadline (for tests and the log)

    def _start(self) -> asyncio.Queue:
        loop = asyncio.get_running_loop()
        if self._idle is None:
            with self._lock:
                self._idle = asyncio.Queue()
                for _ in range(self.size):
                    self._idle.put_nowait(self._ready.pop() if self._ready else _Worker())
        elif loop is not self._loop:  # a new event loop (a test client's): the idle workers move to its queue
            waiting = list(self._idle._queue)  # noqa: SLF001
            self._idle = asyncio.Queue()
            for worker in waiting:
                self._idle.put_nowait(worker)
        self._loop = loop
        return self._idle

    def prestart(self) -> None:
        """Start the processes now (``descend serve`` does, so they have imported descend by the first
        heavy request); otherwise the first heavy request starts them."""
        with self._lock:
            while self._idle is None and len(self._ready) < self.size:
                self._ready.append(_Worker())

    def pids(self) -> list[int]:
        """The processes waiting for work now."""
        return [] if self._idle is None else [w.process.pid for w in self._idle._queue]  # noqa: SLF001

    async def call(self, fn, body: dict, deadline: float) -> bytes:
        """``fn(body)`` in a worker, as the answer's JSON bytes, by ``deadline`` (the event loop's clock).

        Raises
        ------
        asyncio.TimeoutError
            At the deadline, waiting for a worker or computing; a computing worker is killed and replaced.
        Refused
            The computation refused its input (a 400).
        WorkerError
            A bug (a 500), or the worker died.
        """
        loop = asyncio.get_running_loop()
        idle = self._start()
        worker = await asyncio.wait_for(idle.get(), timeout=max(0.0, deadline - loop.time()))
        healthy = False
        data = json.dumps([fn.__module__, fn.__name__, body]).encode()
        try:
            answer = await asyncio.wait_for(loop.run_in_executor(self._threads, worker.ask, data),
                                            timeout=max(0.0, deadline - loop.time()))
            healthy = True
        except asyncio.TimeoutError:
            self.killed += 1
            log.info("a computation (%s) passed its deadline: worker %s ended", fn.__name__, worker.process.pid)
            raise
        except (EOFError, OSError) as exc:
            raise WorkerError(type(exc).__name__, "the worker process ended unexpectedly", "") from None
        finally:
            if healthy:
                idle.put_nowait(worker)
            else:  # ended (or dead): its slot gets a fresh process at once (killing it ends the read above)
                worker.kill()
                idle.put_nowait(_Worker())
        if answer.startswith(b"ok"):
            return answer[2:]
        if answer.startswith(b"bad"):
            info = json.loads(answer[3:])
            raise Refused(info["message"], info["extra"])
        info = json.loads(answer[3:])
        raise WorkerError(info["kind"], info["message"], info["trace"])

    def close(self) -> None:
        """End every idle worker (the pool starts new ones if used again)."""
        if self._idle is not None:
            while not self._idle.empty():
                self._idle.get_nowait().kill()
            self._idle = None
        while self._ready:
            self._ready.pop().kill()
