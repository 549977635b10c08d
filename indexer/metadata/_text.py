"""Text helpers shared by the inference modules: the form matchers search, and term patterns."""

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
    # Every other Latin letter and punctuation mark maps to itself: ``translate`` raises and
    # swallows a LookupError for each character missing from the table, and that was half
    # its time on French text.
    for code in (*range(0x250), *range(0x2000, 0x2070)):
        table.setdefault(code, chr(code))
    return table


_FOLD = _build_fold_table()


# The last long text folded each way, and its form: metadata inference folds a document's whole
# text once per matcher (themes, organisations' names, acronyms), ~5 % of a worker's CPU.
_LONG = 2000
_last_stripped: tuple[str, str] = ("", "")
_last_form: tuple[str, str] = ("", "")


def strip_accents(text: str) -> str:
    """Remove accents but keep the case (for case-sensitive acronym matching)."""
    global _last_stripped
    if len(text) < _LONG:
        return text.translate(_FOLD)
    last = _last_stripped  # one read: another thread may replace it, never tear it
    if last[0] == text:
        return last[1]
    stripped = text.translate(_FOLD)
    _last_stripped = (text, stripped)
    return stripped


def match_form(text: str) -> str:
    """The form of ``text`` every matcher searches: accents and case away, typographic
    apostrophes, spaces and dashes made plain, one character per character but for ligatures.

    Not ``kb.analysis.fold``, which makes index terms: that one decomposes compatibility
    characters ("…" -> "...", "²" -> "2") and keeps apostrophes and dashes as written, which the
    patterns here would have to spell every way.
    """
    global _last_form
    if len(text) < _LONG:
        return text.translate(_FOLD).lower()
    last = _last_form
    if last[0] == text:
        return last[1]
    form = text.translate(_FOLD).lower()
    _last_form = (text, form)
    return form


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
    """Longest-first alternation so "prévention de la délinquance" beats "prévention".

    Each pattern must start with one literal character, escaped or not (``term_pattern`` and
    ``re.escape`` give that). Patterns are grouped under their first character, in their
    longest-first order: "a(?:ccueil|ide)|e(?:cole)" tries only the branches that can match
    where "a|b|c…" tried hundreds at each word start (the thesaurus scan takes a third of
    the CPU it took). Branches of different groups cannot match at the same place, so every match is
    the one the flat alternation gave.
    """
    groups: dict[str, list[str]] = {}
    for pattern in sorted(set(patterns), key=len, reverse=True):
        head = 2 if pattern.startswith("\\") else 1
        groups.setdefault(pattern[:head], []).append(pattern[head:])
    return "|".join(f"{head}(?:{'|'.join(rests)})" for head, rests in groups.items())


def is_acronym(term: str) -> bool:
    """A thesaurus or list entry written in capitals (REP, P147) is matched case-sensitively."""
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and term.upper() == term and " " not in term.strip() and len(term) <= 12
