"""What a knowledge base tells about its documents from its catalog and store, as named
operations: the shells (indexer, web app, bench) ask these, never the catalog itself.

``KnowledgeBase`` inherits them; they read only ``_catalog`` and ``_store``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from kb.catalog import Catalog, Entry, Revision
from kb.model import OCR_INCOMPLETE, SCANNED_NO_OCR, Document
from kb.store import Store


class Records:
    """The catalog's rows and records, read by name (mixed into ``KnowledgeBase``)."""

    _catalog: Catalog
    _store: Store

    @property
    def store_root(self) -> Path:
        """The folder of the stored originals (extraction workers copy files into it)."""
        return self._store.root

    def known_files(self) -> list[Entry]:
        """Every file the base knows, whatever its status (indexed, failed, removed), by path."""
        return self._catalog.entries()

    def indexed_entries(self) -> list[Entry]:
        """The rows of the searchable documents, by path."""
        return self._catalog.indexed()

    def entry(self, doc_id: str) -> Entry | None:
        """The row of ``doc_id``, whatever its status, or None (see ``resolve`` for a reader's lookup)."""
        return self._catalog.get(doc_id)

    def entry_at(self, path: str) -> Entry | None:
        """The row of the source file at ``path`` (as recorded), or None."""
        return self._catalog.by_path(path)

    def is_empty(self) -> bool:
        """Whether the base has never recorded a file (a first indexing)."""
        return not self._catalog.count_by("status")

    def types(self) -> dict[str, int]:
        """How many searchable documents of each type (``""`` for those without one)."""
        return self._catalog.count_by("type")

    def collections(self) -> dict[str, str]:
        """The collection of every document that has one, by id."""
        return self._catalog.collections()

    def reread_candidates(self) -> set[str]:
        """Documents to read again once OCR can run: scans left unread, or OCR cut by the time limit."""
        return self._catalog.ids_with_flag(SCANNED_NO_OCR) | self._catalog.ids_with_flag(OCR_INCOMPLETE)

    def indexed_among(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are searchable."""
        return self._catalog.indexed_among(ids)

    def record(self, doc_id: str, text: bool = True) -> Document | None:
        """The stored record of ``doc_id`` as indexed (no relatives), or None; without
        ``text``, metadata only, as cheap for a long document as for a short one."""
        return self._catalog.document(doc_id, text)

    def documents(self, ids: Iterable[str] | None = None) -> Iterator[Document]:
        """The records of the searchable documents (of ``ids`` only, when given)."""
        return self._catalog.documents(ids)

    def documents_added(self) -> Iterator[tuple[Document, str]]:
        """Each searchable document with when it entered the base (``added_at``): what a search
        backend is filled with (``kb rebuild``, the backend contract tests)."""
        return self._catalog.records()

    def text_chunks(self, doc_id: str) -> Iterator[str]:
        """The whole text of ``doc_id`` in consecutive chunks, a long one read chunk by chunk."""
        return self._catalog.text_chunks(doc_id)

    def pieces(self, doc_id: str) -> Iterator[tuple[int | None, str]]:
        """(page or None, text) of ``doc_id`` in order, part by part (see ``Catalog.pieces``)."""
        return self._catalog.pieces(doc_id)

    def revisions(self, since: str | None = None, before: str | None = None,
                  after: tuple[str, str] | None = None, limit: int = 500) -> list[Revision]:
        """Documents by the time of their latest change, removed ones included (for harvesters;
        see ``Catalog.revisions`` for the bounds and the cursor)."""
        return self._catalog.revisions(since, before, after, limit)

    def revision(self, doc_id: str) -> Revision | None:
        """The latest change of ``doc_id``, removed or not, or None if it was never known."""
        return self._catalog.revision(doc_id)

    def touch(self, doc_id: str, mtime: float) -> None:
        """Record the new mtime of a file whose content did not change (no hashing next time).
        Writers only."""
        self._catalog.touch(doc_id, mtime)
