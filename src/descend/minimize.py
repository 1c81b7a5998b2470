"""The gradient-descent driver: it checks the arguments and picks the loop that runs them.

The loops: :mod:`descend.first_order` (gradient descent, the optimizers of
:mod:`descend.optim`, line searches along -grad), :mod:`descend.jit` (the same loop
compiled, bit for bit) and :mod:`descend.methods` (second-order and quasi-Newton
methods, projected gradient descent); what they share is in :mod:`descend.objective`.

``minimize(f, x0)`` runs one start; ``minimize(f, X0)`` with ``X0`` of shape (R, n)
advances R independent runs as one (R, n) array.  Internally a single run is the
batch of one row, so row i of a batched run takes exactly the same floating-point
operations as the single run from ``X0[i]`` (bit for bit, as long as ``f`` and the
gradient compute each row on its own).
"""

from __future__ import annotations

import numpy as np

from . import jit as _jit
from . import first_order
from . import linesearch as _ls
from .errors import DescendError, check_nonnegative_int, check_positive
from .objective import Objective, check_options, check_x0, resolve_problem
from .problems.problem import check_run_memory
from .result import History, Result

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
        problem, a typed formula or ``descend.compiled(f, grad)``, gd or an elementwise optimizer by name,
        any lr or schedule, float64 x0 with at most 128 variables), True demands it (a
        DescendError names what prevents it), False keeps the NumPy path.  Line searches,
        callbacks and numerical gradients always run on the NumPy path; bfgs, lbfgs and cg on a
        registered problem or typed formula have a compiled solver (:mod:`descend.methods.compiled`).
        None never waits for numba: a configuration whose loop is not yet loaded in this
        process runs on the NumPy path while a background thread loads or compiles it
        (:mod:`descend.jit.ready`; jobs of 5e6 run-steps or more wait for it);
        :func:`descend.jit.wait_ready` waits for that thread.
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
        from . import methods, optim  # on demand: import descend stays light

        if isinstance(method, str) and method.lower() in optim.names() and hess is None and hessp is None:
            optimizer, method = method, None
        else:
            if not (isinstance(optimizer, str) and optimizer.lower() == "gd"):
                raise DescendError(f"give either method={method!r} or optimizer={optimizer!r}, not both")
            if isinstance(method, str) and method.lower() not in methods.METHODS:
                from .errors import unknown_name

                raise DescendError(unknown_name("method", method, list(methods.METHODS) + optim.names()))
            if constraint is not None:
                raise DescendError(f"method={method!r} takes no constraint; constrained runs use projected "
                                   f"gradient descent (method=None)")
            return methods.minimize_method(f, x0, method=method, grad=grad, hess=hess, hessp=hessp, steps=steps,
                                           gtol=gtol, line_search=line_search, vectorized=vectorized,
                                           callback=callback, h=h, max_growth=max_growth, history=history,
                                           compiled=compiled, **hyperparameters)
    if line_search is not None and constraint is None and getattr(_ls.get(line_search), "method", "") == "quadratic":
        from . import methods  # on demand, as above

        if not (isinstance(optimizer, str) and optimizer.lower() == "gd"):
            raise DescendError("line_search works with optimizer='gd' only (it picks the step along -grad)")
        return methods.minimize_method(f, x0, method="steepest_descent", grad=grad, hess=hess, hessp=hessp,
                                       steps=steps, gtol=0.0 if gtol is None else gtol, line_search="quadratic",
                                       vectorized=vectorized, callback=callback, h=h, max_growth=max_growth,
                                       history=history, **hyperparameters)
    if hess is not None or hessp is not None:
        raise DescendError("hess= and hessp= need a second-order method: method='newton' or 'damped_newton'")
    if constraint is not None:
        from . import methods  # on demand, as above

        if not (isinstance(optimizer, str) and optimizer.lower() == "gd"):
            raise DescendError(f"a constraint works with optimizer='gd' (projected gradient descent), "
                               f"got {optimizer!r}")
        return methods.minimize_method(f, x0, method=None, constraint=constraint, lr=lr, grad=grad, steps=steps,
                                       gtol=gtol, line_search=line_search, vectorized=vectorized,
                                       callback=callback, h=h, max_growth=max_growth, history=history,
                                       **hyperparameters)
    f, grad = _jit.unwrap(f, grad)  # descend.compiled(f, grad) brings both
    fun, x0, grad, vectorized, fname = resolve_problem(f, x0, grad, vectorized)
    takes_rows = fun is not f  # a Problem's f and grad take (k, n) rows, even for a number x0 of a 1-D problem
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
    check_run_memory(name, R, n, steps=steps, history=history if not gtol else False)  # without gtol every step runs
    notes: dict = {}  # why a typed formula the compiled path would take stays here (Result.extra)
    res = _jit.dispatch(compiled, f, fun, grad, optimizer, opt, X, lr, steps, gtol, max_growth, history, ls,
                        callback, vectorized, scalar=scalar, batched=batched, name=name, notes=notes)
    if res is not None:  # the whole loop ran compiled (descend.jit), bit for bit this path's numbers
        return res
    obj = Objective(fun, grad, vectorized=vectorized, scalar=scalar and not takes_rows, method=method, h=h)
    res = first_order.run(obj, X, opt, ls, lr, steps, gtol, callback, max_growth, history,
                          scalar=scalar, batched=batched, name=name)
    res.extra.update(notes)
    return res

