"""Line searches along a descent direction, for one run or many rows at once.

Each search is a one-dimensional core over ``phi(a) = f(x + a * d)`` (scipy's
``scalar_search_*`` model): ``phi`` takes one step size per row, shape (k,), and
returns f at the k points ``x_i + a_i * d_i``.  :func:`search` is the thin vector
wrapper that builds ``phi`` from the objective, the points and the directions.

Every core returns ``(alpha, phi(alpha), nfev_per_row)``; a row whose search found
no decrease gets ``alpha = 0``.  The strong-Wolfe search :func:`wolfe` also needs
``phi'(a) = grad f(x + a d) . d`` and returns a :class:`WolfeStep` (the gradient at
the accepted point comes with it, so a quasi-Newton method pays nothing extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .errors import DescendError, check_in_range, check_nonnegative_int, check_positive, unknown_name

__all__ = ["LineSearch", "METHODS", "backtracking", "grid", "golden", "search", "get",
           "wolfe", "wolfe_scalar", "search_wolfe", "initial_step", "quadratic_trial", "WolfeStep",
           "WOLFE_STATUS"]

METHODS = ("backtracking", "grid", "exact", "wolfe", "quadratic")

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0  # 0.618...: the interval shrinks by this factor per step


@dataclass(frozen=True)
class LineSearch:
    """Settings of a line search.

    Parameters
    ----------
    method : {"backtracking", "grid", "exact", "wolfe", "quadratic"}
        "backtracking": Armijo backtracking, start at ``alpha0`` and multiply by
        ``rho`` until ``f(x + a d) <= f(x) + c1 * a * grad.d``.
        "grid": the seeds' idea, try every step in ``grid`` and keep the best.
        "exact": minimize ``phi`` on ``[0, alpha_max]`` by golden-section search
        (after bracketing), to a relative tolerance ``xtol``.
        "wolfe": a step satisfying the strong Wolfe conditions
        ``phi(a) <= phi(0) + c1 a phi'(0)`` and ``|phi'(a)| <= c2 |phi'(0)|``
        (bracketing, then zoom: Nocedal & Wright alg. 3.5 / 3.6, as scipy's
        ``scalar_search_wolfe2``); needs ``0 < c1 < c2 < 1``.
        "quadratic": the step ``eps* = g'g / g'Hg`` that minimizes the local quadratic
        model along -g (Goodfellow eq. 4.10), from the Hessian at every step (minimize
        runs it through :mod:`descend.methods`); a run stops where ``g'Hg <= 0``.
    c2 : float
        The curvature constant of the Wolfe search (0.9 for quasi-Newton
        methods, 0.1 or 0.4 is usual for nonlinear conjugate gradient).
    amax : float or None
        The largest step the Wolfe search may try.
    bracket_iter, zoom_iter : int
        The most trial steps of the Wolfe search's two phases (scipy's 10 and 10).
    approximate : bool
        Let the Wolfe search accept a step by its slope where f is flat to rounding
        (see :func:`wolfe`).
    """

    method: str = "backtracking"
    alpha0: float = 1.0
    rho: float = 0.5
    c1: float = 1e-4
    max_iter: int = 60
    grid: tuple = tuple(np.logspace(-4, 1, 21))
    xtol: float = 1e-10
    c2: float = 0.9
    amax: float | None = None
    bracket_iter: int = 10
    zoom_iter: int = 10
    approximate: bool = True

    def __post_init__(self):
        if self.method not in METHODS:
            raise DescendError(unknown_name("line search", self.method, METHODS))
        check_positive("alpha0", self.alpha0)
        check_in_range("rho", self.rho, 0, 1, lo_open=True, hi_open=True)
        check_in_range("c1", self.c1, 0, 1, lo_open=True, hi_open=True)
        if len(self.grid) == 0:
            raise DescendError("grid must hold at least one step size, got an empty grid")
        for a in self.grid:
            check_positive("grid step", a)
        check_positive("xtol", self.xtol)
        check_in_range("c2", self.c2, 0, 1, lo_open=True, hi_open=True)
        if self.method == "wolfe":
            _check_c1_c2(self.c1, self.c2)
        if self.amax is not None:
            check_positive("amax", self.amax)
        for name in ("bracket_iter", "zoom_iter"):
            if check_nonnegative_int(name, getattr(self, name)) < 1:
                raise DescendError(f"{name} must be an integer >= 1, got {getattr(self, name)}")


def _check_c1_c2(c1, c2):
    """The Wolfe constants must satisfy 0 < c1 < c2 < 1 (scipy's ``_check_c1_c2``)."""
    check_in_range("c1", c1, 0, 1, lo_open=True, hi_open=True)
    check_in_range("c2", c2, 0, 1, lo_open=True, hi_open=True)
    if not c1 < c2:
        raise DescendError(f"the Wolfe constants must satisfy 0 < c1 < c2 < 1, got c1={c1!r} and c2={c2!r}")


def get(line_search) -> LineSearch | None:
    """None, a method name or a :class:`LineSearch`."""
    if line_search is None or isinstance(line_search, LineSearch):
        return line_search
    if isinstance(line_search, str):
        return LineSearch(method=line_search)
    raise DescendError(f"line_search must be None, one of {', '.join(METHODS)} or a LineSearch, got {line_search!r}")


def backtracking(phi, phi0, dphi0, alpha0=1.0, rho=0.5, c1=1e-4, max_iter=60):
    """Armijo backtracking on each row: the largest ``alpha0 * rho**j`` with
    ``phi(a) <= phi0 + c1 * a * dphi0``.  ``dphi0`` (< 0 for a descent direction) is
    the directional derivative at 0."""
    k = phi0.shape[0]
    alpha = np.full(k, float(alpha0))
    value = np.full(k, np.nan)
    todo = np.ones(k, dtype=bool)
    nfev = np.zeros(k, dtype=np.int64)
    descent = dphi0 < 0
    todo &= descent  # no step along an ascent direction can satisfy Armijo for small a
    for _ in range(max_iter):
        if not todo.any():
            break
        rows = np.flatnonzero(todo)
        trial = phi(alpha[rows], rows)
        nfev[rows] += 1
        # Armijo, plus a strict decrease: a step so small that x + a d == x in floating point
        # satisfies phi(a) <= phi0 + (a rounded-away term) without moving at all.
        ok = np.isfinite(trial) & (trial <= phi0[rows] + c1 * alpha[rows] * dphi0[rows]) & (trial < phi0[rows])
        value[rows[ok]] = trial[ok]
        todo[rows[ok]] = False
        alpha[rows[~ok]] *= rho
    failed = ~np.isfinite(value)
    alpha[failed] = 0.0
    value[failed] = phi0[failed]
    return alpha, value, nfev


def grid(phi, phi0, steps):
    """Try every step size of ``steps`` on every row and keep the one with the lowest phi
    (0 when none decreases phi)."""
    steps = np.asarray(steps, dtype=float)
    k = phi0.shape[0]
    rows = np.repeat(np.arange(k), steps.size)
    trial = phi(np.tile(steps, k), rows).reshape(k, steps.size)
    trial = np.where(np.isfinite(trial), trial, np.inf)
    best = np.argmin(trial, axis=1)
    value = trial[np.arange(k), best]
    alpha = steps[best]
    worse = ~(value < phi0)
    alpha[worse] = 0.0
    value[worse] = phi0[worse]
    return alpha, value, np.full(k, steps.size, dtype=np.int64)


def golden(phi, phi0, alpha0=1.0, xtol=1e-10, max_iter=200):
    """Exact line search: bracket a minimum of phi on [0, b] by doubling b while phi
    keeps decreasing, then golden-section search inside the bracket."""
    k = phi0.shape[0]
    everyone = np.arange(k)
    nfev = np.zeros(k, dtype=np.int64)
    # Bracket: grow b until phi(b) >= phi(b/2) (phi is then not monotone on [0, b]).
    b = np.full(k, float(alpha0))
    fb = phi(b, everyone)
    nfev += 1
    growing = np.isfinite(fb) & (fb < phi0)
    for _ in range(60):
        if not growing.any():
            break
        rows = np.flatnonzero(growing)
        trial = phi(2.0 * b[rows], rows)
        nfev[rows] += 1
        better = np.isfinite(trial) & (trial < fb[rows])
        b[rows[better]] *= 2.0
        fb[rows[better]] = trial[better]
        growing[rows[~better]] = False
    hi = 2.0 * b
    lo = np.zeros(k)
    # Golden section on [lo, hi]: keep two interior points c < d.
    c = hi - _GOLDEN * (hi - lo)
    d = lo + _GOLDEN * (hi - lo)
    fc = phi(c, everyone)
    fd = phi(d, everyone)
    nfev += 2
    for _ in range(max_iter):
        if np.all(hi - lo <= xtol * np.maximum(1.0, hi)):
            break
        fc = np.where(np.isfinite(fc), fc, np.inf)
        fd = np.where(np.isfinite(fd), fd, np.inf)
        left = fc <= fd  # the minimum lies in [lo, d], else in [c, hi]
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        # The interior point that survives is reused: one new evaluation per row.
        keep = np.where(left, c, d)
        f_keep = np.where(left, fc, fd)
        new = np.where(left, hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo))
        f_new = phi(new, everyone)
        nfev += 1
        c, fc = np.where(left, new, keep), np.where(left, f_new, f_keep)
        d, fd = np.where(left, keep, new), np.where(left, f_keep, f_new)
    alpha = np.where(fc <= fd, c, d)
    value = np.minimum(fc, fd)
    worse = ~(value < phi0)
    alpha[worse] = 0.0
    value[worse] = phi0[worse]
    return alpha, value, nfev


# --------------------------------------------------------------------------- strong Wolfe

#: Why a row's Wolfe search ended: index into this tuple is :attr:`WolfeStep.status`.
WOLFE_STATUS = ("ok", "not_descent", "rounding", "amax", "bracket_iter", "zoom_iter", "nonfinite")
_OK, _NOT_DESCENT, _ROUNDING, _AMAX, _BRACKET_ITER, _ZOOM_ITER, _NONFINITE = range(7)
_BRACKET, _ZOOM, _DONE, _FLAT = 0, 1, 2, 3


class WolfeStep(NamedTuple):
    """What :func:`wolfe` found on each row.

    ``alpha`` is the accepted step (0 where the search failed), ``phi`` and
    ``dphi`` phi and phi' there (phi(0) and nan where it failed), ``nfev`` and
    ``ngev`` the evaluations of phi and phi' per row, ``status`` an index into
    :data:`WOLFE_STATUS` (0: both Wolfe conditions hold).
    """

    alpha: np.ndarray
    phi: np.ndarray
    dphi: np.ndarray
    nfev: np.ndarray
    ngev: np.ndarray
    status: np.ndarray
    approximate: np.ndarray  # accepted by the approximate Wolfe test (f flat to rounding)

    @property
    def ok(self) -> np.ndarray:
        return self.status == _OK


def initial_step(phi0, old_phi0, dphi0):
    """The first trial step of a Wolfe search from the previous decrease (scipy's rule,
    Nocedal & Wright eq. 3.60): ``min(1, 2.02 (phi0 - old_phi0) / phi'(0))``, 1 where
    that is not positive or undefined."""
    phi0, old_phi0, dphi0 = (np.asarray(v, dtype=float) for v in (phi0, old_phi0, dphi0))
    with np.errstate(all="ignore"):
        guess = np.minimum(1.0, 1.01 * 2 * (phi0 - old_phi0) / dphi0)
    # guess == 0 when f did not change (scipy then tries 0 and fails "rounding"): use 1.
    return np.where(np.isfinite(guess) & (guess > 0) & (dphi0 != 0), guess, 1.0)


def quadratic_trial(phi, phi0, dphi0, alpha):
    """A first trial step from one look along the line (Hager and Zhang's QuadStep): phi at
    ``alpha``, then the minimizer of the quadratic through phi(0), phi'(0) and phi(alpha)
    where that quadratic is convex (``alpha`` itself where it is not; at least
    ``alpha / 10``).  On a quadratic f
    the result is the exact minimizer along the line, which gives conjugate gradient its
    finite termination.  Costs one evaluation of phi per row.

    Returns ``(trial, nfev)``.
    """
    k = phi0.shape[0]
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (k,)).copy()
    with np.errstate(all="ignore"):
        fa = np.asarray(phi(alpha, np.arange(k)), dtype=float)
        curvature = (fa - phi0 - dphi0 * alpha) / (alpha * alpha)  # B of B a^2 + phi'(0) a + phi(0)
        q = -dphi0 / (2.0 * curvature)
    ok = np.isfinite(q) & (curvature > 0) & (q > 0)
    # Not below alpha / 10: a far smaller model step means phi(alpha) rose steeply, and the
    # search's zoom interpolates better from a rejected trial than its doubling climbs.
    return np.where(ok, np.maximum(q, 0.1 * alpha), alpha), np.ones(k, dtype=np.int64)


def _quadmin(a, fa, fpa, b, fb):
    """Minimizer of the quadratic through (a, fa), (b, fb) with slope fpa at a (nan if none)."""
    db = b - a * 1.0
    B = (fb - fa - fpa * db) / (db * db)
    return a - fpa / (2.0 * B)


def _cubicmin(a, fa, fpa, b, fb, c, fc):
    """Minimizer of the cubic through (a, fa), (b, fb), (c, fc) with slope fpa at a (nan if none)."""
    db = b - a
    dc = c - a
    denom = (db * dc) ** 2 * (db - dc)
    rb = fb - fa - fpa * db
    rc = fc - fa - fpa * dc
    A = (dc ** 2 * rb + -db ** 2 * rc) / denom
    B = (-dc ** 3 * rb + db ** 3 * rc) / denom
    radical = B * B - 3 * A * fpa
    return a + (-B + np.sqrt(radical)) / (3 * A)  # sqrt of a negative radical: nan, no minimizer


def _zoom_trial(lo, hi, f_lo, f_hi, d_lo, rec, f_rec, first):
    """The next trial inside [lo, hi] (scipy's ``_zoom``): the cubic's minimizer, unless it
    lies within 20% of the interval from an end; then the quadratic's, unless within 10%;
    then the midpoint."""
    dalpha = hi - lo
    a, b = np.minimum(lo, hi), np.maximum(lo, hi)
    cchk = 0.2 * dalpha
    aj = _cubicmin(lo, f_lo, d_lo, hi, f_hi, rec, f_rec)
    cubic_ok = ~first & np.isfinite(aj) & ~(aj > b - cchk) & ~(aj < a + cchk)
    qchk = 0.1 * dalpha
    aq = _quadmin(lo, f_lo, d_lo, hi, f_hi)
    quad_bad = ~np.isfinite(aq) | (aq > b - qchk) | (aq < a + qchk)
    aq = np.where(quad_bad, lo + 0.5 * dalpha, aq)
    return np.where(cubic_ok, aj, aq)


#: Relative size of the rounding noise in f, for the approximate Wolfe test.
_NOISE = 1e3 * np.finfo(float).eps


def wolfe(phi, dphi, phi0, dphi0, alpha1=1.0, c1=1e-4, c2=0.9, amax=None, bracket_iter=10, zoom_iter=10,
          approximate=True):
    """Strong-Wolfe line search on every row at once: bracketing, then zoom.

    Finds ``a > 0`` with the sufficient decrease ``phi(a) <= phi(0) + c1 a phi'(0)``
    and the curvature condition ``|phi'(a)| <= c2 |phi'(0)|`` (Nocedal & Wright,
    *Numerical Optimization*, 2nd ed., alg. 3.5 and 3.6).  Each row goes through the
    same trials, in the same order, as scipy's ``scalar_search_wolfe2`` would on it
    alone: the step doubles until it brackets an acceptable one, then cubic, quadratic
    or bisection interpolation narrows the bracket.  Rows advance together, one
    evaluation of phi (and of phi' where it is needed) per round.

    Parameters
    ----------
    phi, dphi : callable
        ``phi(alpha, rows)`` and ``dphi(alpha, rows)``: phi and phi' of the runs
        ``rows`` (int array, shape (m,)) at the steps ``alpha`` (shape (m,)).
    phi0, dphi0 : ndarray, shape (k,)
        phi(0) and phi'(0) (< 0 along a descent direction).
    alpha1 : float or ndarray
        The first trial step (see :func:`initial_step`).
    c1, c2 : float
        0 < c1 < c2 < 1.
    amax : float or None
        The largest step allowed.
    bracket_iter, zoom_iter : int
        The most trials of each phase.
    approximate : bool
        Near a minimum the decrease ``a phi'(0)`` a trial predicts can be smaller than
        the rounding noise of f (``1000 eps |phi(0)|``): sufficient decrease can then
        no longer be checked.  With ``approximate``, a trial that fails the decrease
        test in that regime, but whose phi is within the noise of phi(0) and whose
        slope meets the curvature condition, is accepted (the approximate Wolfe test
        of Hager and Zhang, SIAM J. Optim. 16, 2005); ``WolfeStep.approximate`` marks
        it.  Elsewhere the search is scipy's, trial for trial.

    Returns
    -------
    WolfeStep
        A failed row (status != 0) keeps ``alpha = 0``: it did not move.  Unlike
        scipy, which returns its last unchecked trial when bracketing runs out of
        iterations, every step returned with status 0 satisfies both conditions.
    """
    _check_c1_c2(c1, c2)
    phi0 = np.asarray(phi0, dtype=float)
    dphi0 = np.asarray(dphi0, dtype=float)
    k = phi0.shape[0]
    c1 = float(c1)
    c2 = float(c2)
    curvature_bound = -c2 * dphi0
    out_alpha, out_phi, out_dphi = np.zeros(k), phi0.copy(), np.full(k, np.nan)
    approx = np.zeros(k, dtype=bool)
    noise = _NOISE * np.abs(phi0)
    nfev = np.zeros(k, dtype=np.int64)
    ngev = np.zeros(k, dtype=np.int64)
    status = np.full(k, _OK, dtype=np.int64)
    phase = np.full(k, _BRACKET, dtype=np.int64)
    bad = ~(dphi0 < 0) | ~np.isfinite(phi0)  # phi'(0) >= 0: no small step decreases phi
    status[bad] = _NOT_DESCENT
    phase[bad] = _DONE
    # Bracketing state: the previous and current trial (scipy's alpha0, alpha1).
    a0, f_a0, d_a0 = np.zeros(k), phi0.copy(), dphi0.copy()
    a1 = np.broadcast_to(np.asarray(alpha1, dtype=float), (k,)).copy()
    if amax is not None:
        a1 = np.minimum(a1, amax)
    it = np.zeros(k, dtype=np.int64)
    # Zoom state: the bracket [lo, hi] (lo has the lower phi), the previous hi (rec).
    lo, hi, f_lo, f_hi, d_lo = (np.zeros(k) for _ in range(5))
    rec, f_rec = np.zeros(k), phi0.copy()
    zi = np.zeros(k, dtype=np.int64)
    s_neg, s_pos = np.zeros(k), np.full(k, np.inf)  # slope bracket, for rows where f is flat
    fi = np.zeros(k, dtype=np.int64)
    trial = a1.copy()

    def finish(rows, code):
        phase[rows] = _DONE
        status[rows] = code

    def accept(rows, a, f, d):
        out_alpha[rows], out_phi[rows], out_dphi[rows] = a, f, d
        phase[rows] = _DONE

    def start_zoom(rows, new_lo, new_hi, new_f_lo, new_f_hi, new_d_lo):
        lo[rows], hi[rows], f_lo[rows], f_hi[rows], d_lo[rows] = new_lo, new_hi, new_f_lo, new_f_hi, new_d_lo
        rec[rows], f_rec[rows], zi[rows] = 0.0, phi0[rows], 0
        phase[rows] = _ZOOM

    def grow(r, f_new, d_new):
        a2 = 2 * a1[r]  # increase by a factor of two on each iteration
        if amax is not None:
            a2 = np.minimum(a2, amax)
        a0[r], f_a0[r], d_a0[r] = a1[r], f_new, d_new
        a1[r] = a2
        trial[r] = a2
        it[r] += 1
        finish(r[it[r] >= bracket_iter], _BRACKET_ITER)

    def slope(a, r):
        """phi' at the trials, remembering the largest step with a negative slope and the
        smallest with a positive one (a bracket of the line's minimizer by slopes alone)."""
        d = np.asarray(dphi(a, r), dtype=float)
        ngev[r] += 1
        neg, pos = d < 0, d > 0
        s_neg[r[neg]] = np.maximum(s_neg[r[neg]], a[neg])
        s_pos[r[pos]] = np.minimum(s_pos[r[pos]], a[pos])
        return d

    def flat_trial(r):
        """Where f is flat to rounding its values cannot order the trials: bisect the
        slope bracket (double while no positive slope is known)."""
        phase[r] = _FLAT
        trial[r] = np.where(np.isfinite(s_pos[r]), 0.5 * (s_neg[r] + s_pos[r]), 2.0 * np.maximum(s_neg[r], trial[r]))
        fi[r] += 1
        finish(r[fi[r] > bracket_iter + zoom_iter], _ZOOM_ITER)

    with np.errstate(all="ignore"):  # interpolation may divide by zero: nan means "no minimizer"
        while True:
            rows = np.flatnonzero(phase != _DONE)
            if rows.size == 0:
                break
            ft = np.asarray(phi(trial[rows], rows), dtype=float)
            nfev[rows] += 1
            ft = np.where(np.isnan(ft), np.inf, ft)  # nan: treated as too far, like an overflow
            at = trial[rows]
            fl = phase[rows] == _FLAT
            if fl.any():  # rows already judged by slopes: accept, or bisect again
                r, a, f_ = rows[fl], at[fl], ft[fl]
                d = slope(a, r)
                good = np.isfinite(d) & (np.abs(d) <= curvature_bound[r]) & (f_ <= phi0[r] + noise[r])
                accept(r[good], a[good], f_[good], d[good])
                approx[r[good]] = True
                finish(r[~np.isfinite(d)], _NONFINITE)
                flat_trial(r[~good & np.isfinite(d)])
                rows, ft, at = rows[~fl], ft[~fl], at[~fl]
            armijo_fails = ft > phi0[rows] + c1 * at * dphi0[rows]
            zooming = phase[rows] == _ZOOM
            if approximate:
                # f flat to rounding along the whole step: judge the trial by its slope alone.
                is_flat = (np.abs(at * dphi0[rows]) <= noise[rows]) & (ft <= phi0[rows] + noise[rows])
                rejected = armijo_fails | np.where(zooming, ft >= f_lo[rows], (ft >= f_a0[rows]) & (it[rows] > 0))
                maybe = is_flat & rejected & (at > 0)
                if maybe.any():
                    mr = rows[maybe]
                    dm = slope(at[maybe], mr)
                    good = np.isfinite(dm) & (np.abs(dm) <= curvature_bound[mr])
                    accept(mr[good], at[maybe][good], ft[maybe][good], dm[good])
                    approx[mr[good]] = True
                    by_slope = ~good & np.isfinite(dm)
                    flat_trial(mr[by_slope])
                    keep = np.ones(rows.size, dtype=bool)
                    keep[np.flatnonzero(maybe)[good | by_slope]] = False
                    rows, ft, at, armijo_fails, zooming = (rows[keep], ft[keep], at[keep], armijo_fails[keep],
                                                          zooming[keep])

            # -- bracketing rows (scipy's loop body, top to the derivative) -----------------
            b = rows[~zooming]
            fb, ab = ft[~zooming], at[~zooming]
            a1[b], trial_fail = ab, np.zeros(b.size, dtype=bool)
            rounding = ab == 0
            too_far = np.zeros(b.size, dtype=bool) if amax is None else a0[b] > amax
            finish(b[rounding], _ROUNDING)
            finish(b[~rounding & too_far], _AMAX)
            trial_fail = rounding | too_far
            up = ~trial_fail & (armijo_fails[~zooming] | ((fb >= f_a0[b]) & (it[b] > 0)))
            start_zoom(b[up], a0[b[up]], ab[up], f_a0[b[up]], fb[up], d_a0[b[up]])
            need_b = ~trial_fail & ~up

            # -- zooming rows: phi at the trial -----------------------------------------
            z = rows[zooming]
            fz, az = ft[zooming], at[zooming]
            shrink = armijo_fails[zooming] | (fz >= f_lo[z])
            zs = z[shrink]
            rec[zs], f_rec[zs], hi[zs], f_hi[zs] = hi[zs], f_hi[zs], az[shrink], fz[shrink]
            need_z = ~shrink

            # -- phi' where the trial decreased phi enough --------------------------------
            need = np.concatenate([b[need_b], z[need_z]])
            if need.size:
                dt = slope(trial[need], need)
                nb = int(need_b.sum())
                db_, dz_ = dt[:nb], dt[nb:]
                self_b, self_z = b[need_b], z[need_z]
                fb_n, fz_n = fb[need_b], fz[need_z]

                bad_b = ~np.isfinite(db_)
                finish(self_b[bad_b], _NONFINITE)
                ok_b = ~bad_b & (np.abs(db_) <= curvature_bound[self_b])
                accept(self_b[ok_b], trial[self_b[ok_b]], fb_n[ok_b], db_[ok_b])
                back = ~bad_b & ~ok_b & (db_ >= 0)  # phi turned up: a minimizer lies in [a0, a1]
                r = self_b[back]
                start_zoom(r, a1[r], a0[r], fb_n[back], f_a0[r], db_[back])
                more = ~bad_b & ~ok_b & ~back
                grow(self_b[more], fb_n[more], db_[more])

                bad_z = ~np.isfinite(dz_)
                finish(self_z[bad_z], _NONFINITE)
                ok_z = ~bad_z & (np.abs(dz_) <= curvature_bound[self_z])
                accept(self_z[ok_z], trial[self_z[ok_z]], fz_n[ok_z], dz_[ok_z])
                move = ~bad_z & ~ok_z
                r, dm, fm = self_z[move], dz_[move], fz_n[move]
                flip = dm * (hi[r] - lo[r]) >= 0  # the minimizer lies on lo's other side
                rf, rk = r[flip], r[~flip]
                rec[rf], f_rec[rf], hi[rf], f_hi[rf] = hi[rf], f_hi[rf], lo[rf], f_lo[rf]
                rec[rk], f_rec[rk] = lo[rk], f_lo[rk]
                lo[r], f_lo[r], d_lo[r] = trial[r], fm, dm

            # -- the zoom rows that go on: count the trial, pick the next ------------------
            cont = z[phase[z] == _ZOOM]
            zi[cont] += 1
            finish(cont[zi[cont] > zoom_iter], _ZOOM_ITER)
            zr = np.flatnonzero(phase == _ZOOM)
            if zr.size:
                trial[zr] = _zoom_trial(lo[zr], hi[zr], f_lo[zr], f_hi[zr], d_lo[zr], rec[zr], f_rec[zr],
                                        zi[zr] == 0)
    return WolfeStep(out_alpha, out_phi, out_dphi, nfev, ngev, status, approx)


def wolfe_scalar(phi, dphi, phi0=None, dphi0=None, old_phi0=None, c1=1e-4, c2=0.9, amax=None,
                 bracket_iter=10, zoom_iter=10):
    """:func:`wolfe` for one plain function of a number: ``phi(a) -> float``.

    Returns ``(alpha, phi(alpha), phi'(alpha))``, with ``alpha`` None where no step
    satisfies both conditions (scipy's ``scalar_search_wolfe2`` convention).
    """
    phi0 = float(phi(0.0)) if phi0 is None else float(phi0)
    dphi0 = float(dphi(0.0)) if dphi0 is None else float(dphi0)
    alpha1 = 1.0 if old_phi0 is None else initial_step(phi0, old_phi0, dphi0)
    step = wolfe(lambda a, rows: np.array([phi(float(a[0]))]), lambda a, rows: np.array([dphi(float(a[0]))]),
                 np.array([phi0]), np.array([dphi0]), alpha1, c1, c2, amax, bracket_iter, zoom_iter)
    if not step.ok[0]:
        return None, phi0, None
    return float(step.alpha[0]), float(step.phi[0]), float(step.dphi[0])


def _dot_rows(A, B):
    """Row-wise dot products; the same per-row arithmetic whatever the number of rows."""
    return np.sum(A * B, axis=1)


def search_wolfe(ls: LineSearch, evaluate, gradient, X, D, F, G, alpha1=1.0):
    """The strong-Wolfe search along ``D`` from the rows of ``X`` (the vector wrapper of :func:`wolfe`).

    ``evaluate(points, rows)`` returns f, ``gradient(points, rows)`` the gradient at
    ``points`` (shape (m, n)) of the runs ``rows``.  Returns ``(step, g_new)``: the
    :class:`WolfeStep` and the gradient at every accepted point (the one phi' was
    computed from, so no extra evaluation is needed; rows that failed keep ``G``).
    """
    G_new = np.array(G, dtype=float, copy=True)

    def phi(alpha, rows):
        return evaluate(X[rows] + alpha[:, None] * D[rows], rows)

    def dphi(alpha, rows):
        g = gradient(X[rows] + alpha[:, None] * D[rows], rows)
        G_new[rows] = g  # the last phi' of a row is at its accepted step, when it has one
        return _dot_rows(g, D[rows])

    dphi0 = _dot_rows(G, D)
    step = wolfe(phi, dphi, F, dphi0, alpha1, ls.c1, ls.c2, ls.amax, ls.bracket_iter, ls.zoom_iter,
                 ls.approximate)
    failed = ~step.ok
    G_new[failed] = G[failed]
    return step, G_new


def search(ls: LineSearch, evaluate, X, D, F, G, gradient=None):
    """Run ``ls`` along directions ``D`` from the rows of ``X``.

    ``evaluate(points, rows)`` returns f at ``points`` (shape (m, n)), which belong to the
    runs ``rows`` (shape (m,)); ``F`` and ``G`` are f and the gradient at ``X``.
    ``gradient(points, rows)`` is needed by the Wolfe search only.
    Returns ``(alpha, f_new, nfev)``, one entry per row (for "wolfe" nfev counts the
    evaluations of f and of the gradient).
    """
    if ls.method == "quadratic":
        raise DescendError("the quadratic line search needs the Hessian: use descend.minimize(..., "
                           "line_search='quadratic'), which takes it from the problem, hess= or finite differences")
    if ls.method == "wolfe":
        if gradient is None:
            raise DescendError("the wolfe line search needs the gradient along the line: pass gradient=")
        step, _ = search_wolfe(ls, evaluate, gradient, X, D, F, G)
        return step.alpha, step.phi, step.nfev + step.ngev

    def phi(alpha, rows):
        return evaluate(X[rows] + alpha[:, None] * D[rows], rows)

    dphi0 = np.einsum("ij,ij->i", G, D)
    if ls.method == "backtracking":
        return backtracking(phi, F, dphi0, ls.alpha0, ls.rho, ls.c1, ls.max_iter)
    if ls.method == "grid":
        return grid(phi, F, ls.grid)
    return golden(phi, F, ls.alpha0, ls.xtol)
