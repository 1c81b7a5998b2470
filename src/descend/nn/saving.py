"""The model file's fields and its writing, below :class:`~descend.nn.Sequential` (which saves itself).

Reading, which builds a Sequential, is :mod:`descend.nn.io`; the file's layout is in its docstring.
"""

from __future__ import annotations

import json
import os

import numpy as np

from ..errors import DescendError
from .layers import LAYERS
from .npz import atomic_savez

__all__ = ["MODEL_FORMAT", "MODEL_VERSION", "MODEL_FIELDS", "check_savable", "model_arrays", "write_model"]

MODEL_FORMAT = "descend.model"
MODEL_VERSION = 1

MODEL_FIELDS = ("__format__", "__version__", "architecture", "rng_state")


def check_savable(model) -> None:
    """Raise DescendError unless every layer's class can be rebuilt by :func:`descend.nn.load`
    (a built-in layer, or one given to :func:`~descend.nn.register_layer`)."""
    for i, layer in enumerate(model.layers):
        cls = type(layer)
        if LAYERS.get(cls.__name__) is not cls:
            raise DescendError(f"layer {i} ({cls.__name__}) is not a registered layer class, so a saved file "
                               f"could not be loaded again; call descend.nn.register_layer({cls.__name__}) "
                               f"first (its config() must return its constructor's arguments)")


def model_arrays(model, prefix: str = "param/") -> dict[str, np.ndarray]:
    """The model's architecture, generator states and parameters as npz fields."""
    check_savable(model)
    out = {"architecture": np.array(json.dumps(model.config())),
           "rng_state": np.array(json.dumps(model.rng_state()))}
    out.update({prefix + name: p for name, p in model.params.items()})
    return out


def write_model(model, path, *, overwrite: bool = False) -> None:
    """Write a :class:`~descend.nn.Sequential` to ``path``; see :func:`descend.nn.save`."""
    if os.path.exists(path) and not overwrite:
        raise DescendError(f"{os.fspath(path)!r} already exists; pass overwrite=True to replace it")
    arrays = {"__format__": np.array(MODEL_FORMAT), "__version__": np.array(MODEL_VERSION)}
    arrays.update(model_arrays(model))
    atomic_savez(path, arrays, replace=overwrite)
