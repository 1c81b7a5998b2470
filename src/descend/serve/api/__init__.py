"""The explorer's endpoints, one module per group: each takes a request's parsed JSON body (a dict),
checks it against :data:`~descend.serve.checks.LIMITS` and returns a dict for the JSON writer
(:mod:`descend.serve.json_out`).

- :mod:`.listings`: ``GET /api/problems``, ``GET /api/optimizers`` (what the page can choose from);
- :mod:`.page_text`: the page's words in en/ja (``GET /api/catalogue``, the block in index.html);
- :mod:`.landscape`: ``POST /api/surface``, ``POST /api/run`` (with the optimizers' internals);
- :mod:`.learning_rate`: ``POST /api/lr``;
- :mod:`.derivatives`: ``POST /api/derivatives``;
- :mod:`.playground`: ``GET /api/datasets``, ``POST /api/train/start|step|stop`` (the training playground);
- :mod:`.export`: ``POST /api/export`` (a configuration as descend, torch and optax code);

and what they share: :mod:`.inputs` (a problem, a start point, a run's spec read from a body) and
:mod:`.runner` (:func:`descend.minimize` without waiting for a compiled loop).  The contract is
``serve/API.md``.
"""

from __future__ import annotations

from . import derivatives, export, inputs, landscape, learning_rate, listings, page_text, playground, runner

__all__ = ["derivatives", "export", "inputs", "landscape", "learning_rate", "listings", "page_text", "playground",
           "runner"]
