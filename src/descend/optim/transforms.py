"""The gradient transforms every optimizer shares, written once for arrays and (under numba) scalars.

Applied in this order: non-finite guard and global norm (in :meth:`Optimizer.step
<descend.optim.base.Optimizer.step>`, over every parameter of a step), then, per
element, :func:`prepare`: ``clip_value``, the ``clip_norm`` factor, coupled weight decay
``g + weight_decay*p`` or decoupled ``p * (1 - lr*weight_decay)``; then the rule.
"""

from __future__ import annotations

import numpy as np

__all__ = ["prepare"]


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
