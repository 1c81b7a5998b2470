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
* :func:`summarize`, :func:`plot_final_loss`, :func:`plot_curves` and :func:`write_report`
  turn a sweep's table (or :func:`load` of a store) into tables and figures.

The ``descend sweep / lr-find / benchmark / report`` commands live in :mod:`descend.cli.sweeps`.

Modules: :mod:`.grid` (grids and the command line's value syntax), :mod:`.store` (the
SQLite store), :mod:`.targets` (what a sweep runs on), :mod:`.runners` (the runners and
backends), :mod:`.run` (the driver, :func:`sweep`), :mod:`.lr_find`, :mod:`.benchmark`,
:mod:`.report`.
"""

from .benchmark import BenchmarkResult, benchmark_optimizers
from .grid import Grid, parse_lr, parse_values
from .run import BACKENDS, load, sweep, to_table
from .lr_find import Curvature, LRFinderResult, curvature, lr_find
from .report import plot_curves, plot_final_loss, summarize, write_report
from .store import SweepStore
from .targets import TrainingSetup

__all__ = ["sweep", "lr_find", "curvature", "benchmark_optimizers", "TrainingSetup", "SweepStore", "load",
           "to_table", "summarize", "plot_final_loss", "plot_curves", "write_report", "Grid", "parse_lr",
           "parse_values", "LRFinderResult", "Curvature", "BenchmarkResult", "BACKENDS"]
