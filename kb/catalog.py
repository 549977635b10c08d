"""The SQLite catalog: one row per document, the source of truth with the store.

A row whose ``sync`` is ``pending`` records an intent the index may not reflect yet; the
knowledge base replays such rows after a crash. Each method is one transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kb.errors import DamagedBase, KBError, StorageFull
from kb.model import Document
from kb.names import printable
from kb.parts import PART_CHARS, Part, part_of, split

INDEXED, FAILED, REMOVED = "indexed", "failed", "removed"
PENDING, DONE = "pending", "done"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT,
    status TEXT NOT NULL,
    error TEXT,
    sync TEXT NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    indexed_at TEXT,
    title TEXT,
    type TEXT,
    date TEXT,
    record BLOB
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE INDEX IF NOT EXISTS documents_sync ON documents(sync);
"""

# A removed document's row is deleted once the index forgot it; harvesters (OAI-PMH) must
# still be told it is gone, for ever ("persistent" deletions): its id, when it went, and the
# type and themes it had (the sets it was harvested in) outlive the row here.
_TOMBSTONES = """
CREATE TABLE IF NOT EXISTS tombstones (
    id TEXT PRIMARY KEY,
    removed_at TEXT NOT NULL,
    type TEXT,
    themes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_updated ON documents(updated_at, id);
CREATE INDEX IF NOT EXISTS tombstones_removed ON tombstones(removed_at, id);
"""

_COLUMNS = "id, path, size, mtime, sha256, format, status, error, sync, added_at, updated_at, indexed_at, title, type, date"


@dataclass(frozen=True)
class Entry:
    """A catalog row without the document record."""

    id: str
    path: str
    size: int
    mtime: float
    sha256: str
    format: str | None
    status: str
    error: str | None
    sync: str
    added_at: str
    updated_at: str
    indexed_at: str | None
    title: str | None
    type: str | None
    date: str | None


@dataclass(frozen=True)
class Revision:
    """The latest change of a document, for harvesters: ``live`` when it is indexed, else
    gone (removed, or no longer readable). ``themes`` is known here for gone documents only
    (a live one's are in its record)."""

    id: str
    changed_at: str
    live: bool
    type: str | None
    themes: tuple[str, ...] = ()
    collection: str | None = None


@dataclass(frozen=True)
class Change:
    """What a run decided for one document: ``document`` when indexed, ``error`` when failed,
    neither when removed."""

    id: str
    path: str
    size: int
    mtime: float
    sha256: str
    format: str | None
    status: str
    document: Document | None = None
    error: str | None = None


def now() -> str:
    # Microseconds: documents indexed by two runs within one second keep their order in the feeds.
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _column(path: str) -> str | bytes:
    """How a source path is stored: as text, or, when the file's name is not valid UTF-8 (it
    holds lone surrogates, PEP 383), as its raw bytes, which SQLite keeps as a BLOB. Either
    way it reads back as the very ``str`` the file system gave, so the next scan finds it."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def _entry(row: tuple[object, ...]) -> Entry:
    path = row[1]
    if isinstance(path, bytes):
        row = (row[0], os.fsdecode(path), *row[2:])
    return Entry(*row)  # type: ignore[arg-type]


# A long document's record keeps its text in parts, each compressed apart, after a header
# (metadata and where each part lies): a web page showing one part reads the header and that
# part only, not 20 million characters per request. Other records are one zlib stream, which
# never starts with these bytes (0x78).
_PARTED = b"KBP1"
_HEAD = len(_PARTED) + 4  # the magic, then the compressed header's length


def _zjson(value: object) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False).encode("utf-8"), 6)


def _unzjson(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def pack(doc: Document) -> bytes:
    parts = split(doc.pages, doc.text)
    if len(parts) == 1:
        return _zjson(doc.to_dict())
    data = doc.to_dict()
    del data["text"], data["pages"]
    blobs: list[bytes] = []
    layout = []
    for part in parts:
        texts = [(doc.pages[p.page - 1] if p.page else doc.text)[p.start:p.end] for p in part]
        blobs.append(_zjson(texts))
        layout.append({"size": len(blobs[-1]), "pieces": [[p.page, p.start, p.end] for p in part]})
    # A paged document's text is kept too: it is not always exactly its pages joined.
    chunks = [_zjson(doc.text[i:i + PART_CHARS]) for i in range(0, len(doc.text), PART_CHARS)] if doc.pages else []
    header = _zjson({"doc": data, "pages": len(doc.pages), "parts": layout, "text": [len(c) for c in chunks]})
    return b"".join([_PARTED, len(header).to_bytes(4, "big"), header, *blobs, *chunks])


def unpack(blob: bytes) -> Document:
    if not blob.startswith(_PARTED):
        return Document.from_dict(_unzjson(blob))
    header, at = _header(blob[:_HEAD], lambda start, size: blob[start:start + size])
    pieces: list[tuple[int | None, str]] = []
    for part in header["parts"]:
        texts = _unzjson(blob[at:at + part["size"]])
        pieces.extend(zip((page for page, _, _ in part["pieces"]), texts))
        at += part["size"]
    data = header["doc"]
    if header["pages"]:
        pages = [""] * header["pages"]
        for page, text in pieces:
            pages[(page or 1) - 1] += text  # every piece of a paged record has its page
        data["pages"] = pages
        chunks = []
        for size in header["text"]:
            chunks.append(_unzjson(blob[at:at + size]))
            at += size
        data["text"] = "".join(chunks)
    else:
        data["pages"], data["text"] = [], "".join(text for _, text in pieces)
    return Document.from_dict(data)


def _header(start: bytes, read: Callable[[int, int], bytes]) -> tuple[dict[str, Any], int]:
    """A parted record's header and the offset of its first part."""
    size = int.from_bytes(start[len(_PARTED):_HEAD], "big")
    return _unzjson(read(_HEAD, size)), _HEAD + size


class Catalog:
    """The documents of a base in one SQLite file: their rows, records and past removals."""
    def __init__(self, path: Path) -> None:
        self.path = path
        # One connection per thread: a web server's threads must not share cursor state.
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        try:
            self._db.executescript(_SCHEMA)
            self._add_columns()
        except sqlite3.OperationalError:  # locked, unreachable: not damage
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            raise DamagedBase(f"le catalogue {path} est illisible ({exc}) : ce n'est pas une base Passerelles "
                              "ou il est endommagé. Restaurez une sauvegarde du dossier de la base, ou "
                              "indexez vos documents dans une base neuve (kb --home AUTRE_DOSSIER index …).") from None
        if not self.read_only:
            # Added after the first bases were made: a base opened read-only (full disk) may lack
            # it until its next writer, and readers then see no past removals (``revisions``).
            self._db.executescript(_TOMBSTONES)
            self._add_tombstone_collection()

    def _add_columns(self) -> None:
        """Catalogs made before the ``flags`` and ``collection`` columns get them, empty:
        documents indexed then had no OCR flags and no collection. A read-only catalog (full
        disk) is left as it is."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        for name in ("flags", "collection"):
            if name in columns or self.read_only is not None:
                continue
            try:
                self._db.execute(f"ALTER TABLE documents ADD COLUMN {name} TEXT")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):  # another process added it first
                    raise

    def _add_tombstone_collection(self) -> None:
        """Tombstones made before collections get the column, empty (their OAI sets then
        lack the collection, as their records did)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tombstones)")}
        if "collection" not in columns:
            try:
                self._db.execute("ALTER TABLE tombstones ADD COLUMN collection TEXT")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise

    @property
    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            self._local.db = db
            with self._guard:
                self._connections.append(db)
        return db

    # Why the catalog was opened read-only (a full disk...), or None when it can be written.
    read_only: str | None = None

    def _connect(self) -> sqlite3.Connection:
        """A read-write connection; when the disk cannot take the files SQLite needs to open
        one (full disk, read-only file system), a read-only one, so readers keep answering."""
        if self.read_only is None:
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) below.
            db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                return db
            except sqlite3.OperationalError as exc:
                db.close()
                if not _cannot_write(exc) or not self.path.is_file():
                    raise
                self.read_only = read_only_reason(self.path)
        # Read-only, then immutable: with no room for its shared-memory file, SQLite can only
        # read a WAL database as a plain file (its last checkpointed state).
        for query in ("?mode=ro", "?mode=ro&immutable=1"):
            try:
                db = sqlite3.connect(self.path.as_uri() + query, uri=True, timeout=30, isolation_level=None,
                                     check_same_thread=False)
                db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
                return db
            except sqlite3.OperationalError:
                db.close()
        raise StorageFull(f"{self.read_only} : le catalogue ne peut même pas être lu. Libérez de la "
                          "place sur ce disque, puis relancez.")

    def close(self) -> None:
        """Close every thread's connection."""
        with self._guard:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for the derived tables kept beside the documents
        (kb.kinship); writes go through ``transaction()``."""
        return self._db

    def transaction(self) -> "_Txn":
        """A write transaction (``BEGIN IMMEDIATE``) for the tables kept beside the documents."""
        return self._transaction()

    def _transaction(self) -> "_Txn":
        if self._db is not None and self.read_only:
            raise StorageFull(f"{self.read_only} : rien n'a été écrit. Ce qui a été validé avant reste "
                              "intact ; libérez de la place puis relancez.")
        return _Txn(self._db)

    # -- reading ------------------------------------------------------------------------------

    def _select(self, where: str, params: Iterable[object] = ()) -> list[Entry]:
        """Rows matching ``where``, a condition written here, never by a caller."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM documents WHERE {where} ORDER BY path", tuple(params))
        return [_entry(row) for row in rows]

    def entries(self) -> list[Entry]:
        """Every row, whatever its status, by source path."""
        return self._select("1")

    def indexed(self) -> list[Entry]:
        """The rows of the indexed documents, by source path."""
        return self._select("status = ?", (INDEXED,))

    def get(self, doc_id: str) -> Entry | None:
        """The row of ``doc_id``, whatever its status, or None."""
        found = self._select("id = ?", (_column(doc_id),))  # any text a user typed, even not UTF-8
        return found[0] if found else None

    def by_path(self, path: str) -> Entry | None:
        """The row of the source file at ``path``, or None."""
        found = self._select("path = ?", (_column(path),))
        return found[0] if found else None

    def _has_column(self, table: str, column: str) -> bool:
        """Whether an older catalog, opened read-only (full disk) before a writer could add
        the column, has it."""
        return any(row[1] == column for row in self._db.execute(f"PRAGMA table_info({table})"))

    def collections(self) -> dict[str, str]:
        """The collection of every document that has one, by id."""
        if not self._has_column("documents", "collection"):
            return {}
        rows = self._db.execute("SELECT id, collection FROM documents WHERE collection IS NOT NULL")
        return {doc_id: name for doc_id, name in rows}

    def by_sha(self, sha256: str) -> list[Entry]:
        """The indexed rows whose original has this content."""
        return self._select("sha256 = ? AND status = ?", (sha256, INDEXED))

    def pending(self) -> list[Entry]:
        """Rows staged by a writer that did not settle them (interrupted)."""
        return self._select("sync = ?", (PENDING,))

    def document(self, doc_id: str, text: bool = True) -> Document | None:
        """The record of ``doc_id``; without ``text``, its text and pages are left empty (and
        a long document's parts are not read)."""
        if text:
            row = self._db.execute("SELECT record FROM documents WHERE id = ?", (doc_id,)).fetchone()
            return unpack(row[0]) if row and row[0] else None
        with self._record(doc_id) as read:
            if read is None:
                return None
            start = read(0, _HEAD)
            if not start.startswith(_PARTED):
                return replace(unpack(read(0, -1)), text="", pages=())
            header, _ = _header(start, read)
            data = header["doc"]
            data["text"], data["pages"] = "", []
            return Document.from_dict(data)

    def part(self, doc_id: str, number: int) -> Part | None:
        """Part ``number`` (from 1) of the text of ``doc_id``: of a long document, that part
        alone is read. None when the document or the part does not exist."""
        with self._record(doc_id) as read:
            if read is None:
                return None
            start = read(0, _HEAD)
            if not start.startswith(_PARTED):
                doc = unpack(read(0, -1))
                return part_of(doc.pages, doc.text, number)
            header, at = _header(start, read)
            layout = header["parts"]
            if not 1 <= number <= len(layout):
                return None
            at += sum(part["size"] for part in layout[:number - 1])
            texts = _unzjson(read(at, layout[number - 1]["size"]))
            return Part(number, len(layout), header["pages"] > 0, tuple(
                (page, start_ > 0, text) for (page, start_, _), text in zip(layout[number - 1]["pieces"], texts)))

    def text_chunks(self, doc_id: str) -> Iterator[str]:
        """The whole text of ``doc_id`` in consecutive chunks, a long one read chunk by chunk
        (nothing when the document has no record)."""
        with self._record(doc_id) as read:
            if read is None:
                return
            start = read(0, _HEAD)
            if not start.startswith(_PARTED):
                yield unpack(read(0, -1)).text
                return
            header, at = _header(start, read)
        if not header["pages"]:
            for _, text in self.pieces(doc_id):
                yield text
            return
        at += sum(part["size"] for part in header["parts"])
        for size in header["text"]:
            with self._record(doc_id) as read:
                if read is None:  # removed meanwhile
                    return
                yield _unzjson(read(at, size))
            at += size

    def pieces(self, doc_id: str) -> Iterator[tuple[int | None, str]]:
        """(page or None, text) of ``doc_id`` in order, part by part: a page's text is its
        consecutive pieces joined; an empty page is one empty piece."""
        number, count = 1, 1
        while number <= count:
            part = self.part(doc_id, number)
            if part is None:
                return
            count = part.count
            for page, _, text in part.blocks:
                yield page, text
            number += 1

    @contextmanager
    def _record(self, doc_id: str) -> Iterator[Callable[[int, int], bytes] | None]:
        """A reader of the stored record of ``doc_id`` by byte ranges (size -1: to the end),
        through SQLite's incremental blob I/O: only the bytes asked for are read."""
        row = self._db.execute("SELECT rowid FROM documents WHERE id = ? AND record IS NOT NULL",
                               (doc_id,)).fetchone()
        if row is None:
            yield None
            return
        with self._db.blobopen("documents", "record", row[0], readonly=True) as blob:
            def read(start: int, size: int) -> bytes:
                blob.seek(start)
                return blob.read(size)
            yield read

    def repack(self, ids: Iterable[str]) -> int:
        """Rewrite in parts those of ``ids`` whose long record an older version wrote whole
        (``kb rebuild`` passes the documents it found long); the content is unchanged, so a
        crash leaves either form."""
        count = 0
        for doc_id in ids:
            with self._record(doc_id) as read:
                if read is None or read(0, len(_PARTED)) == _PARTED:
                    continue
            doc = self.document(doc_id)
            if doc is None or len(split(doc.pages, doc.text)) == 1:
                continue
            with self._transaction() as db:
                db.execute("UPDATE documents SET record = ? WHERE id = ?", (pack(doc), doc_id))
            count += 1
        return count

    def documents(self, ids: Iterable[str] | None = None) -> Iterator[Document]:
        """Records of indexed documents (all of them when ``ids`` is None)."""
        if ids is None:
            cursor = self._db.execute("SELECT record FROM documents WHERE status = ? AND record IS NOT NULL",
                                      (INDEXED,))
            for (blob,) in cursor:
                yield unpack(blob)
            return
        for doc_id in ids:
            doc = self.document(doc_id)
            if doc is not None:
                yield doc

    def records(self) -> Iterator[tuple[Document, str]]:
        """Each indexed document with the date it entered the base (``added_at``)."""
        cursor = self._db.execute("SELECT record, added_at FROM documents WHERE status = ? AND record IS NOT NULL",
                                  (INDEXED,))
        for blob, added in cursor:
            yield unpack(blob), added

    def added(self, ids: Iterable[str]) -> dict[str, str]:
        """``added_at`` of each of ``ids`` that has a row."""
        return {e.id: e.added_at for e in self.entries_of(ids)}

    def entries_of(self, ids: Iterable[str]) -> list[Entry]:
        """The rows of ``ids`` (those that exist), in any order."""
        return [e for chunk in _chunks(ids) for e in self._select(f"id IN ({_marks(chunk)})", chunk)]

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

    def _has_tombstones(self) -> bool:
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tombstones'"
                                ).fetchone() is not None

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

    def collections_of(self, ids: list[str]) -> dict[str, str]:
        if not ids or not self._has_column("documents", "collection"):
            return {}
        rows = self._db.execute(f"SELECT id, collection FROM documents WHERE id IN ({_marks(ids)}) "
                                "AND collection IS NOT NULL", ids)
        return {doc_id: name for doc_id, name in rows}

    def count_by(self, column: str) -> dict[str, int]:
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

    # -- writing ------------------------------------------------------------------------------

    def stage(self, changes: list[Change]) -> None:
        """Record the intended state of each changed document, marked pending, in one transaction."""
        stamp = now()
        with self._transaction() as db:
            for c in changes:
                doc = c.document
                record = pack(doc) if doc is not None else None
                # Upsert on id only: a path held by another id is a planning bug and must raise,
                # where INSERT OR REPLACE would silently delete that other row.
                db.execute(
                    f"INSERT INTO documents ({_COLUMNS}, record, flags, collection) VALUES "
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
                    (c.id, _column(c.path), c.size, c.mtime, c.sha256, c.format, c.status,
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


class _Txn:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.Error as commit_error:
                exc = commit_error
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. on a full disk)
        if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
            raise StorageFull("disque plein : le catalogue n'a pas pu être écrit. Ce qui a été validé "
                              "avant reste intact ; libérez de la place puis relancez.") from exc
        if isinstance(exc, sqlite3.Error):
            raise KBError(f"catalogue inutilisable ({exc})") from exc


# SQLite's messages when it cannot create or grow its files (the codes are not exposed).
_CANNOT_WRITE = ("disk i/o error", "database or disk is full", "unable to open database file",
                 "attempt to write a readonly database")


def _cannot_write(exc: sqlite3.Error) -> bool:
    return any(m in str(exc).lower() for m in _CANNOT_WRITE)


def read_only_reason(path: Path, room: int = 1 << 20) -> str:
    """Why a base cannot be written: « disque plein » when its disk has less than ``room``
    bytes free, else a read-only disk or folder."""
    try:
        st = os.statvfs(path.parent)
        free = st.f_bavail * st.f_frsize
    except (OSError, AttributeError):  # AttributeError: no statvfs on Windows
        free = room
    if free < room:
        return f"disque plein ({free // 1024} Ko libres sur le disque de la base)"
    return "base en lecture seule (disque ou dossier protégé en écriture)"


def _chunks(ids: Iterable[str], size: int = 500) -> Iterator[list[str]]:
    """``ids`` in lists short enough for one statement (SQLite bounds its parameters)."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _marks(values: list[str]) -> str:
    return ",".join("?" * len(values))
