"""Richardson extrapolation of central differences."""

from __future__ import annotations

import math

import numpy as np

from .steps import RICHARDSON_STEPS, RICHARDSON_WINDOW

def richardson(fp: list, fm: list, steps: list, eps: float):
    """Extrapolate central differences D(h / 2^k), k = 0..7, to h -> 0.

    Every window of 4 consecutive steps gives a Romberg tableau in h^2 (order 8);
    its error estimate is twice the difference of the last two extrapolations
    (truncation) plus ten times eps * (|f(x+h)| + |f(x-h)|) / (2h) at the smallest
    step (round-off in f, amplified by the extrapolation weights, which sum to < 2
    in absolute value).  Each coordinate takes the window with the smallest estimate.
    Returns the derivative, the error estimate and the largest step of the window used.
    """
    D = [(p - m) / (2 * h) for p, m, h in zip(fp, fm, steps)]
    best = err = used = None
    for s in range(RICHARDSON_STEPS - RICHARDSON_WINDOW + 1):
        T = [D[s:s + RICHARDSON_WINDOW]]
        for j in range(1, RICHARDSON_WINDOW):
            prev = T[-1]
            # each column removes the next even power of h from the error expansion
            T.append([prev[i] + (prev[i] - prev[i - 1]) / (4 ** j - 1) for i in range(1, len(prev))])
        k = s + RICHARDSON_WINDOW - 1
        estimate = (2 * np.abs(T[-1][-1] - T[-2][-1])
                    + 10 * eps * (np.abs(fp[k]) + np.abs(fm[k])) / (2 * steps[k]))
        if best is None:
            best, err, used = T[-1][-1], estimate, np.broadcast_to(steps[s], np.shape(estimate))
        else:
            better = estimate < err
            best = np.where(better, T[-1][-1], best)
            used = np.where(better, steps[s], used)
            err = np.where(better, estimate, err)
    return best, err, used


# ----------------------------------------------------------------------------------------
# The tolerance-driven method: a shrinking step, Richardson across steps, a status
# ----------------------------------------------------------------------------------------

#: Columns of the Richardson tableau of method="adaptive": each removes one more even power.
ADAPTIVE_DEPTH = 3
#: The statuses of method="adaptive", as in scipy.differentiate (its codes 0, -2, -1, -3).
STATUSES = ("converged", "max_iter", "error_increased", "nonfinite")
_ROUNDOFF_SAFETY = 10  # f's own rounding (a few ulps) and the sum's, as in richardson
#: How far the ratio of consecutive differences may stray from factor^accuracy (below) and
#: factor^(accuracy + 2) (above, where the leading error term happens to vanish).
_RATE_SLACK = 1.5
#: Steps tried after the best estimate without improving on it before the search stops, at
#: step factor 2; a smaller factor waits as many steps as shrink the step as much (factor 1.25:
#: 7 steps), or a chance agreement of two large steps ends the search before the step reaches
#: f's scale (atan(0.56) stopped at h = 0.12, 3e-3 off, instead of 1e-8).
_PATIENCE = 2


def patience(factor: float) -> int:
    """Steps without improvement before the search stops: those that shrink the step 4 times."""
    return max(_PATIENCE, math.ceil(_PATIENCE * math.log(2) / math.log(factor) - 1e-9))


def adaptive_start(n: int, accuracy: int, factor: float, depth: int, eps: float) -> float:
    """The first step at unit scale: ``max(factor, 2)^depth`` times the optimum of the fully
    extrapolated stencil (order ``accuracy + 2 depth``: truncation ``h^q`` against
    round-off ``eps / h^n``), so that the tableau is full when the step reaches it.  A factor
    below 2 starts as high as 2 does (8 times the optimum) and takes more steps down: at
    ``factor^depth`` (1.95 times for 1.25) the search began at the optimum of a function of
    scale 1 and missed it for those of a larger one (exp at n = 6: 1.4e-7 instead of 3e-8)."""
    q = accuracy + 2 * depth
    return max(float(factor), 2.0) ** depth * eps ** (1.0 / (n + q))


def _tableau_row(D, prev, shape, factor: float, accuracy: int, depth: int):
    """The new row of the Richardson tableau from D_k and the previous row (None at k = 0)."""
    row = [np.asarray(D)]
    with np.errstate(invalid="ignore", over="ignore"):
        for j in range(1, depth + 1):
            r = factor ** (accuracy + 2 * (j - 1))
            # each column removes the next even power of h from the error expansion
            row.append(row[j - 1] + (row[j - 1] - prev[j - 1]) / (r - 1) if prev is not None
                       else np.full(shape, np.nan, dtype=row[0].dtype))
    return np.stack(np.broadcast_arrays(*row))


def _estimate(row, prev, age, roundoff, shape, factor: float, accuracy: int, depth: int):
    """The deepest entry T this element has and its error estimate ``|T - T_left| + |T - T_above|
    + 10 (sum of |tableau weights|) roundoff`` (inf without a column to compare with)."""
    cols = np.arange(depth + 1).reshape((-1,) + (1,) * len(shape))
    J = np.minimum(np.maximum(age - 1, 0), depth)  # the deepest column this element has
    T = np.take_along_axis(row, J[None], 0)[0]
    left = np.take_along_axis(row, np.maximum(J - 1, 0)[None], 0)[0]
    above = (np.full(shape, np.nan, dtype=row.dtype) if prev is None
             else np.take_along_axis(prev, np.maximum(J - 1, 0)[None], 0)[0])
    with np.errstate(invalid="ignore", over="ignore"):
        r = factor ** (accuracy + 2 * (cols[1:] - 1))
        amp = np.prod(np.where(cols[1:] <= J, (r + 1) / (r - 1), 1.0), axis=0)
        est = np.abs(T - left) + np.abs(T - above) + _ROUNDOFF_SAFETY * amp * roundoff
    return T, np.where((J > 0) & np.isfinite(est), est, np.inf)


def _settled(D, D1, D2, D3, noise, factor: float, accuracy: int):
    """Whether the last four D's are in the asymptotic range of the stencil: (rate, flat).

    rate: both ratios of consecutive differences lie between ``factor^p / 1.5`` and
    ``1.5 factor^(p+2)`` (the differences shrink at the stencil's order);
    flat: all three differences are round-off (below ``noise``).
    """
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d1, d2, d3 = D - D1, D1 - D2, D2 - D3
        lo, hi = factor ** accuracy / _RATE_SLACK, _RATE_SLACK * factor ** (accuracy + 2)
        rate = (d2 / d1 >= lo) & (d2 / d1 <= hi) & (d3 / d2 >= lo) & (d3 / d2 <= hi)
        flat = (np.abs(d1) <= noise) & (np.abs(d2) <= noise) & (np.abs(d3) <= noise)
    finite = np.isfinite(d1) & np.isfinite(d2) & np.isfinite(d3)
    return rate & finite, flat & finite


def _interpolation_weights(factor: float, accuracy: int, depth: int) -> np.ndarray:
    """Weights l_i with ``D(h sqrt(factor)) ~ sum_i l_i D(h factor^i)``, i = 0..depth: the
    model of the tableau, ``T + sum_j a_j h^(accuracy + 2j)``, through the depth + 1 D's."""
    t = float(factor) ** np.arange(depth + 1)
    powers = np.concatenate([[0.0], accuracy + 2.0 * np.arange(depth)])
    V = t[:, None] ** powers[None, :]
    return np.linalg.solve(V.T, np.sqrt(float(factor)) ** powers)


def _confirm(level, stopping, probe, best_hist, best_err, factor: float, accuracy: int):
    """One more stencil before an element stops, at level ``probe`` (off the halving sequence,
    half a level from its best T: the step ``sqrt(factor)`` times larger where the best T is
    extrapolated, within the flat D's where it is one of them): its D must be what the best T's
    own D's predict, to within the estimate.  Steps far larger than the period of an oscillating f (or of a small ripple on a
    large f) that are all near multiples of it see a slow alias of f, and halving keeps the
    alias; an irrational step ratio does not.  Returns the points evaluated and the aliased
    elements."""
    D, roundoff, _, npoints = level(np.where(stopping, probe, 0.0))
    weights = _interpolation_weights(factor, accuracy, len(best_hist) - 1)
    with np.errstate(invalid="ignore", over="ignore"):
        predicted = sum(w * d for w, d in zip(weights, best_hist))
        far = np.abs(D - predicted) > best_err + 2 * _ROUNDOFF_SAFETY * np.asarray(roundoff)
    return npoints, stopping & (far | ~np.isfinite(D))


def adaptive(level, shape, *, accuracy: int, factor: float, atol: float, rtol: float,
             maxiter: int, eps: float, depth: int = ADAPTIVE_DEPTH):
    """Shrink the step until the error estimate meets ``atol + rtol |D|`` (elementwise).

    ``level(k) -> (D_k, roundoff_k, h_k, npoints)`` evaluates the stencil at the k-th
    step ``h_0 / factor^k`` (D_k its value, roundoff_k ``eps sum |w_j f_j| / h^n``).
    Each new D_k enters a Richardson tableau (column j removes ``h^(accuracy + 2(j-1))``,
    at most ``depth`` columns, so early garbage from too large a step is forgotten;
    a nan or inf D_k, a step that left f's domain, restarts it).  The estimate of the
    newest entry T is ``|T - T_left| + |T - T_above|`` plus the round-off of the D's
    magnified by the tableau's weights.

    The step finds its own scale: an estimate counts only once the step is where f is
    smooth on its scale, i.e. the differences of the last four D's shrink at the
    stencil's rate (ratios near ``factor^accuracy``) or are all round-off.  Before that
    (a step far larger than the length on which f varies: sin'' at 100 from a step of
    5) two D's may agree by chance, and no estimate is believed.  An element stops

    - ``converged`` when a believed estimate meets the tolerance (T is returned);
    - ``error_increased`` when the believed estimate has not improved while the step shrank
      4 times (two steps at factor 2: :func:`patience`; round-off has taken over): the best T is returned with twice its estimate;
    - ``nonfinite`` when D_k is nan or inf after finite ones, or was never finite;
    - ``max_iter`` after maxiter steps.

    Before an element stops, :func:`_confirm` evaluates one more stencil off the halving
    sequence: if it disagrees, the estimates so far were an alias and the search goes on.
    Without a believed estimate (max_iter, nonfinite) the last T is returned with an
    error of inf: nothing is known about it.

    Returns (value, error, step, nit, nfev, status), arrays of ``shape``
    (status: an array of str).
    """
    best = np.full(shape, np.nan)
    best_err = np.full(shape, np.inf)
    best_step = np.full(shape, np.nan)
    # where the best T is confirmed: half a level above an extrapolated T (inside the range of
    # its D's), half a level below the largest of four flat D's (inside the flat range: above
    # it, truncation still shows, and a right answer was called an alias: atan's 5th
    # derivative at 0.875, 1.5e-8, was discarded for 1.1e-5)
    probe = np.zeros(shape)
    best_hist = [np.full(shape, np.nan)] * (depth + 1)
    last = np.full(shape, np.nan)
    last_step = np.full(shape, np.nan)
    nit = np.zeros(shape, dtype=np.intp)
    nfev = np.zeros(shape, dtype=np.intp)
    status = np.full(shape, "max_iter", dtype=object)
    active = np.ones(shape, dtype=bool)
    stale = np.zeros(shape, dtype=np.intp)  # steps since the best estimate improved
    settled = np.zeros(shape, dtype=bool)  # the rate held at two steps running, finite D's since
    passed = np.zeros(shape, dtype=bool)  # the rate held at the step before
    age = np.zeros(shape, dtype=np.intp)  # consecutive finite D's, the newest included
    history = [np.full(shape, np.nan)] * 3  # D_(k-1), D_(k-2), D_(k-3)
    noise = [np.full(shape, np.inf)] * 3
    prev = None
    wait = patience(factor)
    for k in range(maxiter):
        D, roundoff, h, npoints = level(k)
        D = np.broadcast_to(np.asarray(D, dtype=float), shape)
        nit[active] = k + 1
        nfev[active] += npoints
        finite = np.isfinite(D)
        age = np.where(finite, age + 1, 0)
        row = _tableau_row(D, prev, shape, factor, accuracy, depth)
        T, est = _estimate(row, prev, age, roundoff, shape, factor, accuracy, depth)
        # round-off of a difference of two D's: the bounds of both, with the safety factor
        r = _ROUNDOFF_SAFETY * np.asarray(roundoff)
        rate, flat = _settled(D, *history, np.maximum(r + noise[0], np.maximum(
            noise[0] + noise[1], noise[1] + noise[2])), factor, accuracy)
        # once the rate has held at two steps running, smaller steps stay in the asymptotic
        # range of the truncation (round-off, which grows, is in the estimate): still believed
        # where the rate test fails in the cross-over to round-off (atan's 6th derivative at
        # 0.6 was 1.6e-5 off, its believed-but-failing steps 1.1e-7); one passing step alone
        # may be chance, and believing what followed it under-reported 3e-6 as 5e-7
        believed = active & finite & (rate | flat | settled) & np.isfinite(est)
        settled = (settled | (rate & passed)) & finite
        passed = rate
        # four D's equal to round-off: the one of the largest step has the least round-off,
        # and its truncation is below the spread (the differences are that truncation, shrunk)
        with np.errstate(invalid="ignore", over="ignore"):
            spread = 2 * np.maximum(np.abs(D - history[2]), np.maximum(
                np.abs(history[0] - history[2]), np.abs(history[1] - history[2]))) + noise[2]
        use_flat = flat & (spread < est)
        T, est = np.where(use_flat, history[2], T), np.where(use_flat, spread, est)
        h = np.where(use_flat, h * factor ** 3, h)
        better = believed & (est < best_err)
        best, best_err = np.where(better, T, best), np.where(better, est, best_err)
        best_step = np.where(better, h, best_step)
        stale = np.where(better, 0, stale + (active & np.isfinite(best_err)))
        take = active & finite
        last, last_step = np.where(take, T, last), np.where(take, h, last_step)
        probe = np.where(better, np.where(use_flat, k - 2.5, k - 0.5), probe)
        # what the best T came from: the last depth + 1 D's (all equal to the flat one)
        best_hist = [np.where(better, np.where(use_flat, T, d), b) for d, b in
                     zip([D] + history, best_hist)]
        done = active & np.isfinite(best_err) & (best_err <= atol + rtol * np.abs(best))
        lost = active & ~done & ~finite & np.isfinite(last)  # finite before, not any more
        grew = active & ~done & ~lost & (stale >= wait)
        if np.any(done | grew):
            npoints, alias = _confirm(level, done | grew, probe, best_hist, best_err, factor,
                                      accuracy)
            nfev[active] += npoints
            done, grew = done & ~alias, grew & ~alias
            best_err, stale = np.where(alias, np.inf, best_err), np.where(alias, 0, stale)
        status[done] = "converged"
        status[grew] = "error_increased"
        status[lost] = "nonfinite"
        active &= ~(done | grew | lost)
        history = [D, history[0], history[1]]
        noise = [r, noise[0], noise[1]]
        prev = row
        if not active.any():
            break
    status[~np.isfinite(last) & ~np.isfinite(best_err)] = "nonfinite"  # never a finite value
    # stopped by round-off: its bound counts the rounding of f's value, not that of the terms
    # that cancelled in it (a cos(8x) - 0.9 cos(8x)), so the estimate is doubled
    best_err = np.where(status == "error_increased", 2 * best_err, best_err)
    known = np.isfinite(best_err)
    value = np.where(known, best, last)
    step = np.where(known, best_step, last_step)
    return value, best_err, step, nit, nfev, status
