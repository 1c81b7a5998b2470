"""Start a new language: ``python3 -m descend.i18n.template CODE NAME > src/descend/i18n/lang_CODE.py``.

Writes a module with ``NAME`` and ``MESSAGES``: every key of the catalogue with its English text, to be
translated in place (keep every ``{field}``; tests/test_i18n.py checks that each
language asks for the same fields as English).  Then add CODE to ``catalogue.ADDED``
(CONTRIBUTING.md, "A new language").
"""

from __future__ import annotations

import re
import sys

from .catalogue import CATALOGUE

_CODE = re.compile(r"^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$")


def template(code: str, name: str) -> str:
    """The text of ``lang_<code>.py`` with every key's English to translate."""
    if not isinstance(code, str) or not _CODE.match(code) or code in ("en", "ja"):
        raise ValueError(f"code must be a new language code such as 'ko' or 'pt_BR', got {code!r}")
    lines = [f'"""The catalogue in {name} ({code}): every key of descend.i18n.CATALOGUE, translated."""', "",
             f"NAME = {name!r}", "", "MESSAGES = {"]
    for key in sorted(CATALOGUE):
        en = CATALOGUE[key]["en"]
        lines.append(f"    {key!r}: {en!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python3 -m descend.i18n.template CODE NAME", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(template(*args))
    except ValueError as exc:
        print(f"descend.i18n.template: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
