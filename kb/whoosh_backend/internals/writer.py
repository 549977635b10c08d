"""Patches to whoosh 2.7.5's segment writer: cached field lengths at flush, a lock released
when opening a writer or its commit fails half-way.

Relies on: ``SegmentWriter.per_document_reader`` (called by ``_flush_segment``, which then only
calls ``doc_field_length`` and ``close`` on what it returns), ``SegmentWriter._finish``,
``SegmentWriter.writelock``, ``SegmentWriter.is_closed``, and ``SegmentWriter``'s ``_lk``
argument (False: it takes no lock of its own).
"""

from __future__ import annotations

from typing import Any

from whoosh.index import LockError
from whoosh.writing import SegmentWriter


class _Lengths:
    """A new segment's field lengths, each read once: Whoosh's segment flush asks for the
    length of a document's field once per posting, each time from the column file."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._memo: dict[tuple[int, str], Any] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        key = (docnum, fieldname)
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = self._reader.doc_field_length(docnum, fieldname, default)
            return value

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
        writer = SegmentWriter(ix, _lk=False, **options)
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
