"""The strong-Wolfe line search: its one-dimensional core, its first trial steps, its vector wrapper.

:func:`wolfe` finds, on k rows at once, a step satisfying the strong Wolfe conditions
along ``phi(a) = f(x + a d)`` (bracketing, then zoom: Nocedal & Wright alg. 3.5 / 3.6,
as scipy's ``scalar_search_wolfe2``); :func:`wolfe_scalar` is the same for one plain
function of a number, :func:`search_wolfe` the wrapper over points and directions.
:func:`initial_step` and :func:`quadratic_trial` choose the first trial step.

Long because: the search is kept twice, over k rows with masks (:class:`_WolfeRows`) and for
one row on plain floats (:class:`_WolfeOne`, the same trials at a fraction of the cost per
trial), side by side so that a change to one is seen next to the other.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import DescendError, check_in_range

__all__ = ["wolfe", "wolfe_scalar", "search_wolfe", "initial_step", "quadratic_trial", "WolfeStep",
           "WOLFE_STATUS", "check_c1_c2", "wolfe_stop", "BRACKET_ITER", "DOUBLINGS", "zoom_trial"]


def check_c1_c2(c1, c2):
    """The Wolfe constants must satisfy 0 < c1 < c2 < 1 (scipy's ``_check_c1_c2``)."""
    if type(c1) is float and type(c2) is float and 0.0 < c1 < c2 < 1.0:
        return  # the common case, checked without building arrays (once per line search)
    check_in_range("c1", c1, 0, 1, lo_open=True, hi_open=True)
    check_in_range("c2", c2, 0, 1, lo_open=True, hi_open=True)
    if not c1 < c2:
        raise DescendError(f"the Wolfe constants must satisfy 0 < c1 < c2 < 1, got c1={c1!r} and c2={c2!r}")


#: Why a row's Wolfe search ended: index into this tuple is :attr:`WolfeStep.status`.
WOLFE_STATUS = ("ok", "not_descent", "rounding", "amax", "bracket_iter", "zoom_iter", "nonfinite")
_OK, _NOT_DESCENT, _ROUNDING, _AMAX, _BRACKET_ITER, _ZOOM_ITER, _NONFINITE = range(7)
_BRACKET, _ZOOM, _DONE, _FLAT = 0, 1, 2, 3


#: The message (a key of :data:`descend.result.MESSAGES`) for a run whose Wolfe search failed,
#: by status; "rounding" and "zoom_iter" are the messages after the drivers' Armijo fallback
#: found no decrease either.
WOLFE_MESSAGES = {"not_descent": "stopped_not_descent", "rounding": "stopped_wolfe_step_too_small",
                  "amax": "stopped_wolfe_amax", "bracket_iter": "stopped_wolfe_unbounded",
                  "zoom_iter": "stopped_wolfe_no_progress", "nonfinite": "stopped_wolfe_nonfinite"}


def wolfe_stop(step, j):
    """Why row ``j`` of the :class:`WolfeStep` ``step`` failed: ``(key, numbers)``, a key of
    :data:`descend.result.MESSAGES` and the numbers its text needs beyond a driver's own
    (step, c1, c2, method, grad_norm, fun)."""
    status = WOLFE_STATUS[int(step.status[j])]
    numbers = {}
    if status == "bracket_iter":
        reach = float(step.reach[j]) if step.reach is not None else float("nan")
        phi_reach = float(step.phi_reach[j]) if step.phi_reach is not None else float("nan")
        numbers = {"reach": reach, "phi_reach": phi_reach}
    return WOLFE_MESSAGES[status], numbers


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
    reach: np.ndarray = None  # the largest step tried on each row
    phi_reach: np.ndarray = None  # phi there (for an honest message where bracketing ran out)

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


def zoom_trial(lo, hi, f_lo, f_hi, d_lo, rec, f_rec, first):
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


_EPS = np.finfo(float).eps
#: Relative size of the rounding noise in f, for the approximate Wolfe test.
_NOISE = 1e3 * _EPS
#: The bracketing phase doubles the step for this many trials (scipy's ``scalar_search_wolfe2``
#: stops there), then grows it 4-fold per trial (MINPACK's dcsrch extrapolates up to 5-fold).
DOUBLINGS = 10
_FAR_GROWTH = 4.0
#: The default number of bracketing trials: 10 doublings, then 30 4-fold steps, a range of
#: 2^10 4^30 ~ 1e21 beyond the first trial, before f is called unbounded below along d.
BRACKET_ITER = 40


def wolfe(phi, dphi, phi0, dphi0, alpha1=1.0, c1=1e-4, c2=0.9, amax=None, bracket_iter=BRACKET_ITER,
          zoom_iter=10, approximate=True):
    """Strong-Wolfe line search on every row at once: bracketing, then zoom.

    Finds ``a > 0`` with the sufficient decrease ``phi(a) <= phi(0) + c1 a phi'(0)``
    and the curvature condition ``|phi'(a)| <= c2 |phi'(0)|`` (Nocedal & Wright,
    *Numerical Optimization*, 2nd ed., alg. 3.5 and 3.6).  Each row goes through the
    same trials, in the same order, as scipy's ``scalar_search_wolfe2`` would on it
    alone: the step doubles until it brackets an acceptable one, then cubic, quadratic
    or bisection interpolation narrows the bracket.  Where scipy's search gives up
    after 10 doublings, this one goes on growing the step 4-fold per trial (a badly
    scaled start can need a step 1e6 times its first trial), so that running out of
    bracketing trials means f kept falling over a range of about 1e21: f unbounded
    below along d (as does an f of -inf).  Rows advance together, one
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
        The most trials of each phase (bracketing: the first :data:`DOUBLINGS` double
        the step, the others grow it 4-fold; ``bracket_iter=10`` is scipy's search).
    approximate : bool
        Near a minimum the decrease ``a phi'(0)`` a trial predicts can be smaller than
        the rounding noise of f (``1000 eps |phi(0)|``): sufficient decrease can then
        no longer be checked.  With ``approximate``, a trial that fails the decrease
        test in that regime, but whose phi is within the noise of phi(0) and whose
        slope meets the curvature condition, is accepted (the approximate Wolfe test
        of Hager and Zhang, SIAM J. Optim. 16, 2005); ``WolfeStep.approximate`` marks
        it, and the row goes on by bisecting the bracket its slopes give.  Elsewhere
        the search is scipy's, trial for trial.

    Returns
    -------
    WolfeStep
        A failed row (status != 0) keeps ``alpha = 0``: it did not move; status
        "bracket_iter" says f fell at every trial of the bracketing phase (or reached
        -inf), ``WolfeStep.reach`` and ``WolfeStep.phi_reach`` the last trial and f there.  Unlike
        scipy, which returns its last unchecked trial when bracketing runs out of
        iterations, every step returned with status 0 satisfies both conditions.
    """
    check_c1_c2(c1, c2)
    if np.shape(phi0) == (1,):  # one row: the same trials on plain floats, without masks
        return _WolfeOne(phi, dphi, phi0, dphi0, alpha1, float(c1), float(c2), amax, bracket_iter,
                         zoom_iter).run(approximate)
    search = _WolfeRows(dphi, phi0, dphi0, alpha1, float(c1), float(c2), amax, bracket_iter, zoom_iter)
    with np.errstate(all="ignore"):  # interpolation may divide by zero: nan means "no minimizer"
        while True:
            rows = np.flatnonzero(search.phase != _DONE)
            if rows.size == 0:
                break
            ft = np.asarray(phi(search.trial[rows], rows), dtype=float)
            search.nfev[rows] += 1
            ft = np.where(np.isnan(ft), np.inf, ft)  # nan: treated as too far, like an overflow
            rows, ft = search.judge_flat_rows(rows, ft)
            if approximate:
                rows, ft = search.approximate_test(rows, ft)
            zooming = search.phase[rows] == _ZOOM  # before bracketing rows start zooming this round
            b, fb, need_b = search.bracket_by_value(rows[~zooming], ft[~zooming])
            z, fz, need_z = search.zoom_by_value(rows[zooming], ft[zooming])
            search.by_slope(b[need_b], fb[need_b], z[need_z], fz[need_z])
            search.next_zoom_trials(z)
    return search.result()


class _WolfeRows:
    """The explicit state of :func:`wolfe` on k rows, and its phases.

    A row is bracketing (scipy's alpha0 < alpha1 loop), zooming (the bracket [lo, hi],
    lo with the lower phi, rec the previous end), flat (f flat to rounding: bisecting
    the slope bracket [s_neg, s_pos]) or done.
    """

    def __init__(self, dphi, phi0, dphi0, alpha1, c1, c2, amax, bracket_iter, zoom_iter):
        phi0 = np.asarray(phi0, dtype=float)
        dphi0 = np.asarray(dphi0, dtype=float)
        k = phi0.shape[0]
        self.dphi, self.phi0, self.dphi0, self.c1 = dphi, phi0, dphi0, c1
        self.amax, self.bracket_iter, self.zoom_iter = amax, bracket_iter, zoom_iter
        self.bound = -c2 * dphi0  # the curvature condition: |phi'(a)| <= bound
        self.noise = _NOISE * np.abs(phi0)
        self.alpha, self.phi, self.dphi_at = np.zeros(k), phi0.copy(), np.full(k, np.nan)
        self.approx = np.zeros(k, dtype=bool)
        self.nfev = np.zeros(k, dtype=np.int64)
        self.ngev = np.zeros(k, dtype=np.int64)
        self.status = np.full(k, _OK, dtype=np.int64)
        self.phase = np.full(k, _BRACKET, dtype=np.int64)
        bad = ~(dphi0 < 0) | ~np.isfinite(phi0)  # phi'(0) >= 0: no small step decreases phi
        self.finish(np.flatnonzero(bad), _NOT_DESCENT)
        self.a0, self.f_a0, self.d_a0 = np.zeros(k), phi0.copy(), dphi0.copy()
        self.a1 = np.broadcast_to(np.asarray(alpha1, dtype=float), (k,)).copy()
        if amax is not None:
            self.a1 = np.minimum(self.a1, amax)
        self.it = np.zeros(k, dtype=np.int64)
        self.lo, self.hi, self.f_lo, self.f_hi, self.d_lo = (np.zeros(k) for _ in range(5))
        self.rec, self.f_rec = np.zeros(k), phi0.copy()
        self.zi = np.zeros(k, dtype=np.int64)
        self.s_neg, self.s_pos = np.zeros(k), np.full(k, np.inf)
        self.fi = np.zeros(k, dtype=np.int64)
        self.trial = self.a1.copy()
        self.reach, self.phi_reach = np.zeros(k), phi0.copy()

    # -- transitions --------------------------------------------------------------------
    def finish(self, rows, code):
        self.phase[rows] = _DONE
        self.status[rows] = code

    def accept(self, rows, a, f, d):
        self.alpha[rows], self.phi[rows], self.dphi_at[rows] = a, f, d
        self.phase[rows] = _DONE

    def start_zoom(self, rows, lo, hi, f_lo, f_hi, d_lo):
        self.lo[rows], self.hi[rows], self.f_lo[rows], self.f_hi[rows], self.d_lo[rows] = lo, hi, f_lo, f_hi, d_lo
        self.rec[rows], self.f_rec[rows], self.zi[rows] = 0.0, self.phi0[rows], 0
        self.phase[rows] = _ZOOM

    def grow(self, r, f_new, d_new):
        # Double as scipy does for its 10 trials, then grow 4-fold: a start far from the
        # scale of f (Brown badly scaled: 5e-7 to 0.25) is reached in a few more trials.
        a2 = np.where(self.it[r] < DOUBLINGS, 2.0, _FAR_GROWTH) * self.a1[r]
        if self.amax is not None:
            a2 = np.minimum(a2, self.amax)
        self.a0[r], self.f_a0[r], self.d_a0[r] = self.a1[r], f_new, d_new
        self.a1[r] = a2
        self.trial[r] = a2
        self.it[r] += 1
        self.finish(r[self.it[r] >= self.bracket_iter], _BRACKET_ITER)

    def slope(self, a, r):
        """phi' at the trials, remembering the largest step with a negative slope and the
        smallest with a positive one (a bracket of the line's minimizer by slopes alone)."""
        d = np.asarray(self.dphi(a, r), dtype=float)
        self.ngev[r] += 1
        neg, pos = d < 0, d > 0
        self.s_neg[r[neg]] = np.maximum(self.s_neg[r[neg]], a[neg])
        self.s_pos[r[pos]] = np.minimum(self.s_pos[r[pos]], a[pos])
        return d

    def flat_trial(self, r):
        """Where f is flat to rounding its values cannot order the trials: bisect the
        slope bracket (double while no positive slope is known)."""
        self.phase[r] = _FLAT
        s_neg, s_pos = self.s_neg[r], self.s_pos[r]
        self.trial[r] = np.where(np.isfinite(s_pos), 0.5 * (s_neg + s_pos), 2.0 * np.maximum(s_neg, self.trial[r]))
        self.fi[r] += 1
        self.finish(r[self.fi[r] > min(self.bracket_iter, DOUBLINGS) + self.zoom_iter], _ZOOM_ITER)

    def _armijo_fails(self, rows, ft):
        return ft > self.phi0[rows] + self.c1 * self.trial[rows] * self.dphi0[rows]

    # -- the phases of one round -----------------------------------------------------------
    def judge_flat_rows(self, rows, ft):
        """Rows already judged by slopes: accept, or bisect again.  Returns the other rows."""
        fl = self.phase[rows] == _FLAT
        if fl.any():
            r, a, f_ = rows[fl], self.trial[rows[fl]], ft[fl]
            d = self.slope(a, r)
            good = np.isfinite(d) & (np.abs(d) <= self.bound[r]) & (f_ <= self.phi0[r] + self.noise[r])
            self.accept(r[good], a[good], f_[good], d[good])
            self.approx[r[good]] = True
            self.finish(r[~np.isfinite(d)], _NONFINITE)
            self.flat_trial(r[~good & np.isfinite(d)])
        return rows[~fl], ft[~fl]

    def approximate_test(self, rows, ft):
        """A trial that values alone would reject, taken where f is flat to rounding along the
        whole step: judged by its slope (accepted, or the row turns flat).  Returns the rest."""
        at = self.trial[rows]
        zooming = self.phase[rows] == _ZOOM
        is_flat = (np.abs(at * self.dphi0[rows]) <= self.noise[rows]) & (ft <= self.phi0[rows] + self.noise[rows])
        rejected = self._armijo_fails(rows, ft) | np.where(zooming, ft >= self.f_lo[rows],
                                                           (ft >= self.f_a0[rows]) & (self.it[rows] > 0))
        maybe = is_flat & rejected & (at > 0)
        if not maybe.any():
            return rows, ft
        mr = rows[maybe]
        dm = self.slope(at[maybe], mr)
        good = np.isfinite(dm) & (np.abs(dm) <= self.bound[mr])
        self.accept(mr[good], at[maybe][good], ft[maybe][good], dm[good])
        self.approx[mr[good]] = True
        by_slope = ~good & np.isfinite(dm)
        self.flat_trial(mr[by_slope])
        keep = np.ones(rows.size, dtype=bool)
        keep[np.flatnonzero(maybe)[good | by_slope]] = False
        return rows[keep], ft[keep]

    def bracket_by_value(self, b, fb):
        """Bracketing rows, scipy's loop body up to phi': fail on a zero or too long step, zoom
        where phi rose.  Returns the rows, their phi and which of them need phi'."""
        ab = self.trial[b]
        self.a1[b] = ab
        rounding = ab == 0
        too_far = np.zeros(b.size, dtype=bool) if self.amax is None else self.a0[b] > self.amax
        self.finish(b[rounding], _ROUNDING)
        self.finish(b[~rounding & too_far], _AMAX)
        self.reach[b], self.phi_reach[b] = np.maximum(self.reach[b], ab), np.minimum(self.phi_reach[b], fb)
        minus_inf = ~rounding & ~too_far & (fb == -np.inf)  # f really is unbounded below along d
        self.finish(b[minus_inf], _BRACKET_ITER)
        failed = rounding | too_far | minus_inf
        up = ~failed & (self._armijo_fails(b, fb) | ((fb >= self.f_a0[b]) & (self.it[b] > 0)))
        self.start_zoom(b[up], self.a0[b[up]], ab[up], self.f_a0[b[up]], fb[up], self.d_a0[b[up]])
        return b, fb, ~failed & ~up

    def zoom_by_value(self, z, fz):
        """Zooming rows: a trial with too little decrease, or no lower than lo, becomes hi."""
        shrink = self._armijo_fails(z, fz) | (fz >= self.f_lo[z])
        zs = z[shrink]
        self.rec[zs], self.f_rec[zs] = self.hi[zs], self.f_hi[zs]
        self.hi[zs], self.f_hi[zs] = self.trial[zs], fz[shrink]
        return z, fz, ~shrink

    def by_slope(self, b, fb, z, fz):
        """phi' where the trial decreased phi enough: accept on the curvature condition, else
        bracketing rows zoom (phi turned up) or grow, zooming rows move lo."""
        need = np.concatenate([b, z])
        if need.size == 0:
            return
        dt = self.slope(self.trial[need], need)
        db, dz = dt[:b.size], dt[b.size:]

        bad = ~np.isfinite(db)
        self.finish(b[bad], _NONFINITE)
        ok = ~bad & (np.abs(db) <= self.bound[b])
        self.accept(b[ok], self.trial[b[ok]], fb[ok], db[ok])
        back = ~bad & ~ok & (db >= 0)  # phi turned up: a minimizer lies in [a0, a1]
        r = b[back]
        self.start_zoom(r, self.a1[r], self.a0[r], fb[back], self.f_a0[r], db[back])
        more = ~bad & ~ok & ~back
        self.grow(b[more], fb[more], db[more])

        bad = ~np.isfinite(dz)
        self.finish(z[bad], _NONFINITE)
        ok = ~bad & (np.abs(dz) <= self.bound[z])
        self.accept(z[ok], self.trial[z[ok]], fz[ok], dz[ok])
        move = ~bad & ~ok
        r, dm, fm = z[move], dz[move], fz[move]
        flip = dm * (self.hi[r] - self.lo[r]) >= 0  # the minimizer lies on lo's other side
        rf, rk = r[flip], r[~flip]
        self.rec[rf], self.f_rec[rf], self.hi[rf], self.f_hi[rf] = self.hi[rf], self.f_hi[rf], self.lo[rf], self.f_lo[rf]
        self.rec[rk], self.f_rec[rk] = self.lo[rk], self.f_lo[rk]
        self.lo[r], self.f_lo[r], self.d_lo[r] = self.trial[r], fm, dm

    def next_zoom_trials(self, z):
        """Count the trial of the zoom rows that go on, and pick every zooming row's next one."""
        cont = z[self.phase[z] == _ZOOM]
        self.zi[cont] += 1
        self.finish(cont[self.zi[cont] > self.zoom_iter], _ZOOM_ITER)
        zr = np.flatnonzero(self.phase == _ZOOM)
        # A bracket narrower than the rounding of its ends holds no new trial step: stop now.
        collapsed = np.abs(self.hi[zr] - self.lo[zr]) <= 4 * _EPS * np.maximum(np.abs(self.lo[zr]), np.abs(self.hi[zr]))
        self.finish(zr[collapsed], _ROUNDING)
        zr = zr[~collapsed]
        if zr.size:
            self.trial[zr] = zoom_trial(self.lo[zr], self.hi[zr], self.f_lo[zr], self.f_hi[zr], self.d_lo[zr],
                                         self.rec[zr], self.f_rec[zr], self.zi[zr] == 0)

    def result(self) -> WolfeStep:
        return WolfeStep(self.alpha, self.phi, self.dphi_at, self.nfev, self.ngev, self.status, self.approx,
                         self.reach, self.phi_reach)


class _WolfeOne:
    """:class:`_WolfeRows` for a single row, phase by phase on Python floats (the same IEEE
    operations in the same order, so the same trials and numbers); a search of one run spends
    its time in phi, not in masks over arrays of one element."""

    _ROW = np.zeros(1, dtype=np.int64)

    def __init__(self, phi, dphi, phi0, dphi0, alpha1, c1, c2, amax, bracket_iter, zoom_iter):
        self.phi_fn, self.dphi_fn = phi, dphi
        self.phi0 = float(np.asarray(phi0, dtype=float).reshape(-1)[0])
        self.dphi0 = float(np.asarray(dphi0, dtype=float).reshape(-1)[0])
        self.c1, self.amax, self.bracket_iter, self.zoom_iter = c1, amax, bracket_iter, zoom_iter
        self.bound, self.noise = -c2 * self.dphi0, _NOISE * abs(self.phi0)
        self.alpha, self.phi, self.dphi_at, self.approx = 0.0, self.phi0, float("nan"), False
        self.nfev = self.ngev = self.it = self.zi = self.fi = 0
        self.status, self.phase = _OK, _BRACKET
        if not self.dphi0 < 0 or not np.isfinite(self.phi0):
            self.finish(_NOT_DESCENT)
        self.a0, self.f_a0, self.d_a0 = 0.0, self.phi0, self.dphi0
        self.a1 = float(np.asarray(alpha1, dtype=float).reshape(-1)[0])
        if amax is not None:
            self.a1 = float(np.minimum(self.a1, amax))
        self.lo = self.hi = self.f_lo = self.f_hi = self.d_lo = self.rec = 0.0
        self.f_rec = self.phi_reach = self.phi0
        self.s_neg, self.s_pos, self.trial, self.reach = 0.0, float("inf"), self.a1, 0.0

    def finish(self, code):
        self.phase, self.status = _DONE, code

    def accept(self, a, f, d, approx=False):
        self.alpha, self.phi, self.dphi_at, self.phase, self.approx = a, f, d, _DONE, approx

    def start_zoom(self, lo, hi, f_lo, f_hi, d_lo):
        self.lo, self.hi, self.f_lo, self.f_hi, self.d_lo = lo, hi, f_lo, f_hi, d_lo
        self.rec, self.f_rec, self.zi, self.phase = 0.0, self.phi0, 0, _ZOOM

    def slope(self, a):
        d = float(np.asarray(self.dphi_fn(np.array([a]), self._ROW), dtype=float)[0])
        self.ngev += 1
        if d < 0:
            self.s_neg = max(self.s_neg, a)
        elif d > 0:
            self.s_pos = min(self.s_pos, a)
        return d

    def flat_trial(self):
        self.phase = _FLAT
        self.trial = 0.5 * (self.s_neg + self.s_pos) if np.isfinite(self.s_pos) else 2.0 * max(self.s_neg, self.trial)
        self.fi += 1
        if self.fi > min(self.bracket_iter, DOUBLINGS) + self.zoom_iter:
            self.finish(_ZOOM_ITER)

    def armijo_fails(self, f):
        return f > self.phi0 + self.c1 * self.trial * self.dphi0

    def judged_by_slope(self, ft, approximate):
        """The flat phase, and the approximate Wolfe test; True where the round ends here."""
        at = self.trial
        if self.phase == _FLAT:
            d = self.slope(at)
            if np.isfinite(d) and abs(d) <= self.bound and ft <= self.phi0 + self.noise:
                self.accept(at, ft, d, approx=True)
            elif not np.isfinite(d):
                self.finish(_NONFINITE)
            else:
                self.flat_trial()
            return True
        if not approximate or not (abs(at * self.dphi0) <= self.noise and ft <= self.phi0 + self.noise and at > 0):
            return False
        zooming = self.phase == _ZOOM
        if not (self.armijo_fails(ft) or (ft >= self.f_lo if zooming else (ft >= self.f_a0 and self.it > 0))):
            return False
        d = self.slope(at)
        if np.isfinite(d) and abs(d) <= self.bound:
            self.accept(at, ft, d, approx=True)
            return True
        if np.isfinite(d):
            self.flat_trial()
            return True
        return False

    def bracket(self, fb):
        """Bracketing: scipy's loop body (:meth:`_WolfeRows.bracket_by_value` and ``by_slope``)."""
        ab = self.a1 = self.trial
        if ab == 0:
            self.finish(_ROUNDING)
        elif self.amax is not None and self.a0 > self.amax:
            self.finish(_AMAX)
        self.reach, self.phi_reach = max(self.reach, ab), min(self.phi_reach, fb)
        if self.phase == _DONE:
            return
        if fb == -np.inf:
            return self.finish(_BRACKET_ITER)
        if self.armijo_fails(fb) or (fb >= self.f_a0 and self.it > 0):
            return self.start_zoom(self.a0, ab, self.f_a0, fb, self.d_a0)
        d = self.slope(ab)
        if not np.isfinite(d):
            self.finish(_NONFINITE)
        elif abs(d) <= self.bound:
            self.accept(ab, fb, d)
        elif d >= 0:
            self.start_zoom(self.a1, self.a0, fb, self.f_a0, d)
        else:
            a2 = (2.0 if self.it < DOUBLINGS else _FAR_GROWTH) * self.a1
            if self.amax is not None:
                a2 = float(np.minimum(a2, self.amax))
            self.a0, self.f_a0, self.d_a0, self.a1, self.trial = self.a1, fb, d, a2, a2
            self.it += 1
            if self.it >= self.bracket_iter:
                self.finish(_BRACKET_ITER)

    def zoom(self, fz):
        """Zooming: :meth:`_WolfeRows.zoom_by_value`, ``by_slope`` and the trial count."""
        if self.armijo_fails(fz) or fz >= self.f_lo:
            self.rec, self.f_rec, self.hi, self.f_hi = self.hi, self.f_hi, self.trial, fz
        else:
            d = self.slope(self.trial)
            if not np.isfinite(d):
                self.finish(_NONFINITE)
            elif abs(d) <= self.bound:
                self.accept(self.trial, fz, d)
            else:
                if d * (self.hi - self.lo) >= 0:
                    self.rec, self.f_rec, self.hi, self.f_hi = self.hi, self.f_hi, self.lo, self.f_lo
                else:
                    self.rec, self.f_rec = self.lo, self.f_lo
                self.lo, self.f_lo, self.d_lo = self.trial, fz, d
        if self.phase == _ZOOM:
            self.zi += 1
            if self.zi > self.zoom_iter:
                self.finish(_ZOOM_ITER)

    def run(self, approximate):
        with np.errstate(all="ignore"):
            while self.phase != _DONE:
                ft = float(np.asarray(self.phi_fn(np.array([self.trial]), self._ROW), dtype=float)[0])
                self.nfev += 1
                ft = np.inf if ft != ft else ft  # nan: treated as too far, like an overflow
                if self.judged_by_slope(ft, approximate):
                    continue
                if self.phase == _ZOOM:
                    self.zoom(ft)
                else:
                    self.bracket(ft)
                if self.phase == _ZOOM:
                    self.next_zoom_trial()
        return self.result()

    def next_zoom_trial(self):
        lo, hi = self.lo, self.hi
        if abs(hi - lo) <= 4 * _EPS * max(abs(lo), abs(hi)):
            return self.finish(_ROUNDING)
        self.trial = float(zoom_trial(*(np.array([v]) for v in (lo, hi, self.f_lo, self.f_hi, self.d_lo, self.rec,
                                                                   self.f_rec)), np.array([self.zi == 0]))[0])

    def result(self) -> WolfeStep:
        counts = np.array([self.nfev, self.ngev, self.status], dtype=np.int64)
        return WolfeStep(np.array([self.alpha]), np.array([self.phi]), np.array([self.dphi_at]), counts[0:1],
                         counts[1:2], counts[2:3], np.array([self.approx]), np.array([self.reach]),
                         np.array([self.phi_reach]))


def wolfe_scalar(phi, dphi, phi0=None, dphi0=None, old_phi0=None, c1=1e-4, c2=0.9, amax=None,
                 bracket_iter=BRACKET_ITER, zoom_iter=10):
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
    return np.add.reduce(A * B, axis=1)


def search_wolfe(ls, evaluate, gradient, X, D, F, G, alpha1=1.0):
    """The strong-Wolfe search ``ls`` (a :class:`~descend.linesearch.LineSearch`) along ``D`` from the
    rows of ``X`` (the vector wrapper of :func:`wolfe`).

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


