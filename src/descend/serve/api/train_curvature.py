"""The playground's curvature: the sharpness against its stability threshold, and a loss slice.

Every number comes from :mod:`descend.curvature` at the session's current weights, on the
whole training set (the playground's networks are small: a measurement is about ten Lanczos steps):

- :func:`sharpness_frame`: the sharpness (the largest eigenvalue of the Hessian of the training
  loss, :func:`descend.curvature.eigenvalues` seeded with the session's seed), for Adam and AdamW
  the preconditioned sharpness too (:func:`descend.curvature.preconditioned_sharpness`), and the
  threshold the optimizer is stable under on the quadratic model
  (:func:`descend.curvature.stability_threshold`: ``2 / lr`` for gradient descent); where none is
  known, or a number cannot be measured, ``null`` and a ``reason``;
- :func:`slice_frame`: the training loss along the straight line from the initial weights
  (``alpha = 0``) to the current ones (``alpha = 1``), :func:`descend.curvature.interpolate`
  (Goodfellow et al. 2015).
"""

from __future__ import annotations

import numpy as np

from ...errors import DescendError
from ..json_out import finite_or_none

__all__ = ["TOL", "ALPHAS", "REASONS", "stability", "sharpness_frame", "slice_frame"]

#: the relative accuracy of each sharpness: the Sharpness callback's and ``descend train --sharpness``'s, so the
#: page shows what they print.  (It was 1e-6 while Lanczos could stop on the second eigenvalue at 1e-3:
#: moons, 8-8 tanh, gd lr 0.5, seed 1, update 450; it now tests convergence from its 10th step on, and
#: 1e-3 and 1e-6 both took 10 products at each of 160 measurements over four data sets and optimizers,
#: each the top eigenvalue against the dense Hessian.)
TOL = 1e-3

#: where the slice is evaluated: 0 the initial weights, 1 the current ones, half a line's length either side
#: (21 forward passes on the training set: half of ``interpolate``'s default 41, as smooth to the eye)
ALPHAS = np.linspace(-0.5, 1.5, 21)

#: why a number is null: the page words each (``explorer.curv_<reason>``); ``message`` says it in English
REASONS = ("no_threshold", "no_step_yet", "not_finite", "not_moved")


def stability(optimizer) -> tuple:
    """``(rule, threshold)``: the optimizer's stability threshold by :func:`descend.curvature.stability_threshold`,
    and which formula it is (``"gd"``: 2/lr, ``"momentum"``: (2 + 2 beta)/lr (over ``(1 - dampening) lr``
    where damped), ``"nesterov"``, ``"adam"``: (2 + 2 beta1)/((1 - beta1) lr)); ``(None, None)`` where none
    is known or it is not finite (SGD with dampening 1 is stable at any curvature).
    """
    from ... import curvature  # lazy: the library's heavier parts, for a session only

    name, cfg = optimizer.name, optimizer.config
    if name in ("sgd", "gd", "momentum", "nesterov"):
        rule = "gd" if float(cfg.get("momentum", 0.0)) == 0 else "nesterov" if cfg.get("nesterov") else "momentum"
    elif name in ("adam", "adamw"):
        rule = "adam"
    else:
        return None, None
    threshold = curvature.stability_threshold(optimizer)
    return (rule, threshold) if np.isfinite(threshold) else (None, None)


def _number(value):
    value = float(value)
    return value if np.isfinite(value) else None


def sharpness_frame(model, loss, X, y, optimizer, *, seed: int) -> dict:
    """The sharpness of ``loss(model(X), y)`` and its threshold, as the frame's ``curvature``.

    ``sharpness`` is ``descend.curvature.eigenvalues(model, loss, X, y, k=1, tol=TOL,
    seed=seed).eigenvalues[0]``; ``compare`` names the number the threshold bounds
    (``"preconditioned_sharpness"`` for Adam and AdamW, measured as
    ``preconditioned_sharpness(..., tol=TOL, seed=seed)``); ``converged`` says whether Lanczos
    met ``TOL``; ``reason`` and ``message`` say why a number is null.
    """
    from ... import curvature  # lazy: the library's heavier parts, for a session only

    rule, threshold = stability(optimizer)
    out = {"sharpness": None, "preconditioned_sharpness": None,
           "compare": "preconditioned_sharpness" if rule == "adam" else "sharpness",
           "threshold": threshold, "rule": rule, "converged": None, "reason": None, "message": ""}
    if rule is None:
        out["reason"] = "no_threshold"
        out["message"] = (f"no stability threshold is known for {optimizer.name} (descend.curvature."
                          f"stability_threshold: gd, sgd, momentum, nesterov, adam, adamw): the sharpness alone")
    try:
        top = curvature.eigenvalues(model, loss, X, y, k=1, tol=TOL, seed=seed)
    except DescendError as exc:  # weights or loss not finite: nothing to measure
        return {**out, "reason": "not_finite", "message": str(exc)}
    out["sharpness"], out["converged"] = _number(top.eigenvalues[0]), bool(top.converged)
    if rule == "adam":
        try:
            pre = curvature.preconditioned_sharpness(model, loss, X, y, optimizer, tol=TOL, seed=seed)
        except DescendError as exc:  # before Adam's first update its preconditioner is not defined
            return {**out, "reason": "no_step_yet", "message": str(exc)}
        out["preconditioned_sharpness"] = _number(pre.eigenvalues[0])
        out["converged"] = out["converged"] and bool(pre.converged)
    return out


def slice_frame(model, loss, X, y, initial: dict) -> dict:
    """The training loss along ``(1 - alpha) initial + alpha current`` for ``alpha`` in :data:`ALPHAS`
    (:func:`descend.curvature.interpolate`), as the frame's ``slice``; ``alphas`` and ``loss``
    are null with a ``reason`` while the weights are still the initial ones (no line) or not finite."""
    from ... import curvature  # lazy: the library's heavier parts, for a session only

    out = {"alphas": None, "loss": None, "reason": None, "message": ""}
    if all(np.array_equal(initial[k], p) for k, p in model.params.items()):
        return {**out, "reason": "not_moved", "message": "the weights are the initial ones: train to draw the line"}
    try:
        line = curvature.interpolate(model, loss, X, y, initial, model.params, alphas=ALPHAS)
    except DescendError as exc:
        return {**out, "reason": "not_finite", "message": str(exc)}
    return {**out, "alphas": finite_or_none(line.alphas), "loss": finite_or_none(line.loss)}
