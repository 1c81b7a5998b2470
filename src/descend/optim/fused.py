"""The update rules compiled by numba into one parallel loop per optimizer.

Nothing here restates the math.  For a rule ``rule(p, g, s1, s2, ..., *scalars)``
(written once in the optimizer's module for NumPy arrays) this module writes the
loop around it::

    for i in prange(p.size):
        pi, gi = prepare(float64(p[i]), float64(g[i]), <transforms>)
        pi, s1i, s2i = rule(pi, gi, float64(s1[i]), float64(s2[i]), <scalars>)
        p[i] = pi; s1[i] = s1i; s2[i] = s2i

with the boolean arguments (``amsgrad``, ``nesterov``, which transforms are on)
written in as constants, so the loop has no branches, and compiles it with
``numba.njit(parallel=True, cache=True)`` (fastmath off), with the rule and
:func:`~descend.optim.transforms.prepare` jitted for scalars and inlined.  Each element
goes through the same IEEE operations in the same order as on the NumPy path
(float64, rounded once when stored, no FMA contraction), so both paths give the
same bits; the tests check it.  State arrays the configuration does not keep are passed to the
rule as the constant 0.0 and not stored.

numba is optional: :func:`kernel` returns None when it is missing (or cannot compile
a rule), and the optimizer silently takes the NumPy path.  It does the same in a
process forked from one whose kernels ran on GNU OpenMP (numba's default threading
layer where TBB is not installed), which would otherwise be terminated.  ``import descend.optim``
never imports numba; the first large step does.
"""

from __future__ import annotations

import hashlib
import inspect
import os

import numpy as np

from .transforms import prepare

__all__ = ["available", "apply", "kernel", "run", "can_launch", "FUSED_MIN_SIZE"]

#: Arrays smaller than this (elements) run the loop on the calling thread alone: waking
#: the OpenMP team costs about 50 microseconds, more than a 200k-element SGD step takes.
#: It is the same compiled loop either way, so the same bits; numba vectorizes a parallel
#: loop's body (its arrays are known not to alias), which a plain ``range`` loop is not.
PARALLEL_MIN_SIZE = 1 << 18

_TRANSFORM_ARGS = ("lr", "clip_value", "use_clip_value", "factor", "use_factor",
                   "weight_decay", "coupled", "decoupled")

_cache: dict = {}
_numba = None
_launch_pid = None  # the process that launched our first parallel kernel
#: rules numba could not compile: rule name -> the error, for the curious
failures: dict[str, str] = {}


def available() -> bool:
    """Whether numba can be imported (set DESCEND_NO_NUMBA=1 to pretend it cannot)."""
    global _numba
    if os.environ.get("DESCEND_NO_NUMBA"):
        return False
    if _numba is None:
        # numba's OpenMP threads spin between kernels by default; next to OpenBLAS's own
        # spinning threads (a training loop alternates matmuls and optimizer steps) the two
        # pools fight for the cores and a step ran 6x slower. Passive waiting costs a few
        # microseconds per kernel call and nothing else. Set before OpenMP is loaded; a
        # value the user chose is kept.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import numba
        except ImportError:
            _numba = False
        else:
            _numba = numba
    return _numba is not False


def _source(rule, present, n_state, scalar_names, flags) -> tuple[str, str]:
    states = [f"s{i}" for i in range(n_state)]
    # transform arguments are t_<name>, the rule's r_<name>: the two may share names (lr)
    tnames = [f"t_{a}" for a in _TRANSFORM_ARGS]
    rnames = [f"r_{a}" for a in scalar_names]
    transform = [a if a not in flags else repr(flags[a]) for a in tnames]
    scalars = [a if a not in flags else repr(flags[a]) for a in rnames]
    args = ["p", "g"] + [s for s, keep in zip(states, present) if keep] + _floats(scalar_names, flags)
    loads = [f"        {s}i = float64({s}[i])" if keep else f"        {s}i = 0.0"
             for s, keep in zip(states, present)]
    outs = ", ".join(["pi"] + [f"{s}i" for s in states])
    stores = [f"        {s}[i] = {s}i" for s, keep in zip(states, present) if keep]
    body = [
        "    for i in prange(p.size):",
        f"        pi, gi = prepare(float64(p[i]), float64(g[i]), {', '.join(transform)})",
        *loads,
        f"        {outs}, = rule(pi, gi, {', '.join([f'{s}i' for s in states] + scalars)})",
        "        p[i] = pi",
        *stores,
    ]
    digest = hashlib.sha1()
    for f in (rule, prepare):
        try:
            digest.update(inspect.getsource(f).encode())
        except (OSError, TypeError):  # no source (frozen app): no cache across processes
            digest.update(repr(id(f)).encode())
    digest.update(repr(sorted(flags.items())).encode())
    pattern = "".join("1" if k else "0" for k in present)
    name = f"_fused_{rule.__name__}_{pattern}_{digest.hexdigest()[:12]}"
    src = f"def {name}({', '.join(args)}):\n" + "\n".join(body) + "\n"
    return name, src


def _floats(scalar_names, flags):
    return [a for a in [f"t_{a}" for a in _TRANSFORM_ARGS] + [f"r_{a}" for a in scalar_names] if a not in flags]


def kernel(rule, present: tuple[bool, ...], flags: dict[str, bool]):
    """The compiled loop for ``rule`` keeping the state arrays marked in ``present``.

    Arguments of :func:`~descend.optim.transforms.prepare` are named ``t_<name>``, the
    rule's scalar arguments ``r_<name>``.  ``flags`` (those that are booleans, such as
    ``t_coupled`` or ``r_amsgrad``) are written into the loop as constants, so that it
    has no branches.  Returns ``(kernel, float_names)`` or None when numba is
    unavailable or fails.  The kernel takes ``(p, g, *kept_states, *floats)`` with flat
    arrays and the float arguments in ``float_names`` order.
    """
    key = (rule, present, tuple(sorted(flags.items())))
    if key in _cache:
        return _cache[key]
    if not available():
        return None
    names = list(inspect.signature(rule).parameters)
    n_state = len(present)
    scalar_names = names[2 + n_state:]
    name, src = _source(rule, present, n_state, scalar_names, flags)
    nb = _numba
    try:
        ns = {
            "__name__": __name__,  # numba's cache rebuilds the environment from this module
            "prange": nb.prange,
            "float64": nb.float64,
            "rule": nb.njit(inline="always")(rule),
            "prepare": nb.njit(inline="always")(prepare),
        }
        # compiled as if written in this file, so that numba's on-disk cache can find it;
        # the name carries a hash of the rule's source, so editing a rule recompiles it
        exec(compile(src, __file__, "exec"), ns)
        fn = nb.njit(parallel=True, cache=True, fastmath=False, nogil=True)(ns[name])
    except Exception as exc:  # pragma: no cover - depends on the numba version
        failures[rule.__name__] = repr(exc)
        _cache[key] = None
        return None
    entry = (_Kernel(fn, rule.__name__, key), _floats(scalar_names, flags))
    _cache[key] = entry
    return entry


class _Kernel:
    """A compiled loop, called through :func:`run`.  If its first call fails, it is tried once more without numba's
    disk cache (a read-only install may have nowhere to write it), then given up for
    this key (:func:`kernel` returns None for it from then on)."""

    __slots__ = ("dispatcher", "rule_name", "key", "retried")

    def __init__(self, dispatcher, rule_name, key):
        self.dispatcher, self.rule_name, self.key, self.retried = dispatcher, rule_name, key, False

    def _call(self, args) -> bool:
        try:
            self.dispatcher(*args)
            return True
        except Exception as exc:  # typing or caching errors surface at the first call
            if not self.retried:
                self.retried = True
                self.dispatcher = _numba.njit(parallel=True, fastmath=False, nogil=True)(self.dispatcher.py_func)
                return self._call(args)
            failures[self.rule_name] = repr(exc)
            _cache[self.key] = None
            return False


def run(calls) -> list[bool]:
    """Run ``[(kernel, args), ...]`` (one optimizer step's arrays); a list of which ran.

    Calls whose first array is below :data:`PARALLEL_MIN_SIZE` elements run on this
    thread alone (numba's thread count is per calling thread), switched once for all
    of them.  Nothing runs in a process forked from one whose kernels ran on GNU
    OpenMP, which would be terminated: every call answers False there.
    """
    if _forked_from_openmp():
        return [False] * len(calls)
    done = [False] * len(calls)
    small = [i for i, (_, args) in enumerate(calls) if args[0].size < PARALLEL_MIN_SIZE]
    if small:
        try:
            get, put = _thread_count()
            prev = get()
        except Exception:  # no threading layer could start: each call below fails, or runs as it can
            prev = 1
        if prev != 1:
            put(1)
        try:
            for i in small:
                done[i] = calls[i][0]._call(calls[i][1])
        finally:
            if prev != 1:
                put(prev)
    for i, (kern, args) in enumerate(calls):
        if args[0].size >= PARALLEL_MIN_SIZE:
            done[i] = kern._call(args)
    return done


#: With ``fused=None`` the numba kernel takes every array of a step whose parameters hold
#: at least this many elements in all (a network's biases go with its weights): below it,
#: importing numba and compiling would cost more than the kernel saves.
FUSED_MIN_SIZE = 1 << 15

_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def apply(rule, state_names, slots, use, leaves, common, scalars) -> list:
    """Step with the kernels what they can take; return the leaves left for the NumPy path.

    ``rule`` and ``state_names`` are the optimizer's, ``slots`` maps each key to its state
    (``.arrays``: name -> array, None where the configuration keeps none), ``use`` is its
    ``fused`` hyperparameter, ``common`` and ``scalars`` the arguments of
    :func:`~descend.optim.transforms.prepare` and of the rule for this step.  The kernel
    takes a float32/float64 C-contiguous array when the hyperparameters of the step are
    plain numbers (not one per run), ``use`` is True, or None with at least
    :data:`FUSED_MIN_SIZE` elements in the step, and numba is installed.
    """
    if use is False or (use is None and sum(leaf.p.size for leaf in leaves) < FUSED_MIN_SIZE):
        return leaves
    values, flags = {}, {}
    for prefix, group in (("t_", common), ("r_", scalars)):
        for k, v in group.items():
            if v.__class__ is np.ndarray:
                return leaves  # one value per run: the NumPy path slices them by rows
            if v.__class__ is bool or v.__class__ is np.bool_:
                flags[prefix + k] = bool(v)
            else:
                values[prefix + k] = v
    if not available():
        return leaves
    names = state_names
    kernels = {}  # state pattern -> (kernel, float arguments) for this step
    calls, fused_leaves, rest = [], [], []
    for leaf in leaves:
        p, g = leaf.p, leaf.g
        if p.dtype not in _FUSED_DTYPES or g.dtype not in _FUSED_DTYPES or p.size == 0 \
                or not (p.flags.c_contiguous and g.flags.c_contiguous):
            rest.append(leaf)
            continue
        arrays = slots[leaf.key].arrays
        present = tuple([arrays[n] is not None for n in names])
        if present not in kernels:
            entry = kernel(rule, present, flags)
            kernels[present] = None if entry is None else (entry[0], tuple(float(values[k]) for k in entry[1]))
        if kernels[present] is None:
            rest.append(leaf)
            continue
        kern, floats = kernels[present]
        states = [arrays[n].reshape(-1) for n, keep in zip(names, present) if keep]
        calls.append((kern, (p.reshape(-1), g.reshape(-1), *states, *floats)))
        fused_leaves.append(leaf)
    for leaf, ok in zip(fused_leaves, run(calls)):
        if not ok:
            rest.append(leaf)
    return rest


_threads = None


def _thread_count():
    """(get, set) of numba's thread count for this thread.

    numba's public get/set_num_threads take a lock and re-check the thread pool on every
    call (about 3 microseconds each, three per step); once the pool is up, the C functions
    they end in are called directly when this numba has them.
    """
    global _threads
    if _threads is None:
        _numba.get_num_threads()  # starts the pool
        from numba.np.ufunc import parallel
        get, put = getattr(parallel, "_get_num_threads", None), getattr(parallel, "_set_num_threads", None)
        _threads = (get, put) if callable(get) and callable(put) else \
            (_numba.get_num_threads, _numba.set_num_threads)
    return _threads


def can_launch() -> bool:
    """Whether this process may run a parallel kernel (not in a child forked from a
    process whose kernels ran on GNU OpenMP: see :func:`run`)."""
    return not _forked_from_openmp()


def _forked_from_openmp() -> bool:
    """True in a child forked (multiprocessing's default on Linux) from a process whose
    parallel kernels run on GNU OpenMP, which cannot be used again after fork()."""
    global _launch_pid
    pid = os.getpid()
    if _launch_pid is None:
        _launch_pid = pid
        return False
    if pid == _launch_pid:
        return False
    try:
        return _numba.threading_layer() == "omp"
    except ValueError:  # no parallel region ran before the fork
        _launch_pid = pid
        return False
