"""What a sweep runs on, and its runs: a training setup, a problem's identity, the grid expanded into runs.

:class:`TrainingSetup` is a training sweep's target; :func:`problem_identity` and
``TrainingSetup.identity`` name a target in a store; :func:`expand_runs` turns a grid
into (key, settings) pairs, a problem's random starts drawn by :func:`random_starts`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DescendError
from .grid import Grid, digest, recordable

__all__ = ["TrainingSetup", "problem_identity", "target_kind", "random_starts", "expand_runs"]


@dataclasses.dataclass(frozen=True, eq=False)
class TrainingSetup:
    """What a training sweep trains: a model factory, the data and the loss.

    Parameters
    ----------
    model_factory : callable
        ``model_factory(seed) -> descend.nn.Sequential``: a fresh model whose initial
        weights come from ``seed`` (a factory taking no argument is called as
        ``model_factory()``).  Sent to worker processes, so it must pickle (joblib and
        Dask use cloudpickle: lambdas and closures are fine).
    X, y : array_like
        The training data (never modified).
    loss : str or descend.nn.Loss
        E.g. ``"mse"`` or ``"cross_entropy"``.
    validation : (X_val, y_val), optional
        Evaluated after every epoch: the table gets ``final_val_loss``, ``best_val_loss``
        and a ``val_curve``.
    name : str, optional
        A label for tables and the store (default: the factory's name).

    The store tells two setups apart by ``name``, the loss, the factory's qualified
    name and a SHA-256 of the data; a factory whose code changed under the same name
    is not noticed (give it a new ``name``).
    """

    model_factory: Callable
    X: Any
    y: Any
    loss: Any
    validation: Any = None
    name: str | None = None

    def __post_init__(self):
        if not callable(self.model_factory):
            raise DescendError(f"model_factory must be callable (seed -> Sequential), got {self.model_factory!r}")
        X, y = np.asarray(self.X), np.asarray(self.y)
        if X.dtype.kind not in "biuf" or X.ndim != 2 or len(X) == 0:
            raise DescendError(f"X must be a non-empty (n_samples, n_features) array of numbers, "
                               f"got shape {X.shape} and dtype {X.dtype}")
        if y.ndim == 0 or len(y) != len(X):
            raise DescendError(f"y must have one row per sample of X ({len(X)}), got shape {y.shape}")
        from ..nn.losses import get as get_loss

        get_loss(self.loss)  # refuses an unknown loss now, not in a worker
        if self.validation is not None:
            v = self.validation
            if not (isinstance(v, (tuple, list)) and len(v) == 2):
                raise DescendError("validation must be a pair (X_val, y_val)")
            Xv, yv = np.asarray(v[0]), np.asarray(v[1])
            if Xv.ndim != 2 or Xv.shape[1] != X.shape[1] or len(yv) != len(Xv):
                raise DescendError(f"validation X_val must have shape (m, {X.shape[1]}) and y_val one row per "
                                   f"sample, got shapes {Xv.shape} and {yv.shape}")
        if self.name is not None and (not isinstance(self.name, str) or not self.name):
            raise DescendError(f"name must be a non-empty string or None, got {self.name!r}")

    @property
    def label(self) -> str:
        return self.name or getattr(self.model_factory, "__name__", type(self.model_factory).__name__)

    def build(self, seed: int):
        """A fresh model from ``model_factory``."""
        import inspect

        from ..nn.model import Sequential

        try:
            takes = len(inspect.signature(self.model_factory).parameters) > 0
        except (TypeError, ValueError):
            takes = True
        model = self.model_factory(seed) if takes else self.model_factory()
        if not isinstance(model, Sequential):
            raise DescendError(f"model_factory must return a descend.nn.Sequential, got {type(model).__name__}")
        return model

    def identity(self) -> dict:
        h = hashlib.sha256()
        arrays = [self.X, self.y] + (list(self.validation) if self.validation is not None else [])
        for a in arrays:
            a = np.ascontiguousarray(a)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        factory = f"{getattr(self.model_factory, '__module__', '?')}.{getattr(self.model_factory, '__qualname__', '?')}"
        return {"type": "training", "name": self.label, "data": h.hexdigest()[:32], "loss": repr(self.loss),
                "factory": factory, "n": int(len(np.asarray(self.X)))}

    def __repr__(self) -> str:
        X = np.asarray(self.X)
        val = "" if self.validation is None else f", validation={len(np.asarray(self.validation[0]))} samples"
        return f"TrainingSetup({self.label!r}, X {X.shape}, loss={self.loss!r}{val})"


def problem_identity(target) -> dict:
    from ..problems import Problem

    if isinstance(target, Problem):
        recipe = getattr(target, "_recipe", None)
        ident = {"type": "problem", "name": target.name,
                 "params": {k: recordable(v, k) for k, v in target.params.items()}}
        if recipe is None:  # home-made: say what we can see
            ident.update(x0=target.x0.tolist(), description=target.description)
        return ident
    name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__name__)}"
    return {"type": "function", "name": name}


def target_kind(target) -> str:
    from ..problems import Problem

    if isinstance(target, TrainingSetup):
        return "training"
    if isinstance(target, Problem) or callable(target):
        return "problem"
    raise DescendError(f"target must be a Problem, a function f(x) or a TrainingSetup, got {type(target).__name__}")


def random_starts(domain: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k points uniform in the box ``domain`` (n, 2), from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    lo, hi = domain[:, 0], domain[:, 1]
    return lo + (hi - lo) * rng.random((k, domain.shape[0]))


def expand_runs(target, grid: Grid, ident: dict, fixed: dict) -> list[tuple[str, dict]]:
    """(key, settings) of every run, in grid order; a problem's settings carry the start point."""
    from ..problems import Problem

    is_problem = grid.kind == "problem"
    draws: dict[tuple[int, int], np.ndarray] = {}
    out, seen = [], set()
    for run in grid.runs():
        settings = dict(run)
        if is_problem:
            start = settings.pop("start", None)
            if start is None:
                if not isinstance(target, Problem):
                    raise DescendError("a plain function has no default start: give grid['start'] as a list of "
                                       "points")
                x0 = target.x0
                settings["start"] = None
            elif start[0] == "random":
                if not isinstance(target, Problem):
                    raise DescendError("random starts are drawn from a Problem's domain; for a plain function "
                                       "give grid['start'] as a list of points")
                _, i, count = start
                key = (settings["seed"], count)
                if key not in draws:
                    draws[key] = random_starts(target.domain, count, settings["seed"])
                x0 = draws[key][i]
                settings["start"] = i
            else:
                x0 = np.array(start[1])
                if isinstance(target, Problem) and x0.shape != (target.dim,):
                    raise DescendError(f"grid['start'] points must have {target.dim} coordinates for "
                                       f"{target.name!r}, got {x0.size}")
                settings["start"] = None
            settings["x0"] = [float(v) for v in np.asarray(x0, dtype=np.float64).reshape(-1)]
        plain = {k: recordable(v, k) for k, v in settings.items()}
        key = digest({"target": ident, "fixed": fixed, "settings": plain})
        if key in seen:
            continue
        seen.add(key)
        out.append((key, settings))
    return out
