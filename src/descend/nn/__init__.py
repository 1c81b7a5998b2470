"""descend.nn: small NumPy networks with hand-written backprop.

Layers (:mod:`descend.nn.layers`) and losses (:mod:`descend.nn.losses`) keep
forward and backward side by side; :class:`Sequential` chains layers and names
their parameters like torch ("0.weight", "0.bias", ...).  float32 by default,
float64 on request (``dtype=np.float64``).

>>> import numpy as np
>>> from descend import nn
>>> model = nn.Sequential(nn.Linear(2, 10, rng=0), nn.ReLU(), nn.Linear(10, 1, rng=1))
>>> model
Sequential(
  (0): Linear(in_features=2, out_features=10, init='he', dtype=float32)
  (1): ReLU()
  (2): Linear(in_features=10, out_features=1, init='he', dtype=float32)
)
"""

from .checks import check_gradients
from .io import load, save
from .layers import Dropout, Layer, LeakyReLU, Linear, ReLU, Sigmoid, Tanh, register_layer
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from .losses import get as get_loss
from .losses import names as loss_names
from .model import Sequential

__all__ = ["Layer", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Dropout", "Sequential",
           "Loss", "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "get_loss", "loss_names",
           "check_gradients", "save", "load", "register_layer", "mlp"]


def mlp(sizes, *, activation: str = "relu", init="he", dropout: float = 0.0, rng=None, dtype="float32"):
    """A multilayer perceptron ``Linear -> act -> ... -> Linear`` from layer sizes.

    Parameters
    ----------
    sizes : sequence of int
        ``(inputs, hidden..., outputs)``, e.g. ``(784, 256, 10)``; at least two.
    activation : {"relu", "leaky_relu", "sigmoid", "tanh"}
    init : "he", "xavier" or a scale, for every Linear
    dropout : float in [0, 1)
        Adds a Dropout after each hidden activation when > 0.
    rng : None, int or Generator
        One generator for all the weights (and dropout masks), so an int seed fixes them all.
    dtype : float32 or float64
    """
    import numpy as np

    from ..errors import DescendError, check_choice
    from .layers import as_generator

    acts = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}
    check_choice("activation", activation, acts)
    sizes = list(sizes)
    if len(sizes) < 2:
        raise DescendError(f"sizes must list at least inputs and outputs, got {sizes}")
    gen = as_generator("rng", rng)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, init=init, rng=gen, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(acts[activation]())
            if dropout:
                layers.append(Dropout(dropout, rng=np.random.default_rng(gen.integers(2**63))))
    return Sequential(*layers)
