"""Layers: each one's forward and backward side by side.

A layer maps a batch ``X`` of shape ``(N, features)`` to an output of the same
leading size.  ``forward`` keeps what ``backward`` needs; ``backward(dout)``
takes dL/d(output) and returns dL/d(input), writing dL/d(param) into the
layer's ``grads`` dict (the same keys as ``params``).  Nothing here writes into
an array it was given: ``X`` and ``dout`` are only read.

The notation follows the usual chain rule for one batch::

    Linear    Y = X W + b          dW = X^T dY     db = sum_n dY     dX = dY W^T
    ReLU      Y = max(X, 0)        dX = dY * 1[X > 0]
    LeakyReLU Y = X if X > 0 else a X            dX = dY * (1 if X > 0 else a)
    Sigmoid   Y = 1 / (1 + e^-X)   dX = dY * Y (1 - Y)
    Tanh      Y = tanh X           dX = dY * (1 - Y^2)
    Dropout   Y = X * M / (1 - p)  dX = dY * M / (1 - p)   (M ~ Bernoulli(1 - p), train mode only)

The R-operator (Pearlmutter 1994) sits beside them: ``R{.}`` is the derivative along a direction
``V`` of the parameters, ``R{z} = d/dr z(theta + r V) at r = 0``.  ``r_forward(RX, V)`` pushes
``R{X}`` forward to ``R{Y}``; ``r_backward(dY, R{dY}, V)`` pulls ``R{dY}`` back to ``R{dX}`` and
returns ``R{dW}``, which summed over the layers is the Hessian-vector product ``H V``::

    Linear    R{Y} = R{X} W + X V_W + V_b
              R{dW} = R{X}^T dY + X^T R{dY}     R{db} = sum_n R{dY}
              R{dX} = R{dY} W^T + dY V_W^T
    s(X)      R{Y} = s'(X) R{X}                 R{dX} = R{dY} s'(X) + dY s''(X) R{X}
              (ReLU, LeakyReLU: s'' = 0;  Sigmoid: s' = Y (1 - Y), s'' = s' (1 - 2Y);
               Tanh: s' = 1 - Y^2, s'' = -2 Y s';  Dropout: s' = M / (1 - p), s'' = 0)

``R{X} = None`` stands for zero (the data do not depend on the parameters), which saves the
first layer's products.  Both are used after ``forward`` and read its cache; a layer of your own
without them is differentiated twice by finite differences instead (:mod:`descend.curvature`).

The weight of :class:`Linear` is stored as ``(in_features, out_features)`` so the
forward pass is ``X @ W`` as in the seeds' ``np.dot(x, W1)``; it is the transpose
of torch's ``nn.Linear.weight``.
"""

from __future__ import annotations

import json
import numbers

import numpy as np

from .. import safejson
from ..errors import DescendError, check_choice, check_in_range, check_positive
from ..numerics import sigmoid

__all__ = ["Layer", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Dropout", "as_generator",
           "check_dtype", "LAYERS", "register_layer"]

_DTYPES = {"float32": np.float32, "float64": np.float64}


def check_dtype(dtype) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise DescendError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in _DTYPES:
        raise DescendError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def as_generator(name: str, rng) -> np.random.Generator:
    """Turn ``rng`` (None, an int seed or a Generator) into a ``np.random.Generator``.

    None gives a generator seeded from fresh OS entropy (not reproducible); pass an
    int or a Generator for a reproducible run.  The global ``np.random`` state is
    never used.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0):
        return np.random.default_rng(rng)
    raise DescendError(f"{name} must be None, an integer seed >= 0 or a numpy.random.Generator, got {rng!r}")


def _check_int(name: str, value, lo: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


class Layer:
    """Base class: ``params`` and ``grads`` (dicts of arrays, same keys), a mode, forward/backward.

    Subclasses implement :meth:`forward` and :meth:`backward` next to each other,
    and :meth:`config` (the JSON-able constructor arguments used to save a model).
    """

    #: whether the layer is in training mode (Dropout drops only then)
    training: bool = True

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True

    # -- the two passes ---------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dout: np.ndarray, *, need_input_grad: bool = True):  # pragma: no cover
        raise NotImplementedError

    # -- the R-operator (second order): beside the two passes ---------------------------
    def r_forward(self, RX, V: dict):
        """``R{Y}`` from ``R{X}`` (None: zero) and the direction ``V`` of this layer's parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no R-operator")

    def r_backward(self, dout, r_dout, V: dict, *, need_input_grad: bool = True):
        """``(R{dX}, {name: R{d param}})`` from ``dY``, ``R{dY}`` and ``V``, after :meth:`r_forward`."""
        raise NotImplementedError(f"{type(self).__name__} has no R-operator")

    @classmethod
    def has_r_operator(cls) -> bool:
        """Whether the class defines :meth:`r_forward` and :meth:`r_backward` (else: finite differences)."""
        return cls.r_forward is not Layer.r_forward and cls.r_backward is not Layer.r_backward

    __call__ = forward

    # -- modes ----------------------------------------------------------------
    def train(self, mode: bool = True):
        """Set training mode (``mode=False`` is evaluation mode); return self."""
        self.training = bool(mode)
        return self

    def eval(self):
        """Set evaluation mode (Dropout passes inputs through); return self."""
        return self.train(False)

    # -- saving -----------------------------------------------------------------
    def config(self) -> dict:
        """The constructor arguments as plain JSON values, with the class name under "type"."""
        return {"type": type(self).__name__}

    def rng_state(self):
        """The state of the layer's random generator as JSON-able data (None if it has none)."""
        return None

    def set_rng_state(self, state) -> None:
        """Restore what :meth:`rng_state` returned."""

    def _cast_grads(self, dtype):  # used by Sequential.astype
        pass

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "type")
        return f"{type(self).__name__}({args})"


def _input(layer: Layer, X) -> np.ndarray:
    """X as an array of the layer's dtype (no copy when it already is)."""
    X = np.asarray(X)
    dtype = getattr(layer, "dtype", None)
    if dtype is not None and X.dtype != dtype:
        X = X.astype(dtype)
    elif X.dtype.kind not in "f":
        X = X.astype(np.float64)
    return X


def _need_forward(layer: Layer, cache):
    if cache is None:
        raise DescendError(f"{type(layer).__name__}.backward called before forward")
    return cache


def _check_dout(layer: Layer, dout, shape) -> np.ndarray:
    dout = np.asarray(dout)
    if dout.shape != shape:
        raise DescendError(f"{type(layer).__name__}.backward: dout must have the forward output's shape "
                           f"{shape}, got {dout.shape}")
    return dout


class Linear(Layer):
    """Fully connected layer ``Y = X W + b``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and output (>= 1).
    init : {"he", "xavier"} or float, default "he"
        Weight initialisation: normal with standard deviation ``sqrt(2 / in)`` (He et
        al. 2015, for ReLU), ``sqrt(2 / (in + out))`` (Glorot & Bengio 2010), or the
        number given.  Biases start at zero.
    bias : bool, default True
        Whether to add a bias ``b``.
    rng : None, int or numpy.random.Generator
        Where the initial weights come from; an int is a seed.
    dtype : float32 (default) or float64

    Attributes
    ----------
    params : dict
        ``{"weight": (in, out) array, "bias": (out,) array}``.
    grads : dict
        Same keys; filled in place by :meth:`backward`.
    """

    def __init__(self, in_features: int, out_features: int, *, init="he", bias: bool = True,
                 rng=None, dtype=np.float32):
        super().__init__()
        self.in_features = _check_int("in_features", in_features)
        self.out_features = _check_int("out_features", out_features)
        if isinstance(init, str):
            check_choice("init", init, ("he", "xavier"))
            std = np.sqrt(2.0 / in_features) if init == "he" else np.sqrt(2.0 / (in_features + out_features))
        elif isinstance(init, numbers.Real) and not isinstance(init, bool):
            std = check_positive("init (a weight scale)", float(init))
        else:
            raise DescendError(f"init must be 'he', 'xavier' or a scale > 0, got {init!r}")
        self.init = init
        self.dtype = check_dtype(dtype)
        gen = as_generator("rng", rng)
        w = gen.standard_normal((self.in_features, self.out_features), dtype=self.dtype)
        w *= self.dtype.type(std)
        self.params["weight"] = w
        self.grads["weight"] = np.zeros_like(w)
        if bias:
            self.params["bias"] = np.zeros(self.out_features, dtype=self.dtype)
            self.grads["bias"] = np.zeros(self.out_features, dtype=self.dtype)
        self._X = None
        self._RX = None

    def forward(self, X):
        X = _input(self, X)
        if X.ndim != 2 or X.shape[1] != self.in_features:
            raise DescendError(f"{self!r} expects inputs of shape (N, {self.in_features}), got {X.shape}")
        self._X = X  # kept for dW = X^T dY; only read, never written
        Y = X @ self.params["weight"]
        if "bias" in self.params:
            Y += self.params["bias"]  # Y is our own new array: adding in place saves one allocation
        return Y

    def backward(self, dout, *, need_input_grad=True):
        X = _need_forward(self, self._X)
        dout = _check_dout(self, dout, (X.shape[0], self.out_features))
        W = self.params["weight"]
        if X.shape[0] == 1:  # one sample: X^T dY is an outer product; BLAS would spend more starting threads
            np.multiply(X.T, dout, out=self.grads["weight"])
        else:
            np.matmul(X.T, dout, out=self.grads["weight"])      # dW = X^T dY
        if "bias" in self.params:
            np.sum(dout, axis=0, out=self.grads["bias"])         # db = sum over the batch of dY
        return dout @ W.T if need_input_grad else None           # dX = dY W^T

    def r_forward(self, RX, V):
        X = _need_forward(self, self._X)
        self._RX = RX
        RY = X @ V["weight"]                                     # X V_W
        if RX is not None:
            RY += RX @ self.params["weight"]                     # + R{X} W
        if "bias" in V:
            RY += V["bias"]                                      # + V_b
        return RY

    def r_backward(self, dout, r_dout, V, *, need_input_grad=True):
        X, RX = _need_forward(self, self._X), self._RX
        r_grads = {"weight": X.T @ r_dout}                       # R{dW} = X^T R{dY}
        if RX is not None:
            r_grads["weight"] += RX.T @ dout                     #       + R{X}^T dY
        if "bias" in self.params:
            r_grads["bias"] = r_dout.sum(axis=0)                 # R{db} = sum_n R{dY}
        if not need_input_grad:
            return None, r_grads
        return r_dout @ self.params["weight"].T + dout @ V["weight"].T, r_grads  # R{dX}

    def config(self):
        return {"type": "Linear", "in_features": self.in_features, "out_features": self.out_features,
                "init": self.init, "bias": "bias" in self.params, "dtype": self.dtype.name}

    def __repr__(self):
        extra = "" if "bias" in self.params else ", bias=False"
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"init={self.init!r}{extra}, dtype={self.dtype.name})")


class ReLU(Layer):
    """``max(X, 0)``; the derivative is the indicator ``1[X > 0]`` (0 at X = 0)."""

    def __init__(self):
        super().__init__()
        self._mask = None

    def forward(self, X):
        X = _input(self, X)
        self._mask = X > 0
        return np.maximum(X, 0)

    def backward(self, dout, *, need_input_grad=True):
        mask = _need_forward(self, self._mask)
        dout = _check_dout(self, dout, mask.shape)
        return dout * mask if need_input_grad else None

    def r_forward(self, RX, V):
        return None if RX is None else RX * _need_forward(self, self._mask)

    def r_backward(self, dout, r_dout, V, *, need_input_grad=True):
        return (r_dout * self._mask if need_input_grad else None), {}   # s'' = 0

    def __repr__(self):
        return "ReLU()"


class LeakyReLU(Layer):
    """``X`` where ``X > 0``, else ``negative_slope * X``.

    Parameters
    ----------
    negative_slope : float in [0, 1), default 0.01
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        check_in_range("negative_slope", negative_slope, 0, 1, hi_open=True)
        self.negative_slope = float(negative_slope)
        self._mask = None

    def forward(self, X):
        X = _input(self, X)
        self._mask = X > 0
        return np.where(self._mask, X, X * X.dtype.type(self.negative_slope))

    def backward(self, dout, *, need_input_grad=True):
        mask = _need_forward(self, self._mask)
        dout = _check_dout(self, dout, mask.shape)
        if not need_input_grad:
            return None
        return np.where(mask, dout, dout * dout.dtype.type(self.negative_slope))

    def r_forward(self, RX, V):
        mask = _need_forward(self, self._mask)
        return None if RX is None else np.where(mask, RX, RX * RX.dtype.type(self.negative_slope))

    def r_backward(self, dout, r_dout, V, *, need_input_grad=True):
        if not need_input_grad:
            return None, {}
        return np.where(self._mask, r_dout, r_dout * r_dout.dtype.type(self.negative_slope)), {}  # s'' = 0

    def config(self):
        return {"type": "LeakyReLU", "negative_slope": self.negative_slope}


class Sigmoid(Layer):
    """Logistic ``1 / (1 + exp(-X))`` (descend.sigmoid: no overflow for any X)."""

    def __init__(self):
        super().__init__()
        self._Y = None
        self._RX = None

    def forward(self, X):
        X = _input(self, X)
        self._Y = sigmoid(X)
        return self._Y.copy()  # the caller may write into its output; our cached Y stays intact

    def backward(self, dout, *, need_input_grad=True):
        Y = _need_forward(self, self._Y)
        dout = _check_dout(self, dout, Y.shape)
        return dout * Y * (1 - Y) if need_input_grad else None

    def r_forward(self, RX, V):
        Y = _need_forward(self, self._Y)
        self._RX = RX
        return None if RX is None else RX * Y * (1 - Y)          # s'(X) R{X}

    def r_backward(self, dout, r_dout, V, *, need_input_grad=True):
        if not need_input_grad:
            return None, {}
        Y, RX = self._Y, self._RX
        ds = Y * (1 - Y)                                         # s'
        r_dx = r_dout * ds
        if RX is not None:
            r_dx += dout * ds * (1 - 2 * Y) * RX                 # + dY s'' R{X}
        return r_dx, {}

    def __repr__(self):
        return "Sigmoid()"


class Tanh(Layer):
    """Hyperbolic tangent; its derivative is ``1 - tanh(X)^2``."""

    def __init__(self):
        super().__init__()
        self._Y = None
        self._RX = None

    def forward(self, X):
        X = _input(self, X)
        self._Y = np.tanh(X)
        return self._Y.copy()

    def backward(self, dout, *, need_input_grad=True):
        Y = _need_forward(self, self._Y)
        dout = _check_dout(self, dout, Y.shape)
        return dout * (1 - Y * Y) if need_input_grad else None

    def r_forward(self, RX, V):
        Y = _need_forward(self, self._Y)
        self._RX = RX
        return None if RX is None else RX * (1 - Y * Y)          # s'(X) R{X}

    def r_backward(self, dout, r_dout, V, *, need_input_grad=True):
        if not need_input_grad:
            return None, {}
        Y, RX = self._Y, self._RX
        ds = 1 - Y * Y                                           # s'
        r_dx = r_dout * ds
        if RX is not None:
            r_dx -= 2 * dout * Y * ds * RX                       # + dY s'' R{X}, s'' = -2 Y s'
        return r_dx, {}

    def __repr__(self):
        return "Tanh()"


class Dropout(Layer):
    """Inverted dropout: in training mode zero each input with probability ``p`` and scale the
    rest by ``1 / (1 - p)``, so evaluation mode is the identity.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of dropping a unit.
    rng : None, int or numpy.random.Generator
        Source of the masks (an int is a seed).  Its state is saved in checkpoints,
        so a resumed run draws the same masks.
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        check_in_range("p", p, 0, 1, hi_open=True)
        self.p = float(p)
        self.rng = as_generator("rng", rng)
        self._scale = None

    def forward(self, X):
        X = _input(self, X)
        if not self.training or self.p == 0:
            self._scale = 1
            return X.copy()
        keep = self.rng.random(X.shape, dtype=X.dtype) >= X.dtype.type(self.p)
        self._scale = keep * X.dtype.type(1 / (1 - self.p))  # M / (1 - p): one array for both passes
        return X * self._scale

    def backward(self, dout, *, need_input_grad=True):
        scale = _need_forward(self, self._scale)
        dout = np.asarray(dout)
        if not isinstance(scale, int):
            dout = _check_dout(self, dout, scale.shape)
        return dout * scale if need_input_grad else None

    def r_forward(self, RX, V):
        return None if RX is None else RX * _need_forward(self, self._scale)  # the same mask M / (1 - p)

    def r_backward(self, dout, r_dout, V, *, need_input_grad=True):
        return (r_dout * self._scale if need_input_grad else None), {}       # s'' = 0

    def config(self):
        return {"type": "Dropout", "p": self.p}

    def rng_state(self):
        return encode_rng_state(self.rng)

    def set_rng_state(self, state):
        self.rng = decode_rng_state(state)


#: Layer classes a saved architecture may name: the built-in ones and those given to
#: :func:`register_layer`.  Loading builds nothing else.
LAYERS = {cls.__name__: cls for cls in (Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Dropout)}
_BUILT_IN = frozenset(LAYERS)


def register_layer(cls):
    """Let :func:`descend.nn.save`, :func:`descend.nn.load` and training checkpoints handle a
    layer class of your own; returns ``cls``, so it also works as a class decorator.

    A saved model holds its architecture as JSON (each layer's :meth:`Layer.config`)
    and its parameters as arrays; loading rebuilds each layer as
    ``cls(**config_without_type)`` and then copies the saved parameters in.  So
    ``config()`` must return the constructor's arguments (as JSON values) under
    their names, plus ``"type": cls.__name__``, and the constructor must make
    ``params`` with the same names and shapes.  Only classes registered in this
    process are ever built from a file; the file names a class, it does not hold code.

    Raises DescendError if ``cls`` is not a :class:`Layer` subclass, or if another class
    is already registered under its name (the built-in names cannot be taken).
    """
    if not (isinstance(cls, type) and issubclass(cls, Layer)) or cls is Layer:
        raise DescendError(f"register_layer takes a subclass of descend.nn.Layer, got {cls!r}")
    name = cls.__name__
    if LAYERS.get(name, cls) is not cls:
        which = "a built-in layer" if name in _BUILT_IN else "another registered class"
        raise DescendError(f"a layer named {name!r} is already {which}; give your class another name")
    LAYERS[name] = cls
    return cls

_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _jsonable(obj):
    """Arrays in a generator's state as tagged objects ``{"__ndarray__": [...], "dtype": "<u4"}``, so
    that :func:`_from_jsonable` rebuilds them with their dtype (:func:`descend.safejson.plain` writes the
    rest: NumPy integers as ints, keys as strings; a generator's state holds no float)."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": obj.dtype.str}
    return obj


def _from_jsonable(obj):
    if isinstance(obj, dict):
        if set(obj) == {"__ndarray__", "dtype"}:
            dt = np.dtype(obj["dtype"])
            if dt.kind not in "iu":
                raise DescendError(f"random generator state holds an array of dtype {dt}; expected integers")
            return np.asarray(obj["__ndarray__"], dtype=dt)
        return {k: _from_jsonable(v) for k, v in obj.items()}
    return obj


def encode_rng_state(gen: np.random.Generator) -> str:
    """A Generator's bit-generator state as a JSON string (128-bit ints stay exact in JSON)."""
    return safejson.dumps(_jsonable(gen.bit_generator.state))


def decode_rng_state(state) -> np.random.Generator:
    """Rebuild a Generator from :func:`encode_rng_state`'s string; a bad state is a DescendError."""
    try:
        data = json.loads(state) if isinstance(state, str) else state
        name = data["bit_generator"]
        if name not in _BIT_GENERATORS:
            raise DescendError(f"unknown bit generator {name!r}; valid: {', '.join(_BIT_GENERATORS)}")
        bg = getattr(np.random, name)()
        bg.state = _from_jsonable(data)
    except DescendError:
        raise
    except Exception as exc:  # malformed JSON, missing keys, wrong types
        raise DescendError(f"invalid random generator state: {exc}") from None
    return np.random.Generator(bg)
