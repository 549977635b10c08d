"""Snippets and matching pages, computed from a document's text and the query's terms.

The output is HTML-safe: document text is escaped, and only our own ``<mark>`` tags are added.
"""

from __future__ import annotations

import bisect
import html
import re

from kb.analysis import Analyzer

PAGE_BREAK = "\f"
SNIPPET_CHARS = 240
# Very long documents are scanned up to this many characters for snippet and pages, which
# bounds the cost of a results page; the ranking itself always sees the whole text.
SCAN_CHARS = 3_000_000

_SPACE_RE = re.compile(r"\s+")


def match_spans(text: str, terms: frozenset[str], analyzer: Analyzer) -> list[tuple[int, int, str]]:
    """(start, end, term) of every token of ``text`` whose term is one of ``terms``."""
    if not terms:
        return []
    return analyzer.occurrences(text[:SCAN_CHARS], terms)


def page_starts(text: str) -> list[int]:
    """Offsets where each page begins, for texts whose pages are joined by form feeds."""
    starts = [0]
    i = text.find(PAGE_BREAK)
    while i != -1:
        starts.append(i + 1)
        i = text.find(PAGE_BREAK, i + 1)
    return starts


def pages_matched(spans: list[tuple[int, int, str]], starts: list[int]) -> tuple[int, ...]:
    """1-based page numbers holding at least one match, in order."""
    pages = sorted({bisect.bisect_right(starts, start) for start, _, _ in spans})
    return tuple(pages)


def snippet(text: str, spans: list[tuple[int, int, str]], width: int = SNIPPET_CHARS) -> str:
    """The window of ``text`` holding the most distinct matched terms, escaped, matches marked."""
    return snippet_window(text, spans, width)[0]


def snippet_window(text: str, spans: list[tuple[int, int, str]],
                   width: int = SNIPPET_CHARS) -> tuple[str, int, int]:
    """Like ``snippet``, with the (begin, end) offsets of the window it shows."""
    if not spans:
        lead = _SPACE_RE.sub(" ", text[: width * 2]).strip()
        return html.escape(_cut(lead, width)), 0, min(len(text), width)
    best_i, best_score = 0, -1
    j = 0
    for i, (start, _, _) in enumerate(spans):
        while j < len(spans) and spans[j][1] - start <= width:
            j += 1
        score = len({s[2] for s in spans[i:j]}) * 100 + (j - i)
        if score > best_score:
            best_i, best_score = i, score
    first = spans[best_i][0]
    begin = max(0, first - width // 4)
    # Start on a word boundary so the snippet does not open mid-word.
    if begin > 0:
        space = text.rfind(" ", max(0, begin - 20), first)
        begin = space + 1 if space != -1 else begin
    end = min(len(text), begin + width)
    if end < len(text):  # and end on one, keeping at least the chosen match
        space = text.rfind(" ", spans[best_i][1], end)
        end = space if space != -1 else end
    window = [s for s in spans if s[0] >= begin and s[1] <= end]
    out: list[str] = ["… " if begin > 0 else ""]
    cursor = begin
    for start, stop, _ in window:
        out.append(_clean(text[cursor:start]))
        out.append(f"<mark>{_clean(text[start:stop])}</mark>")
        cursor = stop
    out.append(_clean(text[cursor:end]))
    if end < len(text):
        out.append(" …")
    return "".join(out).strip(), begin, end


def _clean(piece: str) -> str:
    return html.escape(_SPACE_RE.sub(" ", piece))


def _cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width] + " …"
