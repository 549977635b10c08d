"""Reading the catalog's rows by name: every query's condition is written here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Literal

from kb.catalog._rows import COLUMNS, DONE, INDEXED, PENDING, Entry, chunks, entry_of, marks, path_column
from kb.catalog._schema import Connected


class Rows(Connected):
    """The rows of the documents, found by id, path, content, status or flag."""

    def _select(self, where: str, params: Iterable[object] = ()) -> list[Entry]:
        """Rows matching ``where``, a condition written here, never by a caller."""
        rows = self._db.execute(f"SELECT {COLUMNS} FROM documents WHERE {where} ORDER BY path", tuple(params))
        return [entry_of(row) for row in rows]

    def entries(self) -> list[Entry]:
        """Every row, whatever its status, by source path."""
        return self._select("1")

    def indexed(self) -> list[Entry]:
        """The rows of the indexed documents, by source path."""
        return self._select("status = ?", (INDEXED,))

    def get(self, doc_id: str) -> Entry | None:
        """The row of ``doc_id``, whatever its status, or None."""
        found = self._select("id = ?", (path_column(doc_id),))  # any text a user typed, even not UTF-8
        return found[0] if found else None

    def by_path(self, path: str) -> Entry | None:
        """The row of the source file at ``path``, or None."""
        found = self._select("path = ?", (path_column(path),))
        return found[0] if found else None


    def collections(self) -> dict[str, str]:
        """The collection of every document that has one, by id."""
        if not self._has_column("documents", "collection"):
            return {}
        rows = self._db.execute("SELECT id, collection FROM documents WHERE collection IS NOT NULL")
        return {doc_id: name for doc_id, name in rows}

    def pending(self) -> list[Entry]:
        """Rows staged by a writer that did not settle them (interrupted)."""
        return self._select("sync = ?", (PENDING,))

    def added(self, ids: Iterable[str]) -> dict[str, str]:
        """``added_at`` of each of ``ids`` that has a row."""
        return {e.id: e.added_at for e in self.entries_of(ids)}

    def entries_of(self, ids: Iterable[str]) -> list[Entry]:
        """The rows of ``ids`` (those that exist), in any order."""
        return [e for chunk in chunks(ids) for e in self._select(f"id IN ({marks(chunk)})", chunk)]

    def indexed_among(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` whose row says the index holds them."""
        return {e.id for e in self.entries_of(ids) if e.status == INDEXED}

    def any_settled(self) -> bool:
        """Whether some indexed row is settled: an index committed by a writer holds it."""
        return self._db.execute("SELECT 1 FROM documents WHERE status = ? AND sync = ? LIMIT 1",
                                (INDEXED, DONE)).fetchone() is not None

    def ids(self) -> set[str]:
        """The id of every row, whatever its status."""
        return {row[0] for row in self._db.execute("SELECT id FROM documents")}

    def collections_of(self, ids: list[str]) -> dict[str, str]:
        """The collection of those of ``ids`` that have one."""
        if not ids or not self._has_column("documents", "collection"):
            return {}
        rows = self._db.execute(f"SELECT id, collection FROM documents WHERE id IN ({marks(ids)}) "
                                "AND collection IS NOT NULL", ids)
        return {doc_id: name for doc_id, name in rows}

    def count_by(self, column: Literal["status", "type", "format"]) -> dict[str, int]:
        """How many rows per status, or indexed documents per type or format."""
        assert column in ("status", "type", "format")
        rows = self._db.execute(
            f"SELECT COALESCE({column}, ''), COUNT(*) FROM documents WHERE status = ? GROUP BY 1 ORDER BY 2 DESC",
            (INDEXED,)) if column != "status" else self._db.execute(
            "SELECT status, COUNT(*) FROM documents GROUP BY 1")
        return {k: v for k, v in rows}

    def count_flag(self, flag: str) -> int:
        """Indexed documents carrying ``flag`` (e.g. ``scanned-no-ocr``)."""
        return len(self.ids_with_flag(flag))

    def ids_with_flag(self, flag: str) -> set[str]:
        """Ids of the indexed documents carrying ``flag``."""
        try:
            rows = self._db.execute("SELECT id FROM documents WHERE status = ? AND ' ' || flags || ' ' LIKE ?",
                                    (INDEXED, f"% {flag} %"))
            return {row[0] for row in rows}
        except sqlite3.OperationalError:  # a read-only catalog older than the column
            return set()

