"""Derivatives, gradients, Jacobians and tangent lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import DescendError
from .evaluate import DiffInfo, _check_kind, _complex_dtype, _complex_guard, _Evaluator, _finish
from .stencils import _combine, _plan
from .steps import _as_point, _base_step, _check_method, _steps

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
