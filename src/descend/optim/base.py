"""The Optimizer class: one update rule lifted to containers, state, transforms and runs.

An optimizer is an update rule written once, for one array, as a pure function::

    def adam(p, g, m, v, v_max, lr, beta1, beta2, eps, amsgrad, bc1, bc2):
        m = beta1 * m + (1 - beta1) * g
        ...
        return p, m, v, v_max

plus a small class that names its hyperparameters (with torch's names and defaults,
checked by :mod:`descend.optim.hyperparameters` when it is built) and turns the step
count into the per-step numbers the rule needs (bias corrections and the like).
:class:`Optimizer` does the rest, once for all of them:

* containers (:mod:`descend.optim.containers`): ``params`` is one ndarray or a dict of
  name -> ndarray, updated in place; ``grads`` has the same keys and shapes;
* state: created at the first step (or by :meth:`Optimizer.init`), kept per key as
  plain arrays named after torch's state (``exp_avg``, ``momentum_buffer``...), saved
  and loaded with :meth:`Optimizer.state_dict` / :meth:`Optimizer.load_state_dict`;
* the gradient transforms (:mod:`descend.optim.transforms`), in this order: non-finite
  guard, ``clip_value``, ``clip_norm`` (global norm), coupled or decoupled weight decay;
* many runs at once: numeric hyperparameters may be arrays of shape (R,), aligned with
  the leading axis of every parameter; with ``runs=R`` the global norm and the
  non-finite guard act per run and a skipped step skips only that run.  Row i is bit
  for bit the run with row i's hyperparameters;
* speed: the rule is applied block by block in float64, or, for large arrays and
  scalar hyperparameters, by the same rule compiled with numba
  (:mod:`descend.optim.fused`), bit for bit the same numbers.

Arithmetic is done in float64 whatever the parameters' dtype and rounded once when
stored: float32 parameters get the float64 update rounded to float32.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple

import numpy as np

from ..errors import DescendError, check_choice, did_you_mean
from . import fused
from .containers import BLOCK, Slot, copy_value, readonly
# The compiled loop's digest (STEP_DIGEST, descend/jit/scalars.py) hashes the source of
# step, _survey and _spec: they keep the names they were written with.
from .containers import at_rows as _at_rows, blocks as _blocks, by_row as _by_row, collect as _collect
from .containers import rows_view as _rows_view
from .fused import FUSED_MIN_SIZE  # noqa: F401 (descend.optim.base.FUSED_MIN_SIZE, as before)
from .hyperparameters import (elementwise, flag, format_value, is_default, nonnegative, numeric_leaves,
                              schedule_value)
from .hyperparameters import optional_positive as _optional_positive
from .transforms import nonfinite_message, prepare

__all__ = ["Optimizer", "prepare", "elementwise"]


# -- state types ------------------------------------------------------------------------------

def state_type(name: str, fields: tuple[str, ...], doc: str) -> type:
    """A small named state type, like optax's ``ScaleByAdamState(count, mu, nu)``.

    ``count`` is the number of steps taken (an int, or one per run); each other field
    holds, for a single-array optimizer, that array, and for a dict of parameters a
    dict of the same keys.  A field the configuration does not use (``max_exp_avg_sq``
    without ``amsgrad``) is None.
    """
    cls = NamedTuple(name, [("count", Any)] + [(f, Any) for f in fields])
    cls.__doc__ = doc
    return cls


# -- the optimizer ------------------------------------------------------------------------------

class Optimizer:
    """Base class: one update rule (:attr:`rule`) lifted to containers, state and transforms.

    Subclasses set :attr:`name`, :attr:`rule`, :attr:`State` (:func:`state_type`: the
    state is declared once, and :attr:`state_names`, the rule's state arguments in
    order, are its fields after ``count``), :attr:`hyperparameters` (name -> (default,
    check)) and :meth:`_scalars`.

    Parameters shared by every optimizer (keywords)
    -------------------------------------------------
    weight_decay : float or array, default 0 (AdamW: 0.01)
        Coupled (L2, torch's ``weight_decay``): ``g <- g + weight_decay * p`` before the
        rule; or decoupled (AdamW) with ``decoupled_weight_decay=True``:
        ``p <- p * (1 - lr * weight_decay)`` before the rule.
    decoupled_weight_decay : bool, default False (AdamW and Lion: True)
    clip_value : float or array, optional
        Clip every gradient component to ``[-clip_value, clip_value]``.
    clip_norm : float or array, optional
        If the global 2-norm of the (value-clipped) gradients of one step exceeds
        ``clip_norm``, scale them by ``clip_norm / norm`` (per run with ``runs``).
    nonfinite : {None, "raise", "skip"}, default None
        Guard against nan/inf gradients: ``"raise"`` raises a DescendError naming the
        key, ``"skip"`` leaves the parameters and state as they are and counts the step
        in :attr:`skipped_steps`; None checks nothing (torch's behaviour).
    fused : bool or None, default None
        Use the numba kernel: None when numba is installed and the parameters of a step
        hold at least 32768 elements in all, True for every array it can take, False
        never.  Same numbers either way; the NumPy path is used silently where the
        kernel cannot be.
    maximize : bool, default False
        Ascend: the gradient is negated before everything else (torch's ``maximize``).
    """

    name: ClassVar[str] = ""
    rule: ClassVar[Callable]
    #: the state arrays, in the rule's order: derived from :attr:`State` (its fields after count)
    state_names: ClassVar[tuple[str, ...]] = ()
    #: per-run numbers kept between steps (NAdam's mu_product): name -> initial value
    scalar_state: ClassVar[dict[str, float]] = {}
    hyperparameters: ClassVar[dict[str, tuple[Any, Callable]]] = {}
    State: ClassVar[type]
    _default_decoupled: ClassVar[bool] = False
    _default_weight_decay: ClassVar[float] = 0.0

    def __init__(self, lr=None, **kwargs):
        spec = self._spec()
        if lr is not None:
            kwargs["lr"] = lr
        unknown = [k for k in kwargs if k not in spec]
        if unknown:
            raise DescendError(f"{self.name}: unknown hyperparameter {unknown[0]!r}; valid: {', '.join(spec)}"
                               f"{did_you_mean(unknown[0], spec)}")
        hp = {}
        try:
            for k, (default, check) in spec.items():
                hp[k] = check(k, kwargs[k] if k in kwargs else default)
            self._check_combination(hp)
        except DescendError as exc:
            raise DescendError(f"{self.name}: {exc}") from None
        self._hp = hp
        self._hpr = {k: _by_row(v) for k, v in hp.items()}  # arrays (R,) as (R, 1), for the row views
        lengths = {k: v.shape[0] for k, v0 in hp.items() for v in numeric_leaves(v0) if isinstance(v, np.ndarray)}
        if len(set(lengths.values())) > 1:
            raise DescendError(f"{self.name}: hyperparameter arrays must all have one value per run "
                               f"(the same length), got lengths {lengths}")
        self._hp_runs = next(iter(lengths.values()), None)
        self._clear()  # a schedule given as lr keeps its own state

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "State" in cls.__dict__ and "state_names" not in cls.__dict__:  # the state, declared once
            cls.state_names = tuple(cls.State._fields[1:])
        if "lr" in cls.hyperparameters:  # help() and inspect.signature show the real keywords
            P = inspect.Parameter
            params = []
            for k, (default, _) in cls._spec().items():
                kind = P.POSITIONAL_OR_KEYWORD if k == "lr" else P.KEYWORD_ONLY
                params.append(P(k, kind, default=default))
            cls.__signature__ = inspect.Signature(params)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def _spec(cls) -> dict[str, tuple[Any, Callable]]:
        spec = dict(cls.hyperparameters)
        spec.setdefault("weight_decay", (cls._default_weight_decay, nonnegative))
        spec.update({
            "decoupled_weight_decay": (cls._default_decoupled, flag),
            "clip_value": (None, _optional_positive),
            "clip_norm": (None, _optional_positive),
            "nonfinite": (None, lambda n, v: v if v is None else check_choice(n, v, ("raise", "skip"))),
            "fused": (None, lambda n, v: v if v is None else flag(n, v)),
            "maximize": (False, flag),
        })
        return spec

    @classmethod
    def hyperparameter_spec(cls) -> dict[str, tuple[Any, Callable]]:
        """Every keyword -> (its default, the check it passes at construction: a function of
        :mod:`descend.optim.hyperparameters` such as ``learning_rate`` or ``unit_open``, or the rule's own)."""
        return cls._spec()

    @classmethod
    def valid_hyperparameters(cls) -> list[str]:
        """The keyword names this optimizer accepts."""
        return list(cls._spec())

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every keyword with its default value."""
        return {k: v[0] for k, v in cls._spec().items()}

    def _check_combination(self, hp):
        """Checks that involve several hyperparameters (subclasses extend)."""

    def __getattr__(self, name):
        hp = self.__dict__.get("_hp")
        if hp is not None and name in hp:
            return hp[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def config(self) -> dict[str, Any]:
        """Every hyperparameter's value: ``type(opt)(**opt.config)`` builds a fresh twin."""
        return dict(self._hp)

    def __repr__(self):
        spec = self._spec()
        own = [k for k in spec if k in self.hyperparameters or k == "weight_decay"]
        shown = [f"{k}={self._hp[k]!r}" for k in own]
        shown += [f"{k}={self._hp[k]!r}" for k in spec if k not in own and not is_default(self._hp[k], spec[k][0])]
        return f"{type(self).__name__}({', '.join(shown)})"

    # -- state ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget all state: the next step starts from scratch (count 0, schedule reset)."""
        self._clear()
        sched = self._hp.get("lr")
        if callable(sched) and hasattr(sched, "reset"):
            sched.reset()

    def _clear(self) -> None:
        self._kind = None       # "array" | "dict" once the state exists
        self._slots: dict[str, Slot] = {}
        self._runs = None
        self.count = 0
        self.skipped_steps = 0
        self._sstate: dict[str, Any] = {}
        self.last_lr = None

    def _present(self) -> tuple[bool, ...]:
        """Which of :attr:`state_names` this configuration keeps (all, unless overridden)."""
        return (True,) * len(self.state_names)

    def _state_init(self, name):
        """Initial value of a state array (0, unless overridden): a number or a (R,) array."""
        return 0.0

    def _rows_for(self, leaves, runs):
        R = runs if runs is not None else self._hp_runs
        if R is None:
            return 1
        for leaf in leaves:
            if leaf.p.ndim == 0 or leaf.p.shape[0] != R:
                why = "runs" if runs is not None else "hyperparameter arrays"
                raise DescendError(f"{leaf.label} has shape {leaf.p.shape}, but {why} ask for {R} runs "
                                   f"along the leading axis")
        return R

    def init(self, params, *, runs: int | None = None) -> None:
        """Create the state for ``params`` now (the first :meth:`step` does it otherwise)."""
        kind, leaves = _collect(params, params)
        self._init_from(kind, leaves, runs)

    def _init_from(self, kind, leaves, runs):
        if runs is not None:
            if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
                raise DescendError(f"runs must be an integer >= 1, got {runs!r}")
            runs = int(runs)
            if self._hp_runs is not None and self._hp_runs != runs:
                raise DescendError(f"{self.name}: runs={runs} but the hyperparameter arrays have "
                                   f"{self._hp_runs} values")
        rows = self._rows_for(leaves, runs)
        present = self._present()
        self._kind, self._runs, self._slots = kind, runs, {}
        for leaf in leaves:
            arrays = {}
            for name, keep in zip(self.state_names, present):
                if not keep:
                    arrays[name] = None
                    continue
                a = np.empty(leaf.p.shape, dtype=leaf.p.dtype)
                fill = self._state_init(name)
                _rows_view(a, rows)[...] = np.reshape(fill, (-1, 1)) if isinstance(fill, np.ndarray) else fill
                arrays[name] = a
            self._slots[leaf.key] = Slot(leaf.p.shape, leaf.p.dtype, arrays)
        self.count = np.zeros(runs, dtype=np.int64) if runs is not None else 0
        self.skipped_steps = np.zeros(runs, dtype=np.int64) if runs is not None else 0
        self._sstate = {k: (np.full(runs, v) if runs is not None else float(v))
                        for k, v in self.scalar_state.items()}

    def _check_against_state(self, kind, leaves, runs):
        if runs != self._runs:
            raise DescendError(f"{self.name}: the state was made with runs={self._runs}, "
                               f"this step has runs={runs}; call reset() to start over")
        if kind != self._kind or [l.key for l in leaves] != list(self._slots):
            have = "one array" if self._kind == "array" else f"keys {list(self._slots)}"
            got = "one array" if kind == "array" else f"keys {[l.key for l in leaves]}"
            raise DescendError(f"{self.name}: params do not match the optimizer state ({have}), got {got}; "
                               f"call reset() to start over")
        for leaf in leaves:
            slot = self._slots[leaf.key]
            if leaf.p.shape != slot.shape:
                raise DescendError(f"{leaf.label} has shape {leaf.p.shape} but the optimizer state has "
                                   f"shape {slot.shape}")
            if leaf.p.dtype != slot.dtype:  # loaded state: take the parameters' dtype
                slot.arrays = {k: (None if a is None else a.astype(leaf.p.dtype)) for k, a in slot.arrays.items()}
                slot.dtype = leaf.p.dtype

    @property
    def state(self):
        """The optimizer's named state (see :attr:`State`): count plus one field per state
        array, each a dict key -> array (or the array itself for one-array params).

        The arrays are read-only views of the live state, handy for plots.
        """
        if self._kind is None:
            raise DescendError(f"{self.name}: no state yet; call step() or init() first")
        fields = {}
        for name in self.state_names:
            per_key = {k: readonly(s.arrays[name]) for k, s in self._slots.items()}
            fields[name] = per_key["params"] if self._kind == "array" else per_key
            if all(v is None for v in per_key.values()):
                fields[name] = None
        return self.State(count=copy_value(self.count), **fields)

    def state_for(self, key: str = "params"):
        """The named state of one parameter (``key`` of the params dict)."""
        if self._kind is None:
            raise DescendError(f"{self.name}: no state yet; call step() or init() first")
        if key not in self._slots:
            raise DescendError(f"{self.name}: no state for key {key!r}; keys: {', '.join(self._slots)}")
        s = self._slots[key]
        return self.State(count=copy_value(self.count), **{n: readonly(s.arrays[n]) for n in self.state_names})

    def state_dict(self) -> dict[str, Any]:
        """The state as plain arrays and numbers with flat string keys.

        ``np.savez(path, **opt.state_dict())`` and ``opt.load_state_dict(np.load(path))``
        round-trip (no pickle).  Keys: ``optimizer``, ``count``, ``skipped_steps``,
        ``runs`` (0 for none), ``kind``, ``keys``, ``shape.<key>``, ``state.<key>.<field>``,
        ``scalar.<name>`` and ``schedule.<name>`` (the schedule's own state).
        """
        d: dict[str, Any] = {
            "optimizer": self.name,
            "kind": self._kind or "none",
            "runs": 0 if self._runs is None else self._runs,
            "count": copy_value(self.count),
            "skipped_steps": copy_value(self.skipped_steps),
            "keys": np.array(list(self._slots), dtype=str),
        }
        for key, slot in self._slots.items():
            d[f"shape.{key}"] = np.array(slot.shape, dtype=np.int64)
            for name, a in slot.arrays.items():
                if a is not None:
                    d[f"state.{key}.{name}"] = a.copy()
        for k, v in self._sstate.items():
            d[f"scalar.{k}"] = copy_value(v)
        sched = self._hp.get("lr")
        if callable(sched) and hasattr(sched, "state_dict"):
            for k, v in sched.state_dict().items():
                d[f"schedule.{k}"] = v
        return d

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` output (a dict or the ``np.load`` of a savez file).

        Checks the optimizer name, the keys and the shapes; a mismatch is a DescendError
        and leaves this optimizer unchanged.
        """
        if not (hasattr(d, "keys") and hasattr(d, "__getitem__")) or isinstance(d, (str, bytes, np.ndarray)):
            raise DescendError(f"{self.name}: load_state_dict needs a mapping (the output of state_dict(), "
                               f"or np.load of its savez file), got {type(d).__name__}")
        try:
            self._load_state_dict({k: d[k] for k in d.keys()})
        except DescendError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:  # a value of the wrong kind
            raise DescendError(f"{self.name}: state_dict is malformed ({type(exc).__name__}: {exc})") from None

    def _load_state_dict(self, d: dict) -> None:
        def need(k):
            if k not in d:
                raise DescendError(f"{self.name}: state_dict has no {k!r} entry")
            return d[k]
        who = str(np.asarray(need("optimizer")))
        if who != self.name:
            raise DescendError(f"state_dict is for optimizer {who!r}, not {self.name!r}")
        kind = str(np.asarray(need("kind")))
        runs = int(np.asarray(need("runs")))
        runs = None if runs == 0 else runs
        count = np.asarray(need("count"))
        skipped = np.asarray(need("skipped_steps"))
        want_shape = () if runs is None else (runs,)
        for nm, v in (("count", count), ("skipped_steps", skipped)):
            if v.shape != want_shape or v.dtype.kind not in "iu" or np.any(v < 0):
                raise DescendError(f"{self.name}: state_dict {nm} must be integers >= 0 of shape {want_shape}, "
                                   f"got {format_value(v)} (shape {v.shape})")
        keys = [str(k) for k in np.asarray(need("keys")).reshape(-1)]
        present = self._present()
        expected = {f"state.{k}.{n}" for k in keys for n, keep in zip(self.state_names, present) if keep}
        expected |= {f"scalar.{k}" for k in self.scalar_state}
        found = {k for k in d if k.startswith(("state.", "scalar."))}
        extra_shapes = {k for k in d if k.startswith("shape.")} - {f"shape.{k}" for k in keys}
        if extra_shapes:
            raise DescendError(f"{self.name}: state_dict has unexpected entries {sorted(extra_shapes)}")
        if expected - found:
            raise DescendError(f"{self.name}: state_dict is missing {sorted(expected - found)}")
        if found - expected:
            raise DescendError(f"{self.name}: state_dict has unexpected entries {sorted(found - expected)} "
                               f"(another configuration of {self.name}?)")
        if kind not in ("none", "array", "dict") or (kind == "none") != (not keys) or \
                (kind == "array" and keys != ["params"]):
            raise DescendError(f"{self.name}: state_dict kind {kind!r} does not fit keys {keys}")
        slots = {}
        for k in keys:
            arrays = {}
            shape = tuple(int(i) for i in np.asarray(need(f"shape.{k}")).reshape(-1))
            if runs is not None and (not shape or shape[0] != runs):
                raise DescendError(f"{self.name}: shape.{k} is {shape}, expected {runs} runs along the leading axis")
            for n, keep in zip(self.state_names, present):
                if not keep:
                    arrays[n] = None
                    continue
                a = np.array(d[f"state.{k}.{n}"])
                if a.dtype.kind != "f":
                    raise DescendError(f"{self.name}: state.{k}.{n} must be a float array, got dtype {a.dtype}")
                if a.shape != shape:
                    raise DescendError(f"{self.name}: state.{k}.{n} has shape {a.shape}, but the parameter "
                                       f"{k!r} has shape {shape}")
                arrays[n] = a
            dtype = next((a.dtype for a in arrays.values() if a is not None), np.dtype(np.float64))
            slots[k] = Slot(shape, dtype, arrays)
        sstate = {}
        for k in self.scalar_state:
            v = np.asarray(d[f"scalar.{k}"], dtype=np.float64)
            if v.shape != want_shape:
                raise DescendError(f"{self.name}: scalar.{k} must have shape {want_shape}, got {v.shape}")
            sstate[k] = v.copy() if runs is not None else float(v)
        sched = self._hp.get("lr")
        sched_state = {k[len("schedule."):]: v for k, v in d.items() if k.startswith("schedule.")}
        if callable(sched) and hasattr(sched, "load_state_dict"):
            sched.load_state_dict(sched_state)
        elif sched_state:
            raise DescendError(f"{self.name}: state_dict holds a schedule's state but lr is {self._hp['lr']!r}")
        # only now change anything
        self._kind = None if kind == "none" else kind
        self._runs = runs
        self._slots = slots
        self.count = count.astype(np.int64) if runs is not None else int(count)
        self.skipped_steps = skipped.astype(np.int64) if runs is not None else int(skipped)
        self._sstate = sstate

    # -- per-step numbers -----------------------------------------------------------------
    def _scalars(self, hp: dict, t, lr, sstate: dict) -> tuple[dict, dict]:
        """The rule's scalar arguments at step ``t`` (1-based) and the new scalar state.

        ``hp`` holds the hyperparameters (floats, or (R, 1) arrays), ``t`` an int or an
        (R, 1) int array, ``lr`` the learning rate of this step.  Subclasses override.
        """
        raise NotImplementedError

    def _lr_at(self, count):
        lr = self._hp["lr"]
        if not callable(lr):
            return lr
        if isinstance(count, np.ndarray):
            if np.all(count == count[0]):
                return self._check_lr(lr(int(count[0])))
            vals = [self._check_lr(lr(int(c))) for c in count]
            return np.array([v[i] if isinstance(v, np.ndarray) else v for i, v in enumerate(vals)])
        return self._check_lr(lr(int(count)))

    def _check_lr(self, v):
        return schedule_value(self.name, v)

    # -- the step -------------------------------------------------------------------------
    def step(self, params, grads, *, runs: int | None = None) -> None:
        """Update ``params`` in place from ``grads`` (one array, or dicts with the same keys).

        With ``runs=R`` every array has R rows along its leading axis, one per run: the
        clip-norm and the non-finite guard act per run, and a skipped step skips that
        run only.  ``grads`` is never modified.
        """
        kind, leaves = _collect(params, grads)
        if self._hp["maximize"]:  # ascend: torch negates the gradient first, before weight decay
            for leaf in leaves:
                leaf.g = np.negative(leaf.g, dtype=np.result_type(leaf.g.dtype, np.float32))
        if self._kind is None:
            self._init_from(kind, leaves, runs)
        else:
            self._check_against_state(kind, leaves, runs)
        rows = self._rows_for(leaves, runs)
        hp, hpr = self._hp, self._hpr

        # 1. non-finite guard and global norm, per run (rows) or over everything
        per_run = runs is not None
        active = None   # None: every row steps
        factor = None
        cv = hpr["clip_value"]
        if hp["nonfinite"] is not None or hp["clip_norm"] is not None:
            finite, sumsq = self._survey(leaves, rows, cv, hp["nonfinite"] is not None, hp["clip_norm"] is not None)
            if not per_run:
                finite = np.array([bool(finite.all())])
                sumsq = np.array([sumsq.sum()])
            if hp["nonfinite"] is not None and not finite.all():
                if hp["nonfinite"] == "raise":
                    raise DescendError(self._nonfinite_message(leaves, rows, per_run))
                if not per_run:
                    self.skipped_steps += 1
                    return
                self.skipped_steps = self.skipped_steps + ~finite
                active = finite
                if not active.any():
                    return
            if hp["clip_norm"] is not None:
                norm = np.sqrt(sumsq)
                cn = hp["clip_norm"] if per_run or not isinstance(hp["clip_norm"], np.ndarray) else None
                if cn is None:
                    raise DescendError(f"{self.name}: an array clip_norm needs runs=R (one norm per run)")
                f = elementwise(lambda n, c: c / n if n > c else 1.0, norm, cn)
                factor = f.reshape(-1, 1) if per_run else float(np.asarray(f).reshape(-1)[0])

        # 2. per-step numbers: learning rate, bias corrections...
        count = self.count
        if isinstance(count, np.ndarray) and np.all(count == count[0]):
            t = int(count[0]) + 1
        else:
            t = count + 1 if not isinstance(count, np.ndarray) else (count + 1).reshape(-1, 1)
        lr = self._lr_at(count)
        lr = _by_row(lr)
        sstate = {k: _by_row(v) for k, v in self._sstate.items()} if self._sstate else {}
        scalars, new_sstate = self._scalars(hpr, t, lr, sstate)
        wd = hpr["weight_decay"]
        use_wd = isinstance(wd, np.ndarray) or wd != 0
        common = dict(lr=lr, clip_value=cv if cv is not None else 0.0, use_clip_value=cv is not None,
                      factor=factor if factor is not None else 1.0, use_factor=factor is not None,
                      weight_decay=wd, coupled=use_wd and not hp["decoupled_weight_decay"],
                      decoupled=use_wd and hp["decoupled_weight_decay"])

        # 3. the rule, key by key
        mask = None if active is None else active.reshape(-1, 1)
        numpy_leaves = leaves
        if mask is None:
            numpy_leaves = self._apply_fused(leaves, common, scalars)
        for leaf in numpy_leaves:
            self._apply(leaf, self._slots[leaf.key], rows, common, scalars, mask)
        for leaf in leaves:
            leaf.write_back()

        # 4. bookkeeping
        if active is None:
            self.count = self.count + 1
        else:
            self.count = self.count + active
        for k, v in new_sstate.items():
            v = np.asarray(v).reshape(-1) if per_run else float(np.asarray(v).reshape(-1)[0])
            self._sstate[k] = v if active is None else np.where(active, v, self._sstate[k])
        self.last_lr = lr if not isinstance(lr, np.ndarray) else lr.reshape(-1)

    def _survey(self, leaves, rows, cv, want_finite, want_sumsq):
        finite = np.ones(rows, dtype=bool)
        sumsq = np.zeros(rows)
        for leaf in leaves:
            G = _rows_view(np.ascontiguousarray(leaf.g), rows)
            for rs, cs in _blocks(*G.shape):
                gb = G[rs, cs].astype(np.float64, copy=False)
                if want_finite:
                    finite[rs] &= np.isfinite(gb).all(axis=1)
                if want_sumsq:
                    if cv is not None:
                        c = _at_rows(cv, rs)
                        gb = np.minimum(np.maximum(gb, -c), c)
                    sumsq[rs] += (gb * gb).sum(axis=1)
        return finite, sumsq

    def _nonfinite_message(self, leaves, rows, per_run):
        return nonfinite_message(self.name, leaves, rows, per_run)

    def _apply(self, leaf, slot, rows, common, scalars, mask):
        names = self.state_names
        present = [slot.arrays[n] is not None for n in names]
        p = leaf.p
        work = p if p.flags.c_contiguous else np.ascontiguousarray(p)  # a copy only for strided params
        P = _rows_view(work, rows)
        G = _rows_view(np.ascontiguousarray(leaf.g), rows)
        S = [(_rows_view(slot.arrays[n], rows) if keep else None) for n, keep in zip(names, present)]
        rule = type(self).rule
        sliced = any(isinstance(v, np.ndarray) for v in (*common.values(), *scalars.values()))
        blocks = ((slice(None), slice(None)),) if P.size <= BLOCK else _blocks(*P.shape)
        # IEEE arithmetic on a diverging run (inf, nan) is the point, not an accident: quiet,
        # like the fused kernel; the nonfinite guard is there to catch it
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._apply_blocks(blocks, P, G, S, rule, common, scalars, sliced, mask)
        if work is not p:
            p[...] = work

    @staticmethod
    def _apply_blocks(blocks, P, G, S, rule, common, scalars, sliced, mask):
        for rs, cs in blocks:
            c = {k: _at_rows(v, rs) for k, v in common.items()} if sliced else common
            r = {k: _at_rows(v, rs) for k, v in scalars.items()} if sliced else scalars
            pb, gb = prepare(P[rs, cs].astype(np.float64, copy=False), G[rs, cs].astype(np.float64, copy=False),
                             **c)
            sb = [(s[rs, cs].astype(np.float64, copy=False) if s is not None else 0.0) for s in S]
            out = rule(pb, gb, *sb, **r)
            m = None if mask is None else mask[rs]
            P[rs, cs] = out[0] if m is None else np.where(m, out[0], P[rs, cs])
            for s, new in zip(S, out[1:]):
                if s is not None:
                    s[rs, cs] = new if m is None else np.where(m, new, s[rs, cs])

    def _apply_fused(self, leaves, common, scalars) -> list:
        """Step what the numba kernel can take (:func:`descend.optim.fused.apply`); return the
        leaves left for the NumPy path."""
        return fused.apply(type(self).rule, self.state_names, self._slots,
                           self._hp["fused"], leaves, common, scalars)
