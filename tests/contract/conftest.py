"""The one place a search backend plugs into the contract suite (tests/contract/README.md):
the ``make_backend`` fixture.

Every test of this folder speaks to the backend through the protocol surface only: ``batch``
(``put``/``delete``), ``search``, ``similar``, ``passages``, ``ids``, ``count``,
``needs_rebuild``, ``close`` and the ``groups`` attribute. Documents come from the demo corpus
as the catalog records them (``demo_base``, indexed once per session by tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.backend import open_backend
from kb.knowledgebase import KnowledgeBase
from kb.model import Groups
from kb.synonyms import load_synonyms
from tests.contract.support import NO_GROUPS, MakeBackend, Record, fill, without_groups


@pytest.fixture(scope="session")
def make_backend() -> MakeBackend:
    """Makes the backend under contract, stored in a folder (created when missing).

    The one line to change to run the contract against another backend."""
    def made(path: Path) -> Any:
        backend = open_backend(path, load_synonyms())
        backend.groups = lambda: NO_GROUPS
        return backend
    return made


@pytest.fixture(scope="session")
def records(demo_base: KnowledgeBase) -> list[Record]:
    """The demo corpus's documents, by path: extraction workers file them in any order, and
    the order they are put in decides which of two equal scores comes first."""
    found = sorted(demo_base.documents_added(), key=lambda record: record[0].path)
    assert len(found) >= 40
    return found


@pytest.fixture(scope="session")
def demo_groups(demo_base: KnowledgeBase) -> Groups:
    """The demo corpus's copies and versions (corpus/capitalisation.toml [[groups]])."""
    groups = demo_base.kinship.snapshot()
    assert groups.leaders, "the demo corpus has a copy and an older edition"
    return groups


@pytest.fixture(scope="session")
def backend(make_backend: MakeBackend, tmp_path_factory: pytest.TempPathFactory, records: list[Record],
            demo_groups: Groups) -> Iterator[Any]:
    """A backend filled once from the catalog and grouped as a knowledge base groups it:
    read-only, shared by the tests that only search."""
    made = make_backend(tmp_path_factory.mktemp("contract") / "index")
    fill(made, records)
    made.groups = lambda: demo_groups
    yield made
    made.close()


@pytest.fixture
def fresh(make_backend: MakeBackend, tmp_path: Path, records: list[Record]) -> Iterator[Any]:
    """A backend of its own, filled from the catalog and without groups, for a test that writes."""
    made = make_backend(tmp_path / "index")
    fill(made, records)
    yield made
    made.close()


@pytest.fixture
def ungrouped(backend: Any) -> Iterator[Any]:
    """The shared backend with no groups for the length of one test."""
    with without_groups(backend) as plain:
        yield plain
