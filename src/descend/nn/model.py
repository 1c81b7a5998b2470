"""Sequential: layers applied one after the other, with torch-like parameter names."""

from __future__ import annotations

import copy

import numpy as np

from ..errors import DescendError
from .layers import LAYERS, Layer, check_dtype
from .saving import write_model

__all__ = ["Sequential"]


class Sequential:
    """A stack of layers: ``forward`` runs them in order, ``backward`` in reverse.

    Parameters
    ----------
    *layers : Layer
        The layers, e.g. ``Sequential(Linear(2, 10), ReLU(), Linear(10, 1))``.

    Attributes
    ----------
    params : dict of str -> ndarray
        Every parameter under a torch-like name, ``"0.weight"``, ``"0.bias"``, ``"2.weight"``...
        These are the layers' own arrays: updating them in place (as an optimizer
        does) updates the model.
    grads : dict of str -> ndarray
        Same keys; overwritten in place by every :meth:`backward` (copy them to keep them).
    input_grad : ndarray or None
        dL/dX of the last :meth:`backward` called with ``input_grad=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.nn import Sequential, Linear, ReLU, MSELoss
    >>> model = Sequential(Linear(2, 10, rng=0), ReLU(), Linear(10, 1, rng=1))
    >>> sorted(model.params)
    ['0.bias', '0.weight', '2.bias', '2.weight']
    >>> loss = MSELoss()
    >>> X = np.ones((4, 2), np.float32); y = np.zeros(4, np.float32)
    >>> value = loss.forward(model.forward(X), y)
    >>> grads = model.backward(loss.backward())
    >>> grads["0.weight"].shape
    (2, 10)
    """

    def __init__(self, *layers: Layer):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise DescendError("Sequential needs at least one layer, got none")
        for i, layer in enumerate(layers):
            if isinstance(layer, Sequential):
                raise DescendError(f"layer {i} is a Sequential; nesting is not supported: pass its layers "
                                   f"instead, Sequential(*a.layers, *b.layers)")
            if not isinstance(layer, Layer):
                raise DescendError(f"layer {i} must be a descend.nn layer (Linear, ReLU, ...), got {layer!r}")
        dtypes = {layer.dtype.name for layer in layers if hasattr(layer, "dtype")}
        if len(dtypes) > 1:
            raise DescendError(f"all layers must share one dtype, got {', '.join(sorted(dtypes))}; "
                               f"build every Linear with the same dtype=")
        self.dtype = np.dtype(dtypes.pop() if dtypes else np.float32)
        owners = {}
        for i, layer in enumerate(layers):
            gen = getattr(layer, "rng", None)
            if gen is not None and id(gen) in owners:
                raise DescendError(f"layers {owners[id(gen)]} and {i} share one random generator; give each "
                                   f"Dropout its own (rng=seed) so that checkpoints restore them exactly")
            if gen is not None:
                owners[id(gen)] = i
        self.layers = list(layers)
        self.params = {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}
        self.grads = {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}
        self.input_grad = None
        self.output_grads = None
        self._out_shape = None

    # -- forward and backward ----------------------------------------------------
    def forward(self, X) -> np.ndarray:
        """Run the layers in order on a batch ``X`` of shape ``(N, features)``; return the output.

        ``X`` is converted to the model's dtype (a copy only if it differs) and never written.
        """
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise DescendError(f"X must hold real numbers, got dtype {X.dtype}")
        if X.ndim != 2:
            raise DescendError(f"X must be a 2-D batch of shape (N, features), got shape {X.shape}; "
                               f"use X.reshape(1, -1) for one sample")
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)
        for layer in self.layers:
            X = layer.forward(X)
        self._out_shape = X.shape
        return X

    __call__ = forward

    def backward(self, dout, *, input_grad: bool = False, keep: bool = False) -> dict[str, np.ndarray]:
        """Backpropagate ``dout`` = dL/d(output) through the layers; return :attr:`grads`.

        With ``input_grad=True`` dL/dX is also computed and kept in :attr:`input_grad`
        (the first layer skips it otherwise, which saves a matrix product).  With
        ``keep=True`` the gradient of the loss in each layer's output is kept in
        :attr:`output_grads` (what :meth:`r_backward` reads).  ``dout`` is never written.
        """
        if self._out_shape is None:
            raise DescendError("Sequential.backward called before forward")
        dout = np.asarray(dout)
        if dout.shape != self._out_shape:
            raise DescendError(f"dout must have the output's shape {self._out_shape}, got {dout.shape}")
        if dout.dtype != self.dtype:
            dout = dout.astype(self.dtype)
        last = len(self.layers) - 1
        kept = [None] * len(self.layers)
        for i in range(last, -1, -1):
            kept[i] = dout
            dout = self.layers[i].backward(dout, need_input_grad=input_grad or i > 0)
        self.input_grad = dout if input_grad else None
        self.output_grads = kept if keep else None
        return self.grads

    # -- the R-operator: the same chain, one order up ----------------------------------
    def has_r_operator(self) -> bool:
        """Whether every layer has its R-operator (else :mod:`descend.curvature` uses finite differences)."""
        return all(layer.has_r_operator() for layer in self.layers)

    def _layer_direction(self, V: dict, i: int) -> dict:
        return {k: V[f"{i}.{k}"] for k in self.layers[i].params}

    def r_forward(self, V: dict) -> np.ndarray:
        """``R{output}``: the derivative of the last :meth:`forward`'s output along the parameter
        direction ``V`` (a dict with the keys of :attr:`params`)."""
        if self._out_shape is None:
            raise DescendError("Sequential.r_forward called before forward")
        RX = None  # the data do not move with the parameters
        for i, layer in enumerate(self.layers):
            RX = layer.r_forward(RX, self._layer_direction(V, i))
        return RX

    def r_backward(self, r_dout, V: dict) -> dict[str, np.ndarray]:
        """``R{grads}`` = the Hessian of the loss times ``V``, from ``r_dout`` = R{dL/d(output)}
        (the loss's :meth:`~descend.nn.Loss.r_backward`), after :meth:`r_forward` and a
        :meth:`backward` with ``keep=True``; a new dict with the keys of :attr:`params`."""
        if getattr(self, "output_grads", None) is None:
            raise DescendError("Sequential.r_backward needs backward(dout, keep=True) first")
        out = {}
        for i in range(len(self.layers) - 1, -1, -1):
            r_dout, r_grads = self.layers[i].r_backward(self.output_grads[i], r_dout, self._layer_direction(V, i),
                                                        need_input_grad=i > 0)
            out.update({f"{i}.{k}": g for k, g in r_grads.items()})
        return {name: out[name] for name in self.params}

    def predict(self, X, *, batch_size: int = 8192) -> np.ndarray:
        """Forward pass in evaluation mode (Dropout off), in chunks of ``batch_size`` rows.

        The model's mode is restored afterwards.
        """
        was_training = self.training
        self.eval()
        try:
            X = np.asarray(X)
            if X.ndim != 2:
                raise DescendError(f"X must be a 2-D batch of shape (N, features), got shape {X.shape}")
            outs = [self.forward(X[i:i + batch_size]) for i in range(0, max(len(X), 1), batch_size)]
        finally:
            self.train(was_training)
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    # -- modes ----------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return all(layer.training for layer in self.layers)

    def train(self, mode: bool = True) -> "Sequential":
        """Training mode (Dropout drops units); ``train(False)`` is :meth:`eval`.  Returns self."""
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> "Sequential":
        """Evaluation mode (Dropout passes inputs through).  Returns self."""
        return self.train(False)

    # -- parameters, state, architecture ----------------------------------------------
    @property
    def n_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.size for p in self.params.values()))

    def load_params(self, params: dict) -> None:
        """Copy ``params`` (name -> array, the same names and shapes as :attr:`params`) into the model."""
        missing = sorted(set(self.params) - set(params))
        extra = sorted(set(params) - set(self.params))
        if missing or extra:
            raise DescendError(f"parameter names differ from the model's: missing {missing}, unexpected {extra}")
        for name, value in params.items():
            value = np.asarray(value)
            if value.shape != self.params[name].shape:
                raise DescendError(f"parameter {name!r} must have shape {self.params[name].shape}, "
                                   f"got {value.shape}")
            if value.dtype.kind not in "f":
                raise DescendError(f"parameter {name!r} must hold floats, got dtype {value.dtype}")
        for name, value in params.items():
            np.copyto(self.params[name], value, casting="same_kind")

    def rng_state(self) -> dict[str, str]:
        """States of the layers' random generators (Dropout), by layer index, as JSON strings."""
        return {str(i): s for i, layer in enumerate(self.layers) if (s := layer.rng_state()) is not None}

    def set_rng_state(self, state: dict) -> None:
        """Restore :meth:`rng_state`'s result."""
        expected = set(self.rng_state())
        if set(state) != expected:
            raise DescendError(f"random state is for layers {sorted(state)}, the model's random layers "
                               f"are {sorted(expected)}")
        for i, s in state.items():
            self.layers[int(i)].set_rng_state(s)

    def config(self) -> dict:
        """The architecture as plain JSON data: ``{"type": "Sequential", "layers": [...]}``."""
        return {"type": "Sequential", "dtype": self.dtype.name, "layers": [layer.config() for layer in self.layers]}

    @classmethod
    def from_config(cls, config) -> "Sequential":
        """Build a model (freshly initialised) from :meth:`config`'s data; refuses anything unknown."""
        if not isinstance(config, dict) or config.get("type") != "Sequential" \
                or not isinstance(config.get("layers"), list):
            raise DescendError("architecture must be {'type': 'Sequential', 'layers': [...]}, "
                               f"got {str(config)[:80]}")
        layers = []
        for i, spec in enumerate(config["layers"]):
            if not isinstance(spec, dict) or spec.get("type") not in LAYERS:
                raise DescendError(f"architecture layer {i}: unknown layer {str(spec)[:60]}; "
                                   f"valid types: {', '.join(LAYERS)} (a layer class of your own must be "
                                   f"given to descend.nn.register_layer before loading)")
            kwargs = {k: v for k, v in spec.items() if k != "type"}
            cls_ = LAYERS[spec["type"]]
            try:
                if cls_.__name__ == "Linear":
                    layer = cls_(kwargs.pop("in_features"), kwargs.pop("out_features"), rng=0, **kwargs)
                else:
                    layer = cls_(**kwargs)
            except DescendError as exc:
                raise DescendError(f"architecture layer {i} ({spec['type']}): {exc}") from None
            except (TypeError, KeyError, ValueError) as exc:
                raise DescendError(f"architecture layer {i} ({spec['type']}): bad arguments {kwargs}: {exc}") \
                    from None
            layers.append(layer)
        model = cls(*layers)
        if "dtype" in config and check_dtype(config["dtype"]) != model.dtype:
            raise DescendError(f"architecture dtype {config['dtype']!r} differs from its layers' {model.dtype.name}")
        return model

    def astype(self, dtype) -> "Sequential":
        """A deep copy of the model with parameters of another dtype (float32 or float64)."""
        dt = check_dtype(dtype)
        layers = copy.deepcopy(self.layers)
        for layer in layers:
            for k in list(layer.params):
                layer.params[k] = layer.params[k].astype(dt)
                layer.grads[k] = np.zeros_like(layer.params[k])
            if hasattr(layer, "dtype"):
                layer.dtype = dt
        return Sequential(*layers)

    def save(self, path, *, overwrite: bool = False) -> None:
        """Save architecture and parameters to ``path`` (an .npz); see :func:`descend.nn.save`."""
        write_model(self, path, overwrite=overwrite)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __repr__(self):
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
