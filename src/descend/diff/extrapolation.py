"""Richardson extrapolation of central differences."""

from __future__ import annotations

import numpy as np

from .steps import _RICHARDSON_STEPS, _RICHARDSON_WINDOW

def _richardson(fp: list, fm: list, steps: list, eps: float):
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
    for s in range(_RICHARDSON_STEPS - _RICHARDSON_WINDOW + 1):
        T = [D[s:s + _RICHARDSON_WINDOW]]
        for j in range(1, _RICHARDSON_WINDOW):
            prev = T[-1]
            # each column removes the next even power of h from the error expansion
            T.append([prev[i] + (prev[i] - prev[i - 1]) / (4 ** j - 1) for i in range(1, len(prev))])
        k = s + _RICHARDSON_WINDOW - 1
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
