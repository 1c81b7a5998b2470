"""One formatter for the numbers a learner reads: the CLI's tables, the demo page, ``_repr_html_``.

A number is shown by its *kind*, which says how many digits carry meaning:

========== =========================================== ===========================
kind       how                                         example
========== =========================================== ===========================
"exact"    every digit (the shortest repr that reads   ``1.0000001666666813``
           back to the same float): the seeds' digits
"value"    6 significant digits                        ``1.51184``
"loss"     4 significant digits                        ``0.1858``
"lr"       3 significant digits                        ``0.000664``
"count"    a whole number (836.0 is 836)               ``836``
"fraction" a percentage, 1 decimal                     ``36.0 %``
"seconds"  3 significant digits in s, ms or µs         ``2.26 ms``
"status"   a run's status (or counts of them) as words ``reached the step limit``
"text"     as it is                                    ``central``
========== =========================================== ===========================

A missing value (None, nan) is a dash, :data:`MISSING`, except where nan is the result
being shown: kind "exact" and entries of an array print ``nan`` (the naive softmax's
``[nan, nan, ...]`` is the lesson, not a gap); an array is formatted entry by entry
with its kind.  Words come from the one catalogue
(:mod:`descend.i18n`), in English or Japanese.  Column names known to descend (the
sweeps', the race's, a Result's) have a kind and a header of their own
(:data:`COLUMN_KINDS`, :func:`header`).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping

import numpy as np

from . import i18n
from .errors import DescendError, unknown_name

__all__ = ["MISSING", "KINDS", "COLUMN_KINDS", "number", "cell", "array", "seconds", "percent", "status",
           "status_counts", "header", "kind_of"]

#: what a missing value (None, nan) shows as
MISSING = "–"

_SIGNIFICANT = {"value": 6, "loss": 4, "lr": 3}

KINDS = ("exact", "value", "loss", "lr", "count", "fraction", "seconds", "status", "text")

#: the kind of each column descend's tables have (other columns: by the value's type)
COLUMN_KINDS = {
    "lr": "lr", "final_f": "loss", "distance": "loss", "steps_to_tol": "count", "reached": "fraction",
    "status": "status", "runs": "count", "converged": "count", "diverged": "count", "reached_tol": "count",
    "final_loss_median": "loss", "best_loss_min": "loss", "steps_to_tol_median": "count",
    "wall_time_median": "seconds", "final_val_loss_median": "loss", "fun": "value", "grad_norm": "value",
    "nit": "count", "nfev": "count", "ngev": "count", "x": "value", "run": "count", "step": "count",
    "epoch": "count", "loss": "loss", "val_loss": "loss", "accuracy": "fraction", "val_accuracy": "fraction",
    "batch_size": "count", "seed": "count", "wall_time": "seconds", "time": "seconds", "final_loss": "loss",
    "best_loss": "loss", "message": "text", "optimizer": "text", "problem": "text",
}


def _missing(v) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and math.isnan(v))


def _check_kind(kind):
    if kind not in KINDS:
        raise DescendError(unknown_name("number kind", kind, KINDS))
    return kind


def _significant(v: float, digits: int) -> str:
    text = f"{v:.{digits}g}"
    if "e" in text:  # 1e-05 -> 1e-5, 2.5e+12 -> 2.5e12: shorter, and how people write it
        mantissa, exp = text.split("e")
        text = f"{mantissa}e{int(exp)}"
    return text


def number(v, kind: str = "value", lang: str | None = None, *, nan: str = MISSING) -> str:
    """One number as ``kind`` says (see the module docstring); None is :data:`MISSING`, nan is ``nan``
    (the dash by default, "nan" for kind "exact")."""
    _check_kind(kind)
    if v is None:
        return MISSING
    if _missing(v):
        return "nan" if kind == "exact" else nan
    if isinstance(v, (bool, np.bool_)):
        return i18n.t("word.yes" if v else "word.no", lang)
    if kind == "status":
        return status(v, lang)
    if kind == "text" or not isinstance(v, numbers.Number):
        return str(v)
    v = float(v) if not isinstance(v, numbers.Integral) else int(v)
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if kind == "exact":
        return repr(float(v)) if isinstance(v, float) else str(v)
    if kind == "count":
        return str(int(round(v))) if float(v).is_integer() else _significant(float(v), 4)
    if kind == "fraction":
        return percent(v, lang)
    if kind == "seconds":
        return seconds(v, lang)
    if isinstance(v, int):
        return str(v)
    return _significant(v, _SIGNIFICANT[kind])


def percent(fraction, lang: str | None = None) -> str:
    """0.35979 -> ``36.0 %``."""
    if _missing(fraction):
        return MISSING
    return i18n.t("unit.percent", lang, value=f"{100 * float(fraction):.1f}")


def seconds(s, lang: str | None = None) -> str:
    """A duration with its unit, 3 significant digits: ``1.50 s``, ``2.26 ms``, ``840 µs``."""
    if _missing(s):
        return MISSING
    s = float(s)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if abs(s) >= scale or unit == "us":
            value = s / scale
            text = f"{value:.3g}" if abs(value) >= 100 else f"{value:#.3g}".rstrip(".")
            return i18n.t(f"unit.{unit}", lang, value=text)
    raise AssertionError("unreachable")  # pragma: no cover


def status(s, lang: str | None = None) -> str:
    """A run's status as words (``max_steps`` -> ``reached the step limit``); a counts string or
    mapping goes to :func:`status_counts`."""
    if isinstance(s, Mapping) or (isinstance(s, str) and re.match(r"^\d+ \w", s)):
        return status_counts(s, lang)
    key = f"status.{s}"
    return i18n.t(key, lang) if i18n.has(key) else str(s)


def status_counts(counts, lang: str | None = None) -> str:
    """How many runs ended how, in words: ``{"converged": 7, "diverged": 3}`` (or the race's
    ``"7 converged, 3 diverged"``, or a sequence of statuses) -> ``7 converged, 3 diverged``;
    one run or one status for all: the word alone (``diverged``, ``all converged``)."""
    if isinstance(counts, str):
        pairs = [part.strip().split(" ", 1) for part in counts.split(",") if part.strip()]
        counts = {name: int(n) for n, name in pairs}
    elif not isinstance(counts, Mapping):
        names, n = np.unique(np.asarray(counts, dtype=str), return_counts=True)
        counts = dict(zip(names.tolist(), n.tolist()))
    counts = {k: int(v) for k, v in counts.items() if int(v) > 0}
    if len(counts) == 1:
        (name, n), = counts.items()
        word = status(name, lang)
        return word if n == 1 else i18n.t("status.all", lang, word=word)
    return i18n.t("status.sep", lang).join(i18n.t("status.count", lang, count=n, word=status(name, lang))
                                           for name, n in counts.items())


def array(a, kind: str = "value", lang: str | None = None, *, threshold: int = 6) -> str:
    """An array entry by entry: ``[-0.229, 0.0571]``; long ones elided in the middle."""
    a = np.asarray(a)
    if a.ndim == 0:
        return number(a.item(), kind, lang)
    if a.ndim > 1:
        return "[" + ", ".join(array(row, kind, lang, threshold=threshold) for row in a) + "]"
    half = threshold // 2
    if len(a) > threshold and half > 0:  # only the shown ends: formatting all 2e6 entries took 31 s
        ends = [number(v, kind, lang, nan="nan") for v in np.concatenate([a[:half], a[-half:]]).tolist()]
        return "[" + ", ".join(ends[:half] + ["..."] + ends[half:]) + "]"
    items = [number(v, kind, lang, nan="nan") for v in a.tolist()]
    if len(items) > threshold:  # a threshold below 2 (no end shown on the left): as it always was
        items = items[:half] + ["..."] + items[-half:]
    return "[" + ", ".join(items) + "]"


def kind_of(column: str) -> str | None:
    """The kind of a column descend's tables have (None: decide by the value)."""
    return COLUMN_KINDS.get(column)


def cell(v, kind: str | None = None, lang: str | None = None) -> str:
    """Any table cell: a number by ``kind`` (default by type: floats "value", ints "count"),
    an array entry by entry, a status as words, text as it is."""
    if kind is not None:
        _check_kind(kind)
    if _missing(v):
        return number(v, kind or "value", lang)
    if isinstance(v, np.ndarray):
        return array(v, kind or "value", lang)
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, numbers.Number) for x in v):
        return array(np.asarray(v), kind or "value", lang)
    if kind is None:
        if isinstance(v, (bool, np.bool_)):
            return number(v, "value", lang)
        if isinstance(v, numbers.Integral):
            return str(int(v))
        if isinstance(v, numbers.Real):
            return number(v, "value", lang)
        return str(v)
    return number(v, kind, lang)


def header(column: str, lang: str | None = None) -> str:
    """A column's header in words (``wall_time_median`` -> ``time per run (median)``); a column
    the catalogue does not know is shown with spaces for underscores."""
    key = f"col.{column}"
    return i18n.t(key, lang) if i18n.has(key) else str(column).replace("_", " ")
