"""Test functions for optimizers: the seeds' examples and the classic benchmark landscapes.

Each problem is a :class:`Problem`: the function ``f``, its analytic gradient
``grad`` (and ``hessian`` where it is easy), a default start ``x0``, the known
global minimizers and minimum, and a plotting window.  Get one by name::

    >>> from descend import problems
    >>> p = problems.get("rosenbrock")
    >>> p
    Problem('rosenbrock', n=2, a=1.0, b=100.0; dim=2, minimum=0.0, x0=[-1.2  1. ])
    >>> float(p(p.minimizers[0]))
    0.0

or call the factory of the same name (``problems.rosenbrock(n=5)``).
:func:`names` lists them all.

Conventions shared by every problem
-----------------------------------
* ``f`` takes one point of shape ``(n,)`` and returns a scalar, or a batch of
  shape ``(m, n)`` (any leading axes) and returns shape ``(m,)``.  ``grad``
  returns the shape it was given; ``hessian`` adds a trailing ``(n, n)``.
  A 1-D problem (``n = 1``) also takes a 0-d scalar.
* The formulas work along the last axis with plain arithmetic (``x*x``, never
  ``abs`` or ``maximum``) and analytic NumPy functions, so they accept complex
  input and the complex-step derivative of :mod:`descend.diff` applies.
* Integer input is computed in float64; the caller's array is never written to.
* A point of the wrong dimension raises :class:`~descend.errors.DescendError`
  naming the expected dimension and the shape given.

References
----------
The benchmark functions, their domains and their minima follow
S. Surjanovic and D. Bingham, *Virtual Library of Simulation Experiments*
(https://www.sfu.ca/~ssurjano/optimization.html), and M. Jamil and X.-S. Yang,
"A literature survey of benchmark functions for global optimization problems",
Int. J. Math. Modelling and Numerical Optimisation 4(2), 2013.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .errors import DescendError, check_choice, check_finite_array, unknown_name

__all__ = [
    "Problem", "get", "names", "from_expression",
    "poly1d", "parabola", "sphere", "least_squares", "quadratic", "ill_conditioned",
    "elongated_bowl", "rosenbrock", "beale", "himmelblau", "booth", "matyas",
    "three_hump_camel", "six_hump_camel", "goldstein_price", "rastrigin", "ackley",
    "styblinski_tang", "saddle",
]


# --------------------------------------------------------------------------- the Problem type

class _PointFunction:
    """``f``, ``grad`` or ``hessian`` of a problem, checking the point's shape before the math.

    ``kind`` says what comes back: ``"value"`` (the point's leading shape),
    ``"grad"`` (the point's shape) or ``"hessian"`` (leading shape + ``(n, n)``).
    """

    __slots__ = ("fn", "dim", "problem", "kind")

    def __init__(self, fn: Callable, dim: int, problem: str, kind: str):
        self.fn, self.dim, self.problem, self.kind = fn, dim, problem, kind

    def __call__(self, x):
        x = np.asarray(x)
        if x.dtype.kind in "biu":
            x = x.astype(np.float64)
        elif x.dtype.kind not in "fc":
            raise DescendError(f"{self.problem}: x must be an array of real or complex numbers, "
                               f"got dtype {x.dtype}")
        scalar = x.ndim == 0 and self.dim == 1  # a 1-D problem also takes a plain number
        if scalar:
            x = x.reshape(1)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise DescendError(f"{self.problem} is a function of {self.dim} variable"
                               f"{'s' if self.dim != 1 else ''}: x must have shape ({self.dim},) "
                               f"or (m, {self.dim}), got shape {x.shape}")
        out = self.fn(x)
        if scalar and self.kind == "grad":
            return out.reshape(())[()]
        if scalar and self.kind == "hessian":
            return out.reshape(1, 1)
        return out

    def __repr__(self):
        return f"<{self.kind} of {self.problem!r}, dim={self.dim}>"


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)  # a private copy, so freezing it never touches the caller's array
    a.setflags(write=False)
    return a


def _freeze_param(v):
    return _readonly(v) if isinstance(v, np.ndarray) else v


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Problem:
    """A test function with its gradient, a start, its known minimizers and a plotting window.

    Parameters
    ----------
    name : str
        Registered name (or any label for a home-made problem).
    f : callable
        The objective: ``(n,) -> scalar`` and ``(m, n) -> (m,)``.
    grad : callable
        Its analytic gradient: ``(n,) -> (n,)`` and ``(m, n) -> (m, n)``.
    x0 : array_like, shape (n,)
        The default start.
    minimizers : array_like, shape (k, n)
        The known global minimizers; shape ``(0, n)`` when unknown or not unique.
    minimum : float
        The known global minimum; ``nan`` when unknown.
    window : tuple or None
        Plotting window: ``((xlo, xhi), (ylo, yhi))`` for 2-D problems,
        ``((lo, hi),)`` for 1-D problems, ``None`` otherwise.
    description : str
        One line, with the formula.
    log_levels : bool
        Whether contour levels of ``f - minimum`` should be log-spaced (the range is wide).
    hessian : callable or None
        Analytic Hessian ``(n,) -> (n, n)`` and ``(m, n) -> (m, n, n)``, where it is easy.
    domain : array_like, shape (n, 2), optional
        Per-coordinate box ``[lo, hi]`` for random starts (the literature's search
        domain); defaults to the window's box, or ``x0 +- max(1, |x0|)``.
    params : mapping, optional
        The parameters the problem was built with (shown by ``repr``).

    ``f``, ``grad`` and ``hessian`` are wrapped so that a point of the wrong
    dimension raises :class:`~descend.errors.DescendError`; the arrays are
    stored as read-only float64 copies (copy ``x0`` before updating it in place).
    A problem made by :func:`get` or a factory pickles as its name and arguments,
    so it can be sent to worker processes.
    """

    name: str
    f: Callable
    grad: Callable
    x0: np.ndarray
    minimizers: np.ndarray
    minimum: float
    window: tuple | None
    description: str
    log_levels: bool = False
    hessian: Callable | None = None
    domain: np.ndarray | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        if not isinstance(self.name, str) or not self.name:
            raise DescendError(f"name must be a non-empty string, got {self.name!r}")
        x0 = check_finite_array("x0", self.x0, ndim=(1,))
        if x0.dtype.kind == "c":
            raise DescendError(f"x0 must be real, got dtype {x0.dtype}")
        n = x0.shape[0]
        set_("x0", _readonly(x0))
        mins = np.asarray(self.minimizers, dtype=np.float64)
        if mins.size == 0:
            mins = np.empty((0, n))
        if mins.ndim != 2 or mins.shape[1] != n:
            raise DescendError(f"minimizers must have shape (k, {n}) to match x0 of shape ({n},), "
                               f"got shape {mins.shape}")
        if not np.all(np.isfinite(mins)):
            raise DescendError(f"minimizers must be finite, got {mins}")
        set_("minimizers", _readonly(mins))
        try:
            minimum = float(self.minimum)
        except (TypeError, ValueError):
            raise DescendError(f"minimum must be a number (nan when unknown), got {self.minimum!r}") from None
        set_("minimum", minimum)
        set_("window", _check_window(self.window, n))
        for field in ("f", "grad"):
            fn = getattr(self, field)
            if not callable(fn):
                raise DescendError(f"{field} must be callable, got {fn!r}")
            set_(field, _wrap(fn, n, self.name, "value" if field == "f" else "grad"))
        if self.hessian is not None:
            if not callable(self.hessian):
                raise DescendError(f"hessian must be callable or None, got {self.hessian!r}")
            set_("hessian", _wrap(self.hessian, n, self.name, "hessian"))
        set_("domain", _readonly(_check_domain(self.domain, self.window, x0)))
        set_("log_levels", bool(self.log_levels))
        set_("params", types.MappingProxyType({k: _freeze_param(v) for k, v in dict(self.params).items()}))

    @property
    def dim(self) -> int:
        """Number of variables n."""
        return self.x0.shape[0]

    def __call__(self, x):
        """``f(x)``."""
        return self.f(x)

    def distance_to_minimizer(self, x):
        """Euclidean distance from ``x`` to the nearest known global minimizer.

        Parameters
        ----------
        x : array_like, shape (n,) or (R, n)
            One point or a batch (a 0-d number for a 1-D problem).

        Returns
        -------
        float or ndarray of shape (R,)
            ``nan`` where no minimizer is known.
        """
        x = np.asarray(x, dtype=np.float64)
        scalar = x.ndim == 0 and self.dim == 1
        if scalar:
            x = x.reshape(1)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise DescendError(f"{self.name}: x must have shape ({self.dim},) or (R, {self.dim}), "
                               f"got shape {x.shape}")
        if self.minimizers.shape[0] == 0:
            d = np.full(x.shape[:-1], np.nan)
        else:
            diff = x[..., None, :] - self.minimizers  # (..., k, n)
            d = np.sqrt(np.min(np.sum(diff * diff, axis=-1), axis=-1))
        return float(d) if d.ndim == 0 else d

    def __reduce_ex__(self, protocol):
        # f and grad are closures, which pickle cannot store; a registered problem is rebuilt
        # from its name and arguments instead (the factories are deterministic), so problems
        # can be sent to worker processes.  A home-made one pickles field by field.
        recipe = getattr(self, "_recipe", None)
        if recipe is not None:
            return (_rebuild, recipe)
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["params"] = dict(self.params)  # a read-only mapping proxy does not pickle; a dict does
        return (_from_fields, (fields,))

    def __repr__(self):
        params = "".join(f", {k}={_short(v)}" for k, v in self.params.items())
        x0 = np.array2string(self.x0, threshold=6, precision=4)
        return f"Problem({self.name!r}{params}; dim={self.dim}, minimum={self.minimum!r}, x0={x0})"


def _from_fields(fields: dict) -> Problem:
    """A home-made problem rebuilt from its pickled fields (f and grad must pickle themselves)."""
    return Problem(**fields)


def _short(v) -> str:
    if isinstance(v, np.ndarray):
        return np.array2string(v, threshold=6, precision=4, separator=", ").replace("\n", "")
    return repr(v)


def _wrap(fn: Callable, n: int, name: str, kind: str) -> _PointFunction:
    if isinstance(fn, _PointFunction):  # dataclasses.replace: re-check with the new dimension
        fn = fn.fn
    return _PointFunction(fn, n, name, kind)


def _check_window(window, n: int):
    if window is None:
        return None
    try:
        w = np.asarray(window, dtype=np.float64)
    except (TypeError, ValueError):
        raise DescendError(f"window must be ((lo, hi), ...) with one pair per variable, got {window!r}") from None
    if n > 2 or w.shape != (n, 2):
        raise DescendError(f"window must be ((lo, hi),) for 1-D or ((xlo, xhi), (ylo, yhi)) for 2-D problems "
                           f"and None otherwise; got {window!r} for dim={n}")
    if not (np.all(np.isfinite(w)) and np.all(w[:, 0] < w[:, 1])):
        raise DescendError(f"window must have finite lo < hi in every pair, got {window!r}")
    return tuple((float(lo), float(hi)) for lo, hi in w)


def _check_domain(domain, window, x0: np.ndarray) -> np.ndarray:
    n = x0.shape[0]
    if domain is None:
        if window is not None:
            return np.asarray(window, dtype=np.float64)
        half = np.maximum(1.0, np.abs(x0))
        return np.stack([x0 - half, x0 + half], axis=-1)
    d = np.asarray(domain, dtype=np.float64)
    if d.shape == (2,):
        d = np.tile(d, (n, 1))
    if d.shape != (n, 2) or not np.all(np.isfinite(d)) or not np.all(d[:, 0] < d[:, 1]):
        raise DescendError(f"domain must be (lo, hi) or an ({n}, 2) array of finite lo < hi, got {domain!r}")
    return d


# --------------------------------------------------------------------------- registry and checks

_REGISTRY: dict[str, Callable[..., Problem]] = {}


def _register(factory):
    """Register ``factory`` under its name; the problems it builds remember how, so they pickle."""
    @functools.wraps(factory)
    def build(*args, **kwargs):
        problem = factory(*args, **kwargs)
        object.__setattr__(problem, "_recipe", (factory.__name__, args, kwargs))
        return problem

    _REGISTRY[factory.__name__] = build
    return build


def _rebuild(name: str, args: tuple, kwargs: dict) -> Problem:
    return _REGISTRY[name](*args, **kwargs)


def names() -> list[str]:
    """The registered problem names, sorted."""
    return sorted(_REGISTRY)


def get(name: str, **params) -> Problem:
    """Build the registered problem ``name`` with ``params`` (see its factory for them).

    Raises
    ------
    DescendError
        For an unknown name (the message lists :func:`names`), an unknown
        parameter (the message lists the valid ones) or an invalid value.
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        raise DescendError(unknown_name("problem", name, names()))
    factory = _REGISTRY[name]
    valid = list(inspect.signature(factory).parameters)
    unknown = [k for k in params if k not in valid]
    if unknown:
        raise DescendError(f"problem {name!r} has no parameter {', '.join(map(repr, unknown))}; "
                           f"valid: {', '.join(valid) if valid else '(none)'}")
    return factory(**params)


def from_expression(text: str, variables=("x", "y"), *, x0=None, window=None, name: str = "expression") -> Problem:
    """The problem of a typed formula, e.g. ``from_expression("x**2/20 + y**2")``.

    The one parser of the explorer, the CLI and the API (:mod:`descend.expression`):
    the text becomes an allowed syntax tree (numbers, the variables, ``+ - * / **``,
    unary minus, parentheses, the functions of :data:`descend.expression.FUNCTIONS`
    and the constants pi and e), evaluated with NumPy; it is never executed.  The
    gradient and Hessian are the tree's symbolic derivatives.

    Parameters
    ----------
    text : str
        The formula, Python syntax (``**`` for powers), at most 400 characters.
    variables : ("x", "y") or ("x",)
        f(x, y) (a 2-D problem) or f(x) (1-D).
    x0 : array_like, optional
        The start; default a sixth of the window in from its upper-left corner
        (``(-2, 2)`` for the default window), two thirds along it in 1-D.
    window : tuple, optional
        The plotting window; default ``(-3, 3)`` per variable.
    name : str
        The problem's name.

    Returns
    -------
    Problem
        With no known minimizers (minimum nan) and ``params = {"expression": text}``.

    Raises
    ------
    DescendError
        For a formula outside the allowed syntax: the message names what is not
        allowed and shows what is.

    Examples
    --------
    >>> p = from_expression("(1 - x)**2 + 100*(y - x**2)**2")
    >>> float(p([1.0, 1.0])), bool((p.grad([1.0, 1.0]) == 0).all())
    (0.0, True)
    """
    from .expression import to_problem  # the parser's module sits beside this one, loaded on first use

    return to_problem(text, variables, x0=x0, window=window, name=name)


def _check_int(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    if value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value}")
    return int(value)


def _check_real(name: str, value, lo: float | None = None, positive: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if (not ok or not math.isfinite(value) or (lo is not None and value < lo)
            or (positive and value <= 0)):
        allowed = "a finite real number" + (f" >= {lo:g}" if lo is not None else "") + (" > 0" if positive else "")
        raise DescendError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise DescendError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _real_array(name: str, value, ndim: int) -> np.ndarray:
    arr = check_finite_array(name, value, ndim=(ndim,))
    if arr.dtype.kind == "c":
        raise DescendError(f"{name} must be real, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _tile_start(n: int, pattern=(-3.0, 4.0)) -> np.ndarray:
    """The seeds' start (-3, 4) repeated to length n: (-3,), (-3, 4), (-3, 4, -3), ..."""
    return np.resize(np.asarray(pattern, dtype=np.float64), n)


def _box(lo: float, hi: float, n: int) -> np.ndarray:
    return np.tile([float(lo), float(hi)], (n, 1))


def _window(domain: np.ndarray):
    """The plotting window for 1-D and 2-D problems (None beyond)."""
    return tuple((float(lo), float(hi)) for lo, hi in domain) if domain.shape[0] <= 2 else None


def _ellipse_box(H: np.ndarray, xstar: np.ndarray, x0: np.ndarray, margin: float = 1.25) -> np.ndarray:
    """Box around the level set {f <= f(x0)} of a quadratic with SPD Hessian H and minimizer xstar.

    That set is an ellipse; its half-width along coordinate j is
    sqrt(2 (f(x0) - f*) (H^-1)_jj), widened by ``margin`` (and at least 1).
    """
    d = x0 - xstar
    excess = 0.5 * d @ H @ d  # f(x0) - f*, computed without cancellation
    half = margin * np.sqrt(2.0 * excess * np.diag(np.linalg.inv(H)))
    half = np.where(half > 0, half, 1.0)
    return np.stack([xstar - half, xstar + half], axis=-1)


def _const_hessian(H) -> Callable:
    """The Hessian of a quadratic: the matrix ``H``, or a function that builds it.

    A builder (``lambda: 2.0 * np.eye(n)``) runs at the first call and its matrix is kept:
    a problem of 20000 variables costs nothing until someone asks for its 3.2 GB Hessian.
    """
    built = [None if callable(H) else _readonly(H)]

    def hessian(x):
        if built[0] is None:
            built[0] = _readonly(H())
        M = built[0]
        return np.array(np.broadcast_to(M, x.shape[:-1] + M.shape))  # a fresh (writable) copy per call
    return hessian


def _diag_hessian(d: np.ndarray) -> np.ndarray:
    """(..., n) diagonal -> (..., n, n) matrix."""
    n = d.shape[-1]
    return d[..., :, None] * np.eye(n)


def _newton(grad: Callable, hess: Callable, x, steps: int = 8) -> np.ndarray:
    """Polish a literature minimizer with a few Newton steps, to full float64 precision."""
    x = np.array(x, dtype=np.float64)
    for _ in range(steps):
        x = x - np.linalg.solve(hess(x), grad(x))
    return x


# --------------------------------------------------------------------------- the seeds' functions

@_register
def poly1d() -> Problem:
    """f(x) = 0.01 x^2 + 0.1 x: ``function_1`` of seed 001 (after "Deep Learning from Scratch", ch. 4).

    Minimizer x* = -5, minimum -0.25.  The window (0, 20) is the seed's plot, where the
    tangent line at x0 = 5 is drawn; the minimizer lies to the left of it.
    """
    def f(x):
        x = x[..., 0]
        return 0.01 * x * x + 0.1 * x

    def grad(x):
        return 0.02 * x + 0.1

    return Problem("poly1d", f, grad, x0=[5.0], minimizers=[[-5.0]], minimum=-0.25,
                   window=((0.0, 20.0),), domain=[[-20.0, 20.0]],
                   description="f(x) = 0.01 x^2 + 0.1 x (seed 001 function_1)",
                   hessian=_const_hessian(np.array([[0.02]])))


@_register
def parabola() -> Problem:
    """f(x) = x^2 + 1: ``func1`` of seed 002; start -3, minimizer 0, minimum 1."""
    def f(x):
        x = x[..., 0]
        return x * x + 1.0

    def grad(x):
        return 2.0 * x

    return Problem("parabola", f, grad, x0=[-3.0], minimizers=[[0.0]], minimum=1.0,
                   window=((-4.0, 4.0),), description="f(x) = x^2 + 1 (seed 002 func1)",
                   hessian=_const_hessian(np.array([[2.0]])))


@_register
def sphere(n: int = 2) -> Problem:
    """f(x) = sum_i x_i^2 in n dimensions: ``function_2`` of seed 001, ``func2`` of seed 002.

    Parameters
    ----------
    n : int >= 1
        Number of variables.

    The start is seed 001's (-3, 4) for n = 2, repeated or cut to length n otherwise;
    the 2-D window (-3.5, 3.5) x (-4.5, 4.5) is the seed's plot; (-5, 5)^n otherwise.
    """
    n = _check_int("n", n, 1)

    def f(x):
        return np.sum(x * x, axis=-1)

    def grad(x):
        return 2.0 * x

    domain = np.array([[-3.5, 3.5], [-4.5, 4.5]]) if n == 2 else _box(-5.0, 5.0, n)
    return Problem("sphere", f, grad, x0=_tile_start(n), minimizers=np.zeros((1, n)), minimum=0.0,
                   window=_window(domain), domain=domain,
                   description=f"f(x) = sum_i x_i^2, n={n} (seed 001 function_2)",
                   hessian=_const_hessian(lambda: 2.0 * np.eye(n)), params={"n": n})


@_register
def least_squares(A=None, b=None) -> Problem:
    """f(x) = |A x - b|^2 / 2, the linear least-squares objective of seed 001's line-search section.

    Parameters
    ----------
    A : array_like, shape (m, n), optional
        Finite real matrix; default the 2x2 identity (the seed's).
    b : array_like, shape (m,), optional
        Finite real vector; default all ones (the seed's b = (1, 1)).

    The gradient is A^T (A x - b) and the Hessian A^T A.  The minimizer is the
    least-squares solution (``numpy.linalg.lstsq``) when A has full column rank;
    otherwise the minimizers form an affine set, so none is listed, but the minimum
    (half the least residual) is still known.  The start is x* + 1 (all ones added),
    which is the seed's (2, 2) for the default A and b.
    """
    A = np.eye(2) if A is None else _real_array("A", A, 2)
    m, n = A.shape
    b = np.ones(m) if b is None else _real_array("b", b, 1)
    if b.shape != (m,):
        raise DescendError(f"b must have shape ({m},) to match A of shape {A.shape}, got shape {b.shape}")
    A, b = _readonly(A), _readonly(b)

    def f(x):
        r = x @ A.T - b
        return 0.5 * np.sum(r * r, axis=-1)

    def grad(x):
        return (x @ A.T - b) @ A

    xls, _, rank, _ = np.linalg.lstsq(A, b, rcond=None)
    r = A @ xls - b
    minimum = 0.5 * float(r @ r)
    x0 = xls + 1.0
    H = A.T @ A
    if rank == n:
        minimizers = xls[None, :]
        domain = _ellipse_box(H, xls, x0)
    else:
        minimizers = np.empty((0, n))
        domain = np.stack([x0 - 2.0 * np.maximum(1.0, np.abs(x0)), x0 + 2.0 * np.maximum(1.0, np.abs(x0))], -1)
    return Problem("least_squares", f, grad, x0=x0, minimizers=minimizers, minimum=minimum,
                   window=_window(domain), domain=domain,
                   description=f"f(x) = |A x - b|^2 / 2, A of shape {A.shape} (seed 001 line search)",
                   hessian=_const_hessian(H), params={"A": A, "b": b})


# --------------------------------------------------------------------------- quadratics

_SHEWCHUK_A = np.array([[3.0, 2.0], [2.0, 6.0]])
_SHEWCHUK_B = np.array([2.0, -8.0])


@_register
def quadratic(A=None, b=None, c: float = 0.0, x0=None) -> Problem:
    """f(x) = 1/2 x^T A x - b^T x + c for a symmetric matrix A.

    Parameters
    ----------
    A : array_like, shape (n, n), optional
        Finite, real, symmetric (to 1e-12 relative; it is then symmetrized exactly).
        Omitted: Shewchuk's example A = [[3, 2], [2, 6]] with b = (2, -8), start
        (-2, -2) and minimizer (2, -2) ("An Introduction to the Conjugate Gradient
        Method Without the Agonizing Pain", 1994).
    b : array_like, shape (n,), optional
        Default zeros when A is given.
    c : float
        Constant term.
    x0 : array_like, shape (n,), optional
        Start; default x* + 1 (all ones added) when A is positive definite, else all ones.

    The gradient is A x - b and the Hessian A.  When A is positive definite the
    unique minimizer is A^{-1} b and the minimum c - 1/2 b^T A^{-1} b; otherwise no
    minimizer is known (``minimizers`` is empty, ``minimum`` is nan).
    """
    shewchuk = A is None
    if shewchuk:
        A = _SHEWCHUK_A
        b = _SHEWCHUK_B if b is None else b
        x0 = [-2.0, -2.0] if x0 is None else x0
    A = _real_array("A", A, 2)
    if A.shape[0] != A.shape[1]:
        raise DescendError(f"A must be square, got shape {A.shape}")
    n = A.shape[0]
    asym = float(np.max(np.abs(A - A.T)))
    if asym > 1e-12 * float(np.max(np.abs(A))):
        raise DescendError(f"A must be symmetric (1/2 x^T A x only sees (A + A^T)/2), "
                           f"got max |A - A^T| = {asym:.3g}")
    A = 0.5 * (A + A.T)
    b = np.zeros(n) if b is None else _real_array("b", b, 1)
    if b.shape != (n,):
        raise DescendError(f"b must have shape ({n},) to match A of shape {A.shape}, got shape {b.shape}")
    c = _check_real("c", c)
    A, b = _readonly(A), _readonly(b)

    def f(x):
        return 0.5 * np.sum(x * (x @ A), axis=-1) - x @ b + c

    def grad(x):
        return x @ A - b  # A is symmetric, so x @ A is (A x)^T row by row

    try:
        L = np.linalg.cholesky(A)  # succeeds exactly when A is (numerically) positive definite
    except np.linalg.LinAlgError:
        L = None
    if L is not None:
        xstar = np.linalg.solve(A, b)
        xstar = xstar + np.linalg.solve(A, b - A @ xstar)  # one step of iterative refinement
        minimizers, minimum = xstar[None, :], c - 0.5 * float(b @ xstar)
        x0 = xstar + 1.0 if x0 is None else x0
    else:
        minimizers, minimum = np.empty((0, n)), math.nan
        x0 = np.ones(n) if x0 is None else x0
    x0 = _real_array("x0", x0, 1)
    if x0.shape != (n,):
        raise DescendError(f"x0 must have shape ({n},) to match A of shape {A.shape}, got shape {x0.shape}")
    if shewchuk:
        domain = np.array([[-4.0, 6.0], [-6.0, 4.0]])  # Shewchuk's figures
    elif L is not None:
        domain = _ellipse_box(A, xstar, x0)
    else:
        half = 2.0 * np.maximum(1.0, np.abs(x0))
        domain = np.stack([x0 - half, x0 + half], axis=-1)
    return Problem("quadratic", f, grad, x0=x0, minimizers=minimizers, minimum=minimum,
                   window=_window(domain), domain=domain,
                   description=f"f(x) = 1/2 x^T A x - b^T x + c, n={n}" + (" (Shewchuk 1994)" if shewchuk else ""),
                   hessian=_const_hessian(A), params={"A": A, "b": b, "c": c})


@_register
def ill_conditioned(kappa: float = 100.0, n: int = 2, rotate: bool = False, seed: int = 0,
                    spacing: str = "log") -> Problem:
    """f(x) = 1/2 x^T H x with eigenvalues of H spaced from 1 to kappa: condition number kappa.

    Parameters
    ----------
    kappa : float >= 1
        Condition number of the Hessian, ``descend.condition_number(H) == kappa``.
    n : int >= 2
        Number of variables.
    rotate : bool
        If True, H = Q diag(lambda) Q^T with a random orthogonal Q (seeded by ``seed``),
        so the valley is not aligned with the axes; otherwise H = diag(lambda).
    seed : int >= 0
        Seed of Q.
    spacing : {"log", "linear"}
        Eigenvalues ``geomspace(1, kappa, n)`` or ``linspace(1, kappa, n)``.

    The start x0 = Q (kappa / lambda) is the worst case for steepest descent with exact
    line search (Boyd and Vandenberghe, *Convex Optimization*, section 9.3.2: for n = 2,
    x0 = (kappa, 1) and the error shrinks by (kappa - 1)/(kappa + 1) per step).
    Minimizer 0, minimum 0.
    """
    kappa = _check_real("kappa", kappa, lo=1.0)
    n = _check_int("n", n, 2)
    rotate = _check_bool("rotate", rotate)
    seed = _check_int("seed", seed, 0)
    spacing = check_choice("spacing", spacing, ["log", "linear"])
    lam = np.geomspace(1.0, kappa, n) if spacing == "log" else np.linspace(1.0, kappa, n)
    lam[0], lam[-1] = 1.0, kappa  # exact ends, so the condition number is kappa to rounding
    if rotate:
        q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
        Q = q * np.sign(np.diag(r))  # sign fix: Q is Haar-distributed, independent of the QR convention
    else:
        Q = np.eye(n)
    H = (Q * lam) @ Q.T
    H = 0.5 * (H + H.T)  # exactly symmetric despite rounding in the product
    H = _readonly(H)
    x0 = Q @ (kappa / lam)

    def f(x):
        return 0.5 * np.sum(x * (x @ H), axis=-1)

    def grad(x):
        return x @ H

    domain = _ellipse_box(H, np.zeros(n), x0)
    return Problem("ill_conditioned", f, grad, x0=x0, minimizers=np.zeros((1, n)), minimum=0.0,
                   window=_window(domain), domain=domain, log_levels=True,
                   description=f"f(x) = 1/2 x^T H x, eigenvalues of H from 1 to kappa={kappa:g} "
                               f"({spacing}), n={n}{', rotated' if rotate else ''}",
                   hessian=_const_hessian(H),
                   params={"kappa": kappa, "n": n, "rotate": rotate, "seed": seed, "spacing": spacing})


@_register
def elongated_bowl() -> Problem:
    """f(x, y) = x^2 / 20 + y^2: the optimizer comparison of "Deep Learning from Scratch" (section 6.1).

    Start (-7, 2), window (-10, 10) x (-5, 5), minimizer (0, 0), minimum 0.
    """
    def f(x):
        return x[..., 0] * x[..., 0] / 20.0 + x[..., 1] * x[..., 1]

    def grad(x):
        return np.stack([x[..., 0] / 10.0, 2.0 * x[..., 1]], axis=-1)

    return Problem("elongated_bowl", f, grad, x0=[-7.0, 2.0], minimizers=[[0.0, 0.0]], minimum=0.0,
                   window=((-10.0, 10.0), (-5.0, 5.0)), description="f(x, y) = x^2/20 + y^2",
                   hessian=_const_hessian(np.diag([0.1, 2.0])))


def saddle() -> Problem:
    """f(x, y) = x^2 - y^2: the saddle of Goodfellow et al. fig. 4.5, unbounded below.

    One critical point, the saddle (0, 0) (Hessian diag(2, -2)); no minimizer, so
    ``minimizers`` is empty and ``minimum`` nan.  Start (1.5, 0.05), just off the ridge
    y = 0: Newton's method jumps to the saddle in one step, gradient descent slides
    off it along y.  Built by ``problems.saddle()`` and not registered in :func:`get`:
    every registered problem has a minimum that the optimizers and benchmarks run to.
    """
    def f(x):
        return x[..., 0] * x[..., 0] - x[..., 1] * x[..., 1]

    def grad(x):
        return np.stack([2.0 * x[..., 0], -2.0 * x[..., 1]], axis=-1)

    return Problem("saddle", f, grad, x0=[1.5, 0.05], minimizers=np.empty((0, 2)), minimum=math.nan,
                   window=((-2.0, 2.0), (-2.0, 2.0)), description="f(x, y) = x^2 - y^2",
                   hessian=_const_hessian(np.diag([2.0, -2.0])))


# --------------------------------------------------------------------------- classic benchmarks

@_register
def rosenbrock(n: int = 2, a: float = 1.0, b: float = 100.0) -> Problem:
    """f(x) = sum_{i<n-1} b (x_{i+1} - x_i^2)^2 + (a - x_i)^2, the banana valley (Rosenbrock 1960).

    Parameters
    ----------
    n : int >= 2
    a : float
        Finite.
    b : float > 0

    Start (-1.2, 1) (Rosenbrock's), repeated for n > 2; window (-2, 2) x (-1, 3).
    The minimizer is (a, a^2) for n = 2 and (a, ..., a) for n > 2 when a is 0 or 1
    (for other a and n > 2 it has no closed form and none is listed); minimum 0.
    """
    n = _check_int("n", n, 2)
    a = _check_real("a", a)
    b = _check_real("b", b, positive=True)

    def f(x):
        xi, xn = x[..., :-1], x[..., 1:]
        t = xn - xi * xi
        u = a - xi
        return np.sum(b * t * t + u * u, axis=-1)

    def grad(x):
        xi, xn = x[..., :-1], x[..., 1:]
        t = xn - xi * xi
        g = np.zeros_like(x)  # filled in place: no concatenation in the hot loop of a batch
        g[..., :-1] = -4.0 * b * xi * t - 2.0 * (a - xi)
        g[..., 1:] += 2.0 * b * t
        return g

    def hessian(x):
        xi, xn = x[..., :-1], x[..., 1:]
        zero = np.zeros_like(x[..., :1])
        diag = (np.concatenate([2.0 + 12.0 * b * xi * xi - 4.0 * b * xn, zero], axis=-1)
                + np.concatenate([zero, 2.0 * b + 0.0 * xn], axis=-1))
        H = _diag_hessian(diag)
        k = np.arange(n - 1)
        H[..., k, k + 1] = -4.0 * b * xi
        H[..., k + 1, k] = -4.0 * b * xi
        return H

    if n == 2:
        minimizers = [[a, a * a]]
    elif a in (0.0, 1.0):
        minimizers = [[a] * n]
    else:
        minimizers = np.empty((0, n))
    minimum = 0.0 if len(minimizers) else math.nan
    return Problem("rosenbrock", f, grad, x0=_tile_start(n, (-1.2, 1.0)), minimizers=minimizers,
                   minimum=minimum, window=((-2.0, 2.0), (-1.0, 3.0)) if n == 2 else None,
                   domain=_box(-2.0, 2.0, n) if n > 2 else None, log_levels=True,
                   description=f"f(x) = sum_i b (x_(i+1) - x_i^2)^2 + (a - x_i)^2, n={n}, a={a:g}, b={b:g}",
                   hessian=hessian, params={"n": n, "a": a, "b": b})


@_register
def beale() -> Problem:
    """f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2 (Beale 1958).

    Minimizer (3, 0.5), minimum 0; start (1, 1) (Moré, Garbow and Hillstrom 1981);
    window (-4.5, 4.5)^2.
    """
    def residuals(x):
        x_, y = x[..., 0], x[..., 1]
        return 1.5 - x_ + x_ * y, 2.25 - x_ + x_ * y * y, 2.625 - x_ + x_ * y * y * y

    def f(x):
        r1, r2, r3 = residuals(x)
        return r1 * r1 + r2 * r2 + r3 * r3

    def grad(x):
        r1, r2, r3 = residuals(x)
        x_, y = x[..., 0], x[..., 1]
        gx = 2.0 * (r1 * (y - 1.0) + r2 * (y * y - 1.0) + r3 * (y * y * y - 1.0))
        gy = 2.0 * x_ * (r1 + 2.0 * r2 * y + 3.0 * r3 * y * y)
        return np.stack([gx, gy], axis=-1)

    def hessian(x):
        # H = 2 sum_i (grad r_i grad r_i' + r_i hess r_i), a least-squares Hessian.
        r1, r2, r3 = residuals(x)
        x_, y = x[..., 0], x[..., 1]
        y2 = y * y
        a1, a2, a3 = y - 1.0, y2 - 1.0, y2 * y - 1.0
        hxx = 2.0 * (a1 * a1 + a2 * a2 + a3 * a3)
        hxy = 2.0 * (a1 * x_ + r1 + 2.0 * a2 * x_ * y + 2.0 * y * r2 + 3.0 * a3 * x_ * y2 + 3.0 * y2 * r3)
        hyy = 2.0 * (x_ * x_ * (1.0 + 4.0 * y2 + 9.0 * y2 * y2) + 2.0 * x_ * r2 + 6.0 * x_ * y * r3)
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    return Problem("beale", f, grad, x0=[1.0, 1.0], minimizers=[[3.0, 0.5]], minimum=0.0,
                   window=((-4.5, 4.5), (-4.5, 4.5)), log_levels=True,
                   description="f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
                   hessian=hessian)


# Himmelblau's four zeros of the residuals, to the 6 digits usually printed; polished below.
_HIMMELBLAU_APPROX = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]


@functools.cache
def _himmelblau_minimizers() -> np.ndarray:
    # f = r1^2 + r2^2 is 0 exactly where r1 = x^2 + y - 11 = 0 and r2 = x + y^2 - 7 = 0:
    # Newton on that 2x2 system converges quadratically to full precision.
    def r(p):
        return np.array([p[0] * p[0] + p[1] - 11.0, p[0] + p[1] * p[1] - 7.0])

    def jac(p):
        return np.array([[2.0 * p[0], 1.0], [1.0, 2.0 * p[1]]])

    return _readonly([_newton(r, jac, p) for p in _HIMMELBLAU_APPROX])


@_register
def himmelblau() -> Problem:
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 (Himmelblau 1972): four global minimizers.

    Minimizers (3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)
    (polished to full precision), minimum 0; start (0, 0), near the local maximum
    (-0.270845, -0.923039); window (-5, 5)^2.
    """
    def f(x):
        x_, y = x[..., 0], x[..., 1]
        r1, r2 = x_ * x_ + y - 11.0, x_ + y * y - 7.0
        return r1 * r1 + r2 * r2

    def grad(x):
        x_, y = x[..., 0], x[..., 1]
        r1, r2 = x_ * x_ + y - 11.0, x_ + y * y - 7.0
        return np.stack([4.0 * x_ * r1 + 2.0 * r2, 2.0 * r1 + 4.0 * y * r2], axis=-1)

    def hessian(x):
        x_, y = x[..., 0], x[..., 1]
        hxy = 4.0 * (x_ + y)
        return np.stack([np.stack([12.0 * x_ * x_ + 4.0 * y - 42.0, hxy], -1),
                         np.stack([hxy, 4.0 * x_ + 12.0 * y * y - 26.0], -1)], -2)

    return Problem("himmelblau", f, grad, x0=[0.0, 0.0], minimizers=_himmelblau_minimizers(), minimum=0.0,
                   window=((-5.0, 5.0), (-5.0, 5.0)), log_levels=True,
                   description="f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2", hessian=hessian)


@_register
def booth() -> Problem:
    """f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2: minimizer (1, 3), minimum 0; window (-10, 10)^2."""
    def f(x):
        r1 = x[..., 0] + 2.0 * x[..., 1] - 7.0
        r2 = 2.0 * x[..., 0] + x[..., 1] - 5.0
        return r1 * r1 + r2 * r2

    def grad(x):
        r1 = x[..., 0] + 2.0 * x[..., 1] - 7.0
        r2 = 2.0 * x[..., 0] + x[..., 1] - 5.0
        return np.stack([2.0 * r1 + 4.0 * r2, 4.0 * r1 + 2.0 * r2], axis=-1)

    return Problem("booth", f, grad, x0=[-5.0, -5.0], minimizers=[[1.0, 3.0]], minimum=0.0,
                   window=((-10.0, 10.0), (-10.0, 10.0)), log_levels=True,
                   description="f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
                   hessian=_const_hessian(np.array([[10.0, 8.0], [8.0, 10.0]])))


@_register
def matyas() -> Problem:
    """f(x, y) = 0.26 (x^2 + y^2) - 0.48 xy: a flat valley along x = y (condition number 25).

    Minimizer (0, 0), minimum 0; start (-8, -6); window (-10, 10)^2.
    """
    def f(x):
        x_, y = x[..., 0], x[..., 1]
        return 0.26 * (x_ * x_ + y * y) - 0.48 * x_ * y

    def grad(x):
        x_, y = x[..., 0], x[..., 1]
        return np.stack([0.52 * x_ - 0.48 * y, 0.52 * y - 0.48 * x_], axis=-1)

    return Problem("matyas", f, grad, x0=[-8.0, -6.0], minimizers=[[0.0, 0.0]], minimum=0.0,
                   window=((-10.0, 10.0), (-10.0, 10.0)), log_levels=True,
                   description="f(x, y) = 0.26 (x^2 + y^2) - 0.48 xy",
                   hessian=_const_hessian(np.array([[0.52, -0.48], [-0.48, 0.52]])))


@_register
def three_hump_camel() -> Problem:
    """f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2: global minimizer (0, 0), two local ones.

    Minimum 0; start (1.5, 1.5); window (-2, 2)^2 (search domain (-5, 5)^2).
    """
    def f(x):
        x_, y = x[..., 0], x[..., 1]
        x2 = x_ * x_
        return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x_ * y + y * y

    def grad(x):
        x_, y = x[..., 0], x[..., 1]
        x2 = x_ * x_
        return np.stack([4.0 * x_ - 4.2 * x2 * x_ + x2 * x2 * x_ + y, x_ + 2.0 * y], axis=-1)

    def hessian(x):
        x_ = x[..., 0]
        x2 = x_ * x_
        one = np.ones_like(x_)
        return np.stack([np.stack([4.0 - 12.6 * x2 + 5.0 * x2 * x2, one], -1),
                         np.stack([one, 2.0 * one], -1)], -2)

    return Problem("three_hump_camel", f, grad, x0=[1.5, 1.5], minimizers=[[0.0, 0.0]], minimum=0.0,
                   window=((-2.0, 2.0), (-2.0, 2.0)), domain=_box(-5.0, 5.0, 2), log_levels=True,
                   description="f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2", hessian=hessian)


def _six_hump_grad(x):
    x_, y = x[..., 0], x[..., 1]
    x2 = x_ * x_
    return np.stack([8.0 * x_ - 8.4 * x2 * x_ + 2.0 * x2 * x2 * x_ + y, x_ - 8.0 * y + 16.0 * y * y * y], axis=-1)


def _six_hump_hessian(x):
    x_, y = x[..., 0], x[..., 1]
    x2 = x_ * x_
    one = np.ones_like(x_)
    return np.stack([np.stack([8.0 - 25.2 * x2 + 10.0 * x2 * x2, one], -1),
                     np.stack([one, -8.0 + 48.0 * y * y], -1)], -2)


@functools.cache
def _six_hump_minimizers() -> np.ndarray:
    p = _newton(_six_hump_grad, _six_hump_hessian, [0.0898, -0.7126])
    return _readonly([p, -p])  # f(x, y) = f(-x, -y): the second is the mirror image


@_register
def six_hump_camel() -> Problem:
    """f(x, y) = (4 - 2.1x^2 + x^4/3) x^2 + xy + (-4 + 4y^2) y^2: two global minimizers.

    Minimizers +-(0.0898420, -0.7126564) (polished to full precision with Newton's method),
    minimum -1.0316284534898774; four more local minimizers.  Start (-1.5, -0.5);
    window (-2, 2) x (-1, 1) (search domain (-3, 3) x (-2, 2)).
    """
    def f(x):
        x_, y = x[..., 0], x[..., 1]
        x2, y2 = x_ * x_, y * y
        return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x_ * y + (-4.0 + 4.0 * y2) * y2

    mins = _six_hump_minimizers()
    return Problem("six_hump_camel", f, _six_hump_grad, x0=[-1.5, -0.5], minimizers=mins,
                   minimum=float(f(mins[0])), window=((-2.0, 2.0), (-1.0, 1.0)),
                   domain=[[-3.0, 3.0], [-2.0, 2.0]],
                   description="f(x, y) = (4 - 2.1x^2 + x^4/3) x^2 + xy + (-4 + 4y^2) y^2",
                   hessian=_six_hump_hessian)


@_register
def goldstein_price() -> Problem:
    """Goldstein-Price (1971): f = [1 + (x+y+1)^2 P] [30 + (2x-3y)^2 Q], a landscape spanning six decades.

    P = 19 - 14x + 3x^2 - 14y + 6xy + 3y^2 and Q = 18 - 32x + 12x^2 + 48y - 36xy + 27y^2.
    Minimizer (0, -1), minimum 3; local minima at (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8);
    start (-0.5, 0.5); window (-2, 2)^2.
    """
    def parts(x):
        x_, y = x[..., 0], x[..., 1]
        u, v = x_ + y + 1.0, 2.0 * x_ - 3.0 * y
        P = 19.0 - 14.0 * x_ + 3.0 * x_ * x_ - 14.0 * y + 6.0 * x_ * y + 3.0 * y * y
        Q = 18.0 - 32.0 * x_ + 12.0 * x_ * x_ + 48.0 * y - 36.0 * x_ * y + 27.0 * y * y
        return x_, y, u, v, P, Q

    def f(x):
        _, _, u, v, P, Q = parts(x)
        return (1.0 + u * u * P) * (30.0 + v * v * Q)

    def grad(x):
        x_, y, u, v, P, Q = parts(x)
        F, G = 1.0 + u * u * P, 30.0 + v * v * Q
        Fx = 2.0 * u * P + u * u * (-14.0 + 6.0 * x_ + 6.0 * y)  # dP/dx = dP/dy and du/dx = du/dy,
        Fy = Fx                                                 # so F_x = F_y
        Gx = 4.0 * v * Q + v * v * (-32.0 + 24.0 * x_ - 36.0 * y)
        Gy = -6.0 * v * Q + v * v * (48.0 - 36.0 * x_ + 54.0 * y)
        return np.stack([Fx * G + F * Gx, Fy * G + F * Gy], axis=-1)

    def hessian(x):
        # f = F G: f'' = F'' G + F' G' + G' F' + F G''.  F depends on x and y through the same
        # u and P_x = P_y, so all its second derivatives are equal.
        x_, y, u, v, P, Q = parts(x)
        F, G = 1.0 + u * u * P, 30.0 + v * v * Q
        Px = -14.0 + 6.0 * x_ + 6.0 * y
        Qx, Qy = -32.0 + 24.0 * x_ - 36.0 * y, 48.0 - 36.0 * x_ + 54.0 * y
        Fx = 2.0 * u * P + u * u * Px
        F2 = 2.0 * P + 4.0 * u * Px + 6.0 * u * u
        Gx, Gy = 4.0 * v * Q + v * v * Qx, -6.0 * v * Q + v * v * Qy
        Gxx = 8.0 * Q + 8.0 * v * Qx + 24.0 * v * v
        Gxy = -12.0 * Q + 4.0 * v * Qy - 6.0 * v * Qx - 36.0 * v * v
        Gyy = 18.0 * Q - 12.0 * v * Qy + 54.0 * v * v
        hxx = F2 * G + 2.0 * Fx * Gx + F * Gxx
        hxy = F2 * G + Fx * Gy + Fx * Gx + F * Gxy
        hyy = F2 * G + 2.0 * Fx * Gy + F * Gyy
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    return Problem("goldstein_price", f, grad, x0=[-0.5, 0.5], minimizers=[[0.0, -1.0]], minimum=3.0,
                   window=((-2.0, 2.0), (-2.0, 2.0)), log_levels=True,
                   description="f(x, y) = [1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]"
                               " [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]",
                   hessian=hessian)


@_register
def rastrigin(n: int = 2) -> Problem:
    """f(x) = 10 n + sum_i (x_i^2 - 10 cos(2 pi x_i)) (Rastrigin 1974): a bowl with a lattice of local minima.

    Computed as sum_i x_i^2 + 20 sin^2(pi x_i), the same function without the
    cancellation of 10 - 10 cos near the minimizer 0, where the minimum is exactly 0.
    Start (-3, 4, -3, ...) like :func:`sphere`; window and domain (-5.12, 5.12)^n.
    """
    n = _check_int("n", n, 1)

    def f(x):
        s = np.sin(np.pi * x)
        return np.sum(x * x + 20.0 * s * s, axis=-1)  # 10 (1 - cos 2 pi x) = 20 sin^2(pi x), no cancellation

    def grad(x):
        return 2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x)

    def hessian(x):
        return _diag_hessian(2.0 + 40.0 * np.pi * np.pi * np.cos(2.0 * np.pi * x))

    domain = _box(-5.12, 5.12, n)
    return Problem("rastrigin", f, grad, x0=_tile_start(n), minimizers=np.zeros((1, n)), minimum=0.0,
                   window=_window(domain), domain=domain,
                   description=f"f(x) = 10 n + sum_i (x_i^2 - 10 cos(2 pi x_i)), n={n}",
                   hessian=hessian, params={"n": n})


@_register
def ackley(n: int = 2) -> Problem:
    """f(x) = -20 exp(-0.2 sqrt(mean x_i^2)) - exp(mean cos(2 pi x_i)) + 20 + e (Ackley 1987).

    Computed as -20 expm1(-0.2 r) - e expm1(-mean(2 sin^2(pi x_i))) with r = sqrt(mean x_i^2):
    the same function, exactly 0 at the minimizer 0 and without cancellation near it.
    The gradient of r is x / (n r), undefined at 0, where the gradient is defined as 0
    (the limit of the cosine term; the cone's subgradient 0); it is finite everywhere.
    The Hessian is analytic away from 0 and nan at 0 (the cone's tip has none).
    Start (-3, 4, -3, ...) like :func:`sphere`; window (-5, 5)^2, domain (-32.768, 32.768)^n.
    """
    n = _check_int("n", n, 1)

    def rms(x):
        return np.sqrt(np.sum(x * x, axis=-1) / n)

    def f(x):
        s = np.sin(np.pi * x)
        m = np.sum(2.0 * s * s, axis=-1) / n  # 1 - mean cos(2 pi x), without cancellation
        return -20.0 * np.expm1(-0.2 * rms(x)) - np.e * np.expm1(-m)

    def grad(x):
        r = rms(x)
        safe_r = np.where(r == 0, 1.0, r)  # at r = 0 every x_i = 0, so the cone term is 0 / 1 = 0
        cone = (4.0 * np.exp(-0.2 * r) / (n * safe_r))[..., None] * x
        waves = (np.exp(np.sum(np.cos(2.0 * np.pi * x), axis=-1) / n) * 2.0 * np.pi / n)[..., None] \
            * np.sin(2.0 * np.pi * x)
        return cone + waves

    def hessian(x):
        # f = -20 exp(-0.2 r) - exp(c) + 20 + e, r = rms(x), c = mean cos(2 pi x):
        # H = 4 exp(-0.2 r) (H_r - 0.2 grad r grad r') - exp(c) (grad c grad c' + H_c).
        # At r = 0 (the cone tip, the minimizer) H_r is infinite: nan there.
        r = rms(x)
        safe_r = np.where(r == 0, np.nan, r)
        grad_r = x / (n * safe_r)[..., None]
        outer = x[..., :, None] * x[..., None, :]
        hess_r = np.eye(n) / (n * safe_r)[..., None, None] - outer / (n * n * safe_r ** 3)[..., None, None]
        cone = (4.0 * np.exp(-0.2 * r))[..., None, None] * (hess_r - 0.2 * grad_r[..., :, None] * grad_r[..., None, :])
        grad_c = -(2.0 * np.pi / n) * np.sin(2.0 * np.pi * x)
        hess_c = _diag_hessian(-(4.0 * np.pi * np.pi / n) * np.cos(2.0 * np.pi * x))
        waves = -np.exp(np.sum(np.cos(2.0 * np.pi * x), axis=-1) / n)[..., None, None] \
            * (grad_c[..., :, None] * grad_c[..., None, :] + hess_c)
        return cone + waves

    return Problem("ackley", f, grad, x0=_tile_start(n), minimizers=np.zeros((1, n)), minimum=0.0,
                   window=((-5.0, 5.0),) * n if n <= 2 else None, domain=_box(-32.768, 32.768, n),
                   description=f"f(x) = -20 exp(-0.2 sqrt(mean x_i^2)) - exp(mean cos(2 pi x_i)) + 20 + e, n={n}",
                   hessian=hessian, params={"n": n})


@functools.cache
def _styblinski_tang_root() -> float:
    # df/dx_i = (4 x^3 - 32 x + 5) / 2: the global minimizer is the smallest real root of the cubic,
    # found by np.roots and polished with Newton steps on the cubic itself.
    roots = np.roots([4.0, 0.0, -32.0, 5.0])
    x = float(np.min(roots[np.abs(roots.imag) < 1e-12].real))
    for _ in range(4):
        x -= (4.0 * x ** 3 - 32.0 * x + 5.0) / (12.0 * x * x - 32.0)
    return x


@_register
def styblinski_tang(n: int = 2) -> Problem:
    """f(x) = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i) (Styblinski and Tang 1990): 2^n local minima.

    The global minimizer has every x_i = -2.903534..., the smallest root of 4x^3 - 32x + 5 = 0,
    and the minimum is -39.16616570377142 n (often printed as -39.16599 n, good to five digits).
    Start at the origin, beside the local maximum 0.156731 of each coordinate, from where
    gradient descent finds the global minimizer; window and domain (-5, 5)^n.
    """
    n = _check_int("n", n, 1)
    z = _styblinski_tang_root()

    def f(x):
        x2 = x * x
        return 0.5 * np.sum(x2 * x2 - 16.0 * x2 + 5.0 * x, axis=-1)

    def grad(x):
        return 2.0 * x * x * x - 16.0 * x + 2.5

    def hessian(x):
        return _diag_hessian(6.0 * x * x - 16.0)

    domain = _box(-5.0, 5.0, n)
    return Problem("styblinski_tang", f, grad, x0=np.zeros(n), minimizers=np.full((1, n), z),
                   minimum=n * 0.5 * (z ** 4 - 16.0 * z * z + 5.0 * z),
                   window=_window(domain), domain=domain,
                   description=f"f(x) = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i), n={n}",
                   hessian=hessian, params={"n": n})
