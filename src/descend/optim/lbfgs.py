"""L-BFGS for networks: torch.optim.LBFGS's algorithm, names, defaults and numbers.

descend has no autograd, so where torch's closure returns the loss and leaves the
gradients in ``.grad``, descend's returns both.  The closure contract:

    ``closure()`` takes no arguments, computes the loss and its gradient **at the
    current values of** ``params`` (which :meth:`LBFGS.step` has written in place before
    each call) and returns ``(loss, grads)``: a real number and an array (one-array
    params) or a dict with the params' keys and shapes.  It may be called up to
    ``max_eval`` times per step; it must not change ``params`` itself.

>>> import numpy as np
>>> from descend import optim
>>> A = np.diag([1.0, 10.0])
>>> x = np.array([1.0, 1.0])
>>> opt = optim.LBFGS(line_search_fn="strong_wolfe")
>>> loss = opt.step(x, lambda: (0.5 * x @ A @ x, A @ x))   # up to max_iter=20 iterations
>>> bool(np.abs(x).max() < 1e-4)   # stops when the loss changes by < tolerance_change
True

One :meth:`LBFGS.step` runs up to ``max_iter`` iterations of torch's loop::

    d = -H g                         two-loop recursion over the last history_size (s, y),
                                     H0 = (s'y / y'y) I; the first iteration d = -g
    t = lr  (first ever iteration: min(1, 1/|g|_1) lr)
    with line_search_fn="strong_wolfe": t from the strong-Wolfe search along d
        (:func:`descend.optim.strong_wolfe.strong_wolfe`, torch's cubic search)
    x <- x + t d
    s = t d, y = g_new - g, kept when s'y > 1e-10

and stops early when ``max|g| <= tolerance_grad``, ``g'd > -tolerance_change``,
``max|t d| <= tolerance_change``, ``|loss change| < tolerance_change`` or after
``max_eval`` closure calls.  Like torch, the history persists across steps: a step is
a chunk of one long run, and the state (the history as plain arrays) is saved and
loaded with :meth:`LBFGS.state_dict` / :meth:`LBFGS.load_state_dict`.

Arithmetic is in float64 on the parameters flattened in the dict's order (torch's
parameter order); float32 parameters get each new point rounded once when stored.

LBFGS is not in :func:`descend.optim.names` (the optimizers that take
``step(params, grads)``, which training, sweeps and the explorer call): it is listed by
:func:`descend.optim.closure_names` and in :func:`descend.optim.catalog`, and
:func:`descend.optim.get` refuses it with a message saying so.

Reference: J. Nocedal, S. J. Wright, *Numerical Optimization* (2006), alg. 7.4 and 7.5;
torch.optim.LBFGS (after M. Schmidt's minFunc).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple

import numpy as np

from ..errors import DescendError, check_choice, did_you_mean
from .containers import collect
from .strong_wolfe import strong_wolfe

__all__ = ["LBFGS", "LBFGSState"]

#: torch's curvature threshold: a pair (s, y) enters the history only when s'y exceeds it
#: (s'y <= 0 would make the inverse-Hessian model indefinite)
CURVATURE_MIN = 1e-10


class LBFGSState(NamedTuple):
    """LBFGS's state, torch's names: closure calls and iterations so far, the last
    direction ``d`` and step ``t``, the history ``old_dirs`` (the y's, rows, oldest first),
    ``old_stps`` (the s's), ``ro`` = 1/(y's), ``H_diag`` (the initial inverse-Hessian
    scale), and the gradient and loss at the start of the last iteration."""

    func_evals: int
    n_iter: int
    d: Any
    t: Any
    old_dirs: Any
    old_stps: Any
    ro: Any
    H_diag: Any
    prev_flat_grad: Any
    prev_loss: Any


# -- hyperparameter checks ----------------------------------------------------------------------

def _real(name, value, *, allow_zero=True):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DescendError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise DescendError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return v


def _count(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DescendError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _line_search(name, value):
    return None if value is None else check_choice(name, value, ("strong_wolfe",))


# -- params as one flat vector ------------------------------------------------------------------

class _Flat:
    """``params`` (one array or a dict of arrays) seen as one float64 vector, in key order."""

    def __init__(self, params):
        self.params = params
        self.kind, self.leaves = collect(params, params)
        self.layout = [(leaf.key, leaf.p.shape) for leaf in self.leaves]
        ends = np.cumsum([leaf.p.size for leaf in self.leaves])
        self.slices = [slice(int(e - leaf.p.size), int(e)) for e, leaf in zip(ends, self.leaves)]

    def get(self) -> np.ndarray:
        return np.concatenate([leaf.p.reshape(-1).astype(np.float64) for leaf in self.leaves])

    def set(self, x: np.ndarray) -> None:
        for leaf, sl in zip(self.leaves, self.slices):
            leaf.p[...] = x[sl].reshape(leaf.p.shape)
            leaf.write_back()

    def gradient(self, grads) -> np.ndarray:
        """The closure's ``grads`` checked against ``params`` and flattened."""
        _, leaves = collect(self.params, grads)
        return np.concatenate([np.asarray(leaf.g, dtype=np.float64).reshape(-1) for leaf in leaves])


# -- the optimizer ------------------------------------------------------------------------------

class LBFGS:
    """Limited-memory BFGS, stepped with a closure (see the module docstring).

    Parameters
    ----------
    lr : float, default 1
        The step along the L-BFGS direction (the line search's first trial with
        ``line_search_fn="strong_wolfe"``).
    max_iter : int, default 20
        The most iterations per :meth:`step`.
    max_eval : int or None, default None
        The most closure calls per :meth:`step`; None means ``max_iter * 5 // 4``.
    tolerance_grad : float, default 1e-7
        Stop when the largest gradient component is at most this.
    tolerance_change : float, default 1e-9
        Stop when the loss, the step in x or the directional derivative changes less.
    history_size : int, default 100
        How many (s, y) pairs the inverse-Hessian model keeps.
    line_search_fn : {None, "strong_wolfe"}, default None
        None: a fixed step ``lr``; "strong_wolfe": torch's strong-Wolfe search.
    """

    name: ClassVar[str] = "lbfgs"
    #: step(params, closure), not step(params, grads)
    takes_closure: ClassVar[bool] = True
    hyperparameters: ClassVar[dict[str, tuple[Any, Callable]]] = {
        "lr": (1.0, _real),
        "max_iter": (20, _count),
        "max_eval": (None, lambda n, v: None if v is None else _count(n, v)),
        "tolerance_grad": (1e-7, _real),
        "tolerance_change": (1e-9, _real),
        "history_size": (100, _count),
        "line_search_fn": (None, _line_search),
    }
    State: ClassVar[type] = LBFGSState

    def __init__(self, lr=1.0, **kwargs):
        kwargs["lr"] = lr
        unknown = [k for k in kwargs if k not in self.hyperparameters]
        if unknown:
            raise DescendError(f"{self.name}: unknown hyperparameter {unknown[0]!r}; valid: "
                               f"{', '.join(self.hyperparameters)}{did_you_mean(unknown[0], self.hyperparameters)}")
        hp = {}
        try:
            for k, (default, check) in self.hyperparameters.items():
                hp[k] = check(k, kwargs.get(k, default))
        except DescendError as exc:
            raise DescendError(f"{self.name}: {exc}") from None
        if hp["max_eval"] is None:  # torch's default: a quarter more calls than iterations
            hp["max_eval"] = hp["max_iter"] * 5 // 4
        self._hp = hp
        self.reset()

    # -- description ------------------------------------------------------------------------
    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every keyword with its default value."""
        return {k: v[0] for k, v in cls.hyperparameters.items()}

    @classmethod
    def valid_hyperparameters(cls) -> list[str]:
        """The keyword names LBFGS accepts."""
        return list(cls.hyperparameters)

    @property
    def config(self) -> dict[str, Any]:
        """Every hyperparameter's value (max_eval resolved): ``LBFGS(**opt.config)`` is a twin."""
        return dict(self._hp)

    def __getattr__(self, name):
        hp = self.__dict__.get("_hp")
        if hp is not None and name in hp:
            return hp[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self):
        return f"LBFGS({', '.join(f'{k}={v!r}' for k, v in self._hp.items())})"

    # -- state ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the history: the next step starts as the first."""
        self._layout = None          # (kind, [(key, shape)]) of the params once seen
        self.func_evals = 0
        self.n_iter = 0
        self._d = self._t = self._H_diag = self._prev_flat_grad = self._prev_loss = None
        self._old_dirs: list[np.ndarray] = []
        self._old_stps: list[np.ndarray] = []
        self._ro: list[float] = []

    @property
    def state(self) -> LBFGSState:
        """The state (copies; the history as (k, n) arrays, oldest pair first)."""
        return LBFGSState(self.func_evals, self.n_iter, _copy(self._d), self._t, self._stack(self._old_dirs),
                          self._stack(self._old_stps), np.array(self._ro, dtype=np.float64), self._H_diag,
                          _copy(self._prev_flat_grad), self._prev_loss)

    def _stack(self, rows):
        n = 0 if self._d is None else self._d.size
        return np.array(rows, dtype=np.float64).reshape(len(rows), n)

    def state_dict(self) -> dict[str, Any]:
        """The state as plain arrays and numbers (``np.savez``-able, no pickle).

        Keys: ``optimizer``, ``kind``, ``keys``, ``shape.<key>``, ``func_evals``,
        ``n_iter``, and once an iteration has run ``d``, ``t``, ``old_dirs``,
        ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``.
        """
        kind, layout = self._layout or ("none", [])
        out: dict[str, Any] = {"optimizer": self.name, "kind": kind,
                               "keys": np.array([k for k, _ in layout], dtype=str),
                               "func_evals": self.func_evals, "n_iter": self.n_iter}
        for k, shape in layout:
            out[f"shape.{k}"] = np.array(shape, dtype=np.int64)
        if self.n_iter:
            s = self.state
            out.update(d=s.d, t=float(s.t), old_dirs=s.old_dirs, old_stps=s.old_stps, ro=s.ro,
                       H_diag=float(s.H_diag), prev_flat_grad=s.prev_flat_grad, prev_loss=float(s.prev_loss))
        return out

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` output (a dict or ``np.load`` of its savez file).

        Checks the name, the entries and their shapes; a mismatch is a DescendError and
        leaves this optimizer unchanged.  The next :meth:`step` checks the params against
        the saved keys and shapes.
        """
        if not (hasattr(d, "keys") and hasattr(d, "__getitem__")) or isinstance(d, (str, bytes, np.ndarray)):
            raise DescendError(f"{self.name}: load_state_dict needs a mapping (the output of state_dict(), "
                               f"or np.load of its savez file), got {type(d).__name__}")
        try:
            loaded = _parse_state({k: d[k] for k in d.keys()}, self.name, self._hp["history_size"])
        except DescendError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
            raise DescendError(f"{self.name}: state_dict is malformed ({type(exc).__name__}: {exc})") from None
        self.__dict__.update(loaded)

    # -- the step ---------------------------------------------------------------------------
    def step(self, params, closure: Callable[[], tuple[Any, Any]]) -> float:
        """Run up to ``max_iter`` L-BFGS iterations on ``params`` (updated in place).

        ``closure()`` returns ``(loss, grads)`` at the current ``params`` (the module
        docstring has the contract).  Returns the loss at the start, as torch does.
        """
        if not callable(closure):
            raise DescendError(f"{self.name} steps with a closure: step(params, closure) where closure() returns "
                               f"(loss, grads) at the current params; got {type(closure).__name__} (an optimizer "
                               f"that takes step(params, grads) is one of descend.optim.names())")
        flat = _Flat(params)
        self._check_layout(flat)
        hp = self._hp
        loss, g = self._evaluate(flat, closure)
        orig_loss, evals = loss, 1
        self.func_evals += 1
        if np.abs(g).max() <= hp["tolerance_grad"]:  # already optimal
            return orig_loss
        d, t = self._d, self._t
        n = 0
        while n < hp["max_iter"]:
            n += 1
            self.n_iter += 1
            d = self._direction(g, d, t)
            self._prev_flat_grad, self._prev_loss = g.copy(), loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * hp["lr"] if self.n_iter == 1 else hp["lr"]
            gtd = float(g @ d)
            if gtd > -hp["tolerance_change"]:  # not a descent direction (any more)
                break
            loss, g, t, calls, opt_cond = self._move(flat, closure, loss, g, d, t, gtd, evals, last=n == hp["max_iter"])
            evals += calls
            self.func_evals += calls
            if n == hp["max_iter"] or evals >= hp["max_eval"] or opt_cond:
                break
            if np.abs(d * t).max() <= hp["tolerance_change"] or abs(loss - self._prev_loss) < hp["tolerance_change"]:
                break  # no progress
        self._d, self._t = d, t
        return orig_loss

    def _check_layout(self, flat):
        if self._layout is None:
            self._layout = (flat.kind, flat.layout)
        elif self._layout != (flat.kind, flat.layout):
            raise DescendError(f"{self.name}: params do not match the optimizer state "
                               f"({_describe(*self._layout)}), got {_describe(flat.kind, flat.layout)}; "
                               f"call reset() to start over")

    def _evaluate(self, flat, closure):
        """One closure call at the current params: (loss, flat gradient); counts it."""
        out = closure()
        if not (isinstance(out, tuple) and len(out) == 2):
            raise DescendError(f"{self.name}: closure() must return (loss, grads), got {type(out).__name__}")
        loss, grads = out
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            raise DescendError(f"{self.name}: the closure's loss must be a real number, got {loss!r}") from None
        return loss, flat.gradient(grads)

    def _direction(self, g, d, t):
        """The L-BFGS direction -H g, after adding the last pair (s, y) to the history."""
        if self.n_iter == 1:
            self._old_dirs, self._old_stps, self._ro, self._H_diag = [], [], [], 1.0
            return -g
        y = g - self._prev_flat_grad
        s = d * t
        ys = float(y @ s)
        if ys > CURVATURE_MIN:
            if len(self._old_dirs) == self._hp["history_size"]:  # forget the oldest pair
                del self._old_dirs[0], self._old_stps[0], self._ro[0]
            self._old_dirs.append(y)
            self._old_stps.append(s)
            self._ro.append(1.0 / ys)
            self._H_diag = ys / float(y @ y)  # H0 = (s'y / y'y) I
        return _two_loop(g, self._old_dirs, self._old_stps, self._ro, self._H_diag)

    def _move(self, flat, closure, loss, g, d, t, gtd, evals, last):
        """Step along d (a line search, or the fixed step t); returns the new loss, gradient,
        step, closure calls and whether the new gradient is below tolerance_grad."""
        hp = self._hp
        x = flat.get()
        if hp["line_search_fn"] is None:
            flat.set(x + t * d)
            if last:  # torch does not evaluate after the last fixed step
                return loss, g, t, 0, False
            loss, g = self._evaluate(flat, closure)
            return loss, g, t, 1, bool(np.abs(g).max() <= hp["tolerance_grad"])

        def phi(a):
            flat.set(x + a * d)
            f, ga = self._evaluate(flat, closure)
            return f, float(ga @ d), ga
        found = strong_wolfe(phi, t, loss, gtd, g, tolerance_change=hp["tolerance_change"],
                             scale=float(np.abs(d).max()), max_ls=hp["max_eval"] - evals)
        flat.set(x + found.t * d)
        return found.f, found.payload, found.t, found.nfev, bool(np.abs(found.payload).max() <= hp["tolerance_grad"])


def _two_loop(g, ys, ss, ro, H_diag):
    """-H g by the two-loop recursion (Nocedal & Wright alg. 7.4), in torch's order."""
    q = -g
    al = [0.0] * len(ys)
    for i in range(len(ys) - 1, -1, -1):
        al[i] = float(ss[i] @ q) * ro[i]
        q = q + (-al[i]) * ys[i]
    r = q * H_diag
    for i in range(len(ys)):
        be_i = float(ys[i] @ r) * ro[i]
        r = r + (al[i] - be_i) * ss[i]
    return r


def _copy(a):
    return None if a is None else a.copy()


def _describe(kind, layout):
    return "one array" if kind == "array" else f"keys {[k for k, _ in layout]}"


def _parse_state(d: dict, name: str, history_size: int) -> dict:
    """Check a state_dict and return the attributes it sets (nothing is changed here)."""
    def need(k):
        if k not in d:
            raise DescendError(f"{name}: state_dict has no {k!r} entry")
        return d[k]

    who = str(np.asarray(need("optimizer")))
    if who != name:
        raise DescendError(f"state_dict is for optimizer {who!r}, not {name!r}")
    kind = str(np.asarray(need("kind")))
    keys = [str(k) for k in np.asarray(need("keys")).reshape(-1)]
    if kind not in ("none", "array", "dict") or (kind == "none") != (not keys) or \
            (kind == "array" and keys != ["params"]):
        raise DescendError(f"{name}: state_dict kind {kind!r} does not fit keys {keys}")
    layout = [(k, tuple(int(i) for i in np.asarray(need(f"shape.{k}")).reshape(-1))) for k in keys]
    counts = {}
    for k in ("func_evals", "n_iter"):
        v = np.asarray(need(k))
        if v.shape != () or v.dtype.kind not in "iu" or v < 0:
            raise DescendError(f"{name}: state_dict {k} must be an integer >= 0, got {v!r}")
        counts[k] = int(v)
    out = {"_layout": None if kind == "none" else (kind, layout), "func_evals": counts["func_evals"],
           "n_iter": counts["n_iter"], "_d": None, "_t": None, "_H_diag": None, "_prev_flat_grad": None,
           "_prev_loss": None, "_old_dirs": [], "_old_stps": [], "_ro": []}
    history = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")
    if not counts["n_iter"]:
        extra = [k for k in history if k in d]
        if extra:
            raise DescendError(f"{name}: state_dict has n_iter 0 but holds {extra}")
        return out
    n = sum(math.prod(shape) for _, shape in layout)
    arrays = {k: np.array(need(k), dtype=np.float64) for k in history}
    k_pairs = arrays["ro"].reshape(-1).size
    want = {"d": (n,), "prev_flat_grad": (n,), "old_dirs": (k_pairs, n), "old_stps": (k_pairs, n),
            "ro": (k_pairs,), "t": (), "H_diag": (), "prev_loss": ()}
    for k, shape in want.items():
        if arrays[k].shape != shape:
            raise DescendError(f"{name}: state_dict {k} has shape {arrays[k].shape}, expected {shape} "
                               f"(params of {n} numbers, {k_pairs} pairs in the history)")
    if k_pairs > history_size:
        raise DescendError(f"{name}: state_dict holds {k_pairs} pairs, more than history_size={history_size}")
    out.update(_d=arrays["d"], _t=float(arrays["t"]), _H_diag=float(arrays["H_diag"]),
               _prev_flat_grad=arrays["prev_flat_grad"], _prev_loss=float(arrays["prev_loss"]),
               _old_dirs=list(arrays["old_dirs"]), _old_stps=list(arrays["old_stps"]),
               _ro=[float(v) for v in arrays["ro"]])
    return out
