"""Write what scipy.differentiate and numdifftools give on numdifftools' test functions.

    pip install 'scipy>=1.15' numdifftools
    python scripts/make_diff_fixtures.py

writes tests/fixtures/diff/peers.json (through descend.files): for each case (exp, sin,
log, 1/x, x^7 at an ordinary point, orders 1 to 5, and 1/x, log 1e-3 from their pole)
the value, the points at which f was evaluated and the status of
``scipy.differentiate.derivative`` (first derivatives only, defaults) and of
``numdifftools.Derivative`` (defaults), with the exact derivative.  tests/test_diff_derivative.py
holds descend's adaptive and complex methods to them: the same or better error for no
more evaluations than scipy, and no worse error than numdifftools.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "diff" / "peers.json"

FUNCTIONS = {
    "exp": (np.exp, lambda x, n: math.exp(x)),
    "sin": (np.sin, lambda x, n: math.sin(x + n * math.pi / 2)),
    "log": (np.log, lambda x, n: (-1) ** (n - 1) * math.factorial(n - 1) / x ** n),
    "1/x": (lambda x: 1 / x, lambda x, n: (-1) ** n * math.factorial(n) / x ** (n + 1)),
    "x^7": (lambda x: x ** 7, lambda x, n: math.perm(7, n) * x ** (7 - n)),
}
CASES = [(name, x, n) for n in range(1, 6)
         for name, x in (("exp", 1.0), ("sin", 1.0), ("log", 2.0), ("1/x", 0.5), ("x^7", 1.5))]
CASES += [("1/x", 1e-3, 1), ("log", 1e-3, 1)]
SCIPY_STATUS = {0: "converged", -1: "error_increased", -2: "max_iter", -3: "nonfinite"}


class Counting:
    def __init__(self, f):
        self.f, self.points = f, 0

    def __call__(self, x):
        self.points += np.size(x)
        return self.f(x)


def finite(v):
    return float(v) if np.isfinite(v) else None  # JSON has no nan


def main() -> None:
    import numdifftools as nd
    import scipy
    from scipy import differentiate

    sys.path.insert(0, str(ROOT / "src"))
    from descend import files

    out = {"scipy": scipy.__version__, "numdifftools": nd.__version__, "cases": []}
    for name, x, n in CASES:
        f, exact = FUNCTIONS[name]
        case = {"f": name, "x": x, "n": n, "exact": exact(x, n)}
        with np.errstate(all="ignore"):
            if n == 1:
                c = Counting(f)
                r = differentiate.derivative(c, x)
                case["scipy"] = {"value": finite(r.df), "points": c.points,
                                 "status": SCIPY_STATUS.get(int(r.status), str(r.status))}
            c = Counting(f)
            r = nd.Derivative(c, n=n, full_output=True)(x)
            case["numdifftools"] = {"value": finite(r.estimate), "points": c.points}
        out["cases"].append(case)
    files.write_text(OUT, json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(out['cases'])} cases")


if __name__ == "__main__":
    main()
