"""Checkpoints: one .npz written atomically at epoch ends (and every ``checkpoint_every`` updates),
read without pickle, every field checked, and restored into a run that must have the same settings."""

from __future__ import annotations

import json
import math
import os

import numpy as np

from .. import safejson
from ..errors import DescendError
from ..nn.io import model_from_arrays
from ..nn.layers import decode_rng_state, encode_rng_state
from ..nn.npz import atomic_savez, npz_json, read_npz
from ..nn.saving import model_arrays
from .history import STATUSES, History

CHECKPOINT_FORMAT = "descend.checkpoint"
CHECKPOINT_VERSION = 1


def _put_json(arrays: dict, key: str, value) -> None:
    arrays[key] = np.array(json.dumps(value))


def save_checkpoint(path, *, run, model, opt, rng, perm, progress, history, callbacks) -> None:
    arrays = {"__format__": np.array(CHECKPOINT_FORMAT), "__version__": np.array(CHECKPOINT_VERSION)}
    _put_json(arrays, "run", run)
    _put_json(arrays, "progress", progress)
    arrays["perm"] = np.asarray(perm if perm is not None else np.empty(0, np.int64), dtype=np.int64)
    arrays["rng"] = np.array(encode_rng_state(rng))
    arrays.update(model_arrays(model, prefix="param/"))
    state = opt.state_dict()
    if not isinstance(state, dict):  # pragma: no cover - the optimizer contract
        raise DescendError(f"optimizer.state_dict() must return a dict, got {type(state).__name__}")
    for key, value in state.items():
        arrays[f"optim/{key}"] = np.asarray(value)
    _put_json(arrays, "optim_keys", sorted(state))
    _put_json(arrays, "history", history._meta())
    arrays["history_loss"] = np.asarray(history.loss, dtype=np.float64)
    arrays["history_lr"] = np.asarray(history.lr, dtype=np.float64)
    metas = []
    for i, cb in enumerate(callbacks):
        meta, cb_arrays = cb.state()
        metas.append(meta)
        for name, a in cb_arrays.items():
            arrays[f"callback/{i}/{name}"] = a
    _put_json(arrays, "callbacks", metas)
    atomic_savez(path, arrays)


_CHECKPOINT_FIELDS = frozenset({"__format__", "__version__", "run", "progress", "perm", "rng", "architecture",
                                "rng_state", "optim_keys", "history", "history_loss", "history_lr", "callbacks"})


#: the fields of a checkpoint's history record (:meth:`History._meta`)
_HISTORY_KEYS = ("epochs", "status", "message", "epoch", "step", "best_epoch", "wall_time")


def _refuse_unknown(p: str, field: str, value: dict, known) -> None:
    """A JSON field holding a key descend does not write is refused with the key's name."""
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise DescendError(f"{p!r}: field {field!r} has unknown key(s) {unknown[:5]}; it holds "
                           f"{', '.join(known)}")


def _checkpoint_field(name: str) -> bool:
    return name in _CHECKPOINT_FIELDS or name.startswith(("param/", "optim/", "callback/"))


def load_checkpoint(path, *, max_bytes: int | None = None) -> dict:
    """Read and check a checkpoint written by :func:`train`; return its fields.

    Returns a dict with ``run`` (the settings fingerprint), ``progress``, ``perm``,
    ``rng`` (a Generator), ``model`` (a :class:`~descend.nn.Sequential`),
    ``optim`` (the optimizer state dict), ``history`` (a :class:`History`) and
    ``callbacks`` (list of (meta, arrays)).  Anything malformed is a DescendError;
    a file declaring more than ``max_bytes`` of arrays (default: 100 times the file's
    size, at most :data:`descend.nn.npz.MAX_LOAD_BYTES`) is refused before anything is
    decompressed.
    """
    p = os.fspath(path)
    data = read_npz(p, "checkpoint", CHECKPOINT_FORMAT, CHECKPOINT_VERSION, allowed=_checkpoint_field,
                    max_bytes=max_bytes)
    run = npz_json(data, "run", p)
    progress = npz_json(data, "progress", p)
    kinds = {int: "an integer >= 0", bool: "true or false", float: "a number", dict: "a JSON object"}
    fields = (("epoch", int), ("step", int), ("batch", int), ("in_epoch", bool), ("loss_sum", float),
              ("count", int), ("metric_sums", dict), ("epoch_time", float))
    _refuse_unknown(p, "progress", progress, [k for k, _ in fields])
    for key, kind in fields:
        value = progress.get(key)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or (kind is int and value < 0):
            raise DescendError(f"{p!r}: progress field {key!r} must be {kinds[kind]}, got {value!r}")
    if "perm" not in data or data["perm"].dtype != np.int64 or data["perm"].ndim != 1:
        raise DescendError(f"{p!r}: field 'perm' must be a 1-D int64 array")
    if "rng" not in data:
        raise DescendError(f"{p!r} is missing the field 'rng'")
    try:
        rng = decode_rng_state(safejson.loads(str(data["rng"]), what="the generator state")
                               if data["rng"].dtype.kind == "U" and data["rng"].ndim == 0 else None)
    except DescendError as exc:
        raise DescendError(f"{p!r}: field 'rng': {exc}") from None
    model = model_from_arrays(data, p, prefix="param/")
    optim_keys = npz_json(data, "optim_keys", p, expect=list)
    optim_state = {}
    for key in optim_keys:
        if not isinstance(key, str) or f"optim/{key}" not in data:
            raise DescendError(f"{p!r} is missing the optimizer field {key!r}")
        a = data[f"optim/{key}"]
        if a.dtype.kind not in "biufU":
            raise DescendError(f"{p!r}: optimizer field {key!r} has dtype {a.dtype}")
        optim_state[key] = a[()] if a.ndim == 0 else a
    stray = sorted(k for k in data if k.startswith("optim/") and k[len("optim/"):] not in optim_state)
    if stray:
        raise DescendError(f"{p!r} has optimizer arrays not named in 'optim_keys': {stray[:5]}")
    meta = npz_json(data, "history", p)
    _refuse_unknown(p, "history", meta, _HISTORY_KEYS)
    need = {"epochs": dict, "status": str, "message": str, "epoch": int, "step": int, "wall_time": (int, float)}
    for key, kind in need.items():
        if not isinstance(meta.get(key), kind):
            raise DescendError(f"{p!r}: history field {key!r} is missing or malformed")
    if meta["status"] not in STATUSES:
        raise DescendError(f"{p!r}: unknown history status {meta['status']!r}")
    if not all(isinstance(v, list) and all(isinstance(x, (int, float)) for x in v) for v in meta["epochs"].values()):
        raise DescendError(f"{p!r}: history field 'epochs' must map names to lists of numbers")
    if meta.get("best_epoch") is not None and not isinstance(meta["best_epoch"], int):
        raise DescendError(f"{p!r}: history field 'best_epoch' must be an integer or null")
    for key in ("history_loss", "history_lr"):
        if key not in data or data[key].dtype != np.float64 or data[key].ndim != 1:
            raise DescendError(f"{p!r}: field {key!r} must be a 1-D float64 array")
    if len(data["history_loss"]) != meta["step"] or len(data["history_lr"]) != meta["step"]:
        raise DescendError(f"{p!r}: the history holds {len(data['history_loss'])} losses for {meta['step']} steps")
    if meta["step"] != progress["step"] or meta["epoch"] != progress["epoch"]:
        raise DescendError(f"{p!r}: history and progress disagree on epoch/step")
    history = History._from_meta(meta, data["history_loss"], data["history_lr"])
    cb_metas = npz_json(data, "callbacks", p, expect=list)
    callbacks = []
    for i, m in enumerate(cb_metas):
        if not isinstance(m, dict):
            raise DescendError(f"{p!r}: callback {i} state must be a JSON object")
        prefix = f"callback/{i}/"
        callbacks.append((m, {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}))
    return {"run": run, "progress": progress, "perm": data["perm"], "rng": rng, "model": model,
            "optim": optim_state, "history": history, "callbacks": callbacks}


def _check_progress(p: str, progress: dict, perm: np.ndarray, history: "History", run: dict, n: int) -> None:
    """Every progress field must fit the run the checkpoint claims to be: a batch within the
    epoch's batches, the step count and samples seen that this epoch and batch imply, a
    permutation of the samples when the epoch shuffles; finite sums.  (A tampered
    ``batch=1e9`` would otherwise skip the rest of an epoch without a word.)"""
    bs = run["batch_size"]
    size = n if bs is None else min(bs, n)
    n_batches = n // size if run["drop_last"] else -(-n // size)
    epoch, batch, in_epoch = progress["epoch"], progress["batch"], progress["in_epoch"]

    def bad(field, expected):
        return DescendError(f"{p!r}: progress field {field!r} is {progress[field]!r}, but {expected} "
                            f"(the checkpoint was altered, or is not of this run)")

    if in_epoch and batch > n_batches:
        raise bad("batch", f"an epoch of this run has {n_batches} batches")
    if not in_epoch and batch != 0:
        raise bad("batch", "between epochs it is 0")
    steps = epoch * n_batches + (batch if in_epoch else 0)
    if progress["step"] != steps:
        raise bad("step", f"epoch {epoch} and batch {batch} of {n_batches} per epoch make {steps}")
    seen = min(batch * size, n) if in_epoch else (0 if epoch == 0 else min(n_batches * size, n))
    if progress["count"] != seen:
        raise bad("count", f"{'batch ' + str(batch) if in_epoch else 'the last epoch'} makes {seen} samples")
    sums = [progress["loss_sum"], progress["epoch_time"], *progress["metric_sums"].values()]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in sums) \
            or progress["epoch_time"] < 0:
        raise DescendError(f"{p!r}: progress fields loss_sum, epoch_time and metric_sums must be finite numbers "
                           f"(epoch_time >= 0)")
    lengths = {len(v) for v in history.epochs.values()}
    if lengths and lengths != {epoch}:
        raise DescendError(f"{p!r}: the history records {sorted(lengths)} epochs, progress says {epoch}")
    want = n if in_epoch and run["shuffle"] and n_batches > 1 else 0
    if len(perm) != want or (want and not np.array_equal(np.sort(perm), np.arange(n))):
        raise DescendError(f"{p!r}: field 'perm' is not a permutation of the {n} samples" if want else
                           f"{p!r}: field 'perm' must be empty when the epoch does not shuffle, got {len(perm)} "
                           f"entries")


def restore(path, run, model, opt, callbacks, n):
    """Load a checkpoint into model/optimizer/callbacks after checking it belongs to this run."""
    ck = load_checkpoint(path)
    p = os.fspath(path)
    saved = ck["run"]
    for key in sorted(set(saved) | set(run)):
        if saved.get(key) != run.get(key):
            raise DescendError(f"checkpoint {p!r} was made with {key}={saved.get(key)!r}, this call has "
                               f"{key}={run.get(key)!r}; resuming needs the same settings (or pass "
                               f"overwrite=True and resume=False to start a new run)")
    progress = ck["progress"]
    _check_progress(p, progress, ck["perm"], ck["history"], run, n)
    if set(progress["metric_sums"]) != set(run["metrics"]):
        raise DescendError(f"{p!r}: progress field 'metric_sums' has {sorted(progress['metric_sums'])}, "
                           f"expected {run['metrics']}")
    if len(ck["callbacks"]) != len(callbacks):
        raise DescendError(f"{p!r} holds state for {len(ck['callbacks'])} callback(s); this call has "
                           f"{len(callbacks)}")
    try:
        opt.load_state_dict(ck["optim"])
    except DescendError as exc:
        raise DescendError(f"{p!r}: optimizer state: {exc}") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise DescendError(f"{p!r}: optimizer state does not fit this optimizer: {exc}") from None
    model.load_params(ck["model"].params)
    model.set_rng_state(ck["model"].rng_state())
    for cb, (meta, arrays) in zip(callbacks, ck["callbacks"]):
        try:
            cb.set_state(meta, arrays)
        except (KeyError, TypeError, ValueError) as exc:
            raise DescendError(f"{p!r}: state of {cb!r} is malformed: {exc}") from None
    return ck
