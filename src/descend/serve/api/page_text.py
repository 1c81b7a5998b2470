"""The page's words: every label in English or Japanese from :mod:`descend.i18n` (the one message
catalogue), for ``GET /api/catalogue`` and the block index.html carries; how a run ended and the
titles of an optimizer's state arrays, as the runs' answers give them.
"""

from __future__ import annotations

import functools

__all__ = ["page_messages", "status_text", "state_title"]


#: The catalogue keys the page reads besides its own ``explorer.*``: page key -> catalogue key
#: (status words as the tour and the CLI say them; the internals panels' titles as descend.plot's).
_BORROWED = {"converged": "status.converged", "max_steps": "status.max_steps", "diverged": "status.diverged",
             "stopped": "status.stopped"}


@functools.lru_cache(maxsize=4)
def page_messages(lang: str) -> dict:
    """Every label of the page in ``lang``, from :mod:`descend.i18n` (the one catalogue).

    ``explorer.<key>`` becomes ``<key>`` (``explorer.unit.<u>`` becomes ``unit.<u>``), the
    status words keep their short page keys (``converged``...), and each optimizer state's
    title is ``state.<name>`` (from ``plot.state.<name>``).
    """
    from ... import i18n

    lang = i18n.check_lang(lang)
    out = {key[len("explorer."):]: entry[lang] for key, entry in i18n.CATALOGUE.items()
           if key.startswith("explorer.")}
    out.update({page: i18n.t(key, lang) for page, key in _BORROWED.items()})
    out.update({"state." + key[len("plot.state."):]: entry[lang] for key, entry in i18n.CATALOGUE.items()
                if key.startswith("plot.state.")})
    return out


def status_text(status: str, lang: str) -> str:
    """How a run ended (``converged``, ``max_steps``...), as words in ``lang``; unknown: as given."""
    from ... import i18n

    key = f"status.{status}"
    return i18n.t(key, lang) if i18n.has(key) else str(status)


def state_title(name: str, lang: str) -> str:
    """The one-line title of an optimizer's state array ``name`` in ``lang`` (``plot.state.*``)."""
    from ... import i18n

    key = f"plot.state.{name}"
    return i18n.t(key, lang) if i18n.has(key) else name
