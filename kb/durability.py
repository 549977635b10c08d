"""Keeping the derived search index durable and noticing when it is not.

Whoosh writes its segment files and its table of contents without ``fsync``: after a power cut
the catalog (SQLite, ``synchronous=FULL``) may say "done" for documents whose segment never
reached the disk. ``sync_folder`` is called after each index commit, before the catalog rows
are settled; ``check_segments`` opens every segment once when the index is opened, so a
damaged one is found (and the index rebuilt from the catalog) before anyone searches.
"""

from __future__ import annotations

import errno
import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.errors import DamagedIndex

REBUILD_HINT = ("l'index de recherche est endommagé (fichier manquant ou tronqué, par exemple après une "
                "coupure de courant). Il se déduit du catalogue : lancez kb rebuild (ou kb index), "
                "puis relancez")

# What Whoosh raises when a segment file is truncated or garbled; opening a segment also
# meets ValueError, KeyError and IndexError on garbage, which a search could raise for other
# reasons: those count as damage only while a segment is being opened (``check_segments``).
_DAMAGE = (EOFError, struct.error, zlib.error, pickle.UnpicklingError)
_OPEN_DAMAGE = (*_DAMAGE, ValueError, KeyError, IndexError)


def sync_folder(folder: Path) -> None:
    """Flush every file of ``folder`` (not recursive) and the folder itself to disk.

    Files already on disk cost next to nothing; the folder's own fsync makes the names of
    new files (and the renamed table of contents) durable."""
    for entry in os.scandir(folder):
        if not entry.is_file(follow_symlinks=False):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # removed meanwhile by a commit's clean-up: nothing to keep
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_damage(exc: BaseException, opening: bool = False) -> bool:
    """Whether ``exc``, raised while reading the index (``opening`` a segment), means a
    missing or unreadable file."""
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOENT
    return isinstance(exc, _OPEN_DAMAGE if opening else _DAMAGE)


def check_segments(ix: Any) -> None:
    """Open every segment of the Whoosh index ``ix`` (their files, term tables, lengths and
    stored fields' directory); raise ``DamagedIndex`` if one is missing or unreadable."""
    with reading_index(opening=True):
        reader = ix.reader()
        try:
            for _ in reader.all_doc_ids():
                break
        finally:
            reader.close()


@contextmanager
def reading_index(opening: bool = False) -> Iterator[None]:
    """Turn the errors of a damaged index into ``DamagedIndex`` (a French message saying
    what to do); any other error goes through unchanged."""
    try:
        yield
    except DamagedIndex:
        raise
    except Exception as exc:
        if is_damage(exc, opening):
            raise DamagedIndex(f"{REBUILD_HINT} ({type(exc).__name__})") from exc
        raise


def size_of(paths: list[Path]) -> int:
    """Bytes taken by ``paths`` (files, and folders with their files)."""
    total = 0
    for path in paths:
        try:
            if path.is_dir():
                total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            else:
                total += path.stat().st_size
        except OSError:
            continue
    return total


def remove(paths: list[Path]) -> None:
    """Delete ``paths`` (files or folders); one that cannot be deleted is left for next time."""
    import shutil

    for path in paths:
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue  # gone already, or held open: the next writer tries again
