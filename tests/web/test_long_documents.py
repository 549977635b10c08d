"""A very long document's page stays small: its full text is shown in parts, each reachable
from the others, and together they hold every word of it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from kb.parts import PART_CHARS, split
from webui import create_app

PARAGRAPHS = 12_000  # ~3.6 million characters
PAGE_BOUND = 3 * PART_CHARS  # bytes of HTML for one part, whatever the document's length


def paragraph(n: int) -> str:
    return (f"Paragraphe numéro {n} du recueil des marches exploratoires : "
            + "les habitantes du quartier prioritaire ont relevé l'éclairage, les cheminements et les "
            "espaces publics, puis remis leurs propositions au comité de pilotage du contrat de ville. " * 2).strip()


@pytest.fixture(scope="module")
def long_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    root = tmp_path_factory.mktemp("long")
    docs = root / "docs"
    docs.mkdir()
    text = "Recueil des marches exploratoires\n\n" + "\n\n".join(paragraph(n) for n in range(PARAGRAPHS))
    assert len(text) > 3_000_000
    (docs / "recueil.txt").write_text(text, encoding="utf-8")
    home = root / "home"
    with KnowledgeBase(home) as kb:
        report = index_paths(kb, [docs], Options(workers=1))
        assert len(report.indexed) == 1, report.to_dict()
        doc_id = kb.known_files()[0].id
    app = create_app({"KB_HOME": str(home), "TESTING": True})
    yield app, doc_id
    app.extensions["kb"].close()


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_long_document_is_shown_in_parts_each_small(long_app: tuple[Flask, str]) -> None:
    app, doc_id = long_app
    client = app.test_client()
    first = page(client, f"/d/{doc_id}")
    assert len(first.encode("utf-8")) < PAGE_BOUND
    assert "partie 1 sur" in first
    numbers: list[int] = []
    url: str | None = f"/d/{doc_id}"
    visited = 0
    while url:
        html = first if visited == 0 else page(client, url)
        visited += 1
        assert len(html.encode("utf-8")) < PAGE_BOUND, url
        text = html.split('id="titre-texte"', 1)[1]
        numbers += [int(n) for n in re.findall(r"Paragraphe numéro (\d+) du recueil", text)]
        following = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = unescape(following.group(1)).split("#")[0] if following else None
    # Every paragraph once, in order: nothing lost between parts, nothing shown twice.
    assert numbers == list(range(PARAGRAPHS))
    assert visited > 10


def test_a_part_out_of_range_is_a_french_404(long_app: tuple[Flask, str]) -> None:
    app, doc_id = long_app
    response = app.test_client().get(f"/d/{doc_id}?partie=100000", follow_redirects=True)
    assert response.status_code == 404
    assert "partie" in response.get_data(as_text=True)


def test_pages_keep_their_labels_across_parts() -> None:
    pages = tuple(("Texte de la page %d. " % n) * (n * 500) for n in range(1, 30))
    parts = split(pages, "")
    assert len(parts) > 1
    for part in parts:
        assert sum(p.end - p.start for p in part) <= PART_CHARS
    for n, body in enumerate(pages, 1):
        assert "".join(body[p.start:p.end] for part in parts for p in part if p.page == n) == body


def test_a_short_document_is_one_part(client: FlaskClient, ids: dict[str, str]) -> None:
    doc_id = next(iter(ids.values()))
    html = page(client, f"/d/{doc_id}")
    assert "partie 1 sur" not in html and 'rel="next"' not in html


def test_the_api_gives_the_whole_text_of_a_long_document(long_app: tuple[Flask, str]) -> None:
    app, doc_id = long_app
    response = app.test_client().get(f"/api/documents/{doc_id}?text=1")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    expected = app.extensions["kb"].document(doc_id)
    assert data["text"] == expected.text and data["pages"] == []
    assert data["title"] == expected.title and data["permalink"].endswith(doc_id + "/recueil-des-marches-exploratoires")


def test_streamed_pages_are_the_pages_their_pieces_make() -> None:
    from webui.api import _with_text

    pieces = [(1, "Page « un »\n"), (1, 'suite "citée"'), (2, ""), (3, "trois\\")]
    written = "".join(_with_text({"id": "abc"}, iter(["Texte ", "entier"]), iter(pieces)))
    assert json.loads(written) == {"id": "abc", "text": "Texte entier",
                                   "pages": ["Page « un »\nsuite \"citée\"", "", "trois\\"]}
    assert json.loads("".join(_with_text({"id": "abc"}, iter([]), iter([])))) == {"id": "abc", "text": "", "pages": []}
