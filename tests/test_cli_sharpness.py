"""``descend train --sharpness K``: the sharpness against 2/lr every K epochs, in the CLI's language."""

import json

import numpy as np
import pytest

from helpers import run_cli as run

_ARGS = ("train", "digits", "--hidden", "16", "--optimizer", "sgd", "--lr", "0.5", "--batch-size", "full",
         "--epochs", "25", "--seed", "0")


def _english(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


@pytest.fixture(scope="module")
def measured():
    """The sharpness the library measures on the same run as the CLI's (digits, 64-16-10, full-batch SGD)."""
    from descend import datasets, nn, optim
    from descend.training import train
    from descend.training.callbacks import Sharpness

    d = datasets.digits(seed=0)
    model = nn.mlp([64, 16, 10], activation="relu", rng=0)
    opt = optim.get("sgd", lr=0.5)
    cb = Sharpness(d.X_train, d.y_train, "cross_entropy", every=10, optimizer=opt, seed=0)
    train(model, d.X_train, d.y_train, loss="cross_entropy", optimizer=opt, batch_size=None, epochs=25, seed=0,
          validation=(d.X_test, d.y_test), metrics=("accuracy",), callbacks=[cb], progress=False)
    return cb.records


def test_json_holds_the_sharpness_and_2_over_lr_of_each_measured_epoch(capsys, measured):
    code, out, _ = run(capsys, *_ARGS, "--sharpness", "10", "--json")
    assert code == 0
    (run_,) = json.loads(out)
    rec = run_["sharpness"]
    assert rec["epoch"] == [1, 11, 21] == measured["epoch"]
    assert rec["threshold"] == [2 / 0.5] * 3
    np.testing.assert_allclose(rec["sharpness"], measured["sharpness"], rtol=1e-9)
    # full-batch GD at lr 0.5 sharpens up to its edge: the learner sees it in these numbers
    assert rec["sharpness"][0] < 0.8 * 4 and rec["sharpness"][-1] > 0.9 * 4


def test_the_table_and_the_closing_line_in_english(capsys, monkeypatch, measured):
    _english(monkeypatch)
    code, out, _ = run(capsys, *_ARGS, "--sharpness", "10")
    assert code == 0
    assert "sharpness during training, batch size full" in out and "stability threshold" in out
    ratio = measured["sharpness"][-1] / measured["threshold"][-1]
    assert f"epoch 21: the sharpness is {ratio:.3g} x 2/lr" in out


def test_the_table_and_the_closing_line_in_japanese(capsys, monkeypatch, measured):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    code, out, _ = run(capsys, *_ARGS, "--sharpness", "10")
    assert code == 0
    ratio = measured["sharpness"][-1] / measured["threshold"][-1]
    assert "学習中のシャープネス" in out and "安定性のしきい値" in out
    assert f"エポック 21: シャープネスは 2/lr の {ratio:.3g} 倍" in out
    assert "the sharpness is" not in out


def test_adam_adds_the_preconditioned_sharpness_against_its_threshold(capsys, monkeypatch):
    _english(monkeypatch)
    code, out, _ = run(capsys, "train", "digits", "--hidden", "8", "--optimizer", "adam", "--lr", "0.01",
                       "--batch-size", "full", "--epochs", "3", "--sharpness", "2", "--json")
    assert code == 0
    rec = json.loads(out)[0]["sharpness"]
    assert rec["epoch"] == [1, 3] and len(rec["preconditioned_sharpness"]) == 2
    assert rec["threshold"][0] == pytest.approx((2 + 2 * 0.9) / ((1 - 0.9) * 0.01))  # Cohen et al. 2022
    code, out, _ = run(capsys, "train", "digits", "--hidden", "8", "--optimizer", "adam", "--lr", "0.01",
                       "--batch-size", "full", "--epochs", "1", "--sharpness", "1")
    assert code == 0 and "preconditioned sharpness" in out and "x Adam's threshold" in out


def test_without_the_option_nothing_is_measured(capsys):
    code, out, _ = run(capsys, "train", "digits", "--hidden", "8", "--batch-size", "full", "--epochs", "1", "--json")
    assert code == 0 and "sharpness" not in json.loads(out)[0]


@pytest.mark.parametrize("argv, words", [
    (("--sharpness", "0"), ("--sharpness", ">= 1", "0")),
    (("--sharpness", "-3"), ("--sharpness", ">= 1", "-3")),
    (("--sharpness", "1", "--optimizer", "rmsprop"), ("stability thresholds", "momentum, nesterov, adam", "rmsprop")),
])
def test_bad_values_get_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, "train", "digits", "--hidden", "8", "--epochs", "1", *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)


@pytest.mark.parametrize("optimizer, threshold", [("gd", 2 / 0.05), ("momentum", 3.8 / 0.05),
                                                  ("nesterov", 3.8 / (2.8 * 0.05))])
def test_the_sgd_family_is_measured_against_its_own_threshold(capsys, optimizer, threshold):
    # issue 24: gd, momentum and nesterov were refused ("known for gd, SGD, Adam and AdamW")
    code, out, err = run(capsys, "train", "digits", "--hidden", "8", "--optimizer", optimizer, "--lr", "0.05",
                         "--batch-size", "full", "--epochs", "1", "--sharpness", "1", "--json")
    assert code == 0, err
    rec = json.loads(out)[0]["sharpness"]
    assert rec["epoch"] == [1] and rec["threshold"] == [pytest.approx(threshold)] and rec["sharpness"][0] > 0
