"""What the API sends: one JSON writer for NumPy arrays and nan/inf (``null``: JSON has neither).

:func:`dumps` writes a payload's bytes (orjson's fast path when installed, the standard library
otherwise, the same numbers); the endpoints hand it their arrays through :func:`finite_or_none`
and single values through :func:`jsonable`.
"""

from __future__ import annotations

import json
import math

import numpy as np

try:
    import orjson
except ImportError:  # pragma: no cover - orjson comes with the serve extra
    orjson = None

__all__ = ["dumps", "finite_or_none", "jsonable"]


def _plain(obj):
    """``obj`` with arrays as lists and every non-finite float as None (the path without orjson)."""
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return _plain(obj.item())
    return obj


def dumps(payload) -> bytes:
    """JSON bytes: NumPy arrays and floats exactly (shortest round-trip form), non-finite as null.

    orjson (the serve extra) writes a run's arrays thirty times faster than the standard
    library; without it, the same output comes from ``json``.
    """
    if orjson is not None:
        try:
            return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
        except TypeError:  # an array orjson does not take (not contiguous, object dtype): the slow path
            pass
    return json.dumps(_plain(payload), allow_nan=False, separators=(",", ":")).encode()


def finite_or_none(a) -> np.ndarray:
    """The numbers of ``a`` as a contiguous float64 array for the JSON layer, which writes every
    non-finite one as null (JSON has no NaN) and every finite one exactly."""
    return np.ascontiguousarray(a, dtype=np.float64)


def jsonable(v):
    """A default or a number as JSON: tuples become lists, non-finite floats null."""
    if isinstance(v, tuple):
        return [jsonable(a) for a in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
