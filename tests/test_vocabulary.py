"""Organisations apart from dispositifs: the editable vocabulary (kb/data/organisations.yaml),
names found by its expressions, and the index of an older base rebuilt with both facets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.extract.base import Extracted
from indexer.ingest import Options, index_paths
from indexer.metadata import infer_metadata
from indexer.metadata.bodies import find_names
from kb.errors import ConfigError
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest
from kb.vocabulary import default_vocabulary, load_vocabulary
from kb.whoosh_backend.schema import SCHEMA_VERSION

TEXT = """Convention entre la ville, le bailleur social et l'État

Le contrat de ville du quartier prioritaire (QPV) associe l'ANRU, la CAF, la mairie et les
bailleurs sociaux. Le contrat de ville prévoit un atelier santé ville (ASV) et un projet de
renouvellement urbain (PRU) dans le cadre du NPNRU.
"""


def test_vocabulary_kinds() -> None:
    vocabulary = default_vocabulary()
    for name in ("ANCT", "ANRU", "CAF", "ARS", "bailleur social", "ville"):
        assert vocabulary.kind(name) == "organisations", name
    for name in ("QPV", "PRU", "NPNRU", "CLS", "ASV", "PRE", "contrat de ville", "qpv"):
        assert vocabulary.kind(name) == "dispositifs", name
    assert vocabulary.kind("Centre social des Tilleuls") == "organisations"  # unknown: a body


def test_names_beside_acronyms_in_metadata() -> None:
    assert set(find_names(TEXT)[:2]) == {"contrat de ville", "bailleur social"}
    meta = infer_metadata(Extracted(format="txt", text=TEXT), Path("convention.txt"))
    bodies, schemes = default_vocabulary().split(meta.organisations)
    assert {"ANRU", "CAF", "bailleur social", "ville"} <= set(bodies)
    assert {"QPV", "ASV", "PRU", "NPNRU", "contrat de ville"} <= set(schemes)
    assert not set(bodies) & set(schemes)


def test_a_malformed_vocabulary_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "voc.yaml"
    bad.write_text("organisations: [ANCT, CAF]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="organisations"):
        load_vocabulary(bad)


def test_an_older_base_is_rebuilt_with_both_facets(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "convention.txt").write_text(TEXT, encoding="utf-8")
    home = tmp_path / "home"
    with KnowledgeBase(home) as kb:
        index_paths(kb, [sources], Options(workers=1))
        added = kb.known_files()[0].added_at
    # What an older version left: an index of the previous schema.
    (home / "index" / "kb-schema.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION - 1}))
    with KnowledgeBase(home) as kb:
        assert kb.repair()  # the explicit step the shells (kb, the web app) run at start
        assert kb.check().ok
        page = kb.search(SearchRequest(filters={"schemes": ("QPV",)}))
        assert page.total == 1
        assert {"QPV", "NPNRU"} <= {v.value for v in page.facets["schemes"]}
        assert "QPV" not in {v.value for v in page.facets["organisations"]}
        assert page.hits[0].added == added
        assert kb.search(SearchRequest(sort="added")).hits[0].added == added


def test_old_organisation_filters_still_find_dispositifs(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "convention.txt").write_text(TEXT, encoding="utf-8")
    with KnowledgeBase(tmp_path / "home") as kb:
        index_paths(kb, [sources], Options(workers=1))
        # A link published before the Dispositif facet existed (?org=QPV), kb search --org QPV.
        assert kb.search(SearchRequest(filters={"organisations": ("QPV",)})).total == 1
        assert kb.search(SearchRequest(filters={"organisations": ("ANRU",)})).total == 1
