"""Pictures of optimization, as the study notes draw them (matplotlib, imported on first use).

=====================================  ===============================================================
function(f, window, tangent_at=...)    a function of one variable and its tangent lines (seed 001)
gradient_field(problem_or_f, window)   -grad f as arrows over the contour (seed 001's quiver)
trajectories(problem, results)         runs on the contour: paths, start / end markers, known minima
surface(problem, path=...)             the 3-D surface with a path on it
loss_curves(histories)                 f per step, loss per update and per epoch (seed 003)
diff_error(result_or_f, ...)           finite-difference error against h, log-log (seed 004)
taylor_test(report_or_f, ...)          the Taylor test's remainder against h: slope 2 for a right gradient
convergence(results, target=...)       distance to x* against the step, log-log (Newton against GD)
critical_points(problem, points)       the contour with critical points marked by kind (minimum, saddle...)
constrained_path(problem, result, r)   a projected-gradient run and the ball x'x <= r^2 it slides along
lr_sweep(results)                      final loss against the learning rate (seed 002)
internals(problem, optimizer, ...)     an optimizer's state along a run (momentum, v, m, ...)
animate(problem, results, path)        a GIF of runs racing on the contour
save(fig, path, dpi=...)               savefig through descend.files (atomic, no links, no foreign files)
=====================================  ===============================================================

Every function that draws on one Axes takes ``ax=`` and returns the Axes it drew on
(a new figure's when ``ax`` is None); :func:`internals` returns a Figure and
:func:`animate` the path it wrote.  The artists each function adds carry a gid
``descend:<what>`` (``descend:path``, ``descend:start``, ``descend:field``...) so they
can be found again.  Without a display, the Agg backend is used.

``import descend`` never imports matplotlib, and neither does ``import descend.plot``:
matplotlib is loaded by the first call (``pip install 'descend[demo]'``).
"""

from __future__ import annotations

from ._base import save
from .animation import animate
from .curves import diff_error, loss_curves, lr_sweep
from .internals import Trace, internals, record
from .landscape import function, gradient_field, surface, trajectories
from .second_order import constrained_path, convergence, critical_points
from .taylor import taylor_test

__all__ = ["function", "gradient_field", "trajectories", "surface", "loss_curves", "diff_error", "lr_sweep",
           "internals", "record", "Trace", "animate", "save", "taylor_test", "convergence", "critical_points",
           "constrained_path"]
