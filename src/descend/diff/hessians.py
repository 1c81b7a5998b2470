"""Hessians and Hessian-vector products."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import DescendError
from .evaluate import DiffInfo, _complex_dtype, _Evaluator, _finish, _refuse_complex_valued
from .steps import (HESSIAN_METHODS, _as_point, _check_method, _explicit_steps, _hessian_base_step,
                    _representable, _scale)

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
