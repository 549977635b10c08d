"""Collections: which centre or source each document comes from.

A run's ``--collection`` names the collection of every file it indexes; otherwise a
``.collection`` file in the document's folder or in a folder above it does (its first line
is the name), so that a centre's folder pooled into a shared base keeps its origin without
anyone repeating it. A document that has neither keeps the collection it was given before.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from kb.errors import os_cause

COLLECTION_FILE = ".collection"
MAX_NAME = 120


class CollectionError(ValueError):
    """A collection name cannot be used; the message is French."""


def clean_name(raw: str) -> str:
    """A collection name as shown and filtered on: one line, spaces folded, no control
    characters. ``CollectionError`` when nothing is left or it is too long."""
    name = " ".join("".join(c for c in raw if unicodedata.category(c)[0] != "C" or c in " \t").split())
    if not name:
        raise CollectionError("nom de collection vide")
    if len(name) > MAX_NAME:
        raise CollectionError(f"nom de collection trop long ({len(name)} caractères, {MAX_NAME} au plus)")
    return name


def is_collection_file(path: Path) -> bool:
    """Whether ``path`` is a folder's collection file (``.collection``), which is read, not indexed."""
    return path.name == COLLECTION_FILE


class Collections:
    """The collection a rule gives each file: the run's own, else the nearest folder file at
    or below the indexed folders (``roots``; any folder above when none are given). Each
    folder is looked at once per run."""

    def __init__(self, given: str | None = None, roots: Iterable[Path] = ()) -> None:
        self.given = clean_name(given) if given is not None else None
        self.roots = {Path(r) for r in roots}
        self._folders: dict[Path, str | None] = {}
        # Folder files that could not be used, with the reason: reported once by the run.
        self.problems: dict[Path, str] = {}

    def of(self, path: Path) -> str | None:
        """The collection of the file ``path``: the run's own, else the nearest folder file's, else
        ``None``."""
        if self.given is not None:
            return self.given
        # Up from the file's folder, iteratively (a deep tree must not exhaust the stack),
        # stopping at an indexed folder: a stray /tmp/.collection must not name the files
        # indexed below it.
        chain: list[Path] = []
        folder = path.parent
        name: str | None = None
        while True:
            if folder in self._folders:
                name = self._folders[folder]
                break
            chain.append(folder)
            name = self._read(folder / COLLECTION_FILE)
            if name is not None or folder in self.roots or folder.parent == folder:
                break
            folder = folder.parent
        for seen in chain:
            self._folders[seen] = name
        return name

    def _read(self, file: Path) -> str | None:
        """The first line of a folder file, read safely: a regular file only (never a pipe,
        which would block the scan, nor a link, which could point anywhere), 4 kB at most."""
        try:
            fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.ENOENT):
                return None
            reason = "lien symbolique refusé" if exc.errno == errno.ELOOP else os_cause(exc)
            self.problems[file] = f"fichier de collection illisible : {reason}"
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                self.problems[file] = "fichier de collection illisible : ce n'est pas un fichier ordinaire"
                return None
            raw = os.read(fd, 4096)
        except OSError as exc:
            self.problems[file] = f"fichier de collection illisible : {os_cause(exc)}"
            return None
        finally:
            os.close(fd)
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
        first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
        try:
            return clean_name(first)
        except CollectionError as exc:
            self.problems[file] = f"fichier de collection inutilisable : {exc}"
            return None
