"""One compiled ``minimize``: gather the configuration, run the loop, build the Result.

Three phases, named as the algorithm reads: :func:`_configure` turns the optimizer and
the problem into the loop's arrays (hyperparameters per run, the learning rate per
step, the problem's numbers), :func:`_advance` runs the compiled loop, :func:`_finish`
turns its arrays into the :class:`~descend.result.Result` that the NumPy loop
(:mod:`descend.first_order`) builds (same statuses, messages, counts and history).
"""

from __future__ import annotations

import functools
import inspect
import os

import numpy as np

from ..result import MESSAGES, History, finished, message_numbers, motion
from . import driver, formula, kernels, lockstep, scalars

__all__ = ["run"]

#: runs x steps from which a problem gets a loop of its own with its f and gradient inlined
#: (about 40% less time per step than calling them through the switch of every problem, for
#: one more compile of a few seconds, cached on disk like the others)
INLINE_WORK = 5_000_000

_STATUS = np.array(["max_steps", "converged", "diverged", "diverged", "diverged"])
_WHAT = ("x", "f", "the gradient")

_ADAPTERS = '''
def _user_f(pid, x, P, tmp):
    for j in range(x.shape[0]):
        tmp[j] = x[j]  # a copy, as the NumPy path hands f: f can never touch the iterate
    return float(USER_F(tmp{point}))


def _user_grad(pid, x, P, tmp, out):
    for j in range(x.shape[0]):
        tmp[j] = x[j]
    {store} = USER_G(tmp{point})
'''


class _Config:
    __slots__ = ("rule", "present", "twin", "rename", "flags", "hp_cols", "state_init", "HP", "LR", "P",
                 "pid", "fun", "grad", "fun_key", "problem_key")


@functools.cache
def _rule_args(rule):
    return tuple(inspect.signature(rule).parameters)


def _hp_value(hp, name):
    if name == "beta1":
        return hp["betas"][0]
    if name == "beta2":
        return hp["betas"][1]
    v = hp[name]
    return 0.0 if v is None else v


def _lr_table(lr, steps, R):
    """The learning rate of each step, (steps or 1, R or 1), as the optimizer gets it; None
    where the schedule gives something the optimizer would refuse (the NumPy path says so)."""
    if not callable(lr):
        a = np.asarray(lr, dtype=np.float64)
        return a.reshape(1, 1) if a.ndim == 0 else a.reshape(1, -1)
    if steps == 0:
        return np.full((1, 1), np.nan)
    values = [lr(k) for k in range(steps)]
    shapes = {np.shape(v) for v in values}
    if len(shapes) != 1 or next(iter(shapes)) not in ((), (R,)):
        return None
    a = np.array(values, dtype=np.float64).reshape(steps, -1)
    if not (np.all(np.isfinite(a)) and np.all(a >= 0)):
        return None
    return a


def _configure(problem, fun, grad, opt, X, steps, scalar):
    R = X.shape[0]
    tw, _ = scalars.twin(opt)
    hp = opt._hp
    cfg = _Config()
    cfg.rule = type(opt).rule
    cfg.twin = tw
    cfg.rename = scalars.RENAME.get(scalars.ALIASES.get(opt.name, opt.name), {})
    cfg.present = tuple(opt._present())
    cfg.hp_cols = tuple(tw.hp) + ("weight_decay", "clip_value", "clip_norm")
    cols = [_hp_value(hp, c) for c in cfg.hp_cols]
    if any(isinstance(v, np.ndarray) and v.shape != (R,) for v in cols):
        return None  # the NumPy path raises the optimizer's own error about the lengths
    rows = R if any(isinstance(v, np.ndarray) for v in cols) else 1
    cfg.HP = np.empty((rows, len(cols)))
    for j, v in enumerate(cols):
        cfg.HP[:, j] = v
    cfg.LR = _lr_table(hp["lr"], steps, R)
    if cfg.LR is None:
        return None
    wd = hp["weight_decay"]
    use_wd = isinstance(wd, np.ndarray) or wd != 0
    args = _rule_args(cfg.rule)[2 + len(opt.state_names):]
    cfg.flags = {a: bool(hp[a]) for a in args if a in hp and isinstance(hp[a], (bool, np.bool_))}
    cfg.flags.update(maximize=bool(hp.get("maximize", False)),  # torch's: the gradient negated first
                     use_clip_value=hp["clip_value"] is not None, use_factor=hp["clip_norm"] is not None,
                     coupled=bool(use_wd and not hp["decoupled_weight_decay"]),
                     decoupled=bool(use_wd and hp["decoupled_weight_decay"]))
    init = dict(tw.init)
    cfg.state_init = {j: init[s] for j, s in enumerate(opt.state_names) if s in init}
    if problem is not None and formula.program_of(problem) is not None:  # a typed formula: its program as P
        cfg.fun, cfg.grad, cfg.P = formula.kernels(problem, X.shape[0])
        cfg.pid, cfg.fun_key = 0, ("formula", formula.fingerprint())
    elif problem is not None:
        spec, _ = kernels.params_of(problem)
        key, f, g, cfg.P = spec
        cfg.pid, cfg.fun, cfg.grad = kernels.problem_id(key), None, None
        cfg.problem_key = key
        cfg.fun_key = ("problems",)
        if X.shape[0] * steps >= INLINE_WORK:  # a long job: a loop of its own with the problem inlined
            from ..optim import fused
            cfg.fun, cfg.grad = kernels.single(fused._numba, key)
            cfg.fun_key = ("inline", key, driver.digest(f, g, kernels.pairwise, kernels.fingerprint()))
    else:
        adapted = _adapt(fun, grad, X[0], scalar)
        if adapted is None:
            return None
        cfg.fun, cfg.grad = adapted
        cfg.P, cfg.pid = np.zeros(1), 0
        cacheable = driver.cacheable(getattr(fun, "py_func", fun)) and driver.cacheable(getattr(grad, "py_func", grad))
        cfg.fun_key = ("user", driver.digest(fun, grad), scalar, cacheable)
    return cfg


def _adapt(fun, grad, x, scalar):
    """f and grad of the user as the loop calls them, after one call from Python checks
    that they return a number and n numbers (else the NumPy path reports it)."""
    try:
        v = fun(x[0] if scalar else x.copy())
        g = grad(x[0] if scalar else x.copy())
    except Exception:
        return None  # the NumPy path raises it, at the same place as always
    if np.ndim(v) != 0 or (np.ndim(g) != 0 if scalar else np.shape(g) != x.shape):
        return None
    from ..optim import fused
    nb = fused._numba
    ns = {"__name__": __name__, "np": np, "USER_F": fun, "USER_G": grad}
    src = _ADAPTERS.format(point="[0]" if scalar else "", store="out[0]" if scalar else "out[:]")
    exec(compile(src, __file__, "exec"), ns)
    jit = nb.njit(error_model="numpy")
    return jit(ns["_user_f"]), jit(ns["_user_grad"])


def _outputs(R, n):
    """The arrays a loop fills with each run's numbers."""
    return dict(FF=np.empty(R), F0=np.empty(R), GN=np.empty(R), NIT=np.zeros(R, np.int64),
                NFEV=np.zeros(R, np.int64), NGEV=np.zeros(R, np.int64), CODE=np.zeros(R, np.int64),
                STEP=np.zeros(R, np.int64), WHAT=np.zeros(R, np.int64), FBAD=np.full(R, np.nan),
                D=np.zeros((2, R, n)), END=np.zeros(R, np.int64))


def _advance(cfg, X, steps, gtol, max_growth, keep):
    if lockstep_applies(cfg, X.shape[0]):
        return _advance_lockstep(cfg, X, steps, gtol, max_growth, keep)
    R, n = X.shape
    entry = driver.loop(cfg.rule, len(cfg.present), cfg.present, cfg.twin, cfg.rename, cfg.flags, cfg.hp_cols,
                        cfg.state_init, cfg.fun, cfg.grad, cfg.fun_key)
    if entry is None:
        return None
    fn, table, nsc = entry
    keep_x, keep_f = keep is True, bool(keep)
    # run-major: run i writes HF[i, :] contiguously; History gets the transposed views
    HX = np.empty((R, steps + 1, n)) if keep_x else np.empty((1, 1, 1))
    HF = np.empty((R, steps + 1)) if keep_f else np.empty((1, 1))
    HG = np.empty((R, steps + 1)) if keep_f else np.empty((1, 1))
    out = _outputs(R, n)
    shared = cfg.HP.shape[0] == 1 and cfg.LR.shape[1] == 1
    SCT = np.empty((max(steps, 1) if shared else 1, nsc))
    if shared:
        table(cfg.HP, cfg.LR, steps, SCT)
    args = (X, cfg.HP, cfg.LR, cfg.P, cfg.pid, steps, 0.0 if gtol is None else float(gtol), gtol is not None,
            max_growth is not None, np.nan if max_growth is None else float(max_growth), keep_x, keep_f,
            HX, HF, HG, out["FF"], out["F0"], out["GN"], out["NIT"], out["NFEV"], out["NGEV"], out["CODE"],
            out["STEP"], out["WHAT"], out["FBAD"], out["D"], out["END"], SCT, shared)
    chunks = _chunks(R)
    if len(chunks) == 1:
        last = fn(*args, 0, R)
    else:
        last = max(_pool().map(lambda c: fn(*args, *c), chunks))
    last = int(last)
    if keep_x or keep_f:
        fill = driver.fill()
        fill_args = (HX, HF, HG, X, out["FF"], out["GN"], out["END"], last, keep_x, keep_f)
        if len(chunks) == 1:
            fill(*fill_args, 0, R)
        else:
            list(_pool().map(lambda c: fill(*fill_args, *c), chunks))
    # (steps + 1, R[, n]) as History holds it: views when every step was taken, else a
    # copy of the steps taken (the buffer of all of them is let go)
    if keep_x:
        out["HX"] = HX.transpose(1, 0, 2) if last == steps else HX[:, :last + 1].transpose(1, 0, 2).copy()
    if keep_f:
        out["HF"] = HF.T if last == steps else HF[:, :last + 1].T.copy()
        out["HG"] = HG.T if last == steps else HG[:, :last + 1].T.copy()
    out["last"] = last
    return out


def lockstep_applies(cfg, R) -> bool:
    """Whether the runs go through the lockstep loop (:mod:`descend.jit.lockstep`): enough of
    them, and f and the gradient a registered problem's or the user's compiled functions."""
    return R >= lockstep.MIN_RUNS and cfg.fun_key[0] in ("problems", "inline", "user")


def _lockstep_loop(cfg):
    evaluate = None
    if cfg.fun_key[0] in ("problems", "inline"):
        from ..optim import fused
        if kernels.lanes(fused._numba, cfg.problem_key) is not None:  # inlined, vectorized across runs
            return lockstep.loop(cfg.rule, len(cfg.present), cfg.present, cfg.twin, cfg.rename, cfg.flags,
                                 cfg.hp_cols, cfg.state_init, None, None, ("lanes", cfg.problem_key),
                                 cfg.problem_key)
    return lockstep.loop(cfg.rule, len(cfg.present), cfg.present, cfg.twin, cfg.rename, cfg.flags, cfg.hp_cols,
                         cfg.state_init, cfg.fun, cfg.grad, cfg.fun_key, evaluate)


def _advance_lockstep(cfg, X, steps, gtol, max_growth, keep):
    """:func:`_advance` through the lockstep loop: the runs' coordinates run-minor (``XT[j, i]``),
    the history step-major as History holds it."""
    R, n = X.shape
    entry = _lockstep_loop(cfg)
    if entry is None:
        return None
    fn, table, nsc = entry
    keep_x, keep_f = keep is True, bool(keep)
    XT = np.ascontiguousarray(X.T)
    HX = np.empty((steps + 1, R, n)) if keep_x else np.empty((1, 1, 1))
    HF = np.empty((steps + 1, R)) if keep_f else np.empty((1, 1))
    HG = np.empty((steps + 1, R)) if keep_f else np.empty((1, 1))
    out = _outputs(R, n)
    shared = cfg.HP.shape[0] == 1 and (cfg.LR.shape[1] == 1 or not lockstep.table_reads_lr(cfg.twin))
    SCT = np.empty((max(steps, 1) if shared else 1, nsc))
    if shared:
        table(cfg.HP, cfg.LR, steps, SCT)
    args = (XT, cfg.HP, cfg.LR, cfg.P, cfg.pid, steps, 0.0 if gtol is None else float(gtol), gtol is not None,
            max_growth is not None, np.nan if max_growth is None else float(max_growth), keep_x, keep_f,
            HX, HF, HG, out["FF"], out["F0"], out["GN"], out["NIT"], out["NFEV"], out["NGEV"], out["CODE"],
            out["STEP"], out["WHAT"], out["FBAD"], out["D"], out["END"], SCT, shared)
    chunks = _chunks(R)
    if len(chunks) == 1:
        last = int(fn(*args, 0, R))
    else:
        last = int(max(_pool().map(lambda c: fn(*args, *c), chunks)))
    if (keep_x or keep_f) and last:
        fill_args = (HX, HF, HG, XT, out["FF"], out["GN"], out["END"], last, keep_x, keep_f)
        lockstep.fill()(*fill_args, 0, R)
    X[:] = XT.T
    if keep_x:
        out["HX"] = HX if last == steps else HX[:last + 1].copy()
    if keep_f:
        out["HF"] = HF if last == steps else HF[:last + 1].copy()
        out["HG"] = HG if last == steps else HG[:last + 1].copy()
    out["last"] = last
    return out


_cpus = (None, 1)  # (pid, threads) of the process that asked


def _threads() -> int:
    """The cores this process may run on (asked once per process)."""
    global _cpus
    if _cpus[0] != os.getpid():
        try:
            n = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            n = os.cpu_count() or 1
        _cpus = (os.getpid(), max(1, n))
    return _cpus[1]


def _chunks(R):
    """Slices of the runs, one per thread: RUNS_PER_THREAD runs at least each."""
    k = 1 if R < 2 * driver.RUNS_PER_THREAD else max(1, min(_threads(), R // driver.RUNS_PER_THREAD))
    return [(R * j // k, R * (j + 1) // k) for j in range(k)]


_executor = None
_executor_pid = None


def _pool():
    """The threads that run slices of runs (the loop releases the GIL); a process forked
    from this one gets its own (threads do not survive fork)."""
    global _executor, _executor_pid
    if _executor is None or _executor_pid != os.getpid():
        from concurrent.futures import ThreadPoolExecutor
        _executor = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="descend-jit")
        _executor_pid = os.getpid()
    return _executor


def _finish(out, cfg, X, lr, steps, gtol, max_growth, keep, scalar, batched, name):
    """The Result of the NumPy loop's finish phase (:func:`descend.first_order._finish`), from the loop's arrays."""
    R = X.shape[0]
    F, F0, gnorm, nit = out["FF"], out["F0"], out["GN"], out["NIT"]
    code = out["CODE"]
    status = _STATUS[code].astype(object)
    last = out["last"]
    hist = None
    if keep:
        LR = cfg.LR
        hlr = np.empty((last + 1, R))
        if last:
            hlr[:last] = LR[:last] if LR.shape[0] > 1 else LR[0]
        hlr[last] = np.nan
        hist = History(x=out["HX"] if keep is True else None, f=out["HF"], grad_norm=out["HG"], lr=hlr)
    messages = []
    for i in range(R):
        numbers = message_numbers(i, lr=lr, grad_norm=gnorm, gtol=gtol, nit=nit, f0=F0, fun=F, max_growth=max_growth)
        c = code[i]
        if c == 2:
            key = "diverged_start"
        elif c == 3:
            key = "diverged_nonfinite"
            numbers.update(step=int(out["STEP"][i]), what=_WHAT[out["WHAT"][i]])
        elif c == 4:
            key = "diverged_growth"
            numbers.update(step=int(out["STEP"][i]), f_bad=out["FBAD"][i])
        elif c == 0 and not F[i] < F0[i] and nit[i] > 0:
            key = "max_steps_no_decrease"
            numbers["motion"] = motion(out["D"][0, i], out["D"][1, i])
        else:
            key = status[i]
        messages.append(MESSAGES[key].format(**numbers))
    return finished(X, F, gnorm, nit, out["NFEV"], out["NGEV"], status, messages, hist, gtol=gtol, lr=lr,
                    name=name, scalar=scalar, batched=batched)


def run(problem, fun, grad, opt, X, lr, steps, gtol, max_growth, keep, *, scalar, batched, name):
    """The Result of ``minimize`` on the compiled path, or None where a check on the
    NumPy path would refuse the input (it then runs and says so)."""
    cfg = _configure(problem, fun, grad, opt, X, steps, scalar)
    if cfg is None:
        return None
    X = np.ascontiguousarray(X, dtype=np.float64)
    out = _advance(cfg, X, steps, gtol, max_growth, keep)
    if out is None:
        return None
    return _finish(out, cfg, X, lr, steps, gtol, max_growth, keep, scalar, batched, name)
