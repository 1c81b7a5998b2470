"""JSON from files descend did not necessarily write: bounded before it is parsed.

``json.loads`` recurses once per level of nesting, so ``[[[[...]]]]`` 100000 deep is
a RecursionError (or worse) instead of a refusal.  :func:`loads` measures the nesting
first, without recursion (brackets outside strings, counted by a regex scan), and
refuses text deeper than ``max_depth`` or longer than ``max_chars`` with a
:class:`~descend.errors.DescendError` naming what was being read.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from .errors import DescendError

__all__ = ["MAX_CHARS", "MAX_DEPTH", "depth", "loads"]

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
