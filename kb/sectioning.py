"""Find the sections of a practice sheet (Contexte, Objectifs, … Contact) in extracted text.

A section starts at a heading that the section vocabulary (``kb.sections``) recognises: a
short line of its own (« 2. RÉSULTATS OBTENUS : »), a line the extractor reported as a
heading from styles or markup, or a label at the start of a paragraph (« Contexte : le
quartier… »). Its content runs to the next recognised heading, or to the end of the text.

Only line starts are looked at, through regular expressions that cannot backtrack over a
long line, so a 20-million-character text costs a few hundredths of a second more than
reading it (measured in tests/test_sections.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kb.model import Document, Section
from kb.sections import SectionVocabulary, default_sections

# Longest line taken as a heading on its own. The headings of the judged list
# (bench/sections/judged.jsonl) are all under 45 characters; 80 leaves room for numbering
# and a subtitle while the key_of word limit keeps sentences out.
MAX_HEADING_CHARS = 80
# Headings the extractor marked (styles, markup) may be longer: they are headings for sure.
MAX_MARKED_CHARS = 150
# « Contexte : … »: the label before the colon is a few words at most.
MAX_INLINE_LABEL_CHARS = 40
# One stray « Contact » line in a web page does not make a sheet: with fewer recognised
# sections than this, the document has none. Measured on the judged list: every judged
# sheet has at least 2; of the negatives, ones with one match (a news item's « Contact »,
# a letter's « Ressources », a charter's « Évaluation ») are the common case.
MIN_SECTIONS = 2
# A heading followed by less than this much content is a table-of-contents entry when the
# same key comes back later: the later one is the section.
MIN_CONTENT_CHARS = 20

# Possessive quantifiers (``++``, ``{…}+``) so that a long line fails in one step instead of
# backtracking character by character; the leading ``\n`` lets the engine jump from line
# to line (the text gets a ``\n`` prepended, so offsets are shifted by one).
_SHORT_LINE = re.compile(r"\n[ \t]*+([^\n]{1,%d}+)(?=\n|\Z)" % MAX_MARKED_CHARS)
# Only at a paragraph start (after a blank line): « Impact : … » inside a list of
# « Gouvernance : … / Vision produit : … » items is not a section (a dev-split error).
_INLINE = re.compile(r"\n[ \t]*\n[ \t]*+([^\n:]{2,%d}+):[ \t]*+(?=[^\s])" % MAX_INLINE_LABEL_CHARS)
# A Setext underline (« ------ » under a heading in plain text) belongs to the heading.
_UNDERLINE = re.compile(r"[ \t]*\n[ \t]*[-=_~]{3,}[ \t]*(?=\n|\Z)")


@dataclass(frozen=True)
class _Heading:
    key: str
    title: str
    start: int  # where the heading's line starts
    content: int  # where its content starts


def _headings(text: str, marked: frozenset[str], vocabulary: SectionVocabulary) -> list[_Heading]:
    padded = "\n" + text
    found: dict[int, _Heading] = {}
    for match in _SHORT_LINE.finditer(padded):
        line = match.group(1).rstrip()
        is_marked = line in marked
        if len(line) > MAX_HEADING_CHARS and not is_marked:
            continue
        head, colon, rest = line.partition(":")
        if colon and rest.strip():
            # « Contexte : le quartier… » on a short line: the inline rule below decides.
            continue
        key = vocabulary.key_of(line, marked=is_marked)
        if key is not None:
            start = match.start(1) - 1
            end = match.end(1) - 1
            underline = _UNDERLINE.match(text, end)
            found[start] = _Heading(key, line.rstrip(" :"), start,
                                    underline.end() if underline else end)
    for match in _INLINE.finditer("\n" + padded):
        label = match.group(1).strip()
        key = vocabulary.exact_key(label)
        if key is not None:
            start = match.start(1) - 2
            found.setdefault(start, _Heading(key, label, start, match.end() - 2))
    return [found[start] for start in sorted(found)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved inwards past white space (at most the span itself)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_sections(text: str, headings: Sequence[str] = (),
                  vocabulary: SectionVocabulary | None = None) -> tuple[Section, ...]:
    """The sections of ``text`` in order, each key once; () when fewer than ``MIN_SECTIONS``
    are recognised (the document is not a sheet). ``headings``: the headings the extractor
    found from styles or markup (``Extracted.headings``), accepted with looser rules."""
    vocabulary = vocabulary or default_sections()
    marked = frozenset(h.strip() for h in headings if h.strip())
    found = _headings(text, marked, vocabulary)
    spans: list[tuple[_Heading, int, int]] = []
    for i, heading in enumerate(found):
        # Every recognised heading ends the one before, even a repeated one: it is a heading.
        end = found[i + 1].start if i + 1 < len(found) else len(text)
        start, end = _trim(text, heading.content, end)
        spans.append((heading, start, end))
    # Each key once: the first occurrence with real content, so that a table of contents
    # (« 1. Contexte 3 » then the body's « 1. Contexte ») gives the body's section; merging
    # the occurrences would make one span out of separate places of the text.
    chosen: dict[str, tuple[_Heading, int, int]] = {}
    for heading, start, end in spans:
        previous = chosen.get(heading.key)
        if previous is None or (previous[2] - previous[1] < MIN_CONTENT_CHARS <= end - start):
            chosen[heading.key] = (heading, start, end)
    if len(chosen) < MIN_SECTIONS:
        return ()
    ordered = sorted(chosen.values(), key=lambda item: item[1])
    return tuple(Section(key=h.key, title=h.title, start=s, end=e) for h, s, e in ordered)


def sections_of(doc: Document) -> tuple[Section, ...]:
    """``doc``'s sections: those recorded at extraction, or found now in a record written
    before sections were recognised."""
    return doc.sections if doc.sections is not None else find_sections(doc.text, doc.headings)
