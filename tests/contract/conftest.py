"""The one place a search backend plugs into the contract suite (tests/contract/README.md).

Every test of this folder speaks to the backend through the protocol surface only: ``batch``
(``put``/``delete``), ``search``, ``similar``, ``passages``, ``ids``, ``count``,
``needs_rebuild``, ``close`` and the ``groups`` attribute. Documents come from the demo corpus
as the catalog records them (``demo_base``, indexed once per session by tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kb.base import KnowledgeBase
from kb.index import Index, IndexBatch
from kb.model import MAX_PAGE_SIZE, Document, Groups, SearchRequest
from kb.synonyms import load_synonyms

# A document as the catalog gives it back, with when it entered the base (``added_at``).
Record = tuple[Document, str]
NO_GROUPS = Groups(0, {}, {})


class _TodaysIndex(Index):
    """``kb.index.Index`` seen through the protocol: it says ``created`` where the protocol
    asks ``needs_rebuild()``, and leaves resetting it to ``KnowledgeBase.rebuild``."""

    def __init__(self, path: Path, synonyms: Any) -> None:
        super().__init__(path, synonyms)
        self.groups = lambda: NO_GROUPS

    def needs_rebuild(self) -> bool:
        return self.created

    @contextmanager
    def batch(self, clear: bool = False) -> Iterator[IndexBatch]:
        with super().batch(clear) as batch:
            yield batch
        if clear:
            self.created = False


def make_backend(path: Path) -> Any:
    """The backend under contract, stored in the folder ``path`` (created when missing).

    The one line to change to run the contract against another backend."""
    return _TodaysIndex(path, load_synonyms())


def put(batch: Any, doc: Document, added: str | None = None, new: bool = False) -> None:
    """``batch.put`` with the catalog's ``added_at`` (the ``added`` sort), which today's
    ``put`` takes as a keyword: the one place to adapt if a backend receives it otherwise."""
    batch.put(doc, new=new, added=added)


def fill(backend: Any, records: Iterable[Record], clear: bool = True) -> None:
    """Put every record in one batch, as ``kb rebuild`` does (``clear``: replace everything)."""
    with backend.batch(clear=clear) as batch:
        for doc, added in records:
            put(batch, doc, added, new=clear)


@pytest.fixture(scope="session")
def records(demo_base: KnowledgeBase) -> list[Record]:
    """The demo corpus's documents, by path: extraction workers file them in any order, and
    the order they are put in decides which of two equal scores comes first."""
    found = sorted(demo_base.catalog.records(), key=lambda record: record[0].path)
    assert len(found) >= 40
    return found


@pytest.fixture(scope="session")
def demo_groups(demo_base: KnowledgeBase) -> Groups:
    """The demo corpus's copies and versions (corpus/capitalisation.toml [[groups]])."""
    groups = demo_base.kinship.snapshot()
    assert groups.leaders, "the demo corpus has a copy and an older edition"
    return groups


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory, records: list[Record], demo_groups: Groups) -> Iterator[Any]:
    """A backend filled once from the catalog and grouped as a knowledge base groups it:
    read-only, shared by the tests that only search."""
    made = make_backend(tmp_path_factory.mktemp("contract") / "index")
    fill(made, records)
    made.groups = lambda: demo_groups
    yield made
    made.close()


@pytest.fixture
def fresh(tmp_path: Path, records: list[Record]) -> Iterator[Any]:
    """A backend of its own, filled from the catalog and without groups, for a test that writes."""
    made = make_backend(tmp_path / "index")
    fill(made, records)
    yield made
    made.close()


@pytest.fixture(scope="session")
def id_of(records: list[Record]) -> Callable[[str], str]:
    """The id of a demo document from its path relative to corpus/."""
    from tests.conftest import corpus_path

    ids = {doc.path: doc.id for doc, _ in records}
    return lambda relative: ids[corpus_path(relative)]


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


@pytest.fixture
def ungrouped(backend: Any) -> Iterator[Any]:
    """The shared backend with no groups for the length of one test."""
    with without_groups(backend) as plain:
        yield plain


def found_ids(backend: Any, query: str, **fields: Any) -> list[str]:
    """The ids of every result of ``query``, in order (one page holds them all)."""
    page = backend.search(SearchRequest(query, page_size=MAX_PAGE_SIZE, facets=False, **fields))
    assert len(page.hits) == page.total, (query, fields)
    return [h.id for h in page.hits]

