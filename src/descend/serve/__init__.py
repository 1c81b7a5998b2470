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

# the endpoint modules' old import paths ('from descend.serve import landscape', as bench/serve.py has it)
from .api import export, landscape, playground  # noqa: F401
from .app import create_app
from .server import main, url

__all__ = ["create_app", "main", "url"]
