"""Evaluating f at perturbed points, counting evaluations; the complex-step guards; DiffInfo."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.exceptions import ComplexWarning

from ..errors import DescendError

def complex_dtype(dtype):
    """The complex dtype of the complex step for a real ``dtype`` (complex64 for float32 and below)."""
    return np.result_type(dtype, np.complex64)


@contextmanager
def complex_guard(method: str):
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


def refuse_complex_valued(f0) -> None:
    """The complex step reads f' from Im f(x + ih): meaningless when f(x) is complex already."""
    imag = np.abs(np.imag(f0))
    if np.any(imag > 0):
        at = np.unravel_index(int(np.argmax(imag)), np.shape(imag)) if np.ndim(imag) else ()
        value = np.asarray(f0)[at].item()
        raise DescendError(
            f"method='complex' needs a real-valued f (the derivative is read from Im f(x + ih)); "
            f"f(x) = {value!r} is complex: use method='central' (or differentiate the real and "
            f"imaginary parts separately)")


def check_kind(y: np.ndarray, method: str, where) -> None:
    """f returned numbers (complex ones for the complex step); ``where()`` names the point."""
    if y.dtype.kind not in "biufc":
        raise DescendError(f"f must return numbers, got dtype {y.dtype} at {where()}")
    if method == "complex" and y.dtype.kind != "c":
        raise DescendError(
            f"method='complex' needs an f that keeps complex input complex (NumPy ufuncs, no "
            f"float(), abs() or np.real); f returned dtype {y.dtype} at {where()}")


# ----------------------------------------------------------------------------------------
# Evaluating f at perturbed points
# ----------------------------------------------------------------------------------------

class Evaluator:
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
        with complex_guard(self.method):
            y = np.asarray(self.f(points.reshape((m,) + self.point_shape)))
        self.ncalls += 1
        check_kind(y, self.method, lambda: "the perturbed points")
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
            with complex_guard(self.method):
                for k, (r, cs, ds) in enumerate(zip(rows.tolist(), coords.tolist(), deltas.tolist())):
                    point = rows_c[r].copy()  # a fresh array for every point
                    for c, d in zip(cs, ds):
                        point[c] += d  # x_i + delta: one float add
                    arg = point if plain else (point.reshape(shape) if shape else point[0])
                    self.nfev += 1
                    y = np.asarray(f(arg))
                    self.ncalls += 1
                    check_kind(y, self.method, lambda: where(k))
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
        (see :func:`richardson`).
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
    nit : int or ndarray or None
        Iterations (steps tried) of ``method="adaptive"`` (per element); None otherwise.
    status : str or ndarray or None
        ``method="adaptive"`` (per element): ``"converged"`` (the error estimate met
        ``atol + rtol |value|``), ``"max_iter"`` (maxiter steps without that),
        ``"error_increased"`` (the estimate grew again after falling: round-off
        took over; the best earlier value is returned), ``"nonfinite"`` (f was nan
        or inf at a stencil point).  None for the other methods.
    checked : str or ndarray or None
        ``method="complex"``, first derivatives (per entry): ``"passed"`` (the complex step
        agreed with real values of f at central's step and is returned), ``"central"`` (it
        did not: f keeps a complex type without being analytic, e.g. ``x * conj(x)``, and
        the central difference is returned, with its error and step) or ``"unchecked"``
        (f was nan or inf at the check's real points; the complex step is returned).
        None for the other methods.
    """

    error: object
    h: object
    nfev: int
    ncalls: int
    method: str
    nit: object = None
    status: object = None
    checked: object = None

    @property
    def success(self):
        """Whether the adaptive method converged (per element); None for the other methods."""
        if self.status is None:
            return None
        ok = np.asarray(self.status) == "converged"
        return bool(ok) if ok.ndim == 0 else ok

    def __repr__(self) -> str:
        def short(v):
            a = np.asarray(v)
            if a.ndim == 0:
                return f"{a[()]:.3g}"
            top = np.nanmax(a) if np.any(~np.isnan(a)) else np.nan
            return f"array(shape={a.shape}, max={top:.3g})"
        extra = ""
        if self.status is not None:
            st = np.asarray(self.status)
            shown = repr(str(st[()])) if st.ndim == 0 else \
                "{" + ", ".join(f"{k}: {int(np.sum(st == k))}" for k in np.unique(st)) + "}"
            extra = f", nit={short(self.nit)}, status={shown}"
        if self.checked is not None:
            ck = np.asarray(self.checked)
            extra += ", checked=" + (repr(str(ck[()])) if ck.ndim == 0 else
                                     "{" + ", ".join(f"{k}: {int(np.sum(ck == k))}" for k in np.unique(ck)) + "}")
        return (f"DiffInfo(method={self.method!r}, error={short(self.error)}, h={short(self.h)}, "
                f"nfev={self.nfev}, ncalls={self.ncalls}{extra})")


def _result_dtype(x_dtype, D):
    if D.dtype.kind == "c":
        return complex_dtype(x_dtype)
    return x_dtype


def finish(D, x_dtype):
    """A derivative as returned: in the result dtype for ``x_dtype``, a scalar for a 0-d array."""
    D = np.asarray(D).astype(_result_dtype(x_dtype, np.asarray(D)), copy=False)
    return D[()] if D.ndim == 0 else D
