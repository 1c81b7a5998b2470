"""The per-step numbers of each elementwise optimizer, as the compiled loop computes them.

An optimizer's rule (``adam(p, g, m, v, ...)``) is compiled as it is written; what
changes from step to step (bias corrections ``1 - beta**t``, NAdam's momentum
schedule, RAdam's rectification) comes from the optimizer's ``_scalars`` method, in
Python floats.  The compiled loop cannot call Python once per step, so each
``_scalars`` has a twin here: the same IEEE operations in the same order, written as
numba compiles them.  Python's ``a ** b`` on floats is libm's ``pow``; the twins write
it ``pypow(a, b)``, a plain call of that ``pow`` (numba's own ``**`` raises to an integer
power by repeated multiplication, and LLVM turns ``pow(x, 0.5)`` into ``sqrt(x)``, which
rounds differently from glibc's ``pow`` in the last bit).

A twin is only trusted while the code it copies is unchanged: :data:`TWINS` holds a
hash of the source of the optimizer's ``_scalars``, ``_present`` and ``_state_init``
(and the helpers they call).  When one of them is edited, :func:`twin` returns None
with the reason, the compiled path steps aside for that optimizer, and
tests/test_jit.py fails until the twin is brought up to date (and its hash).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from dataclasses import dataclass

__all__ = ["Twin", "TWINS", "twin", "source_hash"]


@dataclass(frozen=True)
class Twin:
    """How the compiled loop gets one optimizer's per-step numbers.

    ``hp``: hyperparameter values the twin reads (``beta1``/``beta2`` are the two halves
    of ``betas``); ``code``: statements in ``t`` (the 1-based step, an int), ``lr`` and
    those names that define the rule's remaining scalar arguments; ``sstate``: per-run
    numbers carried between steps, name -> initial value, updated by ``code`` through
    ``<name>_new``; ``init``: state array name -> the hyperparameter that fills it
    (0 otherwise); ``watch``: the functions whose source the twin copies.
    """

    hp: tuple[str, ...]
    code: str
    watch: tuple[str, ...]
    digest: str
    sstate: tuple[tuple[str, float], ...] = ()
    init: tuple[tuple[str, str], ...] = ()


def _resolve(cls, dotted: str):
    """``"_scalars"`` -> the method as ``cls`` sees it; ``"module:name"`` -> that function."""
    if ":" in dotted:
        mod, name = dotted.split(":")
        import importlib
        return getattr(importlib.import_module(mod), name)
    for klass in cls.__mro__:
        if dotted in klass.__dict__:
            return klass.__dict__[dotted]
    raise AttributeError(dotted)


@functools.cache
def source_hash(cls, watch) -> str:
    """A short hash of the source of ``watch`` as seen from ``cls`` (read once per process)."""
    h = hashlib.sha1()
    for name in watch:
        fn = _resolve(cls, name)
        fn = getattr(fn, "__func__", fn)
        h.update(inspect.getsource(fn).encode())
    return h.hexdigest()[:16]


_M = ("_scalars", "_present", "_state_init")
_ADAM = "descend.optim.adam:_bias_corrections"

TWINS: dict[str, Twin] = {
    "gd": Twin(hp=(), code="", watch=_M, digest="3dcd11ee0caca47a"),
    # torch: no dampening at the first step (the buffer starts as the gradient), none without momentum
    "sgd": Twin(hp=("momentum", "dampening"), watch=_M, digest="816893439284c882", code="""
dampening_t = 0.0 if t == 1 or momentum == 0 else dampening
"""),
    "adagrad": Twin(hp=("lr_decay", "eps", "initial_accumulator_value"), watch=_M, digest="5d7c7e612ec72627",
                    init=(("sum", "initial_accumulator_value"),), code="""
lr_t = lr / (1 + (t - 1) * lr_decay)
"""),
    "adadelta": Twin(hp=("rho", "eps"), code="", watch=_M, digest="b5f4b2639a66d836"),
    "rmsprop": Twin(hp=("alpha", "eps", "momentum"), code="", watch=_M, digest="9c98bb5d45b45a84"),
    "adam": Twin(hp=("beta1", "beta2", "eps"), watch=_M + (_ADAM,), digest="d3023ad4b18d3cf5", code="""
bc1 = 1 - pypow(beta1, float(t))
bc2 = 1 - pypow(beta2, float(t))
"""),
    "nadam": Twin(hp=("beta1", "beta2", "eps", "momentum_decay"), watch=_M + (_ADAM,), digest="25a5c1dbd5a5486c",
                  sstate=(("mu_product", 1.0),), code="""
bc2 = 1 - pypow(beta2, float(t))
mu = beta1 * (1.0 - 0.5 * (pypow(0.96, t * momentum_decay)))
mu_next = beta1 * (1.0 - 0.5 * (pypow(0.96, (t + 1) * momentum_decay)))
mu_prod = mu_product * mu
mu_prod_next = mu_prod * mu_next
mu_product_new = mu_prod
"""),
    "radam": Twin(hp=("beta1", "beta2", "eps"), digest="6bccce7823c8b37f",
                  watch=_M + (_ADAM, "descend.optim.adam:_rectification", "descend.optim.adam:_rho"), code="""
bc1 = 1 - pypow(beta1, float(t))
bc2 = 1 - pypow(beta2, float(t))
rho_inf = 2 / (1 - beta2) - 1
rho_t = rho_inf - 2 * t * (pypow(beta2, float(t))) / (1 - pypow(beta2, float(t)))
if rho_t > 5.0:
    rect = pypow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5)
    rectified = 1.0
else:
    rect = 1.0
    rectified = 0.0
bc2_sqrt = pypow(bc2, 0.5)
"""),
    "adamax": Twin(hp=("beta1", "beta2", "eps"), watch=_M + (_ADAM,), digest="021bab7d1b750098", code="""
bc1 = 1 - pypow(beta1, float(t))
"""),
    "lion": Twin(hp=("beta1", "beta2"), code="", watch=_M, digest="819be74bf11a7c23"),
}

#: the rule's scalar argument -> the twin's variable, where the names differ
RENAME = {"sgd": {"dampening": "dampening_t"}}

#: optimizers that share a twin with their base class
ALIASES = {"momentum": "sgd", "nesterov": "sgd", "adamw": "adam"}


#: what the compiled loop copies of Optimizer.step (the order of the transforms, maximize,
#: the clip-norm survey) and of its hyperparameter table: when these change, the loop in
#: descend/jit/driver.py must be checked against them and this digest updated
STEP_WATCH = ("step", "_survey", "_spec", "descend.optim.base:prepare")
STEP_DIGEST = "5379634bee6e01b6"


def twin(opt) -> tuple[Twin | None, str]:
    """The twin for optimizer ``opt`` and "" , or None and why not."""
    from ..optim.base import Optimizer
    try:
        step = source_hash(Optimizer, STEP_WATCH)
    except (OSError, TypeError, AttributeError):
        step = None
    if step != STEP_DIGEST:
        return None, ("Optimizer.step changed since the compiled loop was written (descend/jit/driver.py and "
                      "STEP_DIGEST in descend/jit/scalars.py)")
    name = ALIASES.get(opt.name, opt.name)
    tw = TWINS.get(name)
    if tw is None:
        return None, (f"optimizer {opt.name!r} has no compiled per-step numbers (compiled: "
                      f"{', '.join(sorted(set(TWINS) | set(ALIASES)))})")
    cls = type(opt)
    try:
        digest = source_hash(cls, tw.watch)
    except (OSError, TypeError, AttributeError):  # no source (a frozen app): cannot check
        return None, f"the source of optimizer {opt.name!r} cannot be read to check its compiled twin"
    if digest != tw.digest:
        return None, (f"optimizer {opt.name!r}'s per-step numbers changed since their compiled twin was "
                      f"written (descend/jit/scalars.py)")
    return tw, ""
