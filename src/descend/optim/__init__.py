"""Optimizers: one update rule each, written once for one array, lifted to containers.

>>> import numpy as np
>>> from descend import optim
>>> x = np.array([1.0, -2.0])
>>> opt = optim.Adam(lr=0.1)
>>> for _ in range(3):
...     opt.step(x, 2 * x)          # the gradient of |x|^2, updates x in place
>>> opt.state.count
3

``optim.get("adam", lr=0.1)`` builds one by name (case-insensitive), ``optim.names()``
lists the names.  Every optimizer accepts ``params`` as one ndarray or a dict of
name -> ndarray (updated in place), keeps explicit state (:attr:`Optimizer.state`,
:meth:`Optimizer.state_dict`), takes a float, a per-run array or a
:mod:`descend.schedules` schedule as ``lr``, and shares the gradient transforms
``weight_decay``, ``decoupled_weight_decay``, ``clip_value``, ``clip_norm`` and
``nonfinite``.  For the optimizers torch.optim also has, the hyperparameter names,
defaults and numbers are torch's.
"""

from __future__ import annotations

from ..errors import DescendError, unknown_name
from .adafactor import Adafactor
from .adam import Adam, Adamax, AdamW, NAdam, RAdam
from .adaptive import Adadelta, AdaGrad, Adagrad, RMSProp, RMSprop
from .ademamix import AdEMAMix
from .adopt import ADOPT
from .asgd import ASGD
from .base import Optimizer
from . import book
from .lamb import LAMB
from .lbfgs import LBFGS
from .lion import Lion
from .muon import Muon
from .prodigy import Prodigy
from .rprop import Rprop
from .schedule_free import AdamWScheduleFree, SGDScheduleFree
from .sgd import GD, SGD, Momentum, Nesterov
from .soap import SOAP

__all__ = ["Optimizer", "GD", "SGD", "Momentum", "Nesterov", "AdaGrad", "Adagrad", "Adadelta",
           "RMSProp", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "Lion", "Rprop", "ASGD", "Adafactor", "Muon", "SGDScheduleFree", "AdamWScheduleFree", "ADOPT", "AdEMAMix",
           "Prodigy", "LAMB", "SOAP", "LBFGS", "book", "get", "get_class", "names", "closure_names", "catalog", "REFERENCES"]

_BY_NAME = {cls.name: cls for cls in (SGD, GD, Momentum, Nesterov, AdaGrad, Adadelta, RMSProp, Adam, AdamW,
                                      NAdam, RAdam, Adamax, Lion, Rprop, ASGD, Adafactor, Muon,
                                      SGDScheduleFree, AdamWScheduleFree, ADOPT, AdEMAMix, Prodigy, LAMB, SOAP)}
#: optimizers stepped with a closure, step(params, closure): kept out of names(), whose
#: optimizers training, sweeps, races and the explorer call as step(params, grads)
_CLOSURE = {LBFGS.name: LBFGS}


#: name -> (group, what its numbers are checked against); the tests hold the checks
REFERENCES = {
    "sgd": ("torch.optim", "torch.optim.SGD"),
    "gd": ("torch.optim", "torch.optim.SGD (momentum=0)"),
    "momentum": ("torch.optim", "torch.optim.SGD (momentum=0.9)"),
    "nesterov": ("torch.optim", "torch.optim.SGD (momentum=0.9, nesterov=True)"),
    "adagrad": ("torch.optim", "torch.optim.Adagrad"),
    "adadelta": ("torch.optim", "torch.optim.Adadelta"),
    "rmsprop": ("torch.optim", "torch.optim.RMSprop"),
    "adam": ("torch.optim", "torch.optim.Adam"),
    "adamw": ("torch.optim", "torch.optim.AdamW"),
    "nadam": ("torch.optim", "torch.optim.NAdam"),
    "radam": ("torch.optim", "torch.optim.RAdam"),
    "adamax": ("torch.optim", "torch.optim.Adamax"),
    "rprop": ("torch.optim", "torch.optim.Rprop"),
    "asgd": ("torch.optim", "torch.optim.ASGD"),
    "adafactor": ("torch.optim", "torch.optim.Adafactor"),
    "muon": ("torch.optim", "torch.optim.Muon (its Newton-Schulz in float64, not bfloat16)"),
    "lbfgs": ("torch.optim", "torch.optim.LBFGS (step(params, closure))"),
    "lion": ("modern", "optax.lion"),
    "sgd_schedule_free": ("modern", "schedulefree.SGDScheduleFreeReference"),
    "adamw_schedule_free": ("modern", "schedulefree.AdamWScheduleFreeReference"),
    "adopt": ("modern", "pytorch_optimizer.ADOPT"),
    "ademamix": ("modern", "pytorch_optimizer.AdEMAMix"),
    "prodigy": ("modern", "prodigyopt.Prodigy"),
    "lamb": ("modern", "pytorch_optimizer.Lamb"),
    "soap": ("modern", "pytorch_optimizer.SOAP (1e-7 where its Gram matrices are full rank)"),
}


def catalog() -> list[dict]:
    """Every optimizer, grouped (torch.optim, modern, book): dicts with ``group``,
    ``name`` (what :func:`get`, or :func:`descend.optim.book.get` for the book's, takes;
    a closure optimizer of :func:`closure_names` is built from its ``cls``),
    ``cls``, ``reference`` (what the tests check its numbers against) and ``defaults``."""
    every = {**_BY_NAME, **_CLOSURE}
    rows = [dict(group=REFERENCES[n][0], name=n, cls=every[n], reference=REFERENCES[n][1]) for n in every]
    rows += [dict(group="book", name=f"book.{n}", cls=type(book.get(n)),
                  reference="Deep Learning from Scratch, common/optimizer.py") for n in book.names()]
    order = {"torch.optim": 0, "modern": 1, "book": 2}
    rows.sort(key=lambda r: order[r["group"]])  # stable: each group keeps its order
    for r in rows:
        r["defaults"] = r["cls"].defaults()
    return rows


def names() -> list[str]:
    """The optimizer names :func:`get` accepts: those stepped with gradients,
    ``step(params, grads)`` (see also :func:`closure_names`)."""
    return list(_BY_NAME)


def closure_names() -> list[str]:
    """The names of the optimizers stepped with a closure, ``step(params, closure)``
    (:class:`LBFGS`): built from their class, ``optim.LBFGS(...)``, since every caller of
    :func:`get` (minimize, compare, train, sweeps) steps with gradients."""
    return list(_CLOSURE)


def get(name: str, **hyperparameters) -> Optimizer:
    """Build an optimizer by name (case-insensitive), e.g. ``get("adam", lr=1e-2)``;
    ``"book.<name>"`` builds the book's (:func:`descend.optim.book.get`), so that
    ``descend.minimize`` and ``descend.compare`` take them by name too.

    Raises
    ------
    DescendError
        For an unknown name (the message lists the valid ones) or an unknown or
        out-of-range hyperparameter (the message lists the valid ones).
    """
    if isinstance(name, str) and name.lower().startswith("book."):  # the book's own: "book.adam"
        return book.get(name[5:], **hyperparameters)
    if isinstance(name, str) and name.lower() in _CLOSURE:  # a closure optimizer: not for step(params, grads)
        raise DescendError(f"optimizer {name!r} steps with a closure, step(params, closure), not with gradients: "
                           f"build descend.optim.{_CLOSURE[name.lower()].__name__}(...) and call its step; "
                           f"descend.minimize has L-BFGS as method='lbfgs'; optimizers by name: {', '.join(_BY_NAME)}")
    if not isinstance(name, str) or name.lower() not in _BY_NAME:
        raise DescendError(unknown_name("optimizer", name, _BY_NAME))
    return _BY_NAME[name.lower()](**hyperparameters)


def get_class(name: str) -> type[Optimizer]:
    """The class of the optimizer :func:`get` builds for ``name`` (case-insensitive), without building
    one: its ``defaults()`` and ``valid_hyperparameters()`` for a caller that lists or checks them.

    Raises
    ------
    DescendError
        For a name :func:`get` does not take (the message lists the valid ones).
    """
    if not isinstance(name, str) or name.lower() not in _BY_NAME:
        raise DescendError(unknown_name("optimizer", name, _BY_NAME))
    return _BY_NAME[name.lower()]
