"""A problem's f and gradient written once: for a batch of rows (NumPy) and for one row (numba).

A definition is plain arithmetic on numbers: ``+ - * /``, Python floats, ``np.sin``,
``np.cos``, ``np.sqrt``, ``np.pi``, the names :data:`exp`, :data:`expm1` and :data:`where`
of this module, and helper functions written the same way.  The same text runs on the
columns of a batch (NumPy arrays) and, compiled by :mod:`descend.jit.kernels`, on the
numbers of one row, in the same order of operations, so the two give the same bits
(``exp``, ``expm1`` and ``where`` are NumPy's here and their compiled twins there; a sum
along a row is NumPy's pairwise sum in both).  Three shapes:

* :class:`Columns`: a problem of one or two variables, ``f(x, y) -> value`` and
  ``grad(x, y) -> (gx, gy)``.
* :class:`Sum`: a problem of n variables made of sums over its coordinates:
  f = outer(sum_i t1(x_i), sum_i t2(x_i), ..., n) and gradient_i = grad(x_i, c1, c2, ...)
  with (c1, c2, ...) = scalars(sum_i g1(x_i), ..., n).
* :class:`Chain`: f = sum_{i < n-1} term(x_i, x_{i+1}); the gradient from
  ``grad_pair(x_i, x_{i+1}) -> (d/dx_i, d/dx_{i+1})`` of each term.

Parameters (``params=("a", "b")``) come last in every function's arguments: Python floats
for a batch, the problem's numbers ``P`` for a row.  A problem whose math is not
elementwise (NumPy's matrix products go through OpenBLAS, whose rounding depends on how
many rows it multiplies) says so with :func:`numpy_only` beside its factory.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Columns", "Sum", "Chain", "definitions", "numpy_only", "NUMPY_ONLY", "exp", "expm1", "where"]

#: NumPy's exp, expm1 and where for a batch (the compiled rows call NumPy's own exp and expm1 loops).
exp, expm1, where = np.exp, np.expm1, np.where

_DEFINITIONS: dict = {}

#: problem name -> why it has no definition here (its f and gradient are NumPy code of its factory)
NUMPY_ONLY: dict[str, str] = {}


def definitions() -> dict:
    """Problem name -> its definition (:class:`Columns`, :class:`Sum` or :class:`Chain`), in the order written."""
    return dict(_DEFINITIONS)


def numpy_only(name: str, why: str) -> None:
    """Record that the problem ``name`` has no definition in this notation, and why."""
    NUMPY_ONLY[name] = why


class _Definition:
    kind = ""

    def __init__(self, name: str, params=()):
        if name in _DEFINITIONS:
            raise ValueError(f"problem {name!r} is defined twice")
        self.name, self.params = name, tuple(params)
        _DEFINITIONS[name] = self

    def functions(self) -> dict:
        """Role -> the function written for it (what the compiled rows are made of)."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"


class Columns(_Definition):
    """f and gradient of a problem of ``dim`` named variables, one column each."""

    kind = "columns"

    def __init__(self, name: str, f, grad, dim: int, params=()):
        super().__init__(name, params)
        self.f, self.grad, self.dim = f, grad, dim

    def functions(self) -> dict:
        return {"f": self.f, "grad": self.grad}

    def numpy(self, *values):
        """(f, grad) for a batch ``(..., dim)``, with the parameters' ``values``."""
        f, grad = self.f, self.grad
        if self.dim == 1 and not values:
            def f_batch(x):
                return f(x[..., 0])

            def grad_batch(x):
                return grad(x)[0]  # the (..., 1) column in, the (..., 1) gradient out
        elif self.dim == 1:
            def f_batch(x):
                return f(x[..., 0], *values)

            def grad_batch(x):
                return grad(x, *values)[0]
        elif self.dim == 2:
            def f_batch(x):
                return f(x[..., 0], x[..., 1], *values)

            def grad_batch(x):
                return np.stack(grad(x[..., 0], x[..., 1], *values), axis=-1)
        else:
            def f_batch(x):
                return f(*(x[..., j] for j in range(self.dim)), *values)

            def grad_batch(x):
                return np.stack(grad(*(x[..., j] for j in range(self.dim)), *values), axis=-1)
        return f_batch, grad_batch


class Sum(_Definition):
    """f = outer(sum_i t(x_i) for t in terms, n) and gradient_i = grad(x_i, *scalars(sum_i g(x_i) for g in
    grad_terms, n)); without ``outer`` f is the one sum, without ``grad_terms`` gradient_i = grad(x_i)."""

    kind = "sum"

    def __init__(self, name: str, terms, grad, outer=None, grad_terms=(), grad_scalars=None, params=()):
        super().__init__(name, params)
        self.terms, self.outer, self.grad = tuple(terms), outer, grad
        self.grad_terms, self.grad_scalars = tuple(grad_terms), grad_scalars

    def functions(self) -> dict:
        out = {f"term{k}": t for k, t in enumerate(self.terms)}
        out.update({f"grad_term{k}": t for k, t in enumerate(self.grad_terms)})
        out.update(outer=self.outer, grad=self.grad, grad_scalars=self.grad_scalars)
        return {k: v for k, v in out.items() if v is not None}

    def numpy(self, *values):
        terms, outer, grad = self.terms, self.outer, self.grad
        grad_terms, grad_scalars = self.grad_terms, self.grad_scalars

        if len(terms) == 1 and outer is None:
            term, = terms

            def f_batch(x):
                return np.sum(term(x, *values), axis=-1)
        elif len(terms) == 1:
            term, = terms

            def f_batch(x):
                return outer(np.sum(term(x, *values), axis=-1), x.shape[-1], *values)
        else:
            def f_batch(x):
                sums = [np.sum(t(x, *values), axis=-1) for t in terms]
                return sums[0] if outer is None else outer(*sums, x.shape[-1], *values)

        if not grad_terms:
            return f_batch, (grad if not values else lambda x: grad(x, *values))

        def grad_batch(x):
            sums = [np.sum(t(x, *values), axis=-1) for t in grad_terms]
            scalars = grad_scalars(*sums, x.shape[-1], *values)
            return grad(x, *(c[..., None] for c in scalars), *values)  # one number per row, along the row

        return f_batch, grad_batch


class Chain(_Definition):
    """f = sum_{i < n-1} term(x_i, x_{i+1}); gradient = the first parts of grad_pair at 0..n-2, plus
    the second parts at 1..n-1."""

    kind = "chain"

    def __init__(self, name: str, term, grad_pair, params=()):
        super().__init__(name, params)
        self.term, self.grad_pair = term, grad_pair

    def functions(self) -> dict:
        return {"term": self.term, "grad_pair": self.grad_pair}

    def numpy(self, *values):
        term, grad_pair = self.term, self.grad_pair

        def f_batch(x):
            return np.sum(term(x[..., :-1], x[..., 1:], *values), axis=-1)

        def grad_batch(x):
            first, second = grad_pair(x[..., :-1], x[..., 1:], *values)
            g = np.zeros_like(x)  # filled in place: no concatenation in the hot loop of a batch
            g[..., :-1] = first
            g[..., 1:] += second
            return g

        return f_batch, grad_batch
