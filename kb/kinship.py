"""Copies, near-duplicates and versions of one document, kept as groups in the catalog.

Each indexed document has a row with its fingerprint (``kb.fingerprint``) and the facts
``kb.grouping`` weighs; its candidate keys (LSH bands, name, title) find the documents to
compare it with; the related pairs found are stored; a group is a connected set of pairs, and
its ``leader`` (``grouping.representative``: newest, richest format) stands for it in results.
Derived data: rebuilt from the records by ``kb rebuild``, updated by every change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from kb.catalog import Catalog
from kb.fingerprint import content_hash, fingerprint
from kb.grouping import Member, candidate_keys, label, related, representative
from kb.model import Document

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kin (
    id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, title TEXT, format TEXT NOT NULL, date TEXT,
    path TEXT NOT NULL, size INTEGER NOT NULL, leader TEXT NOT NULL,
    grouped INTEGER NOT NULL DEFAULT 0  -- 1 when its group has other members: read by every search
);
CREATE INDEX IF NOT EXISTS kin_leader ON kin(leader);
CREATE TABLE IF NOT EXISTS kin_keys (key TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS kin_keys_key ON kin_keys(key);
CREATE INDEX IF NOT EXISTS kin_keys_id ON kin_keys(id);
CREATE TABLE IF NOT EXISTS kin_pairs (a TEXT NOT NULL, b TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS kin_pairs_b ON kin_pairs(b);
"""
# A key shared by more documents than this (a generic title such as « Compte rendu ») finds
# no candidates: comparing with all of them would cost a scan per document, and a real
# relation is found by its bands or its name anyway.
MAX_KEY_DOCS = 50


@dataclass(frozen=True)
class Relative:
    """Another member of a document's group, with the French label shown for it."""

    id: str
    title: str
    label: str


def member_of(doc: Document) -> Member:
    """What grouping weighs of ``doc`` (its fingerprint computed now for a record written
    before fingerprints were kept)."""
    return Member(id=doc.id, fingerprint=doc.fingerprint or fingerprint(doc.text), title=doc.title,
                  format=doc.format, date=doc.date, path=doc.path, size=doc.size)


class Kinship:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        if catalog.read_only is None:
            db = catalog.connection
            columns = {row[1] for row in db.execute("PRAGMA table_info(kin)")}
            if columns and "grouped" not in columns:
                # Derived data of a development version: dropped, found again by kb rebuild.
                db.executescript("DROP TABLE IF EXISTS kin; DROP TABLE IF EXISTS kin_keys; "
                                 "DROP TABLE IF EXISTS kin_pairs;")
            db.executescript(_SCHEMA)

    def update(self, members: Iterable[Member], gone: Iterable[str] = ()) -> None:
        """Re-file the changed ``members``, forget the ``gone`` ids, and choose again the
        leader of every group they were or are in; one transaction."""
        members = list(members)
        changed = [m.id for m in members] + list(gone)
        if not changed:
            return
        with self._catalog.transaction() as db:
            touched = set(changed) | self._neighbours(db, changed)
            for chunk in _chunks(changed):
                marks = ",".join("?" * len(chunk))
                db.execute(f"DELETE FROM kin WHERE id IN ({marks})", chunk)
                db.execute(f"DELETE FROM kin_keys WHERE id IN ({marks})", chunk)
                db.execute(f"DELETE FROM kin_pairs WHERE a IN ({marks}) OR b IN ({marks})", chunk + chunk)
            for m in members:
                db.execute("INSERT INTO kin VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                           (m.id, m.fingerprint, m.title, m.format, m.date, m.path, m.size, m.id))
                db.executemany("INSERT INTO kin_keys VALUES (?, ?)", [(k, m.id) for k in candidate_keys(m)])
            for m in members:
                for other in self._candidates(db, m):
                    kind = related(m, other)
                    if kind is not None:
                        a, b = sorted((m.id, other.id))
                        db.execute("INSERT OR REPLACE INTO kin_pairs VALUES (?, ?, ?)", (a, b, kind))
            self._elect(db, touched - set(gone))

    def rebuild(self, members: Iterable[Member]) -> None:
        """Forget every group and file ``members`` (all the indexed documents) afresh."""
        with self._catalog.transaction() as db:
            db.execute("DELETE FROM kin")
            db.execute("DELETE FROM kin_keys")
            db.execute("DELETE FROM kin_pairs")
        self.update(members)

    def leaders(self, ids: Iterable[str]) -> dict[str, str]:
        """The leader of each of ``ids`` that belongs to a group of more than one."""
        out: dict[str, str] = {}
        try:
            for chunk in _chunks(list(ids)):
                marks = ",".join("?" * len(chunk))
                out.update(self._catalog.connection.execute(
                    f"SELECT id, leader FROM kin WHERE id IN ({marks}) AND grouped = 1", chunk).fetchall())
        except sqlite3.OperationalError:  # a catalog from before groups, opened read-only
            return {}
        return out

    def copies(self, ids: Iterable[str]) -> dict[str, str]:
        """For each of ``ids`` that has exact copies, a key shared by it and its copies (the
        smallest id among them): lists by date show a copy once, not an edition."""
        ids = list(ids)
        partners: dict[str, set[str]] = {}
        try:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                for a, b in self._catalog.connection.execute(
                        f"SELECT a, b FROM kin_pairs WHERE kind = 'copy' AND (a IN ({marks}) OR b IN ({marks}))",
                        chunk + chunk):
                    partners.setdefault(a, {a}).add(b)
                    partners.setdefault(b, {b}).add(a)
        except sqlite3.OperationalError:
            return {}
        return {i: min(partners[i]) for i in ids if i in partners}

    def relatives(self, doc_id: str) -> tuple[Relative, ...]:
        """The other members of ``doc_id``'s group, the leader first, each labelled as seen
        from ``doc_id`` (« aussi en PDF », « autre version (2019) »)."""
        db = self._catalog.connection
        try:
            row = db.execute("SELECT leader FROM kin WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                return ()
            rows = db.execute("SELECT id, fingerprint, title, format, date, path, size, leader FROM kin "
                              "WHERE leader = ?", (row[0],)).fetchall()
        except sqlite3.OperationalError:
            return ()
        members = {r[0]: _member(r) for r in rows}
        me = members.get(doc_id)
        if me is None or len(members) < 2:
            return ()
        others = sorted((m for m in members.values() if m.id != doc_id), key=lambda m: (m.id != row[0], m.path))
        labels = {m.id: label(m, me) for m in others}
        # Copies of one content share the most telling label: a renamed copy of the 2022
        # edition is « autre version (2022) » like the file it copies, not a mere other format.
        by_content: dict[str, list[str]] = {}
        for m in others:
            by_content.setdefault(content_hash(m.fingerprint), []).append(m.id)
        for ids in by_content.values():
            dated = sorted(labels[i] for i in ids if labels[i].startswith("autre version ("))
            if dated and content_hash(me.fingerprint) != content_hash(members[ids[0]].fingerprint):
                for i in ids:
                    labels[i] = dated[-1]
        return tuple(Relative(m.id, m.title or m.path, labels[m.id]) for m in others)

    # -- inside a transaction ----------------------------------------------------------------

    @staticmethod
    def _neighbours(db: sqlite3.Connection, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for a, b in db.execute(f"SELECT a, b FROM kin_pairs WHERE a IN ({marks}) OR b IN ({marks})",
                                   chunk + chunk):
                found.update((a, b))
        return found

    @staticmethod
    def _candidates(db: sqlite3.Connection, m: Member) -> list[Member]:
        ids: set[str] = set()
        for key in candidate_keys(m):
            rows = db.execute("SELECT id FROM kin_keys WHERE key = ? LIMIT ?", (key, MAX_KEY_DOCS + 1)).fetchall()
            if len(rows) <= MAX_KEY_DOCS:
                ids.update(r[0] for r in rows)
        ids.discard(m.id)
        out = []
        for chunk in _chunks(sorted(ids)):
            marks = ",".join("?" * len(chunk))
            out += [_member(r) for r in db.execute(
                f"SELECT id, fingerprint, title, format, date, path, size, leader FROM kin WHERE id IN ({marks})", chunk)]
        return out

    def _elect(self, db: sqlite3.Connection, ids: set[str]) -> None:
        """Give every group that holds one of ``ids`` its leader (a lone document leads itself)."""
        done: set[str] = set()
        for start in sorted(ids):
            if start in done:
                continue
            group = {start}
            frontier = [start]
            while frontier:
                batch, frontier = frontier[:500], frontier[500:]
                for new in self._neighbours(db, batch) - group:
                    group.add(new)
                    frontier.append(new)
            done |= group
            members = [_member(r) for chunk in _chunks(sorted(group)) for r in db.execute(
                "SELECT id, fingerprint, title, format, date, path, size, leader FROM kin WHERE id IN "
                f"({','.join('?' * len(chunk))})", chunk)]
            if not members:
                continue
            leader = representative(members).id
            grouped = int(len(members) > 1)
            db.executemany("UPDATE kin SET leader = ?, grouped = ? WHERE id = ?",
                           [(leader, grouped, m.id) for m in members])


def _member(row: tuple[object, ...]) -> Member:
    doc_id, fp, title, fmt, date, path, size = row[:7]
    return Member(id=str(doc_id), fingerprint=str(fp), title=title if isinstance(title, str) else None,
                  format=str(fmt), date=date if isinstance(date, str) else None, path=str(path),
                  size=int(size) if isinstance(size, int) else 0)


def _chunks(ids: list[str], size: int = 400) -> Iterable[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
