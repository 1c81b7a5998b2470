"""Write scipy.optimize's results on the Moré-Garbow-Hillstrom problems for tests/test_mgh.py.

    pip install scipy
    python scripts/make_mgh_fixtures.py

writes tests/fixtures/mgh_scipy.json (plain JSON): for every problem of tests/mgh.py,
from its standard start and 10x and 100x it, what scipy.optimize.minimize reaches with
the analytic gradient and gtol 1e-5 (BFGS and CG with the 2-norm, as descend's gtol;
L-BFGS-B with ftol=0 so that only its projected-gradient test stops it; Newton-CG with
its finite-difference Hessian products): f, steps, evaluations of f and of the gradient.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from mgh import FACTORS, PROBLEMS  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "mgh_scipy.json"
GTOL = 1e-5
SCIPY = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "cg": "CG", "damped_newton": "Newton-CG"}


def options(method):
    if method in ("bfgs", "cg"):
        return {"gtol": GTOL, "norm": 2, "maxiter": 20000}
    if method == "lbfgs":
        return {"gtol": GTOL, "ftol": 0.0, "maxiter": 20000}
    return {"maxiter": 20000}


def scipy_case(p, factor, method):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        s = minimize(p.f, p.start(factor), jac=p.grad, method=SCIPY[method], options=options(method))
    return {"problem": p.name, "factor": factor, "method": method, "fun": float(s.fun), "nit": int(s.nit),
            "nfev": int(s.nfev), "njev": int(s.njev), "success": bool(s.success)}


def main():
    cases = [scipy_case(p, factor, method) for p in PROBLEMS.values() for factor in FACTORS for method in SCIPY]
    for c in cases:
        print(f"{c['problem']:22s} x{c['factor']:<3d} {c['method']:13s} f={c['fun']:.6g} nit={c['nit']} "
              f"nfev={c['nfev']} njev={c['njev']}")
    write(OUT, scipy.__version__, cases)


def write(path, version, cases):
    """One case a line, so that a change of scipy's numbers reads as a small diff."""
    lines = ",\n".join(json.dumps(c) for c in cases)
    head = json.dumps({"scipy_version": version, "gtol": GTOL})[:-1]
    path.write_text(f'{head}, "cases": [\n{lines}\n]}}\n')


if __name__ == "__main__":
    main()
