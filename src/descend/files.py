"""Safe file writing: the one way descend puts a file on disk.

Every writer of descend (the demo page, sweep reports, plots and GIFs, saved
models, checkpoints) goes through this module, which promises four things:

1. **No symbolic links.**  A path whose last component is a symbolic link (dangling
   or not) is refused with a message naming it; nothing is ever written through
   one.  (The folders on the way are the caller's choice and are not checked.)
2. **Only descend's own files are replaced.**  Each folder descend writes into holds
   a small manifest, ``.descend-manifest.json``, listing the files descend wrote
   there with their SHA-256, size, inode and mtime.  An existing file is replaced
   only when it still is what the manifest says descend wrote (same inode, size
   and mtime, or failing that the same SHA-256, so a copied folder still counts);
   anything else (a user's file of the same name, a file edited since) is refused.
   This is the one ownership mechanism, whatever the format.
3. **Atomic writes.**  The data go to a temporary file in the same folder
   (``.descend-tmp-<host>-<pid>-<random>-<name>.tmp``, created with mode ``0o666`` so the
   user's umask decides the permissions, not mkstemp's ``0o600``), which is
   flushed, fsync'ed and renamed over the target; the folder is fsync'ed after.
   A crash or a full disk leaves the previous good file, never half a file.
4. **One-line errors.**  An OS error becomes a :class:`~descend.DescendError`
   naming the path and the cause, e.g. ``cannot write /x/y.png: Permission denied``.

Temporary files left by a process that was killed (SIGKILL, power loss) are
removed by the next write into the same folder (or the next :func:`check_writable`
of a path there) once their process is gone from this machine; one made on another
machine sharing the folder, when it is a day old.

The SQLite sweep store is the one file descend updates in place rather than
replacing: it is opened only when it carries the store's own format marker
(see :mod:`descend.sweeps.store`), and never through a symbolic link.

Examples
--------
>>> from descend import files
>>> files.write_text("notes/summary.csv", "a,b\\n1,2\\n")          # doctest: +SKIP
>>> files.write_with("fig.png", lambda fh: fig.savefig(fh, format="png"))  # doctest: +SKIP
>>> with files.atomic("model.npz") as fh:                         # doctest: +SKIP
...     np.savez(fh, w=w)
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import pathlib
import platform
import re
import secrets
import stat
import time

from .errors import DescendError

__all__ = ["write_bytes", "write_text", "write_with", "atomic", "check_writable", "ensure_folder", "owned",
           "clean_stale", "os_error", "MANIFEST", "TEMP_PREFIX"]

#: the per-folder record of the files descend wrote there
MANIFEST = ".descend-manifest.json"
#: how descend's temporary files begin (and how stale ones are recognized)
TEMP_PREFIX = ".descend-tmp-"

_MANIFEST_FORMAT = "descend.manifest"
_MANIFEST_VERSION = 1
_MANIFEST_MAX_BYTES = 8 << 20
_TEMP_RE = re.compile(r"^\.descend-tmp-([A-Za-z0-9_]{0,32})-(\d+)-[0-9a-f]{8}-.*\.tmp$")
_LEGACY_TEMP_RE = re.compile(r"^\.(.+)\.[a-z0-9_]{8}\.tmp$")  # mkstemp names of descend before descend.files
_STALE_ANY_S = 24 * 3600.0   # any temporary file of ours older than this is removed
_HOST = re.sub(r"[^A-Za-z0-9_]", "_", platform.node())[:32]
_CLEAN_EVERY_S = 60.0        # one cleaning pass per folder per minute and process
_cleaned: dict[str, float] = {}


# ---------------------------------------------------------------------------------------------- errors

def os_error(path, exc: OSError, verb: str = "write") -> DescendError:
    """The one-line DescendError for an OSError met while doing ``verb`` to ``path``."""
    cause = exc.strerror or (os.strerror(exc.errno) if exc.errno else None) or str(exc) or type(exc).__name__
    return DescendError(f"cannot {verb} {os.fspath(path)}: {cause}")


def _as_path(path, what: str = "path") -> pathlib.Path:
    try:
        p = pathlib.Path(os.fspath(path))
    except TypeError:
        raise DescendError(f"{what} must be a file path, got {type(path).__name__}") from None
    if not p.name or p.name in (".", ".."):
        raise DescendError(f"{what} must name a file, got {os.fspath(path)!r}")
    if p.name == MANIFEST or p.name.startswith(TEMP_PREFIX):
        raise DescendError(f"{p} is a name descend keeps for itself; choose another name")
    return p


# ---------------------------------------------------------------------------------------------- checks

def _identity(st: os.stat_result) -> dict:
    return {"ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _matching_record(path: pathlib.Path, st: os.stat_result, entry) -> dict | None:
    """The manifest record (current or previous) that the file at ``path`` still is, or None."""
    if not isinstance(entry, dict):
        return None
    records = [r for r in (entry.get("current"), entry.get("previous")) if isinstance(r, dict)]
    ident = _identity(st)
    for r in records:  # fast path: the very file descend renamed into place, untouched since
        if all(r.get(k) == v for k, v in ident.items()):
            return r
    if not any(r.get("size") == st.st_size for r in records):
        return None
    digest = _sha256_file(path)  # a copied or restored folder: same bytes, new inode
    for r in records:
        if r.get("sha256") == digest and r.get("size") == st.st_size:
            return r
    return None


def _refusal_not_ours(p: pathlib.Path) -> DescendError:
    return DescendError(f"{p} already exists and was not written by descend; remove it or choose another "
                        f"name (descend never overwrites a file it did not write)")


def _check_target(p: pathlib.Path, replace: bool, manifest: dict | None = None) -> dict | None:
    """Refuse unless writing ``p`` is allowed; return the manifest record it is now (None: no file)."""
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise DescendError(f"cannot write {p}: {os.strerror(errno.ENOTDIR)} (a part of the path is a file)") \
            from None
    except OSError as exc:
        raise os_error(p, exc) from None
    if stat.S_ISLNK(st.st_mode):
        raise DescendError(f"refusing to write {p}: it is a symbolic link (descend never writes through links)")
    if not stat.S_ISREG(st.st_mode):
        raise DescendError(f"cannot write {p}: it exists and is not a regular file")
    if not replace:
        raise DescendError(f"{p} already exists; remove it or choose another name")
    if manifest is None:
        manifest = _read_manifest(p.parent)
    try:
        record = _matching_record(p, st, manifest["files"].get(p.name))
    except OSError as exc:
        raise os_error(p, exc, "read") from None
    if record is None:
        raise _refusal_not_ours(p)
    return record


def owned(path) -> bool:
    """True when ``path`` is a regular file that descend wrote and nobody changed since."""
    p = _as_path(path)
    try:
        return _check_target(p, replace=True) is not None
    except DescendError:
        return False


def _folder_of(p: pathlib.Path) -> pathlib.Path:
    return p.parent if str(p.parent) else pathlib.Path(".")


def check_writable(path, *, replace: bool = True) -> pathlib.Path:
    """Refuse now, before any long computation, what :func:`atomic` would refuse at the end.

    Checks that the folder exists, that ``path`` is no symbolic link, that an existing
    file is one descend wrote (or, with ``replace=False``, that there is none), and
    that a file can be created in the folder (a temporary one, removed at once).
    Stale temporary files in the folder are removed (see :func:`clean_stale`); the
    writes themselves clean at most once a minute per folder.

    Returns
    -------
    pathlib.Path
        ``path`` as a Path.
    """
    p = _as_path(path)
    folder = _folder_of(p)
    if not folder.is_dir():
        if folder.exists() or any(q.exists() and not q.is_dir() for q in folder.parents):
            raise DescendError(f"cannot write {p}: {folder} is not a folder")
        raise DescendError(f"cannot write {p}: the folder {folder} does not exist")
    _check_target(p, replace)
    clean_stale(folder)  # a run starting: what a killed one left goes now
    _cleaned[os.path.abspath(folder)] = time.monotonic()
    fd, tmp = _open_temp(p)
    os.close(fd)
    _unlink_quietly(tmp)
    return p


def ensure_folder(path) -> pathlib.Path:
    """Create the folder ``path`` (and its parents) if needed; a one-line error if that cannot be done."""
    try:
        folder = pathlib.Path(os.fspath(path))
    except TypeError:
        raise DescendError(f"the folder must be a path, got {type(path).__name__}") from None
    if folder.exists() and not folder.is_dir():
        raise DescendError(f"{folder} must be a folder, but it is a file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a dangling link, or a file somewhere on the way
        raise DescendError(f"cannot create the folder {folder}: a file or a broken link is in the way") from None
    except OSError as exc:
        raise os_error(folder, exc, "create the folder") from None
    return folder


# ---------------------------------------------------------------------------------------------- manifest

def _empty_manifest() -> dict:
    return {"format": _MANIFEST_FORMAT, "version": _MANIFEST_VERSION, "files": {}}


def _read_manifest(folder: pathlib.Path) -> dict:
    """The folder's manifest (an empty one when there is none); refuse a foreign or broken file."""
    m = folder / MANIFEST
    try:
        st = os.lstat(m)
    except FileNotFoundError:
        return _empty_manifest()
    except OSError as exc:
        raise os_error(m, exc, "read") from None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise DescendError(f"{m} is not descend's manifest (it is a link or not a regular file); remove it")
    if st.st_size > _MANIFEST_MAX_BYTES:
        raise DescendError(f"{m} is not descend's manifest ({st.st_size} bytes; descend's stay under "
                           f"{_MANIFEST_MAX_BYTES}); remove it")
    try:
        with open(m, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
    except OSError as exc:
        raise os_error(m, exc, "read") from None
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested beyond reason
        data = None
    if (not isinstance(data, dict) or data.get("format") != _MANIFEST_FORMAT
            or not isinstance(data.get("files"), dict)):
        raise DescendError(f"{m} is not descend's manifest of the files it wrote in {folder}; remove it "
                           f"(descend then treats every file there as not its own)")
    if data.get("version") != _MANIFEST_VERSION:
        raise DescendError(f"{m} is a manifest of version {data.get('version')!r}; this descend reads version "
                           f"{_MANIFEST_VERSION}")
    return data


@contextlib.contextmanager
def _folder_lock(folder: pathlib.Path):
    """Serialize manifest updates between processes writing into one folder (flock on the folder)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no folder locks
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise os_error(folder, exc, "open the folder") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _fsync_folder(folder: pathlib.Path) -> None:
    try:  # make a rename durable (best effort: not every platform can open a folder)
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_manifest(folder: pathlib.Path, manifest: dict, keep: str) -> None:
    files = manifest["files"]
    for name in [n for n in files if n != keep and not os.path.lexists(folder / n)]:
        del files[name]  # forget files that are gone
    target = folder / MANIFEST
    data = json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8")
    fd, tmp = _open_temp(target, check_name=False)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise os_error(target, exc) from None


# ---------------------------------------------------------------------------------------------- temporaries

def _open_temp(p: pathlib.Path, check_name: bool = True) -> tuple[int, pathlib.Path]:
    """Create this process's temporary file beside ``p``; umask decides its mode."""
    folder = _folder_of(p)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    for _ in range(16):
        tmp = folder / f"{TEMP_PREFIX}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}-{p.name[:64]}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise os_error(p, exc) from None
    raise DescendError(f"cannot write {p}: no free temporary name in {folder}")  # pragma: no cover


def _unlink_quietly(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _process_gone(pid: int) -> bool:
    if os.name == "nt":  # pragma: no cover - os.kill would end the process there
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False
    return False


def clean_stale(folder, *, now: float | None = None) -> list[str]:
    """Remove descend's temporary files in ``folder`` whose writer is gone; return their names.

    A file named ``.descend-tmp-<host>-<pid>-...tmp`` is stale when ``host`` is this
    machine and process ``pid`` no longer runs, or when it is over a day old (made on
    another machine sharing the folder, or by a process whose id was reused).  Temporary files of
    older descend versions (``.<name>.<8 chars>.tmp`` beside a file in the manifest)
    go when they are over an hour old.  Errors are ignored: cleaning is best effort.
    """
    folder = pathlib.Path(os.fspath(folder))
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    known = None
    for e in entries:
        if not e.name.endswith(".tmp") or not e.name.startswith("."):
            continue
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        age = now - st.st_mtime
        m = _TEMP_RE.match(e.name)
        if m:
            stale = age > _STALE_ANY_S or (m.group(1) == _HOST and _process_gone(int(m.group(2))))
        else:
            legacy = _LEGACY_TEMP_RE.match(e.name)
            if not legacy or age < 3600:
                continue
            if known is None:
                try:
                    known = set(_read_manifest(folder)["files"])
                except DescendError:
                    known = set()
            stale = legacy.group(1) in known
        if stale:
            try:
                os.unlink(e.path)
                removed.append(e.name)
            except OSError:
                pass
    return removed


def _maybe_clean(folder: pathlib.Path) -> None:
    key = os.path.abspath(folder)
    now = time.monotonic()
    if now - _cleaned.get(key, -_CLEAN_EVERY_S - 1) >= _CLEAN_EVERY_S:
        _cleaned[key] = now
        clean_stale(folder)


# ---------------------------------------------------------------------------------------------- writing

@contextlib.contextmanager
def atomic(path, *, replace: bool = True):
    """Write ``path`` atomically: yields a binary file object; the file appears only on success.

    Parameters
    ----------
    path : str or PathLike
        The file to write; its folder must exist.
    replace : bool, default True
        Replace an existing file that descend wrote (one it did not write is always
        refused); with False any existing file is refused.

    Raises
    ------
    DescendError
        A symbolic link at ``path``, a file descend did not write, or an OS error
        (one line: the path and the cause).  On any failure the previous file, if
        any, is left as it was and the temporary file is removed.
    """
    p = _as_path(path)
    folder = _folder_of(p)
    _check_target(p, replace)
    _maybe_clean(folder)
    fd, tmp = _open_temp(p)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _commit(p, tmp, replace)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise os_error(p, exc) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _commit(p: pathlib.Path, tmp: pathlib.Path, replace: bool) -> None:
    """Record the temporary file in the manifest, then rename it over ``p``; fsync the folder."""
    folder = _folder_of(p)
    record = dict(_identity(os.stat(tmp)), sha256=_sha256_file(tmp))
    with _folder_lock(folder):
        manifest = _read_manifest(folder)
        previous = _check_target(p, replace, manifest)  # again, under the lock: another writer may have come
        # Both the file now in place and the new one count as descend's until the rename is
        # known to be done, so a crash between the two steps leaves a file descend can replace.
        manifest["files"][p.name] = {"current": record, "previous": previous} if previous else {"current": record}
        _write_manifest(folder, manifest, keep=p.name)
        os.replace(tmp, p)
    _fsync_folder(folder)


def write_with(path, writer, *, replace: bool = True) -> pathlib.Path:
    """Call ``writer(fileobj)`` on a binary file object and put the result at ``path`` atomically.

    For libraries that write to a file object: ``fig.savefig(fh, format="png")``,
    ``np.savez(fh, ...)``, ``image.save(fh, format="GIF")``.  See :func:`atomic`.
    """
    with atomic(path, replace=replace) as fh:
        writer(fh)
    return _as_path(path)


def write_bytes(path, data: bytes, *, replace: bool = True) -> pathlib.Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic`); return the path."""
    with atomic(path, replace=replace) as fh:
        fh.write(data)
    return _as_path(path)


def write_text(path, text: str, *, encoding: str = "utf-8", replace: bool = True) -> pathlib.Path:
    """Write ``text`` to ``path`` atomically, encoded as given, newlines exactly as in ``text``."""
    return write_bytes(path, text.encode(encoding), replace=replace)

