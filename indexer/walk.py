"""Walk the paths given to ``kb index`` and list the files found, in a stable order."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.metadata.sidecar import SIDECAR_SUFFIXES, is_sidecar, sidecar_paths, sidecar_stat
from kb.errors import os_cause
from kb.store import NOT_REGULAR, NotRegularFile

# A folder holding these is a Passerelles base (kb/knowledgebase.py lays a home out so): its store
# holds copies of documents, its lock files are not documents either.
_HOME_MARKERS = ("catalog.sqlite", "store")
HOME_REASON = "dossier d'une base Passerelles (catalogue, dépôt des originaux) : jamais indexé"
LINK_REASON = ("lien symbolique vers un fichier hors des dossiers indexés : non suivi "
               "(--follow-links pour le suivre)")
SIDECAR_LINK_REASON = ("fiche de métadonnées en lien symbolique : jamais lue (une fiche doit être un "
                       "fichier ordinaire à côté de son document)")
VANISHED = "fichier disparu pendant l'indexation (supprimé ou renommé entre-temps)"


def unreadable(exc: OSError, what: str = "fichier inaccessible") -> str:
    """The reason a file could not be read: it vanished meanwhile, or ``what`` and why."""
    if isinstance(exc, FileNotFoundError):
        return VANISHED
    if isinstance(exc, NotRegularFile):
        return NOT_REGULAR
    return f"{what} : {os_cause(exc)}"


def folder_refusal(exc: OSError) -> str:
    """The reason given for a folder that could not be read."""
    return (f"dossier illisible ({os_cause(exc)}) : son contenu n'est pas parcouru ; les documents "
            "déjà indexés qu'il contient sont gardés")


@dataclass(frozen=True)
class Found:
    """A regular file (``stat`` set), a path that could not be read (``error`` set) or one
    left out on purpose (``skip`` set, with the reason).
    ``sidecar_mtime`` is the newest mtime of the file's ``.meta.yaml`` sidecars, if any."""

    path: Path
    size: int = 0
    mtime: float = 0.0
    error: str | None = None
    sidecar_mtime: float | None = None
    skip: str | None = None


@dataclass(frozen=True)
class _Rules:
    roots: tuple[str, ...]  # real paths of the folders and files given
    homes: tuple[str, ...]  # real paths of bases never to enter
    follow_links: bool


def walk(paths: Iterable[Path], homes: Iterable[Path] = (), follow_links: bool = False) -> Iterator[Found]:
    """Files under ``paths`` (files given directly are taken as they are). Hidden directories
    (``.git``…) are not entered; symbolic links to directories are not followed, so a loop
    cannot trap the walk. Each file is yielded once even if paths overlap.

    A base's own folder (one of ``homes``, or any folder holding a catalog and a store) is
    never entered: it is yielded once, skipped. A link to a file outside ``paths`` is skipped
    unless ``follow_links``; a link into a base, always.

    One ``stat`` per file: sidecars are found in the directory listing, not by probing."""
    roots = [Path(os.path.abspath(root)) for root in paths]
    rules = _Rules(tuple(os.path.realpath(r) for r in roots), tuple(os.path.realpath(h) for h in homes),
                   follow_links)
    seen: set[Path] = set()
    for root in roots:
        if _inside(os.path.realpath(root), rules.homes):
            yield from _once(Found(root, skip=HOME_REASON), seen)
        elif not _is_dir(root):  # a file, or a device or pipe given directly: reported as such
            yield from _once(_found(root), seen)
            for side in _sidecar_links(root):  # as the folder's listing would say
                yield from _once(Found(side, skip=SIDECAR_LINK_REASON), seen)
        else:
            for found in _walk_dir(str(root), rules):
                yield from _once(found, seen)


def _sidecar_links(path: Path) -> list[Path]:
    """The sidecars of ``path`` that are symbolic links (never read)."""
    links = []
    for side in sidecar_paths(path):
        try:
            if stat.S_ISLNK(os.lstat(side).st_mode):
                links.append(side)
        except OSError:
            continue  # absent, or a name too long to exist
    return links


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        return False  # reported by _found with its reason


def _inside(path: str, folders: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _walk_dir(directory: str, rules: _Rules) -> Iterator[Found]:
    """Like ``os.walk`` (top-down, sorted, links to directories listed but not entered),
    yielding each file of a directory before its subdirectories. A directory that cannot be
    listed is yielded with its reason, and the walk goes on with the others."""
    try:
        with os.scandir(directory) as it:
            entries = list(it)
    except FileNotFoundError:
        return  # removed during the walk: its files, if known, are gone like any other
    except OSError as exc:
        yield Found(Path(directory), error=folder_refusal(exc))
        return
    if all(any(e.name == marker for e in entries) for marker in _HOME_MARKERS):
        yield Found(Path(directory), skip=HOME_REASON)
        return
    files: dict[str, os.DirEntry[str]] = {}
    subdirs: list[os.DirEntry[str]] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            subdirs.append(entry)
        else:
            files[entry.name] = entry
    for name in sorted(files):
        yield _found_entry(files[name], files, rules)
    for sub in sorted(subdirs, key=lambda e: e.name):
        if sub.name.startswith(".") or sub.is_symlink():
            continue
        if _inside(os.path.realpath(sub.path), rules.homes):
            yield Found(Path(sub.path), skip=HOME_REASON)
            continue
        yield from _walk_dir(sub.path, rules)


def _link_refused(entry: os.DirEntry[str], rules: _Rules) -> str | None:
    """Why a symbolic link is not followed, or None: its target must stay inside the indexed
    roots (or ``--follow-links``), and never be inside a base."""
    target = os.path.realpath(entry.path)
    if _inside(target, rules.homes):
        return "lien symbolique vers une base Passerelles : jamais suivi"
    if not rules.follow_links and not _inside(target, rules.roots):
        return LINK_REASON
    return None


def _found_entry(entry: os.DirEntry[str], siblings: dict[str, os.DirEntry[str]], rules: _Rules) -> Found:
    path = Path(entry.path)
    if entry.is_symlink() and is_sidecar(path):
        # Not even a link inside the folder, nor with --follow-links: the worker never reads a
        # sidecar through a link (indexer.metadata.sidecar), this says why it is left out.
        return Found(path, skip=SIDECAR_LINK_REASON)
    if entry.is_symlink() and (refused := _link_refused(entry, rules)):
        return Found(path, skip=refused)
    try:
        st = entry.stat()  # follows links, cached by the entry: the only stat of this file
    except OSError as exc:
        return Found(path, error=unreadable(exc))
    if not stat.S_ISREG(st.st_mode):
        return Found(path, error=NOT_REGULAR)
    dot = entry.name.rfind(".")  # Path.stem's rule, which sidecar_paths() uses
    stem = entry.name[:dot] if 0 < dot < len(entry.name) - 1 else entry.name
    sidecar_mtime: float | None = None
    for base in (stem, entry.name):
        for suffix in SIDECAR_SUFFIXES:
            side = siblings.get(base + suffix)
            if side is None or side.is_symlink():  # never read: its change changes nothing
                continue
            try:
                side_st = side.stat()
            except OSError:
                continue
            if stat.S_ISREG(side_st.st_mode):
                sidecar_mtime = max(sidecar_mtime or side_st.st_mtime, side_st.st_mtime)
    return Found(path, st.st_size, st.st_mtime, sidecar_mtime=sidecar_mtime)


def _once(found: Found, seen: set[Path]) -> Iterator[Found]:
    if found.path not in seen:
        seen.add(found.path)
        yield found


def _found(path: Path) -> Found:
    try:
        st = path.stat()
    except OSError as exc:
        return Found(path, error=unreadable(exc))
    if not stat.S_ISREG(st.st_mode):
        return Found(path, error=NOT_REGULAR)
    sidecars: list[float] = []
    for side in sidecar_paths(path):
        try:
            side_st = sidecar_stat(side)  # a name too long to exist is absent, not an error
        except OSError:
            continue  # the worker reports a sidecar it cannot read
        if side_st is not None:
            sidecars.append(side_st.st_mtime)
    return Found(path, st.st_size, st.st_mtime, sidecar_mtime=max(sidecars) if sidecars else None)
