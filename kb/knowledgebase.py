"""A knowledge base home: catalog + store (the truth) and the index derived from them.

Writes follow one order so that a crash at any point leaves a state the next writer repairs:
catalog rows staged as ``pending`` -> index commit -> rows settled. Originals enter the store
before their rows are staged (see ``Store.put``); unreferenced blobs are collected later.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from filelock import FileLock, Timeout

from kb.backend import open_backend
from kb.catalog import DONE, FAILED, INDEXED, REMOVED, Catalog, Change, Entry
from kb.durability import remove, size_of
from kb.errors import DamagedIndex, LockedError, MissingBase, NotFound, StorageFull, os_cause
from kb.kinship import Kinship, member_of
from kb.model import OCR, SCANNED_NO_OCR, Document, Hit, Prepared, SearchPage, SearchRequest
from kb.names import unprintable
from kb.parts import PART_CHARS, Part
from kb.records import Records
from kb.reports import CheckReport, Stats
from kb.staging import Staging
from kb.store import Store, file_sha256
from kb.synonyms import Synonyms, load_synonyms

Progress = Callable[[int], None]
CATALOG_NAME = "catalog.sqlite"
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def base_exists(home: Path) -> bool:
    """True when ``home`` holds a knowledge base (its catalog), even an empty one."""
    return (Path(home) / CATALOG_NAME).is_file()


class KnowledgeBase(Records):
    """Opens a home directory, creating it unless ``create`` is false (then ``MissingBase``
    when it holds no base). Opening takes no lock and rebuilds nothing (it may still recreate
    an unusable index empty, and add catalog columns an older version lacked): readers need
    no lock; every writer runs inside ``writing()``, which holds the home's lock and first finishes any
    interrupted work. A shell that may write runs ``repair()`` at start, so that an index a
    new version outdated is rebuilt before anyone searches it."""

    def __init__(self, home: Path, synonyms: Synonyms | None = None, create: bool = True) -> None:
        # Made absolute once, against the working directory of the caller: a relative home
        # (the default ``kb-data``) must not move with a later chdir, nor be resolved by a
        # library against its own folder (Flask's send_file uses the app's root_path).
        home = Path(os.path.abspath(home))
        self.home = home
        if not create and not base_exists(home):
            raise MissingBase(home)
        home.mkdir(parents=True, exist_ok=True)
        self._catalog = Catalog(home / CATALOG_NAME)
        self._store = Store(home / "store")
        self.index = open_backend(home / "index", synonyms or load_synonyms())
        self.kinship = Kinship(self._catalog)
        # Results show a group of copies and versions once (kb.kinship).
        self.index.groups = self.kinship.snapshot
        self._lock = FileLock(str(home / "write.lock"))
        # Opening takes no lock and repairs nothing: a reader must not wait for, nor become, a
        # writer. What needs one is done by ``writing()``, or by ``repair()`` at a shell's start.

    def close(self) -> None:
        """Release the index and the catalog connections (the base stays as it is on disk)."""
        self.index.close()
        self._catalog.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[KnowledgeBase]:
        """Hold the write lock (the OS frees it if we die) and repair any interrupted work.

        On a full disk nothing starts (the catalog could not record it), and a disk that fills
        up meanwhile ends the work with ``StorageFull``: what was validated before stays."""
        if self._catalog.read_only:
            raise StorageFull(f"{self._catalog.read_only} : rien n'a été écrit dans {self.home}. La base "
                              "reste consultable ; libérez de la place puis relancez.")
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise LockedError(
                f"un autre processus écrit déjà dans {self.home} (kb index, rm ou rebuild) : "
                "attendez qu'il se termine puis relancez") from None
        try:
            self.recover()
            yield self
        except OSError as exc:
            if exc.errno in _DISK_FULL and not isinstance(exc, StorageFull):
                raise StorageFull(f"disque plein ({os_cause(exc)}) : l'écriture dans {self.home} s'est "
                                  "arrêtée. Ce qui a été validé avant reste intact ; libérez de la place "
                                  "puis relancez.") from exc
            raise
        finally:
            self._lock.release()

    def repair(self) -> bool:
        """Rebuild now, from the catalog, an index that cannot answer (``index_outdated``):
        the step a shell that may write (``kb``, the web server) runs at start. Takes the write
        lock for that time only, and only when there is work. False when the work is left to
        others (another process writes, the disk is full): searches then say so
        (``DamagedIndex``) instead of answering from an empty index."""
        # Only a process that made the index anew can find it empty without opening a searcher
        # (which would hold segments open before any search); another that left it so
        # unrebuilt is told by the searches here (``kb rebuild``).
        if not self.index.needs_rebuild() or not self.index_outdated():
            return True
        try:
            with self.writing():  # writing() first runs recover(), which rebuilds
                pass
        except (LockedError, StorageFull):
            return False
        return True

    def index_outdated(self) -> bool:
        """Whether the index holds none of the documents the catalog says were committed: it
        was made anew (a new index format, a damaged index) and nobody has rebuilt it yet."""
        # Rows staged but not settled are not counted: a writer's commit may be under way.
        if not self._catalog.any_settled():
            return False
        return self.index.count() == 0

    def _answerable(self, found: object) -> None:
        """Raise instead of answering nothing from an index that awaits its rebuild (checked
        only when nothing was found: a search that finds something costs nothing more)."""
        if not found and self.index_outdated():
            raise DamagedIndex(f"l'index de recherche de {self.home} est à reconstruire (nouvelle version de "
                               "Passerelles ou index endommagé) : lancez kb rebuild, puis relancez")

    def recover(self) -> int:
        """Replay rows left pending by an interrupted writer; rebuild a missing/outdated index;
        delete the files a killed writer left in the index folder (``kb check`` reports them)."""
        remove(self.index.leftovers())
        if self.index.needs_rebuild() and self._catalog.ids():
            self.rebuild()
            return -1
        pending = self._catalog.pending()
        if pending:
            self._sync(pending)
        # Groups are filed after each commit: a writer killed in between left them behind.
        unfiled, stale = self.kinship.out_of_date()
        if unfiled or stale:
            self.kinship.update((member_of(doc) for doc in self.documents(unfiled)), stale)
        return len(pending)

    def apply(self, changes: list[Change], analyzed: dict[str, Prepared] | None = None) -> None:
        """Make ``changes`` true in the catalog and the index (the crash-safe order).

        ``analyzed`` maps a document id to what ``kb.backend.prepare`` computed for it (in
        extraction workers), so this process only files postings."""
        staging = self.staging()
        try:
            for c in changes:
                staging.add(c, (analyzed or {}).get(c.id))
            staging.commit()
        except BaseException:
            staging.cancel()
            raise

    def staging(self) -> Staging:
        """A batch of changes filed in the index as they are added, applied by its ``commit``
        (the crash-safe order of ``apply``) or dropped by its ``cancel``. Writers only."""
        return Staging(self._catalog, self._store, self.index, self.kinship)

    def remove(self, ids: Iterable[str]) -> int:
        """Take documents out of the base (catalog and index); returns how many. Writers only."""
        ids = list(ids)
        if not ids:
            return 0
        self._catalog.mark_removed(ids)
        self._sync(self._catalog.entries_of(ids))
        self.kinship.update([], ids)
        return len(ids)

    def _sync(self, entries: list[Entry]) -> None:
        with self.index.batch() as batch:
            for entry in entries:
                doc = self._catalog.document(entry.id) if entry.status == INDEXED else None
                if doc is not None:
                    batch.put(doc, added=entry.added_at)
                else:
                    batch.delete(entry.id)
        self._catalog.settle(e.id for e in entries)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Rebuild the whole index from the catalog; readers keep the old one until the commit."""
        count = 0
        long: list[str] = []  # candidates for a record in parts (see Catalog.repack)
        members = []
        with self.index.batch(clear=True) as batch:
            for doc, added in self.documents_added():
                batch.put(doc, new=True, added=added)  # the old segments are dropped by the commit
                members.append(member_of(doc))
                if max(len(doc.text), sum(map(len, doc.pages))) > PART_CHARS // 2:
                    long.append(doc.id)
                count += 1
                if progress:
                    progress(1)
        self._catalog.settle(self._catalog.ids())
        self.kinship.rebuild(members)
        self._catalog.repack(long)
        return count

    def collect_garbage(self) -> int:
        """Delete the stored originals no indexed document refers to; returns how many."""
        keep = {e.file.sha256 for e in self._catalog.indexed()}
        return self._store.collect(keep)

    def new_id(self, path: str, sha256: str) -> str:
        """A short id, derived from the first content and path seen, unique in the catalog."""
        seed = f"{sha256}:{path}"
        salt = 0
        while True:
            # surrogatepass: a file name that is not UTF-8 reaches here with lone surrogates.
            digest = hashlib.sha256(f"{seed}:{salt}".encode("utf-8", "surrogatepass")).hexdigest()[:12]
            if self._catalog.get(digest) is None:
                return digest
            salt += 1

    # -- reading ------------------------------------------------------------------------------

    # Reads of the index say ``DamagedIndex`` (French, with the fix) when a segment went
    # missing after the base was opened, or when the index awaits the rebuild ``repair()`` does.

    def version(self) -> tuple[int, int]:
        """Changes whenever what the base shows may have changed: each write ends with a commit
        of the index, and the groups of copies and versions carry their own version."""
        return self.index.version(), self.kinship.snapshot().version

    def search(self, request: SearchRequest) -> SearchPage:
        """One page of results for ``request``, each group of copies and versions shown once."""
        page = self.index.search(request)
        self._answerable(page.total)
        grouped = self.kinship.snapshot().leaders
        if not any(h.id in grouped for h in page.hits):
            return page
        hits = tuple(replace(h, relatives=tuple((r.id, r.title, r.label) for r in self.kinship.relatives(h.id)))
                     if h.id in grouped else h for h in page.hits)
        return replace(page, hits=hits)

    def similar(self, doc_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Documents like ``doc_id``: its own copies and versions left out (the page lists them
        apart), and each other group once."""
        leaders = self.kinship.snapshot().leaders
        own = leaders.get(doc_id, doc_id)
        found = self.index.similar(doc_id, limit + 10) if leaders else self.index.similar(doc_id, limit)
        self._answerable(found)
        seen = {own}
        out = []
        for hit in found:
            group = leaders.get(hit.id, hit.id)
            if group not in seen:
                seen.add(group)
                out.append(hit)
        return tuple(out[:limit])

    def passages(self, doc_id: str, query: str, count: int = 3) -> tuple[str, ...]:
        """Up to ``count`` passages of ``doc_id`` where the words of ``query`` occur, for a result page."""
        found = self.index.passages(doc_id, query, count)
        self._answerable(found)
        return found

    def resolve(self, ref: str) -> Entry:
        """A document by id, or by source path (as given or resolved)."""
        entry = self._catalog.get(ref)
        for path in dict.fromkeys((ref, unprintable(ref))):  # also as reports show odd names
            if entry is None:
                entry = self._catalog.by_path(path) or self._catalog.by_path(str(Path(path).resolve()))
        if entry is None or entry.status == REMOVED:
            raise NotFound(f"aucun document ne correspond à « {ref} »")
        return entry

    def document(self, ref: str, text: bool = True) -> Document:
        """The document ``ref`` (an id or a source path); without ``text``, its metadata only
        (text and pages left empty), which costs the same for a 20-million-character report."""
        entry = self.resolve(ref)
        doc = self._catalog.document(entry.id, text)
        if doc is None:
            raise NotFound(f"le document « {ref} » n'a pas pu être indexé : {entry.error or 'raison inconnue'}")
        return replace(doc, relatives=tuple((r.id, r.title, r.label) for r in self.kinship.relatives(doc.id)))

    def part(self, doc_id: str, number: int) -> Part:
        """Part ``number`` (from 1) of the text of ``doc_id``, read alone (``kb.parts``)."""
        found = self._catalog.part(doc_id, number)
        if found is None:
            raise NotFound(f"le document « {doc_id} » n'a pas de partie {number}")
        return found

    def original(self, doc_id: str) -> Path:
        """The stored original of a document (never a path outside the store)."""
        entry = self._catalog.get(doc_id)
        if entry is None or entry.status != INDEXED:
            raise NotFound("original introuvable")
        path = self._store.path_for(entry.file.sha256)
        # A blob replaced by a symbolic link (or anything but a plain file inside the store)
        # is never served: it could point anywhere on the machine.
        if path.is_symlink() or not path.is_file() or not path.resolve().is_relative_to(self._store.root.resolve()):
            raise NotFound("original introuvable")
        return path

    def stats(self) -> Stats:
        """Counts of the base: documents by status, type and format, originals, index entries."""
        by_status = self._catalog.count_by("status")
        return Stats(
            documents=by_status.get(INDEXED, 0), failed=by_status.get(FAILED, 0),
            by_type=self._catalog.count_by("type"), by_format=self._catalog.count_by("format"),
            store_files=len(self._store.shas()), index_documents=self.index.count(),
            ocr=self._catalog.count_flag(OCR), scanned_no_ocr=self._catalog.count_flag(SCANNED_NO_OCR),
        )

    def check(self, deep: bool = False) -> CheckReport:
        """Where catalog, store and index disagree (``deep`` re-hashes every stored original)."""
        report = CheckReport()
        entries = self._catalog.entries()
        indexed = {e.id: e for e in entries if e.status == INDEXED}
        report.documents = len(indexed)
        for e in entries:
            if e.sync != DONE:
                report.problems.append(f"{e.id} : opération interrompue en attente ({e.path})")
        in_index = self.index.ids()
        for doc_id in sorted(set(indexed) - in_index):
            report.problems.append(f"{doc_id} : dans le catalogue mais absent de l'index ({indexed[doc_id].path})")
        for doc_id in sorted(in_index - set(indexed)):
            report.problems.append(f"{doc_id} : dans l'index mais pas dans le catalogue")
        if self.index.count() != len(in_index):
            report.problems.append("l'index contient des doublons")
        stored = self._store.shas()
        for e in indexed.values():
            if e.file.sha256 not in stored:
                report.problems.append(f"{e.id} : original absent du dépôt ({e.path})")
            elif deep and file_sha256(self._store.path_for(e.file.sha256)) != e.file.sha256:
                report.problems.append(f"{e.id} : original altéré dans le dépôt ({e.path})")
            if self._catalog.document(e.id) is None:
                report.problems.append(f"{e.id} : fiche du document manquante dans le catalogue")
        unreferenced = stored - {e.file.sha256 for e in indexed.values()}
        if unreferenced:
            report.warnings.append(f"{len(unreferenced)} fichier(s) orphelin(s) dans le dépôt "
                                   "(nettoyés au prochain kb index)")
        left = self.index.leftovers()
        if left:
            report.warnings.append(f"{len(left)} fichier(s) orphelin(s) dans l'index ({size_of(left) / 1e6:.1f} Mo, "
                                   "reste d'une écriture interrompue : nettoyés au prochain kb index)")
        return report

