"""The optimizers of *Deep Learning from Scratch* (Saito, 2016), ch. 6, as its code computes them.

>>> from descend.optim import book
>>> opt = book.get("adam")                 # the book's defaults: lr=0.001, beta1=0.9, beta2=0.999
>>> book.names()
['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam']

Each rule below is the book's ``common/optimizer.py`` line for line, in the same order
of operations, so float64 parameters get the book's numbers bit for bit (float32
parameters get the float64 result rounded once, where the book's NumPy rounds at every
operation).  They are descend optimizers like the others: containers, explicit state,
``state_dict``, schedules, the shared gradient transforms, many runs at once.

Where the book differs from torch.optim (and from ``descend.optim.get(name)``):

==========  ======================================  =======================================
name        the book                                torch (``descend.optim.get``)
==========  ======================================  =======================================
sgd         p -= lr g                               the same
momentum    v = mu v - lr g;  p += v                b = mu b + g;  p -= lr b: the same path
                                                    for a constant lr (the buffer is -v/lr)
nesterov    v = mu v - lr g;                        b = mu b + g;  p -= lr (g + mu b), i.e.
            p += mu^2 v - (1 + mu) lr g             p += mu^2 v_old - (1 + mu) lr g
            with the *new* v: mu^3 v_old -          (Bengio et al.'s formula, with the old
            (1 + mu + mu^2) lr g                    velocity): a different method
adagrad     eps = 1e-7                              eps = 1e-10 (+ lr_decay, initial value)
rmsprop     decay_rate = 0.99, eps = 1e-7           alpha = 0.99, eps = 1e-8 (+ centered,
                                                    momentum)
adam        lr_t = lr sqrt(1-b2^t)/(1-b1^t);        m_hat / (sqrt(v_hat) + eps), eps = 1e-8;
            p -= lr_t m / (sqrt(v) + 1e-7):         the book's is torch's with eps / sqrt(1 -
            eps outside the bias correction         b2^t) in its place (3.2e-6 at t = 1)
==========  ======================================  =======================================

How much it matters on the book's own figure (ch. 6, ``optimizer_compare_naive.py``:
``f(x, y) = x^2/20 + y^2`` from (-7, 2), 30 steps, the figure's learning rates;
nesterov and rmsprop, not in the figure, at 0.1): the final point of each and the
largest difference (``tests/test_optim_book.py`` recomputes every row):

.. code-block:: text

    name        lr    the book                 torch's form             |difference|
    sgd         0.95  (-0.350393, 0.084782)  (-0.350393, 0.084782)  0.0e+00
    momentum    0.1   (0.896414, 0.088086)  (0.896414, 0.088086)  7.8e-16
    nesterov    0.1   (0.526391, 0.000226)  (0.689615, -0.000680)  1.6e-01
    adagrad     1.5   (-0.120162, 0.000000)  (-0.120162, 0.000000)  7.5e-08
    rmsprop     0.1   (-0.697420, 0.000000)  (-0.697418, 0.000000)  1.9e-06
    adam        0.3   (0.136007, 0.318245)  (0.136015, 0.318245)  7.8e-06

References
----------
Saito, K. (2016). ゼロから作る Deep Learning (Deep Learning from Scratch). O'Reilly
Japan, ch. 6; its code: github.com/oreilly-japan/deep-learning-from-scratch,
``common/optimizer.py``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DescendError, unknown_name
from .base import Optimizer, state_type
from .hyperparameters import elementwise, learning_rate, nonnegative, positive, unit_open

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "get", "names",
           "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


def sgd(p, g, lr):
    """The book's SGD: ``params -= lr * grads``."""
    p = p - lr * g
    return p,


def momentum(p, g, v, lr, momentum):
    """The book's Momentum: v the velocity."""
    v = momentum * v - lr * g
    p = p + v
    return p, v


def nesterov(p, g, v, lr, momentum):
    """The book's Nesterov (Bengio et al.'s reformulation, arXiv:1212.0901)."""
    v = v * momentum
    v = v - lr * g
    p = p + momentum * momentum * v
    p = p - (1 + momentum) * lr * g
    return p, v


def adagrad(p, g, h, lr, eps):
    """The book's AdaGrad."""
    h = h + g * g
    p = p - lr * g / (np.sqrt(h) + eps)
    return p, h


def rmsprop(p, g, h, lr, decay_rate, eps):
    """The book's RMSprop."""
    h = h * decay_rate
    h = h + (1 - decay_rate) * g * g
    p = p - lr * g / (np.sqrt(h) + eps)
    return p, h


def adam(p, g, m, v, lr_t, beta1, beta2, eps):
    """The book's Adam: lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t), eps outside it."""
    m = m + (1 - beta1) * (g - m)
    v = v + (1 - beta2) * (g ** 2 - v)
    p = p - lr_t * m / (np.sqrt(v) + eps)
    return p, m, v


_REF = """
    References
    ----------
    Saito, K. (2016). Deep Learning from Scratch (ゼロから作る Deep Learning), ch. 6,
    ``common/optimizer.py``.
"""


class SGD(Optimizer):
    __doc__ = r"""The book's SGD: :math:`W \leftarrow W - \eta\, \partial L/\partial W`.

    Parameters
    ----------
    lr : float, default 0.01
    """ + _REF

    name = "book.sgd"
    rule = staticmethod(sgd)
    hyperparameters = {"lr": (0.01, learning_rate)}
    State = state_type("BookSGDState", (), "State of the book's SGD: the step count.")

    def _scalars(self, hp, t, lr, sstate):
        return {"lr": lr}, {}


class Momentum(Optimizer):
    __doc__ = r"""The book's Momentum: :math:`v \leftarrow \alpha v - \eta\, \partial L/\partial W`,
    :math:`W \leftarrow W + v`.  State ``v`` (the velocity).

    Parameters
    ----------
    lr : float, default 0.01
    momentum : float >= 0, default 0.9
    """ + _REF

    name = "book.momentum"
    rule = staticmethod(momentum)
    hyperparameters = {"lr": (0.01, learning_rate), "momentum": (0.9, nonnegative)}
    State = state_type("BookMomentumState", ("v",), "State of the book's Momentum: count and velocity v.")

    def _scalars(self, hp, t, lr, sstate):
        return {"lr": lr, "momentum": hp["momentum"]}, {}


class Nesterov(Momentum):
    __doc__ = r"""The book's Nesterov:

    .. math::

        v &\leftarrow \alpha v - \eta g \\
        W &\leftarrow W + \alpha^2 v - (1 + \alpha)\,\eta g

    Nesterov's accelerated gradient in Bengio, Boulanger-Lewandowski and Pascanu's
    form (arXiv:1212.0901), stepping the look-ahead point.  State ``v``.

    Parameters
    ----------
    lr : float, default 0.01
    momentum : float >= 0, default 0.9
    """ + _REF

    name = "book.nesterov"
    rule = staticmethod(nesterov)
    State = state_type("BookNesterovState", ("v",), "State of the book's Nesterov: count and velocity v.")


class AdaGrad(Optimizer):
    __doc__ = r"""The book's AdaGrad: :math:`h \leftarrow h + g \odot g`,
    :math:`W \leftarrow W - \eta\, g / (\sqrt h + \epsilon)`.  State ``h``.

    Parameters
    ----------
    lr : float, default 0.01
    eps : float > 0, default 1e-7 (the book's constant)
    """ + _REF

    name = "book.adagrad"
    rule = staticmethod(adagrad)
    hyperparameters = {"lr": (0.01, learning_rate), "eps": (1e-7, positive)}
    State = state_type("BookAdaGradState", ("h",), "State of the book's AdaGrad: count and h.")

    def _scalars(self, hp, t, lr, sstate):
        return {"lr": lr, "eps": hp["eps"]}, {}


class RMSprop(Optimizer):
    __doc__ = r"""The book's RMSprop: :math:`h \leftarrow \rho h + (1 - \rho)\, g \odot g`,
    :math:`W \leftarrow W - \eta\, g / (\sqrt h + \epsilon)`.  State ``h``.

    Parameters
    ----------
    lr : float, default 0.01
    decay_rate : float in [0, 1), default 0.99
    eps : float > 0, default 1e-7 (the book's constant)
    """ + _REF

    name = "book.rmsprop"
    rule = staticmethod(rmsprop)
    hyperparameters = {"lr": (0.01, learning_rate), "decay_rate": (0.99, unit_open), "eps": (1e-7, positive)}
    State = state_type("BookRMSpropState", ("h",), "State of the book's RMSprop: count and h.")

    def _scalars(self, hp, t, lr, sstate):
        return {"lr": lr, "decay_rate": hp["decay_rate"], "eps": hp["eps"]}, {}


class Adam(Optimizer):
    __doc__ = r"""The book's Adam:

    .. math::

        \eta_t &= \eta \sqrt{1 - \beta_2^t} / (1 - \beta_1^t) \\
        m &\leftarrow m + (1 - \beta_1)(g - m), \qquad v \leftarrow v + (1 - \beta_2)(g^2 - v) \\
        W &\leftarrow W - \eta_t\, m / (\sqrt v + \epsilon)

    Kingma and Ba's efficient form with :math:`\epsilon` outside the bias correction:
    torch's :math:`\hat m/(\sqrt{\hat v} + \epsilon)` is this with
    :math:`\epsilon\sqrt{1 - \beta_2^t}` in place of :math:`\epsilon`.  State ``m``, ``v``.

    Parameters
    ----------
    lr : float, default 0.001
    beta1 : float in [0, 1), default 0.9
    beta2 : float in [0, 1), default 0.999
    eps : float > 0, default 1e-7 (the book's constant)
    """ + _REF

    name = "book.adam"
    rule = staticmethod(adam)
    hyperparameters = {"lr": (0.001, learning_rate), "beta1": (0.9, unit_open), "beta2": (0.999, unit_open),
                       "eps": (1e-7, positive)}
    State = state_type("BookAdamState", ("m", "v"), "State of the book's Adam: count, m and v.")

    def _scalars(self, hp, t, lr, sstate):
        # the book: lr * np.sqrt(1.0 - beta2**iter) / (1.0 - beta1**iter), in Python floats
        lr_t = elementwise(lambda lr, b1, b2, t: lr * math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t),
                           lr, hp["beta1"], hp["beta2"], t)
        return {"lr_t": lr_t, "beta1": hp["beta1"], "beta2": hp["beta2"], "eps": hp["eps"]}, {}


_BY_NAME = {cls.name.split(".", 1)[1]: cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam)}


def names() -> list[str]:
    """The names :func:`get` accepts: the book's six."""
    return list(_BY_NAME)


def get(name: str, **hyperparameters) -> Optimizer:
    """The book's optimizer ``name`` (case-insensitive), e.g. ``get("adam", lr=0.3)``."""
    if not isinstance(name, str) or name.lower() not in _BY_NAME:
        raise DescendError(unknown_name("book optimizer", name, list(_BY_NAME)))
    return _BY_NAME[name.lower()](**hyperparameters)
