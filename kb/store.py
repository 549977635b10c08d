"""Content-addressed store of original files: ``store/ab/abcdef…`` named by SHA-256.

Links to originals keep working when the source folder moves. Writes go to a temporary file,
are flushed to disk and renamed, so a blob is either complete or absent.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class StoreError(OSError):
    """The original could not be copied into the store (disk full, file changed...)."""


NOT_REGULAR = "n'est pas un fichier ordinaire (périphérique, tube nommé ou socket) : non lu"


class NotRegularFile(StoreError):
    """A path that was a regular file when listed is now a pipe, a device or a socket."""


# Opening a named pipe for reading blocks until a writer comes: never wait for one.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def open_regular(path: Path, follow_links: bool = True) -> BinaryIO:
    """``path`` opened for reading in binary, if it is (still) a regular file: one swapped for a
    named pipe since it was listed would otherwise block the reader forever.

    ``follow_links=False`` refuses a symbolic link as the last component (OSError ELOOP where
    the system has O_NOFOLLOW), so a link swapped in after a check is not followed."""
    fd = os.open(path, _OPEN_FLAGS if follow_links else _OPEN_FLAGS | _NO_FOLLOW)
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    if not regular:
        os.close(fd)
        raise NotRegularFile(NOT_REGULAR)
    return os.fdopen(fd, "rb")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content, read by chunks (hex digits)."""
    digest = hashlib.sha256()
    with open_regular(path) as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Store:
    """The originals of a base, one file per distinct content, under ``root``."""
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        """Where a blob lives. Only well-formed digests are accepted: no path ever leaves the store."""
        if not _SHA_RE.match(sha256):
            raise ValueError("empreinte SHA-256 invalide")
        return self.root / sha256[:2] / sha256

    def put(self, source: Path, sha256: str, durable: bool = True) -> Path:
        """Copy ``source`` in unless present; fail if its content is not ``sha256`` any more.

        ``durable=False`` skips the per-file fsync: the caller must call ``sync()`` before
        anything refers to the blob (one flush per batch instead of one per file)."""
        target = self.path_for(sha256)
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, open_regular(source) as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                if durable:
                    os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise StoreError("le fichier a changé pendant l'indexation")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def sync(self, shas: Iterable[str]) -> None:
        """Make blobs written with ``put(durable=False)`` durable, with their directory entries.

        On Linux one ``sync()`` flushes them all (a single journal commit, where one fsync per
        file costs ~4 ms each); elsewhere each blob and its directory are fsynced."""
        if hasattr(os, "sync") and os.name == "posix":
            os.sync()
            return
        for sha in set(shas):
            path = self.path_for(sha)
            try:
                with path.open("rb+") as f:
                    os.fsync(f.fileno())
            except OSError:
                continue  # absent: nothing refers to it yet, or it will fail the check

    def shas(self) -> set[str]:
        """The digests of every blob present."""
        return {p.name for p in self.root.glob("??/*") if _SHA_RE.match(p.name)}

    def collect(self, keep: Iterable[str]) -> int:
        """Delete blobs nobody references and stale temporary files; returns how many."""
        keep_set = set(keep)
        removed = 0
        for sha in self.shas() - keep_set:
            self.path_for(sha).unlink(missing_ok=True)
            removed += 1
        for tmp in self.root.glob("??/.tmp-*"):
            tmp.unlink(missing_ok=True)
        return removed
