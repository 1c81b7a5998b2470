"""The gradient check and the error-versus-step experiment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import DescendError
from .derivatives import _derivative, gradient
from .steps import METHODS, _as_point, _check_method, _explicit_steps, default_step

# ----------------------------------------------------------------------------------------
# Gradient check
# ----------------------------------------------------------------------------------------

_CHECK_TOL = {  # default tolerance on max_rel_error, by precision and by accuracy class
    "one-sided": {"float64": 1e-5, "float32": 1e-2},
    "accurate": {"float64": 1e-7, "float32": 1e-3},
}


def _default_tol(method: str, dtype) -> float:
    kind = "one-sided" if method in ("forward", "backward") else "accurate"
    name = "float32" if np.finfo(dtype).bits <= 32 else "float64"
    return _CHECK_TOL[kind][name]


@dataclass(frozen=True, eq=False)
class GradCheck:
    """The report of :func:`check_grad`; true when the check passed.

    Attributes
    ----------
    max_rel_error : float
        ``max_i |a_i - n_i| / max(||a||_inf, ||n||_inf, floor)`` (a analytic,
        n numerical).
    worst : tuple of tuple of int
        Indices of the coordinates with the largest errors, worst first (at most 5).
    numerical, analytic : ndarray
        The two gradients, in x's shape.
    errors : ndarray
        The per-coordinate errors ``|a_i - n_i| / max(||a||_inf, ||n||_inf, floor)``.
    tol : float
    passed : bool
    method : str
    floor : float
    """

    max_rel_error: float
    worst: tuple
    numerical: np.ndarray = field(repr=False)
    analytic: np.ndarray = field(repr=False)
    errors: np.ndarray = field(repr=False)
    tol: float
    passed: bool
    method: str
    floor: float

    def __bool__(self) -> bool:
        return bool(self.passed)

    def _coord(self, idx) -> str:
        return f"{idx}: analytic {self.analytic[idx]!r}, numerical {self.numerical[idx]!r}"

    def __repr__(self) -> str:
        head = (f"GradCheck(passed={self.passed}, max_rel_error={self.max_rel_error:.3g}, "
                f"tol={self.tol:.3g}, method={self.method!r}")
        if self.worst:
            head += f", worst={self._coord(self.worst[0])}"
        return head + ")"

    def summary(self) -> str:
        """A few lines for people: verdict, error, tolerance, the worst coordinates."""
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [f"gradient check {verdict}: max relative error {self.max_rel_error:.3e} "
                 f"{'<=' if self.passed else '>'} tol {self.tol:.1e} "
                 f"({self.method} differences, {self.analytic.size} coordinates)"]
        for idx in self.worst:
            lines.append(f"  {idx}: analytic {self.analytic[idx]: .10e}  numerical "
                         f"{self.numerical[idx]: .10e}  error {self.errors[idx]:.2e}")
        return "\n".join(lines)

    __str__ = summary


def check_grad(f: Callable, grad: Callable, x, *, method: str = "central", h=None, rtol=None,
               floor: float = 1.0, vectorized: bool = False) -> GradCheck:
    """Compare an analytic gradient with finite differences.

    The one error measure: with a the analytic and n the numerical gradient,

        max_rel_error = max_i |a_i - n_i| / max(||a||_inf, ||n||_inf, floor)

    every coordinate's error relative to the largest gradient entry.  It is a
    relative error for gradients with entries of size >= ``floor`` (default 1)
    and an absolute one below, so a stationary point (a = 0, n = round-off)
    does not fail the check.  The check passes when ``max_rel_error <= tol``.

    Parameters
    ----------
    f : callable
        ``f(p) -> float`` for p of x's shape (any shape: a vector, a weight matrix).
    grad : callable
        ``grad(p) -> array of p's shape``, the gradient under test.
    x : array_like
        Where to check.  Neither f nor grad sees the caller's array itself.
    method : str
        One of :data:`METHODS`.
    h : float or array_like, optional
        The finite-difference step.
    rtol : float, optional
        The tolerance on max_rel_error.  None: 1e-7 for float64 (1e-5 with the
        one-sided methods), 1e-3 for float32 (1e-2 one-sided).
    floor : float
        See the measure above; > 0.
    vectorized : bool
        As in :func:`gradient`.

    Returns
    -------
    GradCheck
        True when passed; ``.summary()`` prints the worst coordinates.

    Examples
    --------
    >>> report = check_grad(lambda p: np.sum(p**3), lambda p: 3 * p**2, np.array([1.0, 2.0]))
    >>> bool(report), report.max_rel_error < 1e-9
    (True, True)
    """
    method = _check_method(method)
    if not callable(grad):
        raise DescendError(f"grad must be callable, got {grad!r}")
    if not (np.ndim(floor) == 0 and np.isfinite(floor) and floor > 0):
        raise DescendError(f"floor must be a finite number > 0, got {floor!r}")
    x = _as_point(x)
    tol = _default_tol(method, x.dtype) if rtol is None else rtol
    if not (np.ndim(tol) == 0 and np.isfinite(tol) and tol > 0):
        raise DescendError(f"rtol must be a finite number > 0, got {rtol!r}")
    numerical = np.asarray(gradient(f, x, method=method, h=h, vectorized=vectorized, batch=False))
    if not np.all(np.isfinite(numerical)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(numerical))[0])
        raise DescendError(
            f"the numerical gradient is {numerical[bad]} at coordinate {bad}: f is not finite near x "
            f"(the step may leave f's domain: try a smaller h or a one-sided method)")
    analytic = np.asarray(grad(x.copy()))
    if analytic.shape != x.shape:
        raise DescendError(f"grad must return an array of x's shape {x.shape}, got shape {analytic.shape}")
    if analytic.dtype.kind not in "biuf" or not np.all(np.isfinite(analytic)):
        raise DescendError(f"grad must return finite real numbers, got {analytic!r}")
    diff = np.abs(analytic.astype(np.float64) - numerical.astype(np.float64))
    scale = max(float(np.max(np.abs(analytic), initial=0.0)),
                float(np.max(np.abs(numerical), initial=0.0)), float(floor))
    errors = diff / scale
    order = np.argsort(-errors, axis=None, kind="stable")[:5]  # ties: the first index first
    worst = tuple(tuple(int(i) for i in np.unravel_index(k, x.shape)) for k in order)
    max_err = float(errors.max()) if errors.size else 0.0
    return GradCheck(max_rel_error=max_err, worst=worst, numerical=numerical, analytic=analytic,
                     errors=errors, tol=float(tol), passed=bool(max_err <= tol), method=method,
                     floor=float(floor))


# ----------------------------------------------------------------------------------------
# The error-versus-step experiment
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class DiffErrorResult:
    """Errors of finite differences against the step h (see :func:`diff_error`).

    Attributes
    ----------
    hs : ndarray
        The steps, increasing.
    errors : dict
        method -> array of errors, one per step (nan where f could not be evaluated).
    best_h, best_error : dict
        method -> the step with the smallest error (the largest such step on ties)
        and that error.
    default_h : dict
        method -> the step ``h=None`` would pick (the theory's optimum, up to a constant).
    x, exact : float
        The point and the exact derivative.
    relative : bool
        Whether the errors are relative to |exact|.
    """

    hs: np.ndarray
    errors: dict
    best_h: dict
    best_error: dict
    default_h: dict
    x: float
    exact: float
    relative: bool

    @property
    def methods(self) -> tuple:
        return tuple(self.errors)

    def table(self) -> list:
        """Rows ``(h, error of each method...)``; the header is ``("h",) + self.methods``."""
        return [(float(h),) + tuple(float(self.errors[m][k]) for m in self.methods)
                for k, h in enumerate(self.hs)]

    def __str__(self) -> str:
        kind = "relative" if self.relative else "absolute"
        head = f"{'h':>9}" + "".join(f"{m:>12}" for m in self.methods)
        lines = [f"{kind} error of f'({self.x!r}) (exact {self.exact!r})", head]
        lines += [f"{row[0]:9.1e}" + "".join(f"{e:12.2e}" for e in row[1:]) for row in self.table()]
        lines.append(f"{'best h':>9}" + "".join(f"{self.best_h[m]:12.1e}" for m in self.methods))
        lines.append(f"{'best err':>9}" + "".join(f"{self.best_error[m]:12.1e}" for m in self.methods))
        return "\n".join(lines)

    def __repr__(self) -> str:
        best = ", ".join(f"{m}: h={self.best_h[m]:.1e} err={self.best_error[m]:.1e}" for m in self.methods)
        return f"DiffErrorResult(x={self.x!r}, {len(self.hs)} steps, best {{{best}}})"


def diff_error(f: Callable, x, exact, *, methods=("forward", "backward", "central", "five-point", "complex"),
               hs=None, relative: bool = False) -> DiffErrorResult:
    """Error of each finite-difference method against the step: the study notes' experiment.

    For every h in ``hs`` and every method, ``|derivative(f, x, method, h) - exact|``
    (divided by ``|exact|`` with ``relative=True``).  Large steps show the
    truncation error (slope p on log-log axes, p the order), small ones the
    round-off error (slope -1), and the best step sits where they cross:
    about eps^(1/2) for one-sided, eps^(1/3) for central differences.

    Parameters
    ----------
    f : callable
        A scalar function (complex-safe for the ``complex`` method).
    x : float
        The point.
    exact : float
        The true derivative f'(x).
    methods : sequence of str
        Methods from :data:`METHODS`.
    hs : array_like, optional
        Steps > 0; default ``10 ** np.arange(-16, 0.25, 0.25)`` (1e-16 .. 1).
    relative : bool
        Report relative instead of absolute errors.

    Returns
    -------
    DiffErrorResult
        With ``.hs``, ``.errors``, ``.best_h``, ``.best_error`` and ``.table()``.

    Examples
    --------
    >>> r = diff_error(np.exp, 0.0, 1.0, methods=("central",))
    >>> 1e-7 <= r.best_h["central"] <= 1e-4
    True
    """
    if isinstance(methods, str):
        methods = (methods,)
    methods = tuple(_check_method(m) for m in methods)
    if not methods:
        raise DescendError("methods must name at least one method; valid: " + ", ".join(METHODS))
    x = _as_point(x)
    if x.ndim != 0:
        raise DescendError(f"x must be a scalar, got an array of shape {x.shape}")
    exact_arr = np.asarray(exact)
    if exact_arr.ndim != 0 or exact_arr.dtype.kind not in "biuf" or not np.isfinite(exact_arr):
        raise DescendError(f"exact must be a finite number, got {exact!r}")
    exact = float(exact_arr)
    if relative and exact == 0.0:
        raise DescendError("relative=True needs exact != 0, got exact=0.0")
    if hs is None:
        hs = 10.0 ** np.arange(-16, 0.25, 0.25)
    hs = np.sort(np.asarray(_explicit_steps(hs, np.zeros(np.shape(hs))), dtype=x.dtype).reshape(-1))
    errors, best_h, best_error, default_h = {}, {}, {}, {}
    for m in methods:
        errs = np.empty(hs.size)
        for k, h in enumerate(hs):
            with np.errstate(all="ignore"):  # large steps may leave f's domain: that is data here
                try:
                    d = _derivative(f, x, method=m, h=h, full_output=False)
                except (FloatingPointError, OverflowError, ZeroDivisionError):
                    d = np.nan
                errs[k] = abs(float(np.real(d)) - exact)
        if relative:
            errs = errs / abs(exact)
        errors[m] = errs
        finite = np.isfinite(errs)
        if finite.any():
            best = np.nanmin(errs)
            k = np.flatnonzero(errs == best)[-1]
            best_h[m], best_error[m] = float(hs[k]), float(best)
        else:
            best_h[m], best_error[m] = float("nan"), float("nan")
        default_h[m] = float(default_step(m, x))
    return DiffErrorResult(hs=hs, errors=errors, best_h=best_h, best_error=best_error,
                           default_h=default_h, x=float(x), exact=exact, relative=relative)
