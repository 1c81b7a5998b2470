"""The gradient transforms every optimizer shares, written once for arrays and (under numba) scalars.

Applied in this order: non-finite guard and global norm (in :meth:`Optimizer.step
<descend.optim.base.Optimizer.step>`, over every parameter of a step), then, per
element, :func:`prepare`: ``clip_value``, the ``clip_norm`` factor, coupled weight decay
``g + weight_decay*p`` or decoupled ``p * (1 - lr*weight_decay)``; then the rule.
:func:`nonfinite_message` says where the guard found a nan or an inf.
"""

from __future__ import annotations

import numpy as np

from .containers import blocks, rows_view

__all__ = ["prepare", "nonfinite_message"]


def prepare(p, g, lr, clip_value, use_clip_value, factor, use_factor,
            weight_decay, coupled, decoupled):
    """The shared transforms, in order: clip by value, scale by the clip-norm factor,
    coupled weight decay ``g + wd*p`` (L2), decoupled weight decay ``p*(1 - lr*wd)``.

    Returns the new ``(p, g)``; never changes its arguments.  The flags switch each
    transform off exactly (no multiplication by 1, no addition of 0).
    """
    if use_clip_value:
        g = np.minimum(np.maximum(g, -clip_value), clip_value)
    if use_factor:
        g = g * factor
    if coupled:
        g = g + weight_decay * p
    if decoupled:
        p = p * (1 - lr * weight_decay)
    return p, g


def nonfinite_message(name, leaves, rows, per_run) -> str:
    """The non-finite guard's message: the first nan/inf gradient, its key, run and index."""
    for leaf in leaves:
        G = rows_view(np.ascontiguousarray(leaf.g), rows)
        for rs, cs in blocks(*G.shape):
            gb = G[rs, cs]
            bad = np.argwhere(~np.isfinite(gb))
            if bad.size:
                r = rs.start + int(bad[0][0])
                flat = int(bad[0][1]) + (cs.start or 0) + r * G.shape[1]
                idx = tuple(int(i) for i in np.unravel_index(flat, leaf.g.shape)) if leaf.g.ndim else ()
                where = f" (run {r})" if per_run else ""
                return (f"{name}: non-finite gradient in {leaf.label.replace('params', 'grads')}{where}: "
                        f"{leaf.g[idx]} at index {idx}")
    return f"{name}: non-finite gradient"  # pragma: no cover - survey found one
