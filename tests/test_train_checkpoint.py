"""Checkpoints: atomic saves, exact resume (SIGKILL, Ctrl-C, crashes), and refusing what is not ours."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import descend
from descend import DescendError, datasets, nn, optim, schedules
from descend.nn.io import atomic_savez
from descend.training import EarlyStopping, load_checkpoint, train
from helpers import comparable

SRC = str(Path(descend.__file__).resolve().parent.parent)


def same_params(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)


# ---------------------------------------------------------------------------------------------
# SIGKILL mid-epoch, resume in a new process: the final parameters equal an uninterrupted run's
# ---------------------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from descend import datasets, nn, optim, schedules
    from descend.training import train

    ckpt, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
    data = datasets.spirals(150, seed=0)
    model = nn.mlp((2, 16, 3), dropout=0.2, rng=0)
    opt = optim.Adam(lr=schedules.Cosine(lr=0.05, decay_steps=40, warmup_steps=5))
    calls = [0]

    def pause(pred, y):
        calls[0] += 1
        if mode == "kill" and calls[0] == 23:   # update 23: epoch 3, batch 3
            print("READY", flush=True)
            time.sleep(120)                       # SIGKILL arrives here
        return 0.0

    h = train(model, data.X, data.y, loss="cross_entropy", optimizer=opt, batch_size=16, epochs=4, seed=7,
              metrics=[pause, "accuracy"], checkpoint=ckpt, checkpoint_every=3, resume=mode == "resume")
    hist = {"loss": h.loss, "lr": h.lr, "status": h.status, "epochs": {k: v for k, v in h.epochs.items()
                                                                       if k not in ("time", "samples_per_s")}}
    np.savez(out, history=np.array(json.dumps(hist)), **{"p/" + k: v for k, v in model.params.items()})
    print(h.message)
""")


def _run_child(script, *args, **popen):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, str(script), *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def _result(path):
    with np.load(path, allow_pickle=False) as f:
        return json.loads(str(f["history"])), {k[2:]: f[k] for k in f.files if k.startswith("p/")}


def test_sigkill_mid_epoch_then_resume_in_a_new_process_is_bit_for_bit(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    ckpt = tmp_path / "run.npz"
    victim = _run_child(script, ckpt, "kill", tmp_path / "never.npz")
    try:
        ready, _, _ = select.select([victim.stdout], [], [], 120)
        assert ready, "the child never reached the kill point"
        assert victim.stdout.readline().strip() == "READY", victim.stderr.read()
        victim.send_signal(signal.SIGKILL)
        victim.wait(30)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert not (tmp_path / "never.npz").exists()
    ck = load_checkpoint(ckpt)  # a whole, valid file: the save is atomic
    assert ck["progress"]["step"] == 21 and ck["progress"]["in_epoch"] and ck["progress"]["epoch"] == 2
    # no temporary files left (descend.files' prefix, and the mkstemp names of older versions)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".run.npz", ".descend-tmp-"))] == []

    resumed = _run_child(script, ckpt, "resume", tmp_path / "resumed.npz")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert out.strip() == "completed 4 epoch(s), 40 update(s)"
    full = _run_child(script, tmp_path / "full.npz", "full", tmp_path / "uninterrupted.npz")
    out, err = full.communicate(timeout=120)
    assert full.returncode == 0, err

    hist_r, params_r = _result(tmp_path / "resumed.npz")
    hist_f, params_f = _result(tmp_path / "uninterrupted.npz")
    assert same_params(params_r, params_f)
    assert hist_r == hist_f


# ---------------------------------------------------------------------------------------------
# Crashes and Ctrl-C in-process: every resume point gives the uninterrupted result
# ---------------------------------------------------------------------------------------------

class Crash(Exception):
    pass


def _setup():
    s = datasets.moons(90, noise=0.2, seed=0).split(0.2, seed=0)
    model = nn.mlp((2, 12, 2), dropout=0.1, rng=3)
    opt = optim.Adam(lr=schedules.StepDecay(lr=0.03, step_size=7, gamma=0.7))
    return s, model, opt


def _fit(path, *, crash_at=None, resume=False, epochs=5, callbacks=None, **kw):
    s, model, opt = _setup()
    calls = [0]

    def probe(pred, y):
        if len(y) == len(s.y_test):  # a validation call
            return 0.0
        calls[0] += 1
        if calls[0] == crash_at:
            raise Crash
        return 0.0

    cbs = callbacks() if callbacks else [EarlyStopping(monitor="val_loss", patience=10)]
    h = train(model, s.X_train, s.y_train, loss="cross_entropy", optimizer=opt, batch_size=10, epochs=epochs, seed=11,
              validation=(s.X_test, s.y_test), metrics=[probe, "accuracy"], callbacks=cbs, checkpoint=path,
              resume=resume, progress=False, **kw)
    return h, model


@pytest.mark.parametrize("every, crash_at", [(None, 20), (4, 20), (4, 17), (1, 8), (3, 37), (5, 38)])
def test_resume_after_a_crash_equals_the_uninterrupted_run(tmp_path, every, crash_at):
    # 72 training samples in batches of 10: 8 updates per epoch, 40 in all; crash_at counts updates
    h_full, m_full = _fit(tmp_path / "full.npz", checkpoint_every=every)
    path = tmp_path / "run.npz"
    with pytest.raises(Crash):
        _fit(path, crash_at=crash_at, checkpoint_every=every)
    h, model = _fit(path, resume=True, checkpoint_every=every)
    assert same_params(model.params, m_full.params)
    assert comparable(h) == comparable(h_full)


def test_ctrl_c_saves_a_checkpoint_and_returns_interrupted(tmp_path):
    s, model, opt = _setup()
    calls = [0]

    def press_ctrl_c(pred, y):
        calls[0] += 1
        if calls[0] == 13:
            os.kill(os.getpid(), signal.SIGINT)  # the handler only sets a flag: this update still completes
        return 0.0

    path = tmp_path / "run.npz"
    h = train(model, s.X_train, s.y_train, loss="cross_entropy", optimizer=opt, batch_size=10, epochs=3, seed=11,
              metrics=[press_ctrl_c], checkpoint=path, progress=False)
    assert h.status == "interrupted" and h.step == 13 and not h.success
    assert h.message == (f"interrupted at epoch 2, step 13; checkpoint saved to '{path}' (continue with "
                         f"resume=True)")
    assert "\n" not in h.message
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # our handler is gone again
    assert load_checkpoint(path)["progress"]["step"] == 13

    def no_op(pred, y):
        return 0.0

    no_op.__name__ = "press_ctrl_c"  # the same metric names as the interrupted run
    s2, resumed_model, opt2 = _setup()
    h2 = train(resumed_model, s2.X_train, s2.y_train, loss="cross_entropy", optimizer=opt2, batch_size=10, epochs=3,
               seed=11, metrics=[no_op], checkpoint=path, resume=True, progress=False)
    s3, full_model, opt3 = _setup()
    h3 = train(full_model, s3.X_train, s3.y_train, loss="cross_entropy", optimizer=opt3, batch_size=10, epochs=3,
               seed=11, metrics=[no_op], progress=False)
    assert same_params(resumed_model.params, full_model.params)
    assert h2.loss == h3.loss and h2.status == "completed"


def test_ctrl_c_without_checkpoint():
    s, model, opt = _setup()

    def press(pred, y):
        os.kill(os.getpid(), signal.SIGINT)
        return 0.0

    h = train(model, s.X_train, s.y_train, loss="cross_entropy", optimizer=opt, batch_size=10, epochs=3, seed=11,
              metrics=[press], progress=False)
    assert h.status == "interrupted" and h.message == "interrupted at epoch 1, step 1"


def test_resume_a_finished_run_with_more_epochs_equals_one_longer_run(tmp_path):
    path = tmp_path / "run.npz"
    _fit(path, epochs=2)
    h, model = _fit(path, epochs=4, resume=True)
    h_full, m_full = _fit(tmp_path / "full.npz", epochs=4)
    assert same_params(model.params, m_full.params) and comparable(h) == comparable(h_full)
    before = {k: v.copy() for k, v in model.params.items()}
    h_again, model_again = _fit(path, epochs=4, resume=True)  # nothing left to do: returns the History
    assert h_again.epoch == 4 and same_params(model_again.params, before)


def test_early_stopping_state_survives_resume(tmp_path):
    def cbs():
        return [EarlyStopping(monitor="val_accuracy", patience=2)]

    h_full, m_full = _fit(tmp_path / "full.npz", epochs=30, callbacks=cbs, checkpoint_every=5)
    assert h_full.status == "stopped_early"
    path = tmp_path / "run.npz"
    with pytest.raises(Crash):
        _fit(path, epochs=30, callbacks=cbs, checkpoint_every=5, crash_at=8 * (h_full.epoch - 1) + 3)
    h, model = _fit(path, epochs=30, callbacks=cbs, checkpoint_every=5, resume=True)
    assert comparable(h) == comparable(h_full) and same_params(model.params, m_full.params)


# ---------------------------------------------------------------------------------------------
# What a checkpoint holds
# ---------------------------------------------------------------------------------------------

def test_checkpoint_is_plain_arrays_with_a_format_marker(tmp_path):
    path = tmp_path / "run.npz"
    _fit(path, epochs=1)
    with np.load(path, allow_pickle=False) as f:  # no object arrays anywhere
        data = {k: f[k] for k in f.files}
    assert str(data["__format__"]) == "descend.checkpoint" and int(data["__version__"]) == 1
    rng = json.loads(str(data["rng"]))
    assert rng["bit_generator"] == "PCG64" and isinstance(rng["state"]["state"], int)
    assert {"param/0.weight", "param/0.bias", "param/3.weight", "param/3.bias"} <= set(data)
    assert "optim/count" in data and "optim/state.0.weight.exp_avg" in data
    ck = load_checkpoint(path)
    assert ck["progress"]["epoch"] == 1 and ck["history"].status == "completed"
    assert ck["run"]["batch_size"] == 10 and ck["run"]["optimizer"] == "Adam"
    assert int(ck["optim"]["count"]) == 8


# ---------------------------------------------------------------------------------------------
# Refusals: nothing the user saved is overwritten; nothing foreign is loaded
# ---------------------------------------------------------------------------------------------

def test_refuses_to_overwrite_an_existing_file(tmp_path):
    path = tmp_path / "important.npz"
    path.write_bytes(b"the user's own data")
    with pytest.raises(DescendError, match=r"checkpoint '.*important.npz' already exists; pass resume=True to "
                                           r"continue it or overwrite=True to replace it"):
        _fit(path, epochs=1)
    assert path.read_bytes() == b"the user's own data"
    # overwrite=True replaces a checkpoint descend wrote, never the user's own file
    with pytest.raises(DescendError, match=r"important.npz already exists and was not written by descend"):
        _fit(path, epochs=1, overwrite=True)
    assert path.read_bytes() == b"the user's own data"
    ours = tmp_path / "ours.npz"
    _fit(ours, epochs=2)
    h, _ = _fit(ours, epochs=1, overwrite=True)
    assert h.status == "completed" and load_checkpoint(ours)["progress"]["epoch"] == 1


def test_checkpoint_directory_must_exist(tmp_path):
    with pytest.raises(DescendError, match=r"the directory of checkpoint '.*nowhere/run.npz' does not exist"):
        _fit(tmp_path / "nowhere" / "run.npz", epochs=1)


def test_resume_needs_an_existing_checkpoint(tmp_path):
    with pytest.raises(DescendError, match=r"checkpoint file '.*nothing.npz' does not exist"):
        _fit(tmp_path / "nothing.npz", resume=True)


def test_resume_refuses_different_settings(tmp_path):
    path = tmp_path / "run.npz"
    _fit(path, epochs=1)
    s, model, opt = _setup()
    with pytest.raises(DescendError, match=r"checkpoint '.*run.npz' was made with batch_size=10, this call has "
                                           r"batch_size=5; resuming needs the same settings"):
        train(model, s.X_train, s.y_train, loss="cross_entropy", optimizer=opt, batch_size=5, epochs=2, seed=11,
              validation=(s.X_test, s.y_test), metrics=["accuracy"], checkpoint=path, resume=True, progress=False)
    with pytest.raises(DescendError, match=r"was made with optimizer='Adam', this call has optimizer='SGD'"):
        _fit_with(path, optimizer=optim.SGD(lr=0.1))
    with pytest.raises(DescendError, match=r"was made with architecture="):
        _fit_with(path, model=nn.mlp((2, 13, 2), dropout=0.1, rng=3))
    with pytest.raises(DescendError, match=r"holds state for 1 callback\(s\); this call has 0|callbacks="):
        _fit_with(path, callbacks=[])


def _fit_with(path, **over):
    s, model, opt = _setup()

    def probe(pred, y):
        return 0.0

    kw = dict(model=model, optimizer=opt, callbacks=[EarlyStopping(monitor="val_loss", patience=10)])
    kw.update(over)
    return train(kw["model"], s.X_train, s.y_train, loss="cross_entropy", optimizer=kw["optimizer"], batch_size=10,
                 epochs=3, seed=11, validation=(s.X_test, s.y_test), metrics=[probe, "accuracy"],
                 callbacks=kw["callbacks"], checkpoint=path, resume=True, progress=False)


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch BOOM",))


def test_foreign_files_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "text.npz"
    text.write_text("not a zip\n")
    with pytest.raises(DescendError, match=r"text.npz' is not a readable descend checkpoint file"):
        load_checkpoint(text)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones(3))
    with pytest.raises(DescendError, match=r"foreign.npz' is not a descend checkpoint file \(no '__format__' = "
                                           r"'descend.checkpoint' marker\)"):
        _fit(foreign, resume=True)
    evil = tmp_path / "evil.npz"
    np.savez(evil, __format__=np.array("descend.checkpoint"), payload=np.array([_Boom()], dtype=object))
    # refused from the zip directory, before any array is read
    with pytest.raises(DescendError, match=r"evil.npz' has unexpected fields \['payload'\]"):
        _fit(evil, resume=True)
    assert not (tmp_path / "BOOM").exists()
    model_file = tmp_path / "model.npz"
    nn.mlp((2, 12, 2), rng=0).save(model_file)
    with pytest.raises(DescendError, match=r"model.npz' is not a descend checkpoint file"):
        load_checkpoint(model_file)
    good = tmp_path / "good.npz"
    _fit(good, epochs=1)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(DescendError, match=r"cut.npz' is not a readable descend checkpoint file"):
        load_checkpoint(cut)
    flipped = bytearray(good.read_bytes())
    middle = len(flipped) // 2
    flipped[middle:middle + 64] = bytes(64)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(bytes(flipped))
    with pytest.raises(DescendError, match=r"corrupt.npz' is not a (readable )?descend checkpoint file|corrupt.npz'"):
        load_checkpoint(corrupt)


def _ckpt(tmp_path, mutate):
    path = tmp_path / "run.npz"
    if not path.exists():
        _fit(path, epochs=1)
    with np.load(path) as f:
        data = dict(f)
    mutate(data)
    bad = tmp_path / "bad.npz"
    atomic_savez(bad, data)
    return bad


def _json_edit(key, fn):
    def mutate(d):
        value = json.loads(str(d[key]))
        fn(value)
        d[key] = np.array(json.dumps(value))
    return mutate


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.update(__version__=np.array(2)), r"is a descend checkpoint file of version 2; this descend reads "
                                                  r"version 1"),
    (lambda d: d.pop("progress"), r"is missing the field 'progress'"),
    (lambda d: d.update(progress=np.array("[]")), r"field 'progress' must be a JSON dict, got list"),
    (_json_edit("progress", lambda v: v.update(step=-1)), r"progress field 'step' must be an integer >= 0, got -1"),
    (_json_edit("progress", lambda v: v.update(in_epoch="yes")), r"progress field 'in_epoch' must be true or false, got 'yes'"),
    (_json_edit("progress", lambda v: v.update(loss_sum="x")), r"progress field 'loss_sum' must be a number, got 'x'"),
    (_json_edit("progress", lambda v: v.update(metric_sums={"other": 0.0})),
     r"progress field 'metric_sums' has \['other'\], expected \['probe', 'accuracy'\]"),
    (lambda d: d.update(perm=np.zeros(3)), r"field 'perm' must be a 1-D int64 array"),
    (lambda d: d.pop("rng"), r"is missing the field 'rng'"),
    (lambda d: d.update(rng=np.array('{"bit_generator": "Evil"}')),
     r"field 'rng': unknown bit generator 'Evil'; valid: PCG64"),
    (lambda d: d.update(rng=np.array('{"bit_generator": "PCG64", "state": 3}')),
     r"field 'rng': invalid random generator state"),
    (lambda d: d.update(rng=np.zeros(2)), r"field 'rng': invalid random generator state"),
    (lambda d: d.pop("param/0.bias"), r"is missing the parameter '0.bias'"),
    (lambda d: d.update({"param/0.weight": np.zeros((3, 3), np.float32)}),
     r"parameter '0.weight' must be float32 of shape \(2, 12\), got float32 of shape \(3, 3\)"),
    (lambda d: d.pop("optim/count"), r"is missing the optimizer field 'count'"),
    (lambda d: d.update({"optim/count": np.array(-1)}), r"optimizer state"),
    (lambda d: d.update(optim_keys=np.array("{}")), r"field 'optim_keys' must be a JSON list, got dict"),
    (lambda d: d.update(history_loss=np.zeros(3)), r"the history holds 3 losses for 8 steps"),
    (lambda d: d.update(history_lr=np.zeros(8, np.float32)), r"field 'history_lr' must be a 1-D float64 array"),
    (_json_edit("history", lambda v: v.update(status="exploded")), r"unknown history status 'exploded'"),
    (_json_edit("history", lambda v: v.update(step=3)), r"the history holds 8 losses for 3 steps"),
    (_json_edit("history", lambda v: v.pop("epochs")), r"history field 'epochs' is missing or malformed"),
    (_json_edit("history", lambda v: v.update(epochs={"loss": ["a"]})),
     r"history field 'epochs' must map names to lists of numbers"),
    (_json_edit("history", lambda v: v.update(best_epoch="1")), r"history field 'best_epoch' must be an integer or null"),
    (_json_edit("run", lambda v: v.update(seed=12)), r"was made with seed=12, this call has seed=11"),
    (lambda d: d.update(callbacks=np.array("[]")), r"holds state for 0 callback\(s\); this call has 1"),
    (lambda d: d.update(callbacks=np.array("[3]")), r"callback 0 state must be a JSON object"),
    (lambda d: d.update(callbacks=np.array('[{"best": null}]')), r"state of EarlyStopping\(monitor='val_loss'.* is "
                                                                  r"malformed"),
])
def test_malformed_checkpoints_are_refused(tmp_path, mutate, match):
    bad = _ckpt(tmp_path, mutate)
    with pytest.raises(DescendError, match=match):
        _fit(bad, resume=True)


def test_a_refused_resume_changes_nothing(tmp_path):
    bad = _ckpt(tmp_path, lambda d: d.update(history_loss=np.zeros(3)))
    s, model, opt = _setup()
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(DescendError):
        train(model, s.X_train, s.y_train, loss="cross_entropy", optimizer=opt, batch_size=10, epochs=2, seed=11,
              checkpoint=bad, resume=True, progress=False)
    assert same_params(model.params, before)
