"""The demo corpus as a golden test of capitalisation (corpus/capitalisation.toml): the sections
of sheets in every format, collections from the corpus's .collection files, a copy and an
older edition grouped under the right leader, practice-sheet metadata as facets."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest
from tests.conftest import corpus_path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
EXPECTED = tomllib.loads((CORPUS / "capitalisation.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def base(demo_base: KnowledgeBase) -> KnowledgeBase:
    return demo_base


path_of = corpus_path


@pytest.mark.parametrize("relative", sorted(EXPECTED["sections"]))
def test_sections_of_sheets_in_every_format(base: KnowledgeBase, relative: str) -> None:
    doc = base.document(path_of(relative))
    assert [s.key for s in doc.sections or ()] == EXPECTED["sections"][relative]
    for section in doc.sections or ():
        assert doc.text[section.start:section.end].strip(), f"{section.key} is empty"


def test_collections_from_the_folder_files(base: KnowledgeBase) -> None:
    for relative, collection in EXPECTED["collections"].items():
        assert base.document(path_of(relative), text=False).collection == collection, relative
    everything = base.search(SearchRequest(""))
    facet = {fv.value: fv.count for fv in everything.facets["collection"]}
    studies = [p for p in (CORPUS / "documents" / "etudes-rapports").iterdir()
               if not p.name.startswith(".") and not p.name.endswith(".meta.yaml")]
    assert facet["Observatoire régional des quartiers"] == len(studies) == 5
    # Every result has a collection (a group of copies or versions is one result).
    assert sum(facet.values()) == everything.total == base.stats().documents - 2


@pytest.mark.parametrize("group", EXPECTED["groups"], ids=lambda g: Path(g["leader"]).stem)
def test_copies_and_versions_are_one_result_led_by_the_best_member(base: KnowledgeBase, group: dict) -> None:
    leader = base.document(path_of(group["leader"]), text=False)
    relatives = {rid: label for rid, _, label in leader.relatives}
    others = {base.document(path_of(p), text=False).id: label for p, label in group["others"].items()}
    assert set(relatives) == set(others)
    for doc_id, label in others.items():
        assert relatives[doc_id].startswith(label), (relatives[doc_id], label)
    # Searched by its title: the group is one result, shown by its leader.
    hits = base.search(SearchRequest(leader.title, page_size=20)).hits
    members = {leader.id, *others}
    assert [h.id for h in hits if h.id in members] == [leader.id]


def test_practice_metadata_are_facets_and_filters(base: KnowledgeBase) -> None:
    for relative, fields in EXPECTED["practice"].items():
        doc = base.document(path_of(relative), text=False)
        for key, values in fields.items():
            assert list(doc.practice[key]) == values, (relative, key)
    caf = base.search(SearchRequest("", filters={"financeurs": ("CAF",)}))
    champ_vert = path_of("documents/fiches-experience/fiche-egalite-femmes-emploi-champ-vert.md")
    assert [h.path for h in caf.hits] == [champ_vert]
    financeurs = {fv.value: fv.count for fv in base.search(SearchRequest("emploi")).facets["financeurs"]}
    assert financeurs.get("P147") == 2 and financeurs.get("FSE") == 1
    typed = base.search(SearchRequest('porteur:"centre social du champ-vert"'))
    assert typed.total == 1


def test_practice_metadata_on_the_sheet_page_and_as_web_filters(base: KnowledgeBase) -> None:
    from webui import create_app

    app = create_app({"KB_HOME": str(base.home), "TESTING": True})
    client = app.test_client()
    page = client.get("/recherche?q=&financeurs=CAF").get_data(as_text=True)
    assert "1 document" in page and "Financeurs : CAF" in page
    doc = base.document(path_of("documents/fiches-experience/fiche-egalite-femmes-emploi-champ-vert.md"), text=False)
    sheet = client.get(f"/d/{doc.id}", follow_redirects=True).get_data(as_text=True)
    assert "<dt>Porteur</dt>" in sheet and "Centre social du Champ-Vert" in sheet
    assert 'id="resultats"' in sheet and 'href="#enseignements"' in sheet
    api = client.get(f"/api/documents/{doc.id}").get_json()
    assert api["practice"]["financeurs"] == ["P147", "France Travail", "CAF", "FSE+"]
    section = client.get("/recherche?q=femmes&section=resultats").get_data(as_text=True)
    assert "Section de fiche : Résultats / évaluation" in section
    app.extensions["kb"].close()
