"""The loop of the second-order and quasi-Newton methods, for one run or R runs as one array.

The phases of the first-order loop (:mod:`descend.first_order`), with the same names:
:func:`_start`, :func:`_converged` (the gradient norm, or the rule's own stationarity
measure, <= gtol), then each step :func:`_directions` (the rule's search direction, or a
status where there is none), :func:`_advance` (the line search or the full step, and f
and the gradient where finite, :func:`_evaluate_where_finite`), :func:`_classify`
(diverged runs stop) and :func:`_commit` (the rule's update from ``s = x_new - x`` and
``y = g_new - g``), the record and the callback, and :func:`finish`.  Every run keeps
its own numbers: row i of a batch takes exactly the operations of the single run from
``x0[i]``.
"""

from __future__ import annotations

import numpy as np

from .. import linesearch as _ls
from ..objective import Runs, callback_stops
from ..result import MESSAGES, History, Recorder, Result
from ._linalg import dot_rows

__all__ = ["run", "finish"]

_ZOOM_ITER, _ROUNDING = _ls.WOLFE_STATUS.index("zoom_iter"), _ls.WOLFE_STATUS.index("rounding")

class _Runs(Runs):
    """:class:`~descend.objective.Runs` with the gradient norm as ``dot_rows`` gives it, the
    previous f (for the first Wolfe trial) and the Armijo fallbacks taken."""

    def __init__(self, X, F, G, nfev, ngev):
        super().__init__(X, F, G, np.sqrt(dot_rows(G, G)), nfev, ngev)
        self.F_old = F + self.gnorm / 2  # scipy's guess of a previous f, for the first Wolfe trial step
        self.fallbacks = np.zeros(X.shape[0], dtype=np.int64)  # Armijo steps taken where the Wolfe zoom failed


def run(obj, X, rule, ls, hess, *, steps, gtol, callback, max_growth, keep, scalar, batched):
    """Run ``rule`` (a :mod:`descend.methods` rule) from the rows of X; return a Result."""
    R, n = X.shape
    runs, limit = _start(obj, X, max_growth)
    state = rule.init(R, n)
    hist = Recorder(runs, keep)
    for k in range(steps):
        if not _converged(runs, rule, gtol):
            break
        rows, D = _directions(runs, rule, state, np.flatnonzero(runs.active), hess, k)
        alpha = np.full(R, np.nan)
        if rows.size:
            # advance, evaluating where finite; classify and commit
            moved, X_new, F_new, G_new, a = _advance(runs, obj, rule, ls, state, rows, D, k, hess)
            rows_m, X_new, F_new, G_new = _classify(runs, rows, moved, X_new, F_new, G_new, limit, k, rule)
            alpha[rows] = a
            _commit(runs, rule, state, rows, rows_m, X_new, F_new, G_new)
        hist.record(runs, alpha)
        if callback is not None and callback_stops(callback, runs, scalar, batched):
            runs.stop(np.flatnonzero(runs.active), "stopped", "stopped_callback")
            break
    _converged(runs, rule, gtol)
    return finish(runs, hist, rule, ls, hess, gtol, max_growth, scalar, batched)


def _start(obj, X, max_growth):
    """f and the gradient at the starts (the gradient only where f is finite); the runs and
    the value each may not exceed (None: no growth test)."""
    R = X.shape[0]
    with np.errstate(all="ignore"):
        F = obj.values(X)
        G = np.full_like(X, np.nan)
        ok = np.isfinite(F)
        fd = 0
        if ok.any():
            G[ok], fd = obj.gradients(X[ok])
        runs = _Runs(X, F, G, nfev=np.ones(R, dtype=np.int64) + fd * ok, ngev=ok.astype(np.int64))  # |g| may overflow
    bad = ~(np.isfinite(runs.F) & np.isfinite(runs.gnorm))
    runs.stop(np.flatnonzero(bad), "diverged", "diverged_start")
    limit = None if max_growth is None else runs.F0 + max_growth * np.maximum(1.0, np.abs(runs.F0))
    return runs, limit


def _converged(runs, rule, gtol):
    """Runs whose stationarity measure is <= gtol converge; whether any run is still active."""
    done = runs.active & (_measure(rule, runs) <= gtol)
    runs.status[done] = "converged"
    runs.active &= ~done
    return runs.active.any()


def _commit(runs, rule, state, rows, rows_m, X_new, F_new, G_new):
    """The runs ``rows_m`` that moved take their step; the rule updates its state from
    ``s = x_new - x`` and ``y = g_new - g``."""
    if not rows_m.size:
        return
    keep_rows = rows if rows_m.size == rows.size else rows[np.isin(rows, rows_m)]  # rows_m is part of rows
    S = X_new - runs.X[rows_m]
    Y = G_new - runs.G[rows_m]
    with np.errstate(all="ignore"):  # a run near rounding may overflow its estimate: inf, then reset
        rule.update(state, rows_m, S, Y, G_new)
    runs.X, runs.F, runs.G, runs.gnorm = runs.X.copy(), runs.F.copy(), runs.G.copy(), runs.gnorm.copy()
    runs.F_old[rows_m] = runs.F[rows_m]
    runs.X[rows_m], runs.F[rows_m], runs.G[rows_m] = X_new, F_new, G_new
    runs.gnorm[rows_m] = np.sqrt(dot_rows(G_new, G_new))
    runs.nit[keep_rows] += 1


def _measure(rule, runs, rows=None):
    """What gtol is compared with, on ``rows`` (default the active runs): the gradient norm, or
    the rule's own stationarity measure (the projected gradient of a constrained run)."""
    if hasattr(rule, "stationarity"):
        out = np.full(runs.X.shape[0], np.inf)
        rows = np.flatnonzero(runs.active) if rows is None else rows
        if rows.size:
            out[rows] = rule.stationarity(runs.X[rows], runs.G[rows])
        return out
    return runs.gnorm


def _place(rule, X):
    return rule.place(X) if hasattr(rule, "place") else X


def _directions(runs, rule, state, rows, hess, k):
    """The rule's direction on the active rows; rows where it has none stop with the rule's status."""
    D, why = rule.direction(state, rows, runs.X[rows], runs.G[rows], hess)
    failed = np.array([w is not None for w in why], dtype=bool)
    for j in np.flatnonzero(failed):
        runs.stop(rows[j], "stopped", why[j], step=k + 1)
    return rows[~failed], D[~failed]


def _advance(runs, obj, rule, ls, state, rows, D, k, hess=None):
    """Step along D: the full step (no line search), the Wolfe search, or a search on f alone.

    Returns ``(moved, X_new, F_new, G_new, alpha)`` on ``rows``; ``moved`` says which rows
    found a step (the others are stopped here with the line search's message)."""
    X, F, G = runs.X[rows], runs.F[rows], runs.G[rows]
    extra_fev = np.zeros(len(rows), dtype=np.int64)

    def gradient(P, sub):
        g, fd = obj.gradients(P)
        extra_fev[sub] += fd
        return g

    with np.errstate(all="ignore"):
        if ls is None:
            alpha = np.ones(len(rows))
            X_new = _place(rule, X + D)
            F_new, G_new, fd, graded = _evaluate_where_finite(obj, X_new)
            runs.nfev[rows] += 1 + fd
            runs.ngev[rows] += graded
            return np.ones(len(rows), dtype=bool), X_new, F_new, G_new, alpha
        if ls.method == "quadratic":
            return _quadratic_step(runs, obj, hess, rows, X, D, G, k)
        if ls.method == "wolfe":
            alpha1 = _first_trial(rule, runs, rows, D, G, F)
            if getattr(rule, "quadratic_start", False):
                alpha1, fev = _ls.quadratic_trial(lambda a, sub: obj.values(X[sub] + a[:, None] * D[sub]), F,
                                                  dot_rows(G, D), alpha1)
                runs.nfev[rows] += fev
            step, G_new = _ls.search_wolfe(ls, lambda P, sub: obj.values(P), gradient, X, D, F, G, alpha1)
            runs.nfev[rows] += step.nfev + extra_fev
            runs.ngev[rows] += step.ngev
            alpha, F_new = step.alpha.copy(), step.phi.copy()
            _armijo_fallback(runs, obj, rows, X, D, F, G, step, alpha, F_new, G_new, alpha1)
            moved = alpha > 0
            for j in np.flatnonzero(~moved):  # what really happened on the line, in words (result.MESSAGES)
                key, numbers = _ls.wolfe_stop(step, j)
                runs.stop(rows[j], "stopped", key, step=k + 1, c1=ls.c1, c2=ls.c2, **numbers)
            X_new = X + alpha[:, None] * D
            return moved, X_new[moved], F_new[moved], G_new[moved], np.where(moved, alpha, np.nan)
        a, F_new, fev = _ls.search(ls, lambda P, sub: obj.values(_place(rule, P)), X, D, F, G)
        runs.nfev[rows] += fev
        moved = a > 0
        for j in np.flatnonzero(~moved):
            runs.stop(rows[j], "stopped", "stopped_method_line_search", step=k + 1, line_search=ls.method)
        X_new = _place(rule, X[moved] + a[moved][:, None] * D[moved])
        G_new = np.full_like(X_new, np.nan)
        if moved.any():
            G_new, fd = obj.gradients(X_new)
            runs.nfev[rows[moved]] += fd
            runs.ngev[rows[moved]] += 1
        return moved, X_new, F_new[moved], G_new, np.where(moved, a, np.nan)


def _quadratic_step(runs, obj, hess, rows, X, D, G, k):
    """The step ``-g'd / d'Hd`` minimizing the quadratic model along d (``g'g / g'Hg`` for d = -g);
    rows with ``d'Hd <= 0`` stop: the model has no minimum along d."""
    H = hess(X, rows)
    dHd = dot_rows(D, np.matmul(H, D[:, :, None])[:, :, 0])
    alpha = -dot_rows(G, D) / dHd
    moved = (dHd > 0) & np.isfinite(alpha)
    for j in np.flatnonzero(~moved):
        runs.stop(rows[j], "stopped", "stopped_negative_curvature", step=k + 1, curvature=dHd[j])
    X_new = X[moved] + alpha[moved][:, None] * D[moved]
    F_new, G_new, fd, graded = _evaluate_where_finite(obj, X_new)
    runs.nfev[rows[moved]] += 1 + fd
    runs.ngev[rows[moved]] += graded
    return moved, X_new, F_new, G_new, np.where(moved, alpha, np.nan)


def _armijo_fallback(runs, obj, rows, X, D, F, G, step, alpha, F_new, G_new, alpha1):
    """Where the Wolfe zoom ran out of trials (or rounding ended it), take an Armijo
    backtracking step instead, from the failed search's first trial ``alpha1`` (its scale along d),
    as scipy's BFGS falls back from one line search to another; the quasi-Newton updates skip a
    pair with y's <= 0.  A row whose bracketing never found a step keeps its failure.  Fills
    alpha, F_new and G_new in place."""
    retry = (step.status == _ZOOM_ITER) | (step.status == _ROUNDING)
    if not retry.any():
        return
    j = np.flatnonzero(retry)
    a, f, fev = _ls.backtracking(lambda al, sub: obj.values(X[j][sub] + al[:, None] * D[j][sub]), F[j],
                                 dot_rows(G[j], D[j]), alpha0=np.asarray(alpha1, dtype=float)[j])
    runs.nfev[rows[j]] += fev
    ok = a > 0
    if ok.any():
        jj = j[ok]
        P = X[jj] + a[ok][:, None] * D[jj]
        g, fd = obj.gradients(P)
        runs.nfev[rows[jj]] += fd
        runs.ngev[rows[jj]] += 1
        alpha[jj], F_new[jj], G_new[jj] = a[ok], f[ok], g
        runs.fallbacks[rows[jj]] += 1


def _first_trial(rule, runs, rows, D, G, F):
    """The Wolfe search's first trial step: L-BFGS tries 1 / |d| on its first step and 1
    after (as L-BFGS-B); the others follow scipy (min(1, 2.02 (f - f_prev) / g'd))."""
    if rule.name == "lbfgs":
        first = runs.nit[rows] == 0
        dn = np.sqrt(dot_rows(D, D))
        return np.where(first, 1.0 / np.where(dn > 0, dn, 1.0), 1.0)
    if rule.name in ("bfgs", "cg"):
        return _ls.initial_step(F, runs.F_old[rows], dot_rows(G, D))
    return np.ones(len(rows))


def _evaluate_where_finite(obj, X):
    """f and the gradient at X (the gradient only where f is finite)."""
    k, n = X.shape
    finite_x = np.isfinite(X).all(axis=1)
    F = np.full(k, np.nan)
    if finite_x.any():
        F[finite_x] = obj.values(X[finite_x])
    G = np.full((k, n), np.nan)
    ok = np.isfinite(F)
    fd = np.zeros(k, dtype=np.int64)
    if ok.any():
        G[ok], fd_ = obj.gradients(X[ok])
        fd[ok] = fd_
    return F, G, fd, ok.astype(np.int64)


def _classify(runs, rows, moved, X_new, F_new, G_new, limit, k, rule):
    """Runs whose new point is not finite, or whose f grew past the limit, diverge and keep
    their last iterate.  Returns the rows that move, with their new point, f and gradient."""
    rows_m = rows[moved]
    gn = np.sqrt(dot_rows(G_new, G_new))
    finite_x = np.isfinite(X_new).all(axis=1)
    nonfinite = ~(finite_x & np.isfinite(F_new) & np.isfinite(gn))
    grown = np.zeros(len(rows_m), dtype=bool) if limit is None else (~nonfinite & (F_new > limit[rows_m]))
    for j in np.flatnonzero(nonfinite):
        what = "x" if not finite_x[j] else ("f" if not np.isfinite(F_new[j]) else "the gradient")
        runs.stop(rows_m[j], "diverged", "method_diverged_nonfinite", step=k + 1, what=what)
    for j in np.flatnonzero(grown):
        runs.stop(rows_m[j], "diverged", "method_diverged_growth", step=k + 1, f_bad=F_new[j])
    good = ~(nonfinite | grown)
    return rows_m[good], X_new[good], F_new[good], G_new[good]


def finish(runs, hist, rule, ls, hess, gtol, max_growth, scalar, batched):
    """The Result of the runs: statuses, messages, counts and the history (also of the compiled solver,
    :mod:`descend.methods.compiled`)."""
    R = runs.X.shape[0]
    with np.errstate(all="ignore"):
        measure = _measure(rule, runs, np.arange(R))
    messages = []
    same = dict(gtol=gtol, max_growth=max_growth or float("nan"), method=rule.name,
                constraint=repr(getattr(rule, "constraint", None)))  # the numbers every run's message shares
    converged_key, max_steps_key = getattr(rule, "message_keys", ("method_converged", "method_max_steps"))
    # as Python numbers (every message formats them with a format spec: the same text as NumPy's)
    gnorm, nit, f0, fun, meas = (np.asarray(a).tolist() for a in (runs.gnorm, runs.nit, runs.F0, runs.F, measure))
    statuses = runs.status.tolist()
    for i in range(R):
        numbers = dict(same, grad_norm=gnorm[i], nit=int(nit[i]), f0=f0[i], fun=fun[i], measure=meas[i])
        if statuses[i] == "converged":
            key = converged_key
        elif runs.reason[i] is not None:
            key, extra = runs.reason[i]
            numbers.update(extra)
        else:
            key = max_steps_key
        messages.append(MESSAGES[key].format(**numbers))
    status = runs.status.astype(str)
    success = status == "converged"
    history = hist.history(R)
    nhev = hess.nhev if hess is not None else np.zeros(R, dtype=np.int64)
    nhvp = hess.nhvp if hess is not None else np.zeros(R, dtype=np.int64)
    nfev = runs.nfev + (hess.nfev if hess is not None else 0)
    extra = {"method": rule.name, "line_search": None if ls is None else ls.method}
    fallbacks = runs.fallbacks
    if batched:
        return Result(x=runs.X, fun=runs.F, grad_norm=runs.gnorm, nit=runs.nit, nfev=nfev, ngev=runs.ngev,
                      status=status, success=success, message=messages, history=history, optimizer=rule.name,
                      lr=None, batched=True, extra={**extra, "nhev": nhev, "nhvp": nhvp,
                                                                 "wolfe_fallbacks": fallbacks})
    if history is not None:
        history = History(x=None if history.x is None else (history.x[:, 0, 0] if scalar else history.x[:, 0]),
                          f=history.f[:, 0], grad_norm=history.grad_norm[:, 0], lr=history.lr[:, 0])
    return Result(x=float(runs.X[0, 0]) if scalar else runs.X[0].copy(), fun=float(runs.F[0]),
                  grad_norm=float(runs.gnorm[0]), nit=int(runs.nit[0]), nfev=int(nfev[0]), ngev=int(runs.ngev[0]),
                  status=str(status[0]), success=bool(success[0]), message=messages[0], history=history,
                  optimizer=rule.name, lr=None, extra={**extra, "nhev": int(nhev[0]), "nhvp": int(nhvp[0]),
                                                                "wolfe_fallbacks": int(fallbacks[0])})
