"""What every driver of :func:`descend.minimize` shares: the objective, the option checks, the runs' state.

The first-order loop (:mod:`descend.first_order`), the second-order and quasi-Newton loop
(:mod:`descend.methods.driver`) and the compiled loop (:mod:`descend.jit`) all see f and its
gradient through :class:`Objective` (rows in, values and gradients out, evaluations
counted), check x0 and the common options the same way, and hand a callback the same
:class:`State`.
"""

from __future__ import annotations

import numpy as np

from .errors import DescendError, check_positive

__all__ = ["FD_METHODS", "Objective", "resolve_problem", "check_x0", "check_options", "not_real", "row_norms",
           "finite_rows", "at_rows", "State", "callback_state", "callback_stops", "Runs"]

FD_METHODS = ("forward", "backward", "central", "five-point", "complex", "richardson")


class Objective:
    """f and its gradient on a block of rows, with shape checks and evaluation counts.

    Points are always handed in as an (k, n) array; ``scalar`` means the user's f takes
    a plain number (x0 was 0-d).
    """

    def __init__(self, f, grad, *, vectorized, scalar, method, h):
        self.f, self.grad, self.vectorized, self.scalar = f, grad, vectorized, scalar
        self.method, self.h = method, h

    # -- f ---------------------------------------------------------------------------
    def _point(self, row):
        return row[0] if self.scalar else row.copy()  # a copy: f can never touch our iterate

    def values(self, X):
        """f at every row of X, shape (k,)."""
        if self.vectorized:
            out = np.asarray(self.f(X[:, 0].copy() if self.scalar else X.copy()))
            if out.dtype.kind not in "iuf":
                raise not_real("f", out)
            if out.shape != (X.shape[0],):
                raise DescendError(
                    f"with vectorized=True f must return one value per row, shape ({X.shape[0]},); "
                    f"got shape {out.shape}")
            return out.astype(np.result_type(out.dtype, np.float64), copy=False)
        out = np.empty(X.shape[0])
        for i, row in enumerate(X):
            v = self.f(self._point(row))
            if type(v) is not float and not isinstance(v, np.floating):  # the common case checked first
                if np.ndim(v) != 0:
                    raise DescendError(f"f must return a scalar for one point, got an array of shape {np.shape(v)}")
                if np.asarray(v).dtype.kind not in "iuf":
                    raise not_real("f", v)
            out[i] = v
        return out

    # -- gradient --------------------------------------------------------------------
    def _counted_f(self, counter):
        """The user's f as the finite-difference module sees it, counting points evaluated."""
        f, scalar = self.f, self.scalar

        if self.vectorized:
            def fv(P):
                counter[0] += P.shape[0]
                return f(P[:, 0]) if scalar else f(P)
            return fv

        def f1(p):
            counter[0] += 1
            return f(p[0]) if scalar else f(p)
        return f1

    def gradients(self, X):
        """(G, f-evaluations per row) at every row of X."""
        k, n = X.shape
        if self.grad is None:
            from .diff import gradient

            counter = [0]
            G = gradient(self._counted_f(counter), X, method=self.method, h=self.h, vectorized=self.vectorized)
            return np.asarray(G, dtype=X.dtype).reshape(k, n), counter[0] // k
        if self.vectorized:
            G = np.asarray(self.grad(X[:, 0].copy() if self.scalar else X.copy()))
            if G.dtype.kind not in "iuf":
                raise not_real("grad", G)
            G = G.reshape(k, 1) if self.scalar and G.shape == (k,) else G
            if G.shape != (k, n):
                raise DescendError(f"with vectorized=True grad must return shape {(k, n)}, got shape {G.shape}")
            return G, 0
        G = np.empty_like(X)
        for i, row in enumerate(X):
            g = np.asarray(self.grad(self._point(row)))
            if g.dtype.kind not in "iuf":
                raise not_real("grad", g)
            if g.size != n or (g.ndim > 1):
                raise DescendError(f"grad must return shape ({n},) for one point, got shape {g.shape}")
            G[i] = g.reshape(n)
        return G, 0


def not_real(what: str, value) -> DescendError:
    """f (or grad) gave something that is not real numbers: None, a string, a complex number."""
    arr = np.asarray(value)
    got = repr(arr.item()) if arr.ndim == 0 else f"an array of dtype {arr.dtype}"
    return DescendError(f"{what} must return real numbers (int or float), got {got}")


def resolve_problem(f, x0, grad, vectorized):
    from .problems import Problem

    if isinstance(f, Problem):
        if x0 is None:
            x0 = f.x0
        if grad is None:
            grad = f.grad
        return f.f, x0, grad, True, f.name
    if not callable(f):
        raise DescendError(f"f must be a callable or a descend Problem, got {type(f).__name__}")
    if x0 is None:
        raise DescendError("x0 is required when f is a plain function (a Problem brings its own start)")
    return f, x0, grad, vectorized, getattr(f, "__name__", "f")


def check_x0(x0):
    try:
        arr = np.asarray(x0)
    except Exception:
        raise DescendError(f"x0 must be a number, an (n,) or an (R, n) array, got {x0!r}") from None
    if arr.dtype.kind not in "iuf":  # True/False are not coordinates
        raise DescendError(f"x0 must hold real numbers (int or float), got dtype {arr.dtype}")
    if arr.ndim > 2:
        raise DescendError(f"x0 must be a number, an (n,) point or an (R, n) batch of starts, got shape {arr.shape}")
    if arr.size == 0:
        raise DescendError(f"x0 must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DescendError(f"x0 must be finite, got {np.array2string(arr, threshold=6)}")
    dtype = arr.dtype if arr.dtype.kind == "f" else np.float64
    return arr.astype(dtype)


def at_rows(fn, X, rows, shape):
    """``fn`` at the chosen rows of X only (nan elsewhere): f may not even accept inf."""
    out = np.full(shape, np.nan)
    if rows.any():
        out[rows] = fn(X[rows])
    return out


def row_norms(G):
    """Euclidean norm of each row; for the few columns of a test problem a loop over the
    columns beats a reduction along a short axis."""
    if G.shape[1] > 8:
        return np.sqrt(np.einsum("ij,ij->i", G, G))
    sq = G[:, 0] * G[:, 0]
    for j in range(1, G.shape[1]):
        sq += G[:, j] * G[:, j]
    return np.sqrt(sq)


def finite_rows(X):
    """Which rows are all finite (one flat check in the common case that all are)."""
    if np.isfinite(X).all():
        return np.ones(X.shape[0], dtype=bool)
    return np.all(np.isfinite(X), axis=1)


def _unknown_grad(grad) -> str:
    return f"unknown gradient method {grad!r}; valid: {', '.join(FD_METHODS)} or a callable"


def check_options(grad, max_growth, history, h, callback, unknown_grad=_unknown_grad):
    """Check the options every path of minimize takes alike (``unknown_grad`` words an unknown
    gradient method's name); the finite-difference method and the gradient (a callable or None)."""
    if max_growth is not None:
        check_positive("max_growth", max_growth)
    if history not in (True, False, "f"):
        raise DescendError(f"history must be True, False or 'f', got {history!r}")
    method = "central"
    if isinstance(grad, str):
        if grad not in FD_METHODS:
            raise DescendError(unknown_grad(grad))
        method, grad = grad, None
    elif grad is not None and not callable(grad):
        raise DescendError(f"grad must be None, a method name or a callable, got {type(grad).__name__}")
    if h is not None:
        check_positive("h", h)
    if callback is not None and not callable(callback):
        raise DescendError(f"callback must be callable, got {type(callback).__name__}")
    return method, grad


class State:
    """What a callback sees after each step."""

    __slots__ = ("x", "fun", "grad_norm", "nit")

    def __init__(self, x, fun, grad_norm, nit):
        self.x, self.fun, self.grad_norm, self.nit = x, fun, grad_norm, nit

    def __repr__(self):
        return f"State(nit={self.nit}, fun={self.fun})"


def callback_state(X, F, gnorm, nit, scalar, batched):
    """The :class:`State` a callback gets: arrays for a batch, plain numbers for a single run."""
    if batched:
        return State(X.copy(), F.copy(), gnorm.copy(), nit.copy())
    return State(float(X[0, 0]) if scalar else X[0].copy(), float(F[0]), float(gnorm[0]), int(nit[0]))


def callback_stops(callback, runs, scalar, batched) -> bool:
    """The callback phase: call it with the runs' :class:`State`; True (or StopIteration) stops."""
    try:
        return bool(callback(callback_state(runs.X, runs.F, runs.gnorm, runs.nit, scalar, batched)))
    except StopIteration:
        return True


class Runs:
    """The explicit state of R runs: iterate, value, gradient and its norm, counters, statuses.

    ``X``, ``F``, ``G`` and ``gnorm`` are replaced, never written in place, once the loop
    starts: the history keeps references to them.
    """

    def __init__(self, X, F, G, gnorm, nfev, ngev):
        R = X.shape[0]
        self.X, self.F, self.G, self.gnorm = X, F, G, gnorm
        self.F0 = F.copy()
        self.nfev, self.ngev = nfev, ngev
        self.nit = np.zeros(R, dtype=np.int64)
        self.status = np.full(R, "max_steps", dtype=object)
        self.reason = [None] * R  # (message key, numbers) of the runs that ended early
        self.active = np.ones(R, dtype=bool)

    def stop(self, rows, status, key, **numbers):
        """End the runs ``rows`` with ``status``; their message is ``MESSAGES[key]`` with ``numbers``."""
        for i in np.atleast_1d(rows):
            self.status[i] = status
            self.reason[i] = (key, dict(numbers))
            self.active[i] = False
