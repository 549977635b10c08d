"""French typography of what people read: a quotation mark « » is held to the words it
encloses by a non-breaking space, so that a line never starts with » or ends with «."""

from __future__ import annotations

import re

NBSP = "\u00a0"  # the plain non-breaking space: the narrow one (U+202F) is missing from some e-mail fonts
_OPENING = re.compile(r"«[^\S\n\u00a0\u202f]*(?=\S)")
_CLOSING = re.compile(r"(?<=\S)[^\S\n\u00a0\u202f]*»")


def french_spaces(text: str) -> str:
    """``text`` with a non-breaking space after each « and before each » (an ordinary space
    there is replaced, a missing one added; one already non-breaking is kept)."""
    return _CLOSING.sub(NBSP + "»", _OPENING.sub("«" + NBSP, text))
