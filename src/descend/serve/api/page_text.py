"""The page's words: every label in English or Japanese from :mod:`descend.i18n` (the one message
catalogue), for ``GET /api/catalogue`` and the block index.html carries; how a run ended and the
titles of an optimizer's state arrays, as the runs' answers give them; a refused formula's one
friendly line.
"""

from __future__ import annotations

import functools
import re

from ..checks import BadRequest

__all__ = ["page_messages", "status_text", "state_title", "formula_text", "formula_refusal"]


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
    out["language_name"] = i18n.NAMES[lang]  # the language switch lists every language by its own name
    return out


#: A refused formula's reason (the parser's English) -> the catalogue key and its fields.
_FORMULA_REASONS = (
    (r"the (function|name) '(?P<name>.+?)' is not allowed", lambda m: f"explorer.formula_{m[1]}"),
    (r"the exponent (?P<value>\S+) is too large .*?at most (?P<most>\d+)", "explorer.formula_exponent"),
    (r"nesting deeper than (?P<most>\d+) levels", "explorer.formula_nesting"),
    (r"(a number this large|the number .* is not finite)", "explorer.formula_number"),
    (r"the operator (?P<name>.+?) is not allowed", "explorer.formula_operator"),
    (r"(the function )?(?P<name>\w+) (must be called with one|takes exactly one)", "explorer.formula_one_argument"),
    (r"keyword arguments are not allowed \((?P<name>\w+) takes", "explorer.formula_one_argument"),
    (r"is (?P<length>\d+) characters long; at most (?P<most>\d+)", "explorer.formula_too_long"),
    (r"is empty", "explorer.formula_empty"),
)

#: Python's syntax errors, in words of the catalogue (others are shown as Python words them).
_SYNTAX_REASONS = (
    (r"invalid syntax", "explorer.formula_why_invalid"),
    (r"(?P<bracket>'.') was never closed", "explorer.formula_why_unclosed"),
    (r"unmatched (?P<bracket>'.')", "explorer.formula_why_unmatched"),
)


def formula_text(message: str, lang: str) -> str:
    """One friendly line for a refused formula in ``lang``: the parser's message without the field
    path, the formula echoed back or the list of what is allowed (the page shows that under the box)."""
    from ... import i18n

    reason = re.sub(r"^[\w.\[\]]+: ", "", str(message))
    reason = re.sub(r"^expression '.*?'(?::\s*|\s+)", "", reason, flags=re.S)
    reason = re.sub(r"^expression ", "", reason)
    reason = re.sub(r"; allowed: .*$", "", reason, flags=re.S).strip()
    m = re.match(r"is not a formula \((.*)\)$", reason, flags=re.S)
    if m:
        why = m[1]
        for pattern, key in _SYNTAX_REASONS:
            found = re.match(pattern, why)
            if found:
                why = i18n.t(key, lang, **found.groupdict())
                break
        return i18n.t("explorer.formula_syntax", lang, why=why)
    for pattern, key in _FORMULA_REASONS:
        m = re.match(pattern, reason, flags=re.S)
        if m:
            return i18n.t(key(m) if callable(key) else key, lang, **m.groupdict())
    return i18n.t("explorer.formula_other", lang, why=re.sub(r"^is ", "", reason) or str(message))


def formula_refusal(label: str, exc: Exception) -> BadRequest:
    """The 400 for a refused formula: the field and the parser's message in ``error``, and one
    friendly line per language in ``formula_error`` (``{"en": ..., "ja": ...}``) for the page."""
    from ...i18n import LANGS

    return BadRequest(f"{label}: {exc}", extra={"formula_error": {lang: formula_text(str(exc), lang) for lang in LANGS}})


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
