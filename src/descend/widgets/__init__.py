"""descend in the notebook: the explorer's panels as Jupyter widgets (anywidget).

``Landscape("rosenbrock")`` in a cell draws the landscape panel; drag the start, and read
``.start`` and ``.results`` in the next cell.  The kernel computes every number with descend
(the explorer's endpoints, called directly: no server, no token).  Needs the ``notebook`` extra
(``pip install 'descend[notebook]'``); ``import descend`` never imports this package.
"""

from __future__ import annotations

from .model import WidgetError, static_pictures
from .panels import Derivatives, Landscape, LearningRate, Training

__all__ = ["Landscape", "LearningRate", "Derivatives", "Training", "WidgetError", "static_pictures"]
