"""Write the example notebooks in examples/, one per topic of the study notes, with nbformat.

    python scripts/make_notebooks.py            # (re)write examples/*.ipynb without outputs
    python scripts/make_notebooks.py --check    # exit 1 if a notebook differs from what this script writes

The notebooks are stored without outputs; tests/test_notebooks.py executes them.
Each one runs in a few seconds.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

SETUP = """import numpy as np
import matplotlib.pyplot as plt
import descend
from descend import plot, problems"""

NOTEBOOKS = {
    "01_numerics.ipynb": [
        ("md", """# Numerics: overflow, underflow, the stable softmax and conditioning

Seed 001 starts with the trouble a computer has with real numbers: `exp` overflows to `inf`
above about 709.8 and underflows to `0` below about -745.1, and the naive softmax
`exp(x) / sum(exp(x))` turns into `nan`."""),
        ("code", SETUP),
        ("code", """x = np.full(5, 1000.0)
with np.errstate(all="ignore"):          # the naive formula overflows: inf / inf
    naive = np.exp(x) / np.exp(x).sum()
naive, descend.softmax(x)"""),
        ("md", "Subtracting `max(x)` first changes nothing mathematically and makes every exponent <= 0:"),
        ("code", """x = np.arange(1.0, 6.0)
z = x - x.max()
np.exp(z) / np.exp(z).sum(), descend.softmax(x)"""),
        ("code", """big = np.array([1000.0, 1000.0])
descend.logsumexp(big), 1000 + np.log(2)"""),
        ("md", """## Conditioning

The condition number of a matrix is the ratio of its largest to its smallest singular value.
For a quadratic it says how much more the steepest direction curves than the flattest, and
gradient descent needs about that many times more steps."""),
        ("code", """descend.condition_number(np.array([[1, 0, -1], [0, 1, 0], [1, 0, 1]])), \\
    descend.condition_number(np.diag([1, 10, 100]))"""),
        ("code", """runs = []
for kappa in (1.0, 10.0, 100.0):
    p = problems.get("ill_conditioned", kappa=kappa)
    runs.append(descend.minimize(p, lr=1 / kappa, steps=3000, gtol=1e-6))
[(r.nit, r.status) for r in runs]"""),
        ("code", """plot.loss_curves(runs, labels=["kappa = 1", "kappa = 10", "kappa = 100"], log=True);"""),
    ],
    "02_differentiation.ipynb": [
        ("md", """# Numerical differentiation

`f'(x) ~ (f(x + h) - f(x - h)) / 2h`. A smaller `h` cuts the truncation error until round-off
takes over (seed 004), and the gradient collects the partial derivatives (seed 001)."""),
        ("code", SETUP),
        ("code", """[descend.derivative(np.exp, 0.0, h=h) for h in (1e-3, 1e-4)], \\
    descend.derivative(np.exp, 0.0, method="forward", h=5e-4)"""),
        ("md", "Seed 001's function and its tangent at 5:"),
        ("code", """plot.function(problems.get("poly1d"), tangent_at=5.0);"""),
        ("md", "The error against `h` for each method, on log-log axes, with the best `h` circled:"),
        ("code", """err = descend.diff_error(np.exp, 0.0, 1.0)
{m: (err.best_h[m], err.best_error[m]) for m in err.methods}"""),
        ("code", """plot.diff_error(err);"""),
        ("md", "## The gradient and its field"),
        ("code", """def function_2(x):
    return np.sum(x ** 2)

descend.gradient(function_2, np.array([3.0, 4.0]), h=1e-4)"""),
        ("code", """plot.gradient_field(function_2, ((-2, 2), (-2, 2)), density=17, contours=False);"""),
        ("code", """plot.gradient_field(problems.get("himmelblau"), normalize=True);"""),
    ],
    "03_gradient_descent.ipynb": [
        ("md", """# Gradient descent, the learning rate and line search

`x <- x - lr * grad f(x)` from (-3, 4) on `x0^2 + x1^2` with three learning rates (seed 001),
too small and too large (seed 002), the least-squares tolerance stop and line search."""),
        ("code", SETUP),
        ("code", """p = problems.get("sphere")
runs = [descend.minimize(p, np.array([-3.0, 4.0]), lr=lr, steps=20) for lr in (0.1, 0.01, 1.0)]
runs[0]"""),
        ("code", """plot.trajectories(p, runs);"""),
        ("md", "A Result shows itself as a table in Jupyter; `.plot()` draws it:"),
        ("code", """runs[1].plot(p);"""),
        ("md", "Seed 002's `x^2 + 1`: one batched run with 25 learning rates from 1e-9 to 10."),
        ("code", """para = problems.get("parabola")
lrs = np.geomspace(1e-9, 10, 25)
sweep = descend.minimize(para, np.full((25, 1), -3.0), lr=lrs, steps=100)
sweep"""),
        ("code", """plot.lr_sweep(sweep, problem=para);"""),
        ("md", "## The tolerance stop and line search (seed 001)"),
        ("code", """ls = problems.get("least_squares")
gd = descend.minimize(ls, lr=0.01, steps=10_000, gtol=0.01)
exact = descend.minimize(ls, steps=100, gtol=0.01, line_search="exact")
gd.nit, gd.history.x[-2], exact.nit"""),
        ("code", """plot.trajectories(ls, [gd, exact], labels=["lr 0.01", "exact line search"]);"""),
        ("md", """## Many random starts

Seed 002 calls this "SGD"; it is multi-start gradient descent: one batched call with 30 starts."""),
        ("code", """camel = problems.get("six_hump_camel")
X0 = np.random.default_rng(0).uniform([-2, -1], [2, 1], size=(30, 2))
multi = descend.minimize(camel, X0, lr=0.02, steps=1000, gtol=1e-6)
np.unique(np.round(multi.fun, 4), return_counts=True)"""),
        ("code", """plot.trajectories(camel, multi, markers=False);"""),
    ],
    "04_optimizers.ipynb": [
        ("md", """# The optimizer race

SGD, Momentum, AdaGrad, Adadelta, RMSProp and Adam on the elongated bowl `x^2/20 + y^2`
(the book's learning rates) and what goes on inside them."""),
        ("code", SETUP),
        ("code", """race = descend.compare("elongated_bowl", steps=30)
race"""),
        ("code", """plot.trajectories(race.problem, list(race.results.values()));"""),
        ("md", "Inside Adam: its first and second moments and the step size it really takes."),
        ("code", """plot.internals("elongated_bowl", "adam", steps=30, lr=0.3);"""),
        ("code", """trace = plot.record("elongated_bowl", "adagrad", steps=30, lr=1.5)
trace, trace.state["sum"][-1]"""),
        ("md", "The race as a GIF (written with Pillow, no ffmpeg):"),
        ("code", """from IPython.display import Image
path = plot.animate(race.problem, list(race.results.values()), "race.gif", frames=31, dpi=60)
Image(filename=str(path))"""),
    ],
    "05_training.ipynb": [
        ("md", """# Batch, stochastic and mini-batch training

Seed 003 trains a 2-10-1 ReLU network on `y = 3 x0 + 2 x1` with one sample per update (SGD)
and with mini-batches of 10."""),
        ("code", SETUP),
        ("code", """from descend import nn, datasets
from descend.training import train

data = datasets.linear(500, seed=0)
X, y = data.X, data.y.reshape(-1, 1)

def model():
    return nn.Sequential(nn.Linear(2, 10, rng=0, dtype=np.float64), nn.ReLU(),
                         nn.Linear(10, 1, rng=1, dtype=np.float64))

histories = {name: train(model(), X, y, loss="mse", optimizer="sgd", lr=0.05, batch_size=bs, epochs=3, seed=0,
                         progress=False)
             for name, bs in (("batch", None), ("SGD", 1), ("mini-batch 10", 10))}
{name: (len(h.loss), h.epochs["loss"][-1]) for name, h in histories.items()}"""),
        ("code", """plot.loss_curves(list(histories.values()), labels=list(histories), per="epoch", log=True);"""),
        ("code", """plot.loss_curves(list(histories.values())[1:], labels=list(histories)[1:], per="update", smooth=10,
                 log=True);"""),
    ],
}


def build(name: str, cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"{pathlib.Path(name).stem.replace('_', '-')}-{i:02d}"  # stable ids: reproducible files
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    ap.add_argument("--out", type=pathlib.Path, default=EXAMPLES, help="folder (default: examples/)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(name, cells)) + "\n"
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python scripts/make_notebooks.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
