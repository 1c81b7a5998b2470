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
"""

from __future__ import annotations

import json
import os

import numpy as np

from .. import files
from ..errors import DescendError
from .layers import LAYERS
from .model import Sequential

__all__ = ["save", "load", "check_savable", "atomic_savez", "read_npz", "npz_string", "npz_json", "npz_int"]

MODEL_FORMAT = "descend.model"
MODEL_VERSION = 1


def atomic_savez(path, arrays: dict, *, replace: bool = True) -> None:
    """Write ``arrays`` to ``path`` as an .npz so that ``path`` is always a whole file.

    Through :mod:`descend.files`: a temporary file in the same directory, flushed,
    fsync'ed and renamed over ``path`` (a crash or a full disk leaves the old file or
    the new one, never half); never through a symbolic link; an existing file is
    replaced only when descend wrote it (``replace=False``: never).  An OS error is a
    one-line DescendError naming the path.
    """
    files.write_with(path, lambda fh: np.savez(fh, **arrays), replace=replace)


def read_npz(path, kind: str, fmt: str, version: int) -> dict[str, np.ndarray]:
    """Read every array of an .npz with ``allow_pickle=False`` and check its format marker.

    Any failure (missing, truncated, not a zip, object arrays, another format) is a
    DescendError naming ``path`` and ``kind`` ("model", "checkpoint").
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DescendError(f"{kind} file {path!r} does not exist")
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
    """``data[key]`` parsed as JSON of type ``expect``."""
    text = npz_string(data, key, path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DescendError(f"{path!r}: field {key!r} is not valid JSON: {exc}") from None
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


def model_from_arrays(data: dict, path, prefix: str = "param/") -> Sequential:
    """Rebuild and fill a model from :func:`model_arrays`' fields, checking each."""
    config = npz_json(data, "architecture", path)
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


def load(path) -> Sequential:
    """Load a model saved by :func:`save`; anything else is a DescendError (never unpickled)."""
    data = read_npz(path, "model", MODEL_FORMAT, MODEL_VERSION)
    allowed = {"__format__", "__version__", "architecture", "rng_state"}
    unknown = sorted(k for k in data if k not in allowed and not k.startswith("param/"))
    if unknown:
        raise DescendError(f"{os.fspath(path)!r} has unexpected fields {unknown}")
    return model_from_arrays(data, os.fspath(path))
