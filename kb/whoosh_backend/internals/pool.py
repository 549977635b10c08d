"""The new segment's postings, grouped by field and term as the writer files them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kb.whoosh_backend.internals.blocks import Term, terms_of

# Bytes a pooled posting takes beyond its value (tuple, float, int, bytes header, list slot),
# and a term beyond its text (dict entry, list, bytes header).
_POSTING = 160
_TERM = 170


class GroupedPool:
    """The new segment's postings grouped by field and term as they come.

    Whoosh's pool keeps one tuple per posting and sorts them all at flush (a quarter of a
    commit); documents come in docnum order, so each term's list is already sorted and only
    the distinct terms are. Past ``limit`` bytes (the memory its objects take on CPython 3.11,
    ``_POSTING`` and ``_TERM``), everything goes to Whoosh's own pool, which spills sorted runs
    to disk."""

    def __init__(self, fallback: Any, limit: int) -> None:
        self._fallback = fallback
        self._limit = limit
        self._fields: dict[str, dict[bytes, list[tuple[int, float, bytes | None]]]] = {}
        self._size = 0
        self._spilled = False

    def add_field(self, fieldname: str, docnum: int, postings: list[tuple[bytes, int, bytes]], format_boost: float,
                  field_boost: float) -> int:
        """File one document's ``Encoded`` postings of a field; returns the field's length.
        A posting weighs its frequency times the two boosts, multiplied in Whoosh's order."""
        length = 0
        if self._spilled:
            for tbytes, freq, vbytes in postings:
                self._fallback.add((fieldname, tbytes, docnum, freq * format_boost * field_boost, vbytes))
                length += freq
            return length
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
        size = 0
        for tbytes, freq, vbytes in postings:
            length += freq
            found = terms.get(tbytes)
            if found is None:
                terms[tbytes] = [(docnum, freq * format_boost * field_boost, vbytes)]
                size += _TERM + len(tbytes)
            else:
                found.append((docnum, freq * format_boost * field_boost, vbytes))
            size += _POSTING + len(vbytes)
        self._grew(size)
        return length

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Whoosh's pool interface: (field, term, docnum, weight, value)."""
        if self._spilled:
            self._fallback.add(item)
            return
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
        found = terms.get(tbytes)
        size = _POSTING + len(vbytes or b"")
        if found is None:
            terms[tbytes] = [(docnum, weight, vbytes)]
            size += _TERM + len(tbytes)
        else:
            found.append((docnum, weight, vbytes))
        self._grew(size)

    def _grew(self, size: int) -> None:
        self._size += size
        if self._size <= self._limit:
            return
        # Handed over a term at a time, each list freed as Whoosh's pool takes it in (and
        # writes its own runs to disk): the two pools are never both full in memory.
        add = self._fallback.add
        fields = self._fields
        while fields:
            fieldname, terms = fields.popitem()
            while terms:
                tbytes, entries = terms.popitem()
                for docnum, weight, vbytes in entries:
                    add((fieldname, tbytes, docnum, weight, vbytes))
        self._spilled = True

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """Every posting in (field, term, docnum) order, as Whoosh's pool gives them."""
        if self._spilled:
            yield from self._fallback.iter_postings()
            return
        for fieldname, tbytes, entries in self.iter_terms():
            for docnum, weight, vbytes in entries:
                yield fieldname, tbytes, docnum, weight, vbytes

    def iter_terms(self) -> Iterator[Term]:
        """Every term's postings in docnum order, terms in (field, term) order."""
        if self._spilled:
            yield from terms_of(self._fallback.iter_postings())
            return
        fields, self._fields = self._fields, {}
        for fieldname in sorted(fields):
            terms = fields.pop(fieldname)
            for tbytes in sorted(terms):
                entries = terms.pop(tbytes)
                entries.sort()  # in docnum order already, unless a merge interleaved: linear then
                yield fieldname, tbytes, entries

    def cleanup(self) -> None:
        self._fields = {}
        self._fallback.cleanup()
