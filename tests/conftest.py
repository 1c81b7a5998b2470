"""The suite's setup, read by pytest before any test module.

- One BLAS thread per process unless the environment already says how many
  (``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``).  The suite's matrices are small (n of a few
  hundred at most), where BLAS threads cost more than they give, and on a loaded 2-core machine
  OpenBLAS's spinning threads made tests/test_methods.py's 100-D damped Newton run take
  107 s instead of 3.5 s (scipy's L-BFGS-B on the same problem: 12 s instead of 0.44 s).  Set
  before numpy is first imported; the CLI, server and notebook-kernel subprocesses inherit it.
  It changes no result a test asserts: the same process runs both sides of every comparison.
- matplotlib draws with Agg unless ``MPLBACKEND`` is set: no test needs a display.

What test modules share as code lives in tests/helpers.py (and _browser.py, _demo_page.py).
"""

from __future__ import annotations

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("MPLBACKEND", "Agg")

if "numpy" in sys.modules:  # a plugin imported numpy first: its BLAS read the environment already
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl comes with scikit-learn (the data extra); without it, as the env said
        pass
    else:
        threadpool_limits(int(os.environ["OPENBLAS_NUM_THREADS"]), user_api="blas")
