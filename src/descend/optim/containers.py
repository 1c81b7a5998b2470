"""Containers: one parameter array, or a dict of name -> array, and its rows of runs.

``params`` is one ndarray or a dict of name -> ndarray (the seeds' ``network`` dict),
updated in place; ``grads`` must have the same keys and shapes.  :func:`collect` pairs
them into leaves (one array and its gradient each); a leaf with ``runs=R`` is viewed as
(R, cols), one row per run, and walked in blocks of about :data:`BLOCK` elements.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import DescendError

__all__ = ["BLOCK", "Leaf", "Slot", "collect", "blocks", "rows_view", "at_rows", "at_row", "by_row",
           "copy_value", "readonly"]

#: Elements per block on the NumPy path: the temporaries of one block (a few dozen
#: float64 arrays of this size) stay in cache and never grow with the parameters.
BLOCK = 1 << 14


# -- containers -------------------------------------------------------------------------------

class Leaf:
    """One parameter array with its gradient, as the step sees it."""

    __slots__ = ("key", "p", "g", "scalar_in", "container")

    def __init__(self, key, p, g, scalar_in, container):
        self.key, self.p, self.g = key, p, g
        self.scalar_in, self.container = scalar_in, container

    @property
    def label(self):
        """How messages name the parameter: ``params`` or ``params['key']``."""
        return "params" if self.container is None else f"params[{self.key!r}]"

    def write_back(self):
        # a Python or NumPy scalar in a dict cannot be updated in place: replace the entry
        if self.scalar_in is not None:
            self.container[self.key] = self.scalar_in(self.p[()])


def _param_array(label, value):
    """``value`` if it is a writeable float array; ``label`` (a string, or a callable
    giving it, so that the fast path builds no string) names it in the error."""
    if value.__class__ is np.ndarray and value.dtype.kind == "f" and value.dtype.itemsize <= 8 \
            and value.flags.writeable:
        return value
    label = label() if callable(label) else label
    if not isinstance(value, np.ndarray):
        raise DescendError(f"{label} must be a NumPy array (updated in place), got {type(value).__name__}")
    if value.dtype.kind != "f" or value.dtype.itemsize > 8:
        raise DescendError(f"{label} must be a float16/32/64 array, got dtype {value.dtype}")
    if not value.flags.writeable:
        raise DescendError(f"{label} is read-only; the optimizer updates parameters in place")
    return value


def _grad_array(label, value, shape):
    if value.__class__ is np.ndarray and value.shape == shape and value.dtype.kind in "biuf":
        return value
    label = label() if callable(label) else label
    try:
        g = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise DescendError(f"{label} must be an array of numbers ({exc})") from None
    if g.dtype.kind not in "biuf":
        raise DescendError(f"{label} must be an array of real numbers, got dtype {g.dtype}")
    if g.shape != shape:
        raise DescendError(f"{label} has shape {g.shape} but the parameter has shape {shape}")
    return g


def collect(params, grads) -> tuple[str, list[Leaf]]:
    """Pair params with grads: one array, or a dict name -> array (same keys, same shapes)."""
    if isinstance(params, Mapping):
        if not isinstance(grads, Mapping):
            raise DescendError(f"params is a dict, so grads must be a dict with the same keys, "
                               f"got {type(grads).__name__}")
        if params.keys() != grads.keys():
            missing = [k for k in params if k not in grads]
            extra = [k for k in grads if k not in params]
            parts = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
            raise DescendError(f"grads must have the same keys as params ({list(params)}): {', '.join(parts)}")
        leaves = []
        for k, v in params.items():
            if not isinstance(k, str):
                raise DescendError(f"params keys must be strings, got {k!r}")
            scalar_in = None
            if isinstance(v, (float, np.floating)) and not isinstance(v, np.ndarray):
                scalar_in = type(v)  # the seeds' network['b2'] = np.random.randn(): a float
                v = np.array(v, dtype=np.float64)
            p = _param_array(lambda: f"params[{k!r}]", v)
            g = _grad_array(lambda: f"grads[{k!r}]", grads[k], p.shape)
            leaves.append(Leaf(k, p, g, scalar_in, params))
        if not leaves:
            raise DescendError("params is an empty dict: nothing to optimize")
        return "dict", leaves
    if isinstance(grads, Mapping):
        raise DescendError("params is one array, so grads must be one array too, got a dict")
    p = _param_array("params", params)
    return "array", [Leaf("params", p, _grad_array("grads", grads, p.shape), None, None)]


def blocks(rows: int, cols: int):
    """(row slice, column slice) blocks of about BLOCK elements covering a (rows, cols) view.

    A long row is cut into column blocks of BLOCK elements, short rows are taken whole,
    several at a time: the same cuts for a row whatever the number of rows, so sums
    over a row come out the same alone or in a batch.
    """
    if cols >= BLOCK:
        for r in range(rows):
            for c in range(0, cols, BLOCK):
                yield slice(r, r + 1), slice(c, min(cols, c + BLOCK))
    else:
        per = max(1, BLOCK // max(cols, 1))
        for r in range(0, rows, per):
            yield slice(r, min(rows, r + per)), slice(None)


def rows_view(a: np.ndarray, rows: int) -> np.ndarray:
    """``a`` as (rows, cols): one row per run (a view of a C-contiguous array)."""
    return a.reshape(rows, -1)


def at_rows(v, rs):
    """The rows ``rs`` of a per-run value ((R, 1) array), or the value shared by every run."""
    return v[rs] if isinstance(v, np.ndarray) else v


class Slot:
    """State arrays of one key: name -> ndarray (None where the configuration needs none)."""

    __slots__ = ("shape", "dtype", "arrays")

    def __init__(self, shape, dtype, arrays):
        self.shape, self.dtype, self.arrays = shape, dtype, arrays


def by_row(v):
    """Hyperparameter arrays of shape (R,) as (R, 1), to broadcast over a (R, cols) view."""
    if isinstance(v, tuple):
        return tuple(by_row(x) for x in v)
    if isinstance(v, np.ndarray) and v.ndim == 1:
        return v.reshape(-1, 1)
    return v


def at_row(v, r):
    """Run ``r``'s value of a per-run value, as a Python number, or the value shared by every run."""
    return v[r].item() if isinstance(v, np.ndarray) else v


def copy_value(v):
    """A copy of an array (state handed out is never the live one); other values as they are."""
    return v.copy() if isinstance(v, np.ndarray) else v


def readonly(a):
    """A read-only view of a state array (None stays None)."""
    if a is None:
        return None
    v = a.view()
    v.flags.writeable = False
    return v
