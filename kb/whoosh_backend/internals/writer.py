"""Patches to whoosh 2.7.5's segment writer: cached field lengths at flush, a lock released
when opening a writer or its commit fails half-way, postings filed as the extraction workers
encoded them (``KbSegmentWriter``), pooled by term (``internals.pool``), merged segments
streamed in (``internals.segment_lists``), and each segment's word list
(``internals.wordlists``).

Relies on: ``SegmentWriter.per_document_reader`` (called by ``_flush_segment``, which then only
calls ``doc_field_length`` and ``close`` on what it returns; ``has_column`` and
``whoosh.codec.whoosh3._lenfield`` name a field's length column), ``SegmentWriter._finish``,
``SegmentWriter.writelock``, ``SegmentWriter.is_closed``, and ``SegmentWriter``'s ``_lk``
argument (False: it takes no lock of its own).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from whoosh.codec.whoosh3 import _lenfield
from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from kb.whoosh_backend.internals.blocks import can_write, terms_of, write_terms
from kb.whoosh_backend.internals.pool import GroupedPool
from kb.whoosh_backend.internals.segment_lists import segment_postings
from kb.whoosh_backend.internals.wordlists import count_into, listing, read_words, write_words


class _Lengths:
    """A new segment's field lengths, each read once: Whoosh's segment flush asks for the
    length of a document's field once per posting, each time from the column file, and for a
    field without lengths (not scored) it looks for that file on disk each time."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._memo: dict[tuple[int, str], Any] = {}
        self._without: dict[str, bool] = {}  # field name -> it has no length column

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        key = (docnum, fieldname)
        try:
            return self._memo[key]
        except KeyError:
            pass
        without = self._without.get(fieldname)
        if without is None:
            without = self._without[fieldname] = not self._reader.has_column(_lenfield(fieldname))
        value = self._memo[key] = default if without else self._reader.doc_field_length(docnum, fieldname, default)
        return value

    def column(self, fieldname: str, doc_count: int) -> list[int] | None:
        """Every document's length of the field, read straight (not kept here), or None when
        the field has no lengths."""
        without = self._without.get(fieldname)
        if without is None:
            without = self._without[fieldname] = not self._reader.has_column(_lenfield(fieldname))
        if without:
            return None
        read = self._reader.doc_field_length
        return [read(docnum, fieldname, 0) for docnum in range(doc_count)]

    def close(self) -> None:
        self._reader.close()


def open_writer(ix: Any, **options: Any) -> Any:
    """A segment writer of ``ix`` holding its lock, or an error with the lock left free.

    Whoosh's constructor takes the lock first and then reads the table of contents and opens
    the new segment's files; cut short there (Ctrl-C, a damaged TOC), it released the lock
    nowhere and the base stayed locked until that process ended."""
    lock = ix.lock("WRITELOCK")
    taken = False
    try:
        taken = lock.acquire(False)
        if not taken:
            raise LockError
        writer = KbSegmentWriter(ix, _lk=False, **options)
        writer.writelock = lock
    except BaseException:
        if taken:
            lock.release()
        raise
    return writer


def release(writer: Any) -> None:
    """Release a writer whose commit failed half-way (whoosh 2.7.5 commits without finally)."""
    if getattr(writer, "is_closed", True):
        return
    try:
        writer._finish()
    except Exception:  # noqa: BLE001 - best effort; the lock itself is released below
        pass
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - already released by _finish
            pass


def cache_lengths(writer: Any) -> None:
    """Give the writer's segment flush (whoosh 2.7.5 ``SegmentWriter._flush_segment``, which
    only calls ``doc_field_length`` and ``close``) the cached lengths."""
    fresh = writer.per_document_reader
    writer.per_document_reader = lambda: _Lengths(fresh())


# Values of a field whose analysis a writer remembers; past them (ids, paths), none more.
INDEXED_VALUES = 512


class Encoded(list):  # type: ignore[type-arg]
    """A field's value given as postings already encoded (``kb.whoosh_backend.prepare.encode``):
    ``KbSegmentWriter.add_document`` files them without analysing anything."""


class KbSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's segment writer that files ``Encoded`` field values as they are, pools postings
    by term (``GroupedPool``) and streams the postings of the segments it merges in.

    ``add_document`` is whoosh 2.7.5's, but for the ``Encoded`` branch: a fifth of the writer
    process's profile was Whoosh's analysis and encoding of term lists (``FieldType.index``),
    which the extraction workers now do in parallel.

    Relies on: ``SegmentWriter._check_state``, ``_doc_boost``, ``_field_boost``, ``_check_fields``,
    ``perdocwriter`` (``start_doc``, ``add_field``, ``add_column_value``, ``finish_doc``,
    ``cancel_doc``, ``close``), ``docnum``, ``_added``, ``pool`` (``add``, ``iter_postings``,
    ``cleanup``), ``newsegment``, ``write_per_doc``, ``_process_posts``, ``_flush_segment`` / ``_close_segment``
    (overridden whole), ``codec.length_stats``, ``fieldwriter.add_postings`` and
    ``FieldType.format.field_boost``."""

    pool: GroupedPool

    def __init__(self, ix: Any, **options: Any) -> None:
        super().__init__(ix, **options)
        self.pool = GroupedPool(self.pool, options.get("limitmb", 128) * 1024 * 1024)
        # Segments being merged in: (own reader, first new docnum, docnum map or None).
        self._merging: list[tuple[Any, int, Any]] = []
        # The new segment's word list: documents per word, and per written form.
        self._words: Counter[str] = Counter()
        self._forms: Counter[str] = Counter()
        self._indexed: dict[str, dict[str, tuple[Any, ...]]] = {}  # field -> value -> its postings

    def _index(self, fieldname: str, field: Any, value: Any) -> Iterable[tuple[bytes, int, float, bytes]]:
        """``field.index(value)``, remembered for the first ``INDEXED_VALUES`` short values of
        each field: the facets and identifiers Whoosh still analyses here take a few values
        (types, years, themes, empty practice facets) across thousands of documents, and its
        analysis was ~6 % of the writer's profile. An analyzer's output depends on the value
        alone."""
        if not isinstance(value, str) or len(value) > 256:
            return field.index(value)  # type: ignore[no-any-return]
        known = self._indexed.get(fieldname)
        if known is None:
            known = self._indexed[fieldname] = {}
        found = known.get(value)
        if found is None:
            found = tuple(field.index(value))
            if len(known) < INDEXED_VALUES:
                known[value] = found
        return found

    def add_words(self, words: Iterable[str], forms: Iterable[str]) -> None:
        """Count a document's distinct words (unstemmed) and forms (``prepare.Analysis``)
        into the new segment's word list.

        The words were the postings of a field of their own, 44 % of those the writer filed
        for the shared corpus; counting them is a fraction of that (bench/README.md). Merges
        add lists up: the words of documents deleted since stay in them, and their readers
        check a word's stem in the body (``kb.whoosh_backend.spelling``)."""
        self._words.update(words)
        self._forms.update(forms)

    def add_reader(self, reader: Any) -> None:
        """Merge in the segment ``reader`` reads: its documents now, its postings streamed
        at flush (``_flush_segment``, read by ``segment_postings``) instead of going through
        the pool: merging 40,000 documents filled Whoosh's pool past its bound, which then
        pickled every posting to sorted runs on disk and read them back."""
        self._check_state()
        segment = reader.segment()
        own = SegmentReader(self.storage, self.schema, segment)  # the caller closes its own
        try:
            first = self.docnum
            names = set(self.schema.names()) | {n for n in own.indexed_field_names() if n in self.schema}
            self._merging.append((own, first, self.write_per_doc(names, own)))
            count_into(self._words, self._forms, read_words(own))
        except BaseException:
            own.close()
            raise
        self._added = True

    def _flush_segment(self) -> None:
        # whoosh 2.7.5's, with two changes. The postings of the segments merged in are merged
        # in order: each stream is sorted by (field, term), then docnum, and the streams'
        # docnums follow one another (the pool's new documents first, then each segment in
        # turn), so a stable merge on (field, term) gives every term's postings in docnum order.
        # And each term's list is written whole (``blocks.write_terms``) where the codec is
        # the one it knows.
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        fieldwriter = self.fieldwriter
        whole = can_write(fieldwriter, self.codec)
        if self._merging:
            streams = [self.pool.iter_postings()]
            streams += [self._process_posts(segment_postings(own), first, docmap)
                        for own, first, docmap in self._merging]
            postings = heapq.merge(*streams, key=itemgetter(0, 1))
            if whole:
                write_terms(fieldwriter, self.schema, lengths, self.docnum, terms_of(postings))
            else:
                fieldwriter.add_postings(self.schema, lengths, postings)
        elif whole:
            write_terms(fieldwriter, self.schema, lengths, self.docnum, self.pool.iter_terms())
        else:
            fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        fieldwriter.close()
        if lengths is not None:
            lengths.close()
        write_words(self.storage, self.newsegment, listing(self._words, self._forms))

    def _close_segment(self) -> None:
        try:
            super()._close_segment()
        finally:
            merging, self._merging = self._merging, []
            for own, _, _ in merging:
                own.close()

    def add_document(self, **fields: Any) -> None:
        if not any(isinstance(value, Encoded) for value in fields.values()):
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if isinstance(value, Encoded):
                    if not field.indexed or field.column_type or field.vector or field.separate_spelling():
                        raise ValueError(f"field {fieldname!r} cannot take encoded postings")
                    length = pool.add_field(fieldname, docnum, value, field.format.field_boost,
                                            self._field_boost(fields, fieldname, docboost))
                    if not field.scorable:
                        length = 0
                    if field.stored and "_stored_" + fieldname not in fields:
                        raise ValueError(f"stored field {fieldname!r} needs its text in _stored_{fieldname}")
                    stored = fields["_stored_" + fieldname] if field.stored else None
                    perdocwriter.add_field(fieldname, field, stored, length)
                    continue
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in self._index(fieldname, field, value):
                        if scorable:
                            length += freq
                        pool.add((fieldname, tbytes, docnum, weight * fieldboost, vbytes))
                if field.separate_spelling() or field.vector:
                    raise ValueError(f"field {fieldname!r}: spelling and vectors are not written here")
                customval = fields.get("_stored_" + fieldname, value)
                perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
