"""Finite differences: derivatives, gradients, Jacobians, Hessians and gradient checks.

This is the one finite-difference module of descend.  Every function takes a
``method`` from :data:`METHODS`:

=============  =======================================================  =====  ==============
method         formula for f'(x)                                         order  default step
=============  =======================================================  =====  ==============
forward        (f(x + h) - f(x)) / h                                     1      eps^(1/2)
backward       (f(x) - f(x - h)) / h                                     1      eps^(1/2)
central        (f(x + h) - f(x - h)) / (2h)                              2      eps^(1/3)
five-point     (f(x - 2h) - 8f(x - h) + 8f(x + h) - f(x + 2h)) / (12h)   4      eps^(1/5)
complex        Im f(x + ih) / h                                          2      eps^2
richardson     central differences at h, h/2, ..., h/128; Romberg       8      4 eps^(1/9)
               extrapolation over the 4 consecutive steps with the
               smallest error estimate
=============  =======================================================  =====  ==============

Evaluations of f per coordinate: 1 (forward, backward; plus f(x) once), 2
(central), 4 (five-point), 1 (complex), 16 (richardson).

**Steps.**  With ``h=None`` the step is the default step of the table, where
``eps`` is the machine epsilon of x's dtype (float64 for integer x), scaled by
``max(1, |x_i|)`` so that a huge coordinate is still moved (1e20 + h != 1e20).
The powers balance truncation error (``~h^p``) against round-off
(``~eps/h``).  The complex step has no subtraction, hence no round-off penalty
for a tiny step, so it uses ``eps^2`` (4.9e-32 for float64): its truncation
error ``h^2 |f'''| / 6`` is then far below ``eps |f'|`` for any sensibly scaled
f, while ``h |f'|`` stays above the underflow threshold for any derivative
larger than about 1e-276 (pass a larger h for functions with smaller ones).
An automatically chosen real step is made exactly representable,
``h = (x + h) - x``, so the division uses the step really taken.

An explicit ``h`` (a number, or an array with one step per coordinate) is used
exactly as given: the perturbed coordinate is the float sum ``x_i + c h`` and
the formulas are evaluated as written above, so
``derivative(lambda x: x**2, 3.0, h=1e-4)`` gives the 6.000000000012662 of the
study notes bit for bit.  It is not second-guessed either: where ``x + h == x``
(a fixed h below the spacing of a large x) the difference is 0, as in the
notes; ``h=None`` never runs into this.

**Non-finite values.**  Where f is nan or inf at a perturbed point (a step
outside its domain, an overflow) the derivative is nan or inf, without an
exception, so that a minimizer can report divergence as a status;
:func:`check_grad` refuses such a gradient with a message.

**Evaluations.**  The caller's ``x`` is never written to, not even
temporarily: every perturbed point is a fresh array.  Without
``vectorized`` f is called once per perturbed point; with ``vectorized=True``
all perturbed points (of every row of a batch) are stacked into one ``(m, n)``
matrix and f is called once.  ``full_output=True`` returns ``(value, info)``
with an error estimate and the number of evaluations (:class:`DiffInfo`).

References
----------
J. N. Lyness and C. B. Moler, "Numerical differentiation of analytic
functions", SIAM J. Numer. Anal. 4 (1967).  J. R. R. A. Martins, P. Sturdza and
J. J. Alonso, "The complex-step derivative approximation", ACM TOMS 29 (2003).
J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., section 8.1.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.exceptions import ComplexWarning

from .errors import DescendError, check_choice, check_finite_array

__all__ = [
    "METHODS", "HESSIAN_METHODS", "ORDERS", "default_step", "derivative", "gradient", "jacobian",
    "hessian", "hessian_vector_product", "tangent_line", "TangentLine", "check_grad",
    "GradCheck", "diff_error", "DiffErrorResult", "DiffInfo",
]

METHODS = ("forward", "backward", "central", "five-point", "complex", "richardson")
HESSIAN_METHODS = ("forward", "central", "complex")

_RICHARDSON_STEPS = 8   # central differences at h, h/2, ..., h/128
_RICHARDSON_WINDOW = 4  # extrapolated over 4 consecutive steps: order 8
#: Order of accuracy p of each method: its truncation error shrinks like h^p.
ORDERS = MappingProxyType({"forward": 1, "backward": 1, "central": 2, "five-point": 4, "complex": 2,
                           "richardson": 2 * _RICHARDSON_WINDOW})

# name: (offsets c_j, weights w_j, divisor d)  ->  f'(x) ~ sum_j w_j f(x + c_j h) / (d h).
# The sum is taken in this order, so e.g. central is exactly (f(x+h) - f(x-h)) / (2h).
_STENCILS = {
    "forward": ((0, 1), (-1, 1), 1),                     # (f(x+h) - f(x)) / h
    "backward": ((-1, 0), (-1, 1), 1),                   # (f(x) - f(x-h)) / h
    "central": ((1, -1), (1, -1), 2),                    # (f(x+h) - f(x-h)) / (2h)
    "five-point": ((-2, -1, 1, 2), (1, -8, 8, -1), 12),  # (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / (12h)
}


def _base_step(method: str, dtype) -> float:
    """The step at unit scale: eps to the power that balances truncation and round-off."""
    eps = float(np.finfo(dtype).eps)
    return {
        "forward": eps ** (1 / 2),
        "backward": eps ** (1 / 2),
        "central": eps ** (1 / 3),
        "five-point": eps ** (1 / 5),
        "complex": eps ** 2,
        "richardson": 4 * eps ** (1 / (2 * _RICHARDSON_WINDOW + 1)),
    }[method]


def _hessian_base_step(method: str, dtype) -> float:
    eps = float(np.finfo(dtype).eps)
    # central second difference: h^2 truncation vs eps/h^2 round-off -> eps^(1/4);
    # forward: h vs eps/h^2 -> eps^(1/3); complex: h^2 vs eps/h -> eps^(1/3).
    return {"central": eps ** (1 / 4), "forward": eps ** (1 / 3), "complex": eps ** (1 / 3)}[method]


# ----------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------

def _check_method(method, valid=METHODS) -> str:
    if not isinstance(method, str):
        raise DescendError(f"unknown method {method!r}; valid: {', '.join(valid)}")
    return check_choice("method", method, valid)


def _as_point(x, name: str = "x") -> np.ndarray:
    """A finite real array: integers and bools become float64, float dtypes are kept."""
    arr = check_finite_array(name, x)
    if arr.dtype.kind == "c":
        raise DescendError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    return arr


def _scale(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(x), np.ones((), x.dtype))


def _representable(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    # The step really taken: x + h rounds, and (x + h) - x is exact, so dividing by it
    # removes the representation error of the step from the result.
    return (x + h) - x


def _auto_steps(method: str, x: np.ndarray, base: float) -> np.ndarray:
    h = (base * _scale(x)).astype(x.dtype)
    return h if method == "complex" else _representable(x, h)


def _explicit_steps(h, x: np.ndarray) -> np.ndarray:
    arr = np.asarray(h)
    if arr.dtype.kind not in "biuf" or arr.size == 0:
        raise DescendError(f"h must be a finite number > 0, got {h!r}")
    if not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        shown = arr[()] if arr.ndim == 0 else np.array2string(arr, threshold=8)
        raise DescendError(f"h must be a finite number > 0, got {shown}")
    try:
        return np.broadcast_to(arr.astype(x.dtype), x.shape)
    except ValueError:
        raise DescendError(
            f"h must be a number or an array of shape {x.shape} (one step per coordinate), "
            f"got shape {arr.shape}") from None


def _steps(method: str, x: np.ndarray, h, base: float) -> tuple[np.ndarray, bool]:
    """Per-coordinate steps (broadcast to x's shape) and whether they were chosen automatically.

    An explicit step is not second-guessed: where x + h == x (h below the spacing of
    x) the difference is 0, exactly as the study notes' formula gives (seed 002 freezes
    its iterate at 2.46e9 that way); ``h=None`` never does this.
    """
    if h is None:
        return _auto_steps(method, x, base), True
    return _explicit_steps(h, x), False


def _complex_dtype(dtype):
    return np.result_type(dtype, np.complex64)


@contextmanager
def _complex_guard(method: str):
    """For the complex step, an f that drops the imaginary part is an error, not a warning."""
    if method != "complex":
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComplexWarning)
        try:
            yield
        except (TypeError, ComplexWarning) as exc:
            raise DescendError(f"method='complex' needs an f that accepts complex input; f raised "
                               f"{type(exc).__name__}: {exc}") from exc


def _refuse_complex_valued(f0) -> None:
    """The complex step reads f' from Im f(x + ih): meaningless when f(x) is complex already."""
    imag = np.abs(np.imag(f0))
    if np.any(imag > 0):
        at = np.unravel_index(int(np.argmax(imag)), np.shape(imag)) if np.ndim(imag) else ()
        value = np.asarray(f0)[at].item()
        raise DescendError(
            f"method='complex' needs a real-valued f (the derivative is read from Im f(x + ih)); "
            f"f(x) = {value!r} is complex: use method='central' (or differentiate the real and "
            f"imaginary parts separately)")


def _check_kind(y: np.ndarray, method: str, where) -> None:
    if y.dtype.kind not in "biufc":
        raise DescendError(f"f must return numbers, got dtype {y.dtype} at {where()}")
    if method == "complex" and y.dtype.kind != "c":
        raise DescendError(
            f"method='complex' needs an f that keeps complex input complex (NumPy ufuncs, no "
            f"float(), abs() or np.real); f returned dtype {y.dtype} at {where()}")


# ----------------------------------------------------------------------------------------
# Evaluating f at perturbed points
# ----------------------------------------------------------------------------------------

class _Evaluator:
    """Calls f at points ``x[row] + deltas`` (on the given coordinates), counting evaluations.

    A point is described by the row of the base array it starts from, the
    coordinates it moves (``coords``, shape (M, Q)) and by how much (``deltas``),
    so that in loop mode no (M, n) matrix is ever built: each point is a fresh
    copy of its row.  ``out_shape`` None means any shape, fixed by the first value.
    """

    def __init__(self, f, point_shape, *, vectorized: bool, method: str, out_shape=None):
        if not callable(f):
            raise DescendError(f"f must be callable, got {f!r}")
        self.f = f
        self.point_shape = tuple(point_shape)
        self.vectorized = bool(vectorized)
        self.method = method
        self.out_shape = out_shape
        self.nfev = 0
        self.ncalls = 0

    def _wrong_shape(self, got, expected) -> DescendError:
        if self.vectorized:
            n = self.point_shape
            return DescendError(
                f"with vectorized=True f must map points of shape (m, {', '.join(map(str, n))}) "
                f"to values of shape {expected}; got shape {got}")
        if expected == ():
            return DescendError(f"f must return a scalar, got an array of shape {got}")
        return DescendError(f"f must return an array of shape {expected} at every point, "
                            f"got shape {got}")

    def matrix(self, points: np.ndarray) -> np.ndarray:
        """Vectorized mode: f at every row of ``points`` (m, n) in one call."""
        m = len(points)
        self.nfev += m
        with _complex_guard(self.method):
            y = np.asarray(self.f(points.reshape((m,) + self.point_shape)))
        self.ncalls += 1
        _check_kind(y, self.method, lambda: "the perturbed points")
        if self.out_shape is None:
            if y.ndim < 1 or y.shape[0] != m:
                raise self._wrong_shape(y.shape, (m, "..."))
            self.out_shape = y.shape[1:]
        elif y.shape != (m,) + self.out_shape:
            raise self._wrong_shape(y.shape, (m,) + self.out_shape)
        return y

    def __call__(self, base: np.ndarray, rows, coords, deltas) -> np.ndarray:
        rows = np.asarray(rows)
        m = len(rows)
        coords = np.asarray(coords).reshape(m, -1)
        deltas = np.asarray(deltas).reshape(m, -1)
        dtype = np.result_type(base.dtype, deltas.dtype)

        def where(k=0):
            if coords.size == 0 or not np.any(deltas[k]):
                return "x"
            row = f" in row {int(rows[k])}" if len(base) > 1 else ""
            return f"x[{int(coords[k, 0])}] + {deltas[k, 0].item()!r}{row}"

        if self.vectorized:
            points = base[rows].astype(dtype, copy=True)
            at = np.arange(m)
            for q in range(coords.shape[1]):  # one column at a time: x_i + delta, a single float add
                points[at, coords[:, q]] += deltas[:, q]
            return self.matrix(points)
        else:
            rows_c = base.astype(dtype, copy=False)
            shape = self.point_shape
            plain = len(shape) == 1  # the rows already have the point's shape
            values = []
            f = self.f
            with _complex_guard(self.method):
                for k, (r, cs, ds) in enumerate(zip(rows.tolist(), coords.tolist(), deltas.tolist())):
                    point = rows_c[r].copy()  # a fresh array for every point
                    for c, d in zip(cs, ds):
                        point[c] += d  # x_i + delta: one float add
                    arg = point if plain else (point.reshape(shape) if shape else point[0])
                    self.nfev += 1
                    y = np.asarray(f(arg))
                    self.ncalls += 1
                    _check_kind(y, self.method, lambda: where(k))
                    if self.out_shape is None:
                        self.out_shape = y.shape
                    elif y.shape != self.out_shape:
                        raise self._wrong_shape(y.shape, self.out_shape)
                    values.append(y)
            if not values:
                return np.empty((0,) + (self.out_shape or ()), dtype=dtype)
            return np.array(values) if self.out_shape == () else np.stack(values)


# ----------------------------------------------------------------------------------------
# The result of full_output
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class DiffInfo:
    """What ``full_output=True`` returns beside the value.

    Attributes
    ----------
    error : float or ndarray
        Estimated absolute error of each derivative.  For ``richardson`` it is twice
        the difference between the last two extrapolations plus a round-off bound
        (see :func:`_richardson`).
        For the other methods it is a truncation estimate ``2 |D(h) - D(2h)| / (2^p - 1)``
        (p the order; one extra stencil at step 2h is evaluated for it and counted
        in ``nfev``) plus the round-off bound ``eps * sum_j |w_j f(x + c_j h)| / (d h)``
        (``eps |D|`` for the complex step, which subtracts nothing).  Hessians give nan.
    h : float or ndarray
        The step used for each coordinate (for ``richardson`` the largest step of
        the window of four steps it chose).
    nfev : int
        Points at which f was evaluated (for :func:`derivative` on an array:
        per element, since f is called on the whole array at once).
    ncalls : int
        Calls made to f.
    method : str
    """

    error: object
    h: object
    nfev: int
    ncalls: int
    method: str

    def __repr__(self) -> str:
        def short(v):
            a = np.asarray(v)
            if a.ndim == 0:
                return f"{a[()]:.3g}"
            top = np.nanmax(a) if np.any(~np.isnan(a)) else np.nan
            return f"array(shape={a.shape}, max={top:.3g})"
        return (f"DiffInfo(method={self.method!r}, error={short(self.error)}, h={short(self.h)}, "
                f"nfev={self.nfev}, ncalls={self.ncalls})")


# ----------------------------------------------------------------------------------------
# The core: first derivatives of f along each coordinate of a batch of points
# ----------------------------------------------------------------------------------------

def _plan(method: str, h: np.ndarray, auto: bool, x: np.ndarray, full_output: bool):
    """The offsets to evaluate, as a list of (key, per-coordinate delta array) and the center flag.

    Keys are multiples of h (or ('r', k, +-1) for the k-th Richardson step).
    """
    if method == "complex":
        keys = [1] + ([2] if full_output else [])
        # f(x) itself too, one evaluation per point: the check that f is real-valued there
        return [(c, 1j * c * h) for c in keys], True
    if method == "richardson":
        out = []
        for k in range(_RICHARDSON_STEPS):
            hk = h / 2 ** k
            if auto:
                hk = _representable(x, hk)
            out += [(("r", k, 1), hk), (("r", k, -1), -hk)]
        return out, False
    offsets, _, _ = _STENCILS[method]
    keys = list(offsets)
    if full_output:
        keys += [2 * c for c in offsets if 2 * c not in keys]
    center = 0 in keys
    return [(c, c * h) for c in keys if c != 0], center


def _stencil(method: str, F: dict, h, scale: int = 1):
    """sum_j w_j f(x + c_j s h) / (d s h) and its round-off bound, for step s*h."""
    offsets, weights, d = _STENCILS[method]
    acc = None
    mag = None
    for c, w in zip(offsets, weights):
        term = w * F[c * scale]
        acc = term if acc is None else acc + term
        mag = abs(w) * np.abs(F[c * scale]) if mag is None else mag + abs(w) * np.abs(F[c * scale])
    sh = h if scale == 1 else scale * h
    return acc / (d * sh), mag / (d * sh)


def _richardson(fp: list, fm: list, steps: list, eps: float):
    """Extrapolate central differences D(h / 2^k), k = 0..7, to h -> 0.

    Every window of 4 consecutive steps gives a Romberg tableau in h^2 (order 8);
    its error estimate is twice the difference of the last two extrapolations
    (truncation) plus ten times eps * (|f(x+h)| + |f(x-h)|) / (2h) at the smallest
    step (round-off in f, amplified by the extrapolation weights, which sum to < 2
    in absolute value).  Each coordinate takes the window with the smallest estimate.
    Returns the derivative, the error estimate and the largest step of the window used.
    """
    D = [(p - m) / (2 * h) for p, m, h in zip(fp, fm, steps)]
    best = err = used = None
    for s in range(_RICHARDSON_STEPS - _RICHARDSON_WINDOW + 1):
        T = [D[s:s + _RICHARDSON_WINDOW]]
        for j in range(1, _RICHARDSON_WINDOW):
            prev = T[-1]
            # each column removes the next even power of h from the error expansion
            T.append([prev[i] + (prev[i] - prev[i - 1]) / (4 ** j - 1) for i in range(1, len(prev))])
        k = s + _RICHARDSON_WINDOW - 1
        estimate = (2 * np.abs(T[-1][-1] - T[-2][-1])
                    + 10 * eps * (np.abs(fp[k]) + np.abs(fm[k])) / (2 * steps[k]))
        if best is None:
            best, err, used = T[-1][-1], estimate, np.broadcast_to(steps[s], np.shape(estimate))
        else:
            better = estimate < err
            best = np.where(better, T[-1][-1], best)
            used = np.where(better, steps[s], used)
            err = np.where(better, estimate, err)
    return best, err, used


def _first_derivatives(evaluate: _Evaluator, x2: np.ndarray, h2: np.ndarray, auto: bool,
                       method: str, full_output: bool):
    """Derivatives along every coordinate of every row of x2 (K, N).

    Returns D of shape (K, N, *O) (O the shape of f's values), the error estimate
    (None unless full_output) and the steps used.
    """
    K, N = x2.shape
    plan, center = _plan(method, h2, auto, x2, full_output)
    S = len(plan)
    if evaluate.vectorized:
        # All points in one (S*K*N [+ K], N) matrix, block j holding x + delta_j I for each row:
        # the rows of x copied by broadcasting, then the diagonal moved by one float add.
        dtype = np.result_type(x2.dtype, *[d.dtype for _, d in plan])
        points = np.empty((S * K * N + (K if center else 0), N), dtype=dtype)
        block = points[:S * K * N].reshape(S, K, N, N)
        block[...] = x2[None, :, None, :]
        diag = np.arange(N)
        block[:, :, diag, diag] += np.stack([d for _, d in plan])
        if center:
            points[S * K * N:] = x2
        values = evaluate.matrix(points)
    else:
        rows, coords, deltas = [], [], []
        for _, delta in plan:
            rows.append(np.repeat(np.arange(K), N))
            coords.append(np.tile(np.arange(N), K))
            deltas.append(delta.reshape(-1))
        if center:
            rows.append(np.arange(K))
            coords.append(np.zeros(K, dtype=np.intp))
            deltas.append(np.zeros(K, dtype=x2.dtype))
        dtype = np.result_type(*[d.dtype for d in deltas])
        values = evaluate(x2, np.concatenate(rows), np.concatenate(coords),
                          np.concatenate([d.astype(dtype) for d in deltas]))
    out_shape = values.shape[1:]
    F = {}
    pos = 0
    for key, _ in plan:
        F[key] = values[pos:pos + K * N].reshape((K, N) + out_shape)
        pos += K * N
    if center:
        F[0] = values[pos:pos + K].reshape((K, 1) + out_shape)
    shaped = lambda a: a.reshape((K, N) + (1,) * len(out_shape))  # noqa: E731
    return _combine(method, F, plan, h2, shaped, float(np.finfo(x2.dtype).eps), full_output)


def _combine(method: str, F: dict, plan, h, shaped, eps: float, full_output: bool):
    """The derivative from the values F at the planned points: (D, error or None, step used)."""
    # nan/inf values of f (a step outside its domain, an overflow) give nan/inf derivatives,
    # without warnings: a minimizer reports that as divergence, check_grad refuses it.
    with np.errstate(invalid="ignore", over="ignore"):
        return _combine_values(method, F, plan, h, shaped, eps, full_output)


def _combine_values(method, F, plan, h, shaped, eps, full_output):
    hb = shaped(h)
    if method == "complex":
        _refuse_complex_valued(F[0])
        D = F[1].imag / hb
        err = None
        if full_output:
            D2 = F[2].imag / (2 * hb)
            # truncation of an order-2 method from steps h and 2h (doubled for safety);
            # no subtraction, so the round-off is eps |D|
            err = 2 * np.abs(D - D2) / 3 + eps * np.abs(D)
        return D, err, h
    if method == "richardson":
        steps = [shaped(delta) for key, delta in plan if key[2] == 1]
        fp = [F[key] for key, _ in plan if key[2] == 1]
        fm = [F[key] for key, _ in plan if key[2] == -1]
        D, err, used = _richardson(fp, fm, steps, eps)
        return D, err, used
    D, mag = _stencil(method, F, hb)
    err = None
    if full_output:
        D2, _ = _stencil(method, F, hb, scale=2)
        # Richardson's estimate of the truncation error of an order-p method (doubled for
        # safety: steps far from the asymptotic regime), plus round-off
        err = 2 * np.abs(D - D2) / (2 ** ORDERS[method] - 1) + eps * mag
    return D, err, h


def _result_dtype(x_dtype, D):
    if D.dtype.kind == "c":
        return _complex_dtype(x_dtype)
    return x_dtype


def _finish(D, x_dtype):
    D = np.asarray(D).astype(_result_dtype(x_dtype, np.asarray(D)), copy=False)
    return D[()] if D.ndim == 0 else D


# ----------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------

def default_step(method: str, x, dtype=None):
    """The step ``h=None`` picks for ``method`` at ``x``.

    ``h_i = eps^a * max(1, |x_i|)`` with ``a`` from the table in the module
    docstring (``eps`` of ``dtype``, default: x's float dtype, float64 for
    integers), then made exactly representable, ``h = (x + h) - x`` (not for the
    complex step, whose step is imaginary and exact anyway).  For ``richardson``
    it is the largest of the four steps.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    x : float or array_like
        The point.
    dtype : numpy dtype, optional
        The floating-point type whose epsilon sets the step.

    Returns
    -------
    float or ndarray
        One step per coordinate, in the shape of ``x``.

    Examples
    --------
    >>> float(default_step("central", 0.0))  # eps ** (1/3), made representable
    6.055454452393343e-06
    """
    method = _check_method(method)
    x = _as_point(x)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise DescendError(f"dtype must be a floating-point type, got {dtype}")
        x = x.astype(dtype)
    h = _auto_steps(method, x, _base_step(method, x.dtype))
    return h[()] if h.ndim == 0 else h


def derivative(f: Callable, x, *, method: str = "central", h=None, full_output: bool = False):
    """Derivative of a scalar function, elementwise over an array of points.

    Parameters
    ----------
    f : callable
        ``f(x) -> y`` for a scalar x; when ``x`` is an array f must work
        elementwise (NumPy ufuncs do), and one derivative per element is returned.
        f is called once per stencil point, each time with the whole array.
    x : float or array_like
        Where to differentiate.  Never modified.
    method : str
        One of :data:`METHODS` (see the module docstring for the formulas).
    h : float or array_like, optional
        The step (one per element allowed).  None picks :func:`default_step`;
        an explicit h is used exactly as given.
    full_output : bool
        Also return a :class:`DiffInfo` (error estimate, step, evaluations).

    Returns
    -------
    float or ndarray, or (value, DiffInfo)

    Examples
    --------
    The study notes' central difference with h = 1e-4, bit for bit:

    >>> float(derivative(lambda x: x**2, 3.0, h=1e-4))
    6.000000000012662
    >>> bool(abs(derivative(np.sin, 1.0, method="complex") - np.cos(1.0)) < 1e-16)
    True
    """
    method = _check_method(method)
    return _derivative(f, x, method=method, h=h, full_output=full_output)


def _derivative(f, x, *, method, h, full_output):
    if not callable(f):
        raise DescendError(f"f must be callable, got {f!r}")
    x = _as_point(x)
    steps, auto = _steps(method, x, h, _base_step(method, x.dtype))
    plan, center = _plan(method, steps, auto, x, full_output)
    calls = 0

    def call(delta, what):
        nonlocal calls
        point = x + delta  # a new array: x_i + delta_i, one float add per element
        with _complex_guard(method):
            y = np.asarray(f(point[()] if point.ndim == 0 else point))
        calls += 1
        _check_kind(y, method, lambda: what)
        if y.shape != x.shape:
            if x.ndim == 0:
                raise DescendError(f"f must return a scalar, got an array of shape {y.shape}")
            raise DescendError(f"f must work elementwise: for x of shape {x.shape} it returned "
                               f"shape {y.shape}")
        return y

    F = {key: call(delta, f"x + {np.asarray(delta).item()!r}" if x.ndim == 0 else "x + h")
         for key, delta in plan}
    if center:  # the complex step's f(x) is taken at x + 0i: f must keep complex input complex
        zero = np.zeros(x.shape, _complex_dtype(x.dtype)) if method == "complex" else np.zeros_like(x)
        F[0] = call(zero, "x")
    D, err, used = _combine(method, F, plan, steps, lambda a: a, float(np.finfo(x.dtype).eps),
                            full_output)
    D = _finish(D, x.dtype)
    if not full_output:
        return D
    info = DiffInfo(error=_finish(err, x.dtype), h=_finish(used, x.dtype),
                    nfev=calls, ncalls=calls, method=method)
    return D, info


def gradient(f: Callable, x, *, method: str = "central", h=None, vectorized: bool = False,
             full_output: bool = False, batch: bool = True):
    """Gradient of a scalar function of a vector, for one point or a batch of points.

    Parameters
    ----------
    f : callable
        Without ``vectorized``: ``f(p) -> float`` for one point p of shape (n,)
        (a scalar for x of shape ()).  With ``vectorized=True``: ``f(P) -> (m,)``
        for a matrix P of m points, shape (m, n); all perturbed points of all
        rows are then passed in ONE call.
    x : array_like, shape (), (n,) or (k, n)
        The point, or (with ``batch=True``) k points, one per row, as in the
        study notes' ``numerical_gradient``.  Never modified.
    method : str
        One of :data:`METHODS`.
    h : float or array_like, optional
        The step; an array gives one step per coordinate.  See :func:`default_step`.
    vectorized : bool
        Whether f takes a matrix of points (see above).
    full_output : bool
        Also return a :class:`DiffInfo`.
    batch : bool
        With True (default) an x of 2 or more dimensions is a batch of points
        along its last axis.  With False x is one point whatever its shape
        (f takes arrays of x's shape, e.g. a weight matrix) and the gradient has
        x's shape.

    Returns
    -------
    ndarray of x's shape (a scalar for x of shape ()), or (gradient, DiffInfo)

    Examples
    --------
    >>> gradient(lambda p: np.sum(p**2), np.array([3.0, 4.0]), h=1e-4).round(6).tolist()
    [6.0, 8.0]
    """
    method = _check_method(method)
    x = _as_point(x)
    if x.ndim >= 2 and batch:
        point_shape = x.shape[-1:]
        x2 = x.reshape(-1, x.shape[-1])
    else:
        point_shape = x.shape
        x2 = x.reshape(1, -1)
    steps, auto = _steps(method, x, h, _base_step(method, x.dtype))
    h2 = np.ascontiguousarray(steps).reshape(x2.shape)
    evaluate = _Evaluator(f, point_shape, vectorized=vectorized, method=method, out_shape=())
    D, err, used = _first_derivatives(evaluate, x2, h2, auto, method, full_output)
    D = _finish(D.reshape(x.shape), x.dtype)
    if not full_output:
        return D
    info = DiffInfo(error=_finish(err.reshape(x.shape), x.dtype),
                    h=_finish(np.reshape(used, x.shape), x.dtype),
                    nfev=evaluate.nfev, ncalls=evaluate.ncalls, method=method)
    return D, info


def jacobian(f: Callable, x, *, method: str = "central", h=None, vectorized: bool = False,
             full_output: bool = False):
    """Jacobian ``J[i, j] = d f_i / d x_j`` of a vector function.

    Parameters
    ----------
    f : callable
        ``f(p) -> (m,)`` for a point p of x's shape; with ``vectorized=True``
        ``f(P) -> (k, m)`` for k points stacked, shape (k, n), called once.
    x : array_like, shape (n,)
        The point (any shape works: the result then has shape ``f(x).shape + x.shape``).
    method, h, full_output
        As in :func:`gradient`.

    Returns
    -------
    ndarray, shape (m, n), or (jacobian, DiffInfo)

    Examples
    --------
    >>> jacobian(lambda p: np.array([p[0] * p[1], p[0] + p[1]]), [2.0, 3.0]).round(8).tolist()
    [[3.0, 2.0], [1.0, 1.0]]
    """
    method = _check_method(method)
    x = _as_point(x)
    x2 = x.reshape(1, -1)
    steps, auto = _steps(method, x, h, _base_step(method, x.dtype))
    h2 = np.ascontiguousarray(steps).reshape(x2.shape)
    evaluate = _Evaluator(f, x.shape, vectorized=vectorized, method=method, out_shape=None)
    D, err, used = _first_derivatives(evaluate, x2, h2, auto, method, full_output)
    # D has shape (1, n, *out): move the coordinate axis last -> out + x.shape
    out_shape = D.shape[2:]

    def arrange(a):
        return np.moveaxis(a[0], 0, -1).reshape(out_shape + x.shape)

    J = _finish(arrange(D), x.dtype)
    if not full_output:
        return J
    # Richardson picks its step per entry of J; the other methods use one step per coordinate
    used = arrange(used) if method == "richardson" else steps
    info = DiffInfo(error=_finish(arrange(err), x.dtype), h=_finish(used, x.dtype),
                    nfev=evaluate.nfev, ncalls=evaluate.ncalls, method=method)
    return J, info


#: The most memory :func:`hessian` takes unless told otherwise (bytes): 1 GiB.
HESSIAN_MAX_MEMORY = 2 ** 30


def _hessian_points(method: str, n: int) -> int:
    """Points at which :func:`hessian` evaluates f."""
    if method == "forward":
        return n + n * (n + 1) // 2 + 1
    return 2 * n * n + 1  # central: 2n + 4 n(n-1)/2 + 1; complex: 2 n^2 + x itself


def _hessian_memory(method: str, n: int, dtype, vectorized: bool) -> int:
    """Bytes :func:`hessian` needs (tracemalloc agrees within a third): the (n, n)
    matrix, and per point evaluated its row, coordinates, deltas and value (about 400
    bytes of Python objects in a loop, 100 bytes of arrays vectorized), plus twice the
    whole (points, n) matrix handed to a vectorized f (f's own temporaries not counted)."""
    item = np.dtype(_complex_dtype(dtype) if method == "complex" else dtype).itemsize
    m = _hessian_points(method, n)
    if vectorized:
        return n * n * item + m * 100 + 2 * m * n * item
    return n * n * item + m * 400


def _bytes(b: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if b < 1024 or unit == "TiB":
            return f"{b:.0f} {unit}" if unit == "bytes" else f"{b:.1f} {unit}"
        b /= 1024


def _check_hessian_cost(method: str, n: int, dtype, vectorized: bool, max_memory) -> None:
    if max_memory is None:
        return
    if isinstance(max_memory, bool) or not isinstance(max_memory, (int, float, np.integer, np.floating)) \
            or not max_memory > 0:
        raise DescendError(f"max_memory must be a number of bytes > 0 or None (no limit), got {max_memory!r}")
    need = _hessian_memory(method, n, dtype, vectorized)
    if need > max_memory:
        raise DescendError(
            f"hessian of {n} variables (method={method!r}{', vectorized' if vectorized else ''}) would take "
            f"about {_bytes(need)} of memory ({n} x {n} matrix, {_hessian_points(method, n)} evaluations "
            f"of f), over max_memory={_bytes(max_memory)}; pass a larger max_memory (bytes, or None) "
            f"to allow it, or use hessian_vector_product")


def hessian(f: Callable, x, *, method: str = "central", h=None, vectorized: bool = False,
            full_output: bool = False, max_memory=HESSIAN_MAX_MEMORY):
    """Hessian ``H[i, j] = d^2 f / dx_i dx_j`` of a scalar function, from values of f alone.

    ========  ===============================================================  =========
    method    formula (h_i, h_j the steps of coordinates i, j)                  step
    ========  ===============================================================  =========
    central   [f(x+h_i e_i+h_j e_j) - f(x+h_i e_i-h_j e_j) - f(x-h_i e_i+h_j e_j)
              + f(x-h_i e_i-h_j e_j)] / (4 h_i h_j);  diagonal:
              [f(x+h e_i) - 2 f(x) + f(x-h e_i)] / h^2                            eps^(1/4)
    forward   [f(x+h_i e_i+h_j e_j) - f(x+h_i e_i) - f(x+h_j e_j) + f(x)] / (h_i h_j)  eps^(1/3)
    complex   Im[f(x + i h_i e_i + h_j e_j) - f(x + i h_i e_i - h_j e_j)] / (2 h_i h_j)  eps^(1/3)
    ========  ===============================================================  =========

    Steps are scaled by max(1, |x_i|) and made representable as for
    :func:`gradient`.  The result is exactly symmetric: the upper triangle is
    computed and mirrored (the complex formula is averaged with its transpose).

    Parameters
    ----------
    f : callable
        ``f(p) -> float`` for p of shape (n,); with ``vectorized=True``
        ``f(P) -> (m,)`` for P of shape (m, n), called once.
    x : array_like, shape (n,)
        The point (any shape works: the result has shape ``x.shape + x.shape``).
    method : str
        One of :data:`HESSIAN_METHODS`.
    h : float or array_like, optional
        The step, one per coordinate allowed.
    vectorized, full_output : bool
        As in :func:`gradient`; ``info.error`` is nan (no estimate).
    max_memory : float or None, default :data:`HESSIAN_MAX_MEMORY` (1 GiB)
        Refuse (before evaluating anything) when the matrix and the bookkeeping of its
        ``O(n^2)`` evaluations of f would take more bytes than this; the message says
        how many.  None: no limit.

    Returns
    -------
    ndarray, shape (n, n), or (hessian, DiffInfo)

    Examples
    --------
    >>> hessian(lambda p: p[0]**2 * p[1], [1.0, 2.0]).round(6).tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    """
    method = _check_method(method, HESSIAN_METHODS)
    x = _as_point(x)
    xf = x.reshape(-1)
    n = xf.size
    _check_hessian_cost(method, n, x.dtype, vectorized, max_memory)
    if h is None:
        base = _hessian_base_step(method, x.dtype)
        steps = (base * _scale(xf)).astype(x.dtype)
        if method != "complex":
            steps = _representable(xf, steps)
        steps_shaped = steps.reshape(x.shape)
    else:
        steps_shaped = _explicit_steps(h, x)
        steps = np.ascontiguousarray(steps_shaped).reshape(-1)
    evaluate = _Evaluator(f, x.shape, vectorized=vectorized, method=method, out_shape=())
    base_row = xf.reshape(1, n)
    iu, ju = np.triu_indices(n, k=1)
    diag = np.arange(n)
    zeros = np.zeros(n, dtype=x.dtype)

    if method == "complex":
        ii, jj = np.meshgrid(diag, diag, indexing="ij")
        ii, jj = ii.ravel(), jj.ravel()
        coords = np.stack([ii, jj], axis=1)
        up = np.stack([1j * steps[ii], steps[jj]], axis=1)
        down = np.stack([1j * steps[ii], -steps[jj]], axis=1)
        # and x itself (+ 0i), to check that f is real-valued there
        vals = evaluate(base_row, np.zeros(2 * n * n + 1, dtype=np.intp),
                        np.concatenate([coords, coords, np.zeros((1, 2), np.intp)]),
                        np.concatenate([up, down, np.zeros((1, 2), up.dtype)]))
        _refuse_complex_valued(vals[2 * n * n])
        fp, fm = vals[:n * n], vals[n * n:2 * n * n]
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite f: nan/inf entries
            H = ((fp - fm).imag / (2 * steps[ii] * steps[jj])).reshape(n, n)
            H = (H + H.T) / 2
    elif method == "central":
        hi, hj = steps[iu], steps[ju]
        c2 = np.stack([iu, ju], axis=1)
        cd = np.stack([diag, diag], axis=1)
        groups = [
            (cd, np.stack([steps, zeros], axis=1)),     # x + h e_i
            (cd, np.stack([-steps, zeros], axis=1)),    # x - h e_i
            (c2, np.stack([hi, hj], axis=1)),           # x + h_i e_i + h_j e_j
            (c2, np.stack([hi, -hj], axis=1)),          # x + h_i e_i - h_j e_j
            (c2, np.stack([-hi, hj], axis=1)),          # x - h_i e_i + h_j e_j
            (c2, np.stack([-hi, -hj], axis=1)),         # x - h_i e_i - h_j e_j
            (np.zeros((1, 2), np.intp), np.zeros((1, 2), x.dtype)),  # x
        ]
        vals = evaluate(base_row, np.zeros(sum(len(c) for c, _ in groups), np.intp),
                        np.concatenate([c for c, _ in groups]),
                        np.concatenate([d for _, d in groups]))
        sizes = np.cumsum([len(c) for c, _ in groups])[:-1]
        fp, fm, fpp, fpm, fmp, fmm, f0 = np.split(vals, sizes)
        H = np.empty((n, n), dtype=np.result_type(vals.dtype, x.dtype))
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite f: nan/inf entries
            H[diag, diag] = (fp - 2 * f0 + fm) / (steps * steps)
            H[iu, ju] = (fpp - fpm - fmp + fmm) / (4 * hi * hj)
        H[ju, iu] = H[iu, ju]
    else:  # forward
        iu0, ju0 = np.triu_indices(n, k=0)
        c2 = np.stack([iu0, ju0], axis=1)
        cd = np.stack([diag, diag], axis=1)
        # diagonal pairs (i, i) move coordinate i by h twice: x + 2h e_i
        groups = [
            (cd, np.stack([steps, zeros], axis=1)),                   # x + h e_i
            (c2, np.stack([steps[iu0], steps[ju0]], axis=1)),         # x + h_i e_i + h_j e_j
            (np.zeros((1, 2), np.intp), np.zeros((1, 2), x.dtype)),  # x
        ]
        vals = evaluate(base_row, np.zeros(sum(len(c) for c, _ in groups), np.intp),
                        np.concatenate([c for c, _ in groups]),
                        np.concatenate([d for _, d in groups]))
        sizes = np.cumsum([len(c) for c, _ in groups])[:-1]
        f1, fij, f0 = np.split(vals, sizes)
        H = np.empty((n, n), dtype=np.result_type(vals.dtype, x.dtype))
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite f: nan/inf entries
            H[iu0, ju0] = (fij - f1[iu0] - f1[ju0] + f0) / (steps[iu0] * steps[ju0])
        H[ju0, iu0] = H[iu0, ju0]
    H = _finish(H.reshape(x.shape + x.shape), x.dtype)
    if not full_output:
        return H
    info = DiffInfo(error=np.full(np.shape(H), np.nan, dtype=np.asarray(H).dtype),
                    h=_finish(steps_shaped, x.dtype), nfev=evaluate.nfev,
                    ncalls=evaluate.ncalls, method=method)
    return H, info


def hessian_vector_product(grad: Callable, x, v, *, h=None, method: str = "central"):
    """Hessian-vector product ``H v`` by a finite difference of the gradient along v.

    ``central``: ``H v ~ (grad(x + h v) - grad(x - h v)) / (2h)``;
    ``forward``: ``H v ~ (grad(x + h v) - grad(x)) / h``.  Two (one) gradient
    evaluations whatever the dimension, which is what a power iteration for the
    largest curvature (a learning-rate finder) needs.

    Parameters
    ----------
    grad : callable
        ``grad(p) -> array of p's shape``.
    x, v : array_like
        The point and the direction, of the same shape.  Neither is modified.
    h : float, optional
        The step along v.  None: ``eps^(1/3) * max(1, ||x||_inf) / ||v||_inf``
        (``eps^(1/2)`` for forward), so the largest coordinate moves by about
        the central step of :func:`gradient`.
    method : {"central", "forward"}

    Returns
    -------
    ndarray of x's shape (zeros when v is zero, without calling grad)

    Examples
    --------
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> hessian_vector_product(lambda p: A @ p, [1.0, 1.0], [1.0, 0.0]).round(8).tolist()
    [2.0, 1.0]
    """
    method = _check_method(method, ("central", "forward"))
    if not callable(grad):
        raise DescendError(f"grad must be callable, got {grad!r}")
    x = _as_point(x)
    v = _as_point(v, "v")
    if v.shape != x.shape:
        raise DescendError(f"v must have the shape of x {x.shape}, got shape {v.shape}")
    dtype = np.result_type(x.dtype, v.dtype)
    x, v = x.astype(dtype, copy=False), v.astype(dtype, copy=False)
    vmax = float(np.max(np.abs(v)))
    if vmax == 0.0:
        return np.zeros_like(x)
    if h is None:
        eps = float(np.finfo(dtype).eps)
        power = 1 / 3 if method == "central" else 1 / 2
        h = eps ** power * max(1.0, float(np.max(np.abs(x)))) / vmax
    else:
        h = _explicit_steps(h, np.zeros((), dtype))[()]

    def g(p):
        out = np.asarray(grad(p))
        if out.shape != x.shape:
            raise DescendError(f"grad must return an array of x's shape {x.shape}, got shape {out.shape}")
        return out

    step = h * v
    if method == "central":
        gp, gm, d = g(x + step), g(x - step), 2 * h
    else:
        gp, gm, d = g(x + step), g(x.copy()), h
    with np.errstate(invalid="ignore", over="ignore"):  # a non-finite gradient gives nan/inf
        return ((gp - gm) / d).astype(dtype, copy=False)


# ----------------------------------------------------------------------------------------
# Tangent line
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TangentLine:
    """The line ``t -> slope * t + intercept`` touching f at ``x0``; call it like a function."""

    slope: float
    intercept: float
    x0: float

    def __call__(self, t):
        return self.slope * t + self.intercept

    def __repr__(self) -> str:
        return (f"TangentLine(slope={float(self.slope)!r}, intercept={float(self.intercept)!r}, "
                f"x0={float(self.x0)!r})")


def tangent_line(f: Callable, x0, *, method: str = "central", h=None) -> TangentLine:
    """The tangent of a scalar function at ``x0``, computed as in the study notes.

    ``d = derivative(f, x0)``, ``y = f(x0) - d * x0``, and the line is
    ``t -> d * t + y``.

    Parameters
    ----------
    f : callable
        A scalar function.
    x0 : float
        The point of contact.
    method, h
        As in :func:`derivative`.

    Returns
    -------
    TangentLine
        Callable, with ``.slope``, ``.intercept`` and ``.x0``.

    Examples
    --------
    >>> line = tangent_line(lambda x: 0.01 * x**2 + 0.1 * x, 5.0, h=1e-4)
    >>> line
    TangentLine(slope=0.1999999999990898, intercept=-0.24999999999544897, x0=5.0)
    >>> float(line(5.0)) == 0.01 * 5.0**2 + 0.1 * 5.0
    True
    """
    x = _as_point(x0, "x0")
    if x.ndim != 0:
        raise DescendError(f"x0 must be a scalar, got an array of shape {x.shape}")
    d = derivative(f, x[()], method=method, h=h)
    y = np.asarray(f(x[()]))
    if y.ndim != 0:
        raise DescendError(f"f must return a scalar, got an array of shape {y.shape}")
    return TangentLine(slope=d, intercept=y[()] - d * x[()], x0=x[()])


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
