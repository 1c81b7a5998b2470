"""Safe .npz files: written atomically, read without pickle, their directory checked first.

The model files (:mod:`descend.nn.io`) and the training checkpoints
(:mod:`descend.training.checkpoint`) are .npz files written and read here.

A hostile file costs no more than its checks: before any array is decompressed the
zip directory is read (member count, names, declared sizes against
:data:`MAX_RATIO` times the file's size capped at :data:`MAX_LOAD_BYTES`, or the
``max_bytes`` a caller raises on purpose, and against what the compression can
produce) and each .npy
header (its shape and dtype must account for the member's size exactly); JSON fields
are measured before they are parsed (:mod:`descend.safejson`).
"""

from __future__ import annotations

import math
import os
import zipfile

import numpy as np

from .. import files, safejson
from ..errors import DescendError

__all__ = ["atomic_savez", "read_npz", "npz_string", "npz_json", "npz_int", "MAX_LOAD_BYTES", "MAX_MEMBERS",
           "MAX_RATIO"]

#: The most bytes of arrays a file may declare (all members, decompressed) unless the
#: caller passes ``max_bytes``: 2 GiB.
MAX_LOAD_BYTES = 2 * 2 ** 30
#: Unless the caller passes ``max_bytes``, a file may declare at most this many times its
#: own size of arrays (descend writes stored, uncompressed members: ratio about 1).
MAX_RATIO = 100
#: The most arrays (zip members) a file may hold.
MAX_MEMBERS = 10_000
# deflate produces at most about 1032 bytes per compressed byte
_DEFLATE_RATIO = 1032


def atomic_savez(path, arrays: dict, *, replace: bool = True) -> None:
    """Write ``arrays`` to ``path`` as an .npz so that ``path`` is always a whole file.

    Through :mod:`descend.files`: a temporary file in the same directory, flushed,
    fsync'ed and renamed over ``path`` (a crash or a full disk leaves the old file or
    the new one, never half); never through a symbolic link; an existing file is
    replaced only when descend wrote it (``replace=False``: never).  An OS error is a
    one-line DescendError naming the path.
    """
    files.write_with(path, lambda fh: np.savez(fh, **arrays), replace=replace)


def _read_npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    """(shape, dtype, data offset) of one .npy member, from its first bytes only."""
    fmt = np.lib.format
    with zf.open(info) as fh:
        major_minor = fmt.read_magic(fh)
        if major_minor == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(fh)
        elif major_minor == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f".npy format version {major_minor} is not one descend writes")
        return shape, dtype, fh.tell()


def _check_directory(path: str, kind: str, fmt: str, allowed, max_bytes: int | None) -> None:
    """Refuse, before decompressing any array, a zip whose directory or .npy headers do
    not add up: too many members, unexpected or repeated names, more bytes declared than
    ``max_bytes`` (None: :data:`MAX_RATIO` times the file's size, at most
    :data:`MAX_LOAD_BYTES`) or than the compression can produce, a header whose shape and dtype do
    not account for the member's size exactly, object arrays."""
    with open(path, "rb") as fh:
        if fh.read(6) == b"\x93NUMPY":
            raise DescendError(f"{path!r} is not a descend {kind} file (it is a single .npy array)")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise DescendError(f"{path!r} holds {len(infos)} arrays, more than the {MAX_MEMBERS} a descend "
                               f"{kind} file may have")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise DescendError(f"{path!r} names an array twice; not a descend {kind} file")
        if "__format__.npy" not in names:
            raise DescendError(f"{path!r} is not a descend {kind} file (no '__format__' = {fmt!r} marker)")
        bad = sorted(n for n in names if not n.endswith(".npy") or (allowed is not None and not allowed(n[:-4])))
        if bad:
            raise DescendError(f"{path!r} has unexpected fields {[n.removesuffix('.npy') for n in bad[:5]]}"
                               f"{' and more' if len(bad) > 5 else ''}")
        total = sum(i.file_size for i in infos)
        if max_bytes is None:
            size = os.path.getsize(path)
            limit = min(MAX_LOAD_BYTES, MAX_RATIO * size)
            if total > limit:
                raise DescendError(f"{path!r} declares {total} bytes of arrays from a {size}-byte file, more than "
                                   f"the {limit} allowed ({MAX_RATIO}x its size, at most {MAX_LOAD_BYTES}; pass "
                                   f"max_bytes= to allow a larger {kind})")
        elif total > max_bytes:
            raise DescendError(f"{path!r} declares {total} bytes of arrays, more than the {max_bytes} allowed "
                               f"(pass max_bytes= to allow a larger {kind})")
        for info in infos:
            name = info.filename[:-4]
            if info.flag_bits & 0x1:
                raise DescendError(f"{path!r}: field {name!r} is encrypted")
            if info.compress_type == zipfile.ZIP_STORED:
                plausible = info.compress_size == info.file_size
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                plausible = info.file_size <= _DEFLATE_RATIO * info.compress_size + 1024
            else:
                raise DescendError(f"{path!r}: field {name!r} uses compression method {info.compress_type}; "
                                   f"descend reads stored or deflated arrays only")
            if not plausible:
                raise DescendError(f"{path!r}: field {name!r} declares {info.file_size} bytes from "
                                   f"{info.compress_size} compressed, more than its compression can produce")
            shape, dtype, offset = _read_npy_header(zf, info)
            if dtype.hasobject:
                raise DescendError(f"{path!r}: field {name!r} is an object array (pickled data is never loaded)")
            need = offset + math.prod(shape) * dtype.itemsize
            if need != info.file_size:
                raise DescendError(f"{path!r}: field {name!r} declares {dtype} of shape {shape} ({need} bytes) "
                                   f"but its entry holds {info.file_size} bytes")


def read_npz(path, kind: str, fmt: str, version: int, *, allowed=None,
             max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """Read every array of an .npz with ``allow_pickle=False`` and check its format marker.

    The zip directory and each array's header are checked first (see the module
    docstring): ``allowed`` (a predicate on field names, or None for any) and
    ``max_bytes`` (default: :data:`MAX_RATIO` times the file's size, at most
    :data:`MAX_LOAD_BYTES`; a larger number raises the limit on purpose) bound what is
    decompressed.
    Any failure (missing, truncated, not a zip, object arrays, another format, too
    large) is a DescendError naming ``path`` and ``kind`` ("model", "checkpoint").
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DescendError(f"{kind} file {path!r} does not exist")
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer))
                                  or max_bytes < 0):
        raise DescendError(f"max_bytes must be an integer number of bytes >= 0, got {max_bytes!r}")
    try:
        _check_directory(path, kind, fmt, allowed, None if max_bytes is None else int(max_bytes))
    except DescendError:
        raise
    except Exception as exc:  # BadZipFile, EOFError, ValueError (a bad header), OSError, ...
        raise DescendError(f"{path!r} is not a readable descend {kind} file: {type(exc).__name__}: {exc}") \
            from None
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            raise DescendError(f"{path!r} is not a descend {kind} file (it is a single .npy array)")
        with loaded as npz:
            data = {name: npz[name] for name in npz.files}
    except DescendError:
        raise
    except Exception as exc:  # BadZipFile, EOFError, zlib.error, ValueError (pickled data), OSError, ...
        raise DescendError(f"{path!r} is not a readable descend {kind} file: {type(exc).__name__}: {exc}") \
            from None
    marker = data.get("__format__")
    if marker is None or marker.dtype.kind != "U" or marker.ndim != 0 or str(marker) != fmt:
        raise DescendError(f"{path!r} is not a descend {kind} file (no '__format__' = {fmt!r} marker)")
    got = npz_int(data, "__version__", path)
    if got != version:
        raise DescendError(f"{path!r} is a descend {kind} file of version {got}; this descend reads version "
                           f"{version}")
    return data


def npz_string(data: dict, key: str, path) -> str:
    """``data[key]`` as a str; it must be a 0-d unicode array."""
    if key not in data:
        raise DescendError(f"{path!r} is missing the field {key!r}")
    a = data[key]
    if a.dtype.kind != "U" or a.ndim != 0:
        raise DescendError(f"{path!r}: field {key!r} must be a string, got dtype {a.dtype} shape {a.shape}")
    return str(a)


def npz_json(data: dict, key: str, path, expect=dict):
    """``data[key]`` parsed as JSON of type ``expect`` (its nesting bounded: :mod:`descend.safejson`)."""
    text = npz_string(data, key, path)
    value = safejson.loads(text, what=f"{path!r}: field {key!r}")
    if not isinstance(value, expect):
        raise DescendError(f"{path!r}: field {key!r} must be a JSON {expect.__name__}, got {type(value).__name__}")
    return value


def npz_int(data: dict, key: str, path) -> int:
    """``data[key]`` as an int; it must be a 0-d integer array."""
    if key not in data:
        raise DescendError(f"{path!r} is missing the field {key!r}")
    a = data[key]
    if a.dtype.kind not in "iu" or a.ndim != 0:
        raise DescendError(f"{path!r}: field {key!r} must be an integer, got dtype {a.dtype} shape {a.shape}")
    return int(a)
