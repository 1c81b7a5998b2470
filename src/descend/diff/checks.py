"""The gradient check and the error-versus-step experiment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import DescendError
from .derivatives import first_derivative, gradient
from .evaluate import Evaluator
from .steps import METHODS, as_point, check_method, default_step, explicit_steps

#: The methods of :func:`check_grad`: the finite differences of :data:`METHODS` and the Taylor test.
CHECK_METHODS = METHODS + ("taylor",)

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
               floor: float = 1.0, vectorized: bool = False, directions: int = 3, seed: int = 0):
    """Compare an analytic gradient with finite differences, or run the Taylor test.

    ``method="taylor"`` runs :func:`taylor_test` (no step to choose: the verdict is
    the convergence rate of the Taylor remainder, 2 for a right gradient, 1 for a
    wrong one) and returns its :class:`TaylorCheck`; ``directions`` and ``seed`` are
    its, ``h``, ``rtol`` and ``floor`` do not apply.  The other methods compare with
    finite differences, as follows.

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
        One of :data:`CHECK_METHODS`: a finite-difference method or ``"taylor"``.
    h : float or array_like, optional
        The finite-difference step.
    rtol : float, optional
        The tolerance on max_rel_error.  None: 1e-7 for float64 (1e-5 with the
        one-sided methods), 1e-3 for float32 (1e-2 one-sided).
    floor : float
        See the measure above; > 0.
    vectorized : bool
        As in :func:`gradient`.
    directions, seed : int
        ``method="taylor"`` only: how many random directions, and their seed.

    Returns
    -------
    GradCheck or TaylorCheck
        True when passed; ``.summary()`` prints the worst coordinates (the rates).

    Examples
    --------
    >>> report = check_grad(lambda p: np.sum(p**3), lambda p: 3 * p**2, np.array([1.0, 2.0]))
    >>> bool(report), report.max_rel_error < 1e-9
    (True, True)
    >>> check_grad(lambda p: np.sum(p**3), lambda p: 3 * p**2, np.array([1.0, 2.0]), method="taylor")
    TaylorCheck(passed=True, rate=2, rates=[2.0, 2.0, 2.0], tol=0.2)
    """
    method = check_method(method, CHECK_METHODS)
    if method == "taylor":
        given = [n for n, v in (("h", h), ("rtol", rtol)) if v is not None] + (["floor"] if floor != 1.0 else [])
        if given:
            raise DescendError(f"{', '.join(given)} do not apply to method='taylor' (it needs no step: the "
                               f"verdict is the convergence rate of the Taylor remainder)")
        return taylor_test(f, grad, x, directions=directions, seed=seed, vectorized=vectorized)
    if not callable(grad):
        raise DescendError(f"grad must be callable, got {grad!r}")
    if not (np.ndim(floor) == 0 and np.isfinite(floor) and floor > 0):
        raise DescendError(f"floor must be a finite number > 0, got {floor!r}")
    x = as_point(x)
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
# The Taylor test: a gradient check that needs no step
# ----------------------------------------------------------------------------------------

_TAYLOR_STEPS = 24        # h0, h0/2, ..., h0/2^23
_TAYLOR_FIT = 5           # the rate is fitted over the 5 smallest steps above the noise
_TAYLOR_NOISE = 100       # remainders within 100 roundings of f are noise


@dataclass(frozen=True, eq=False)
class TaylorCheck:
    """The report of the Taylor test (:func:`taylor_test`); true when it passed.

    Attributes
    ----------
    passed : bool
        Every direction's rate is >= ``2 - tol`` (or its remainder stayed at the
        rounding level of f at every step: f linear along it, the gradient exact).
    rate : float
        The smallest observed rate over the directions (nan when none was measurable).
    rates : ndarray, shape (directions,)
        The slope of log remainder against log h over the smallest steps whose
        remainders are above the noise: about 2 for a right gradient, 1 for a wrong one.
    hs : ndarray
        The steps, decreasing.
    remainders : ndarray, shape (directions, steps)
        ``|f(x + h d) - f(x) - h g.d|``.
    zeroth : ndarray, shape (directions, steps)
        ``|f(x + h d) - f(x)|``: the remainder of a gradient of zero (slope 1), for the picture.
    noise : ndarray, shape (directions, steps)
        The rounding level below which a remainder is not used.
    used : ndarray of bool, shape (directions, steps)
        The points the rates were fitted on.
    directions : ndarray
        The unit directions d (random, seeded), one per row.
    tol : float
    nfev : int
    """

    passed: bool
    rate: float
    rates: np.ndarray
    hs: np.ndarray = field(repr=False)
    remainders: np.ndarray = field(repr=False)
    zeroth: np.ndarray = field(repr=False)
    noise: np.ndarray = field(repr=False)
    used: np.ndarray = field(repr=False)
    directions: np.ndarray = field(repr=False)
    tol: float
    nfev: int
    method: str = "taylor"

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __repr__(self) -> str:
        return (f"TaylorCheck(passed={self.passed}, rate={self.rate:.3g}, "
                f"rates={np.round(self.rates, 2).tolist()}, tol={self.tol:.3g})")

    def summary(self) -> str:
        """A few lines for people: the verdict and each direction's rate."""
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [f"Taylor test {verdict}: remainder |f(x+hd) - f(x) - h g.d| shrinks like h^"
                 f"{self.rate:.2f} (a right gradient gives 2, a wrong one 1; pass >= {2 - self.tol:.2f})"]
        for k, r in enumerate(self.rates):
            n = int(self.used[k].sum())
            lines.append(f"  direction {k}: rate {r:.2f}" + (f" over {n} steps" if n else
                         " (remainder at rounding level: f linear along d, g.d exact)"))
        return "\n".join(lines)

    __str__ = summary


def _taylor_rate(hs, r, noise):
    """The fitted slope over the smallest steps above the noise, and the points used."""
    above = r > _TAYLOR_NOISE * noise
    used = np.zeros_like(above)
    idx = np.flatnonzero(above)
    if idx.size < 2:
        return np.nan, used
    # the asymptotic end: the smallest steps still above the noise (the steps decrease)
    idx = idx[-_TAYLOR_FIT:]
    used[idx] = True
    slope = np.polyfit(np.log(hs[idx]), np.log(r[idx]), 1)[0]
    return float(slope), used


def taylor_test(f: Callable, grad: Callable, x, *, directions: int = 3, seed: int = 0, h0=None,
                tol: float = 0.2, vectorized: bool = False) -> TaylorCheck:
    """Check a gradient without choosing a step: the Taylor remainder must shrink like h^2.

    For a right gradient g, ``r(h) = |f(x + h d) - f(x) - h g.d| = h^2 |d'Hd| / 2 + O(h^3)``;
    for a wrong one the first-order term is left over and r shrinks like h.  The
    test evaluates r at ``h0, h0/2, ..., h0/2^23`` along random unit directions,
    drops the remainders within 100 roundings of f (``eps (|f(x)| + |f(x+hd)| +
    |h g.d|)``), and fits the slope of log r against log h over the 5 smallest
    steps left.  It passes when every direction's slope is at least ``2 - tol``.
    No step has to be right for the verdict: a gradient check by finite
    differences fails for the wrong reasons when its step is (jax#7742, torch#8659).

    Parameters
    ----------
    f : callable
        ``f(p) -> float`` for p of x's shape; with ``vectorized=True`` ``f(P) -> (m,)``.
    grad : callable
        ``grad(p) -> array of p's shape``, the gradient under test.
    x : array_like
        Where to check.
    directions : int
        How many random directions (>= 1).
    seed : int
        The seed of the directions (NumPy's default_rng).
    h0 : float, optional
        The largest step; default ``0.1 * max(1, ||x||_inf)``.
    tol : float
        Pass when the rate is >= 2 - tol; in (0, 1).
    vectorized : bool
        Whether f takes a matrix of points (one call for all of them).

    Returns
    -------
    TaylorCheck
        True when passed; ``.rate``, ``.rates``, ``.summary()``; ``descend.plot.taylor_test``
        draws it.

    Examples
    --------
    >>> f = lambda p: np.sum(np.sin(p) * p)
    >>> right = taylor_test(f, lambda p: np.cos(p) * p + np.sin(p), np.array([0.3, -1.2]))
    >>> wrong = taylor_test(f, lambda p: np.cos(p) * p, np.array([0.3, -1.2]))
    >>> bool(right), round(right.rate), bool(wrong), round(wrong.rate)
    (True, 2, False, 1)
    """
    if not callable(f):
        raise DescendError(f"f must be callable, got {f!r}")
    if not callable(grad):
        raise DescendError(f"grad must be callable, got {grad!r}")
    if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) or directions < 1:
        raise DescendError(f"directions must be an integer >= 1, got {directions!r}")
    if not (np.ndim(tol) == 0 and np.isreal(tol) and 0 < tol < 1):
        raise DescendError(f"tol must be a number in (0, 1) (pass when the rate >= 2 - tol), got {tol!r}")
    x = as_point(x)
    dtype = x.dtype
    eps = float(np.finfo(dtype).eps)
    scale = max(1.0, float(np.max(np.abs(x), initial=0.0)))
    h0 = 0.1 * scale if h0 is None else float(explicit_steps(h0, np.zeros((), dtype)))
    hs = h0 / 2.0 ** np.arange(_TAYLOR_STEPS)
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((int(directions),) + x.shape).astype(dtype)
    D /= np.sqrt(np.sum(D * D, axis=tuple(range(1, D.ndim)), keepdims=True))  # unit length
    g = np.asarray(grad(x.copy()))
    if g.shape != x.shape:
        raise DescendError(f"grad must return an array of x's shape {x.shape}, got shape {g.shape}")
    if g.dtype.kind not in "biuf" or not np.all(np.isfinite(g)):
        raise DescendError(f"grad must return finite real numbers, got {g!r}")
    evaluate = Evaluator(f, x.shape, vectorized=vectorized, method="taylor", out_shape=())
    points = x[None, None] + hs.reshape(1, -1, *([1] * x.ndim)) * D[:, None]  # (k, steps, *x.shape)
    flat = np.concatenate([points.reshape(-1, x.size), x.reshape(1, -1)])
    if vectorized:
        values = np.asarray(evaluate.matrix(flat), dtype=np.float64)
    else:
        values = np.asarray(evaluate(flat, np.arange(len(flat)), np.zeros((len(flat), 0), np.intp),
                                     np.zeros((len(flat), 0), dtype)), dtype=np.float64)
    f0, fx = values[-1], values[:-1].reshape(len(D), len(hs))
    if not (np.isfinite(f0) and np.all(np.isfinite(fx))):
        raise DescendError("f is not finite at every point x + h d of the Taylor test: pass a smaller h0 "
                           "(the largest step) so that x + h0 d stays in f's domain")
    gd = np.sum(D.reshape(len(D), -1) * g.reshape(1, -1), axis=1)[:, None] * hs[None, :]  # h g.d
    zeroth = np.abs(fx - f0)
    remainders = np.abs(fx - f0 - gd)
    noise = eps * (np.abs(f0) + np.abs(fx) + np.abs(gd))
    rates, used = zip(*[_taylor_rate(hs, r, n) for r, n in zip(remainders, noise)])
    rates, used = np.array(rates), np.array(used)
    # a direction with no usable point: f is linear along it to rounding, and so is h g.d
    ok = np.where(np.isnan(rates), ~np.any(remainders > _TAYLOR_NOISE * noise, axis=1), rates >= 2 - tol)
    rate = float(np.nanmin(rates)) if np.any(~np.isnan(rates)) else float("nan")
    return TaylorCheck(passed=bool(np.all(ok)), rate=rate, rates=rates, hs=hs, remainders=remainders,
                       zeroth=zeroth, noise=noise, used=used, directions=D, tol=float(tol),
                       nfev=evaluate.nfev)


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
    methods = tuple(check_method(m) for m in methods)
    if not methods:
        raise DescendError("methods must name at least one method; valid: " + ", ".join(METHODS))
    x = as_point(x)
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
    hs = np.sort(np.asarray(explicit_steps(hs, np.zeros(np.shape(hs))), dtype=x.dtype).reshape(-1))
    errors, best_h, best_error, default_h = {}, {}, {}, {}
    for m in methods:
        errs = np.empty(hs.size)
        for k, h in enumerate(hs):
            with np.errstate(all="ignore"):  # large steps may leave f's domain: that is data here
                try:
                    d = first_derivative(f, x, method=m, h=h, full_output=False)
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
