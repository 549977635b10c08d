"""The catalog's writes, in the crash-safe order the knowledge base follows: stage rows as
pending, then settle them once the index reflects them (a removal leaves a tombstone)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable

from kb.catalog._packing import pack
from kb.catalog._revisions import Revisions
from kb.catalog._rows import COLUMNS, DONE, INDEXED, PENDING, REMOVED, Change, now, path_column
from kb.catalog._texts import Texts
from kb.names import printable


class Catalog(Revisions, Texts):
    """The documents of a base in one SQLite file: their rows, records and past removals.
    Each method is one transaction."""

    def stage(self, changes: list[Change], stamp: str | None = None) -> None:
        """Record the intended state of each changed document, marked pending, in one
        transaction; ``stamp`` (default: now) is the time of the change."""
        stamp = stamp or now()
        with self._transaction() as db:
            for c in changes:
                doc = c.document
                record = (c.record or pack(doc)) if doc is not None else None
                # Upsert on id only: a path held by another id is a planning bug and must raise,
                # where INSERT OR REPLACE would silently delete that other row.
                db.execute(
                    f"INSERT INTO documents ({COLUMNS}, record, flags, collection) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET path = excluded.path, size = excluded.size, "
                    "mtime = excluded.mtime, sha256 = excluded.sha256, format = excluded.format, "
                    "status = excluded.status, error = excluded.error, sync = excluded.sync, "
                    # added_at is when the document entered the base (feeds are ordered by it):
                    # kept by an edit, a move or a rebuild, reset only when a document that was
                    # not searchable (failed, removed) becomes so.
                    "added_at = CASE WHEN documents.status != 'indexed' AND excluded.status = 'indexed' "
                    "THEN excluded.added_at ELSE documents.added_at END, "
                    "updated_at = excluded.updated_at, "
                    # A removed row keeps what it described until settle() buries it: its
                    # tombstone tells harvesters the sets it was in.
                    "title = CASE WHEN excluded.status = 'removed' THEN documents.title ELSE excluded.title END, "
                    "type = CASE WHEN excluded.status = 'removed' THEN documents.type ELSE excluded.type END, "
                    "date = CASE WHEN excluded.status = 'removed' THEN documents.date ELSE excluded.date END, "
                    "record = CASE WHEN excluded.status = 'removed' THEN documents.record ELSE excluded.record END, "
                    "flags = CASE WHEN excluded.status = 'removed' THEN documents.flags ELSE excluded.flags END, "
                    # A failed re-read keeps the collection it was given: the next success needs it.
                    "collection = CASE WHEN excluded.status = 'indexed' THEN excluded.collection "
                    "ELSE documents.collection END",
                    (c.id, path_column(c.file.path), c.file.size, c.file.mtime, c.file.sha256, c.file.format, c.status,
                     printable(c.error) if c.error else c.error, PENDING, stamp, stamp, None,
                     doc.title if doc else None, doc.type if doc else None, doc.date if doc else None, record,
                     " ".join(doc.flags) if doc else None, doc.collection if doc else None),
                )
                if c.status != REMOVED:  # back in the base: no longer announced as deleted
                    db.execute("DELETE FROM tombstones WHERE id = ?", (c.id,))

    def mark_removed(self, ids: Iterable[str]) -> None:
        """Stage the removal of ``ids`` (pending until ``settle``)."""
        with self._transaction() as db:
            db.executemany("UPDATE documents SET status = ?, sync = ?, updated_at = ? WHERE id = ?",
                           [(REMOVED, PENDING, now(), i) for i in ids])

    def settle(self, ids: Iterable[str]) -> None:
        """The index now reflects these rows: drop removed ones (leaving their tombstone),
        mark the others done."""
        stamp = now()
        ids = list(ids)
        gone = [e for e in self.entries_of(ids) if e.status == REMOVED]
        themes = {e.id: json.dumps(list(self._themes(e.id)), ensure_ascii=False) for e in gone}
        with self._transaction() as db:
            for doc_id in ids:
                if doc_id in themes:
                    db.execute("INSERT OR REPLACE INTO tombstones (id, removed_at, type, themes, collection) "
                               "SELECT id, updated_at, type, ?, collection FROM documents WHERE id = ? AND status = ?",
                               (themes[doc_id], doc_id, REMOVED))
                db.execute("DELETE FROM documents WHERE id = ? AND status = ?", (doc_id, REMOVED))
                db.execute("UPDATE documents SET sync = ?, indexed_at = CASE WHEN status = ? THEN ? "
                           "ELSE indexed_at END WHERE id = ?", (DONE, INDEXED, stamp, doc_id))

    def _themes(self, doc_id: str) -> tuple[str, ...]:
        try:
            doc = self.document(doc_id, text=False)
        except (ValueError, zlib.error):  # an unreadable record still leaves a tombstone
            return ()
        return doc.themes if doc is not None else ()

    def touch(self, doc_id: str, mtime: float) -> None:
        """A file whose content is unchanged got a new mtime: remember it to skip hashing next time."""
        with self._transaction() as db:
            db.execute("UPDATE documents SET mtime = ? WHERE id = ?", (mtime, doc_id))

