"""The :class:`Problem` type and the registry of named problems (:func:`get`, :func:`names`).

The conventions every problem follows are in :mod:`descend.problems`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import DescendError, check_finite_array, unknown_name

__all__ = ["Problem", "get", "names", "register", "readonly", "check_window", "check_memory", "memory_limit",
           "BYTES_PER_DIMENSION", "PROBLEM_BYTES_PER_DIMENSION", "RUN_BYTES_PER_DIMENSION", "DENSE_MATRICES",
           "run_memory", "check_run_memory"]

# What a size needs, measured (tracemalloc peaks, and peak RSS where LAPACK's own work arrays
# count, which tracemalloc does not see) on rosenbrock, the largest of the problems with an n
# (sphere, rastrigin, ackley and styblinski_tang take 16-24 bytes per dimension less), n = 1e5,
# 5 steps, history=False, on 2026-12-07.  tests/test_run_memory.py checks that they bound the
# peaks measured again.

#: A problem of dimension n keeps 32 bytes per coordinate (x0, its domain, its minimizer) and
#: takes 72 while it is built.
PROBLEM_BYTES_PER_DIMENSION = 32

#: Per coordinate and run, the peak of each method's run: the point, the new point, the gradient
#: and f's temporaries (96 bytes for gd), and 8 bytes per vector of the optimizer's state
#: (adam's two moments: 112).  gd's 120 is the line searches' (96 with a fixed lr).  lbfgs's
#: is ``128 + 16 m`` (its m pairs (s, y): 288 at m = 10).  Newton-type methods add their dense
#: matrices (:data:`DENSE_MATRICES`).  An optimizer that is not listed is counted as the
#: largest listed first-order one.
RUN_BYTES_PER_DIMENSION = {
    "gd": 120, "sgd": 96, "momentum": 104, "nesterov": 104, "adagrad": 104, "adadelta": 112, "rmsprop": 104,
    "adam": 112, "adamw": 112, "nadam": 112, "radam": 112, "adamax": 112, "lion": 104, "rprop": 112,
    "asgd": 104, "adafactor": 104, "sgd_schedule_free": 128, "adamw_schedule_free": 152, "adopt": 112,
    "ademamix": 120, "prodigy": 144, "lamb": 128, "soap": 136, "cg": 144, "lbfgs": 128,
    "newton": 96, "damped_newton": 120, "bfgs": 120, "steepest_descent": 120,
}
_LBFGS_BYTES_PER_PAIR = 16  # s and y, 8 bytes each per coordinate
#: And per call whatever its size: Python objects (about 12 KiB measured for one run; R runs as
#: one array share them, and their counts and statuses are 8 bytes each).
RUN_BYTES = 2 ** 20

#: The smallest run's bytes per coordinate (gd with a fixed lr): what :func:`get` checks a
#: problem's n against, beside the problem's own :data:`PROBLEM_BYTES_PER_DIMENSION`.
BYTES_PER_DIMENSION = 96

#: Dense n x n float64 matrices a method holds at its peak, per run (peak RSS at n = 3000, the
#: problem's analytic Hessian, which itself takes 2 while it is built): bfgs 5.0 (the inverse
#: Hessian estimate and the temporaries of its update), newton 3.3 (4.8 when H is built from
#: ``hessp``), damped_newton 4.3 (the Hessian, its eigenvalues' and the solve's copies, the
#: shifted matrix), steepest_descent (the quadratic line search) 2.0, the second-derivative
#: test of :func:`descend.critical_point` 6.2 (the Hessian, ``eigh``'s copy, work and
#: eigenvectors).  damped_newton with ``hessp`` alone is Newton-CG: products only, none.
DENSE_MATRICES = {"bfgs": 6, "newton": 5, "damped_newton": 6, "steepest_descent": 3, "critical_point": 7}
_DENSE_WHY = {"bfgs": "the inverse-Hessian estimate and its update", "newton": "the Hessian and its solve",
              "damped_newton": "the Hessian, its eigenvalues and the shifted solve",
              "steepest_descent": "the Hessian of the quadratic line search",
              "critical_point": "the Hessian, its eigenvectors and eigh's work"}

#: Registered problems that build dense n x n matrices themselves, as a function of their
#: parameters (peak RSS at n = 3000): ill_conditioned's H and Q take 5.2, 7.2 rotated (QR).
DENSE_PROBLEMS = {"ill_conditioned": lambda params: 8 if params.get("rotate") else 6}


def memory_limit() -> int:
    """The most bytes one request may need: half of this machine's physical memory (8 GiB where
    the platform does not say)."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, ValueError, OSError):  # pragma: no cover - no sysconf (Windows)
        return 8 * 2 ** 30


def _gib(nbytes: float) -> str:
    for unit, size in (("TiB", 2 ** 40), ("GiB", 2 ** 30)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{nbytes / 2 ** 20:.3g} MiB"


def check_memory(nbytes: float, what: str, hint: str = "") -> None:
    """Refuse, before anything is allocated, a request whose arrays need more than
    :func:`memory_limit`: ``what`` names the size given ("n = 100000 (a dense 100000 x 100000
    Hessian)"), the message says how much it needs and how much is allowed."""
    limit = memory_limit()
    if nbytes > limit:
        raise DescendError(f"{what} needs {_gib(nbytes)} of memory, more than the {_gib(limit)} allowed (half of "
                           f"this machine's memory){'; ' + hint if hint else ''}")


def run_memory(name: str, runs: int, n: int, *, steps: int = 0, history=False, m: int | None = None,
               hessp: bool = False) -> tuple[float, int]:
    """Bytes that ``runs`` runs of method or optimizer ``name`` on n coordinates need at their peak,
    and the dense n x n matrices among them per run (:data:`RUN_BYTES_PER_DIMENSION`,
    :data:`DENSE_MATRICES`): ``history=True`` keeps every iterate, 16 bytes per coordinate and
    step (the list and the stacked copy; the caller counts it where every step runs, without
    gtol); ``m``, lbfgs's pairs (default 10); ``hessp``,
    damped_newton runs as Newton-CG (no dense matrix)."""
    name = str(name).lower()
    per = RUN_BYTES_PER_DIMENSION.get(name, max(v for k, v in RUN_BYTES_PER_DIMENSION.items() if k != "lbfgs"))
    if name == "lbfgs":
        per += _LBFGS_BYTES_PER_PAIR * (10 if m is None else int(m))
    if history is True:
        per += 16 * (int(steps) + 1)
    dense = 0 if (hessp and name == "damped_newton") else DENSE_MATRICES.get(name, 0)
    return RUN_BYTES + float(runs) * (float(n) * per + 8.0 * dense * float(n) ** 2), dense


def check_run_memory(name: str, runs: int, n: int, *, steps: int = 0, history=False, m: int | None = None,
                     hessp: bool = False) -> None:
    """Refuse, before anything is allocated, a run that needs more than :func:`memory_limit`
    (:func:`run_memory`): the message names the method, n, the bytes and what to use instead."""
    nbytes, dense = run_memory(name, runs, n, steps=steps, history=history, m=m, hessp=hessp)
    if nbytes <= memory_limit():
        return
    name = str(name).lower()
    of = f"{runs} runs of " if runs != 1 else ""
    if dense:
        what = (f"{of}{name} with n = {n} ({dense} dense {n} x {n} matrices: {_DENSE_WHY[name]})")
        hint = ("lbfgs or cg need O(n m) memory (method='lbfgs' or 'cg'; --method lbfgs)" if name != "critical_point"
                else "the second-derivative test needs the whole Hessian; a smaller n, or hessian_vector_product")
    else:
        what = f"{of}{name} with n = {n}{f' and {steps} steps kept in the history' if history is True else ''}"
        hint = "history='f' or False keeps no iterates" if history is True else (
            f"lbfgs keeps {_LBFGS_BYTES_PER_PAIR} bytes per coordinate for each of its m = {10 if m is None else m} "
            f"pairs: a smaller m" if name == "lbfgs" else "")
    check_memory(nbytes, what, hint)


# --------------------------------------------------------------------------- the Problem type

class _PointFunction:
    """``f``, ``grad`` or ``hessian`` of a problem, checking the point's shape before the math.

    ``kind`` says what comes back: ``"value"`` (the point's leading shape),
    ``"grad"`` (the point's shape) or ``"hessian"`` (leading shape + ``(n, n)``).
    """

    __slots__ = ("fn", "dim", "problem", "kind")

    def __init__(self, fn: Callable, dim: int, problem: str, kind: str):
        self.fn, self.dim, self.problem, self.kind = fn, dim, problem, kind

    def __call__(self, x):
        x = np.asarray(x)
        if x.dtype.kind in "biu":
            x = x.astype(np.float64)
        elif x.dtype.kind not in "fc":
            raise DescendError(f"{self.problem}: x must be an array of real or complex numbers, "
                               f"got dtype {x.dtype}")
        scalar = x.ndim == 0 and self.dim == 1  # a 1-D problem also takes a plain number
        if scalar:
            x = x.reshape(1)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise DescendError(f"{self.problem} is a function of {self.dim} variable"
                               f"{'s' if self.dim != 1 else ''}: x must have shape ({self.dim},) "
                               f"or (m, {self.dim}), got shape {x.shape}")
        if self.kind == "hessian":  # the analytic Hessian builds (n, n) per point: 2.0 of them at its peak (n = 3000)
            check_memory(16.0 * math.prod(x.shape[:-1]) * float(self.dim) ** 2,
                         f"the Hessian of {self.problem!r} at n = {self.dim} (dense {self.dim} x {self.dim})",
                         "hessian_vector_product needs O(n)")
        out = self.fn(x)
        if scalar and self.kind == "grad":
            return out.reshape(())[()]
        if scalar and self.kind == "hessian":
            return out.reshape(1, 1)
        return out

    def __repr__(self):
        return f"<{self.kind} of {self.problem!r}, dim={self.dim}>"


def readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)  # a private copy, so freezing it never touches the caller's array
    a.setflags(write=False)
    return a


def _freeze_param(v):
    return readonly(v) if isinstance(v, np.ndarray) else v


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Problem:
    """A test function with its gradient, a start, its known minimizers and a plotting window.

    Parameters
    ----------
    name : str
        Registered name (or any label for a home-made problem).
    f : callable
        The objective: ``(n,) -> scalar`` and ``(m, n) -> (m,)``.
    grad : callable
        Its analytic gradient: ``(n,) -> (n,)`` and ``(m, n) -> (m, n)``.
    x0 : array_like, shape (n,)
        The default start.
    minimizers : array_like, shape (k, n)
        The known global minimizers; shape ``(0, n)`` when unknown or not unique.
    minimum : float
        The known global minimum; ``nan`` when unknown.
    window : tuple or None
        Plotting window: ``((xlo, xhi), (ylo, yhi))`` for 2-D problems,
        ``((lo, hi),)`` for 1-D problems, ``None`` otherwise.
    description : str
        One line, with the formula.
    log_levels : bool
        Whether contour levels of ``f - minimum`` should be log-spaced (the range is wide).
    hessian : callable or None
        Analytic Hessian ``(n,) -> (n, n)`` and ``(m, n) -> (m, n, n)``, where it is easy.
    domain : array_like, shape (n, 2), optional
        Per-coordinate box ``[lo, hi]`` for random starts (the literature's search
        domain); defaults to the window's box, or ``x0 +- max(1, |x0|)``.
    params : mapping, optional
        The parameters the problem was built with (shown by ``repr``).

    ``f``, ``grad`` and ``hessian`` are wrapped so that a point of the wrong
    dimension raises :class:`~descend.errors.DescendError`; the arrays are
    stored as read-only float64 copies (copy ``x0`` before updating it in place).
    A problem made by :func:`get` or a factory pickles as its name and arguments,
    so it can be sent to worker processes.
    """

    name: str
    f: Callable
    grad: Callable
    x0: np.ndarray
    minimizers: np.ndarray
    minimum: float
    window: tuple | None
    description: str
    log_levels: bool = False
    hessian: Callable | None = None
    domain: np.ndarray | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        if not isinstance(self.name, str) or not self.name:
            raise DescendError(f"name must be a non-empty string, got {self.name!r}")
        x0 = check_finite_array("x0", self.x0, ndim=(1,))
        if x0.dtype.kind == "c":
            raise DescendError(f"x0 must be real, got dtype {x0.dtype}")
        n = x0.shape[0]
        set_("x0", readonly(x0))
        mins = np.asarray(self.minimizers, dtype=np.float64)
        if mins.size == 0:
            mins = np.empty((0, n))
        if mins.ndim != 2 or mins.shape[1] != n:
            raise DescendError(f"minimizers must have shape (k, {n}) to match x0 of shape ({n},), "
                               f"got shape {mins.shape}")
        if not np.all(np.isfinite(mins)):
            raise DescendError(f"minimizers must be finite, got {mins}")
        set_("minimizers", readonly(mins))
        try:
            minimum = float(self.minimum)
        except (TypeError, ValueError):
            raise DescendError(f"minimum must be a number (nan when unknown), got {self.minimum!r}") from None
        set_("minimum", minimum)
        set_("window", check_window(self.window, n))
        for field in ("f", "grad"):
            fn = getattr(self, field)
            if not callable(fn):
                raise DescendError(f"{field} must be callable, got {fn!r}")
            set_(field, _wrap(fn, n, self.name, "value" if field == "f" else "grad"))
        if self.hessian is not None:
            if not callable(self.hessian):
                raise DescendError(f"hessian must be callable or None, got {self.hessian!r}")
            set_("hessian", _wrap(self.hessian, n, self.name, "hessian"))
        set_("domain", readonly(_check_domain(self.domain, self.window, x0)))
        set_("log_levels", bool(self.log_levels))
        set_("params", types.MappingProxyType({k: _freeze_param(v) for k, v in dict(self.params).items()}))

    @property
    def dim(self) -> int:
        """Number of variables n."""
        return self.x0.shape[0]

    def __call__(self, x):
        """``f(x)``."""
        return self.f(x)

    def distance_to_minimizer(self, x):
        """Euclidean distance from ``x`` to the nearest known global minimizer.

        Parameters
        ----------
        x : array_like, shape (n,) or (R, n)
            One point or a batch (a 0-d number for a 1-D problem).

        Returns
        -------
        float or ndarray of shape (R,)
            ``nan`` where no minimizer is known.
        """
        x = np.asarray(x, dtype=np.float64)
        scalar = x.ndim == 0 and self.dim == 1
        if scalar:
            x = x.reshape(1)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise DescendError(f"{self.name}: x must have shape ({self.dim},) or (R, {self.dim}), "
                               f"got shape {x.shape}")
        if self.minimizers.shape[0] == 0:
            d = np.full(x.shape[:-1], np.nan)
        else:
            diff = x[..., None, :] - self.minimizers  # (..., k, n)
            d = np.sqrt(np.min(np.sum(diff * diff, axis=-1), axis=-1))
        return float(d) if d.ndim == 0 else d

    def __reduce_ex__(self, protocol):
        # f and grad are closures, which pickle cannot store; a registered problem is rebuilt
        # from its name and arguments instead (the factories are deterministic), so problems
        # can be sent to worker processes.  A home-made one pickles field by field.
        recipe = getattr(self, "_recipe", None)
        if recipe is not None:
            return (_rebuild, recipe)
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["params"] = dict(self.params)  # a read-only mapping proxy does not pickle; a dict does
        return (_from_fields, (fields,))

    def __repr__(self):
        params = "".join(f", {k}={_short(v)}" for k, v in self.params.items())
        x0 = np.array2string(self.x0, threshold=6, precision=4)
        return f"Problem({self.name!r}{params}; dim={self.dim}, minimum={self.minimum!r}, x0={x0})"


def _from_fields(fields: dict) -> Problem:
    """A home-made problem rebuilt from its pickled fields (f and grad must pickle themselves)."""
    return Problem(**fields)


def _short(v) -> str:
    if isinstance(v, np.ndarray):
        return np.array2string(v, threshold=6, precision=4, separator=", ").replace("\n", "")
    return repr(v)


def _wrap(fn: Callable, n: int, name: str, kind: str) -> _PointFunction:
    if isinstance(fn, _PointFunction):  # dataclasses.replace: re-check with the new dimension
        fn = fn.fn
    return _PointFunction(fn, n, name, kind)


def check_window(window, n: int):
    """``window`` as ``((lo, hi), ...)`` floats for an n-variable problem (None stays None), or a DescendError.

    The one check of a plotting window, for :class:`Problem` and the formula parser.
    """
    if window is None:
        return None
    try:
        w = np.asarray(window, dtype=np.float64)
    except (TypeError, ValueError):
        raise DescendError(f"window must be ((lo, hi), ...) with one pair per variable, got {window!r}") from None
    if n > 2 or w.shape != (n, 2):
        raise DescendError(f"window must be ((lo, hi),) for 1-D or ((xlo, xhi), (ylo, yhi)) for 2-D problems "
                           f"and None otherwise; got {window!r} for dim={n}")
    if not (np.all(np.isfinite(w)) and np.all(w[:, 0] < w[:, 1])):
        raise DescendError(f"window must have finite lo < hi in every pair, got {window!r}")
    return tuple((float(lo), float(hi)) for lo, hi in w)


def _check_domain(domain, window, x0: np.ndarray) -> np.ndarray:
    n = x0.shape[0]
    if domain is None:
        if window is not None:
            return np.asarray(window, dtype=np.float64)
        half = np.maximum(1.0, np.abs(x0))
        return np.stack([x0 - half, x0 + half], axis=-1)
    d = np.asarray(domain, dtype=np.float64)
    if d.shape == (2,):
        d = np.tile(d, (n, 1))
    if d.shape != (n, 2) or not np.all(np.isfinite(d)) or not np.all(d[:, 0] < d[:, 1]):
        raise DescendError(f"domain must be (lo, hi) or an ({n}, 2) array of finite lo < hi, got {domain!r}")
    return d


# --------------------------------------------------------------------------- registry and checks

_REGISTRY: dict[str, Callable[..., Problem]] = {}


def register(factory):
    """Register ``factory`` under its name; the problems it builds remember how, so they pickle."""
    @functools.wraps(factory)
    def build(*args, **kwargs):
        problem = factory(*args, **kwargs)
        object.__setattr__(problem, "_recipe", (factory.__name__, args, kwargs))
        return problem

    _REGISTRY[factory.__name__] = build
    return build


def _rebuild(name: str, args: tuple, kwargs: dict) -> Problem:
    return _REGISTRY[name](*args, **kwargs)


def names() -> list[str]:
    """The registered problem names, sorted."""
    return sorted(_REGISTRY)


def get(name: str, **params) -> Problem:
    """Build the registered problem ``name`` with ``params`` (see its factory for them).

    Raises
    ------
    DescendError
        For an unknown name (the message lists :func:`names`), an unknown
        parameter (the message lists the valid ones) or an invalid value.
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        raise DescendError(unknown_name("problem", name, names()))
    factory = _REGISTRY[name]
    valid = list(inspect.signature(factory).parameters)
    unknown = [k for k in params if k not in valid]
    if unknown:
        raise DescendError(f"problem {name!r} has no parameter {', '.join(map(repr, unknown))}; "
                           f"valid: {', '.join(valid) if valid else '(none)'}")
    n = params.get("n")
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0:
        per = PROBLEM_BYTES_PER_DIMENSION + BYTES_PER_DIMENSION
        dense = DENSE_PROBLEMS[name](params) if name in DENSE_PROBLEMS else 0
        check_memory(float(n) * per + 8.0 * dense * float(n) ** 2,
                     f"problem {name!r} with n = {n}" + (f" ({dense} dense {n} x {n} matrices)" if dense else ""),
                     f"the problem and the smallest run keep about {per} bytes per dimension")
    return factory(**params)

