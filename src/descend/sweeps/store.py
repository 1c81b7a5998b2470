"""The sweep store: one SQLite file, one row per finished run, committed as it finishes.

Layout (``PRAGMA user_version`` = :data:`VERSION`)::

    meta(name TEXT PRIMARY KEY, value TEXT)       format, version, the sweep definitions (JSON)
    runs(key TEXT UNIQUE, sweep, settings JSON, result JSON, curve BLOB, val_curve BLOB, finished)

``key`` is the hash of everything that decides a run's numbers (the target, the
fixed settings such as ``steps``, and the run's own settings, its start point
included), so a run is stored at most once: running a sweep again skips the keys
already there, and a sweep killed part-way (even by SIGKILL) loses at most the runs
in flight.  Curves are float64 little-endian blobs.

Safety
------
* WAL journal with ``synchronous=FULL``: a commit survives the process being killed
  the moment after.
* One writer at a time: a writer holds an exclusive ``flock`` on ``<store>.lock``
  (released by the kernel when the process dies, however it dies) and waits up to
  ``lock_timeout`` seconds for it; a second sweep on the same store waits, then is
  refused with a message naming the store.  Every write is also a
  ``BEGIN IMMEDIATE`` transaction with a busy timeout, so even a writer that
  bypassed the lock could not interleave a half-written row.  Readers
  (:func:`load`, ``descend report``) need no lock: WAL lets them read while a sweep writes.
* A symbolic link as the store (or its ``-wal``, ``-shm``, ``.lock`` files), a file that is
  not SQLite, and an SQLite file that is not a sweep store are refused before SQLite
  opens or changes them.  The store is the one file descend updates in place rather
  than replacing through :mod:`descend.files`: its own ``meta`` format marker is what
  shows descend made it.
* An SQLite error (a full disk: "database or disk is full") is reported as itself,
  naming the store, never masked by the failed rollback after it.
* A store made by one sweep definition refuses another (different target, grid or
  settings) unless ``extend=True``, which records the new definition beside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time

import numpy as np

from .. import safejson
from ..errors import DescendError

__all__ = ["SweepStore", "FORMAT", "VERSION"]

FORMAT = "descend.sweep"
VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    sweep TEXT NOT NULL,
    settings TEXT NOT NULL,
    result TEXT NOT NULL,
    curve BLOB,
    val_curve BLOB,
    finished REAL NOT NULL
);
"""


def _blob(a) -> bytes | None:
    return None if a is None else np.ascontiguousarray(a, dtype="<f8").tobytes()


def _unblob(b, what: str) -> np.ndarray | None:
    """A stored curve: NULL or a float64 little-endian blob (a whole number of 8-byte values)."""
    if b is None:
        return None
    if not isinstance(b, bytes) or len(b) % 8:
        got = f"{len(b)} bytes" if isinstance(b, bytes) else type(b).__name__
        raise DescendError(f"{what} must be NULL or float64 values (a multiple of 8 bytes), got {got}")
    return np.frombuffer(b, dtype="<f8").copy()


def _dumps(values: dict) -> str:
    """A run's settings or result as the store writes them: keys sorted, nan/inf as the strings
    "nan", "inf" and "-inf" (:mod:`descend.safejson`'s "string" convention, read back by its
    ``restore``)."""
    return safejson.dumps(values, nonfinite="string", sort_keys=True)


def _read(text: str, what: str) -> dict:
    """The inverse of :func:`_dumps` (the text's size and nesting checked first); a JSON object."""
    value = safejson.restore(safejson.loads(text, what=what))
    if not isinstance(value, dict):
        raise DescendError(f"{what} must be a JSON object, got {_kind(value)}")
    return value


#: result fields and what each may hold: "number" (or null), "count" (an integer >= 0 or null),
#: "text", "point" (a list of numbers or null); any other result field is refused by name
_RESULT_FIELDS = {"final_loss": "number", "best_loss": "number", "distance": "number", "wall_time": "number",
                  "final_val_loss": "number", "best_val_loss": "number", "nit": "count", "ngev": "count",
                  "steps_to_tol": "count", "status": "text", "message": "text", "x": "point"}


def _kind(v) -> str:
    return "null" if v is None else f"{type(v).__name__} {v!r}"[:80]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def _is_point(v) -> bool:
    """A flat list of numbers, or a list of equally long such lists (start points)."""
    if not isinstance(v, list):
        return False
    if all(_is_number(x) for x in v):
        return True
    return (all(isinstance(x, list) and all(_is_number(y) for y in x) for x in v)
            and len({len(x) for x in v}) == 1)


_FIELD_CHECKS = {
    "number": (lambda v: v is None or _is_number(v), "a number or null"),
    "count": (lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
              "an integer >= 0 or null"),
    "text": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "point": (lambda v: v is None or _is_point(v), "a list of numbers or null"),
}


def _check_row(settings: dict, result: dict, what: str) -> None:
    """Every field of a stored run, checked on read: a store edited by hand or by another program
    is refused with the run and the field named, never half-read into a traceback later."""
    if not isinstance(settings.get("optimizer"), str):
        raise DescendError(f"{what}: setting 'optimizer' must be a string, got {_kind(settings.get('optimizer'))}")
    lr = settings.get("lr")
    if not (_is_number(lr) and lr > 0):
        raise DescendError(f"{what}: setting 'lr' must be a number > 0, got {_kind(lr)}")
    for name, v in settings.items():
        if not (_is_scalar(v) or _is_point(v) or (isinstance(v, list) and all(_is_scalar(x) for x in v))):
            raise DescendError(f"{what}: setting {name!r} must be a number, string, boolean, null or a list of "
                               f"them, got {_kind(v)}")
    for name, v in result.items():
        kind = _RESULT_FIELDS.get(name)
        if kind is None:
            raise DescendError(f"{what}: unknown result field {name!r} (known: {', '.join(sorted(_RESULT_FIELDS))})")
        ok, allowed = _FIELD_CHECKS[kind]
        if not ok(v):
            raise DescendError(f"{what}: result field {name!r} must be {allowed}, got {_kind(v)}")


class _FileLock:
    """An exclusive lock on ``path`` held by this process (flock; released when it dies)."""

    def __init__(self, path: str):
        self.path = path
        self._fd = None

    def acquire(self, timeout: float, what: str) -> None:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except OSError as exc:
            raise DescendError(f"cannot write the lock file {self.path}: {exc.strerror or exc}") from None
        deadline = time.monotonic() + timeout
        while True:
            if self._try():
                os.ftruncate(self._fd, 0)
                os.write(self._fd, f"{os.getpid()}\n".encode())
                return
            if time.monotonic() >= deadline:
                holder = ""
                try:
                    with open(self.path) as fh:
                        pid = fh.read().strip()
                    holder = f" (process {pid})" if pid else ""
                except OSError:
                    pass
                os.close(self._fd)
                self._fd = None
                raise DescendError(
                    f"store {what!r} is in use by another sweep{holder}; waited {timeout:g} s for it. Wait for "
                    f"that sweep to finish, pass a longer lock_timeout, or use another store")
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _try(self) -> bool:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            try:
                msvcrt.locking(self._fd, msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


class SweepStore:
    """A sweep's SQLite file, opened for reading (``mode="r"``) or as the one writer (``"w"``).

    Parameters
    ----------
    path : str or PathLike
        The SQLite file (created by a writer when missing).
    mode : {"r", "w"}, default "r"
    lock_timeout : float, default 10
        Seconds a writer waits for another sweep on the same store to finish.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, path, mode: str = "r", *, lock_timeout: float = 10.0):
        if mode not in ("r", "w"):
            raise DescendError(f"mode must be 'r' or 'w', got {mode!r}")
        try:
            lock_timeout = float(lock_timeout)
        except (TypeError, ValueError):
            raise DescendError(f"lock_timeout must be a number of seconds >= 0, got {lock_timeout!r}") from None
        if not lock_timeout >= 0:
            raise DescendError(f"lock_timeout must be a number of seconds >= 0, got {lock_timeout!r}")
        try:
            self.path = os.fspath(path)
        except TypeError:
            raise DescendError(f"the store must be a file path, got {type(path).__name__}") from None
        self.mode = mode
        self._lock = None
        self._con = None
        if mode == "r":
            if not os.path.lexists(self.path):
                raise DescendError(f"no sweep store at {self.path!r}")
            self._check_file(write=False)
            self._con = self._open_reader()
            self._check_format(create=False)
            return
        parent = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(parent):
            raise DescendError(f"cannot create the store {self.path!r}: directory {parent!r} does not exist")
        self._check_file(write=True)
        self._lock = _FileLock(self.path + ".lock")
        self._lock.acquire(lock_timeout, self.path)
        try:
            self._con = self._connect(self.path)
            if self._tables():  # a foreign database is refused before anything in it is changed
                self._check_format(create=False)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=FULL")
            self._check_format(create=True)
        except sqlite3.Error as exc:
            self.close()
            raise DescendError(f"cannot open the sweep store {self.path!r}: {exc}") from None
        except BaseException:
            self.close()
            raise

    def _check_file(self, write: bool) -> None:
        """Refuse a file that is not SQLite before SQLite opens it, and for a writer a store (or its
        -wal, -shm, .lock companions) that is a symbolic link: SQLite follows links and would write
        through them.  A reader may follow a link (reading changes nothing)."""
        for name in (self.path, self.path + "-wal", self.path + "-shm", self.path + ".lock") if write else ():
            if os.path.islink(name):
                raise DescendError(f"refusing to open the sweep store {self.path!r}: {name!r} is a symbolic link "
                                   f"(descend never writes through links)")
        if not os.path.exists(self.path):
            return
        if not os.path.isfile(self.path):
            raise DescendError(f"{self.path!r} is not a sweep store (not a regular file)")
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise DescendError(f"cannot read the sweep store {self.path}: {exc.strerror or exc}") from None
        if head and head != _SQLITE_MAGIC:  # an empty file is a store whose creation was cut short
            raise DescendError(f"{self.path!r} is not a sweep store (not an SQLite database); choose another "
                               f"--store file")

    def _open_reader(self):
        """A read-only connection.  A WAL store needs its ``-shm`` file beside it even to be read; on a
        read-only file system (or directory) SQLite cannot create it and fails with "unable to open
        database file".  Then, when no ``-wal`` file holds uncheckpointed runs, the store is opened
        ``immutable=1`` (nothing can change it there); otherwise the message says what is missing."""
        from urllib.parse import quote

        uri = "file:" + quote(os.path.abspath(self.path))
        con = None
        try:
            con = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=30.0, isolation_level=None)
            con.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
            con.execute("PRAGMA busy_timeout=30000")
            return con
        except sqlite3.Error as exc:
            if con is not None:
                con.close()
            if not isinstance(exc, sqlite3.OperationalError):
                raise DescendError(f"{self.path!r} is not a sweep store (not an SQLite database: {exc})") from None
            wal = self.path + "-wal"
            if os.path.exists(wal) and os.path.getsize(wal) > 0:
                raise DescendError(f"cannot read the sweep store {self.path!r} ({exc}): its {wal!r} holds runs "
                                   f"not yet in the store, and the directory cannot be written; copy the store, "
                                   f"its -wal and -shm files to a writable directory") from None
        return self._connect(uri + "?mode=ro&immutable=1", uri=True)

    def _tables(self) -> set[str]:
        try:
            return {r[0] for r in self._con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise DescendError(f"{self.path!r} is not a sweep store (not an SQLite database: {exc})") from None

    def _connect(self, target, uri=False):
        try:
            con = sqlite3.connect(target, uri=uri, timeout=30.0, isolation_level=None)
            con.execute("PRAGMA busy_timeout=30000")
            return con
        except sqlite3.Error as exc:
            raise DescendError(f"cannot open the sweep store {self.path!r}: {exc}") from None

    def _check_format(self, create: bool) -> None:
        con = self._con
        tables = self._tables()
        if not tables and create:
            with self._transaction():  # schema and metadata in one transaction: all or nothing
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
                con.execute("INSERT INTO meta VALUES ('version', ?)", (str(VERSION),))
                con.execute("INSERT INTO meta VALUES ('definitions', '[]')")
                con.execute("INSERT INTO meta VALUES ('created', ?)", (repr(time.time()),))
                con.execute(f"PRAGMA user_version={VERSION}")
            return
        if not {"meta", "runs"} <= tables:
            raise DescendError(f"{self.path!r} is an SQLite file but not a descend sweep store "
                               f"(tables: {', '.join(sorted(tables)) or 'none'})")
        meta = dict(con.execute("SELECT name, value FROM meta"))
        if meta.get("format") != FORMAT:
            raise DescendError(f"{self.path!r} is not a descend sweep store (format {meta.get('format')!r})")
        version = int(meta.get("version", "0"))
        if version > VERSION:
            raise DescendError(f"{self.path!r} is a sweep store of version {version}; this descend reads "
                               f"version {VERSION} and older: upgrade descend")

    class _Txn:
        """BEGIN IMMEDIATE ... COMMIT; on an error ROLLBACK, and the error says what really happened.

        On a full disk SQLite rolls the transaction back by itself; a ROLLBACK then fails
        with "no transaction is active", which must not hide the real cause (SQLITE_FULL).
        SQLite's errors become a DescendError naming the store.
        """

        def __init__(self, con, path):
            self.con, self.path = con, path

        def __enter__(self):
            try:
                self.con.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise DescendError(f"cannot write the sweep store {self.path}: {exc}") from None
            return self.con

        def __exit__(self, exc_type, exc, tb):
            if exc_type is None:
                try:
                    self.con.execute("COMMIT")
                    return False
                except sqlite3.Error as err:
                    exc = err
            if self.con.in_transaction:
                try:
                    self.con.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the real error is the one being raised
            if isinstance(exc, sqlite3.Error):
                raise DescendError(f"cannot write the sweep store {self.path}: {exc}") from None
            return False

    def _transaction(self):
        return self._Txn(self._con, self.path)

    def _need_writer(self, what):
        if self.mode != "w":
            raise DescendError(f"the store {self.path!r} is open read-only; cannot {what}")

    # -- definitions ------------------------------------------------------------------------
    @property
    def definitions(self) -> list[dict]:
        """The sweep definitions recorded: ``[{"hash": ..., "definition": {...}, "added": time}]``."""
        row = self._con.execute("SELECT value FROM meta WHERE name='definitions'").fetchone()
        return safejson.loads(row[0], what=f"the store {self.path}") if row else []

    def attach(self, sweep_hash: str, definition: dict, *, extend: bool = False) -> None:
        """Record that sweep ``sweep_hash`` writes here, refusing a foreign store unless ``extend``."""
        self._need_writer("attach a sweep")
        with self._transaction():
            defs = self.definitions
            known = [d["hash"] for d in defs]
            if sweep_hash in known:
                return
            if defs and not extend:
                other = defs[0]["definition"]
                raise DescendError(
                    f"the store {self.path!r} holds another sweep ({_describe(other, definition)}; {self.count()} "
                    f"runs), not this one ({_describe(definition, other, target=False)}). Pass extend=True (--extend) to add this "
                    f"sweep's runs to it, or use another store")
            defs.append({"hash": sweep_hash, "definition": definition, "added": time.time()})
            self._con.execute("UPDATE meta SET value=? WHERE name='definitions'", (json.dumps(defs),))

    # -- runs -----------------------------------------------------------------------------
    def finished_keys(self) -> set[str]:
        """The keys of every run stored."""
        return {r[0] for r in self._con.execute("SELECT key FROM runs")}

    def count(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def add(self, records, sweep_hash: str) -> int:
        """Store finished runs in one transaction; returns how many were new.

        Each record is a dict with ``key``, ``settings`` (dict), ``result`` (dict) and
        optional ``curve`` / ``val_curve`` arrays.  A key already stored is left as it is.
        """
        self._need_writer("store runs")
        now = time.time()
        rows = [(r["key"], sweep_hash, _dumps(r["settings"]), _dumps(r["result"]), _blob(r.get("curve")),
                 _blob(r.get("val_curve")), now) for r in records]
        with self._transaction() as con:
            before = con.total_changes
            con.executemany("INSERT OR IGNORE INTO runs (key, sweep, settings, result, curve, val_curve, finished) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            return con.total_changes - before

    def records(self, keys=None, *, curves: bool = True) -> list[dict]:
        """Stored runs as dicts (``key``, ``sweep``, ``settings``, ``result``, ``curve``, ...), in insertion order.

        ``keys``: only these (in any order; missing ones are skipped).
        """
        cols = "key, sweep, settings, result, finished" + (", curve, val_curve" if curves else "")
        out = []
        wanted = None if keys is None else set(keys)
        for n, row in enumerate(self._con.execute(f"SELECT {cols} FROM runs ORDER BY id"), 1):
            if wanted is not None and row[0] not in wanted:
                continue
            out.append(self._record(n, row, curves))
        return out

    def _record(self, n: int, row: tuple, curves: bool) -> dict:
        """Stored run number ``n`` (a row of :meth:`records`' query), every field checked."""
        what = f"the sweep store {self.path}: run {n}"
        for name, v in (("key", row[0]), ("sweep", row[1])):
            if not isinstance(v, str):
                raise DescendError(f"{what}: {name} must be text, got {_kind(v)}")
        if not _is_number(row[4]):
            raise DescendError(f"{what}: finished must be a time in seconds, got {_kind(row[4])}")
        settings = _read(row[2], f"{what}: settings")
        result = _read(row[3], f"{what}: result")
        _check_row(settings, result, what)
        rec = {"key": row[0], "sweep": row[1], "settings": settings, "result": result, "finished": row[4]}
        if curves:
            rec["curve"] = _unblob(row[5], f"{what}: curve")
            rec["val_curve"] = _unblob(row[6], f"{what}: val_curve")
        return rec

    def integrity(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` ("ok" for a sound file)."""
        return str(self._con.execute("PRAGMA integrity_check").fetchone()[0])

    # -- life -----------------------------------------------------------------------------
    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        if self._con is None:
            return f"SweepStore({self.path!r}, closed)"
        return f"SweepStore({self.path!r}, mode={self.mode!r}, {self.count()} runs, {len(self.definitions)} sweep(s))"


def _values(v) -> str:
    """A grid axis in a few characters: ``[0.01, 1]`` or ``[0.0001, 0.000215, ..., 1] (13 values)``."""
    if not isinstance(v, list):
        return str(v)
    shown = [f"{x:.3g}" if isinstance(x, float) else str(x) for x in v]
    if len(shown) <= 4:
        return f"[{', '.join(shown)}]"
    return f"[{', '.join(shown[:2])}, ..., {shown[-1]}] ({len(shown)} values)"


def _settings(definition: dict) -> dict:
    """What a definition fixes, flat: its target, fixed settings and grid axes."""
    target = definition.get("target", {})
    out = {"target": f"{definition.get('kind', '?')} {(target.get('name', '?') if isinstance(target, dict) else target)!r}"}
    out.update({k: str(v) for k, v in sorted(definition.get("fixed", {}).items()) if v is not None})
    grids = definition.get("grid") or []
    for i, grid in enumerate(grids if isinstance(grids, list) else [grids]):
        suffix = f" (grid {i + 1})" if isinstance(grids, list) and len(grids) > 1 else ""
        for axis, values in (grid.items() if isinstance(grid, dict) else ()):
            out[f"{axis}{suffix}"] = _values(values)
    return out


def _describe(definition: dict, other: dict | None = None, *, target: bool = True) -> str:
    """The settings of ``definition`` that differ from ``other``'s (all when no other): short, readable.

    A store mismatch names only what differs, so the message stays one short line whatever
    the grids hold.
    """
    mine, theirs = _settings(definition), _settings(other or {})
    parts = [mine["target"]] if target or mine["target"] != theirs.get("target") else []
    for k, v in mine.items():
        if k != "target" and (other is None or theirs.get(k) != v):
            parts.append(f"{k}={v}" if k in definition.get("fixed", {}) else f"{k} {v}")
    return ", ".join(parts) if parts else "the same settings"
