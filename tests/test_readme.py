"""The README's Python examples run as written (in a scratch folder)."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    scope = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), scope)
    assert scope["r"].nit == 493 and scope["hist"].status == "completed"
    assert (tmp_path / "run.npz").exists() and (tmp_path / "sweep.db").exists()


README_JA = README.with_name("README.ja.md")


def _bash_blocks(path):
    return re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_readme_ja_has_the_same_two_quickstart_commands():
    assert _bash_blocks(README_JA)[:2] == _bash_blocks(README)[:2]
    assert len(_bash_blocks(README)[0].strip().splitlines()) == 1


def test_readme_ja_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README_JA.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    scope = {}
    for block in blocks:
        exec(compile(block, str(README_JA), "exec"), scope)
    assert (scope["r"].nit, scope["r"].status) == (493, "converged")
    assert scope["section"].title == "勾配降下法と学習率"
    # the values its comments claim
    text = README_JA.read_text(encoding="utf-8")
    claims = re.findall(r"^(fmt\.number\(.*?\)|i18n\.t\(.*?\))\s+# '(.*?)'$", text, re.M)
    assert len(claims) >= 3
    for call, value in claims:
        assert eval(call, scope) == value, call


@pytest.mark.parametrize("path", [README, README_JA], ids=lambda p: p.name)
def test_the_commands_in_the_readmes_parse(path):
    import shlex

    from descend.cli import cli

    table = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("|")]  # "which command"
    commands = [c for ln in table for c in re.findall(r"`(descend [^`]+)`", ln)]
    assert len(commands) >= 8
    for command in commands:
        args = shlex.split(command)[1:]
        name, rest = args[0], args[1:]
        with cli.commands[name].make_context(name, rest) as ctx:  # options and arguments as typed exist
            assert ctx.command.name == name
