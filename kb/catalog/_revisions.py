"""What harvesters (OAI-PMH) are told: each document's latest change, removed ones
included, from the rows and the tombstones removals leave."""

from __future__ import annotations

import json

from kb.catalog._queries import Rows
from kb.catalog._rows import INDEXED, Revision


class Revisions(Rows):
    """Documents by the time of their latest change, for harvesters."""

    def revisions(self, since: str | None = None, before: str | None = None,
                  after: tuple[str, str] | None = None, limit: int = 500) -> list[Revision]:
        """Documents by the time of their latest change (then id), removed ones included: those
        changed at or after ``since``, before ``before`` (ISO texts, compared as written), and
        strictly after the ``(changed_at, id)`` cursor ``after``; at most ``limit``. A change
        moves a document to the end, so a walk by cursor misses none that change meanwhile."""
        collection = "collection" if self._has_column("documents", "collection") else "NULL"
        rows = (f"SELECT id, updated_at AS stamp, status = 'indexed' AS live, type, NULL AS themes, "
                f"{collection} AS collection FROM documents WHERE status IN ('indexed', 'removed', 'failed')")
        if self._has_tombstones():
            buried = "collection" if self._has_column("tombstones", "collection") else "NULL"
            rows += (f" UNION ALL SELECT id, removed_at, 0, type, themes, {buried} FROM tombstones "
                     "WHERE id NOT IN (SELECT id FROM documents)")
        where, params = ["1"], []
        if since:
            where.append("stamp >= ?")
            params.append(since)
        if before:
            where.append("stamp < ?")
            params.append(before)
        if after:
            where.append("(stamp > ? OR (stamp = ? AND id > ?))")
            params += [after[0], after[0], after[1]]
        found = self._db.execute(
            f"SELECT id, stamp, live, type, themes, collection FROM ({rows}) WHERE {' AND '.join(where)} "
            "ORDER BY stamp, id LIMIT ?", (*params, limit))
        return [Revision(doc_id, stamp, bool(live), kind, tuple(json.loads(themes)) if themes else (), collection)
                for doc_id, stamp, live, kind, themes, collection in found]

    def revision(self, doc_id: str) -> Revision | None:
        """The latest change of ``doc_id`` (see ``revisions``), or None if never known."""
        entry = self.get(doc_id)
        if entry is not None:
            return Revision(entry.id, entry.updated_at, entry.status == INDEXED, entry.type,
                            collection=self.collections_of([entry.id]).get(entry.id))
        if not self._has_tombstones():
            return None
        buried = "collection" if self._has_column("tombstones", "collection") else "NULL"
        row = self._db.execute(f"SELECT id, removed_at, type, themes, {buried} FROM tombstones WHERE id = ?",
                               (doc_id,)).fetchone()
        return Revision(row[0], row[1], False, row[2], tuple(json.loads(row[3])), row[4]) if row else None

