"""Pages kept for every server process of a base: a SQLite file in the base's folder.

Each ``kb serve`` process keeps the pages it sent (``webui.pagecache``); on their own, two
processes computed each page asked of both, and with a newsletter's 2,000 documents and 250
searches that was most of the server's work (bench.load: ~3,400 pages computed for ~2,000
distinct in a 30-second run). A page computed by one process is now found by the other.

Only the processes of one ``kb serve`` run share pages (the version of each page names the run
and the base's version): after a restart, with another version of Passerelles perhaps, none of
the earlier pages is sent, and the first pages written drop them.

Best effort: the cache is derived data. A folder that cannot be written, a locked or damaged
file, turns it off for the process (said once in the log), and pages are computed as before.
Nothing read back is executed: the status, the headers as JSON and the compressed body.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = "CREATE TABLE IF NOT EXISTS pages (key BLOB PRIMARY KEY, version TEXT NOT NULL, " \
          "status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL)"
_PRUNE_EVERY = 200  # pages written between two checks of the bound


class SharedPages:
    """(status, headers, compressed body) by key in ``path``, at most about ``budget`` bytes
    of bodies, the oldest written dropped first; one connection per thread."""

    def __init__(self, path: Path, budget: int) -> None:
        self._path = path
        self._budget = budget
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._off = False
        self._written = 0
        self._version = ""

    def get(self, key: str, version: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
        db = self._db()
        if db is None:
            return None
        try:
            row = db.execute("SELECT status, headers, body FROM pages WHERE key = ? AND version = ?",
                             (_digest(key), version)).fetchone()
        except sqlite3.OperationalError:  # busy: computed this time
            return None
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        if row is None:
            return None
        return int(row[0]), [(str(k), str(v)) for k, v in json.loads(row[1])], bytes(row[2])

    def put(self, key: str, version: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        db = self._db()
        if db is None:
            return
        try:
            db.execute("INSERT OR REPLACE INTO pages (key, version, status, headers, body) VALUES (?, ?, ?, ?, ?)",
                       (_digest(key), version, status, json.dumps(headers), body))
            with self._guard:
                self._written += 1
                prune = self._written % _PRUNE_EVERY == 0 or version != self._version
                self._version = version
            if prune:
                self._prune(db, version)
        except sqlite3.OperationalError:  # locked by another process's write: not kept, computed again
            return
        except sqlite3.Error as exc:
            self._failed(exc)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._guard:
            for db in self._connections:
                db.close()
            self._connections.clear()
            self._off = True

    def _prune(self, db: sqlite3.Connection, version: str) -> None:
        # Pages of an older version of the base, or of an earlier run, are unreachable: dropped. Then the oldest
        # written beyond the bound.
        db.execute("DELETE FROM pages WHERE version != ?", (version,))
        held = db.execute("SELECT COALESCE(SUM(LENGTH(body)), 0), COUNT(*) FROM pages").fetchone()
        if held[0] > self._budget and held[1]:
            drop = int(held[1] * (1 - self._budget / held[0] / 2)) + 1  # down to half the bound
            db.execute("DELETE FROM pages WHERE rowid IN (SELECT rowid FROM pages ORDER BY rowid LIMIT ?)", (drop,))

    def _db(self) -> sqlite3.Connection | None:
        if self._off:
            return None
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            return db
        try:
            self._path.parent.mkdir(exist_ok=True)
            db = sqlite3.connect(str(self._path), timeout=5, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # derived data: a power cut may lose it whole
            db.execute(_SCHEMA)
            # Then a write waits 50 ms at most for another's: a page not kept is only computed again.
            db.execute("PRAGMA busy_timeout=50")
        except (sqlite3.Error, OSError) as exc:
            if db is not None:
                db.close()
            self._failed(exc)
            return None
        with self._guard:
            self._connections.append(db)
        self._local.db = db
        return db

    def _failed(self, exc: Exception) -> None:
        if not self._off:
            log.warning("cache des pages partagé désactivé (%s : %s) : chaque processus garde les siennes",
                        type(exc).__name__, exc)
        self._off = True


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
