"""The Taylor test's picture: the remainder against h on log-log axes, slope 2 for a right gradient."""

from __future__ import annotations

import numpy as np

from ..errors import DescendError
from . import _base
from ._base import tag


def taylor_test(report_or_f, grad=None, x=None, *, ax=None, title=None, **kwargs):
    """Draw a Taylor test: ``|f(x + h d) - f(x) - h g.d|`` against h, one line per direction.

    A right gradient gives slope 2 (the dotted guide), a wrong one slope 1 (the
    dashed one, drawn through ``|f(x + h d) - f(x)|``, the remainder of g = 0).
    The points the rate was fitted on are filled; those below the rounding noise
    of f are left out of the fit and drawn faint.

    Parameters
    ----------
    report_or_f : TaylorCheck or callable
        The output of :func:`descend.diff.taylor_test` (or ``check_grad(...,
        method="taylor")``), or f, with ``grad`` and ``x`` (and ``kwargs`` for the test).
    grad, x : optional
        The gradient under test and the point (with a function).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Lines with gids ``descend:remainder``, ``descend:fit``, ``descend:slope``.
    """
    from ..diff import TaylorCheck, taylor_test as run

    if isinstance(report_or_f, TaylorCheck):
        if grad is not None or x is not None or kwargs:
            raise DescendError("grad, x and the test's options go with a function, not with a TaylorCheck")
        rep = report_or_f
    elif callable(report_or_f):
        if grad is None or x is None:
            raise DescendError("grad and x are required when report_or_f is a function")
        rep = run(report_or_f, grad, x, **kwargs)
    else:
        raise DescendError(f"report_or_f must be a TaylorCheck or a callable, got {type(report_or_f).__name__}")
    ax = _base.new_axes(ax)
    hs = rep.hs
    tiny = np.finfo(float).tiny
    for k, color in zip(range(len(rep.rates)), _base.colors(len(rep.rates))):
        r = np.maximum(rep.remainders[k], tiny)
        (line,) = ax.loglog(hs, r, color=color, alpha=0.35, linewidth=1)
        tag(line, "remainder")
        used = rep.used[k]
        label = f"direction {k}: rate {rep.rates[k]:.2f}" if used.any() else f"direction {k}: at rounding level"
        (fit,) = ax.loglog(hs[used], r[used], color=color, marker="o", linestyle="-", linewidth=1.6,
                           label=label)
        tag(fit, "fit")
    anchor = np.flatnonzero(rep.used.any(axis=0))
    if anchor.size:
        j = anchor[0]
        r0 = float(np.nanmax(np.where(rep.used[:, j], rep.remainders[:, j], np.nan)))
        (two,) = ax.loglog(hs, r0 * (hs / hs[j]) ** 2, color="0.3", linestyle=":", linewidth=1, label="slope 2")
        tag(two, "slope")
        z0 = float(np.max(rep.zeroth[:, j]))
        (one,) = ax.loglog(hs, z0 * (hs / hs[j]), color="0.3", linestyle="--", linewidth=1,
                           label="slope 1 (g = 0)")
        tag(one, "slope")
    ax.set_xlabel("step h")
    ax.set_ylabel("|f(x + h d) - f(x) - h g.d|")
    verdict = "passed" if rep.passed else "FAILED"
    ax.set_title(title or f"Taylor test {verdict}: rate {rep.rate:.2f} (2: right gradient, 1: wrong)",
                 fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    return ax
