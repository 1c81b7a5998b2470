"""The strong-Wolfe search of one row, compiled: :class:`descend.linesearch.strong_wolfe._WolfeOne` phase by phase.

Plain functions that :mod:`descend.jit.second_order` compiles with numba in one namespace with
the problem's ``FUN`` and ``GRAD`` and the dot product's ``pairwise``: the search's state lives in
two small arrays (``w`` floats, ``wi`` integers, slots named below), so that each phase is a
function of its own, as in ``_WolfeOne``.  The same IEEE operations in the same order as the
NumPy search on one row: ``np.minimum``/``np.maximum`` keep NaN (written out below), Python's
``max``/``min`` keep their first argument on ties and NaN, and the zoom's cubic takes ``x ** 3``
through NumPy's own power loop (:func:`npow`: NumPy's power is its own SIMD code, not libm's).
"""

from __future__ import annotations

import numpy as np

from ..linesearch.strong_wolfe import DOUBLINGS, WOLFE_STATUS

__all__ = ["FUNCTIONS", "zoom_trial", "npow", "ROUNDING", "ZOOM_ITER"]

_OK, _NOT_DESCENT, ROUNDING, _AMAX, _BRACKET_ITER, ZOOM_ITER, _NONFINITE = (
    WOLFE_STATUS.index(s) for s in ("ok", "not_descent", "rounding", "amax", "bracket_iter", "zoom_iter",
                                    "nonfinite"))
_BRACKET, _ZOOM, _DONE, _FLAT = 0, 1, 2, 3
_EPS = float(np.finfo(float).eps)
_NOISE = 1e3 * _EPS
_FAR_GROWTH = 4.0

# the Wolfe search's float slots ...
(W_PHI0, W_DPHI0, W_BOUND, W_NOISE, W_C1, W_AMAX, W_ALPHA, W_PHI, W_DPHI_AT, W_A0, W_F_A0, W_D_A0, W_A1, W_LO,
 W_HI, W_F_LO, W_F_HI, W_D_LO, W_REC, W_F_REC, W_S_NEG, W_S_POS, W_TRIAL, W_REACH, W_PHI_REACH) = range(25)
# ... and its integer slots
(I_NFEV, I_NGEV, I_IT, I_ZI, I_FI, I_STATUS, I_PHASE, I_APPROX, I_USE_AMAX, I_BRACKET_ITER, I_ZOOM_ITER,
 I_APPROXIMATE) = range(12)
def npow(f, d, a, b):  # pragma: no cover - the intrinsic of _intrinsics() where compiled
    """``a ** b`` through NumPy's float64 power loop at address ``f`` (data ``d``), one element."""
    raise NotImplementedError("npow runs compiled only")

# -- the line: f, and phi' with the slope bracket ----------------------------------------------------

def f_at(a, x, d, pid, P, xp, tmp):
    """phi(a) = f(x + a d)."""
    for j in range(x.shape[0]):
        xp[j] = x[j] + a * d[j]
    return FUN(pid, xp, P, tmp)  # noqa: F821 - the problem's f, in the compiled namespace


def dot(a, b, tmp):
    """``np.add.reduce(a * b)``: the products, then NumPy's pairwise sum (below 8 terms a plain
    loop from 0.0, written out here: no call on the few numbers of a small problem)."""
    n = a.shape[0]
    if n < 8:
        res = 0.0
        for j in range(n):
            res += a[j] * b[j]  # no fused multiply-add: numba leaves fmul and fadd apart
        return res
    for j in range(n):
        tmp[j] = a[j] * b[j]
    return pairwise(tmp, 0, n)  # noqa: F821


def _slope(a, x, d, pid, P, xp, tmp, gw, w, wi):
    """phi'(a), the gradient there left in gw; remembers the slope bracket (``_WolfeOne.slope``)."""
    for j in range(x.shape[0]):
        xp[j] = x[j] + a * d[j]
    GRAD(pid, xp, P, tmp, gw)  # noqa: F821
    s = dot(gw, d, tmp)
    wi[I_NGEV] += 1
    if s < 0:
        if a > w[W_S_NEG]:  # Python's max(s_neg, a)
            w[W_S_NEG] = a
    elif s > 0:
        if a < w[W_S_POS]:
            w[W_S_POS] = a
    return s


# -- the strong-Wolfe search of one row (linesearch.strong_wolfe._WolfeOne) --------------------------

def wolfe_start(w, wi, phi0, dphi0, alpha1, c1, c2, amax, use_amax, bracket_iter, zoom_iter, approximate):
    """A new search from phi(0), phi'(0) and the first trial (``_WolfeOne.__init__``); amax unused
    unless use_amax."""
    w[W_PHI0], w[W_DPHI0], w[W_C1], w[W_AMAX] = phi0, dphi0, c1, amax
    w[W_BOUND], w[W_NOISE] = -c2 * dphi0, _NOISE * abs(phi0)
    w[W_ALPHA], w[W_PHI], w[W_DPHI_AT] = 0.0, phi0, np.nan
    for k in range(12):
        wi[k] = 0
    wi[I_USE_AMAX], wi[I_BRACKET_ITER], wi[I_ZOOM_ITER], wi[I_APPROXIMATE] = use_amax, bracket_iter, zoom_iter, approximate
    wi[I_STATUS], wi[I_PHASE] = _OK, _BRACKET
    if not dphi0 < 0 or not np.isfinite(phi0):
        wi[I_PHASE], wi[I_STATUS] = _DONE, _NOT_DESCENT
    w[W_A0], w[W_F_A0], w[W_D_A0] = 0.0, phi0, dphi0
    a1 = alpha1
    if wi[I_USE_AMAX] and a1 > w[W_AMAX]:  # np.minimum(a1, amax): a NaN a1 stays
        a1 = w[W_AMAX]
    w[W_A1] = a1
    w[W_LO] = w[W_HI] = w[W_F_LO] = w[W_F_HI] = w[W_D_LO] = w[W_REC] = 0.0
    w[W_F_REC] = w[W_PHI_REACH] = phi0
    w[W_S_NEG], w[W_S_POS], w[W_TRIAL], w[W_REACH] = 0.0, np.inf, a1, 0.0


def _finish(wi, code):
    wi[I_PHASE], wi[I_STATUS] = _DONE, code


def _accept(w, wi, a, f, s, approx):
    w[W_ALPHA], w[W_PHI], w[W_DPHI_AT] = a, f, s
    wi[I_PHASE], wi[I_APPROX] = _DONE, approx


def _start_zoom(w, wi, lo, hi, f_lo, f_hi, d_lo):
    w[W_LO], w[W_HI], w[W_F_LO], w[W_F_HI], w[W_D_LO] = lo, hi, f_lo, f_hi, d_lo
    w[W_REC], w[W_F_REC] = 0.0, w[W_PHI0]
    wi[I_ZI], wi[I_PHASE] = 0, _ZOOM


def _flat_trial(w, wi):
    """Bisect the slope bracket (double while no positive slope is known)."""
    wi[I_PHASE] = _FLAT
    if np.isfinite(w[W_S_POS]):
        w[W_TRIAL] = 0.5 * (w[W_S_NEG] + w[W_S_POS])
    else:
        w[W_TRIAL] = 2.0 * (w[W_TRIAL] if w[W_TRIAL] > w[W_S_NEG] else w[W_S_NEG])
    wi[I_FI] += 1
    if wi[I_FI] > min(wi[I_BRACKET_ITER], DOUBLINGS) + wi[I_ZOOM_ITER]:
        _finish(wi, ZOOM_ITER)


def _armijo_fails(w, f):
    return f > w[W_PHI0] + w[W_C1] * w[W_TRIAL] * w[W_DPHI0]


def _judged_by_slope(ft, w, wi, x, d, pid, P, xp, tmp, gw):
    """The flat phase, and the approximate Wolfe test; True where the round ends here."""
    at = w[W_TRIAL]
    if wi[I_PHASE] == _FLAT:
        s = _slope(at, x, d, pid, P, xp, tmp, gw, w, wi)
        if np.isfinite(s) and abs(s) <= w[W_BOUND] and ft <= w[W_PHI0] + w[W_NOISE]:
            _accept(w, wi, at, ft, s, 1)
        elif not np.isfinite(s):
            _finish(wi, _NONFINITE)
        else:
            _flat_trial(w, wi)
        return True
    noise = w[W_NOISE]
    if not wi[I_APPROXIMATE] or not (abs(at * w[W_DPHI0]) <= noise and ft <= w[W_PHI0] + noise and at > 0):
        return False
    if wi[I_PHASE] == _ZOOM:
        rejected = _armijo_fails(w, ft) or ft >= w[W_F_LO]
    else:
        rejected = _armijo_fails(w, ft) or (ft >= w[W_F_A0] and wi[I_IT] > 0)
    if not rejected:
        return False
    s = _slope(at, x, d, pid, P, xp, tmp, gw, w, wi)
    if np.isfinite(s) and abs(s) <= w[W_BOUND]:
        _accept(w, wi, at, ft, s, 1)
        return True
    if np.isfinite(s):
        _flat_trial(w, wi)
        return True
    return False


def _bracket(fb, w, wi, x, d, pid, P, xp, tmp, gw):
    """Bracketing: scipy's loop body (``_WolfeOne.bracket``)."""
    ab = w[W_TRIAL]
    w[W_A1] = ab
    if ab == 0:
        _finish(wi, ROUNDING)
    elif wi[I_USE_AMAX] and w[W_A0] > w[W_AMAX]:
        _finish(wi, _AMAX)
    if ab > w[W_REACH]:
        w[W_REACH] = ab
    if fb < w[W_PHI_REACH]:
        w[W_PHI_REACH] = fb
    if wi[I_PHASE] == _DONE:
        return
    if fb == -np.inf:
        _finish(wi, _BRACKET_ITER)
        return
    if _armijo_fails(w, fb) or (fb >= w[W_F_A0] and wi[I_IT] > 0):
        _start_zoom(w, wi, w[W_A0], ab, w[W_F_A0], fb, w[W_D_A0])
        return
    s = _slope(ab, x, d, pid, P, xp, tmp, gw, w, wi)
    if not np.isfinite(s):
        _finish(wi, _NONFINITE)
    elif abs(s) <= w[W_BOUND]:
        _accept(w, wi, ab, fb, s, 0)
    elif s >= 0:
        _start_zoom(w, wi, w[W_A1], w[W_A0], fb, w[W_F_A0], s)
    else:
        a2 = (2.0 if wi[I_IT] < DOUBLINGS else _FAR_GROWTH) * w[W_A1]
        if wi[I_USE_AMAX] and not a2 <= w[W_AMAX] and a2 == a2:  # np.minimum(a2, amax)
            a2 = w[W_AMAX]
        w[W_A0], w[W_F_A0], w[W_D_A0], w[W_A1], w[W_TRIAL] = w[W_A1], fb, s, a2, a2
        wi[I_IT] += 1
        if wi[I_IT] >= wi[I_BRACKET_ITER]:
            _finish(wi, _BRACKET_ITER)


def _zoom(fz, w, wi, x, d, pid, P, xp, tmp, gw):
    """Zooming (``_WolfeOne.zoom``)."""
    if _armijo_fails(w, fz) or fz >= w[W_F_LO]:
        w[W_REC], w[W_F_REC], w[W_HI], w[W_F_HI] = w[W_HI], w[W_F_HI], w[W_TRIAL], fz
    else:
        s = _slope(w[W_TRIAL], x, d, pid, P, xp, tmp, gw, w, wi)
        if not np.isfinite(s):
            _finish(wi, _NONFINITE)
        elif abs(s) <= w[W_BOUND]:
            _accept(w, wi, w[W_TRIAL], fz, s, 0)
        else:
            if s * (w[W_HI] - w[W_LO]) >= 0:
                w[W_REC], w[W_F_REC], w[W_HI], w[W_F_HI] = w[W_HI], w[W_F_HI], w[W_LO], w[W_F_LO]
            else:
                w[W_REC], w[W_F_REC] = w[W_LO], w[W_F_LO]
            w[W_LO], w[W_F_LO], w[W_D_LO] = w[W_TRIAL], fz, s
    if wi[I_PHASE] == _ZOOM:
        wi[I_ZI] += 1
        if wi[I_ZI] > wi[I_ZOOM_ITER]:
            _finish(wi, ZOOM_ITER)


def _nan_min(a, b):
    """``np.minimum`` of two numbers (a NaN wins)."""
    if a != a or b != b:
        return np.nan
    return a if a <= b else b


def _nan_max(a, b):
    if a != a or b != b:
        return np.nan
    return a if a >= b else b


def _cubicmin(a, fa, fpa, b, fb, c, fc, loops):
    """``linesearch.strong_wolfe._cubicmin`` on one number: ``x ** 2`` is NumPy's square (x * x),
    ``x ** 3`` its power loop."""
    db = b - a
    dc = c - a
    dbdc = db * dc
    denom = dbdc * dbdc * (db - dc)
    rb = fb - fa - fpa * db
    rc = fc - fa - fpa * dc
    A = (dc * dc * rb + -(db * db) * rc) / denom
    B = (-npow(loops[0], loops[1], dc, 3.0) * rb + npow(loops[0], loops[1], db, 3.0) * rc) / denom
    radical = B * B - 3 * A * fpa
    return a + (-B + np.sqrt(radical)) / (3 * A)


def _quadmin(a, fa, fpa, b, fb):
    db = b - a * 1.0
    B = (fb - fa - fpa * db) / (db * db)
    return a - fpa / (2.0 * B)


def zoom_trial(lo, hi, f_lo, f_hi, d_lo, rec, f_rec, first, loops):
    """``linesearch.strong_wolfe`` zoom trial on one row: cubic, else quadratic, else the midpoint."""
    dalpha = hi - lo
    a, b = _nan_min(lo, hi), _nan_max(lo, hi)
    cchk = 0.2 * dalpha
    aj = _cubicmin(lo, f_lo, d_lo, hi, f_hi, rec, f_rec, loops)
    cubic_ok = not first and np.isfinite(aj) and not (aj > b - cchk) and not (aj < a + cchk)
    qchk = 0.1 * dalpha
    aq = _quadmin(lo, f_lo, d_lo, hi, f_hi)
    if not np.isfinite(aq) or (aq > b - qchk) or (aq < a + qchk):
        aq = lo + 0.5 * dalpha
    return aj if cubic_ok else aq


def _next_zoom_trial(w, wi, loops):
    lo, hi = w[W_LO], w[W_HI]
    alo, ahi = abs(lo), abs(hi)
    if abs(hi - lo) <= 4 * _EPS * (ahi if ahi > alo else alo):
        _finish(wi, ROUNDING)
        return
    w[W_TRIAL] = zoom_trial(lo, hi, w[W_F_LO], w[W_F_HI], w[W_D_LO], w[W_REC], w[W_F_REC], wi[I_ZI] == 0, loops)


def wolfe_search(w, wi, x, d, pid, P, xp, tmp, gw, loops):
    """The search's rounds (``_WolfeOne.run``); its outcome is left in w and wi."""
    while wi[I_PHASE] != _DONE:
        ft = f_at(w[W_TRIAL], x, d, pid, P, xp, tmp)
        wi[I_NFEV] += 1
        if ft != ft:
            ft = np.inf  # nan: treated as too far, like an overflow
        if _judged_by_slope(ft, w, wi, x, d, pid, P, xp, tmp, gw):
            continue
        if wi[I_PHASE] == _ZOOM:
            _zoom(ft, w, wi, x, d, pid, P, xp, tmp, gw)
        else:
            _bracket(ft, w, wi, x, d, pid, P, xp, tmp, gw)
        if wi[I_PHASE] == _ZOOM:
            _next_zoom_trial(w, wi, loops)


#: the functions compiled together (with the solver of descend.jit.second_order)
FUNCTIONS = (f_at, dot, _slope, wolfe_start, _finish, _accept, _start_zoom, _flat_trial, _armijo_fails, _judged_by_slope, _bracket, _zoom, _nan_min, _nan_max, _cubicmin, _quadmin, zoom_trial, _next_zoom_trial, wolfe_search)
