"""What the commands share: rich tables and consoles, number lists, key=value options, output paths."""

from __future__ import annotations

import numpy as np

from ..errors import DescendError

__all__ = ["new_console", "table", "cell", "floats", "json_text", "parse_hp", "refuse_overwrite", "batch_sizes"]


def new_console(stderr=False):
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:  # piped or captured: no folding of wide tables
        console = Console(stderr=stderr, highlight=False, width=200)
    return console


_TEXT_COLUMNS = ("name", "problem", "status", "message", "optimizer", "method", "description", "section", "what")


def table(title, columns, rows, kinds=None, lang=None):
    """A rich table; numbers by their column's kind (``kinds``, else :func:`descend.fmt.kind_of` of a
    column name descend knows, whose header then comes from the catalogue)."""
    from rich.table import Table

    from .. import fmt

    kinds = list(kinds) if kinds is not None else [fmt.kind_of(str(c)) for c in columns]
    table = Table(title=title, title_justify="left")
    for c, kind in zip(columns, kinds):
        left = kind in ("text", "status") or c in _TEXT_COLUMNS
        table.add_column(fmt.header(c, lang) if fmt.kind_of(str(c)) else str(c), justify="left" if left else "right")
    for r in rows:
        table.add_row(*[cell(v, kind, lang) for v, kind in zip(r, kinds)])
    return table


def cell(v, kind=None, lang=None) -> str:
    from rich.markup import escape

    from .. import fmt

    return escape(fmt.cell(v, kind, lang))


def floats(text: str, what: str) -> np.ndarray:
    """Parse "1,2" or "1 2" into floats; rows separated by ';'."""
    try:
        rows = [[float(t) for t in r.replace(",", " ").split()] for r in text.split(";") if r.strip()]
    except ValueError:
        raise DescendError(f"{what} must be numbers separated by commas (rows by ';'), got {text!r}") from None
    if not rows or any(len(r) != len(rows[0]) for r in rows) or not rows[0]:
        raise DescendError(f"{what} must be numbers separated by commas (rows by ';' of equal length), got {text!r}")
    arr = np.array(rows, dtype=float)
    return arr[0] if arr.shape[0] == 1 else arr


def json_text(obj) -> str:
    """What ``--json`` prints: valid JSON with nan, inf and -inf as the strings "nan", "inf" and "-inf"
    (:mod:`descend.safejson`'s "string" convention), arrays and NumPy scalars as plain values, and
    anything else JSON cannot hold as its ``str``."""
    from .. import safejson

    return safejson.dumps(obj, nonfinite="string", default=str)


def parse_hp(items):
    """Turn ("beta1=0.9", "betas=0.9,0.99", "nesterov=true") into keyword arguments."""
    out = {}
    for item in items:
        if "=" not in item:
            raise DescendError(f"--hp must look like key=value, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip().replace("-", "_")
        low = value.strip().lower()
        if low in ("true", "false"):
            out[key] = low == "true"
        elif low == "none":
            out[key] = None
        elif "," in value:
            out[key] = tuple(float(v) for v in value.split(","))
        else:
            try:
                out[key] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
            except ValueError:
                out[key] = value
    return out


def refuse_overwrite(path):
    """Refuse an output path now, before the work: a link, a file descend did not write, a missing folder."""
    from .. import files

    files.check_writable(path)


def batch_sizes(text):
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if part in ("full", "none"):
            sizes.append(None)
            continue
        try:
            v = int(part)
        except ValueError:
            raise DescendError(f"--batch-size must be positive integers or 'full', comma-separated; got {text!r}") \
                from None
        if v < 1:
            raise DescendError(f"--batch-size must be >= 1 (or 'full'), got {v}")
        sizes.append(v)
    if not sizes:
        raise DescendError("--batch-size must name at least one size")
    return sizes
