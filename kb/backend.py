"""The seam between the knowledge base and its search engine.

The knowledge base, the indexer and the web app speak to the engine through ``SearchBackend``
only, in the core's dataclasses (``kb.model``); no engine type crosses it. The one backend
today is Whoosh (``kb.whoosh_backend``), imported when a base is opened, never by extraction
workers, which only ``prepare`` documents.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from kb.model import Document, Groups, Hit, Prepared, SearchPage, SearchRequest
from kb.synonyms import Synonyms

__all__ = ["SearchBackend", "WriteBatch", "open_backend", "prepare"]


class WriteBatch(Protocol):
    """Adds and deletes inside one write of the backend (see ``SearchBackend.batch``)."""

    def put(self, doc: Document, prepared: Prepared | None = None, new: bool = False,
            added: str | None = None) -> None:
        """Add or replace ``doc``; ``prepared`` (from ``prepare(doc)``) spares the analysis.
        ``new``: the backend cannot hold ``doc`` yet, so no lookup is needed. ``added``: when
        the document entered the base (the catalog's ``added_at``, the feeds' order)."""

    def delete(self, doc_id: str) -> None:
        """Remove the document ``doc_id`` (nothing happens if it is not there)."""


class SearchBackend(Protocol):
    """A full-text index of documents, derived data rebuilt from the catalog at will."""

    #: The groups of copies and versions (``kb.kinship``) searches show once.
    groups: Callable[[], Groups]

    def batch(self, clear: bool = False) -> AbstractContextManager[WriteBatch]:
        """One write: committed (and on disk) on success, replacing everything when ``clear``;
        cancelled on error, which goes through."""

    def search(self, request: SearchRequest) -> SearchPage:
        """A page of results for ``request``, with its facets."""

    def similar(self, doc_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Documents like ``doc_id``, best first, never the document itself."""

    def passages(self, doc_id: str, query: str, count: int = 3) -> tuple[str, ...]:
        """Up to ``count`` snippets of ``doc_id`` where ``query`` matches (HTML-safe)."""

    def version(self) -> int:
        """A number that changes with every commit, by any process (what readers cache is
        keyed by it)."""

    def ids(self) -> set[str]:
        """The id of every document held."""

    def count(self) -> int:
        """How many documents are held."""

    def needs_rebuild(self) -> bool:
        """True when the backend holds nothing it can trust (new, another format, damaged)
        and must be rebuilt from the catalog; false again once a ``clear`` batch commits."""

    def leftovers(self) -> list[Path]:
        """Files an interrupted writer left behind, which the next writer deletes."""

    def close(self) -> None:
        """Release files and searchers."""


def open_backend(path: Path, synonyms: Synonyms) -> SearchBackend:
    """The search backend stored in the folder ``path`` (created if needed)."""
    from kb.whoosh_backend.engine import WhooshBackend  # the engine loads with a base, not before

    return WhooshBackend(path, synonyms)


def prepare(doc: Document) -> Prepared:
    """What the backend files for ``doc``, computed in an extraction worker (no engine loaded)."""
    from kb.whoosh_backend.prepare import ENGINE, filing, memory_of

    data = filing(doc)
    return Prepared(ENGINE, data, memory_of(data))
