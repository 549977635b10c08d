"""A batch of changes filed in the index as they come, made true all at once.

``kb index`` receives documents one by one from its extraction workers. Filing each in the
index writer as it arrives (``Staging.add``) lets the writer's work overlap the extraction of
the next files; before, the whole batch was filed after the last document arrived, while
the workers had nothing to do. Nothing is visible or recorded before ``commit``, which
follows the knowledge base's crash-safe order: originals durable, catalog rows staged as
pending, index committed, rows settled.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from kb.catalog import INDEXED, Catalog, Change, Entry, now, pack
from kb.kinship import Kinship, member_of
from kb.model import Prepared
from kb.store import Store

# Documents filed together: one catalog query for their rows (filing one at a time cost a
# query per document: seconds at 100,000), few enough that filing keeps pace with extraction.
FILE_EVERY = 64


class _Cancelled(Exception):
    """Raised into the index writer's block to make it cancel."""


class Staging:
    """Changes to one knowledge base, applied by ``commit`` (or dropped by ``cancel``).

    The last change of an id wins, as in ``KnowledgeBase.apply``. A second change of an id
    already filed cannot be taken back from the open writer: that batch is then filed again
    whole at commit, in a fresh writer."""

    def __init__(self, catalog: Catalog, store: Store, index: Any, kinship: Kinship) -> None:
        self._catalog, self._store, self._index, self._kinship = catalog, store, index, kinship
        self._stamp = now()  # the catalog's added_at of documents new to the base, set by stage() too
        self._changes: list[Change] = []
        self._analyzed: dict[str, Prepared] = {}
        self._waiting: list[Change] = []  # not filed yet (FILE_EVERY at a time)
        self._seen: set[str] = set()  # ids filed or waiting
        self._refile = False
        self._writer: AbstractContextManager[Any] | None = None
        self._batch: Any = None

    def add(self, change: Change, analyzed: Prepared | None = None) -> None:
        """Stage ``change``; ``analyzed`` is what ``kb.backend.prepare`` computed for its document."""
        if change.document is not None and change.record is None:
            # Compressing records was most of the catalog's share of a commit, when the workers wait.
            change = replace(change, record=pack(change.document))
        self._changes.append(change)
        if analyzed is not None:
            self._analyzed[change.id] = analyzed
        if self._refile:
            return
        if change.id in self._seen:
            self._refile = True
            return
        self._seen.add(change.id)
        self._waiting.append(change)
        if len(self._waiting) >= FILE_EVERY:
            self._file_waiting()

    def commit(self) -> None:
        """Make every staged change true in the catalog and the index (the crash-safe order),
        then update the groups. Interrupted (Ctrl-C, a full disk), the index writer is
        cancelled: the rows staged stay pending, for the next writer to replay."""
        try:
            self._commit()
        except BaseException:
            self.cancel()
            raise

    def _commit(self) -> None:
        if not self._changes:
            self._close(None)
            return
        latest = {c.id: c for c in self._changes}
        # Originals copied without fsync by the workers become durable before any row names them.
        self._store.sync(c.file.sha256 for c in latest.values() if c.status == INDEXED)
        if self._refile:
            self._close(_Cancelled())
            self._waiting = list(latest.values())
            entries = self._entries(self._waiting)  # read before stage() changes them
            self._catalog.stage(self._changes, self._stamp)
            self._file(self._waiting, entries)
        else:
            self._file_waiting()
            self._catalog.stage(self._changes, self._stamp)
        self._close(None)  # the index commit
        self._catalog.settle(latest)
        # Groups are derived data: a crash here leaves them stale until the next change or
        # ``kb rebuild``, never the catalog or the index.
        indexed = [c for c in latest.values() if c.status == INDEXED and c.document is not None]
        self._kinship.update([member_of(c.document) for c in indexed if c.document is not None],
                             [c.id for c in latest.values() if c.status != INDEXED or c.document is None])
        self._changes, self._analyzed = [], {}

    def cancel(self) -> None:
        """Drop every staged change: the index writer is cancelled, the catalog untouched."""
        self._close(_Cancelled())
        self._changes, self._analyzed, self._waiting = [], {}, []

    def _file_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        if waiting:
            self._file(waiting, self._entries(waiting))

    def _entries(self, changes: list[Change]) -> dict[str, Entry]:
        return {e.id: e for e in self._catalog.entries_of([c.id for c in changes])}

    def _file(self, changes: list[Change], entries: dict[str, Entry]) -> None:
        """Put ``changes`` in the open index writer (opened on first use). ``entries``: their
        catalog rows before this batch is staged."""
        if self._batch is None:
            self._writer = self._index.batch()
            self._batch = self._writer.__enter__()
        for c in changes:
            entry = entries.get(c.id)
            was_indexed = entry is not None and entry.status == INDEXED
            if c.status == INDEXED and c.document is not None:
                # What stage() will record: a document keeps when it entered the base while it
                # stays searchable; one that was not (new, failed, removed) enters it now.
                added = entry.added_at if was_indexed and entry is not None else self._stamp
                self._batch.put(c.document, self._analyzed.get(c.id), new=not was_indexed, added=added)
            else:
                self._batch.delete(c.id)

    def _close(self, error: BaseException | None) -> None:
        """Commit the index writer (``error`` None) or cancel it."""
        writer, self._writer, self._batch = self._writer, None, None
        if writer is None:
            return
        if error is None:
            writer.__exit__(None, None, None)
            return
        try:
            writer.__exit__(type(error), error, None)
        except _Cancelled:
            pass
