"""The example notebooks run from top to bottom in a fresh kernel, draw their figures, and match their script."""

import os
import pathlib
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))

#: text each notebook must print somewhere (computed by descend in the kernel, not typed in)
EXPECTED_TEXT = {
    "01_numerics.ipynb": ["0.2", "nan", "100.0"],
    "02_differentiation.ipynb": ["1.0000001666666813", "array([6., 8.])"],
    "03_gradient_descent.ipynb": ["493", "1.00712059"],
    "04_optimizers.ipynb": ["momentum", "adam", "Trace(adagrad, 30 steps"],
    "05_training.ipynb": ["'SGD': (1500,", "'mini-batch 10': (150,"],
}


def test_there_is_one_notebook_per_topic():
    assert [p.name for p in NOTEBOOKS] == sorted(EXPECTED_TEXT)


def test_the_notebooks_are_what_the_script_writes():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_notebooks.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def _outputs(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            yield cell, out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    # the kernel imports this checkout's descend, installed or not
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "stored without outputs"
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [out for _, out in _outputs(nb) if out.output_type == "error"]
    assert errors == []
    stderr = "".join(out.get("text", "") for _, out in _outputs(nb) if out.get("name") == "stderr")
    assert "Warning" not in stderr, stderr
    pngs = [out for _, out in _outputs(nb) if "image/png" in out.get("data", {})]
    plotting_cells = [c for c in nb.cells if c.cell_type == "code" and "plot." in c.source and c.source.rstrip().endswith(";")]
    assert len(pngs) >= len(plotting_cells) >= 1  # every plotting cell shows its figure inline
    text = "\n".join(str(out.get("data", {}).get("text/plain", "")) + out.get("text", "") for _, out in _outputs(nb))
    for fragment in EXPECTED_TEXT[path.name]:
        assert fragment in text, fragment
    html = [out for _, out in _outputs(nb) if "text/html" in out.get("data", {})]
    if path.name in ("03_gradient_descent.ipynb", "04_optimizers.ipynb"):
        assert html, "Results and Comparisons show as HTML tables"
        assert "<table>" in html[0]["data"]["text/html"]
