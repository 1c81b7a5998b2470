"""The gradient-descent driver: steps, stopping, line search, history, many runs at once.

``minimize(f, x0)`` runs one start; ``minimize(f, X0)`` with ``X0`` of shape (R, n)
advances R independent runs as one (R, n) array.  Internally a single run is the
batch of one row, so row i of a batched run takes exactly the same floating-point
operations as the single run from ``X0[i]`` (bit for bit, as long as ``f`` and the
gradient compute each row on its own).
"""

from __future__ import annotations

import numpy as np

from . import jit as _jit
from . import linesearch as _ls
from . import methods
from .errors import DescendError, check_nonnegative_int, check_positive
from .objective import (Objective, at_rows, callback_state, check_options, check_x0, finite_rows,
                        resolve_problem, row_norms)
from .result import MESSAGES, History, Result, finished, message_numbers

__all__ = ["minimize", "Result", "History"]



def _check_lr(lr, R, batched):
    if callable(lr) and not isinstance(lr, (int, float, np.ndarray)):
        return lr  # a schedule: the optimizer checks it
    arr = np.asarray(lr)
    if arr.ndim == 0:
        check_positive("lr", lr)
        return float(arr)
    if not batched:
        raise DescendError(f"lr must be a number for a single start (one lr per run needs x0 of shape (R, n)), "
                           f"got shape {arr.shape}")
    if arr.shape != (R,):
        raise DescendError(f"lr must be a number or have shape ({R},) (one per run), got shape {arr.shape}")
    check_positive("lr", arr, allow_array=True)
    return arr.astype(float)


def _make_optimizer(optimizer, lr, hyperparameters):
    from . import optim

    if isinstance(optimizer, str):
        return optim.get(optimizer, lr=lr, **hyperparameters)
    if hyperparameters:
        raise DescendError(f"hyperparameters {sorted(hyperparameters)} can only be given with an optimizer "
                           f"name; set them on the optimizer instance instead")
    if not hasattr(optimizer, "step"):
        raise DescendError(f"optimizer must be a name ({', '.join(optim.names())}) or a descend.optim "
                           f"optimizer, got {type(optimizer).__name__}")
    return optimizer


def _optimizer_name(opt, optimizer) -> str:
    if isinstance(optimizer, str):
        return optimizer.lower()
    return getattr(opt, "name", type(opt).__name__).lower()


def _lr_used(opt, R):
    """The learning rate the optimizer used on its last step, one per run."""
    value = np.asarray(opt.last_lr if opt.last_lr is not None else np.nan, dtype=float).reshape(-1)
    return np.broadcast_to(value, (R,)).copy() if value.size in (1, R) else np.full(R, np.nan)


def _motion(steps):
    """Describe how the last steps moved: back and forth, or drifting."""
    if len(steps) < 2:
        return "did not move downhill"
    a, b = steps[-2], steps[-1]
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na > 0 and nb > 0 and np.dot(a, b) / (na * nb) < -0.9:
        grow = "with growing amplitude" if nb > na * (1 + 1e-12) else "with constant amplitude"
        return f"oscillate back and forth across the minimum {grow}"
    return "drift without decreasing f"


def minimize(f, x0=None, *, grad=None, optimizer="gd", lr=0.01, steps=100, gtol=None, line_search=None,
             vectorized=False, callback=None, h=None, max_growth=1e8, history=True, compiled=None, method=None,
             hess=None, hessp=None, constraint=None, **hyperparameters):
    """Minimize ``f`` by gradient descent (or any optimizer of :mod:`descend.optim`).

    Parameters
    ----------
    f : callable or Problem
        The objective. A :class:`descend.problems.Problem` brings its analytic gradient,
        its default start and batch evaluation (``vectorized`` is then True).
    x0 : number, array of shape (n,), or (R, n)
        The start; an (R, n) array runs R independent starts as one array (rows are runs).
    grad : None, callable or str
        None: central finite differences; a callable: the analytic gradient (one point
        -> (n,), or with ``vectorized`` (m, n) -> (m, n)); a method name of
        :func:`descend.gradient` ("forward", "complex", ...) picks that finite difference.
    optimizer : str or optimizer
        "gd" (plain gradient descent ``x -= lr * grad``), any name of
        :func:`descend.optim.names`, or an optimizer instance.
    lr : float, array of shape (R,) or schedule
        The learning rate (one per run for a batch).
    steps : int
        The most updates to take.
    gtol : float or None
        Stop a run when the norm of its gradient is <= gtol (checked before each update).
    line_search : None, "backtracking", "grid", "exact" or LineSearch
        Choose each step size along -grad instead of the fixed lr (plain gradient descent only).
    vectorized : bool
        f takes an (m, n) array of points and returns (m,) values.
    callback : callable or None
        Called after every step with the current Result-like state (x, fun, nit,
        grad_norm); returning True (or raising StopIteration) stops the run ("stopped").
    h : float or None
        Finite-difference step when the gradient is numerical (None: chosen per dtype and |x|).
    max_growth : float or None
        A run diverges when f exceeds f(x0) + max_growth * max(1, |f(x0)|); None turns this
        test off (non-finite values still count as divergence).
    history : bool or "f"
        Keep every iterate (True), only f / gradient norm / lr ("f"), or nothing (False).
    compiled : None, True or False
        Run the whole loop compiled with numba (:mod:`descend.jit`), with the NumPy path's
        results bit for bit: None takes it where it applies (numba installed, a registered
        problem or ``descend.compiled(f, grad)``, gd or an elementwise optimizer by name,
        any lr or schedule, float64 x0 with at most 128 variables), True demands it (a
        DescendError names what prevents it), False keeps the NumPy path.  Line searches,
        callbacks, numerical gradients and second-order methods always run on the NumPy path.
    method : None or str
        The whole algorithm when it is not a first-order update rule (see
        :mod:`descend.methods`): "newton", "damped_newton", "cg" (``beta="pr+"`` or
        "fr", ``restart=``), "bfgs", "lbfgs" (``m=10``); gtol then defaults to 1e-5 and
        lr is unused.  A first-order optimizer's name is the same as ``optimizer=``.
    hess, hessp : callable or None
        For newton and damped_newton: the Hessian (one point -> (n, n)), or the
        Hessian-vector product ``hessp(x, p)``; default the Problem's analytic Hessian,
        else :func:`descend.hessian`.
    constraint : None or a :mod:`descend.constraints` set (Box, Ball, Simplex)
        Projected gradient descent ``x <- P(x - lr grad)`` onto the set (x0 projected
        first; optimizer "gd"; line_search None or "backtracking"); a run converges when
        the projected gradient ``|x - P(x - grad)|`` is <= gtol.
    **hyperparameters
        Passed to the optimizer when it is given by name (e.g. ``betas=(0.9, 0.99)``),
        or the method's options.

    Returns
    -------
    Result
    """
    if method is not None:
        from . import optim

        if isinstance(method, str) and method.lower() in optim.names() and hess is None and hessp is None:
            optimizer, method = method, None
        else:
            if not (isinstance(optimizer, str) and optimizer.lower() == "gd"):
                raise DescendError(f"give either method={method!r} or optimizer={optimizer!r}, not both")
            if isinstance(method, str) and method.lower() not in methods.METHODS:
                from .errors import unknown_name

                raise DescendError(unknown_name("method", method, list(methods.METHODS) + optim.names()))
            if compiled is True:
                raise DescendError(f"compiled=True, but method={method!r} runs on the NumPy path")
            if constraint is not None:
                raise DescendError(f"method={method!r} takes no constraint; constrained runs use projected "
                                   f"gradient descent (method=None)")
            return methods.minimize_method(f, x0, method=method, grad=grad, hess=hess, hessp=hessp, steps=steps,
                                           gtol=gtol, line_search=line_search, vectorized=vectorized,
                                           callback=callback, h=h, max_growth=max_growth, history=history,
                                           **hyperparameters)
    if line_search is not None and constraint is None and getattr(_ls.get(line_search), "method", "") == "quadratic":
        if not (isinstance(optimizer, str) and optimizer.lower() == "gd"):
            raise DescendError("line_search works with optimizer='gd' only (it picks the step along -grad)")
        return methods.minimize_method(f, x0, method="steepest_descent", grad=grad, hess=hess, hessp=hessp,
                                       steps=steps, gtol=0.0 if gtol is None else gtol, line_search="quadratic",
                                       vectorized=vectorized, callback=callback, h=h, max_growth=max_growth,
                                       history=history, **hyperparameters)
    if hess is not None or hessp is not None:
        raise DescendError("hess= and hessp= need a second-order method: method='newton' or 'damped_newton'")
    if constraint is not None:
        if not (isinstance(optimizer, str) and optimizer.lower() == "gd"):
            raise DescendError(f"a constraint works with optimizer='gd' (projected gradient descent), "
                               f"got {optimizer!r}")
        return methods.minimize_method(f, x0, method=None, constraint=constraint, lr=lr, grad=grad, steps=steps,
                                       gtol=gtol, line_search=line_search, vectorized=vectorized,
                                       callback=callback, h=h, max_growth=max_growth, history=history,
                                       **hyperparameters)
    f, grad = _jit.unwrap(f, grad)  # descend.compiled(f, grad) brings both
    fun, x0, grad, vectorized, fname = resolve_problem(f, x0, grad, vectorized)
    x0 = check_x0(x0)
    scalar = x0.ndim == 0
    batched = x0.ndim == 2
    X = x0.reshape(1, 1) if scalar else (x0.copy() if batched else x0.reshape(1, -1).copy())
    R, n = X.shape
    lr = _check_lr(lr, R, batched)
    steps = check_nonnegative_int("steps", steps)
    if gtol is not None:
        gtol = float(check_positive("gtol", gtol)) if gtol != 0 else 0.0
    method, grad = check_options(grad, max_growth, history, h, callback)
    ls = _ls.get(line_search)
    if ls is not None and not (isinstance(optimizer, str) and optimizer.lower() == "gd"):
        raise DescendError("line_search works with optimizer='gd' only (it picks the step along -grad)")
    opt = None if ls is not None else _make_optimizer(optimizer, lr, hyperparameters)
    name = "gd" if ls is not None else _optimizer_name(opt, optimizer)
    res = _jit.dispatch(compiled, f, fun, grad, optimizer, opt, X, lr, steps, gtol, max_growth, history, ls,
                        callback, vectorized, scalar=scalar, batched=batched, name=name)
    if res is not None:  # the whole loop ran compiled (descend.jit), bit for bit this path's numbers
        return res
    obj = Objective(fun, grad, vectorized=vectorized, scalar=scalar, method=method, h=h)
    return _run(obj, X, opt, ls, lr, steps, gtol, callback, max_growth, history,
                scalar=scalar, batched=batched, name=name)


def _run(obj, X, opt, ls, lr, steps, gtol, callback, max_growth, keep, *, scalar, batched, name):
    R, n = X.shape
    nfev = np.zeros(R, dtype=np.int64)
    ngev = np.zeros(R, dtype=np.int64)
    nit = np.zeros(R, dtype=np.int64)
    status = np.full(R, "max_steps", dtype=object)
    reason = [None] * R  # message key and numbers of runs that ended early
    active = np.ones(R, dtype=bool)

    with np.errstate(all="ignore"):  # a diverging run may overflow: that is reported as a status
        F = obj.values(X)
        G = np.full_like(X, np.nan)
        fd = 0
        start_ok = np.isfinite(F)
        if start_ok.all():
            G, fd = obj.gradients(X)
        elif start_ok.any():
            G[start_ok], fd = obj.gradients(X[start_ok])
    nfev += 1 + fd * start_ok
    ngev += start_ok
    gnorm = row_norms(G)
    F0 = F.copy()
    bad0 = ~(np.isfinite(F) & np.isfinite(gnorm))
    status[bad0] = "diverged"
    active &= ~bad0
    for i in np.flatnonzero(bad0):
        reason[i] = ("diverged_start", {})
    limit = None if max_growth is None else F0 + max_growth * np.maximum(1.0, np.abs(F0))

    hx, hf, hg, hlr = ([X.copy()] if keep is True else None), [F.copy()], [gnorm.copy()], []
    # X, F, G and gnorm are replaced, never written in place, after this point: the
    # history lists hold references.
    last_steps = [np.zeros_like(X), np.zeros_like(X)]

    for k in range(steps):
        if gtol is not None:
            done = active & (gnorm <= gtol)
            status[done] = "converged"
            active &= ~done
        if not active.any():
            break
        every = bool(active.all())
        rows = None if every else np.flatnonzero(active)
        if ls is not None:
            rows = np.arange(R) if every else rows
            step_lr = np.full(R, np.nan)
            D = -G[rows]
            with np.errstate(all="ignore"):
                alpha, _, ls_fev = _ls.search(ls, lambda P, r: obj.values(P), X[rows], D, F[rows], G[rows],
                                              gradient=lambda P, r: obj.gradients(P)[0])
            nfev[rows] += ls_fev
            step_lr[rows] = alpha
            failed = alpha == 0
            X_new = X.copy()
            X_new[rows] = X[rows] + alpha[:, None] * D
            for i in rows[failed]:
                status[i] = "stopped"
                reason[i] = ("stopped_line_search", {"step": k + 1})
            active[rows[failed]] = False
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
                break
            X_new[~active] = X[~active]  # runs that stopped do not move
        Xm = X_new if every else X_new[rows]
        with np.errstate(all="ignore"):
            finite_x = finite_rows(Xm)
            F_new = obj.values(Xm) if finite_x.all() else at_rows(obj.values, Xm, finite_x, (len(Xm),))
            finite_f = np.isfinite(F_new)
            # The gradient only where f is finite: a numerical gradient of nan is meaningless.
            if finite_f.all():
                G_new, fd = obj.gradients(Xm)
                fd = np.full(len(Xm), fd)
            else:
                G_new = np.full((len(Xm), n), np.nan)
                fd = np.zeros(len(Xm), dtype=np.int64)
                if finite_f.any():
                    G_new[finite_f], fd[finite_f] = obj.gradients(Xm[finite_f])
            evaluated = finite_x.astype(np.int64)
            graded = finite_f.astype(np.int64)
            gn_new = row_norms(G_new)
            # One reduction tells whether everything is finite (a nan or inf anywhere makes
            # the sum non-finite); only then is it worth finding which rows are not.
            if np.isfinite(F_new.sum() + gn_new.sum()) and finite_x.all():
                nonfinite = np.zeros(len(Xm), dtype=bool)
            else:
                nonfinite = ~(finite_x & np.isfinite(F_new) & np.isfinite(gn_new))
            grown = np.zeros(len(Xm), dtype=bool) if limit is None else (
                ~nonfinite & (F_new > (limit if every else limit[rows])))
        if every and not (nonfinite.any() or grown.any()):
            # The common case: every run moved and stayed finite. Nothing is modified in
            # place, so the history can keep references instead of copies.
            last_steps = [last_steps[1], X_new - X]
            X, F, G, gnorm = X_new, F_new, G_new, gn_new
            nit += 1
            nfev += 1 + fd
            ngev += 1
        else:
            rows = np.arange(R) if every else rows
            for j in np.flatnonzero(nonfinite | grown):
                i = rows[j]
                status[i] = "diverged"
                if nonfinite[j]:
                    what = "x" if not finite_x[j] else ("f" if not np.isfinite(F_new[j]) else "the gradient")
                    reason[i] = ("diverged_nonfinite", {"step": k + 1, "what": what})
                else:
                    reason[i] = ("diverged_growth", {"step": k + 1, "f_bad": F_new[j]})
            nit[rows] += 1
            nfev[rows] += evaluated + fd
            ngev[rows] += graded
            take = rows[~nonfinite]
            last_steps = [last_steps[1], X_new - X]
            X, F, G, gnorm = X.copy(), F.copy(), G.copy(), gnorm.copy()
            X[take] = X_new[take]
            F[take] = F_new[~nonfinite]
            G[take] = G_new[~nonfinite]
            gnorm[take] = gn_new[~nonfinite]
            active[rows[nonfinite | grown]] = False
        hlr.append(step_lr)
        if keep is True:
            hx.append(X)
        if keep:
            hf.append(F)
            hg.append(gnorm)
        if callback is not None:
            state = callback_state(X, F, gnorm, nit, scalar, batched)
            try:
                stop = callback(state)
            except StopIteration:
                stop = True
            if stop:
                for i in np.flatnonzero(active):
                    status[i] = "stopped"
                    reason[i] = ("stopped_callback", {})
                active[:] = False
                break

    if gtol is not None:
        done = active & (gnorm <= gtol)
        status[done] = "converged"
    hlr.append(np.full(R, np.nan))
    hist = None
    if keep:
        hist = History(
            x=None if keep is not True else np.stack(hx),
            f=np.stack(hf), grad_norm=np.stack(hg), lr=np.stack(hlr),
        )
    messages = []
    for i in range(R):
        numbers = message_numbers(i, lr=lr, grad_norm=gnorm, gtol=gtol, nit=nit, f0=F0, fun=F,
                                  max_growth=max_growth, line_search=ls.method if ls is not None else "")
        if reason[i] is not None and status[i] != "converged":
            key, extra = reason[i]
            numbers.update(extra)
        elif status[i] == "max_steps" and not F[i] < F0[i] and nit[i] > 0:
            key = "max_steps_no_decrease"
            numbers["motion"] = _motion([s[i] for s in last_steps])
        else:
            key = status[i]
        messages.append(MESSAGES[key].format(**numbers))
    return finished(X, F, gnorm, nit, nfev, ngev, status, messages, hist, gtol=gtol, lr=lr, name=name,
                    scalar=scalar, batched=batched)
