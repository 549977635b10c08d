"""Helpers of the contract tests, written against the protocol surface only (conftest.py makes
the backend)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.model import MAX_PAGE_SIZE, Document, Groups, SearchRequest

# A document as the catalog gives it back, with when it entered the base (``added_at``).
Record = tuple[Document, str]
NO_GROUPS = Groups(0, {}, {})
# The ``make_backend`` fixture: the backend stored in a folder.
MakeBackend = Callable[[Path], Any]


def put(batch: Any, doc: Document, added: str | None = None, new: bool = False) -> None:
    """``batch.put`` with the catalog's ``added_at`` (the ``added`` sort), which today's
    ``put`` takes as a keyword: the one place to adapt if a backend receives it otherwise."""
    batch.put(doc, new=new, added=added)


def fill(backend: Any, records: Iterable[Record], clear: bool = True) -> None:
    """Put every record in one batch, as ``kb rebuild`` does (``clear``: replace everything)."""
    with backend.batch(clear=clear) as batch:
        for doc, added in records:
            put(batch, doc, added, new=clear)


def found_ids(backend: Any, query: str, **fields: Any) -> list[str]:
    """The ids of every result of ``query``, in order (one page holds them all)."""
    page = backend.search(SearchRequest(query, page_size=MAX_PAGE_SIZE, facets=False, **fields))
    assert len(page.hits) == page.total, (query, fields)
    return [h.id for h in page.hits]


@contextmanager
def without_groups(backend: Any) -> Iterator[Any]:
    """``backend`` with no groups inside the block: every document is then a result of its
    own, and counts can be checked against the documents themselves."""
    kept = backend.groups
    backend.groups = lambda: NO_GROUPS
    try:
        yield backend
    finally:
        backend.groups = kept
