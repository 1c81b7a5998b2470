"""descend serve: the live explorer, a thin page over the library.

``descend serve`` (or :func:`main`) starts a local web app on 127.0.0.1 and prints its
address with an access token.  The page (``serve/static/``, plotly.js from the plotly
wheel: nothing from the network) draws what the JSON API under ``/api/`` returns, and
every number there comes from descend: :func:`descend.minimize`,
:func:`descend.diff_error`, the curvature of :func:`descend.lr_find`, descend.nn and
descend.optim.  The contract is ``serve/API.md``.

Needs the ``serve`` extra (``pip install 'descend[serve]'``: Starlette, uvicorn,
plotly).  ``import descend`` never imports this package.
"""

from __future__ import annotations

import importlib

__all__ = ["create_app", "main", "url"]

#: imported on first use: the endpoints (``descend.serve.api``, which the notebook widgets call
#: directly) need neither Starlette nor uvicorn
_LAZY = {"create_app": "descend.serve.app", "main": "descend.serve.server", "url": "descend.serve.server"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'descend.serve' has no attribute {name!r}")
