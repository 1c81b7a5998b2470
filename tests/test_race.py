"""compare(): the optimizer race table, and minimize with the optimizer zoo."""

import json

import numpy as np
import pytest

import descend
from descend.cli import main
from descend.race import BOOK_LR


def test_minimize_takes_an_optimizer_by_name_or_instance():
    p = descend.problems.get("rosenbrock")
    a = descend.minimize(p, optimizer="adam", lr=0.02, steps=300, betas=(0.9, 0.99))
    b = descend.minimize(p, optimizer=descend.optim.Adam(lr=0.02, betas=(0.9, 0.99)), steps=300)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.optimizer == "adam" and b.optimizer == "adam"
    assert np.all(a.history.lr[:-1] == 0.02)


def test_optimizer_hyperparameters_need_a_name():
    with pytest.raises(descend.DescendError, match="hyperparameters \\['betas'\\] can only be given with an optimizer name"):
        descend.minimize(descend.problems.get("sphere"), optimizer=descend.optim.Adam(), betas=(0.9, 0.9))


def test_batched_adam_rows_equal_single_runs_bit_for_bit():
    p = descend.problems.get("rosenbrock")
    X0 = np.random.default_rng(1).uniform(-2, 2, size=(5, 2))
    lrs = np.array([1e-3, 3e-3, 1e-2, 3e-2, 1e-1])
    batch = descend.minimize(p, X0, optimizer="adam", lr=lrs, steps=200)
    for i in range(5):
        single = descend.minimize(p, X0[i], optimizer="adam", lr=lrs[i], steps=200)
        np.testing.assert_array_equal(batch.x[i], single.x)
        np.testing.assert_array_equal(batch.run(i).history.f, single.history.f)


def test_batched_betas_rows_equal_single_runs():
    p = descend.problems.get("elongated_bowl")
    X0 = np.tile(p.x0, (3, 1))
    b1 = np.array([0.0, 0.5, 0.9])
    batch = descend.minimize(p, X0, optimizer="adam", lr=0.1, steps=100, betas=(b1, np.full(3, 0.999)))
    for i in range(3):
        single = descend.minimize(p, p.x0, optimizer="adam", lr=0.1, steps=100, betas=(b1[i], 0.999))
        np.testing.assert_array_equal(batch.x[i], single.x)


def test_schedule_as_lr():
    p = descend.problems.get("sphere")
    sched = descend.schedules.get("exponential", lr=0.1, gamma=0.9) if hasattr(descend.schedules, "get") else None
    if sched is None:
        pytest.fail("descend.schedules.get is missing")
    r = descend.minimize(p, optimizer="gd", lr=sched, steps=5)
    np.testing.assert_allclose(r.history.lr[:5], 0.1 * 0.9 ** np.arange(5))


def test_compare_table_on_the_elongated_bowl():
    cmp = descend.compare("elongated_bowl", ["sgd", "momentum", "adagrad", "adam"], steps=300, tol=1e-4)
    assert [r["optimizer"] for r in cmp] == ["sgd", "momentum", "adagrad", "adam"]
    for row in cmp:
        assert set(row) == set(cmp.columns)
        assert row["final_f"] < descend.problems.get("elongated_bowl").f(np.array([-7.0, 2.0]))
    assert cmp["momentum"]["reached"] == 1.0 and cmp["momentum"]["steps_to_tol"] > 0
    assert cmp["sgd"]["lr"] == BOOK_LR["sgd"]
    assert "Comparison on elongated_bowl" in repr(cmp) and "<table>" in cmp._repr_html_()
    assert cmp.results["adam"].history.x.shape == (301, 1, 2)


def test_compare_many_starts_and_lr_dict():
    cmp = descend.compare("himmelblau", ["gd", "adam"], lr={"gd": 0.01, "adam": 0.05}, steps=500, starts=8, seed=3)
    assert cmp.results["gd"].x.shape == (8, 2)
    assert cmp["gd"]["reached"] == 1.0  # every start of Himmelblau runs into one of its four minima
    assert cmp["gd"]["distance"] < 1e-3


@pytest.mark.parametrize("kwargs, message", [
    (dict(optimizers=[]), "optimizers must name at least one optimizer"),
    (dict(lr={"sgd": 0.1}, optimizers=["adam"]), "no lr given for optimizer 'adam'"),
    (dict(starts=0), "starts must be >= 1 random starts, got 0"),
    (dict(starts=np.ones((2, 3))), r"starts must be an int or an array of shape \(R, 2\), got shape \(2, 3\)"),
    (dict(tol=0.0), "tol must be a finite number > 0"),
    (dict(optimizers=["adamm"]), "unknown optimizer 'adamm'; valid: sgd"),
])
def test_compare_errors(kwargs, message):
    with pytest.raises(descend.DescendError, match=message):
        descend.compare("sphere", **kwargs)


def test_cli_compare_and_optimizers(capsys, tmp_path):
    assert main(["compare", "elongated_bowl", "--optimizers", "sgd,adam", "--steps", "50", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["optimizer"] for r in rows] == ["sgd", "adam"]
    assert main(["optimizers"]) == 0
    out = capsys.readouterr().out
    assert "betas=(0.9, 0.999)" in out and "nesterov" in out
    existing = tmp_path / "race.png"
    existing.write_bytes(b"mine")
    assert main(["compare", "sphere", "--plot", str(existing)]) == 2
    assert "already exists" in capsys.readouterr().err and existing.read_bytes() == b"mine"
    assert main(["compare", "sphere", "--lr", "sgd=x"]) == 2
    assert "--lr value for 'sgd' must be a number" in capsys.readouterr().err
