"""What the API sends: JSON bytes with NumPy arrays, and nan/inf as ``null`` (JSON has neither).

:func:`dumps` takes orjson's fast path when orjson is installed and :func:`descend.safejson.dumps`
(the library's one writer, its ``"null"`` convention) otherwise: the same numbers either way.  The
endpoints hand it their arrays through :func:`finite_or_none` and single values through
:func:`descend.safejson.plain`.
"""

from __future__ import annotations

import numpy as np

from .. import safejson

try:
    import orjson
except ImportError:  # pragma: no cover - orjson comes with the serve extra
    orjson = None

__all__ = ["dumps", "finite_or_none"]


def dumps(payload) -> bytes:
    """JSON bytes: NumPy arrays and floats exactly (shortest round-trip form), non-finite as null.

    orjson (the serve extra) writes a run's arrays thirty times faster than the standard
    library; without it, the same output comes from :func:`descend.safejson.dumps`.
    """
    if orjson is not None:
        try:
            return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
        except TypeError:  # an array orjson does not take (not contiguous, object dtype): the slow path
            pass
    return safejson.dumps(payload, nonfinite="null", separators=(",", ":")).encode()


def finite_or_none(a) -> np.ndarray:
    """The numbers of ``a`` as a contiguous float64 array for the JSON layer, which writes every
    non-finite one as null (JSON has no NaN) and every finite one exactly."""
    return np.ascontiguousarray(a, dtype=np.float64)
