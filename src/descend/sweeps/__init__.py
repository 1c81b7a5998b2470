"""Many runs: sweeps over optimizers and hyperparameters, the learning-rate finder, a fair benchmark.

* :func:`sweep` runs a grid of settings on a problem (vectorized: one (R, n) array
  through :func:`descend.minimize`) or a :class:`TrainingSetup` (worker processes
  with joblib/loky, or a Dask cluster), optionally into an SQLite store that a
  killed sweep resumes from (:class:`SweepStore`).
* :func:`lr_find` is the learning-rate range test; for a problem it also measures
  the local curvature (largest and smallest Hessian eigenvalues, 2/L, the condition
  number) and the learning rate at which plain gradient descent starts to diverge.
* :func:`benchmark_optimizers` gives each optimizer its best learning rate from a grid
  under the same budget of gradient evaluations and compares them over many starts.
"""

from .grid import Grid, parse_lr, parse_values
from .run import BACKENDS, TrainingSetup, load, sweep, to_table
from .lr_find import Curvature, LRFinderResult, curvature, lr_find
from .store import SweepStore

__all__ = ["sweep", "lr_find", "curvature", "LRFinderResult", "Curvature", "TrainingSetup", "Grid", "SweepStore", "load", "to_table", "parse_lr", "parse_values",
           "BACKENDS"]
