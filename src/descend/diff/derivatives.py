"""Derivatives, gradients, Jacobians and tangent lines."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import DescendError
from .contour import CONTOUR_RADII, contour_derivative
from .evaluate import DiffInfo, Evaluator, check_kind, complex_dtype, complex_guard, finish, refuse_complex_valued
from .extrapolation import ADAPTIVE_DEPTH, adaptive, adaptive_start
from .stencils import check_accuracy, check_order, combine, plan_points, stencil
from .steps import DERIVATIVE_METHODS, as_point, base_step, check_method, coordinate_steps, representable

def _first_derivatives(evaluate: Evaluator, x2: np.ndarray, h2: np.ndarray, auto: bool,
                       method: str, full_output: bool):
    """Derivatives along every coordinate of every row of x2 (K, N).

    Returns D of shape (K, N, *O) (O the shape of f's values), the error estimate
    (None unless full_output), the steps used and the complex step's check (or None).
    """
    K, N = x2.shape
    plan, center = plan_points(method, h2, auto, x2, full_output)
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
    return combine(method, F, plan, h2, shaped, float(np.finfo(x2.dtype).eps), full_output)


def derivative(f: Callable, x, *, n: int = 1, method: str | None = None, h=None, accuracy=None,
               step: str = "relative", scale=None, atol=None, rtol=None, maxiter=None,
               step_factor=None, full_output: bool = False):
    """Derivative of order n of a scalar function, elementwise over an array of points.

    ===========  ==============================================================
    method       what it computes
    ===========  ==============================================================
    central      a central stencil (Fornberg's weights, :func:`stencil`) of the
                 given ``accuracy`` (default 2; for n = 1 exactly the formula of
                 the module docstring), step ``eps^(1/(n + accuracy))``
    forward,     one-sided stencils of ``n + accuracy`` points (default
    backward     accuracy 1), for a function defined on one side only
    five-point   central with accuracy 4
    complex      ``Im f(x + ih) / h`` for n = 1; for other n the Cauchy integral
                 on a circle of 16 points, radius ``scale`` halved until the error
                 estimate stops falling (f analytic, real on the reals: exp to
                 1e-13 at n = 5)
    richardson   the fixed 8-step Romberg scheme of the module docstring (n = 1)
    adaptive     tolerance-driven: central stencils at a step shrinking by
                 ``step_factor`` from the optimum of the extrapolated stencil,
                 Richardson across the steps, until the error estimate is below
                 ``atol + rtol |f^(n)|`` or stops decreasing; ``full_output``
                 gives the estimate, the iterations and a status, as
                 ``scipy.differentiate.derivative`` does
    ===========  ==============================================================

    Parameters
    ----------
    f : callable
        ``f(x) -> y`` for a scalar x; when ``x`` is an array f must work
        elementwise (NumPy ufuncs do), and one derivative per element is returned.
        f is called once per stencil point, each time with the whole array.
    x : float or array_like
        Where to differentiate.  Never modified.
    n : int
        The order of the derivative, >= 0 (0 returns f(x)).
    method : str, optional
        One of :data:`DERIVATIVE_METHODS` (see the table).  None (the default): ``central``
        for n = 1, and for n >= 2 with an explicit ``h`` or ``accuracy``; ``adaptive`` for
        n >= 2 otherwise (accuracy 2, 6, 8, 8, 6 and step factor 2, 1.5, 1.2, 1.25, 1.25 for
        n = 2 to 6, four Richardson columns at n = 6), whose extrapolation across steps gives
        1e-11 at n = 2, 4e-10 at n = 3 and 4, 4e-9 at n = 5 and 6e-8 at n = 6 at worst on
        smooth functions at points of size 1 (the central stencil of accuracy 2 at its
        balanced step: 1.5e-7 at n = 3).
    h : float or array_like, optional
        The step (one per element allowed; for ``adaptive`` the first step).  None
        picks :func:`default_step`'s rule; an explicit h is used exactly as given.
    accuracy : int, optional
        The order of the truncation error of the stencil: even for ``central``
        (default 2) and ``adaptive`` (default per order, with its step factor: see
        ``method``), >= 1 for ``forward``/``backward`` (default 1).
    step : {"relative", "absolute"}
        An automatic step is proportional to ``max(scale, |x|)`` ("relative", the
        default: right for functions varying on the scale of 1 or of |x|) or to
        ``scale`` alone ("absolute": right where f varies much faster than |x|
        suggests, e.g. exp at -700, whose relative step is 700 times too large).
    scale : float or array_like, optional
        The length on which f varies (default 1), per element allowed; e.g.
        ``scale=1e-6`` for a Coulomb potential near 1e-6.
    atol, rtol : float, optional
        ``adaptive`` only: stop when the error estimate is <= ``atol + rtol |value|``;
        defaults 0 and ``sqrt(eps)`` (scipy's atol, the smallest normal number, would
        accept 4 digits of exp' at -700, which is about 1e-304).
    maxiter : int, optional
        ``adaptive`` only: the most steps tried (default 24 at step factor 2: from the
        first step, a fraction of |x|, down to 1/8e6 of it, so that sin'' at 1000 reaches
        sin's own scale; scipy's 10 stops short where a pole is near; a smaller factor
        takes as many steps as shrink the step as much, 89 at 1.2).
    step_factor : float, optional
        ``adaptive`` only: the factor > 1 by which the step shrinks (default 2; without
        an ``accuracy``, the order's own: 1.5, 1.2, 1.25, 1.25 for n = 3 to 6).
    full_output : bool
        Also return a :class:`DiffInfo` (error estimate, step, evaluations; for
        ``adaptive`` also ``nit`` and ``status``).

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

    The fifth derivative of exp at 1 to a tolerance, with an honest error estimate:

    >>> d, info = derivative(np.exp, 1.0, n=5, method="adaptive", accuracy=8, rtol=1e-7,
    ...                      full_output=True)
    >>> str(info.status), bool(abs(d - np.e) <= info.error <= 1e-7 * np.e), int(info.nfev)
    ('converged', True, 60)
    """
    method = check_method(_default_method(n, h, accuracy) if method is None else method,
                          DERIVATIVE_METHODS)
    n = check_order(n)
    depth = ADAPTIVE_DEPTH
    if method == "adaptive" and accuracy is None:  # the tuned stencil, ladder and tableau
        tuned = _DEFAULT_ADAPTIVE[min(max(n, 2), 6)]
        accuracy, depth = tuned.get("accuracy", 2), tuned.get("depth", depth)
        step_factor = tuned.get("step_factor") if step_factor is None else step_factor
    tol = _check_adaptive_options(method, x, atol, rtol, maxiter, step_factor)
    if method == "adaptive":
        return _adaptive_derivative(f, x, n=n, accuracy=check_accuracy(accuracy, "central"), h=h,
                                    step=step, scale=scale, full_output=full_output, depth=depth,
                                    **tol)
    kind, acc = _stencil_of(method, n, accuracy)
    if kind is None:  # the named first-derivative formulas of the module docstring
        return first_derivative(f, x, method=method, h=h, full_output=full_output, step=step, scale=scale)
    if kind == "contour":
        return _contour_derivative(f, x, n=n, h=h, step=step, scale=scale, full_output=full_output)
    return _stencil_derivative(f, x, n=n, kind=kind, accuracy=acc, h=h, step=step, scale=scale,
                               full_output=full_output)


def _default_method(n, h, accuracy) -> str:
    """The method that ``method=None`` means for this order."""
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 2 \
            and h is None and accuracy is None:
        return "adaptive"
    return "central"


#: ``method="adaptive"`` without an accuracy (and ``method=None`` for n >= 2): the stencil
#: accuracy, step factor and tableau depth per order (n = 1 as n = 2, n > 6 as n = 6), measured on exp, sin, cos, log, 1/x, x^7, atan, sqrt and
#: exp(-x^2) at 0.7 to 1.42 times points of size 1 (tests/test_diff_accuracy.py): higher-order
#: stencils at a finer ladder of steps pay from n = 3 on; at n = 6 accuracy 8 reaches too far
#: (its stencil spans +-7 steps) for atan, whose poles are 1.2 away, and a fourth column of
#: Richardson does better (worst 1.03e-7 against 1.41e-7 at depth 3).
_DEFAULT_ADAPTIVE = {2: {}, 3: {"accuracy": 6, "step_factor": 1.5},
                     4: {"accuracy": 8, "step_factor": 1.2}, 5: {"accuracy": 8, "step_factor": 1.25},
                     6: {"accuracy": 6, "step_factor": 1.25, "depth": 4}}


_NAMED_ACCURACY = {"forward": 1, "backward": 1, "central": 2, "five-point": 4, "complex": 2,
                   "richardson": None}


def _stencil_of(method: str, n: int, accuracy):
    """(kind, accuracy) of the Fornberg stencil to use, or (None, None) for the named formula."""
    if method == "complex" and n != 1:
        if accuracy is not None:
            raise DescendError(f"accuracy applies to the stencil methods (central, forward, backward, "
                               f"adaptive), not to method='complex'; got accuracy={accuracy!r}")
        return "contour", None
    if method in ("complex", "richardson"):
        if n != 1:
            raise DescendError(
                f"method={method!r} gives first derivatives only (n=1), got n={n}; for n={n} use "
                f"method='adaptive' (tolerance-driven) or method='central' with an accuracy")
        if accuracy is not None and accuracy != _NAMED_ACCURACY[method]:
            raise DescendError(f"accuracy applies to the stencil methods (central, forward, backward, "
                               f"adaptive), not to method={method!r}; got accuracy={accuracy!r}")
        return None, None
    if method == "five-point":
        if accuracy is not None and accuracy != 4:
            raise DescendError(f"method='five-point' is the central stencil of accuracy 4, got "
                               f"accuracy={accuracy!r}: use method='central' with accuracy={accuracy!r}")
        kind, acc = "central", 4
    else:
        kind = method
        acc = check_accuracy(_NAMED_ACCURACY[method] if accuracy is None else accuracy, kind)
    if n == 1 and acc == _NAMED_ACCURACY[method]:
        return None, None
    return kind, acc


def _check_adaptive_options(method, x, atol, rtol, maxiter, step_factor) -> dict:
    given = [name for name, v in (("atol", atol), ("rtol", rtol), ("maxiter", maxiter),
                                  ("step_factor", step_factor)) if v is not None]
    if method != "adaptive":
        if given:
            raise DescendError(f"{', '.join(given)} apply to method='adaptive' only, got "
                               f"method={method!r}")
        return {}
    dtype = np.asarray(x).dtype if np.asarray(x).dtype.kind == "f" else np.dtype(np.float64)
    out = {}
    for name, v, default in (("atol", atol, 0.0),
                             ("rtol", rtol, float(np.sqrt(np.finfo(dtype).eps)))):
        v = default if v is None else v
        if isinstance(v, bool) or not (np.ndim(v) == 0 and np.isreal(v) and np.isfinite(v) and v >= 0):
            raise DescendError(f"{name} must be a finite number >= 0, got {v!r}")
        out[name] = float(v)
    factor = 2.0 if step_factor is None else step_factor
    if isinstance(factor, bool) or not (np.ndim(factor) == 0 and np.isreal(factor)
                                        and np.isfinite(factor) and factor > 1):
        raise DescendError(f"step_factor must be a finite number > 1, got {factor!r}")
    out["factor"] = float(factor)
    # 24 steps at factor 2 shrink the step 2^23 times; a smaller factor takes as many as shrink
    # it as much (sin's 4th derivative at 1000 with factor 1.2 stopped at max_iter after 24)
    maxiter = 1 + math.ceil(23 * math.log(2) / math.log(out["factor"]) - 1e-9) if maxiter is None \
        else maxiter
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise DescendError(f"maxiter must be an integer >= 1, got {maxiter!r}")
    out["maxiter"] = int(maxiter)
    return out


class _Pointwise:
    """Calls an elementwise f at ``x + delta`` (a fresh array each time), counting calls."""

    def __init__(self, f, x: np.ndarray, method: str, quiet: bool = False):
        if not callable(f):
            raise DescendError(f"f must be callable, got {f!r}")
        self.f, self.x, self.method, self.calls = f, x, method, 0
        # the adaptive method probes large steps on purpose: f's nan/inf there (log of a
        # negative number) is data, reported as a status, not a warning
        self.errstate = dict(invalid="ignore", divide="ignore", over="ignore") if quiet else {}

    def __call__(self, delta, what):
        x = self.x
        point = x + delta  # a new array: x_i + delta_i, one float add per element
        with complex_guard(self.method), np.errstate(**self.errstate):
            y = np.asarray(self.f(point[()] if point.ndim == 0 else point))
        self.calls += 1
        check_kind(y, self.method, lambda: what)
        if y.shape != x.shape:
            if x.ndim == 0:
                raise DescendError(f"f must return a scalar, got an array of shape {y.shape}")
            raise DescendError(f"f must work elementwise: for x of shape {x.shape} it returned "
                               f"shape {y.shape}")
        return y


def _shown(checked):
    """The complex step's check as DiffInfo keeps it: a str for one value, else an array."""
    if checked is None:
        return None
    checked = np.asarray(checked)
    return str(checked[()]) if checked.ndim == 0 else checked.astype(str)


def _where(x, delta) -> str:
    return f"x + {np.asarray(delta).item()!r}" if x.ndim == 0 else "x + h"


def first_derivative(f, x, *, method, h, full_output, step="relative", scale=None):
    """The gradient of f at x by a fixed-step method of :data:`~descend.diff.steps.METHODS`, or (D, DiffInfo)."""
    if not callable(f):
        raise DescendError(f"f must be callable, got {f!r}")
    x = as_point(x)
    steps, auto = coordinate_steps(method, x, h, base_step(method, x.dtype), step, scale)
    plan, center = plan_points(method, steps, auto, x, full_output)
    call = _Pointwise(f, x, method)
    F = {key: call(delta, _where(x, delta)) for key, delta in plan}
    if center:  # the complex step's f(x) is taken at x + 0i: f must keep complex input complex
        zero = np.zeros(x.shape, complex_dtype(x.dtype)) if method == "complex" else np.zeros_like(x)
        F[0] = call(zero, "x")
    D, err, used, checked = combine(method, F, plan, steps, lambda a: a, float(np.finfo(x.dtype).eps),
                                    full_output)
    D = finish(D, x.dtype)
    if not full_output:
        return D
    info = DiffInfo(error=finish(err, x.dtype), h=finish(used, x.dtype),
                    nfev=call.calls, ncalls=call.calls, method=method, checked=_shown(checked))
    return D, info


def _apply(st, values: dict, h, n: int, mult: int = 1):
    """``sum_j w_j f(x + c_j m h) / (m h)^n`` over the nonzero weights, and ``sum |w_j f_j| / (m h)^n``."""
    acc = mag = 0
    hn = (mult * h) ** n
    # f's inf at a step that overflowed (exp at -700 + 5 h, h = 370) sums to nan: the adaptive
    # method takes that as a step outside f's domain, without a warning
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for c, w in zip(st.offsets, st.weights):
            if w != 0:
                fv = values[c * mult]
                acc = acc + w * fv
                mag = mag + abs(w) * np.abs(fv)
        return acc / hn, mag / hn


def _stencil_derivative(f, x, *, n, kind, accuracy, h, step, scale, full_output):
    """Any order and accuracy from Fornberg's weights; error estimate from the stencil at 2h."""
    if not callable(f):
        raise DescendError(f"f must be callable, got {f!r}")
    x = as_point(x)
    st = stencil(n, accuracy, kind=kind)
    eps = float(np.finfo(x.dtype).eps)
    # truncation ~ h^accuracy against round-off ~ eps / h^n
    steps, _ = coordinate_steps(kind, x, h, eps ** (1.0 / (n + accuracy)), step, scale)
    call = _Pointwise(f, x, kind)
    keys = [c for c, w in zip(st.offsets, st.fractions) if w != 0]
    if full_output:
        keys += [2 * c for c in keys if 2 * c not in keys]
    values = {c: call(c * steps, _where(x, c * steps)) for c in keys}
    D, mag = _apply(st, values, steps, n)
    D = finish(D, x.dtype)
    if not full_output:
        return D
    D2, _ = _apply(st, values, steps, n, mult=2)
    with np.errstate(invalid="ignore", over="ignore"):
        # Richardson's estimate of the truncation error (doubled for safety), plus round-off
        err = 2 * np.abs(D - D2) / (2 ** accuracy - 1) + eps * mag
    return D, DiffInfo(error=finish(err, x.dtype), h=finish(steps, x.dtype), nfev=call.calls,
                       ncalls=call.calls, method=kind)


def _contour_derivative(f, x, *, n, h, step, scale, full_output):
    """method='complex' for n != 1: the Cauchy integral on circles of shrinking radius."""
    x = as_point(x)
    eps = float(np.finfo(x.dtype).eps)
    r0, auto = coordinate_steps("complex", x, h, 1.0, step, scale)
    call = _Pointwise(f, x, "complex")
    first = []

    def evaluate(z):
        values = np.stack([call(zk, "x + r exp(2 pi i k / N)") for zk in z])
        if not first:  # z[0] = x + r is real: f must be real there
            refuse_complex_valued(values[0])
            first.append(True)
        return values

    value, err, used, nfev = contour_derivative(evaluate, np.asarray(r0, dtype=x.dtype), n, eps,
                                                radii=CONTOUR_RADII if auto else 1)
    value = finish(value, x.dtype)
    if not full_output:
        return value
    return value, DiffInfo(error=finish(err, x.dtype), h=finish(used, x.dtype), nfev=nfev,
                           ncalls=call.calls, method="complex")


def _adaptive_derivative(f, x, *, n, accuracy, h, step, scale, full_output, atol, rtol, maxiter,
                         factor, depth=ADAPTIVE_DEPTH):
    if not callable(f):
        raise DescendError(f"f must be callable, got {f!r}")
    x = as_point(x)
    st = stencil(n, accuracy, kind="central")
    eps = float(np.finfo(x.dtype).eps)
    reach = max(max(st.offsets), 1)  # the first stencil spans +-reach * h0
    h0, auto = coordinate_steps("adaptive", x, h, max(
        adaptive_start(n, accuracy, factor, depth, eps) / reach,
        # four D's where truncation is still 1000 times the round-off: the rate test needs them
        factor ** 3 * (1e3 * eps) ** (1.0 / (n + accuracy))), step, scale)
    if auto and factor == 2:
        # powers of two: every step of the halving sequence and every multiple c h of it is
        # exact, and so is x + c h (x's last bits are not rounded away), so the values are
        # f's own rounding only, which is what the round-off bound assumes
        h0 = np.exp2(np.round(np.log2(h0))).astype(x.dtype)
    call = _Pointwise(f, x, "adaptive", quiet=True)
    moved = [c for c, w in zip(st.offsets, st.fractions) if w != 0 and c != 0]
    center = {0: call(np.zeros_like(x), "x")} if 0 in st.offsets and st.fractions[st.offsets.index(0)] else {}

    def level(k):
        hk = h0 / factor ** k
        if auto:
            hk = representable(x, hk)
        values = dict(center)
        for c in moved:
            values[c] = call(c * hk, _where(x, c * hk))
        D, mag = _apply(st, values, hk, n)
        return D, eps * mag, hk, len(moved) + (len(center) if np.ndim(k) == 0 and k == 0 else 0)

    value, err, used, nit, nfev, status = adaptive(level, x.shape, accuracy=accuracy, factor=factor,
                                                   atol=atol, rtol=rtol, maxiter=maxiter, eps=eps,
                                                   depth=depth)
    value = finish(value, x.dtype)
    if not full_output:
        return value
    status = status[()] if status.ndim == 0 else status.astype(str)
    info = DiffInfo(error=finish(err, x.dtype), h=finish(used, x.dtype), nfev=finish(nfev, nfev.dtype),
                    ncalls=call.calls, method="adaptive", nit=finish(nit, nit.dtype), status=status)
    return value, info


def gradient(f: Callable, x, *, method: str = "central", h=None, vectorized: bool = False,
             full_output: bool = False, batch: bool = True, step: str = "relative", scale=None):
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
    step, scale
        How an automatic step is scaled, per coordinate: see :func:`derivative`.

    Returns
    -------
    ndarray of x's shape (a scalar for x of shape ()), or (gradient, DiffInfo)

    Examples
    --------
    >>> gradient(lambda p: np.sum(p**2), np.array([3.0, 4.0]), h=1e-4).round(6).tolist()
    [6.0, 8.0]
    """
    method = check_method(method)
    x = as_point(x)
    if x.ndim >= 2 and batch:
        point_shape = x.shape[-1:]
        x2 = x.reshape(-1, x.shape[-1])
    else:
        point_shape = x.shape
        x2 = x.reshape(1, -1)
    steps, auto = coordinate_steps(method, x, h, base_step(method, x.dtype), step, scale)
    h2 = np.ascontiguousarray(steps).reshape(x2.shape)
    evaluate = Evaluator(f, point_shape, vectorized=vectorized, method=method, out_shape=())
    D, err, used, checked = _first_derivatives(evaluate, x2, h2, auto, method, full_output)
    D = finish(D.reshape(x.shape), x.dtype)
    if not full_output:
        return D
    info = DiffInfo(error=finish(err.reshape(x.shape), x.dtype),
                    h=finish(np.reshape(used, x.shape), x.dtype),
                    nfev=evaluate.nfev, ncalls=evaluate.ncalls, method=method,
                    checked=None if checked is None else _shown(checked.reshape(x.shape)))
    return D, info


def jacobian(f: Callable, x, *, method: str = "central", h=None, vectorized: bool = False,
             full_output: bool = False, step: str = "relative", scale=None):
    """Jacobian ``J[i, j] = d f_i / d x_j`` of a vector function.

    Parameters
    ----------
    f : callable
        ``f(p) -> (m,)`` for a point p of x's shape; with ``vectorized=True``
        ``f(P) -> (k, m)`` for k points stacked, shape (k, n), called once.
    x : array_like, shape (n,)
        The point (any shape works: the result then has shape ``f(x).shape + x.shape``).
    method, h, full_output, step, scale
        As in :func:`gradient`.

    Returns
    -------
    ndarray, shape (m, n), or (jacobian, DiffInfo)

    Examples
    --------
    >>> jacobian(lambda p: np.array([p[0] * p[1], p[0] + p[1]]), [2.0, 3.0]).round(8).tolist()
    [[3.0, 2.0], [1.0, 1.0]]
    """
    method = check_method(method)
    x = as_point(x)
    x2 = x.reshape(1, -1)
    steps, auto = coordinate_steps(method, x, h, base_step(method, x.dtype), step, scale)
    h2 = np.ascontiguousarray(steps).reshape(x2.shape)
    evaluate = Evaluator(f, x.shape, vectorized=vectorized, method=method, out_shape=None)
    D, err, used, checked = _first_derivatives(evaluate, x2, h2, auto, method, full_output)
    # D has shape (1, n, *out): move the coordinate axis last -> out + x.shape
    out_shape = D.shape[2:]

    def arrange(a):
        return np.moveaxis(a[0], 0, -1).reshape(out_shape + x.shape)

    J = finish(arrange(D), x.dtype)
    if not full_output:
        return J
    # Richardson (and the complex step where it falls back to central) picks its step per
    # entry of J; the other methods use one step per coordinate
    used = arrange(np.broadcast_to(used, D.shape)) if method in ("richardson", "complex") else steps
    info = DiffInfo(error=finish(arrange(err), x.dtype), h=finish(used, x.dtype),
                    nfev=evaluate.nfev, ncalls=evaluate.ncalls, method=method,
                    checked=None if checked is None else _shown(arrange(checked)))
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
    x = as_point(x0, "x0")
    if x.ndim != 0:
        raise DescendError(f"x0 must be a scalar, got an array of shape {x.shape}")
    d = derivative(f, x[()], method=method, h=h)
    y = np.asarray(f(x[()]))
    if y.ndim != 0:
        raise DescendError(f"f must return a scalar, got an array of shape {y.shape}")
    return TangentLine(slope=d, intercept=y[()] - d * x[()], x0=x[()])
