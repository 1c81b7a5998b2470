"""Learning-rate schedules: ``schedule(step) -> lr``.

A schedule is a small object called with the number of optimizer steps already
taken (0 for the first step) that returns the learning rate of that step.  Give one
as ``lr`` to any optimizer::

    >>> from descend import optim, schedules
    >>> sched = schedules.Cosine(lr=0.1, decay_steps=100, warmup_steps=10)
    >>> opt = optim.SGD(lr=sched, momentum=0.9)

All but :class:`ReduceOnPlateau` are pure functions of the step, written in closed
form; the optimizer keeps the step count, so a resumed optimizer (``load_state_dict``)
continues its schedule where it stopped.  :class:`ReduceOnPlateau` is fed the loss
(``sched.observe(loss)``) and carries its own state, saved inside the optimizer's
``state_dict``.  ``step`` counts like torch's ``last_epoch``: ``schedule(k)`` is the lr
torch's scheduler gives after ``k`` calls to ``scheduler.step()``.

Numeric arguments such as ``lr`` may be arrays of shape (R,), one value per run
(see :mod:`descend.optim`); the step-dependent factors are computed with Python
floats, so row i equals the schedule built with row i's values bit for bit.

=================  ===============================================  =======================
name               formula (k = step)                               torch
=================  ===============================================  =======================
constant           lr                                               --
step               lr * gamma ** (k // step_size)                   StepLR
multistep          lr * gamma ** (number of milestones <= k)        MultiStepLR
exponential        lr * gamma ** k                                  ExponentialLR
cosine             min_lr + (lr - min_lr)(1 + cos(pi k / T)) / 2    CosineAnnealingLR,
                   (+ linear warmup, + restarts with T *= mult)     ...WarmRestarts
linear_warmup      lr * (s + (1 - s) min(k, W) / W)                 LinearLR
polynomial         end + (lr - end)(1 - min(k, T) / T) ** power     PolynomialLR
onecycle           warm up to max_lr, anneal to max_lr/div/final    OneCycleLR
plateau            lr * factor ** (reductions so far), >= min_lr    ReduceLROnPlateau
=================  ===============================================  =======================
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np

from .errors import DescendError, check_choice

__all__ = ["Schedule", "Constant", "StepDecay", "MultiStep", "Exponential", "Cosine", "LinearWarmup",
           "Polynomial", "OneCycle", "ReduceOnPlateau", "get", "names"]


# -- checks ---------------------------------------------------------------------------------

def _number(name, value):
    if isinstance(value, (bool, np.bool_)):
        raise DescendError(f"{name} must be a number, got {value!r}")
    if isinstance(value, (list, tuple, np.ndarray)):
        a = np.asarray(value)
        if a.dtype.kind not in "iuf" or a.ndim > 1 or a.size == 0:
            raise DescendError(f"{name} must be a number or a 1-D array of numbers (one per run), got {value!r}")
        return float(a) if a.ndim == 0 else a.astype(np.float64)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    raise DescendError(f"{name} must be a number, got {value!r}")


def _fmt(v):
    return np.array2string(v, threshold=8) if isinstance(v, np.ndarray) else repr(v)


def _positive(name, value):
    v = _number(name, value)
    if not (np.all(np.isfinite(v)) and np.all(np.asarray(v) > 0)):
        raise DescendError(f"{name} must be a finite number > 0, got {_fmt(v)}")
    return v


def _nonnegative(name, value):
    v = _number(name, value)
    if not (np.all(np.isfinite(v)) and np.all(np.asarray(v) >= 0)):
        raise DescendError(f"{name} must be a finite number >= 0, got {_fmt(v)}")
    return v


def _in(name, value, lo, hi, lo_open, hi_open):
    v = _number(name, value)
    a = np.asarray(v)
    ok = np.isfinite(a) & ((a > lo) if lo_open else (a >= lo)) & ((a < hi) if hi_open else (a <= hi))
    if not np.all(ok):
        rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise DescendError(f"{name} must be in {rng}, got {_fmt(v)}")
    return v


def _int(name, value, lo):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def _step(step) -> int:
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)) or step < 0:
        raise DescendError(f"step must be an integer >= 0, got {step!r}")
    return int(step)


def _below(name, value, other_name, other):
    if np.any(np.asarray(value) >= np.asarray(other)):
        raise DescendError(f"{name} must be < {other_name} ({_fmt(other)}), got {_fmt(value)}")


# -- schedules ----------------------------------------------------------------------------------

class Schedule:
    """Base class: ``schedule(step) -> lr`` for ``step = 0, 1, 2, ...``.

    Stateless schedules have an empty :meth:`state_dict`; subclasses set :attr:`name`
    and implement :meth:`value`.
    """

    name = ""

    def __call__(self, step: int):
        return self.value(_step(step))

    def value(self, k: int):
        """The lr at step ``k`` (an integer >= 0; anything else is refused)."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Plain numbers and arrays (none for a pure function of the step)."""
        return {}

    def load_state_dict(self, d) -> None:
        if _mapping(self.name, d):
            raise DescendError(f"{self.name} schedule has no state, got entries {sorted(d)}")

    def reset(self) -> None:
        """Back to the state at construction (nothing for a pure function of the step)."""

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._args.items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """The same ``lr`` at every step."""

    name = "constant"

    def __init__(self, lr):
        self.lr = _positive("lr", lr)
        self._args = {"lr": self.lr}

    def value(self, k):
        k = _step(k)
        return self.lr


class StepDecay(Schedule):
    """``lr * gamma ** (k // step_size)``: multiply by ``gamma`` every ``step_size`` steps
    (torch's StepLR)."""

    name = "step"

    def __init__(self, lr, step_size: int, gamma=0.1):
        self.lr = _positive("lr", lr)
        self.step_size = _int("step_size", step_size, 1)
        self.gamma = _positive("gamma", gamma)
        self._args = {"lr": self.lr, "step_size": self.step_size, "gamma": self.gamma}

    def value(self, k):
        k = _step(k)
        return self.lr * self.gamma ** (k // self.step_size)


class MultiStep(Schedule):
    """``lr * gamma ** j`` where j is the number of ``milestones`` <= k (torch's MultiStepLR)."""

    name = "multistep"

    def __init__(self, lr, milestones, gamma=0.1):
        self.lr = _positive("lr", lr)
        try:
            ms = [int(m) for m in milestones]
        except (TypeError, ValueError):
            raise DescendError(f"milestones must be increasing integers >= 1, got {milestones!r}") from None
        if not ms or any(m < 1 for m in ms) or any(b <= a for a, b in zip(ms, ms[1:])) or \
                any(float(m) != float(x) for m, x in zip(ms, milestones)):
            raise DescendError(f"milestones must be increasing integers >= 1, got {milestones!r}")
        self.milestones = ms
        self.gamma = _positive("gamma", gamma)
        self._args = {"lr": self.lr, "milestones": self.milestones, "gamma": self.gamma}

    def value(self, k):
        k = _step(k)
        return self.lr * self.gamma ** bisect.bisect_right(self.milestones, k)


class Exponential(Schedule):
    """``lr * gamma ** k`` (torch's ExponentialLR); gamma > 1 grows (an lr range test)."""

    name = "exponential"

    def __init__(self, lr, gamma):
        self.lr = _positive("lr", lr)
        self.gamma = _positive("gamma", gamma)
        self._args = {"lr": self.lr, "gamma": self.gamma}

    def value(self, k):
        k = _step(k)
        return self.lr * self.gamma ** k


class Cosine(Schedule):
    r"""Cosine annealing from ``lr`` to ``min_lr`` over ``decay_steps``, with optional
    linear warmup and warm restarts.

    With W = ``warmup_steps``, s = ``warmup_start_factor`` and j = k - W:

    .. math::

        \mathrm{lr}_k &= \mathrm{lr}\,(s + (1 - s)\,k / W) \quad (k < W) \\
        \mathrm{lr}_k &= \mathrm{min\_lr} + (\mathrm{lr} - \mathrm{min\_lr})
            \frac{1 + \cos(\pi\, j_c / T_c)}{2}

    Without restarts :math:`T_c` = ``decay_steps`` and :math:`j_c = \min(j, T_c)` (the lr
    stays at ``min_lr`` after the decay).  With ``restarts=True`` (SGDR) the cosine
    starts again at ``lr`` after each period, the periods being ``decay_steps``,
    ``decay_steps * period_mult``, ... and :math:`j_c` the step within the current one.
    torch: CosineAnnealingLR(T_max=decay_steps, eta_min=min_lr) for k <= T_max, and
    CosineAnnealingWarmRestarts(T_0=decay_steps, T_mult=period_mult, eta_min=min_lr).

    References
    ----------
    Loshchilov, I., Hutter, F. (2017). SGDR: stochastic gradient descent with warm
    restarts. ICLR.
    """

    name = "cosine"

    def __init__(self, lr, decay_steps: int, min_lr=0.0, *, warmup_steps: int = 0, warmup_start_factor=0.0,
                 restarts: bool = False, period_mult: int = 1):
        self.lr = _positive("lr", lr)
        self.decay_steps = _int("decay_steps", decay_steps, 1)
        self.min_lr = _nonnegative("min_lr", min_lr)
        _below("min_lr", self.min_lr, "lr", self.lr)
        self.warmup_steps = _int("warmup_steps", warmup_steps, 0)
        if self.warmup_steps > self.decay_steps:
            raise DescendError(
                f"warmup_steps must be <= decay_steps ({self.decay_steps}), got {self.warmup_steps}: the "
                f"cosine decays over decay_steps after the warmup, and a warmup longer than the decay is "
                f"usually decay_steps meant as the total")
        self.warmup_start_factor = _in("warmup_start_factor", warmup_start_factor, 0.0, 1.0, False, False)
        if not isinstance(restarts, (bool, np.bool_)):
            raise DescendError(f"restarts must be True or False, got {restarts!r}")
        self.restarts = bool(restarts)
        self.period_mult = _int("period_mult", period_mult, 1)
        self._args = {"lr": self.lr, "decay_steps": self.decay_steps, "min_lr": self.min_lr,
                      "warmup_steps": self.warmup_steps, "warmup_start_factor": self.warmup_start_factor,
                      "restarts": self.restarts, "period_mult": self.period_mult}

    def value(self, k):
        k = _step(k)
        W = self.warmup_steps
        if k < W:
            s = self.warmup_start_factor
            return self.lr * (s + (1 - s) * k / W)
        j, T = k - W, self.decay_steps
        if not self.restarts:
            j = min(j, T)
        elif self.period_mult == 1:
            j = j % T
        else:
            while j >= T:
                j, T = j - T, T * self.period_mult
        c = (1 + math.cos(math.pi * j / T)) / 2
        return self.min_lr + (self.lr - self.min_lr) * c


class LinearWarmup(Schedule):
    r"""Linear warmup: ``lr * (s + (e - s) * min(k, W) / W)`` with s = ``start_factor``,
    e = ``end_factor``, W = ``warmup_steps``, then constant (torch's LinearLR with
    ``total_iters=W``)."""

    name = "linear_warmup"

    def __init__(self, lr, warmup_steps: int, start_factor=0.0, end_factor=1.0):
        self.lr = _positive("lr", lr)
        self.warmup_steps = _int("warmup_steps", warmup_steps, 1)
        self.start_factor = _in("start_factor", start_factor, 0.0, 1.0, False, False)
        self.end_factor = _in("end_factor", end_factor, 0.0, 1.0, True, False)
        self._args = {"lr": self.lr, "warmup_steps": self.warmup_steps, "start_factor": self.start_factor,
                      "end_factor": self.end_factor}

    def value(self, k):
        k = _step(k)
        s, e, W = self.start_factor, self.end_factor, self.warmup_steps
        return self.lr * (s + (e - s) * min(k, W) / W)


class Polynomial(Schedule):
    r"""``end_lr + (lr - end_lr) * (1 - min(k, T) / T) ** power`` with T = ``decay_steps``
    (torch's PolynomialLR has ``end_lr = 0``)."""

    name = "polynomial"

    def __init__(self, lr, decay_steps: int, power=1.0, end_lr=0.0):
        self.lr = _positive("lr", lr)
        self.decay_steps = _int("decay_steps", decay_steps, 1)
        self.power = _positive("power", power)
        self.end_lr = _nonnegative("end_lr", end_lr)
        _below("end_lr", self.end_lr, "lr", self.lr)
        self._args = {"lr": self.lr, "decay_steps": self.decay_steps, "power": self.power, "end_lr": self.end_lr}

    def value(self, k):
        k = _step(k)
        T = self.decay_steps
        return self.end_lr + (self.lr - self.end_lr) * (1 - min(k, T) / T) ** self.power


class OneCycle(Schedule):
    r"""The 1cycle policy (torch's OneCycleLR, without the momentum cycling).

    From ``max_lr / div_factor`` up to ``max_lr`` over the first ``pct_start`` of
    ``total_steps``, then down to ``max_lr / div_factor / final_div_factor`` (cosine or
    linear ``anneal``).  ``three_phase`` comes back to the initial lr symmetrically
    before the final descent.  Steps past ``total_steps - 1`` keep the final lr.

    References
    ----------
    Smith, L. N., Topin, N. (2019). Super-convergence: very fast training of neural
    networks using large learning rates. SPIE 11006.
    """

    name = "onecycle"

    def __init__(self, max_lr, total_steps: int, pct_start=0.3, anneal="cos", div_factor=25.0,
                 final_div_factor=1e4, three_phase: bool = False):
        self.max_lr = _positive("max_lr", max_lr)
        self.total_steps = _int("total_steps", total_steps, 2)
        self.pct_start = float(_in("pct_start", pct_start, 0.0, 1.0, True, True))
        self.anneal = check_choice("anneal", anneal, ("cos", "linear"))
        self.div_factor = float(_positive("div_factor", div_factor))
        self.final_div_factor = float(_positive("final_div_factor", final_div_factor))
        if not isinstance(three_phase, (bool, np.bool_)):
            raise DescendError(f"three_phase must be True or False, got {three_phase!r}")
        self.three_phase = bool(three_phase)
        self._args = {"max_lr": self.max_lr, "total_steps": self.total_steps, "pct_start": self.pct_start,
                      "anneal": self.anneal, "div_factor": self.div_factor,
                      "final_div_factor": self.final_div_factor, "three_phase": self.three_phase}
        n, p = self.total_steps, self.pct_start
        initial = self.max_lr / self.div_factor
        final = initial / self.final_div_factor
        if self.three_phase:
            self._phases = [(p * n - 1, initial, self.max_lr), (2 * p * n - 2, self.max_lr, initial),
                            (n - 1, initial, final)]
        else:
            self._phases = [(p * n - 1, initial, self.max_lr), (n - 1, self.max_lr, final)]
        ends = [0.0] + [e for e, _, _ in self._phases]
        if any(b <= a for a, b in zip(ends, ends[1:])):
            raise DescendError(f"total_steps={n} is too short for pct_start={p}: every phase needs a step")

    def value(self, k):
        k = _step(k)
        k = min(k, self.total_steps - 1)
        start = 0.0
        for i, (end, lo, hi) in enumerate(self._phases):
            if k <= end or i == len(self._phases) - 1:
                pct = (k - start) / (end - start)
                if self.anneal == "cos":
                    return hi + (lo - hi) / 2.0 * (math.cos(math.pi * pct) + 1)
                return (hi - lo) * pct + lo
            start = end
        raise AssertionError("unreachable")  # pragma: no cover


class ReduceOnPlateau(Schedule):
    r"""Reduce the lr by ``factor`` when the loss stops improving (torch's ReduceLROnPlateau).

    Feed it the loss after each step (or epoch) with :meth:`observe`; ``schedule(k)``
    returns the current lr whatever k.  A loss improves on the best so far when it is
    below ``best * (1 - threshold)`` (``threshold_mode="rel"``) or ``best - threshold``
    (``"abs"``), mirrored for ``mode="max"``.  After more than ``patience`` losses
    without improvement the lr becomes ``max(lr * factor, min_lr)`` (if that changes it
    by more than ``eps``), then ``cooldown`` losses are ignored.  ``observe`` takes one
    loss, or an array of shape (R,) to track R runs separately (the lr becomes one per
    run).
    """

    name = "plateau"

    def __init__(self, lr, mode="min", factor=0.1, patience: int = 10, threshold=1e-4, threshold_mode="rel",
                 cooldown: int = 0, min_lr=0.0, eps=1e-8):
        self.lr = _positive("lr", lr)
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.factor = _in("factor", factor, 0.0, 1.0, True, True)
        self.patience = _int("patience", patience, 0)
        self.threshold = _nonnegative("threshold", threshold)
        self.threshold_mode = check_choice("threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = _int("cooldown", cooldown, 0)
        self.min_lr = _nonnegative("min_lr", min_lr)
        self.eps = _nonnegative("eps", eps)
        self._args = {"lr": self.lr, "mode": self.mode, "factor": self.factor, "patience": self.patience,
                      "threshold": self.threshold, "threshold_mode": self.threshold_mode,
                      "cooldown": self.cooldown, "min_lr": self.min_lr, "eps": self.eps}
        self.reset()

    def reset(self):
        self.current = self.lr
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad = 0
        self.cooldown_counter = 0
        self.observed = 0

    def value(self, k):
        k = _step(k)
        return self.current

    def _better(self, a, best):
        t = self.threshold
        if self.mode == "min":
            return a < best * (1 - t) if self.threshold_mode == "rel" else a < best - t
        return a > best * (1 + t) if self.threshold_mode == "rel" else a > best + t

    def observe(self, loss) -> None:
        """Record the loss of the latest step: one number, or one per run (shape (R,))."""
        a = np.asarray(loss)
        if isinstance(loss, (bool, np.bool_)) or a.dtype.kind not in "iuf":
            raise DescendError(f"loss must be a real number or a 1-D array of them (one per run), got {loss!r}")
        a = a.astype(np.float64)
        if a.ndim > 1:
            raise DescendError(f"loss must be a number or a 1-D array (one per run), got shape {a.shape}")
        if a.ndim == 1:
            R = a.shape[0]
            for name in ("best", "num_bad", "cooldown_counter", "current"):
                v = getattr(self, name)
                if not isinstance(v, np.ndarray):
                    setattr(self, name, np.full(R, v))
                elif v.shape != (R,):
                    raise DescendError(f"loss has {R} values but the schedule tracks {v.shape[0]} runs")
        elif isinstance(self.best, np.ndarray):
            raise DescendError(f"the schedule tracks {self.best.shape[0]} runs; observe one loss per run")
        better = self._better(a, self.best)
        self.best = np.where(better, a, self.best) if a.ndim else (float(a) if better else self.best)
        num_bad = np.where(better, 0, self.num_bad + 1)
        cooling = np.asarray(self.cooldown_counter) > 0
        cooldown = np.where(cooling, np.asarray(self.cooldown_counter) - 1, self.cooldown_counter)
        num_bad = np.where(cooling, 0, num_bad)
        reduce = num_bad > self.patience
        new = np.maximum(np.asarray(self.current) * self.factor, self.min_lr)
        change = reduce & (np.asarray(self.current) - new > self.eps)
        current = np.where(change, new, self.current)
        cooldown = np.where(reduce, self.cooldown, cooldown)
        num_bad = np.where(reduce, 0, num_bad)
        if a.ndim:
            self.current, self.num_bad, self.cooldown_counter = current, num_bad.astype(np.int64), \
                cooldown.astype(np.int64)
        else:
            self.current, self.num_bad, self.cooldown_counter = float(current), int(num_bad), int(cooldown)
        self.observed += 1

    def state_dict(self):
        return {"name": self.name, "current": _copy(self.current), "best": _copy(self.best),
                "num_bad": _copy(self.num_bad), "cooldown_counter": _copy(self.cooldown_counter),
                "observed": self.observed}

    def load_state_dict(self, d):
        d = _mapping(self.name, d)
        want = {"name", "current", "best", "num_bad", "cooldown_counter", "observed"}
        if set(d) != want:
            raise DescendError(f"plateau schedule state needs entries {sorted(want)}, got {sorted(d)}")
        if str(np.asarray(d["name"])) != self.name:
            raise DescendError(f"schedule state is for {str(np.asarray(d['name']))!r}, not {self.name!r}")
        vals = {k: np.asarray(d[k]) for k in want - {"name"}}
        shapes = {vals[k].shape for k in ("current", "best", "num_bad", "cooldown_counter")}
        if len(shapes) != 1 or len(next(iter(shapes))) > 1:
            raise DescendError(f"plateau schedule state has inconsistent shapes {sorted(shapes)}")
        kinds = {"current": "iuf", "best": "iuf", "num_bad": "iu", "cooldown_counter": "iu", "observed": "iu"}
        for k, allowed in kinds.items():
            v = vals[k]
            ok = v.dtype.kind in allowed and not np.any(np.isnan(v)) if v.dtype.kind in "iuf" else False
            if not ok or (allowed == "iu" and np.any(v < 0)) or (k == "current" and not np.all(np.isfinite(v))) \
                    or (k == "observed" and v.ndim != 0):
                what = "integers >= 0" if allowed == "iu" else "numbers"
                raise DescendError(f"plateau schedule state {k!r} must be {what}, got {v.tolist()!r}")
        scalar = vals["current"].ndim == 0
        conv = (lambda v, t: t(v)) if scalar else (lambda v, t: v.astype(np.float64 if t is float else np.int64))
        self.current = conv(vals["current"], float)
        self.best = conv(vals["best"], float)
        self.num_bad = conv(vals["num_bad"], int)
        self.cooldown_counter = conv(vals["cooldown_counter"], int)
        self.observed = int(vals["observed"])


def _mapping(name: str, d) -> dict:
    """A schedule's saved state as a dict; anything but a mapping is refused."""
    if not (hasattr(d, "keys") and hasattr(d, "__getitem__")) or isinstance(d, (str, bytes, np.ndarray)):
        raise DescendError(f"{name} schedule: load_state_dict needs a mapping (state_dict() output), "
                           f"got {type(d).__name__}")
    return {k: d[k] for k in d.keys()}


def _copy(v):
    return v.copy() if isinstance(v, np.ndarray) else v


_BY_NAME = {c.name: c for c in (Constant, StepDecay, MultiStep, Exponential, Cosine, LinearWarmup, Polynomial,
                                OneCycle, ReduceOnPlateau)}


def names() -> list[str]:
    """The schedule names :func:`get` accepts."""
    return list(_BY_NAME)


def get(name: str, **kwargs) -> Schedule:
    """Build a schedule by name (case-insensitive), e.g. ``get("cosine", lr=0.1, decay_steps=100)``."""
    if not isinstance(name, str) or name.lower() not in _BY_NAME:
        raise DescendError(f"unknown schedule {name!r}; valid: {', '.join(_BY_NAME)}")
    cls = _BY_NAME[name.lower()]
    import inspect
    valid = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = [k for k in kwargs if k not in valid]
    if unknown:
        raise DescendError(f"{cls.name} schedule: unknown argument {unknown[0]!r}; valid: {', '.join(valid)}")
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a missing required argument
        raise DescendError(f"{cls.name} schedule: {exc}; valid: {', '.join(valid)}") from None
