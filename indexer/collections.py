"""Collections: which centre or source each document comes from.

A run's ``--collection`` names the collection of every file it indexes; otherwise a
``.collection`` file in the document's folder or in a folder above it does (its first line
is the name), so that a centre's folder pooled into a shared base keeps its origin without
anyone repeating it. A document that has neither keeps the collection it was given before.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

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
    return path.name == COLLECTION_FILE


class Collections:
    """The collection a rule gives each file: the run's own, else the nearest folder file.
    Each folder is looked at once per run."""

    def __init__(self, given: str | None = None) -> None:
        self.given = clean_name(given) if given is not None else None
        self._folders: dict[Path, str | None] = {}
        # Folder files that could not be used, with the reason: reported once by the run.
        self.problems: dict[Path, str] = {}

    def of(self, path: Path) -> str | None:
        if self.given is not None:
            return self.given
        return self._folder(path.parent)

    def _folder(self, folder: Path) -> str | None:
        if folder in self._folders:
            return self._folders[folder]
        name = self._read(folder / COLLECTION_FILE)
        if name is None and folder.parent != folder:
            name = self._folder(folder.parent)
        self._folders[folder] = name
        return name

    def _read(self, file: Path) -> str | None:
        try:
            with open(file, "rb") as handle:
                raw = handle.read(4096)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self.problems[file] = f"fichier de collection illisible : {exc.strerror or exc}"
            return None
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
        first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
        try:
            return clean_name(first)
        except CollectionError as exc:
            self.problems[file] = f"fichier de collection inutilisable : {exc}"
            return None
