"""Where the Hessian of a second-order method comes from: the problem, ``hess=``, ``hessp=`` or finite differences."""

from __future__ import annotations

import numpy as np

from ..errors import DescendError

__all__ = ["HessianSource"]


class HessianSource:
    """The Hessian at a block of points, shape (k, n) -> (k, n, n), counting evaluations.

    In order of preference: ``hess`` (a callable: one point (n,) -> (n, n), or with
    ``vectorized`` (k, n) -> (k, n, n); a Problem's analytic Hessian is passed here),
    ``hessp`` (``hessp(x, p) -> H p``, called on the n unit vectors to build H: n
    products per point), else :func:`descend.hessian`, central differences of f.

    ``nhev`` counts Hessian evaluations per run, ``nfev`` the values of f that
    finite differences spent, per run.
    """

    def __init__(self, R, *, hess=None, hessp=None, vectorized=False, objective=None):
        if hess is not None and not callable(hess):
            raise DescendError(f"hess must be a callable or None, got {type(hess).__name__}")
        if hessp is not None and not callable(hessp):
            raise DescendError(f"hessp must be a callable or None, got {type(hessp).__name__}")
        self.hess, self.hessp, self.vectorized, self.objective = hess, hessp, vectorized, objective
        self.nhev = np.zeros(R, dtype=np.int64)
        self.nhvp = np.zeros(R, dtype=np.int64)  # Hessian-vector products (truncated CG)
        self.nfev = np.zeros(R, dtype=np.int64)
        self.kind = "hess" if hess is not None else ("hessp" if hessp is not None else "finite differences")

    def __call__(self, X, rows):
        k, n = X.shape
        self.nhev[rows] += 1
        if self.hess is not None:
            return self._from_hess(X)
        if self.hessp is not None:
            return self._from_hessp(X)
        return self._finite_differences(X, rows)

    def hvp(self, x, v, row):
        """``H(x) v`` for one point, from ``hessp`` (counted per run)."""
        self.nhvp[row] += 1
        out = np.asarray(self.hessp(x.copy(), v.copy()), dtype=float).reshape(-1)
        if out.shape != v.shape:
            raise DescendError(f"hessp must return shape {v.shape} (H times a vector), got shape {out.shape}")
        return out

    def _from_hess(self, X):
        k, n = X.shape
        if self.vectorized:
            H = np.asarray(self.hess(X.copy()), dtype=float)
            if H.shape != (k, n, n):
                raise DescendError(f"with vectorized=True hess must return shape {(k, n, n)}, got shape {H.shape}")
            return H
        H = np.empty((k, n, n))
        for i, x in enumerate(X):
            h = np.asarray(self.hess(x.copy()), dtype=float)
            if h.shape != (n, n):
                raise DescendError(f"hess must return shape ({n}, {n}) for one point, got shape {h.shape}")
            H[i] = h
        return H

    def _from_hessp(self, X):
        k, n = X.shape
        H = np.empty((k, n, n))
        eye = np.eye(n)
        for i, x in enumerate(X):
            for j in range(n):
                col = np.asarray(self.hessp(x.copy(), eye[j].copy()), dtype=float).reshape(-1)
                if col.shape != (n,):
                    raise DescendError(f"hessp must return shape ({n},) (H times a vector), got shape {col.shape}")
                H[i, :, j] = col
        return 0.5 * (H + np.swapaxes(H, 1, 2))  # exactly symmetric, whatever rounding hessp had

    def _finite_differences(self, X, rows):
        from ..diff import hessian

        obj = self.objective
        k, n = X.shape
        H = np.empty((k, n, n))
        for i, x in enumerate(X):
            counter = [0]
            fn = obj._counted_f(counter)
            # central, as before hessian's default became richardson: Newton needs only a few digits of H,
            # and richardson costs 4.5x the evaluations
            H[i] = hessian(fn, x.copy(), vectorized=obj.vectorized, h=obj.h, method="central")
            self.nfev[rows[i]] += counter[0]
        return H
