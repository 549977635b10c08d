"""Text helpers shared by the inference modules: accent folding and term patterns."""

from __future__ import annotations

import re
import unicodedata


def _build_fold_table() -> dict[int, str]:
    """Map every accented Latin letter to its base letters, computed once from Unicode data.

    ``str.translate`` with a table is several times faster than NFKD + filtering on 1 MB of
    text, and keeps one character per character for all but the ligatures.
    """
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base and base != char:
            table[code] = base
    table.update({ord("œ"): "oe", ord("Œ"): "OE", ord("æ"): "ae", ord("Æ"): "AE", ord("ß"): "ss"})
    # Typographic apostrophes, modifier letters and non-breaking spaces are written many ways
    # in PDF and Word files; one form keeps every pattern simple.
    for quote in "’‘ʼʹ`´":
        table[ord(quote)] = "'"
    for space in "\u00a0\u202f\u2009\u2007":
        table[ord(space)] = " "
    for dash in "‐‑‒–—":
        table[ord(dash)] = "-"
    return table


_FOLD = _build_fold_table()


def strip_accents(text: str) -> str:
    """Remove accents but keep the case (for case-sensitive acronym matching)."""
    return text.translate(_FOLD)


def fold(text: str) -> str:
    """Accent- and case-insensitive form of ``text`` used by every matcher."""
    return text.translate(_FOLD).lower()


_SEPARATORS = re.compile(r"[\s\-]+")
_PLURAL = re.compile(r"(?<=\w\w\w)[sx]\b")


def term_key(term: str) -> str:
    """Canonical form of a folded term or match: one space between words, no plural s/x.

    Patterns accept plurals and hyphen/space variants, so a match is mapped back to its term
    through this key rather than through regex groups (one group per term would be slow).
    """
    return _PLURAL.sub("", _SEPARATORS.sub(" ", term.strip()))


def term_pattern(term: str) -> str:
    """Regex for one folded term: words joined by spaces or hyphens, each with an optional s/x."""
    words = [w for w in _SEPARATORS.split(term.strip()) if w]
    return r"[\s\-]+".join(re.escape(w) + "[sx]?" for w in words)


def alternation(patterns: list[str]) -> str:
    """Longest-first alternation so "prévention de la délinquance" beats "prévention"."""
    return "|".join(sorted(set(patterns), key=len, reverse=True))


def is_acronym(term: str) -> bool:
    """A thesaurus or list entry written in capitals (REP, P147) is matched case-sensitively."""
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and term.upper() == term and " " not in term.strip() and len(term) <= 12
