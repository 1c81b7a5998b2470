"""Richardson extrapolation of central differences."""

from __future__ import annotations

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
#: An estimate is trusted once it claims a correct digit: only then does its growth mean
#: round-off (before, as with a pole inside the first stencils, it is still the step's garbage).
_TRUSTED = 0.1


def adaptive_start(n: int, accuracy: int, factor: float, depth: int, eps: float) -> float:
    """The first step at unit scale: ``factor^depth`` times the optimum of the fully
    extrapolated stencil (order ``accuracy + 2 depth``: truncation ``h^q`` against
    round-off ``eps / h^n``), so that the tableau is full when the step reaches it."""
    q = accuracy + 2 * depth
    return float(factor) ** depth * eps ** (1.0 / (n + q))


def _amplification(factor: float, accuracy: int, columns: int) -> float:
    """Sum of |coefficients| of a tableau entry: how much it magnifies round-off in each D."""
    a = 1.0
    for j in range(columns):
        r = factor ** (accuracy + 2 * j)
        a *= (r + 1) / (r - 1)
    return a


def adaptive(level, shape, *, accuracy: int, factor: float, atol: float, rtol: float,
             maxiter: int, eps: float, depth: int = ADAPTIVE_DEPTH):
    """Shrink the step until the error estimate meets ``atol + rtol |D|`` (elementwise).

    ``level(k) -> (D_k, roundoff_k, h_k, npoints)`` evaluates the stencil at the k-th
    step ``h_0 / factor^k`` (D_k its value, roundoff_k ``eps sum |w_j f_j| / h^n``).
    Each new D_k enters a Richardson tableau (column j removes ``h^(accuracy + 2(j-1))``,
    at most ``depth`` columns, so early garbage from too large a step is forgotten;
    a nan or inf D_k, a step that left f's domain, restarts it).

    The error estimate of the newest entry T is ``|T - T_left| + |T - T_above|`` (the
    change made by the last extrapolation and by the last step) plus the round-off
    of the D's magnified by the tableau's weights.  An element stops

    - ``converged`` when the estimate meets the tolerance (T is returned);
    - ``error_increased`` when the estimate grows after a trusted one, one below a
      tenth of ``|T| + sqrt(eps) sum |w f| / h^n`` (of the value, or for a
      derivative of 0 of the values that cancelled): the step has gone into
      round-off, the previous T is returned.  (With a pole inside the first stencils
      the estimates are as large as T and grow: no reason to stop, the step is
      still too large);
    - ``nonfinite`` when D_k is nan or inf after finite ones (the previous T is
      returned), or was never finite;
    - ``max_iter`` after maxiter steps (the last T is returned; if its estimate is
      not trusted, ``|T|`` is added to it: no digit of T is known then).

    Returns (value, error, step, nit, nfev, status), arrays of ``shape``
    (status: an array of str).
    """
    value = np.full(shape, np.nan)
    error = np.full(shape, np.inf)
    step = np.full(shape, np.nan)
    nit = np.zeros(shape, dtype=np.intp)
    nfev = np.zeros(shape, dtype=np.intp)
    status = np.full(shape, "max_iter", dtype=object)
    active = np.ones(shape, dtype=bool)
    trusted = np.zeros(shape, dtype=bool)
    age = np.zeros(shape, dtype=np.intp)  # consecutive finite D's, the newest included
    cols = np.arange(depth + 1).reshape((-1,) + (1,) * len(shape))
    prev, prev_est = None, np.full(shape, np.inf)
    for k in range(maxiter):
        D, roundoff, h, npoints = level(k)
        nit[active] = k + 1
        nfev[active] += npoints
        finite = np.isfinite(D)
        age = np.where(finite, age + 1, 0)
        row = [np.asarray(D)]
        with np.errstate(invalid="ignore", over="ignore"):
            for j in range(1, depth + 1):
                r = factor ** (accuracy + 2 * (j - 1))
                # each column removes the next even power of h from the error expansion
                row.append(row[j - 1] + (row[j - 1] - prev[j - 1]) / (r - 1) if prev is not None
                           else np.full(shape, np.nan, dtype=row[0].dtype))
        row = np.stack(np.broadcast_arrays(*row))
        J = np.minimum(np.maximum(age - 1, 0), depth)  # the deepest column this element has
        T = np.take_along_axis(row, J[None], 0)[0]
        left = np.take_along_axis(row, np.maximum(J - 1, 0)[None], 0)[0]
        if prev is None:
            above = np.full(shape, np.nan, dtype=row.dtype)
        else:
            above = np.take_along_axis(prev, np.maximum(J - 1, 0)[None], 0)[0]
        with np.errstate(invalid="ignore", over="ignore"):
            amp = np.prod(np.where(cols[1:] <= J, (factor ** (accuracy + 2 * (cols[1:] - 1)) + 1)
                                   / (factor ** (accuracy + 2 * (cols[1:] - 1)) - 1), 1.0), axis=0)
            est = np.abs(T - left) + np.abs(T - above) + _ROUNDOFF_SAFETY * amp * roundoff
            est = np.where((J > 0) & np.isfinite(est), est, np.inf)
            lost = active & ~finite & np.isfinite(value)     # finite before, not any more
            done = active & finite & (est <= atol + rtol * np.abs(T))
            grew = active & finite & ~done & trusted & (est > prev_est)
            take = active & finite & ~grew
        value = np.where(take, T, value)
        error = np.where(take, est, error)
        step = np.where(take, h, step)
        status[lost] = "nonfinite"
        status[done] = "converged"
        status[grew] = "error_increased"
        # trusted: small against the value, or (a derivative of 0) against the size of the
        # values that cancelled in the differences (roundoff / sqrt(eps) = sqrt(eps) sum |w f| / h^n)
        with np.errstate(invalid="ignore", over="ignore"):
            trusted = active & finite & ~grew & (est <= _TRUSTED * (np.abs(T) + roundoff / np.sqrt(eps)))
        active &= ~(lost | done | grew)
        prev, prev_est = row, np.where(finite, est, np.inf)
        if not active.any():
            break
    status[active & ~np.isfinite(value)] = "nonfinite"  # never a finite value
    # max_iter without a trusted estimate: the estimate is only an order of magnitude (a pole
    # may still be inside the stencil), so the value may be wrong by as much as itself too
    vague = active & np.isfinite(value) & ~trusted
    error = np.where(vague, error + np.abs(value), error)
    return value, error, step, nit, nfev, status
