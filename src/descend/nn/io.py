"""Saving and loading models: one .npz, written atomically, read without pickle.

A model file holds::

    __format__     "descend.model"        (refuses any other file)
    __version__    1
    architecture   JSON string: Sequential.config()
    rng_state      JSON string: the Dropout layers' generator states
    param/<name>   one array per parameter ("param/0.weight", ...)

Loading opens the file with ``allow_pickle=False`` and checks every field: a
truncated, corrupted or foreign file (a random .npz, a text file, an object
array) raises :class:`~descend.DescendError`; nothing in the file is executed.

A hostile file costs no more than its checks: before any array is decompressed the
zip directory is read (member count, names, declared sizes against
:data:`MAX_LOAD_BYTES` and against what the compression can produce) and each .npy
header (its shape and dtype must account for the member's size exactly); JSON fields
are measured before they are parsed (:mod:`descend.safejson`); the shapes an
architecture declares are compared with the stored arrays before any layer is built.
"""

from __future__ import annotations

import json
import math
import os
import zipfile

import numpy as np

from .. import files, safejson
from ..errors import DescendError
from .layers import LAYERS, Linear
from .model import Sequential

__all__ = ["save", "load", "check_savable", "atomic_savez", "read_npz", "npz_string", "npz_json", "npz_int"]

MODEL_FORMAT = "descend.model"
MODEL_VERSION = 1

#: The most bytes of arrays a file may declare (all members, decompressed) unless the
#: caller passes ``max_bytes``: 2 GiB.
MAX_LOAD_BYTES = 2 * 2 ** 30
#: The most arrays (zip members) a file may hold.
MAX_MEMBERS = 10_000
# deflate produces at most about 1032 bytes per compressed byte
_DEFLATE_RATIO = 1032
_MODEL_FIELDS = ("__format__", "__version__", "architecture", "rng_state")


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


def _check_directory(path: str, kind: str, fmt: str, allowed, max_bytes: int) -> None:
    """Refuse, before decompressing any array, a zip whose directory or .npy headers do
    not add up: too many members, unexpected or repeated names, more bytes declared than
    ``max_bytes`` or than the compression can produce, a header whose shape and dtype do
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
        if total > max_bytes:
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
    ``max_bytes`` (default :data:`MAX_LOAD_BYTES`) bound what is decompressed.
    Any failure (missing, truncated, not a zip, object arrays, another format, too
    large) is a DescendError naming ``path`` and ``kind`` ("model", "checkpoint").
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DescendError(f"{kind} file {path!r} does not exist")
    max_bytes = MAX_LOAD_BYTES if max_bytes is None else max_bytes
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 0:
        raise DescendError(f"max_bytes must be an integer number of bytes >= 0, got {max_bytes!r}")
    try:
        _check_directory(path, kind, fmt, allowed, int(max_bytes))
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


def check_savable(model: Sequential) -> None:
    """Raise DescendError unless every layer's class can be rebuilt by :func:`load`
    (a built-in layer, or one given to :func:`~descend.nn.register_layer`)."""
    for i, layer in enumerate(model.layers):
        cls = type(layer)
        if LAYERS.get(cls.__name__) is not cls:
            raise DescendError(f"layer {i} ({cls.__name__}) is not a registered layer class, so a saved file "
                               f"could not be loaded again; call descend.nn.register_layer({cls.__name__}) "
                               f"first (its config() must return its constructor's arguments)")


def model_arrays(model: Sequential, prefix: str = "param/") -> dict[str, np.ndarray]:
    """The model's architecture, generator states and parameters as npz fields."""
    check_savable(model)
    out = {"architecture": np.array(json.dumps(model.config())),
           "rng_state": np.array(json.dumps(model.rng_state()))}
    out.update({prefix + name: p for name, p in model.params.items()})
    return out


def _check_declared_shapes(config, data: dict, path, prefix: str) -> None:
    """The parameters the architecture declares must be the arrays stored, before any layer
    is built: a small file declaring ``Linear(60000, 60000)`` is refused, not allocated.

    Built-in layers only (a registered class of your own is built from its config to learn
    its shapes; it is your code).
    """
    layers = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list):
        return  # from_config refuses it
    for i, spec in enumerate(layers):
        # Linear is the built-in layer with parameters (the activations and Dropout hold none)
        if not isinstance(spec, dict) or spec.get("type") != "Linear" or LAYERS.get("Linear") is not Linear:
            continue
        fan_in, fan_out = spec.get("in_features"), spec.get("out_features")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (fan_in, fan_out)):
            continue  # from_config refuses it with the layer's own message
        declared = {"weight": (fan_in, fan_out)}
        if spec.get("bias", True):
            declared["bias"] = (fan_out,)
        for name, shape in declared.items():
            key = f"{prefix}{i}.{name}"
            if key not in data:
                raise DescendError(f"{path!r} is missing the parameter '{i}.{name}' its architecture declares")
            a = data[key]
            if a.shape != shape:
                raise DescendError(f"{path!r}: parameter '{i}.{name}' must be {spec.get('dtype', 'float32')} of "
                                   f"shape {shape}, got {a.dtype} of shape {a.shape} (architecture layer {i} "
                                   f"declares Linear({fan_in}, {fan_out}); nothing was built)")


def model_from_arrays(data: dict, path, prefix: str = "param/") -> Sequential:
    """Rebuild and fill a model from :func:`model_arrays`' fields, checking each."""
    config = npz_json(data, "architecture", path)
    _check_declared_shapes(config, data, path, prefix)
    try:
        model = Sequential.from_config(config)
    except DescendError as exc:
        raise DescendError(f"{path!r}: {exc}") from None
    params = {}
    for name, p in model.params.items():
        key = prefix + name
        if key not in data:
            raise DescendError(f"{path!r} is missing the parameter {name!r}")
        a = data[key]
        if a.shape != p.shape or a.dtype != p.dtype:
            raise DescendError(f"{path!r}: parameter {name!r} must be {p.dtype} of shape {p.shape}, "
                               f"got {a.dtype} of shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise DescendError(f"{path!r}: parameter {name!r} holds non-finite values")
        params[name] = a
    extra = sorted(k[len(prefix):] for k in data if k.startswith(prefix) and k[len(prefix):] not in params)
    if extra:
        raise DescendError(f"{path!r} has parameters the architecture does not: {extra}")
    model.load_params(params)
    rng_state = npz_json(data, "rng_state", path)
    try:
        model.set_rng_state(rng_state)
    except DescendError as exc:
        raise DescendError(f"{path!r}: {exc}") from None
    return model


def save(model: Sequential, path, *, overwrite: bool = False) -> None:
    """Save ``model`` (architecture as JSON plus its arrays) to ``path``, atomically.

    Parameters
    ----------
    model : Sequential
    path : str or os.PathLike
        Written exactly as given (no ".npz" is appended).
    overwrite : bool, default False
        An existing file is refused unless True, so nothing saved is replaced by accident;
        even with True, only a file descend wrote is replaced (see :mod:`descend.files`).
    """
    if not isinstance(model, Sequential):
        raise DescendError(f"model must be a descend.nn.Sequential, got {type(model).__name__}")
    if os.path.exists(path) and not overwrite:
        raise DescendError(f"{os.fspath(path)!r} already exists; pass overwrite=True to replace it")
    arrays = {"__format__": np.array(MODEL_FORMAT), "__version__": np.array(MODEL_VERSION)}
    arrays.update(model_arrays(model))
    atomic_savez(path, arrays, replace=overwrite)


def load(path, *, max_bytes: int | None = None) -> Sequential:
    """Load a model saved by :func:`save`; anything else is a DescendError (never unpickled).

    ``max_bytes`` (default :data:`MAX_LOAD_BYTES`, 2 GiB) bounds the arrays the file may
    declare; a larger model needs it raised.
    """
    data = read_npz(path, "model", MODEL_FORMAT, MODEL_VERSION, max_bytes=max_bytes,
                    allowed=lambda k: k in _MODEL_FIELDS or k.startswith("param/"))
    allowed = set(_MODEL_FIELDS)
    unknown = sorted(k for k in data if k not in allowed and not k.startswith("param/"))
    if unknown:
        raise DescendError(f"{os.fspath(path)!r} has unexpected fields {unknown}")
    return model_from_arrays(data, os.fspath(path))
