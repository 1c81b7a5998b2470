"""numba's disk cache of descend's compiled code, checked before numba reads any of it.

numba keeps each cached function as an index (``.nbi``: numba's version, the source file's
stamp and the signatures, pickled) and its machine code (``.nbc``, pickled too).  It ignores an index
of another numba or another source stamp (an upgrade rewrites the source files, so a stale
loop is never used; the loops' names carry a digest of every source they are made of),
but it unpickles whatever index it finds, and a corrupt one stops the call with an error.
:func:`sweep` reads each index of descend's cache folders first with an unpickler that
builds nothing but plain data and numba's type objects, and checks that each machine-code
file it names is a whole pickle (first and last byte); an index it refuses, with its
machine code, is removed, so numba compiles the function again and writes a fresh one.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

__all__ = ["folders", "index_ok", "sweep"]

#: the only callables an index may name: numba's type reconstruction and the types themselves
_ALLOWED = {("copyreg", "_reconstructor"), ("builtins", "object"), ("numba.core.serialize", "_type_reconstructor")}


class _IndexUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED or module.startswith("numba.core.types"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not in a numba index")


def index_ok(path) -> bool:
    """Whether ``path`` is a numba index made of plain data and numba's types (nothing else built)."""
    try:
        with open(path, "rb") as f:
            version = _IndexUnpickler(f).load()
            data = f.read()
        if not isinstance(version, str):
            return False
        stamp, overloads = _IndexUnpickler(io.BytesIO(data)).load()
        if not isinstance(overloads, dict):
            return False
        folder = os.path.dirname(path)
        return all(isinstance(v, str) and os.path.basename(v) == v and _whole_pickle(os.path.join(folder, v))
                   for v in overloads.values())
    except Exception:  # noqa: BLE001 - any failure to read it is a corrupt or foreign file
        return False


def _whole_pickle(path) -> bool:
    """Whether a machine-code file looks whole: a pickle from its first byte to its last (a
    truncated or overwritten one does not; numba would stop on it)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1)
            f.seek(-1, os.SEEK_END)
            return head == b"\x80" and f.read(1) == b"."
    except Exception:  # noqa: BLE001 - any failure to read it is a corrupt or foreign file
        return False


def folders() -> list:
    """The folders where numba caches descend's compiled code (its own rule: NUMBA_CACHE_DIR,
    else ``__pycache__`` beside the source when writable, else the user's cache folder)."""
    from numba.core import caching

    root = Path(__file__).resolve().parent.parent
    found = []
    for sub in ("jit", "optim"):
        src = root / sub / "__init__.py"
        for cls in caching.CacheImpl._locator_classes:
            loc = cls.from_function(_placeholder, str(src))
            if loc is not None:
                path = loc.get_cache_path()
                if path not in found:
                    found.append(path)
                break
    return found


def _placeholder():
    return None


def sweep() -> list:
    """Remove each index in :func:`folders` that :func:`index_ok` refuses, with its machine
    code; return the paths removed."""
    removed = []
    for folder in folders():
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if not name.endswith(".nbi") or index_ok(os.path.join(folder, name)):
                continue
            stem = name[:-len(".nbi")]
            for other in names:
                if other == name or (other.startswith(stem + ".") and other.endswith(".nbc")):
                    try:
                        os.remove(os.path.join(folder, other))
                        removed.append(os.path.join(folder, other))
                    except OSError:
                        pass
    return removed


_swept: list = []


def sweep_once() -> None:
    """:func:`sweep` the first time this process asks (numba imported by then)."""
    if not _swept:
        _swept.append(True)
        try:
            sweep()
        except Exception:  # noqa: BLE001 - a folder numba cannot name: numba's own checks remain
            pass
