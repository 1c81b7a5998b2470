"""One message catalogue for English and Japanese: the tour, its pictures, tables and status words.

Every string a learner reads on the demo page, in its pictures and in the CLI's tables
is a key of :data:`CATALOGUE` with one text per language (``"en"``, ``"ja"``); code
asks for ``t(key, lang, **fields)`` and never holds the text itself.  Fields are
filled with :meth:`str.format`, so numbers are formatted where they are computed
(by :mod:`descend.fmt`).

The language is chosen once per call: an explicit ``lang``, else :func:`get_lang` (set
with :func:`set_lang`, or detected from the locale: ``LC_ALL``, ``LC_MESSAGES``,
``LANG`` and ``LANGUAGE``; Japanese when it starts with ``ja``).

The Japanese follows the books the seeds study (ゼロから作るDeep Learning, the Japanese
edition of Goodfellow et al.): 学習率, 勾配降下法, 数値微分, 中心差分, 条件数, 鞍点, ...
(``/work/shared/glossary-ja.md`` of the project).
"""

from __future__ import annotations

import os
import string

from ..errors import DescendError, unknown_name
from .catalogue import ADDED, CATALOGUE, NAMES

__all__ = ["LANGS", "NAMES", "CATALOGUE", "t", "get_lang", "set_lang", "detect_lang", "check_lang", "has"]

#: the languages every key has: English, Japanese and those a contributor added (catalogue.ADDED)
LANGS = ("en", "ja") + ADDED

_chosen: str | None = None


def detect_lang(environ=None) -> str:
    """The language of :data:`LANGS` the locale names (``ja_JP.UTF-8``, ``ja``... give ``"ja"``), else ``"en"``.

    The first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set decides, as POSIX does;
    ``LANGUAGE`` (a GNU list such as ``ja:en``) is read first when set.
    """
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(var) or "").strip()
        if value:
            first = value.split(":")[0].lower()
            if first in ("c", "posix") or first.startswith(("c.", "posix.")):
                continue  # the portable default says nothing about the reader
            return next((lang for lang in LANGS[1:] if first.startswith(lang)), "en")
    return "en"


def check_lang(lang) -> str:
    """``lang`` if it is one of :data:`LANGS` (None: :func:`get_lang`); else a clear error."""
    if lang is None:
        return get_lang()
    if not isinstance(lang, str) or lang not in LANGS:
        raise DescendError(unknown_name("language", lang, LANGS))
    return lang


def get_lang() -> str:
    """The language :func:`set_lang` chose, else the locale's (:func:`detect_lang`)."""
    return _chosen if _chosen is not None else detect_lang()


def set_lang(lang) -> None:
    """Use ``lang`` ("en" or "ja") from now on; None goes back to the locale's."""
    global _chosen
    _chosen = None if lang is None else check_lang(lang)


def has(key: str) -> bool:
    """Whether ``key`` is in the catalogue."""
    return key in CATALOGUE


def t(key: str, lang: str | None = None, /, **fields) -> str:
    """The text of ``key`` in ``lang`` (default :func:`get_lang`), its ``{fields}`` filled in."""
    lang = check_lang(lang)
    try:
        entry = CATALOGUE[key]
    except KeyError:
        raise DescendError(f"no message {key!r} in the catalogue") from None
    text = entry[lang]
    return text.format(**fields) if fields or _has_fields(text) else text


def _has_fields(text: str) -> bool:
    return any(name is not None for _, name, _, _ in string.Formatter().parse(text))


def fields(key: str, lang: str) -> set:
    """The ``{names}`` the text of ``key`` in ``lang`` asks for (both languages must ask for the same)."""
    return {name for _, name, _, _ in string.Formatter().parse(CATALOGUE[key][lang]) if name}
