"""The example notebooks: one per chapter the seeds follow, in English and Japanese, saved with fresh outputs.

Each is what scripts/make_notebooks.py writes; it runs from top to bottom in a fresh kernel with
the outputs it was saved with (numbers and text equal, a picture where one was saved); its
exercises' hidden checks accept the solution and say "not answered yet" to the blank answer.
"""

import contextlib
import importlib.util
import io
import pathlib
import re
import subprocess
import sys

import pytest

# the test extra's notebook tools, and matplotlib that the notebooks draw with: without them, skip
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("matplotlib")

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))

_spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "scripts" / "make_notebooks.py")
make_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_notebooks)

_JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_CHAPTERS = {"dlfs4": "ch. 4", "dlfs5": "ch. 5", "dlfs6": "ch. 6", "goodfellow4": "4.1 to 4.5",
             "dlfs": "edge of stability"}


def test_one_notebook_per_chapter_and_language():
    assert sorted(p.name for p in NOTEBOOKS) == sorted(make_notebooks.NOTEBOOKS)
    stems = {make_notebooks.NOTEBOOKS[p.name][0].split("_")[0] for p in NOTEBOOKS}
    assert stems == set(_CHAPTERS)
    assert sum(name.endswith("_ja.ipynb") for name in make_notebooks.NOTEBOOKS) == len(_CHAPTERS)


def test_the_notebooks_are_what_the_script_writes():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_notebooks.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_each_notebook_teaches_in_its_language_with_exercises(path):
    nb = nbformat.read(path, as_version=4)
    stem, lang = make_notebooks.NOTEBOOKS[path.name]
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert ("ゼロから作るDeep Learning" if stem.startswith("dlfs") else "深層学習") in first.source or lang == "en"
    if lang == "en":
        assert _CHAPTERS[stem.split("_")[0]] in first.source
    prose = [c for c in nb.cells if c.cell_type == "markdown"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(prose) >= 5 and len(prose) >= len(code) // 2  # explanations between the cells
    assert all(bool(_JA.search(c.source)) == (lang == "ja") for c in prose)
    tags = [c.metadata.get("tags", []) for c in code]
    exercises = [i for i, t in enumerate(tags) if "exercise" in t]
    assert exercises and all("check" in tags[i + 1] for i in exercises)
    assert all(c.metadata["jupyter"]["source_hidden"] for c in code if "check" in c.metadata.get("tags", []))
    # saved executed: every code cell ran, and the outputs are there for a reader on GitHub
    assert all(c.execution_count for c in code)
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)


#: The chapters whose text invites play, and the widget each has (lr on the bowl, the optimizers' race,
#: the derivative error against h, a small network training).
WIDGETS = {"dlfs4": "Derivatives", "dlfs5": "Training", "dlfs6": "Landscape", "goodfellow4": "LearningRate"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_widget_cell_ran_and_left_a_static_picture(path):
    """A widget cell is saved with a picture (GitHub, nbviewer and a notebook without a kernel show it)
    and without the live view's reference (its model lives only in a running kernel); the fresh run in
    test_notebook_runs_and_its_saved_outputs_are_fresh checks it runs and draws the picture again."""
    nb = nbformat.read(path, as_version=4)
    stem = make_notebooks.NOTEBOOKS[path.name][0].split("_")[0]
    cells = [c for c in nb.cells if c.cell_type == "code" and "descend.widgets" in c.source]
    assert [re.search(r"from descend\.widgets import (\w+)", c.source).group(1) for c in cells] == \
        ([WIDGETS[stem]] if stem in WIDGETS else [])
    for cell in cells:
        assert cell.execution_count and "static_pictures(True)" in cell.source
        shown = [o.get("data", {}) for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
        assert len(shown) == 1 and "image/png" in shown[0], cell.source
        assert make_notebooks.WIDGET_VIEW not in shown[0]
        assert not any(o.output_type == "error" for o in cell.outputs)


def _text(cell) -> list:
    """A cell's outputs as text: the numbers and words, pictures as a marker."""
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            out.append((o.name, o.text))
        elif o.output_type in ("execute_result", "display_data"):
            data = o.get("data", {})
            out.append(("png",) if "image/png" in data else ("text", data.get("text/plain", "")))
        elif o.output_type == "error":
            out.append(("error", o.ename, o.evalue))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_its_saved_outputs_are_fresh(path, tmp_path, monkeypatch):
    saved = nbformat.read(path, as_version=4)
    nb = make_notebooks.execute(nbformat.read(path, as_version=4), cwd=tmp_path)
    for old, new in zip(saved.cells, nb.cells):
        if new.cell_type != "code":
            continue
        assert not any(o[0] == "error" for o in _text(new)), new.source
        stderr = "".join(o[1] for o in _text(new) if o[0] == "stderr")
        assert "Warning" not in stderr, stderr
        assert _text(new) == _text(old), f"stale output (run python scripts/make_notebooks.py):\n{new.source}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if "_ja" not in p.name] +
                         [next(p for p in NOTEBOOKS if p.name.endswith("_ja.ipynb"))],
                         ids=lambda p: p.name)
def test_the_hidden_checks_accept_the_solution(path, monkeypatch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(path, as_version=4)
    scope = {}
    lang = make_notebooks.NOTEBOOKS[path.name][1]
    correct, blank = ("正解", "まだ答えがありません") if lang == "ja" else ("correct", "not answered yet")
    code = [c for c in nb.cells if c.cell_type == "code"]
    checked = 0
    try:
        for i, cell in enumerate(code):
            tags = cell.metadata.get("tags", [])
            if "check" in tags or "descend.widgets" in cell.source:  # a widget's cell: run in the kernel above
                continue
            exec(compile(cell.source, f"{path.name}[{i}]", "exec"), scope)
            if "exercise" in tags:
                check = code[i + 1].source
                for answer, expect in ((None, blank), (cell.metadata["solution"], correct)):
                    if answer is not None:
                        exec(answer, scope)
                    else:
                        scope["answer"] = None
                    buf = io.StringIO()
                    with contextlib.redirect_stdout(buf):
                        exec(check, scope)
                    assert buf.getvalue().startswith(expect), (cell.metadata["solution"], buf.getvalue())
                checked += 1
                exec(cell.source, scope)  # back to the blank answer the notebook was saved with
    finally:
        plt.close("all")
    assert checked >= 1
