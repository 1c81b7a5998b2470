"""Rules that need a whole parameter array at once: a matrix function, a norm, a factored state.

:class:`TensorOptimizer` is an :class:`~descend.optim.base.Optimizer` whose rule is
written for one parameter array of one run, whole, instead of one element::

    def muon(p, g, b, lr, momentum, ...):
        b = lerp(b, g, 1 - momentum)
        o = newton_schulz(b, ...)          # needs the whole matrix
        return p - lr * o, b

Everything else is the base class's: hyperparameter checks, containers, per-run
hyperparameters and counts, the gradient transforms (in the same order), the
non-finite guard, ``state_dict``.  What differs:

* the rule sees each parameter (each run's slice of it, with ``runs=R``) in float64,
  whole; no numba kernel (``fused`` is accepted and has no effect);
* a state array may have another shape than its parameter (Adafactor's row and
  column factors), and which arrays a parameter keeps may depend on its shape:
  :meth:`TensorOptimizer._state_shapes` says, per parameter;
* a subclass may refuse parameter shapes (:meth:`TensorOptimizer._check_shape`), at
  the first step or :meth:`~descend.optim.base.Optimizer.init`, before any state exists;
* a rule that needs a sum over *every* parameter before any is updated (Prodigy's D)
  overrides ``_apply_fused``: the base class calls it once per step with all the
  parameters, before the per-parameter rule, and here it has no kernel to run.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..errors import DescendError
from .base import Optimizer
from .containers import at_row
from .transforms import prepare

__all__ = ["TensorOptimizer", "lerp"]


def lerp(a, b, w):
    """``a + w (b - a)``, computed as torch's ``lerp`` does (the far end for w >= 1/2)."""
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


class TensorOptimizer(Optimizer):
    """Base class for rules over whole arrays (see the module docstring).

    Subclasses set what :class:`~descend.optim.base.Optimizer` asks for (``name``,
    ``rule``, ``State``, ``hyperparameters``, ``_scalars``) and may
    override :meth:`_state_shapes`, :meth:`_check_shape` and :meth:`_leaf_scalars`.
    """

    #: who applies ``weight_decay``: False, the shared transforms (as every optimizer);
    #: "decoupled", the rule, when decoupled (it needs the parameter before it, as
    #: Adafactor's step size does): it gets ``decay`` = 1 - lr*weight_decay and
    #: ``use_decay``, and coupled (L2) decay stays with the shared transforms; "all", the
    #: rule, always, in its own form (Schedule-Free's): it gets ``weight_decay``
    _decay_in_rule: ClassVar[bool | str] = False
    #: state arrays that start as a copy of the parameter (the others start at 0)
    _starts_at_params: ClassVar[tuple[str, ...]] = ()

    # -- hooks ----------------------------------------------------------------------------
    def _state_shapes(self, shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        """State name -> shape for one run's parameter of ``shape``; names left out are
        not kept for that parameter.  Default: every state array, the parameter's shape."""
        return {n: shape for n in self.state_names}

    def _check_shape(self, label: str, shape: tuple[int, ...]) -> None:
        """Refuse a parameter shape the rule cannot take (raise DescendError)."""

    def _leaf_scalars(self, dtype: np.dtype, scalars: dict[str, Any]) -> dict[str, Any]:
        """The rule's scalars for a parameter of ``dtype`` (default: as they are)."""
        return scalars

    # -- state --------------------------------------------------------------------------
    def _leading(self, runs=None) -> bool:
        return runs is not None or self._runs is not None or self._hp_runs is not None

    def _present(self):
        # which arrays exist is decided per parameter (_state_shapes); while loading, the
        # base class checks everything but the state arrays, which this class checks
        return (False,) * len(self.state_names) if self.__dict__.get("_bare") else (True,) * len(self.state_names)

    def _init_from(self, kind, leaves, runs):
        lead = self._leading(runs)
        for leaf in leaves:
            self._check_shape(leaf.label, leaf.p.shape[1:] if lead else leaf.p.shape)
        self._bare = True
        try:
            super()._init_from(kind, leaves, runs)  # counts, runs, scalar state; no arrays
        finally:
            self._bare = False
        for leaf in leaves:
            lead_shape, shape = (leaf.p.shape[:1], leaf.p.shape[1:]) if lead else ((), leaf.p.shape)
            want = self._state_shapes(shape)
            self._slots[leaf.key].arrays = {n: (None if n not in want else leaf.p.copy() if n in self._starts_at_params
                                                else np.zeros(lead_shape + want[n], dtype=leaf.p.dtype))
                                            for n in self.state_names}

    def _load_state_dict(self, d: dict) -> None:
        """As the base class's, with every state array checked against the shape its
        parameter needs; a mismatch leaves this optimizer unchanged."""
        runs = int(np.asarray(d.get("runs", 0)))
        lead = runs != 0 or self._hp_runs is not None
        keys = [str(k) for k in np.asarray(d.get("keys", np.array([], dtype=str))).reshape(-1)]
        arrays = {}
        for k in keys:
            if f"shape.{k}" not in d:
                raise DescendError(f"{self.name}: state_dict has no 'shape.{k}' entry")
            shape = tuple(int(i) for i in np.asarray(d[f"shape.{k}"]).reshape(-1))
            lead_shape, one = (shape[:1], shape[1:]) if lead else ((), shape)
            self._check_shape(f"params[{k!r}]" if k != "params" else "params", one)
            want = self._state_shapes(one)
            arrays[k] = {}
            for n in self.state_names:
                entry = f"state.{k}.{n}"
                if n not in want:
                    if entry in d:
                        raise DescendError(f"{self.name}: state_dict has unexpected entry {entry!r}")
                    arrays[k][n] = None
                    continue
                if entry not in d:
                    raise DescendError(f"{self.name}: state_dict is missing {entry!r}")
                a = np.array(d[entry])
                if a.dtype.kind != "f":
                    raise DescendError(f"{self.name}: {entry} must be a float array, got dtype {a.dtype}")
                if a.shape != lead_shape + want[n]:
                    raise DescendError(f"{self.name}: {entry} has shape {a.shape}, expected "
                                       f"{lead_shape + want[n]} for a parameter of shape {shape}")
                arrays[k][n] = a
        rest = {k: v for k, v in d.items() if not k.startswith("state.")}
        self._bare = True
        try:
            super()._load_state_dict(rest)
        finally:
            self._bare = False
        for k, slot in self._slots.items():
            slot.arrays = arrays[k]
            slot.dtype = next((a.dtype for a in arrays[k].values() if a is not None), np.dtype(np.float64))

    # -- the step -------------------------------------------------------------------------
    def _apply_fused(self, leaves, common, scalars):
        return leaves  # no kernel: the rule needs whole arrays

    def _apply(self, leaf, slot, rows, common, scalars, mask):
        lead = self._leading()
        p, g = leaf.p, np.asarray(leaf.g)
        names = self.state_names
        rule = type(self).rule
        leaf_scalars = self._leaf_scalars(p.dtype, scalars)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for r in range(rows if lead else 1):
                if mask is not None and not mask[r, 0]:
                    continue
                at = (lambda a: a[r]) if lead else (lambda a: a)
                c = {k: at_row(v, r) for k, v in common.items()}
                s = {k: at_row(v, r) for k, v in leaf_scalars.items()}
                if self._decay_in_rule == "decoupled":
                    s["use_decay"] = c["decoupled"]
                    s["decay"] = 1 - c["lr"] * c["weight_decay"] if c["decoupled"] else 1.0
                    c["decoupled"] = False
                elif self._decay_in_rule == "all":
                    s["weight_decay"] = c["weight_decay"]
                    c["coupled"] = c["decoupled"] = False
                pr, gr = at(p), at(g)
                pb, gb = prepare(np.array(pr, dtype=np.float64), np.asarray(gr, dtype=np.float64), **c)
                st = [None if slot.arrays[n] is None else np.array(at(slot.arrays[n]), dtype=np.float64)
                      for n in names]
                out = rule(pb, gb, *st, **s)
                if lead:
                    p[r] = out[0]
                else:
                    p[...] = out[0]
                for n, new in zip(names, out[1:]):
                    if slot.arrays[n] is not None:
                        if lead:
                            slot.arrays[n][r] = new
                        else:
                            slot.arrays[n][...] = new
