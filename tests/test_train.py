"""descend.training: batch / stochastic / mini-batch / online training, callbacks, progress, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest

from descend import DescendError, datasets, nn, optim, schedules
from descend import training
from descend.training import EarlyStopping, evaluate, partial_fit, train, train_online
from helpers import comparable


def seed003_network(seed=0, dtype=np.float32):
    """Seed 003's 2-10-1 ReLU network."""
    return nn.Sequential(nn.Linear(2, 10, rng=seed, dtype=dtype), nn.ReLU(), nn.Linear(10, 1, rng=seed + 100, dtype=dtype))


# ---------------------------------------------------------------------------------------------
# Seed 003: stochastic against mini-batch gradient descent, done right
# ---------------------------------------------------------------------------------------------

def test_seed003_sgd_and_minibatch_both_reach_a_small_loss():
    data = datasets.linear(1000, seed=0)  # x uniform in [0, 1)^2, y = 3 x0 + 2 x1
    sgd_model, mb_model = seed003_network(), seed003_network()
    # the same number of updates (1000) for both, lr 0.07 as in the seed
    h_sgd = train(sgd_model, data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.07), batch_size=1, epochs=1,
                  seed=1, progress=False)
    h_mb = train(mb_model, data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.07), batch_size=10, epochs=10,
                 seed=1, progress=False)
    assert h_sgd.status == h_mb.status == "completed"
    assert h_sgd.step == h_mb.step == 1000
    test = datasets.linear(500, seed=99)
    for model in (sgd_model, mb_model):
        assert evaluate(model, test.X, test.y, loss="mse", metrics=())["loss"] < 1e-3
    # the seed's observation, now on correct gradients: mini-batch losses are the steadier
    assert np.std(h_mb.loss[-100:]) < np.std(h_sgd.loss[-100:])


def test_full_batch_stochastic_and_minibatch_update_counts():
    data = datasets.linear(103, seed=0)
    for batch_size, drop_last, updates in [(None, False, 1), (1, False, 103), (10, False, 11), (10, True, 10),
                                           (500, False, 1)]:
        h = train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.01), batch_size=batch_size,
                  drop_last=drop_last, epochs=3, seed=0, progress=False)
        assert h.step == 3 * updates and len(h.loss) == 3 * updates
        assert h["epoch"].tolist() == [1, 2, 3]


def test_full_batch_gradient_descent_is_deterministic_without_shuffling_cost():
    data = datasets.linear(50, seed=0)
    a = train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.05), epochs=20, seed=1,
              progress=False)
    b = train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.05), epochs=20, seed=2,
              shuffle=False, progress=False)
    assert a.loss == b.loss  # one batch holding every sample: the order does not matter
    assert a.loss[-1] < a.loss[0]


# ---------------------------------------------------------------------------------------------
# Epochs: every sample exactly once, reshuffled from the seed
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (7, False), (7, True), (None, False)])
def test_every_epoch_visits_every_sample_exactly_once(batch_size, drop_last):
    n = 45
    X = np.random.default_rng(0).standard_normal((n, 3))
    ids = np.arange(n, dtype=np.float64)  # the target doubles as the sample's id
    batches = []

    def seen(pred, y):
        batches.append(np.asarray(y).copy())
        return 0.0

    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    train(model, X, ids, loss="mse", optimizer=optim.SGD(lr=1e-6), batch_size=batch_size, epochs=3, seed=4,
          drop_last=drop_last, metrics=[seen], progress=False)
    size = n if batch_size is None else batch_size
    per_epoch = n // size if drop_last else -(-n // size)
    assert len(batches) == 3 * per_epoch
    orders = []
    for e in range(3):
        chunk = batches[e * per_epoch:(e + 1) * per_epoch]
        order = np.concatenate(chunk).astype(int)
        assert len(set(order.tolist())) == len(order)  # no sample twice
        if drop_last:
            assert [len(b) for b in chunk] == [size] * per_epoch and len(order) == n - n % size
        else:
            assert sorted(order.tolist()) == list(range(n))  # every sample, the last short batch kept
        orders.append(order.tolist())
    if per_epoch > 1:
        assert orders[0] != orders[1] != orders[2]  # reshuffled every epoch


def test_train_uses_the_batches_of_datasets_batches():
    n = 23
    X = np.random.default_rng(0).standard_normal((n, 2))
    ids = np.arange(n, dtype=np.float64)
    seen = []

    def record(pred, y):
        seen.append(np.asarray(y).copy())
        return 0.0

    train(nn.Sequential(nn.Linear(2, 1, rng=0)), X, ids, loss="mse", optimizer=optim.SGD(lr=1e-6), batch_size=5,
          epochs=3, seed=8, metrics=[record], progress=False)
    rng = np.random.default_rng(8)
    expected = [yb for _ in range(3) for _, yb in datasets.batches(X, ids, 5, True, rng)]
    assert len(seen) == len(expected) and all(np.array_equal(a, b) for a, b in zip(seen, expected))


def test_same_seed_same_history_bit_for_bit():
    s = datasets.spirals(200, seed=0).split(0.25, seed=0)

    def run(seed):
        model = nn.mlp((2, 16, 3), dropout=0.2, rng=5)
        opt = optim.Adam(lr=schedules.Cosine(lr=0.02, decay_steps=100))
        h = train(model, s.X_train, s.y_train, loss="cross_entropy", optimizer=opt, batch_size=16, epochs=5,
                  seed=seed, validation=(s.X_test, s.y_test), metrics=["accuracy"], progress=False)
        return h, model

    h1, m1 = run(3)
    h2, m2 = run(3)
    h3, _ = run(4)
    assert comparable(h1) == comparable(h2)
    assert all(np.array_equal(m1.params[k], m2.params[k]) for k in m1.params)
    assert h1.loss != h3.loss
    assert set(h1.epochs) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time", "samples_per_s"}
    assert np.all(h1["time"] > 0) and np.all(h1["samples_per_s"] > 0)


def test_lr_recorded_per_update_follows_the_schedule():
    data = datasets.linear(40, seed=0)
    sched = schedules.StepDecay(lr=0.1, step_size=3, gamma=0.5)
    h = train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=sched), batch_size=10,
              epochs=3, seed=0, progress=False)
    assert h.lr == [sched(k) for k in range(12)]
    assert h["lr"].tolist() == [h.lr[3], h.lr[7], h.lr[11]]


def test_reduce_on_plateau_is_fed_once_per_epoch():
    data = datasets.linear(40, seed=0)
    sched = schedules.ReduceOnPlateau(lr=0.01, patience=0)
    train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=sched), batch_size=10, epochs=4,
          seed=0, progress=False)
    assert sched.observed == 4


def test_digits_reach_97_percent_with_one_hidden_layer():
    s = datasets.digits(seed=0)
    model = nn.mlp((64, 100, 10), rng=0)
    h = train(model, s.X_train, s.y_train, loss="cross_entropy", optimizer=optim.Adam(lr=1e-2), batch_size=32,
              epochs=20, seed=0, metrics=["accuracy"], progress=False)
    assert h.status == "completed"
    assert evaluate(model, s.X_test, s.y_test)["accuracy"] >= 0.97


def test_train_leaves_caller_arrays_and_mode_alone():
    data = datasets.xor(60, seed=0)
    X, y = data.X.copy(), data.y.copy()
    X.flags.writeable = False
    y.flags.writeable = False
    model = nn.mlp((2, 8, 2), dropout=0.1, rng=0).eval()
    train(model, X, y, loss="cross_entropy", optimizer=optim.SGD(lr=0.1), batch_size=8, epochs=2, seed=0,
          progress=False)
    np.testing.assert_array_equal(X, data.X)
    assert not model.training  # the mode the model had before


def test_one_hot_and_binary_targets():
    data = datasets.moons(80, seed=0)
    h = train(nn.mlp((2, 8, 2), rng=0), data.X, np.eye(2)[data.y], loss="cross_entropy",
              optimizer=optim.Adam(lr=0.02), batch_size=16, epochs=30, seed=0, metrics=["accuracy"], progress=False)
    assert h["accuracy"][-1] > 0.8
    h = train(nn.mlp((2, 8, 1), rng=0), data.X, data.y.astype(float), loss="bce_with_logits",
              optimizer=optim.Adam(lr=0.02), batch_size=16, epochs=30, seed=0, metrics=["accuracy"], progress=False)
    assert h["accuracy"][-1] > 0.8


# ---------------------------------------------------------------------------------------------
# Stopping: divergence, early stopping, callbacks
# ---------------------------------------------------------------------------------------------

def test_divergence_stops_with_a_message_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    data = datasets.linear(100, seed=0)
    saves = []
    real_save = training.checkpoint.save_checkpoint

    def recording_save(path, **kw):
        real_save(path, **kw)
        saves.append((kw["progress"]["step"], path.read_bytes()))

    monkeypatch.setattr(training.checkpoint, "save_checkpoint", recording_save)
    path = tmp_path / "run.npz"
    blow_up = lambda k: 0.01 if k < 25 else 1e30  # noqa: E731 - a schedule: lr of step k
    model = seed003_network()
    h = train(model, data.X, data.y, loss="mse", optimizer=optim.SGD(lr=blow_up), batch_size=10, epochs=5, seed=0,
              checkpoint=path, checkpoint_every=4, progress=False)
    assert h.status == "diverged" and not h.success
    bad_step = len(h.loss) + 1
    assert bad_step > 25
    assert h.message.startswith("loss became ")
    assert f"at epoch {(bad_step - 1) // 10 + 1}, step {bad_step}: training stopped before that update" in h.message
    assert f"the last good checkpoint '{path}' is untouched" in h.message
    assert "Try a smaller learning rate" in h.message
    assert saves and saves[-1][0] < bad_step
    assert path.read_bytes() == saves[-1][1]  # nothing written after the last good save
    assert all(np.all(np.isfinite(p)) for p in training.load_checkpoint(path)["model"].params.values())


def test_divergence_is_warning_free():
    data = datasets.linear(50, seed=0)
    with np.errstate(all="raise"):  # any floating-point warning inside would raise here
        h = train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=1e6), batch_size=5,
                  epochs=3, seed=0, progress=False)
    assert h.status == "diverged" and "epoch 1, step" in h.message


class Recorder(training.Callback):
    def __init__(self):
        self.params = {}

    def on_epoch_end(self, epoch, logs, model):
        self.params[epoch] = {k: v.copy() for k, v in model.params.items()}


def _scripted_val_metric(values, n_val):
    calls = iter(values)

    def score(pred, y):
        return next(calls) if len(y) == n_val else 0.0

    return score


@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping_on_a_validation_metric(restore_best):
    s = datasets.moons(100, seed=0).split(0.3, seed=0)
    score = _scripted_val_metric([0.5, 0.7, 0.6, 0.65, 0.6, 0.9, 0.9], len(s.y_test))
    rec = Recorder()
    stop = EarlyStopping(monitor="val_score", patience=2, restore_best=restore_best)
    model = nn.mlp((2, 8, 2), rng=0)
    h = train(model, s.X_train, s.y_train, loss="cross_entropy", optimizer=optim.SGD(lr=0.1), batch_size=10,
              epochs=7, seed=0, validation=(s.X_test, s.y_test), metrics=[score], callbacks=[rec, stop],
              progress=False)
    assert stop.mode == "min"  # "score" is not an accuracy: smaller is better unless told
    # smaller is better here: best 0.5 at epoch 1; epochs 2, 3, 4 do not improve -> stop after epoch 3
    assert h.status == "stopped_early" and h.epoch == 3 and h.best_epoch == 1
    restored = "; parameters of epoch 1 restored" if restore_best else ""
    assert h.message == (f"stopped early after epoch 3: val_score did not improve for 2 epoch(s); best "
                         f"val_score=0.5 at epoch 1{restored}")
    want = rec.params[1] if restore_best else rec.params[3]
    assert all(np.array_equal(model.params[k], want[k]) for k in want)


def test_early_stopping_max_mode_for_accuracy():
    s = datasets.moons(100, seed=0).split(0.3, seed=0)
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    assert stop.mode == "max"
    h = train(nn.mlp((2, 8, 2), rng=0), s.X_train, s.y_train, loss="cross_entropy", optimizer=optim.SGD(lr=1e-9),
              batch_size=10, epochs=5, seed=0, validation=(s.X_test, s.y_test), metrics=["accuracy"],
              callbacks=[stop], progress=False)
    assert h.status == "stopped_early" and h.epoch == 2  # lr ~ 0: accuracy cannot improve


def test_user_callable_stops_by_returning_false():
    data = datasets.linear(30, seed=0)
    logs_seen = []

    def stop_at_3(epoch, logs):
        logs_seen.append((epoch, sorted(logs)))
        return False if epoch == 3 else None

    h = train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.01), batch_size=10,
              epochs=10, seed=0, callbacks=stop_at_3, progress=False)
    assert h.status == "stopped_by_callback" and h.epoch == 3 and h.success
    assert h.message == "stopped by callback stop_at_3 after epoch 3"
    assert logs_seen == [(e, ["loss", "lr"]) for e in (1, 2, 3)]


def test_history_repr_and_missing_key():
    data = datasets.linear(30, seed=0)
    h = train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.01), epochs=2, seed=0,
              progress=False)
    assert repr(h).startswith("History(status='completed', epochs=2, steps=2, loss=")
    assert h.message == "completed 2 epoch(s), 2 update(s)"
    with pytest.raises(KeyError, match=r"no per-epoch record 'val_loss'; recorded: epoch, loss, lr, time"):
        h["val_loss"]


# ---------------------------------------------------------------------------------------------
# Progress bar
# ---------------------------------------------------------------------------------------------

def test_progress_is_silent_when_not_a_terminal(capsys):
    data = datasets.linear(30, seed=0)
    train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.01), batch_size=5, epochs=2,
          seed=0, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal(monkeypatch):
    stream = FakeTTY()
    monkeypatch.setattr(training.progress, "_progress_stream", lambda: stream)
    data = datasets.linear(30, seed=0)
    train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.01), batch_size=5, epochs=2,
          seed=0, progress=True)
    text = stream.getvalue()
    assert "epoch 2/2" in text and "samples/s" in text and "loss" in text and "6/6" in text
    stream2 = FakeTTY()
    monkeypatch.setattr(training.progress, "_progress_stream", lambda: stream2)
    train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.01), epochs=1, seed=0,
          progress=False)
    assert stream2.getvalue() == ""


class SlowClock:
    """time.perf_counter for training.progress that moves ``step`` seconds at every reading: a long run."""

    def __init__(self, step):
        self.now, self.step = 0.0, step

    def perf_counter(self):
        self.now += self.step
        return self.now


@pytest.mark.parametrize("lang, words", [("en", ("epoch 1/3: loss ", "accuracy ", "validation accuracy ")),
                                         ("ja", ("エポック 1/3: 損失 ", "正解率 ", "検証正解率 "))])
def test_epoch_lines_appear_once_the_run_is_long(monkeypatch, lang, words):
    s = datasets.digits(seed=0)
    stream = io.StringIO()
    monkeypatch.setattr(training.progress, "time", SlowClock(5.0))  # every reading 5 s later: past 2 s by epoch 1
    train(nn.mlp([64, 8, 10], rng=0), s.X_train[:200], s.y_train[:200], loss="cross_entropy", optimizer="adam",
          epochs=3, seed=0, validation=(s.X_test[:50], s.y_test[:50]), metrics=["accuracy"], progress=False,
          callbacks=[training.progress.EpochLines(3, lang, stream)])
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and all(w in lines[0] for w in words) and lines[2].startswith(words[0].replace("1/3", "3/3"))
    assert lines[0].endswith(" %")


def test_epoch_lines_stay_quiet_in_a_short_run():
    data = datasets.linear(30, seed=0)
    stream = io.StringIO()
    train(seed003_network(), data.X, data.y, loss="mse", optimizer=optim.SGD(lr=0.01), batch_size=5, epochs=2,
          seed=0, progress=False, callbacks=[training.progress.EpochLines(2, "en", stream)])
    assert stream.getvalue() == ""
    with pytest.raises(DescendError, match=r"after must be a number of seconds >= 0, got -1"):
        training.progress.EpochLines(2, "en", after=-1)
    with pytest.raises(DescendError, match=r"epochs must be an integer >= 1, got 0"):
        training.progress.EpochLines(0)


def test_cli_train_shows_progress_on_stderr_for_a_long_run_and_keeps_json_clean(monkeypatch, capsys):
    import json

    from helpers import run_cli

    monkeypatch.setattr(training.progress, "time", SlowClock(5.0))
    code, out, err = run_cli(capsys, "train", "xor", "--hidden", "4", "--epochs", "2", "--json")
    assert code == 0 and json.loads(out)[0]["epochs"]["epoch"] == [1, 2]
    assert [line.split(":")[0] for line in err.splitlines()] == ["epoch 1/2", "epoch 2/2"]
    monkeypatch.setattr(training.progress, "time", SlowClock(1e-4))  # a short run: nothing on stderr
    code, out, err = run_cli(capsys, "train", "xor", "--hidden", "4", "--epochs", "2")
    assert code == 0 and err == "" and "test" in out


def test_a_long_sweep_prints_progress_lines_and_a_short_one_does_not(monkeypatch, capsys):
    from descend import problems, sweeps
    from descend.sweeps import run as sweep_run

    grid = {"optimizer": ["sgd"], "lr": [1e-3, 1e-2, 1e-1]}
    monkeypatch.setattr(sweep_run, "time", SlowClock(5.0))  # every batch 5 s after the last: a long sweep
    sweeps.sweep(problems.get("sphere"), grid, steps=5, chunk_size=1, curves=False, backend="local")
    err = capsys.readouterr().err.splitlines()
    assert [line.split(",")[0] for line in err] == ["1/3 runs", "2/3 runs", "3/3 runs"] and err[0].endswith(" s")
    monkeypatch.setattr(sweep_run, "time", SlowClock(1e-4))
    sweeps.sweep(problems.get("sphere"), grid, steps=5, chunk_size=1, curves=False, backend="local")
    assert capsys.readouterr().err == ""


def test_cli_train_digits_defaults_learn(capsys):
    """``descend train digits`` with its defaults (hidden 100, Adam lr 1e-3, 10 epochs, batch 32) is a first
    training that looks like learning: >= 90 % test accuracy (95.3 % measured)."""
    import json

    from helpers import run_cli

    code, out, _ = run_cli(capsys, "train", "digits", "--json")
    run = json.loads(out)[0]
    assert code == 0 and run["status"] == "completed" and len(run["epochs"]["epoch"]) == 10
    assert run["test"]["accuracy"] >= 0.90


# ---------------------------------------------------------------------------------------------
# Online learning
# ---------------------------------------------------------------------------------------------

def test_partial_fit_is_one_update():
    data = datasets.linear(5, seed=0)
    a, b = seed003_network(dtype=np.float64), seed003_network(dtype=np.float64)
    value = partial_fit(a, data.X[0], data.y[0], loss="mse", optimizer=optim.SGD(lr=0.07))  # one sample, 1-D
    h = train(b, data.X[:1], data.y[:1], loss="mse", optimizer=optim.SGD(lr=0.07), epochs=1, progress=False)
    assert value == h.loss[0]
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    before = {k: v.copy() for k, v in a.params.items()}
    partial_fit(a, data.X[1:3], data.y[1:3], loss="mse", optimizer=optim.SGD(lr=0.07))  # or a small batch
    assert not np.array_equal(a.params["0.weight"], before["0.weight"])


def test_train_online_equals_partial_fit_loop():
    data = datasets.linear(60, seed=0)
    a, b = seed003_network(), seed003_network()
    opt_a, opt_b = optim.Adam(lr=0.01), optim.Adam(lr=0.01)
    losses = [partial_fit(a, x, t, loss="mse", optimizer=opt_a) for x, t in zip(data.X, data.y)]
    h = train_online(b, zip(data.X, data.y), loss="mse", optimizer=opt_b)
    assert h.loss == losses and h.status == "completed" and h.step == 60
    assert h.message == "the stream ended after 60 update(s)"
    assert h.lr == [0.01] * 60
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    stream = iter(zip(data.X, data.y))
    h = train_online(seed003_network(), stream, loss="mse", optimizer=optim.SGD(lr=0.01), max_steps=10)
    assert h.step == 10 and h.message == "reached max_steps=10"
    assert len(list(stream)) == 50  # nothing consumed beyond the last update


def test_online_divergence():
    data = datasets.linear(60, seed=0)
    h = train_online(seed003_network(), zip(data.X * 1e30, data.y), loss="mse", optimizer=optim.SGD(lr=1.0))
    assert h.status == "diverged" and h.step == 0 and "epoch 1, step 1" in h.message
    with pytest.raises(DescendError, match=r"loss is inf on this data: the update was not applied"):
        partial_fit(seed003_network(), data.X[0] * 1e30, data.y[0], loss="mse", optimizer=optim.SGD(lr=1.0))


# ---------------------------------------------------------------------------------------------
# Every error message
# ---------------------------------------------------------------------------------------------

def _call(**overrides):
    data = datasets.linear(20, seed=0)
    kw = dict(loss="mse", optimizer=optim.SGD(lr=0.01), progress=False)
    kw.update(overrides)
    model = kw.pop("model", seed003_network())
    X = kw.pop("X", data.X)
    y = kw.pop("y", data.y)
    return train(model, X, y, **kw)


@pytest.mark.parametrize("overrides, match", [
    (dict(model=nn.Linear(2, 1)), r"model must be a descend.nn.Sequential, got Linear"),
    (dict(loss="hinge"), r"unknown loss 'hinge'; valid: mse, cross_entropy, bce_with_logits"),
    (dict(optimizer="adamm"), r"unknown optimizer 'adamm'; valid: sgd"),
    (dict(optimizer=object()), r"optimizer must be a name or a descend.optim optimizer"),
    (dict(lr=0.1), r"lr is only used with an optimizer given by name"),
    (dict(X=np.ones(20)), r"X must have shape \(n_samples, n_features\), got \(20,\)"),
    (dict(X=np.array([["a", "b"]])), r"X must hold real numbers, got dtype <U1"),
    (dict(y=np.ones(19)), r"y must have one row per sample of X \(20\), got shape \(19,\)"),
    (dict(y=np.array(["a"] * 20)), r"y must hold numbers, got dtype <U1"),
    (dict(X=np.full((20, 2), np.nan)), r"X holds non-finite values"),
    (dict(y=np.full(20, np.inf)), r"y holds non-finite values"),
    (dict(X=np.ones((0, 2)), y=np.ones(0)), r"X has no samples"),
    (dict(batch_size=0), r"batch_size must be None or an integer >= 1, got 0"),
    (dict(epochs=0), r"epochs must be an integer >= 1, got 0"),
    (dict(seed=-1), r"seed must be None or an integer >= 0, got -1"),
    (dict(batch_size=50, drop_last=True), r"batch_size=50 with drop_last=True leaves no batch of the 20 samples"),
    (dict(validation=np.ones((3, 2))), r"validation must be a pair \(X_val, y_val\)"),
    (dict(validation=(np.ones((3, 3)), np.ones(3))), r"X_val has 3 features, X has 2"),
    (dict(validation=(np.ones((3, 2)), np.ones(2))), r"y_val must have one row per sample of X_val \(3\)"),
    (dict(metrics=["f1"]), r"unknown metric 'f1'; valid: accuracy \(or a function metric\(pred, y\) -> float\)"),
    (dict(metrics=[3]), r"a metric must be a name or a function metric\(pred, y\) -> float, got 3"),
    (dict(metrics=["accuracy", "accuracy"]), r"metric name 'accuracy' is repeated or reserved"),
    (dict(metrics=[lambda p, y: 0.0, lambda p, y: 1.0]), r"metric name '<lambda>' is repeated or reserved"),
    (dict(callbacks=[3]), r"a callback must be a Callback or a function fn\(epoch, logs\), got 3"),
    (dict(callbacks=[EarlyStopping()]), r"EarlyStopping monitors 'val_loss', but the epoch logs have: loss; "
                                        r"pass validation=\(X_val, y_val\)"),
    (dict(checkpoint_every=5), r"resume and checkpoint_every need checkpoint=path"),
    (dict(resume=True), r"resume and checkpoint_every need checkpoint=path"),
    (dict(checkpoint="x.npz", checkpoint_every=0), r"checkpoint_every must be None or an integer >= 1, got 0"),
    (dict(checkpoint="x.npz", resume=True, overwrite=True),
     r"pass resume=True \(continue the checkpoint\) or overwrite=True \(replace it\), not both"),
])
def test_train_errors(overrides, match):
    with pytest.raises(DescendError, match=match):
        _call(**overrides)


@pytest.mark.parametrize("make, match", [
    (lambda: EarlyStopping(patience=0), r"patience must be an integer >= 1, got 0"),
    (lambda: EarlyStopping(min_delta=-0.1), r"min_delta must be a finite number >= 0, got -0.1"),
    (lambda: EarlyStopping(mode="up"), r"unknown mode 'up'; valid: auto, min, max"),
    (lambda: EarlyStopping(monitor=3), r"monitor must be a log key such as 'val_loss', got 3"),
    (lambda: partial_fit(seed003_network(), np.ones(2), 1.0, loss="mse", optimizer="sgd"),
     r"partial_fit needs an optimizer instance that keeps its state between calls, got 'sgd'; create one with "
     r"descend.optim.get\('sgd', lr=...\)"),
    (lambda: train_online(seed003_network(), [], loss="mse", optimizer="adam"),
     r"train_online needs an optimizer instance, got 'adam'"),
    (lambda: train_online(seed003_network(), [1], loss="mse", optimizer=optim.SGD()),
     r"stream items must be pairs \(x, y\), got 1"),
    (lambda: train_online(seed003_network(), [], loss="mse", optimizer=optim.SGD(), max_steps=0),
     r"max_steps must be None or an integer >= 1, got 0"),
    (lambda: evaluate(nn.Linear(2, 2), np.ones((2, 2)), np.ones(2)), r"model must be a descend.nn.Sequential"),
])
def test_other_errors(make, match):
    with pytest.raises(DescendError, match=match):
        make()


def test_optimizer_by_name_with_lr():
    data = datasets.linear(20, seed=0)
    h = train(seed003_network(), data.X, data.y, loss="mse", optimizer="sgd", lr=0.05, epochs=2, progress=False)
    assert h.lr == [0.05, 0.05]
    h = train(seed003_network(), data.X, data.y, loss=nn.MSELoss(), optimizer="adam", epochs=1, progress=False)
    assert h.lr == [optim.Adam().lr]
