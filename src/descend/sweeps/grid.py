"""Sweep grids: parsing, checking, expanding into runs, and the hashes that name them.

A grid is a dict of lists, ``{"optimizer": ["sgd", "adam"], "lr": [1e-3, 1e-2], "seed": [0, 1]}``,
or a list of such dicts (their union: one dict per optimizer when the optimizers take
different hyperparameters).  The runs are the Cartesian product of each dict's lists,
in a fixed order: optimizer, lr, the other hyperparameters (sorted by name),
batch_size, seed, start.

Values: a list is a list of values; anything else (a number, a string, a tuple such
as ``betas=(0.9, 0.99)``) is one value.  A 1-D NumPy array is a list of numbers.

Keys
----
``optimizer``   names of :func:`descend.optim.names` (default ``["gd"]`` for problems,
                ``["sgd"]`` for training setups)
``lr``          learning rates > 0 (default ``[0.01]``, :func:`descend.minimize`'s)
``batch_size``  training only: None (full batch) or an int >= 1
``seed``        ints >= 0: a training run's initial weights and data order; for a
                problem, the random generator that draws ``start`` random starts
``start``       problems only: an int k (k random starts drawn uniformly from
                ``Problem.domain``) or explicit points (a list of points, an (k, n) array)
anything else   a hyperparameter of the optimizer (``momentum``, ``betas``, ``eps``...);
                checked by building the optimizer, so the message is the optimizer's own

Also here: the command line's value syntax (:func:`parse_lr`, :func:`parse_values`)
and the canonical JSON that the run keys and the sweep definition are hashes of.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
from collections.abc import Mapping, Sequence, Sized

import numpy as np

from ..errors import DescendError
from ..problems.problem import check_memory

__all__ = ["Grid", "parse_lr", "parse_values", "canonical_json", "digest", "recordable", "RESERVED",
           "check_runs", "RUN_BYTES"]

#: the keys that are not optimizer hyperparameters
RESERVED = ("optimizer", "lr", "batch_size", "seed", "start")

#: the columns a sweep's table uses for itself; no hyperparameter may take these names
RESULT_COLUMNS = ("key", "kind", "target", "x0", "final_loss", "best_loss", "steps_to_tol", "status",
                  "nit", "ngev", "distance", "final_val_loss", "best_val_loss", "wall_time", "curve",
                  "val_curve", "message", "sweep")

_ORDER_FIRST = ("optimizer", "lr")
_ORDER_LAST = ("batch_size", "seed", "start")


# ------------------------------------------------------------------------------ canonical JSON

def recordable(value, where: str):
    """``value`` as plain JSON types (tuples become lists); refuse anything else."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v):
            raise DescendError(f"{where} must be finite, got {v!r}")
        return v
    if isinstance(value, np.ndarray):
        return [recordable(v, where) for v in value.tolist()]
    if isinstance(value, (tuple, list)):
        return [recordable(v, where) for v in value]
    raise DescendError(f"{where} must be a number, a string, a bool, None or a tuple of them "
                       f"(something a store can record), got {type(value).__name__} {value!r}")


def canonical_json(obj) -> str:
    """One spelling of ``obj`` (sorted keys, no spaces, floats as their shortest repr)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(obj) -> str:
    """SHA-256 of :func:`canonical_json` (hex, 32 characters are plenty)."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------ the command line

#: What one run of a sweep keeps in memory until the table is made: its settings and result
#: (dicts of a dozen entries), its row of the table; curves are extra.
RUN_BYTES = 2048


def check_runs(count: int, what: str) -> None:
    """Refuse, before anything is expanded, a sweep of ``count`` runs whose table could not be held
    (:data:`RUN_BYTES` per run against :func:`descend.problems.problem.memory_limit`)."""
    check_memory(float(count) * RUN_BYTES, f"{what}: a sweep of {count} runs",
                 f"about {RUN_BYTES} bytes per run; split the sweep into smaller grids")


def parse_lr(text: str) -> list[float]:
    """Learning rates from the command line.

    ``"a:b:k"`` is k log-spaced values from a to b (both included, a < b, k >= 1;
    ``np.geomspace``); ``"0.1,0.01"`` is a list; ``"0.1"`` is one value.  Every value
    must be a finite number > 0.
    """
    if not isinstance(text, str) or not text.strip():
        raise DescendError(f"lr must be 'a:b:k' (k log-spaced values from a to b), a comma list or one "
                           f"number, got {text!r}")
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise DescendError(f"lr range must be 'a:b:k' (k log-spaced values from a to b), got {text!r}")
        a, b = (_number("lr", p, text) for p in parts[:2])
        try:
            k = int(parts[2])
        except ValueError:
            raise DescendError(f"lr range 'a:b:k' needs an integer count k >= 1, got k={parts[2]!r} "
                               f"in {text!r}") from None
        if k < 1:
            raise DescendError(f"lr range 'a:b:k' needs an integer count k >= 1, got k={k} in {text!r}")
        for name, v in (("a", a), ("b", b)):
            if not v > 0:
                raise DescendError(f"lr range 'a:b:k' needs a > 0 and b > 0 (log-spaced), got {name}={v:g} "
                                   f"in {text!r}")
        if k > 1 and not a < b:
            raise DescendError(f"lr range 'a:b:k' needs a < b, got a={a:g}, b={b:g} in {text!r}")
        if k == 1:
            return [a]
        check_runs(k, f"--lr {text!r} ({k} values)")
        values = np.geomspace(a, b, k)
        values[0], values[-1] = a, b  # the ends exactly as typed
        return [float(v) for v in values]
    values = [_number("lr", p, text) for p in text.split(",")]
    for v in values:
        if not v > 0:
            raise DescendError(f"lr values must be > 0, got {v:g} in {text!r}")
    return values


def _number(name: str, part: str, text: str) -> float:
    try:
        v = float(part)
    except ValueError:
        raise DescendError(f"{name}: {part.strip()!r} in {text!r} is not a number") from None
    if not math.isfinite(v):
        raise DescendError(f"{name}: {part.strip()!r} in {text!r} is not finite")
    return v


def _scalar_from_text(part: str):
    p = part.strip()
    low = p.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    try:
        return int(p)
    except ValueError:
        pass
    try:
        v = float(p)
    except ValueError:
        return p
    if not math.isfinite(v):
        raise DescendError(f"{p!r} is not a finite number")
    return v


def parse_values(text: str) -> list:
    """A comma list from the command line: numbers, true/false, none, names; ``a:b:k`` is log-spaced.

    A tuple value is written with slashes: ``"0.9/0.999,0.8/0.99"`` is two pairs
    (``betas``).  Example: ``parse_values("0,0.5,0.9") == [0, 0.5, 0.9]``.
    """
    if not isinstance(text, str) or not text.strip():
        raise DescendError(f"expected a comma list of values, got {text!r}")
    if text.count(":") == 2 and "," not in text:
        return parse_lr(text)
    out = []
    for part in text.split(","):
        if not part.strip():
            raise DescendError(f"empty value in the list {text!r}")
        if "/" in part:
            out.append(tuple(_scalar_from_text(p) for p in part.split("/")))
        else:
            out.append(_scalar_from_text(part))
    return out


# ------------------------------------------------------------------------------ the grid

def _as_list(key: str, value) -> list:
    if isinstance(value, np.ndarray):
        if key == "start":  # an array of starts is a list of points (rows)
            return [value] if value.ndim == 0 else list(np.atleast_2d(value)) if value.ndim <= 2 else [value]
        if value.ndim != 1:
            raise DescendError(f"grid[{key!r}] as an array must be 1-D (a list of values), got shape {value.shape}")
        return value.tolist()
    if isinstance(value, (list, range)):
        return list(value)
    return [value]


def _optim():
    from .. import optim

    return optim


def _valid_hyperparameters(name: str) -> list[str]:
    optim = _optim()
    opt = optim.get(name)
    valid = getattr(opt, "valid_hyperparameters", None)
    return list(valid()) if callable(valid) else []


class Grid:
    """A checked sweep grid: one or several dicts of lists, expanded into runs.

    Parameters
    ----------
    spec : dict of lists, or list of such dicts
        See the module docstring for the keys.
    kind : {"problem", "training"}
        What the runs train: a problem refuses ``batch_size``, a training setup
        refuses ``start``.

    Attributes
    ----------
    parts : list of dict
        The normalized dicts (key -> tuple of plain values), defaults filled in.
    hyperparameters : list of str
        Every hyperparameter name used (``lr`` first), for the table's columns.
    """

    def __init__(self, spec, kind: str):
        if kind not in ("problem", "training"):
            raise DescendError(f"kind must be 'problem' or 'training', got {kind!r}")
        self.kind = kind
        if isinstance(spec, Mapping):
            specs = [spec]
        elif isinstance(spec, Sequence) and not isinstance(spec, str) and spec \
                and all(isinstance(s, Mapping) for s in spec):
            specs = list(spec)
        else:
            raise DescendError(f"grid must be a dict of lists (or a non-empty list of such dicts), got {spec!r}")
        for i, s in enumerate(specs):  # the grid's size before anything is expanded or checked value by value
            sizes = [v if k == "start" and isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0
                     else len(v) if isinstance(v, Sized) and not isinstance(v, str) else 1 for k, v in s.items()]
            check_runs(math.prod(sizes), "grid" if len(specs) == 1 else f"grid[{i}]")
        self.parts = [self._check_part(s, i if len(specs) > 1 else None) for i, s in enumerate(specs)]
        names = []
        for part in self.parts:
            for k in part:
                if k not in RESERVED or k == "lr":
                    if k not in names:
                        names.append(k)
        self.hyperparameters = ["lr"] + sorted(n for n in names if n != "lr")

    def _check_part(self, spec: Mapping, index) -> dict:
        where = "grid" if index is None else f"grid[{index}]"
        part = {}
        for key, value in spec.items():
            if not isinstance(key, str) or not key:
                raise DescendError(f"{where} keys must be non-empty strings, got {key!r}")
            if key in RESULT_COLUMNS:
                raise DescendError(f"{where}[{key!r}]: {key!r} names a result column and cannot be swept; "
                                   f"sweepable: {', '.join(RESERVED)} and optimizer hyperparameters")
            values = _as_list(key, value)
            if not values:
                raise DescendError(f"{where}[{key!r}] is empty; give at least one value")
            part[key] = values
        if self.kind == "problem" and "batch_size" in part:
            raise DescendError(f"{where}['batch_size'] applies to training sweeps only (a problem has no data "
                               f"to batch); remove it or sweep a TrainingSetup")
        if self.kind == "training" and "start" in part:
            raise DescendError(f"{where}['start'] applies to problem sweeps only (a training run starts from "
                               f"its model's initial weights, set by 'seed')")
        part.setdefault("optimizer", ["gd" if self.kind == "problem" else "sgd"])
        part.setdefault("lr", [0.01])
        part.setdefault("seed", [0])

        optim = _optim()
        for name in part["optimizer"]:
            if not isinstance(name, str):
                raise DescendError(f"{where}['optimizer'] must hold optimizer names, got {name!r}")
            if name.lower() not in optim.names():
                raise DescendError(f"{where}['optimizer']: unknown optimizer {name!r}; "
                                   f"valid: {', '.join(optim.names())}")
        part["optimizer"] = [name.lower() for name in part["optimizer"]]
        for i, lr in enumerate(part["lr"]):
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (math.isfinite(lr) and lr > 0):
                raise DescendError(f"{where}['lr'] must hold finite numbers > 0, got {lr!r} at position {i}")
        for i, s in enumerate(part["seed"]):
            if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
                raise DescendError(f"{where}['seed'] must hold integers >= 0, got {s!r} at position {i}")
        for i, b in enumerate(part.get("batch_size", [])):
            if b is not None and (isinstance(b, bool) or not isinstance(b, numbers.Integral) or b < 1):
                raise DescendError(f"{where}['batch_size'] must hold None (full batch) or integers >= 1, "
                                   f"got {b!r} at position {i}")
        if "start" in part:
            part["start"] = self._check_starts(part["start"], where)

        hps = [k for k in part if k not in RESERVED]
        for name in part["optimizer"]:
            valid = _valid_hyperparameters(name)
            for k in hps:
                if valid and k not in valid:
                    raise DescendError(
                        f"{where}[{k!r}]: unknown hyperparameter {k!r} for optimizer {name!r}; valid: "
                        f"{', '.join(v for v in valid if v != 'lr')}. To sweep optimizers that take different "
                        f"hyperparameters, give a list of grids, one per optimizer")
            for k in hps:
                for i, v in enumerate(part[k]):
                    recordable(v, f"{where}[{k!r}][{i}]")
            # build the optimizer for every combination: some checks involve several hyperparameters
            for combo in itertools.product(*(part[k] for k in hps)):
                settings = dict(zip(hps, combo))
                try:
                    optim.get(name, **settings)
                except DescendError as exc:
                    shown = ", ".join(f"{k}={v!r}" for k, v in settings.items())
                    raise DescendError(f"{where}: optimizer {name!r} with {shown}: {exc}") from None
        for k in list(part):
            if k != "start":
                part[k] = tuple(recordable(v, f"{where}[{k!r}]") if not isinstance(v, tuple) else v for v in part[k])
        return part

    @staticmethod
    def _check_starts(values: list, where: str):
        if len(values) == 1 and isinstance(values[0], numbers.Integral) and not isinstance(values[0], bool):
            k = int(values[0])
            if k < 1:
                raise DescendError(f"{where}['start'] as a count of random starts must be >= 1, got {k}")
            return ("random", k)
        if any(isinstance(v, bool) for v in values):
            raise DescendError(f"{where}['start'] must be a count of random starts or a list of points, "
                               f"got {values!r}")
        try:
            pts = np.array([np.asarray(v, dtype=np.float64).reshape(-1) for v in values])
        except (TypeError, ValueError):
            raise DescendError(f"{where}['start'] must be a count of random starts or a list of points "
                               f"of equal length, got {values!r}") from None
        if pts.ndim != 2 or pts.shape[1] == 0:
            raise DescendError(f"{where}['start'] points must be non-empty, got {values!r}")
        if not np.all(np.isfinite(pts)):
            raise DescendError(f"{where}['start'] points must be finite, got {pts.tolist()!r}")
        return ("points", pts)

    def definition(self) -> list[dict]:
        """The grid as plain JSON (for the sweep's hash and the store's metadata)."""
        out = []
        for part in self.parts:
            d = {}
            for k, v in part.items():
                if k == "start":
                    d[k] = {"random": v[1]} if v[0] == "random" else {"points": v[1].tolist()}
                else:
                    d[k] = recordable(list(v), k)
            out.append(d)
        return out

    def runs(self) -> list[dict]:
        """Every run's settings, in grid order.

        ``start`` is ``("random", i, k)`` (the i-th of k random starts of the run's
        seed, drawn by the runner from the problem's domain) or ``("point", (x1, ..., xn))``.  Runs
        that two parts of the grid share appear once, where first met.
        """
        seen, out = set(), []
        for part in self.parts:
            keys = [k for k in _ORDER_FIRST if k in part]
            keys += sorted(k for k in part if k not in RESERVED)
            keys += [k for k in _ORDER_LAST if k in part and k != "start"]
            lists = [part[k] for k in keys]
            starts = [None]
            if "start" in part:
                mode, v = part["start"]
                if mode == "random":
                    starts = [("random", i, v) for i in range(v)]
                else:
                    starts = [("point", tuple(float(c) for c in row)) for row in v]
            for combo in itertools.product(*lists):
                for s in starts:
                    run = dict(zip(keys, combo))
                    if s is not None:
                        run["start"] = s
                    ident = canonical_json({k: recordable(v, k) for k, v in run.items()})
                    if ident in seen:
                        continue
                    seen.add(ident)
                    out.append(run)
        return out

    def __len__(self) -> int:
        return len(self.runs())

    def __repr__(self) -> str:
        return f"Grid({self.kind}, {len(self.parts)} part(s), {len(self)} runs: {self.definition()!r})"
