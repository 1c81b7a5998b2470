"""JSON in and out: bounded before it is parsed, and one writer for NumPy values and nan/inf.

Reading: 
``json.loads`` recurses once per level of nesting, so ``[[[[...]]]]`` 100000 deep is
a RecursionError (or worse) instead of a refusal.  :func:`loads` measures the nesting
first, without recursion (brackets outside strings, counted by a regex scan), and
refuses text deeper than ``max_depth`` or longer than ``max_chars`` with a
:class:`~descend.errors.DescendError` naming what was being read.

Writing: JSON has no nan or inf.  :func:`plain` turns arrays, NumPy scalars and tuples into plain
JSON types and writes every non-finite float in one of two named conventions, and :func:`dumps`
writes the result:

- ``"null"``: nan, inf and -inf become ``null``.  The HTTP API (``serve/API.md``): a client reads
  the run's status beside the numbers.
- ``"string"``: ``"nan"``, ``"inf"`` and ``"-inf"``, so the value survives a round trip
  (:func:`restore` turns them back).  The sweep store's rows and the command line's ``--json``.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate

import numpy as np

from .errors import DescendError

__all__ = ["MAX_CHARS", "MAX_DEPTH", "NONFINITE", "depth", "dumps", "loads", "plain", "restore"]

#: Deepest nesting accepted.  descend's own fields (a checkpoint's run settings, with the
#: architecture inside) nest 5 deep.
MAX_DEPTH = 100
#: Longest text accepted (characters): 64 Mi.
MAX_CHARS = 64 * 2 ** 20

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (brackets inside strings ignored)."""
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


def loads(text: str, *, what: str = "JSON", max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS):
    """``json.loads(text)`` after checking its length and nesting; errors name ``what``.

    Examples
    --------
    >>> loads('{"a": [1, 2]}')
    {'a': [1, 2]}
    """
    if not isinstance(text, str):
        raise DescendError(f"{what} must be a JSON string, got {type(text).__name__}")
    if len(text) > max_chars:
        raise DescendError(f"{what} is {len(text)} characters of JSON, more than the {max_chars} accepted")
    d = depth(text)
    if d > max_depth:
        raise DescendError(f"{what} is JSON nested {d} deep, deeper than the {max_depth} accepted")
    try:
        return json.loads(text)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise DescendError(f"{what} is JSON nested too deep to parse") from None
    except json.JSONDecodeError as exc:
        raise DescendError(f"{what} is not valid JSON: {exc}") from None


#: The ways of writing a non-finite float (see the module's docstring).
NONFINITE = ("null", "string")
_AS_STRING = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _nonfinite(v: float, nonfinite: str):
    if nonfinite == "null":
        return None
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def plain(obj, *, nonfinite: str = "null"):
    """``obj`` as plain JSON types: arrays and tuples as lists, NumPy scalars as Python numbers,
    dict keys as strings, and each nan/inf written as ``nonfinite`` says (``"null"`` or ``"string"``).

    Examples
    --------
    >>> plain({"x": np.array([1.0, np.nan]), "n": np.int64(3)})
    {'x': [1.0, None], 'n': 3}
    >>> plain([np.inf, -np.inf, 0.5], nonfinite="string")
    ['inf', '-inf', 0.5]
    """
    if nonfinite not in NONFINITE:
        raise DescendError(f"nonfinite must be one of {', '.join(NONFINITE)}, got {nonfinite!r}")
    return _plain(obj, nonfinite)


def _plain(obj, nonfinite):
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    elif isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else _nonfinite(obj, nonfinite)
    if isinstance(obj, dict):
        return {str(k): _plain(v, nonfinite) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v, nonfinite) for v in obj]
    return obj


def dumps(obj, *, nonfinite: str = "null", **kwargs) -> str:
    """``json.dumps(plain(obj, nonfinite=...))``: never writes ``NaN`` or ``Infinity`` (invalid JSON).

    Keyword arguments go to ``json.dumps`` (``indent``, ``sort_keys``, ``separators``, ``ensure_ascii``).
    """
    return json.dumps(plain(obj, nonfinite=nonfinite), allow_nan=False, **kwargs)


def restore(obj):
    """The inverse of the ``"string"`` convention: ``"nan"``, ``"inf"`` and ``"-inf"`` back to floats,
    through lists and dicts; everything else as it is."""
    if isinstance(obj, str):
        return _AS_STRING.get(obj, obj)
    if isinstance(obj, dict):
        return {k: restore(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [restore(v) for v in obj]
    return obj
