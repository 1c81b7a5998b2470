"""Second-order and quasi-Newton methods of :func:`descend.minimize` (``method=...``).

==============  ===========================================================  ============
method          direction d                                                  step
==============  ===========================================================  ============
newton          ``-H^-1 g`` (pure Newton: attracted to any critical point)    1
damped_newton   ``-(H + lambda I)^-1 g``, lambda > 0 only where H is not PD   strong Wolfe
cg              ``-g + beta d_prev`` (Polak-Ribiere+, or ``beta="fr"``)       strong Wolfe
bfgs            ``-H_k g``, H_k the BFGS inverse-Hessian estimate             strong Wolfe
lbfgs           ``-H_k g`` from the last ``m=10`` pairs (two-loop recursion)  strong Wolfe
==============  ===========================================================  ============

Hessians (newton, damped_newton) come from ``hess=``, else ``hessp=``, else the
Problem's analytic Hessian, else :func:`descend.hessian`.  With ``hessp`` alone,
damped_newton is Newton-CG (the direction from truncated conjugate gradient on
``H d = -g``, products only, as scipy's Newton-CG) and newton builds H from n products.
Many runs at once work as for the first-order driver: x0 of shape (R, n); Newton
solves the R systems with one ``np.linalg.solve`` on the (R, n, n) stack.

cg, bfgs and lbfgs on a registered problem or a typed formula run compiled where numba is
installed (:mod:`descend.methods.compiled`, :mod:`descend.jit.second_order`): the same numbers,
counts, messages and history, under minimize's ``compiled`` policy.
"""

from __future__ import annotations

import numpy as np

from .. import linesearch as _ls
from ..errors import DescendError, check_nonnegative_int, check_positive, unknown_name
from ..objective import FD_METHODS, Objective, check_options, check_x0, resolve_problem
from .cg import ConjugateGradient
from .hessians import HessianSource
from .newton import DampedNewton, Newton, SteepestDescent
from .quasi_newton import BFGS, LBFGS

__all__ = ["METHODS", "minimize_method", "Newton", "DampedNewton", "ConjugateGradient", "BFGS", "LBFGS",
           "HessianSource"]

_RULES = {"newton": Newton, "damped_newton": DampedNewton, "cg": ConjugateGradient, "bfgs": BFGS, "lbfgs": LBFGS}
#: The names ``minimize(method=...)`` accepts beside the first-order optimizers.
METHODS = tuple(_RULES)
_RULES["steepest_descent"] = SteepestDescent  # line_search="quadratic" of plain gradient descent
_OPTIONS = {"newton": (), "damped_newton": (), "steepest_descent": (), "cg": ("beta", "restart", "quadratic_start"), "bfgs": (),
            "lbfgs": ("m", "quadratic_start")}
DEFAULT_GTOL = 1e-5  # scipy.optimize.minimize's default for BFGS and CG


def make_rule(method, **options):
    """The rule object of ``method`` with its options (checked: an unknown one lists the valid ones)."""
    name = method.lower() if isinstance(method, str) else method
    if name not in _RULES:
        raise DescendError(unknown_name("method", method, METHODS))  # steepest_descent stays unlisted
    allowed = _OPTIONS[name]
    for key in options:
        if key not in allowed:
            valid = ", ".join(allowed) if allowed else "none"
            raise DescendError(f"method {name!r} has no option {key!r}; valid: {valid}")
    return _RULES[name](**options)


_WOLFE: dict = {}  # c2 -> the frozen LineSearch of the default Wolfe search


def _line_search(rule, line_search):
    if line_search is None:
        line_search = rule.default_line_search
        if line_search is None:
            return None
    if rule.name == "newton":
        raise DescendError("method 'newton' takes the full Newton step; for a line search along the Newton "
                           "direction use method='damped_newton'")
    if isinstance(line_search, str) and line_search == "wolfe":
        c2 = getattr(rule, "c2", 0.9)
        if c2 not in _WOLFE:  # made once: its checks cost more than a small compiled solve
            _WOLFE[c2] = _ls.LineSearch("wolfe", c2=c2)
        return _WOLFE[c2]
    ls = _ls.get(line_search)
    if ls.method == "quadratic" and not rule.needs_hessian:
        raise DescendError(f"the quadratic line search needs the Hessian, which method {rule.name!r} does not "
                           f"use; it works with plain gradient descent and damped_newton")
    return ls


def minimize_method(f, x0=None, *, method, grad=None, hess=None, hessp=None, steps=100, gtol=None,
                    line_search=None, vectorized=False, callback=None, h=None, max_growth=1e8, history=True,
                    constraint=None, lr=None, compiled=None, **options):
    """:func:`descend.minimize` with ``method=`` one of :data:`METHODS` (see there for the arguments),
    or projected gradient descent with ``constraint=`` (``method=None``, step ``lr``); x0 is then
    projected onto the set first.  ``compiled``: bfgs, lbfgs and cg on a registered problem or a
    typed formula run compiled where they can (:mod:`descend.methods.compiled`)."""
    from ..problems.problem import Problem, check_run_memory
    from .driver import run

    if constraint is not None:
        if options:
            raise DescendError(f"projected gradient descent takes no options, got {sorted(options)}")
        rule = None
    else:
        rule = make_rule(method, **options)
    problem_hess = f.hessian if isinstance(f, Problem) else None
    hess_vectorized = bool(vectorized)  # a Problem's f is vectorized; the user's hess= is per point unless said
    fun, x0, grad, vectorized, _ = resolve_problem(f, x0, grad, vectorized)
    takes_rows = isinstance(f, Problem)  # a Problem's f and grad take (k, n) rows, even for a 1-D problem's number x0
    x0 = check_x0(x0)
    scalar, batched = x0.ndim == 0, x0.ndim == 2
    X = x0.reshape(1, 1) if scalar else (x0.copy() if batched else x0.reshape(1, -1).copy())
    R, n = X.shape
    X = X.astype(float)
    if constraint is not None:
        from ..constraints.sets import check_constraint
        from .projected import ProjectedGradient

        check_constraint(constraint, n)
        if callable(lr) or lr is None:
            raise DescendError("a constraint needs a fixed lr (a number, or one per run): projected gradient "
                               "descent steps x <- P(x - lr grad)")
        lr_arr = np.asarray(lr, dtype=float)
        if lr_arr.ndim not in (0, 1) or (lr_arr.ndim == 1 and lr_arr.shape != (R,)):
            raise DescendError(f"lr must be a number or have shape ({R},) (one per run), got shape {lr_arr.shape}")
        check_positive("lr", lr_arr, allow_array=True)
        rule = ProjectedGradient(constraint, lr_arr)
        X = constraint.project(X)
        if line_search is not None and _ls.get(line_search).method == "wolfe":
            raise DescendError("a constraint works with line_search=None, 'backtracking', 'grid' or 'exact' "
                               "(the Wolfe curvature test does not hold on the boundary)")
    steps = check_nonnegative_int("steps", steps)
    gtol = DEFAULT_GTOL if gtol is None else (float(check_positive("gtol", gtol)) if gtol != 0 else 0.0)
    fd_method, grad = check_options(grad, max_growth, history, h, callback,
                                     unknown_grad=lambda g: unknown_name("gradient method", g, FD_METHODS))
    ls = _line_search(rule, line_search)
    obj = Objective(fun, grad, vectorized=vectorized, scalar=scalar and not takes_rows, method=fd_method, h=h)
    source = None
    if rule.needs_hessian:
        if hess is not None:
            source = HessianSource(R, hess=hess, vectorized=hess_vectorized, objective=obj)
        elif hessp is not None:  # given: preferred to the Problem's Hessian
            source = HessianSource(R, hessp=hessp, objective=obj)
        elif problem_hess is not None:
            source = HessianSource(R, hess=problem_hess, vectorized=True, objective=obj)
        else:
            source = HessianSource(R, objective=obj)
    elif hess is not None or hessp is not None:
        raise DescendError(f"method {rule.name!r} uses no Hessian; hess= and hessp= are for newton and "
                           f"damped_newton")
    check_run_memory(method or rule.name, R, n, m=options.get("m"), hessp=source is not None and source.kind == "hessp")
    notes: dict = {}  # why a typed formula the compiled solver would take stays here (Result.extra)
    if compiled is not False and constraint is None:
        from .compiled import dispatch

        res = dispatch(compiled, f, grad, X, rule, ls, steps=steps, gtol=gtol, max_growth=max_growth,
                       history=history, callback=callback, scalar=scalar, batched=batched, notes=notes)
        if res is not None:  # bit for bit the numbers of run() below
            return res
    elif compiled is True:
        raise DescendError("compiled=True, but a constraint runs on the NumPy path")
    res = run(obj, X, rule, ls, source, steps=steps, gtol=gtol, callback=callback, max_growth=max_growth,
              keep=history, scalar=scalar, batched=batched)
    res.extra.update(notes)
    return res
