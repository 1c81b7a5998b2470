"""Hessians and Hessian-vector products."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from ..errors import DescendError
from .evaluate import DiffInfo, Evaluator, complex_dtype, complex_guard, finish, refuse_complex_valued
from .steps import (HESSIAN_METHODS, as_point, check_method, explicit_steps, hessian_base_step,
                    representable, step_scale)

#: The most memory :func:`hessian` takes unless told otherwise (bytes): 1 GiB.
HESSIAN_MAX_MEMORY = 2 ** 30


#: ``richardson``: second differences at 13 steps ``16 c h / 2^k`` (k = 0..12, h = max(1, |x_i|) / 4):
#: 4 large ones (3.3 to 0.41 of the scale) and the 9 small ones the ladder had before (0.2 to
#: 1/1250; an explicit h: h to h / 256 alone) ...
_HESSIAN_STEPS = 13
#: ... c, so that no step is a round multiple of a simple period: from h = 1/4, steps 4, 2, 1
#: alias Rastrigin's cos(2 pi x) (period 1: every second difference of that term vanishes,
#: the windows agree and a wrong value, 394.8 for 396.8, looks sure).  pi / (e sqrt 2) = 0.8172
_HESSIAN_STEP_FACTOR = float(np.pi / (np.e * np.sqrt(2.0)))
#: ... the large steps, over windows of 4, 3 and 2 of them (fewer, larger steps: less round-off)
_HESSIAN_LARGE = 4
_HESSIAN_LARGE_WINDOWS = (4, 3, 2)
#: ... each believed as far as it agrees with the next two windows of its size ...
_HESSIAN_AGREE = 2
#: ... and taken only where that estimate is 10 times smaller than the small steps' and its value
#: within the small steps' error bar (where the two estimates are close the small steps' value
#: is the better one: with a factor 1, 89 of 100 random smooth functions within 1e-10, not 97)
_HESSIAN_MARGIN = 10.0
#: The small steps are extrapolated in h^2 over each window of 4 consecutive steps (three times:
#: truncation O(h^8)); a window of large steps suits a sum of many terms (its round-off eps |f| / h^2 is
#: small), one of small steps a fast-varying f; the error estimates choose, entry by entry.
_HESSIAN_WINDOW = 4


def _hessian_points(method: str, n: int) -> int:
    """Points at which :func:`hessian` evaluates f."""
    if method == "forward":
        return n + n * (n + 1) // 2 + 1
    if method == "richardson":
        return _HESSIAN_STEPS * (n * n + n + 1)  # 2n + n(n-1) + 1 points per step (automatic h)
    return 2 * n * n + 1  # central: 2n + 4 n(n-1)/2 + 1; complex: 2 n^2 + x itself


def _hessian_memory(method: str, n: int, dtype, vectorized: bool) -> int:
    """Bytes :func:`hessian` needs (tracemalloc agrees within a third): the (n, n)
    matrix, and per point evaluated its row, coordinates, deltas and value (about 400
    bytes of Python objects in a loop, 100 bytes of arrays vectorized), plus twice the
    whole (points, n) matrix handed to a vectorized f (f's own temporaries not counted)."""
    item = np.dtype(complex_dtype(dtype) if method == "complex" else dtype).itemsize
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


def _groups_values(evaluate, base_row, groups):
    """f at the points of each group (coordinates, deltas), split back into the groups."""
    vals = evaluate(base_row, np.zeros(sum(len(c) for c, _ in groups), np.intp),
                    np.concatenate([c for c, _ in groups]), np.concatenate([d for _, d in groups]))
    sizes = np.cumsum([len(c) for c, _ in groups])[:-1]
    return vals, np.split(vals, sizes)


def _center(dtype):
    return (np.zeros((1, 2), np.intp), np.zeros((1, 2), dtype))


def _complex_hessian(evaluate, base_row, steps):
    """Im[f(x + i h_i e_i + h_j e_j) - f(x + i h_i e_i - h_j e_j)] / (2 h_i h_j), symmetrized."""
    n = steps.size
    diag = np.arange(n)
    ii, jj = np.meshgrid(diag, diag, indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    coords = np.stack([ii, jj], axis=1)
    up = np.stack([1j * steps[ii], steps[jj]], axis=1)
    down = np.stack([1j * steps[ii], -steps[jj]], axis=1)
    # and x itself (+ 0i), to check that f is real-valued there
    vals, (fp, fm, f0) = _groups_values(evaluate, base_row, [(coords, up), (coords, down),
                                                             _center(up.dtype)])
    refuse_complex_valued(f0[0])
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite f: nan/inf entries
        H = ((fp - fm).imag / (2 * steps[ii] * steps[jj])).reshape(n, n)
        H = (H + H.T) / 2
    return H, None


def _central_hessian(evaluate, base_row, steps):
    """Central second differences; also the round-off bound eps-free: sum |w f| / (h_i h_j)."""
    n = steps.size
    diag = np.arange(n)
    iu, ju = np.triu_indices(n, k=1)
    zeros = np.zeros(n, dtype=steps.dtype)
    hi, hj = steps[iu], steps[ju]
    c2 = np.stack([iu, ju], axis=1)
    cd = np.stack([diag, diag], axis=1)
    vals, (fp, fm, fpp, fpm, fmp, fmm, f0) = _groups_values(evaluate, base_row, [
        (cd, np.stack([steps, zeros], axis=1)),     # x + h e_i
        (cd, np.stack([-steps, zeros], axis=1)),    # x - h e_i
        (c2, np.stack([hi, hj], axis=1)),           # x + h_i e_i + h_j e_j
        (c2, np.stack([hi, -hj], axis=1)),          # x + h_i e_i - h_j e_j
        (c2, np.stack([-hi, hj], axis=1)),          # x - h_i e_i + h_j e_j
        (c2, np.stack([-hi, -hj], axis=1)),         # x - h_i e_i - h_j e_j
        _center(steps.dtype),                       # x
    ])
    H = np.empty((n, n), dtype=np.result_type(vals.dtype, steps.dtype))
    mag = np.empty((n, n), dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite f: nan/inf entries
        H[diag, diag] = (fp - 2 * f0 + fm) / (steps * steps)
        H[iu, ju] = (fpp - fpm - fmp + fmm) / (4 * hi * hj)
        mag[diag, diag] = (np.abs(fp) + 2 * np.abs(f0) + np.abs(fm)) / (steps * steps)
        mag[iu, ju] = (np.abs(fpp) + np.abs(fpm) + np.abs(fmp) + np.abs(fmm)) / (4 * hi * hj)
    H[ju, iu] = H[iu, ju]
    mag[ju, iu] = mag[iu, ju]
    return H, mag


def _forward_hessian(evaluate, base_row, steps):
    """[f(x + h_i e_i + h_j e_j) - f(x + h_i e_i) - f(x + h_j e_j) + f(x)] / (h_i h_j)."""
    n = steps.size
    diag = np.arange(n)
    zeros = np.zeros(n, dtype=steps.dtype)
    iu0, ju0 = np.triu_indices(n, k=0)
    c2 = np.stack([iu0, ju0], axis=1)
    cd = np.stack([diag, diag], axis=1)
    # diagonal pairs (i, i) move coordinate i by h twice: x + 2h e_i
    vals, (f1, fij, f0) = _groups_values(evaluate, base_row, [
        (cd, np.stack([steps, zeros], axis=1)),                   # x + h e_i
        (c2, np.stack([steps[iu0], steps[ju0]], axis=1)),         # x + h_i e_i + h_j e_j
        _center(steps.dtype),                                     # x
    ])
    H = np.empty((n, n), dtype=np.result_type(vals.dtype, steps.dtype))
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite f: nan/inf entries
        H[iu0, ju0] = (fij - f1[iu0] - f1[ju0] + f0) / (steps[iu0] * steps[ju0])
    H[ju0, iu0] = H[iu0, ju0]
    return H, None


def _ladder_hessian(evaluate, base_row, steps):
    """Second differences along e_i and along e_i + e_j: n^2 + n + 1 points, half of central's.

    With ``D_i = f(x + h_i e_i) - 2 f(x) + f(x - h_i e_i)`` and ``D_ij`` the same along
    ``h_i e_i + h_j e_j``, ``H_ii = D_i / h_i^2`` and ``H_ij = (D_ij - D_i - D_j) / (2 h_i h_j)``;
    both expand in even powers of h alone, which Richardson's extrapolation needs.  Also the
    round-off bound without eps: ``sum |w f|`` over the values used, divided likewise.
    """
    n = steps.size
    diag = np.arange(n)
    iu, ju = np.triu_indices(n, k=1)
    zeros = np.zeros(n, dtype=steps.dtype)
    hi, hj = steps[iu], steps[ju]
    c2 = np.stack([iu, ju], axis=1)
    cd = np.stack([diag, diag], axis=1)
    vals, (fp, fm, fpp, fmm, f0) = _groups_values(evaluate, base_row, [
        (cd, np.stack([steps, zeros], axis=1)),     # x + h e_i
        (cd, np.stack([-steps, zeros], axis=1)),    # x - h e_i
        (c2, np.stack([hi, hj], axis=1)),           # x + h_i e_i + h_j e_j
        (c2, np.stack([-hi, -hj], axis=1)),         # x - h_i e_i - h_j e_j
        _center(steps.dtype),                       # x
    ])
    H = np.empty((n, n), dtype=np.result_type(vals.dtype, steps.dtype))
    mag = np.empty((n, n), dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite f: nan/inf entries
        d = fp - 2 * f0 + fm
        m = np.abs(fp) + 2 * np.abs(f0) + np.abs(fm)
        H[diag, diag] = d / (steps * steps)
        mag[diag, diag] = m / (steps * steps)
        H[iu, ju] = ((fpp - 2 * f0 + fmm) - d[iu] - d[ju]) / (2 * hi * hj)
        mag[iu, ju] = (np.abs(fpp) + 2 * np.abs(f0) + np.abs(fmm) + m[iu] + m[ju]) / (2 * hi * hj)
    H[ju, iu] = H[iu, ju]
    mag[ju, iu] = mag[iu, ju]
    return H, mag


def _romberg(values, ratio: float = 2.0):
    """Extrapolate values at steps h, h/r, h/r^2, ... in h^2: (last column, the one before)."""
    prev = last = list(values)
    for j in range(1, len(values)):
        r = ratio ** (2 * j)  # each column removes the next even power of h
        prev, last = [prev[i] + (prev[i] - prev[i - 1]) / (r - 1) for i in range(1, len(prev))], prev
    return prev[-1], last[-1]


def _romberg_gain(window: int) -> float:
    """sum |c_k| of the extrapolation as a combination of the window's values: what it does to round-off."""
    return float(np.sum(np.abs(_romberg(list(np.eye(window)))[0])))


def _window_errors(windows, level, gain, first):
    """Error estimate of each window (starting at level ``first``): the last extrapolation's
    change or (before the asymptotic regime, where that change under-reports) the distance to
    the nearer neighbouring window's value, plus the round-off of its smallest step."""
    values = [v for v, _ in windows]
    errors = []
    for s, (value, before) in enumerate(windows):
        near = np.min([np.abs(value - values[t]) for t in (s - 1, s + 1) if 0 <= t < len(values)], axis=0)
        e = np.maximum(np.abs(value - before), near) + gain * level[first + s + _HESSIAN_WINDOW - 1][1]
        errors.append(np.where(np.isfinite(e), e, np.inf))
    return errors


def _smallest(values, errors):
    best, err = values[0], errors[0]
    for value, e in zip(values[1:], errors[1:]):
        better = e < err
        best, err = np.where(better, value, best), np.where(better, e, err)
    return best, err


def _richardson_hessian(evaluate, base_row, steps, xf, auto, eps):
    """:func:`_ladder_hessian` at 13 steps ``16 c h / 2^k`` (h = max(1, |x_i|) / 4, c = 0.817...:
    :data:`_HESSIAN_STEP_FACTOR`), so from 3.3 down to 1/1250 of the scale.

    The 9 small steps (c h and below) are what the ladder was before: Romberg in h^2 over each
    window of 4 consecutive steps (truncation O(h^8)), each entry the window with the smallest
    error estimate (:func:`_window_errors`).  Then the windows of 4, 3 and 2 steps that start
    at one of the 4 large steps: such a window replaces that value only where (a) its distance
    to the next two windows of its size plus its round-off is 10 times smaller than the small
    steps' error estimate, and (b) its value lies within that estimate of the small steps'
    value; its error is then the larger of its estimate and that distance.  So a sum of many
    terms (Rosenbrock at n = 100 and |x| ~ 100, f ~ 1e11: f's rounding eps |f| / h^2 is shared
    by every entry) gets large steps, a fast-varying f keeps small ones, and a periodic term
    that a large step aliases (no step is a round multiple of a simple period, and where one
    is anyway its windows disagree with the small steps') cannot win.

    Round-off of a window: ``eps sum |w f| / (h_i h_j)`` at its smallest step, magnified by the
    extrapolation weights (:func:`_romberg_gain`) and by 10 for f's own rounding.  With an
    explicit h the ladder is h, h/2, ..., h/256 alone (9 steps), as given.
    """
    nlarge = _HESSIAN_LARGE if auto else 0  # an explicit h: the ladder h, h/2, ..., h/256, as given
    top = steps * (_HESSIAN_STEP_FACTOR * 2 ** _HESSIAN_LARGE) if auto else steps
    level = [None] * (_HESSIAN_STEPS - _HESSIAN_LARGE + nlarge)
    for k in range(nlarge, len(level)):  # the small steps first: f's own errors show there
        hk = top / 2 ** k
        if auto:
            hk = representable(xf, hk)
        level[k] = _ladder_hessian(evaluate, base_row, hk)
    first = nlarge  # the largest step evaluated
    # the large steps, smallest first, reach up to 3.3 max(1, |x_i|) from x: across 0 for every x,
    # out of the domain of a log or a sqrt where the small steps (0.2 max(1, |x_i|)) stay in it.
    # There f's nan values only lose their windows, its warnings are not shown, and where f
    # raises (math.log's ValueError) the steps from there up are left out: the 9-step ladder.
    for k in range(nlarge - 1, -1, -1):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                level[k] = _ladder_hessian(evaluate, base_row, representable(xf, top / 2 ** k))
        except DescendError:
            raise
        except (ArithmeticError, ValueError):
            break
        first = k
    W = _HESSIAN_WINDOW
    with np.errstate(invalid="ignore", over="ignore"):
        gain = 10 * _romberg_gain(W) * eps
        small = [_romberg([H for H, _ in level[s:s + W]]) for s in range(nlarge, len(level) - W + 1)]
        best, err = _smallest([v for v, _ in small], _window_errors(small, level, gain, nlarge))
        if first == nlarge:
            return best, err
        anchor, bar, score = best, err, err
        for size in _HESSIAN_LARGE_WINDOWS:
            g = 10 * _romberg_gain(size) * eps
            # each window that starts at a large step, and the next two (smaller steps)
            large = [None] * first + [_romberg([H for H, _ in level[s:s + size]])[0]
                                      for s in range(first, _HESSIAN_LARGE + _HESSIAN_AGREE)]
            for s in range(first, _HESSIAN_LARGE):
                value = large[s]
                e = np.max([np.abs(value - large[t]) for t in range(s + 1, s + 1 + _HESSIAN_AGREE)], axis=0)
                e = e + g * level[s + size - 1][1]
                e = np.where(np.isfinite(e), e, np.inf)
                gap = np.abs(value - anchor)
                take = (gap <= bar) & (_HESSIAN_MARGIN * e < score)  # on its own estimate, reported
                best, score = np.where(take, value, best), np.where(take, e, score)  # with the gap
                err = np.where(take, np.maximum(e, gap), err)
    return best, err


def _hessian_steps(method, x, h, step, scale):
    """The per-coordinate steps (flat), their x-shaped view, and whether they were automatic."""
    xf = x.reshape(-1)
    s = step_scale(x, step, scale).reshape(-1)
    if h is None:
        steps = (hessian_base_step(method, x.dtype) * s).astype(x.dtype)
        if method != "complex":
            steps = representable(xf, steps)
        return steps, steps.reshape(x.shape), True
    if scale is not None:
        raise DescendError("pass h (the step itself) or scale (what an automatic step is "
                           "proportional to), not both")
    shaped = explicit_steps(h, x)
    return np.ascontiguousarray(shaped).reshape(-1), shaped, False


def hessian(f: Callable, x, *, method: str | None = None, h=None, vectorized: bool = False,
            full_output: bool = False, max_memory=HESSIAN_MAX_MEMORY, step: str = "relative",
            scale=None):
    """Hessian ``H[i, j] = d^2 f / dx_i dx_j`` of a scalar function, from values of f alone.

    ==========  ===============================================================  =========
    method      formula (h_i, h_j the steps of coordinates i, j)                  step
    ==========  ===============================================================  =========
    central     [f(x+h_i e_i+h_j e_j) - f(x+h_i e_i-h_j e_j) - f(x-h_i e_i+h_j e_j)
                + f(x-h_i e_i-h_j e_j)] / (4 h_i h_j);  diagonal:
                [f(x+h e_i) - 2 f(x) + f(x-h e_i)] / h^2                            eps^(1/4)
    forward     [f(x+h_i e_i+h_j e_j) - f(x+h_i e_i) - f(x+h_j e_j) + f(x)] / (h_i h_j)  eps^(1/3)
    complex     Im[f(x + i h_i e_i + h_j e_j) - f(x + i h_i e_i - h_j e_j)] / (2 h_i h_j)  eps^(1/3)
    richardson  second differences along e_i and e_i + e_j (n^2 + n + 1 points)      1/4
                at 13 steps 13 h ... h / 313 (ratio 2; 13 = 16 pi / (e sqrt 2): no
                step a round multiple of the scale; 3.3 to 1/1250 of it),
                extrapolated in h^2 over windows of 4 steps (error O(h^8)), per
                entry the window with the smallest error estimate (one of the 4
                largest steps only where it agrees with the smaller steps'):
                1e-12 relative where central gives 1e-8
    ==========  ===============================================================  =========

    The default (``method=None``) is ``richardson`` when the step is chosen automatically
    (``h=None``): <= 1e-10 relative on smooth functions and on Rosenbrock at n = 100 to
    |x| ~ 100 (numdifftools' default: 1e-13 to 2e-12), for 13 (n^2 + n + 1) evaluations of f,
    6.5 times central's 2 n^2 + 1; with an explicit ``h`` it is ``central`` at that h, as
    given (and ``method="richardson"`` with an explicit h: the 9 steps h, h/2, ..., h/256).

    Steps are scaled by max(1, |x_i|) (see ``step`` and ``scale``) and made
    representable as for :func:`gradient`.  The result is exactly symmetric: the
    upper triangle is computed and mirrored (the complex formula is averaged with
    its transpose).

    Parameters
    ----------
    f : callable
        ``f(p) -> float`` for p of shape (n,); with ``vectorized=True``
        ``f(P) -> (m,)`` for P of shape (m, n), called once.
    x : array_like, shape (n,)
        The point (any shape works: the result has shape ``x.shape + x.shape``).
    method : str, optional
        One of :data:`HESSIAN_METHODS`; None: ``richardson`` without h, ``central`` with h.
    h : float or array_like, optional
        The step, one per coordinate allowed (for ``richardson`` the largest).
    vectorized, full_output : bool
        As in :func:`gradient`; ``info.error`` is the estimate of ``richardson``
        and nan for the other methods (no estimate).
    max_memory : float or None, default :data:`HESSIAN_MAX_MEMORY` (1 GiB)
        Refuse (before evaluating anything) when the matrix and the bookkeeping of its
        ``O(n^2)`` evaluations of f would take more bytes than this; the message says
        how many.  None: no limit.
    step, scale
        How an automatic step is scaled, per coordinate: see :func:`derivative`.

    Returns
    -------
    ndarray, shape (n, n), or (hessian, DiffInfo)

    Examples
    --------
    >>> hessian(lambda p: p[0]**2 * p[1], [1.0, 2.0]).round(6).tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    >>> rosen = lambda p: 100 * (p[1] - p[0]**2)**2 + (1 - p[0])**2
    >>> H, info = hessian(rosen, [-1.2, 1.0], full_output=True)
    >>> info.method, bool(np.all(np.abs(H - [[1330, 480], [480, 200]]) <= info.error)), int(info.nfev)
    ('richardson', True, 91)
    """
    method = ("richardson" if h is None else "central") if method is None else \
        check_method(method, HESSIAN_METHODS)
    x = as_point(x)
    xf = x.reshape(-1)
    n = xf.size
    _check_hessian_cost(method, n, x.dtype, vectorized, max_memory)
    steps, steps_shaped, auto = _hessian_steps(method, x, h, step, scale)
    evaluate = Evaluator(f, x.shape, vectorized=vectorized, method=method, out_shape=())
    base_row = xf.reshape(1, n)
    if method == "richardson":
        H, err = _richardson_hessian(evaluate, base_row, steps, xf, auto, float(np.finfo(x.dtype).eps))
    else:
        H, _ = {"complex": _complex_hessian, "central": _central_hessian,
                "forward": _forward_hessian}[method](evaluate, base_row, steps)
        err = None
    H = finish(H.reshape(x.shape + x.shape), x.dtype)
    if not full_output:
        return H
    if err is None:
        err = np.full(np.shape(H), np.nan, dtype=np.asarray(H).dtype)
    info = DiffInfo(error=finish(np.reshape(err, np.shape(H)), x.dtype),
                    h=finish(steps_shaped, x.dtype), nfev=evaluate.nfev,
                    ncalls=evaluate.ncalls, method=method)
    return H, info


#: The methods of :func:`hessian_vector_product`.
HVP_METHODS = ("central", "forward", "richardson", "complex")


def hessian_vector_product(grad: Callable, x, v, *, h=None, method: str = "central"):
    """Hessian-vector product ``H v`` by a finite difference of the gradient along v.

    ==========  ==============================================================  ========
    method      formula                                                         grads
    ==========  ==============================================================  ========
    central     (grad(x + h v) - grad(x - h v)) / (2h)                          2
    forward     (grad(x + h v) - grad(x)) / h                                   2
    richardson  central at h, h/2, h/4 extrapolated in h^2: error O(h^6)         6
    complex     Im grad(x + i h v) / h: no subtraction, to rounding (a grad      1
                written with NumPy operations that keep complex input complex)
    ==========  ==============================================================  ========

    A few gradient evaluations whatever the dimension, which is what a power
    iteration for the largest curvature (a learning-rate finder) needs.

    Parameters
    ----------
    grad : callable
        ``grad(p) -> array of p's shape``.
    x, v : array_like
        The point and the direction, of the same shape.  Neither is modified.
    h : float, optional
        The step along v.  None: ``eps^a * max(1, ||x||_inf) / ||v||_inf`` with
        a = 1/3 (central), 1/2 (forward), 1/7 (richardson, times 2); ``eps^2``
        for complex; so the largest coordinate moves by about the matching
        step of :func:`gradient`.
    method : str
        One of :data:`HVP_METHODS`.

    Returns
    -------
    ndarray of x's shape (zeros when v is zero, without calling grad)

    Examples
    --------
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> hessian_vector_product(lambda p: A @ p, [1.0, 1.0], [1.0, 0.0]).round(8).tolist()
    [2.0, 1.0]
    """
    method = check_method(method, HVP_METHODS)
    if not callable(grad):
        raise DescendError(f"grad must be callable, got {grad!r}")
    x = as_point(x)
    v = as_point(v, "v")
    if v.shape != x.shape:
        raise DescendError(f"v must have the shape of x {x.shape}, got shape {v.shape}")
    dtype = np.result_type(x.dtype, v.dtype)
    x, v = x.astype(dtype, copy=False), v.astype(dtype, copy=False)
    vmax = float(np.max(np.abs(v)))
    if vmax == 0.0:
        return np.zeros_like(x)
    if h is None:
        eps = float(np.finfo(dtype).eps)
        base = {"central": eps ** (1 / 3), "forward": eps ** (1 / 2), "complex": eps ** 2,
                "richardson": 2 * eps ** (1 / 7)}[method]
        h = base * max(1.0, float(np.max(np.abs(x)))) / vmax
    else:
        h = explicit_steps(h, np.zeros((), dtype))[()]

    def g(p):
        with complex_guard(method):
            out = np.asarray(grad(p))
        if out.shape != x.shape:
            raise DescendError(f"grad must return an array of x's shape {x.shape}, got shape {out.shape}")
        if method == "complex" and out.dtype.kind != "c":
            raise DescendError(f"method='complex' needs a grad that keeps complex input complex (NumPy "
                               f"operations, no float() or np.real); grad returned dtype {out.dtype}")
        return out

    with np.errstate(invalid="ignore", over="ignore"):  # a non-finite gradient gives nan/inf
        if method == "complex":
            refuse_complex_valued(g(x.astype(complex_dtype(dtype))))
            return (g(x + 1j * h * v).imag / h).astype(dtype, copy=False)
        if method == "forward":
            return ((g(x + h * v) - g(x.copy())) / h).astype(dtype, copy=False)
        steps = [h] if method == "central" else [h, h / 2, h / 4]
        T = [(g(x + s * v) - g(x - s * v)) / (2 * s) for s in steps]
        for j in range(1, len(T)):
            r = 4 ** j  # each column removes the next even power of h
            T = [T[i] + (T[i] - T[i - 1]) / (r - 1) for i in range(1, len(T))]
        return T[-1].astype(dtype, copy=False)
