"""The catalog's rows as records: a file's row (``Entry``), a change to record (``Change``),
the latest change of a document for harvesters (``Revision``), and how rows are read."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kb.model import Document, FileIdentity

INDEXED, FAILED, REMOVED = "indexed", "failed", "removed"
PENDING, DONE = "pending", "done"

COLUMNS = ("id, path, size, mtime, sha256, format, status, error, sync, added_at, updated_at, indexed_at, title, "
           "type, date")


@dataclass(frozen=True)
class Entry:
    """A catalog row without the document record: the document's id, the file it was read
    from (as the file system names it), and where it stands."""

    id: str
    file: FileIdentity
    status: str
    error: str | None
    sync: str
    added_at: str
    updated_at: str
    indexed_at: str | None
    title: str | None
    type: str | None
    date: str | None

    # Where the file was: what every report, check and listing names a row by.
    @property
    def path(self) -> str:
        return self.file.path


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
    neither when removed. ``file`` is the one the run found (its path as the file system
    names it, its format as sniffed)."""

    id: str
    file: FileIdentity
    status: str
    document: Document | None = None
    error: str | None = None
    # ``document``'s stored form (``pack``), when computed ahead: ``Staging.add`` packs each
    # document as it arrives, while the workers extract the next ones, not at commit.
    record: bytes | None = field(default=None, compare=False, repr=False)


def now() -> str:
    """The time of a change as stored: UTC, ISO, to the microsecond."""
    # Microseconds: documents indexed by two runs within one second keep their order in the feeds.
    return datetime.now(UTC).isoformat(timespec="microseconds")


def path_column(path: str) -> str | bytes:
    """How a source path is stored: as text, or, when the file's name is not valid UTF-8 (it
    holds lone surrogates, PEP 383), as its raw bytes, which SQLite keeps as a BLOB. Either
    way it reads back as the very ``str`` the file system gave, so the next scan finds it."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def entry_of(row: tuple[object, ...]) -> Entry:
    """The ``Entry`` of a row selected with ``COLUMNS`` (a path stored as bytes decoded back;
    a format never recorded read as "")."""
    doc_id, path, size, mtime, sha256, fmt, *rest = row
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    file = FileIdentity(path, size, mtime, sha256, fmt or "")  # type: ignore[arg-type]
    return Entry(doc_id, file, *rest)  # type: ignore[arg-type]


def chunks(ids: Iterable[str], size: int = 500) -> Iterator[list[str]]:
    """``ids`` in lists short enough for one statement (SQLite bounds its parameters)."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def marks(values: list[str]) -> str:
    """One ``?`` per value, for an ``IN (...)`` list."""
    return ",".join("?" * len(values))
