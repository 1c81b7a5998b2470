"""Gradient checking for whole models: backprop against finite differences."""

from __future__ import annotations

import numpy as np

from ..errors import DescendError
from .losses import Loss, get as get_loss
from .model import Sequential

__all__ = ["check_gradients"]


def check_gradients(model: Sequential, loss, X, y, *, inputs: bool = False, method: str = "central",
                    h=None, rtol=None) -> dict:
    """Check every parameter's backprop gradient against :func:`descend.check_grad`.

    For each parameter ``p`` the objective ``L(p) = loss(model(X), y)`` (the other
    parameters held fixed) is differentiated numerically and compared with
    ``model.backward(loss.backward())[name]``.

    Parameters
    ----------
    model : Sequential
        Checked on a float64 copy when it is float32 (float32 rounding, about 1e-7
        relative, would swamp the finite-difference error); the model itself is
        never changed: its parameters and random state are the same afterwards.
    loss : Loss or str
    X, y : array_like
        A small batch.
    inputs : bool, default False
        Also check dL/dX (reported under the key ``"input"``), which is how
        parameter-free layers (ReLU, Tanh, ...) are checked.
    method, h, rtol
        Passed to :func:`descend.check_grad`.

    Returns
    -------
    dict
        Parameter name -> the report of :func:`descend.check_grad` (``.passed``,
        ``.max_rel_error``, ``.worst``, ``.tol``).

    Notes
    -----
    Dropout draws its mask from its generator; the generator is reset to the same
    state before every evaluation, so every forward pass uses one mask and the
    objective is a fixed smooth function of the parameters.
    """
    from ..diff import check_grad

    if not isinstance(model, Sequential):
        raise DescendError(f"model must be a descend.nn.Sequential, got {type(model).__name__}")
    loss = get_loss(loss)
    if not isinstance(loss, Loss):  # pragma: no cover - get() guarantees it
        raise DescendError(f"loss must be a descend.nn loss, got {loss!r}")
    work = model.astype(np.float64)  # a copy: the caller's model is never perturbed
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise DescendError(f"X must be a 2-D batch of shape (N, features), got shape {X.shape}")
    y = np.asarray(y)
    if y.dtype.kind == "f":
        y = y.astype(np.float64)
    state = work.rng_state()

    def objective(x_in=X) -> float:
        work.set_rng_state(state)  # the same Dropout mask at every evaluation
        return loss.forward(work.forward(x_in), y)

    reports = {}
    for name, p in work.params.items():
        saved = p.copy()

        def f(w, p=p):
            p[...] = w
            return objective()

        def g(w, p=p, name=name):
            p[...] = w
            objective()
            return work.backward(loss.backward())[name].copy()

        try:
            reports[name] = check_grad(f, g, saved.copy(), method=method, h=h, rtol=rtol)
        finally:
            p[...] = saved
    if inputs:
        def fx(x_in):
            return objective(np.asarray(x_in, dtype=np.float64))

        def gx(x_in):
            objective(np.asarray(x_in, dtype=np.float64))
            work.backward(loss.backward(), input_grad=True)
            return work.input_grad.copy()

        reports["input"] = check_grad(fx, gx, X.copy(), method=method, h=h, rtol=rtol)
    return reports
