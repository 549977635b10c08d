"""Ingestion, step one: compare the files on disk with the catalog and decide, without
writing anything, what each file needs. ``kb index --dry-run`` prints this plan."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.collections import Collections, is_collection_file
from indexer.extract.base import ExtractionError, Limits, UnsupportedFormat
from indexer.extract.registry import extract, sniff
from indexer.metadata.sidecar import described_name, is_sidecar, sidecar_base
from indexer.walk import unreadable, walk
from kb.catalog import FAILED, INDEXED, Entry
from kb.knowledgebase import KnowledgeBase
from kb.model import FileIdentity
from kb.store import file_sha256

ADD, UPDATE, MOVE, RELABEL = "add", "update", "move", "relabel"


@dataclass(frozen=True)
class Item:
    """One file to (re)index: ``action`` is add, update (same path, new content), move
    (same content, new path; no extraction needed) or relabel (unchanged, but its folder now
    gives it another collection; no extraction either). ``file`` is the file as found now
    (its mtime the newest of the file and its sidecars), ``id`` the document it is ("" for a
    new one, until the run names it), ``collection`` the one it gets."""

    action: str
    file: FileIdentity
    id: str
    collection: str | None = None


@dataclass
class Plan:
    """What a scan found for each file: the work to do, and the files left alone, refused, failed or gone."""

    work: list[Item] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    # Files that failed before and have not changed: reported again with their reason.
    failed_before: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    # Documents whose source is gone (removed only with --prune).
    gone: list[Entry] = field(default_factory=list)
    # Documents whose path is now refused (a link leaving the indexed folders, a base's file):
    # removed by every run, so a base indexed before the refusal stops serving them.
    refused: list[Entry] = field(default_factory=list)
    touched: list[tuple[str, float]] = field(default_factory=list)


def scan(paths: Iterable[Path], kb: KnowledgeBase, retry_failed: bool = False,
         follow_links: bool = False, limits: Limits = Limits(), force: bool = False,
         reread: set[str] | frozenset[str] = frozenset(), collections: Collections | None = None) -> Plan:
    """What each file under ``paths`` needs. Files that failed before are reported again
    unless they changed, or ``retry_failed`` asks to read them again (e.g. after raising a
    limit). The base's own folder is never read, wherever it is; links to files outside
    ``paths`` are skipped unless ``follow_links``. A file over the size limit is not hashed.
    ``force`` hashes every file, even one whose size and mtime are those of the catalog: an
    edit that kept both (a copy with ``cp -p``, some synchronisation tools) is then seen.
    Documents whose id is in ``reread`` are extracted again even when unchanged (scans
    indexed without OCR, once OCR can run). ``collections`` gives each file its collection
    (else it keeps the one it had): an unchanged document whose collection changes is
    relabelled, not read again."""
    plan = Plan()
    roots = [Path(p).resolve() for p in paths]
    rules = collections or Collections()
    # Folder files are looked for up to the indexed folders, not above them.
    rules.roots |= {r if r.is_dir() else r.parent for r in roots}
    before = kb.collections()
    claimed: set[str] = set()  # catalog ids already given to a file of this run
    new_files: list[tuple[FileIdentity, str | None]] = []  # with the collection its folder gives
    # The catalog read once (one query, not one per file): a re-scan of an unchanged tree is
    # then one stat per file and a dict lookup.
    known = {e.path: e for e in kb.known_files()}
    listings: dict[Path, set[str]] = {}  # folder -> its names, listed once for its sidecars
    for found in walk(roots, homes=[kb.home], follow_links=follow_links):
        path = found.path
        if found.skip:
            plan.skipped.append((path, found.skip))
            entry = known.get(str(path))
            if entry is not None and entry.status == INDEXED:
                claimed.add(entry.id)
                plan.refused.append(entry)
            continue
        if found.error:
            plan.failed.append((path, found.error))
            continue
        if is_collection_file(path):
            continue  # read through ``rules`` for the files below it
        if path.name.startswith("."):
            plan.skipped.append((path, "fichier caché"))
            continue
        if is_sidecar(path):
            # Read with the document it describes: not an ignored file (the demo's own sidecars
            # were listed as « ignorés »). Only a sidecar that describes nothing is worth a line.
            if path.parent not in listings:
                listings[path.parent] = _listing(path.parent)
            if described_name(path, listings[path.parent]) is None:
                plan.skipped.append((path, f"fichier de métadonnées sans document à côté ({sidecar_base(path)})"))
            continue
        # A sidecar's change counts as a change of the file it describes.
        size = found.size
        mtime = found.mtime if found.sidecar_mtime is None else max(found.mtime, found.sidecar_mtime)
        entry = known.get(str(path))
        rule = rules.of(path)
        if entry is not None:
            claimed.add(entry.id)
            collection = rule or before.get(entry.id)
            relabel = entry.status == INDEXED and collection != before.get(entry.id)
            if (entry.file.size == size and entry.file.mtime == mtime and not force and entry.id not in reread
                    and not (retry_failed and entry.status == FAILED)):
                if relabel:  # the very file the catalog knows
                    plan.work.append(Item(RELABEL, entry.file, entry.id, collection))
                else:
                    _unchanged(plan, entry, path)
                continue
        try:
            fmt = sniff(path)
        except OSError as exc:
            plan.failed.append((path, unreadable(exc, "fichier illisible")))
            continue
        if fmt is None:
            _not_ours(plan, path, limits)
            if entry is not None and entry.status == INDEXED:
                # Its old text must not stay searchable (a Markdown file saved again as UTF-16
                # without a BOM, a text file overwritten with binary data).
                plan.refused.append(entry)
            continue
        try:
            # A file over the size limit is not read: the worker refuses it before opening it
            # (its catalog row then says why), and an empty digest matches no document.
            sha = "" if size > limits.max_file_bytes else file_sha256(path)
        except OSError as exc:
            plan.failed.append((path, unreadable(exc, "fichier illisible")))
            continue
        file = FileIdentity(str(path), size, mtime, sha, fmt)
        if entry is not None:
            if (entry.file.sha256 == sha and entry.status == INDEXED and found.sidecar_mtime is None
                    and entry.id not in reread and not relabel):
                plan.touched.append((entry.id, mtime))
                plan.unchanged.append(path)
            else:
                plan.work.append(Item(UPDATE, file, entry.id, collection))
            continue
        new_files.append((file, rule))
    # A new path whose content belongs to a document whose own file is gone is that document,
    # moved: it keeps its id. Decided after the walk, once every existing path is claimed.
    by_sha: dict[str, list[Entry]] = {}
    for e in known.values():
        if e.status == INDEXED:
            by_sha.setdefault(e.file.sha256, []).append(e)
    for file, rule in new_files:
        moved = next((e for e in by_sha.get(file.sha256, ())
                      if e.id not in claimed and _missing(Path(e.path))), None)
        if moved is not None:
            claimed.add(moved.id)
            plan.work.append(Item(MOVE, file, moved.id, rule or before.get(moved.id)))
        else:
            plan.work.append(Item(ADD, file, "", rule))
    plan.failed += sorted(rules.problems.items())
    for entry in known.values():
        if entry.id not in claimed and _under(Path(entry.path), roots) and _missing(Path(entry.path)):
            plan.gone.append(entry)
    return plan


def _unchanged(plan: Plan, entry: Entry, path: Path) -> None:
    if entry.status == FAILED:
        plan.failed_before.append((path, entry.error or "échec précédent"))
    else:
        plan.unchanged.append(path)


def _not_ours(plan: Plan, path: Path, limits: Limits) -> None:
    """Skipped when foreign (with the reason), failed when it claims to be ours but is not."""
    try:
        extract(path, limits)
    except UnsupportedFormat as exc:
        plan.skipped.append((path, exc.reason))
    except ExtractionError as exc:
        plan.failed.append((path, exc.reason))
    except OSError as exc:
        plan.failed.append((path, unreadable(exc, "fichier illisible")))
    else:  # the file changed between the two looks: treat it as unreadable this time
        plan.failed.append((path, "fichier modifié pendant l'analyse"))


def _missing(path: Path) -> bool:
    """The file is known to be gone. One that cannot be looked at (its folder unreadable) is
    not: its document stays, and the folder is reported by the walk."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode)  # a folder now bears its name: the file is gone


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _listing(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()
