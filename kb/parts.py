"""The full text of a document in parts: a web page never carries more than ``PART_CHARS``
characters of text, however long the document (a 20-million-character report would otherwise
be a 20 MB page), and the catalog keeps a long document's parts apart so that showing one reads
only that one. Parts end at a paragraph break (else a line break, else a space) and, for
paged documents, keep their page labels; a page longer than a part runs over several parts."""

from __future__ import annotations

from dataclasses import dataclass

PART_CHARS = 100_000  # ~100-130 KB of HTML: a long chapter, light for any browser
_SLACK = PART_CHARS // 4  # how far back a cut may go to fall on a break


@dataclass(frozen=True)
class Piece:
    """Characters ``start:end`` of page ``page`` (None for a document without pages)."""

    page: int | None
    start: int
    end: int

    @property
    def continued(self) -> bool:
        """The piece starts inside its page (its beginning is in the previous part)."""
        return self.start > 0


@dataclass(frozen=True)
class Part:
    """Part ``number`` (from 1) of the ``count`` parts of a document's text: its pieces with
    their text, as (page or None, continued from the previous part, text)."""

    number: int
    count: int
    paged: bool
    blocks: tuple[tuple[int | None, bool, str], ...]

    @property
    def has_text(self) -> bool:
        """Whether any block of the part holds text."""
        return any(text for _, _, text in self.blocks)


def part_of(pages: tuple[str, ...] | list[str], text: str, number: int) -> Part | None:
    """Part ``number`` of a document held whole in memory (None when it has fewer parts)."""
    parts = split(pages, text)
    if not 1 <= number <= len(parts):
        return None
    return Part(number, len(parts), bool(pages), tuple(
        (p.page, p.continued, (pages[p.page - 1] if p.page else text)[p.start:p.end]) for p in parts[number - 1]))


def split(pages: tuple[str, ...] | list[str], text: str) -> list[list[Piece]]:
    """The parts of a document: ``pages`` (numbered from 1) when it has some, else ``text``.
    Always at least one part (empty for a document without text)."""
    units: list[tuple[int | None, str]] = [(n, p) for n, p in enumerate(pages, 1)] if pages else [(None, text)]
    parts: list[list[Piece]] = []
    current: list[Piece] = []
    size = 0
    for page, body in units:
        if not body:
            current.append(Piece(page, 0, 0))
            continue
        start = 0
        while start < len(body):
            room = PART_CHARS - size
            if len(body) - start <= room:
                end = len(body)
            elif current and size > PART_CHARS - _SLACK:
                parts.append(current)  # nearly full: this page begins the next part whole
                current, size = [], 0
                continue
            else:
                end = _cut(body, start, start + room)
            current.append(Piece(page, start, end))
            size += end - start
            start = end
            if size >= PART_CHARS - _SLACK and start < len(body):
                parts.append(current)
                current, size = [], 0
        if size >= PART_CHARS:
            parts.append(current)
            current, size = [], 0
    if current or not parts:
        parts.append(current)
    return parts


def _cut(body: str, start: int, limit: int) -> int:
    """Where to end a piece that cannot go past ``limit``: the last break before it."""
    low = max(start + 1, limit - _SLACK)
    for sep in ("\n\n", "\n", " "):
        at = body.rfind(sep, low, limit)
        if at > start:
            return at + len(sep)
    return limit
