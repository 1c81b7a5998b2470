"""The explorer's endpoints, one module per group: each takes a request's parsed JSON body (a dict),
checks it against :data:`~descend.serve.checks.LIMITS` and returns a dict for the JSON writer.

- :mod:`.listings`: ``GET /api/problems``, ``GET /api/optimizers`` (what the page can choose from);
- :mod:`.landscape`: ``POST /api/surface``, ``/api/run`` (with the optimizers' internals), ``/api/lr``,
  ``/api/derivatives``;
- :mod:`.playground`: ``POST /api/train/start|step|stop`` (the training playground);
- :mod:`.export`: ``POST /api/export`` (a configuration as descend, torch and optax code).

The contract is ``serve/API.md``.
"""

from __future__ import annotations

from . import export, landscape, listings, playground

__all__ = ["export", "landscape", "listings", "playground"]
