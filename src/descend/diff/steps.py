"""Steps: the methods, their orders, default steps and the checks on x and h."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ..errors import DescendError, check_choice, check_finite_array

METHODS = ("forward", "backward", "central", "five-point", "complex", "richardson")
HESSIAN_METHODS = ("forward", "central", "complex", "richardson")
#: The methods of :func:`derivative`: those of :data:`METHODS` and the tolerance-driven one.
DERIVATIVE_METHODS = METHODS + ("adaptive",)
#: How an automatic step is scaled: by ``max(scale, |x|)`` or by ``scale`` alone.
STEPS = ("relative", "absolute")

RICHARDSON_STEPS = 8   # central differences at h, h/2, ..., h/128
RICHARDSON_WINDOW = 4  # extrapolated over 4 consecutive steps: order 8
#: Order of accuracy p of each method: its truncation error shrinks like h^p.
ORDERS = MappingProxyType({"forward": 1, "backward": 1, "central": 2, "five-point": 4, "complex": 2,
                           "richardson": 2 * RICHARDSON_WINDOW})

def base_step(method: str, dtype) -> float:
    """The step at unit scale: eps to the power that balances truncation and round-off."""
    eps = float(np.finfo(dtype).eps)
    return {
        "forward": eps ** (1 / 2),
        "backward": eps ** (1 / 2),
        "central": eps ** (1 / 3),
        "five-point": eps ** (1 / 5),
        "complex": eps ** 2,
        "richardson": 4 * eps ** (1 / (2 * RICHARDSON_WINDOW + 1)),
    }[method]


def hessian_base_step(method: str, dtype) -> float:
    """The Hessian's relative step for ``method`` and ``dtype``, before scaling by max(1, |x|)."""
    eps = float(np.finfo(dtype).eps)
    # central second difference: h^2 truncation vs eps/h^2 round-off -> eps^(1/4);
    # forward: h vs eps/h^2 -> eps^(1/3); complex: h^2 vs eps/h -> eps^(1/3);
    # richardson: not a balance but a ladder, 1/4 down to 1/1024 of the scale: large steps for
    # f's rounding, small ones for a fast-varying f; the error estimates pick per entry.
    return {"central": eps ** (1 / 4), "forward": eps ** (1 / 3), "complex": eps ** (1 / 3),
            "richardson": 0.25}[method]


# ----------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------

def check_method(method, valid=METHODS) -> str:
    """``method`` if it is one of ``valid``; the message lists them otherwise."""
    if not isinstance(method, str):
        raise DescendError(f"unknown method {method!r}; valid: {', '.join(valid)}")
    return check_choice("method", method, valid)


def as_point(x, name: str = "x") -> np.ndarray:
    """A finite real array: integers and bools become float64, float dtypes are kept."""
    arr = check_finite_array(name, x)
    if arr.dtype.kind == "c":
        raise DescendError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    return arr


def _scale(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(x), np.ones((), x.dtype))


def step_scale(x: np.ndarray, step="relative", scale=None) -> np.ndarray:
    """The size s_i that an automatic step is proportional to, per coordinate (x's shape).

    ``step="relative"``: ``max(scale_i, |x_i|)`` (scale 1 by default: today's
    ``max(1, |x_i|)``, right for a function that varies on a scale of 1 or of |x|);
    ``step="absolute"``: ``scale_i`` alone (right where f varies on a scale much
    smaller than |x|: exp near -700, a Coulomb potential near 1e-6 with a small scale).
    """
    if not isinstance(step, str):
        raise DescendError(f"unknown step {step!r}; valid: {', '.join(STEPS)}")
    step = check_choice("step", step, STEPS)
    if scale is None:
        s = np.ones((), x.dtype)
    else:
        arr = np.asarray(scale)
        if arr.dtype.kind not in "biuf" or arr.size == 0 or not np.all(np.isfinite(arr)) \
                or not np.all(arr > 0):
            raise DescendError(f"scale must be a finite number > 0 or an array of them (one per "
                               f"coordinate), got {scale!r}")
        try:
            s = np.broadcast_to(arr.astype(x.dtype), x.shape)
        except ValueError:
            raise DescendError(f"scale must be a number or an array of shape {x.shape} (one per "
                               f"coordinate), got shape {arr.shape}") from None
    if step == "relative":
        return np.maximum(np.abs(x), s)
    return np.broadcast_to(s, x.shape)


def representable(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The step really taken from ``x``: ``(x + h) - x``."""
    # The step really taken: x + h rounds, and (x + h) - x is exact, so dividing by it
    # removes the representation error of the step from the result.
    return (x + h) - x


def _auto_steps(method: str, x: np.ndarray, base: float, s=None) -> np.ndarray:
    h = (base * (_scale(x) if s is None else s)).astype(x.dtype)
    return h if method == "complex" else representable(x, h)


def explicit_steps(h, x: np.ndarray) -> np.ndarray:
    """A step given by the caller, used as given: finite, > 0, broadcast to x's shape and dtype."""
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


def coordinate_steps(method: str, x: np.ndarray, h, base: float, step="relative",
           scale=None) -> tuple[np.ndarray, bool]:
    """Per-coordinate steps (broadcast to x's shape) and whether they were chosen automatically.

    An explicit step is not second-guessed: where x + h == x (h below the spacing of
    x) the difference is 0, exactly as the study notes' formula gives (seed 002 freezes
    its iterate at 2.46e9 that way); ``h=None`` never does this.
    """
    s = step_scale(x, step, scale)  # checked even when h is given: a typo is an error
    if h is None:
        return _auto_steps(method, x, base, s), True
    if scale is not None:
        raise DescendError("pass h (the step itself) or scale (what an automatic step is "
                           "proportional to), not both")
    return explicit_steps(h, x), False


def default_step(method: str, x, dtype=None, *, step="relative", scale=None):
    """The step ``h=None`` picks for ``method`` at ``x``.

    ``h_i = eps^a * max(1, |x_i|)`` with ``a`` from the table in the module
    docstring (``eps`` of ``dtype``, default: x's float dtype, float64 for
    integers), then made exactly representable, ``h = (x + h) - x`` (not for the
    complex step, whose step is imaginary and exact anyway).  For ``richardson``
    it is the largest of the four steps.  ``step="absolute"`` drops the
    ``|x_i|``; ``scale`` replaces the 1 (see the module docstring, *Steps*).

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    x : float or array_like
        The point.
    dtype : numpy dtype, optional
        The floating-point type whose epsilon sets the step.
    step : {"relative", "absolute"}
        Scale by ``max(scale, |x_i|)`` or by ``scale`` alone.
    scale : float or array_like, optional
        The size on which f varies along each coordinate (default 1).

    Returns
    -------
    float or ndarray
        One step per coordinate, in the shape of ``x``.

    Examples
    --------
    >>> float(default_step("central", 0.0))  # eps ** (1/3), made representable
    6.055454452393343e-06
    """
    method = check_method(method)
    x = as_point(x)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise DescendError(f"dtype must be a floating-point type, got {dtype}")
        x = x.astype(dtype)
    h = _auto_steps(method, x, base_step(method, x.dtype), step_scale(x, step, scale))
    return h[()] if h.ndim == 0 else h
