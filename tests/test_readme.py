"""The README's Python examples run as written (in a scratch folder)."""

import pathlib
import re

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
