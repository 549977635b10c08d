"""Copies, near-duplicates and versions of one document, kept as groups in the catalog.

Each indexed document has a row with its fingerprint (``kb.fingerprint``) and the facts
``kb.grouping`` weighs; its candidate keys (LSH bands, name, title) find the documents to
compare it with; the related pairs found are stored; a group is a connected set of pairs, and
its ``leader`` (``grouping.representative``: newest, richest format) stands for it in results.
Derived data: rebuilt from the records by ``kb rebuild``, updated by every change.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from kb.catalog import Catalog
from kb.fingerprint import content_hash, fingerprint
from kb.grouping import Member, candidate_keys, label, related, representative
from kb.model import Document, Groups

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kin (
    id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, title TEXT, format TEXT NOT NULL, date TEXT,
    path TEXT NOT NULL, size INTEGER NOT NULL, leader TEXT NOT NULL,
    grouped INTEGER NOT NULL DEFAULT 0  -- 1 when its group has other members
);
CREATE INDEX IF NOT EXISTS kin_leader ON kin(leader);
CREATE INDEX IF NOT EXISTS kin_grouped ON kin(grouped);
CREATE TABLE IF NOT EXISTS kin_keys (key TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS kin_keys_key ON kin_keys(key);
CREATE INDEX IF NOT EXISTS kin_keys_id ON kin_keys(id);
CREATE TABLE IF NOT EXISTS kin_pairs (a TEXT NOT NULL, b TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS kin_pairs_b ON kin_pairs(b);
-- One row: bumped by every change of the groups, so that searches know when to read them again.
CREATE TABLE IF NOT EXISTS kin_state (version INTEGER NOT NULL);
INSERT INTO kin_state SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM kin_state);
"""
# A document is compared with at most this many holders of each of its keys (a generic title
# such as « Compte rendu », boilerplate shared by thousands of pages): the work per document
# stays bounded, and a document with many exact copies still meets some of them (its content
# key comes first), which is enough for them all to share its group.
MAX_KEY_DOCS = 50
# Others listed for one document (page, hit): a guide copied into every centre's folder would
# otherwise list them all on every hit.
MAX_RELATIVES = 20
_COLUMNS = "id, fingerprint, title, format, date, path, size, leader"


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
                  format=doc.format, date=doc.date, path=doc.path, size=doc.file.size)


class Kinship:
    """The groups of a catalog: filed by writers, read by searches (``snapshot``)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._lock = threading.Lock()
        self._snapshot = Groups(-1, {}, {})
        if catalog.read_only is not None:
            return
        try:
            db = catalog.connection
            columns = {row[1] for row in db.execute("PRAGMA table_info(kin)")}
            if columns and "grouped" not in columns:
                # Derived data of a development version: dropped, found again by kb rebuild.
                db.executescript("DROP TABLE IF EXISTS kin; DROP TABLE IF EXISTS kin_keys; "
                                 "DROP TABLE IF EXISTS kin_pairs;")
            db.executescript(_SCHEMA)
        except sqlite3.OperationalError:
            # A reader that cannot create the tables now (a writer holds the catalog, a full
            # disk) answers without groups; the next writer creates them.
            pass

    def update(self, members: Iterable[Member], gone: Iterable[str] = ()) -> None:
        """Re-file the changed ``members``, forget the ``gone`` ids, and choose again the
        leader of every group they were or are in; one transaction."""
        with self._catalog.transaction() as db:
            self._update(db, list(members), list(gone))

    def rebuild(self, members: Iterable[Member]) -> None:
        """Forget every group and file ``members`` (all the indexed documents) afresh, in one
        transaction: readers see the old groups until the new ones are complete.

        Filed REBUILD_MEMBERS at a time: the keys and rows of all of them at once grew the
        process by 43 MB at 10,000 documents. The pairs compared are the same: a member is
        compared with the first holders of each of its keys, and the rows of earlier members
        always come first."""
        with self._catalog.transaction() as db:
            db.execute("DELETE FROM kin")
            db.execute("DELETE FROM kin_keys")
            db.execute("DELETE FROM kin_pairs")
            chunk: list[Member] = []
            filed: dict[str, Member] = {}  # the earlier chunks' members: never read back
            for m in members:
                chunk.append(m)
                if len(chunk) >= REBUILD_MEMBERS:
                    self._update(db, chunk, [], filed)
                    filed.update((m.id, m) for m in chunk)
                    chunk = []
            self._update(db, chunk, [], filed)

    def out_of_date(self) -> tuple[list[str], list[str]]:
        """(indexed documents without a row, rows of documents no longer indexed): what a
        writer killed between its commit and the filing of its groups left behind
        (``KnowledgeBase.recover`` files them)."""
        db = self._catalog.connection
        try:
            unfiled = [row[0] for row in db.execute(
                "SELECT id FROM documents WHERE status = 'indexed' AND id NOT IN (SELECT id FROM kin)")]
            stale = [row[0] for row in db.execute(
                "SELECT id FROM kin WHERE id NOT IN (SELECT id FROM documents WHERE status = 'indexed')")]
        except sqlite3.OperationalError:
            return [], []
        return unfiled, stale

    def snapshot(self) -> Groups:
        """The groups as searches use them; read again only when they changed (one small
        query per search otherwise)."""
        db = self._catalog.connection
        try:
            row = db.execute("SELECT version FROM kin_state").fetchone()
        except sqlite3.OperationalError:  # a catalog from before groups, opened read-only
            return Groups(0, {}, {})
        version = row[0] if row else 0
        with self._lock:
            if self._snapshot.version == version:
                return self._snapshot
        leaders = dict(db.execute("SELECT id, leader FROM kin WHERE grouped = 1").fetchall())
        parent: dict[str, str] = {}

        def root(x: str) -> str:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in db.execute("SELECT a, b FROM kin_pairs WHERE kind = 'copy'"):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        # The key of a set of copies: its smallest id.
        snapshot = Groups(version, leaders, {doc_id: root(doc_id) for doc_id in list(parent)})
        with self._lock:
            self._snapshot = snapshot
        return snapshot

    def relatives(self, doc_id: str) -> tuple[Relative, ...]:
        """The other members of ``doc_id``'s group (at most ``MAX_RELATIVES``), the leader
        first, each labelled as seen from ``doc_id`` (« aussi en PDF », « autre version (2019) »)."""
        db = self._catalog.connection
        try:
            row = db.execute("SELECT leader, grouped FROM kin WHERE id = ?", (doc_id,)).fetchone()
            if row is None or not row[1]:
                return ()
            rows = db.execute(f"SELECT {_COLUMNS} FROM kin WHERE leader = ? ORDER BY id = ? DESC, path LIMIT ?",
                              (row[0], row[0], MAX_RELATIVES + 1)).fetchall()
            me_row = db.execute(f"SELECT {_COLUMNS} FROM kin WHERE id = ?", (doc_id,)).fetchone()
        except sqlite3.OperationalError:
            return ()
        if me_row is None:
            return ()
        me = _member(me_row)
        others = [_member(r) for r in rows if r[0] != doc_id][:MAX_RELATIVES]
        labels = {m.id: label(m, me) for m in others}
        # Copies of one content share the most telling label: a renamed copy of the 2022
        # edition is « autre version (2022) » like the file it copies, not a mere other format.
        by_content: dict[str, list[Member]] = {}
        for m in others:
            by_content.setdefault(content_hash(m.fingerprint), []).append(m)
        for same in by_content.values():
            dated = sorted(labels[m.id] for m in same if labels[m.id].startswith("autre version ("))
            if dated and content_hash(me.fingerprint) != content_hash(same[0].fingerprint):
                for m in same:
                    labels[m.id] = dated[-1]
        return tuple(Relative(m.id, m.title or _file_name(m.path), labels[m.id]) for m in others)

    # -- inside a transaction ----------------------------------------------------------------

    def _update(self, db: sqlite3.Connection, members: list[Member], gone: list[str],
                filed: Mapping[str, Member] | None = None) -> None:
        """File ``members``, forget ``gone``; ``filed``: members held already, beside the
        batch's own, which the candidates need not read from the catalog."""
        changed = [m.id for m in members] + gone
        if not changed:
            return
        touched = set(changed) | self._neighbours(db, changed)
        for chunk in _chunks(changed):
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM kin WHERE id IN ({marks})", chunk)
            db.execute(f"DELETE FROM kin_keys WHERE id IN ({marks})", chunk)
            db.execute(f"DELETE FROM kin_pairs WHERE a IN ({marks}) OR b IN ({marks})", chunk + chunk)
        keys = {m.id: _keys(m) for m in members}  # computed once: the bands hash the fingerprint
        db.executemany("INSERT INTO kin VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                       [(m.id, m.fingerprint, m.title, m.format, m.date, m.path, m.size, m.id) for m in members])
        db.executemany("INSERT INTO kin_keys VALUES (?, ?)", [(k, m.id) for m in members for k in keys[m.id]])
        compared: set[tuple[str, str]] = set()
        # Candidates read once per batch: the first holders of a key many documents share are
        # the candidates of each of them (a MinHash signature is ~1 KB to read and parse).
        held = {**(filed or {}), **{m.id: m for m in members}}
        known = dict(held)
        for m in members:
            # Bounded in members read, beyond those held: re-seeding on a bound the batch alone
            # passes was quadratic.
            if len(known) > len(held) + _KNOWN_MEMBERS:
                known = dict(held)
            for other in self._candidates(db, m, keys[m.id], known):
                pair = (m.id, other.id) if m.id < other.id else (other.id, m.id)
                if pair in compared:
                    continue  # both filed in this batch: met from either side
                compared.add(pair)
                kind = related(m, other)
                if kind is not None:
                    db.execute("INSERT OR REPLACE INTO kin_pairs VALUES (?, ?, ?)", (*pair, kind))
        # A member with no pair is alone in its group: its row, just written, already says so
        # (it leads itself, not grouped). Electing it cost three queries per document, most of
        # the groups' share of a first indexing, where nearly every document is alone.
        alone = {m.id for m in members} - self._neighbours(db, [m.id for m in members])
        self._elect(db, touched - set(gone) - alone)
        db.execute("UPDATE kin_state SET version = version + 1")

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
    def _candidates(db: sqlite3.Connection, m: Member, keys: list[str], known: dict[str, Member]) -> list[Member]:
        """The members sharing a key with ``m`` (the first MAX_KEY_DOCS of each key), by id;
        ``known``: members already read, and where those read now are kept."""
        # One query for all the keys of ``m``, the first MAX_KEY_DOCS rows of each in rowid
        # order: one query per key was a third of the writer's time while indexing 100,000
        # documents, and numbering every row of each key (a window) read all the documents
        # of a key they share (files all named « doc-0001… »: 12 ms per document at 10,000).
        ids: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(keys)), _KEYS_PER_QUERY):
            ids.update(r[0] for r in db.execute(_first_of_keys(len(chunk)),
                                                [v for key in chunk for v in (key, MAX_KEY_DOCS)]))
        ids.discard(m.id)
        for chunk in _chunks(sorted(i for i in ids if i not in known)):  # not ids - known.keys(): a copy of all
            marks = ",".join("?" * len(chunk))
            for row in db.execute(f"SELECT {_COLUMNS} FROM kin WHERE id IN ({marks})", chunk):
                known[str(row[0])] = _member(row)
        return [known[i] for i in sorted(ids) if i in known]

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
                f"SELECT {_COLUMNS} FROM kin WHERE id IN ({','.join('?' * len(chunk))})", chunk)]
            if not members:
                continue
            leader = representative(members).id
            grouped = int(len(members) > 1)
            db.executemany("UPDATE kin SET leader = ?, grouped = ? WHERE id = ?",
                           [(leader, grouped, m.id) for m in members])


def _keys(m: Member) -> list[str]:
    """Its exact content first (copies always meet), then ``grouping.candidate_keys``."""
    own = [f"c{content_hash(m.fingerprint)}"] if m.fingerprint else []
    return own + candidate_keys(m)


def _file_name(path: str) -> str:
    # Pages show a file's name, never where it sits on the server.
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _member(row: tuple[object, ...]) -> Member:
    doc_id, fp, title, fmt, date, path, size = row[:7]
    return Member(id=str(doc_id), fingerprint=str(fp), title=title if isinstance(title, str) else None,
                  format=str(fmt), date=date if isinstance(date, str) else None, path=str(path),
                  size=int(size) if isinstance(size, int) else 0)


REBUILD_MEMBERS = 5000  # members filed together by ``Kinship.rebuild``
_KNOWN_MEMBERS = 20_000  # members read and kept while filing one batch (~1 KB each)
_KEYS_PER_QUERY = 100  # SQLite joins at most 500 SELECTs in one compound query


@lru_cache(maxsize=_KEYS_PER_QUERY)
def _first_of_keys(count: int) -> str:
    """A query of the first rows of each of ``count`` keys: (key, limit) parameters per key."""
    # The key index (key, rowid) gives each key's rows in rowid order: each LIMIT stops early.
    return " UNION ALL ".join(["SELECT * FROM (SELECT id FROM kin_keys WHERE key = ? ORDER BY rowid LIMIT ?)"] * count)


def _chunks(ids: list[str], size: int = 400) -> Iterable[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
