"""The first-order loop of :func:`descend.minimize`, for one run or R runs as one (R, n) array.

Gradient descent or any update rule of :mod:`descend.optim` (or a line search along
-grad), one step after another in named phases, the same names and order as the
second-order loop (:mod:`descend.methods.driver`) and the compiled template
(:mod:`descend.jit.driver`):

=====================  ====================================================================
start                  f and the gradient at x0; a run that starts non-finite diverges
converged              runs whose gradient norm is <= gtol stop
advance                the update rule (or the line search) proposes x_new; stopped runs stay
evaluate where finite  f at the finite points, the gradient where f is finite
classify and commit    non-finite runs diverge and keep x, runs past max_growth diverge;
                       the others take the step
record                 the history (every iterate, or f and the gradient norm)
callback               the user's callback sees the state; True stops every run
finish                 each run's status and message, the :class:`~descend.result.Result`
=====================  ====================================================================

Row i of a batch takes exactly the floating-point operations of the single run from
``x0[i]``: the rows are advanced in lockstep and never see each other.
"""

from __future__ import annotations

import numpy as np

from . import linesearch as _ls
from .objective import Runs, at_rows, callback_stops, finite_rows, row_norms
from .result import MESSAGES, Recorder, finished, message_numbers, motion

__all__ = ["run"]


def run(obj, X, opt, ls, lr, steps, gtol, callback, max_growth, keep, *, scalar, batched, name):
    """Run the update rule ``opt`` (or the line search ``ls``) from the rows of X; return a Result."""
    runs, limit = _start(obj, X, max_growth)
    hist = Recorder(runs, keep)
    for k in range(steps):
        if not _converged(runs, gtol):
            break
        step = _advance(runs, obj, opt, ls, k)
        if step is None:  # no run is left to move
            break
        new = _evaluate_where_finite(obj, step)
        _classify_and_commit(runs, step, new, limit, k)
        hist.record(runs, step.lr)
        if callback is not None and callback_stops(callback, runs, scalar, batched):
            runs.stop(np.flatnonzero(runs.active), "stopped", "stopped_callback")
            break
    _converged(runs, gtol)
    return _finish(runs, hist, lr, gtol, max_growth, ls, scalar=scalar, batched=batched, name=name)


class _Runs(Runs):
    """:class:`~descend.objective.Runs` and the last two steps of each run (the message of a
    run that ends without decreasing f says how they moved)."""

    def __init__(self, X, F, G, gnorm, nfev, ngev):
        super().__init__(X, F, G, gnorm, nfev, ngev)
        self.last_steps = [np.zeros_like(X), np.zeros_like(X)]


class _Step:
    """What the advance phase proposes: the new points of every run (stopped runs keep
    theirs), the rows that move (None: all of them), and the step size of each run."""

    __slots__ = ("X_new", "rows", "every", "lr")

    def __init__(self, X_new, rows, every, lr):
        self.X_new, self.rows, self.every, self.lr = X_new, rows, every, lr


class _Points:
    """The evaluate phase's numbers at the moving rows: x, f, gradient, its norm, which rows
    are finite, and the f-evaluations each gradient took."""

    __slots__ = ("X", "F", "G", "gnorm", "finite_x", "finite_f", "fd")

    def __init__(self, X, F, G, gnorm, finite_x, finite_f, fd):
        self.X, self.F, self.G, self.gnorm = X, F, G, gnorm
        self.finite_x, self.finite_f, self.fd = finite_x, finite_f, fd


def _start(obj, X, max_growth):
    """f and the gradient at the starts (the gradient only where f is finite); the runs and
    the value each may not exceed (None: no growth test)."""
    R = X.shape[0]
    with np.errstate(all="ignore"):  # a diverging run may overflow: that is reported as a status
        F = obj.values(X)
        G = np.full_like(X, np.nan)
        fd = 0
        start_ok = np.isfinite(F)
        if start_ok.all():
            G, fd = obj.gradients(X)
        elif start_ok.any():
            G[start_ok], fd = obj.gradients(X[start_ok])
    nfev = np.zeros(R, dtype=np.int64)
    ngev = np.zeros(R, dtype=np.int64)
    nfev += 1 + fd * start_ok
    ngev += start_ok
    runs = _Runs(X, F, G, row_norms(G), nfev, ngev)
    bad = ~(np.isfinite(runs.F) & np.isfinite(runs.gnorm))
    runs.stop(np.flatnonzero(bad), "diverged", "diverged_start")
    limit = None if max_growth is None else runs.F0 + max_growth * np.maximum(1.0, np.abs(runs.F0))
    return runs, limit


def _converged(runs, gtol):
    """Runs whose gradient norm is <= gtol converge; whether any run is still active."""
    if gtol is not None:
        done = runs.active & (runs.gnorm <= gtol)
        runs.status[done] = "converged"
        runs.active &= ~done
    return runs.active.any()


def _lr_used(opt, R):
    """The learning rate the optimizer used on its last step, one per run."""
    value = np.asarray(opt.last_lr if opt.last_lr is not None else np.nan, dtype=float).reshape(-1)
    return np.broadcast_to(value, (R,)).copy() if value.size in (1, R) else np.full(R, np.nan)


def _advance(runs, obj, opt, ls, k):
    """The update rule's step, or the line search's along -grad, on the active runs (a run
    whose line search finds no step stops).  None when no run is left to move."""
    X, G, active = runs.X, runs.G, runs.active
    R = X.shape[0]
    every = bool(active.all())
    rows = None if every else np.flatnonzero(active)
    if ls is not None:
        rows = np.arange(R) if every else rows
        step_lr = np.full(R, np.nan)
        D = -G[rows]
        with np.errstate(all="ignore"):
            alpha, _, ls_fev = _ls.search(ls, lambda P, r: obj.values(P), X[rows], D, runs.F[rows], G[rows],
                                          gradient=lambda P, r: obj.gradients(P)[0])
        runs.nfev[rows] += ls_fev
        step_lr[rows] = alpha
        failed = alpha == 0
        X_new = X.copy()
        X_new[rows] = X[rows] + alpha[:, None] * D
        runs.stop(rows[failed], "stopped", "stopped_line_search", step=k + 1)
        every = every and not failed.any()
        rows = None if every else np.flatnonzero(active)
    else:
        X_new = X.copy()
        G_step = G if every else np.where(active[:, None], G, 0.0)
        with np.errstate(all="ignore"):
            opt.step(X_new, G_step, runs=R)
        step_lr = _lr_used(opt, R)
    if not every:
        if rows.size == 0:
            return None
        X_new[~active] = X[~active]  # runs that stopped do not move
    return _Step(X_new, rows, every, step_lr)


def _evaluate_where_finite(obj, step):
    """f at the moving rows whose point is finite (f may not even accept inf), the gradient
    where f is finite (a numerical gradient of nan is meaningless)."""
    Xm = step.X_new if step.every else step.X_new[step.rows]
    m, n = Xm.shape
    with np.errstate(all="ignore"):
        finite_x = finite_rows(Xm)
        F_new = obj.values(Xm) if finite_x.all() else at_rows(obj.values, Xm, finite_x, (m,))
        finite_f = np.isfinite(F_new)
        if finite_f.all():
            G_new, fd = obj.gradients(Xm)
            fd = np.full(m, fd)
        else:
            G_new = np.full((m, n), np.nan)
            fd = np.zeros(m, dtype=np.int64)
            if finite_f.any():
                G_new[finite_f], fd[finite_f] = obj.gradients(Xm[finite_f])
        gn_new = row_norms(G_new)
    return _Points(Xm, F_new, G_new, gn_new, finite_x, finite_f, fd)


def _classify_and_commit(runs, step, new, limit, k):
    """Runs whose new point, f or gradient is not finite diverge and keep their last iterate;
    runs whose f grew past the limit diverge at the new point; the others take the step."""
    every, rows = step.every, step.rows
    with np.errstate(all="ignore"):
        # One reduction tells whether everything is finite (a nan or inf anywhere makes
        # the sum non-finite); only then is it worth finding which rows are not.
        if np.isfinite(new.F.sum() + new.gnorm.sum()) and new.finite_x.all():
            nonfinite = np.zeros(len(new.X), dtype=bool)
        else:
            nonfinite = ~(new.finite_x & np.isfinite(new.F) & np.isfinite(new.gnorm))
        grown = np.zeros(len(new.X), dtype=bool) if limit is None else (
            ~nonfinite & (new.F > (limit if every else limit[rows])))
    if every and not (nonfinite.any() or grown.any()):
        # The common case: every run moved and stayed finite. Nothing is modified in
        # place, so the history can keep references instead of copies.
        runs.last_steps = [runs.last_steps[1], step.X_new - runs.X]
        runs.X, runs.F, runs.G, runs.gnorm = new.X, new.F, new.G, new.gnorm
        runs.nit += 1
        runs.nfev += 1 + new.fd
        runs.ngev += 1
        return
    rows = np.arange(runs.X.shape[0]) if every else rows
    for j in np.flatnonzero(nonfinite | grown):
        if nonfinite[j]:
            what = "x" if not new.finite_x[j] else ("f" if not np.isfinite(new.F[j]) else "the gradient")
            runs.stop(rows[j], "diverged", "diverged_nonfinite", step=k + 1, what=what)
        else:
            runs.stop(rows[j], "diverged", "diverged_growth", step=k + 1, f_bad=new.F[j])
    runs.nit[rows] += 1
    runs.nfev[rows] += new.finite_x.astype(np.int64) + new.fd
    runs.ngev[rows] += new.finite_f.astype(np.int64)
    take, kept = rows[~nonfinite], ~nonfinite
    runs.last_steps = [runs.last_steps[1], step.X_new - runs.X]
    X, F, G, gnorm = runs.X.copy(), runs.F.copy(), runs.G.copy(), runs.gnorm.copy()
    X[take] = step.X_new[take]
    F[take] = new.F[kept]
    G[take] = new.G[kept]
    gnorm[take] = new.gnorm[kept]
    runs.X, runs.F, runs.G, runs.gnorm = X, F, G, gnorm


def _finish(runs, hist, lr, gtol, max_growth, ls, *, scalar, batched, name):
    """Each run's message from :data:`~descend.result.MESSAGES`, and the Result."""
    R = runs.X.shape[0]
    history = hist.history(R)
    messages = []
    for i in range(R):
        numbers = message_numbers(i, lr=lr, grad_norm=runs.gnorm, gtol=gtol, nit=runs.nit, f0=runs.F0, fun=runs.F,
                                  max_growth=max_growth, line_search=ls.method if ls is not None else "")
        if runs.reason[i] is not None and runs.status[i] != "converged":
            key, extra = runs.reason[i]
            numbers.update(extra)
        elif runs.status[i] == "max_steps" and not runs.F[i] < runs.F0[i] and runs.nit[i] > 0:
            key = "max_steps_no_decrease"
            numbers["motion"] = motion(runs.last_steps[0][i], runs.last_steps[1][i])
        else:
            key = runs.status[i]
        messages.append(MESSAGES[key].format(**numbers))
    return finished(runs.X, runs.F, runs.gnorm, runs.nit, runs.nfev, runs.ngev, runs.status, messages, history,
                    gtol=gtol, lr=lr, name=name, scalar=scalar, batched=batched)
