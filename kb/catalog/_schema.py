"""The catalog's SQLite file: its tables, the columns later versions added, one connection
per thread (read-only when the disk cannot take a write) and the write transaction."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from kb.errors import DamagedBase, KBError, StorageFull

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


class Connected:
    """The SQLite file of a catalog, opened (and its schema brought up to date) once."""

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

    def transaction(self) -> Txn:
        """A write transaction (``BEGIN IMMEDIATE``) for the tables kept beside the documents."""
        return self._transaction()

    def _transaction(self) -> Txn:
        if self._db is not None and self.read_only:
            raise StorageFull(f"{self.read_only} : rien n'a été écrit. Ce qui a été validé avant reste "
                              "intact ; libérez de la place puis relancez.")
        return Txn(self._db)

    def _has_column(self, table: str, column: str) -> bool:
        """Whether an older catalog, opened read-only (full disk) before a writer could add
        the column, has it."""
        return any(row[1] == column for row in self._db.execute(f"PRAGMA table_info({table})"))


    def _has_tombstones(self) -> bool:
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tombstones'"
                                ).fetchone() is not None



class Txn:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on error; SQLite's errors said in French."""
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

