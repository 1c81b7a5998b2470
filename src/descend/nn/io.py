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
are measured before they are parsed (:mod:`descend.safejson`); all of that is
:mod:`descend.nn.npz`.  Here the shapes an architecture declares are compared with
the stored arrays before any layer is built.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import DescendError
from .layers import LAYERS, Linear
from .model import Sequential
from .npz import MAX_LOAD_BYTES, MAX_MEMBERS, atomic_savez, npz_int, npz_json, npz_string, read_npz
from .saving import MODEL_FIELDS, MODEL_FORMAT, MODEL_VERSION, check_savable, model_arrays, write_model

# atomic_savez, read_npz, npz_* and the limits live in descend.nn.npz, the writing side of the
# model file in descend.nn.saving (below the model, which saves itself); named here too, where they were first
__all__ = ["save", "load", "check_savable", "atomic_savez", "read_npz", "npz_string", "npz_json", "npz_int",
           "MAX_LOAD_BYTES", "MAX_MEMBERS", "MODEL_FORMAT", "MODEL_VERSION", "model_arrays"]

#: the top-level keys of a saved architecture (:meth:`Sequential.config`); any other is refused by name
ARCHITECTURE_KEYS = ("type", "dtype", "layers")


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
    unknown = sorted(str(k) for k in config if k not in ARCHITECTURE_KEYS)
    if unknown:
        raise DescendError(f"{path!r}: field 'architecture' has unknown key(s) {unknown}; a model architecture "
                           f"holds {', '.join(ARCHITECTURE_KEYS)}")
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
    write_model(model, path, overwrite=overwrite)


def load(path, *, max_bytes: int | None = None) -> Sequential:
    """Load a model saved by :func:`save`; anything else is a DescendError (never unpickled).

    ``max_bytes`` bounds the arrays the file may declare (default: 100 times the file's
    size, :data:`descend.nn.npz.MAX_RATIO`, at most :data:`MAX_LOAD_BYTES`, 2 GiB); a
    larger model needs it raised on purpose.
    """
    data = read_npz(path, "model", MODEL_FORMAT, MODEL_VERSION, max_bytes=max_bytes,
                    allowed=lambda k: k in MODEL_FIELDS or k.startswith("param/"))
    allowed = set(MODEL_FIELDS)
    unknown = sorted(k for k in data if k not in allowed and not k.startswith("param/"))
    if unknown:
        raise DescendError(f"{os.fspath(path)!r} has unexpected fields {unknown}")
    return model_from_arrays(data, os.fspath(path))
