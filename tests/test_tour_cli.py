"""What a learner meets first on the command line: names typed wrong, defaults that work, titles and tables
that say what ran, help text for every option."""

import json

import click
import pytest

from descend import DescendError, optim, problems
from descend.cli import cli, main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, hint", [
    (["minimize", "rosenbrok"], "did you mean 'rosenbrock'?"),
    (["compare", "sphere", "--optimizers", "sgd,adamm"], "did you mean 'adam'"),
    (["sweep", "himelblau"], "did you mean 'himmelblau'?"),
    (["minimize", "sphere", "--line-search", "exakt"], "did you mean 'exact'?"),
    (["train", "moonz"], "did you mean 'moons'?"),
    (["minimize", "sphere", "--optimizer", "adam", "--hp", "betaz=0.9,0.99"], "did you mean 'betas'?"),
])
def test_a_name_typed_wrong_gets_a_did_you_mean(capsys, argv, hint):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert hint in err and ("valid" in err or "problems:" in err)


def test_a_name_far_from_every_valid_one_gets_no_guess():
    with pytest.raises(DescendError) as exc:
        problems.get("zzzzzz")
    assert "did you mean" not in str(exc.value) and "valid: ackley" in str(exc.value)
    with pytest.raises(DescendError, match="did you mean 'rmsprop'"):
        optim.get("rmsprob")
