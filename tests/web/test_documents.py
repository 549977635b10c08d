"""Document pages, permalinks, originals served from the store, and path traversal attempts."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient


def test_id_alone_redirects_to_the_canonical_slug(client: FlaskClient, ids: dict[str, str]) -> None:
    doc = ids["jardins-quokka"]
    response = client.get(f"/d/{doc}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/d/{doc}/fiche-d-experience-jardins-partages-quokka"
    wrong = client.get(f"/d/{doc}/mauvais-titre?q=quokka")
    assert wrong.status_code == 301
    assert wrong.headers["Location"].endswith("/fiche-d-experience-jardins-partages-quokka?q=quokka")


def test_document_page_shows_metadata_summary_text_and_passages(client: FlaskClient, ids: dict[str, str]) -> None:
    doc = ids["jardins-quokka"]
    response = client.get(f"/d/{doc}/fiche-d-experience-jardins-partages-quokka?q=habitants")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Fiche d&#39;expérience jardins partagés quokka</h1>" in html
    assert '<dl class="metadata">' in html and "<dt>Date</dt>" in html and "10 mars 2023" in html
    assert "Passages trouvés pour «&nbsp;habitants&nbsp;»" in html and "<mark>habitants</mark>" in html
    assert "Texte intégral" in html and "îlots de chaleur" in html
    assert f'href="/d/{doc}/original"' in html
    assert 'id="citation"' in html and "«\u00a0Fiche d&#39;expérience jardins partagés quokka\u00a0»" in html
    assert 'rel="canonical" href="http://localhost/d/' in html


def test_pdf_document_page_marks_pages_with_anchors(client: FlaskClient, ids: dict[str, str]) -> None:
    doc = ids["rapport-ornithorynque"]
    html = client.get(f"/d/{doc}", follow_redirects=True).get_data(as_text=True)
    assert 'id="page-1"' in html and 'id="page-3"' in html
    assert f'href="/d/{doc}/original#page=2"' in html


def test_similar_documents_are_listed(client: FlaskClient, base: object) -> None:
    if not base.corpus:
        pytest.skip("the demo corpus is needed for similar documents")
    html = client.get("/recherche?q=participation+des+habitants").get_data(as_text=True)
    first = re.search(r'<h3 class="hit-title"><a href="([^"?]+)', html)
    assert first
    page = client.get(first.group(1)).get_data(as_text=True)
    assert "Documents similaires" in page


def test_unknown_and_malformed_ids_are_french_404s(client: FlaskClient) -> None:
    for url in ("/d/0123456789ab", "/d/0123456789ab/titre", "/d/ZZZ", "/d/" + "a" * 200):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.get_data(as_text=True)
        assert "Page introuvable" in html and '<html lang="fr">' in html
        assert "Traceback" not in html and "/tmp" not in html


def test_original_pdf_is_served_inline_from_the_store(client: FlaskClient, ids: dict[str, str]) -> None:
    response = client.get(f"/d/{ids['rapport-ornithorynque']}/original")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename=rapport-ornithorynque.pdf'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"%PDF")


def test_html_original_is_never_rendered_as_html(client: FlaskClient, ids: dict[str, str]) -> None:
    response = client.get(f"/d/{ids['regie-zanzibar']}/original")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert b"<script>" in response.data  # the file, byte for byte, but inert


def test_text_original_keeps_utf8(client: FlaskClient, ids: dict[str, str]) -> None:
    response = client.get(f"/d/{ids['rapport-hostile']}/original")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "médiation".encode() in response.data


TRAVERSALS = [
    "/d/../../etc/passwd",
    "/d/../../../../../../etc/passwd/original",
    "/d/%2e%2e/%2e%2e/etc/passwd",
    "/d/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/d/%2e%2e%2f%2e%2e%2fetc%2fpasswd/original",
    "/d/%252e%252e%252f%252e%252e%252fetc%252fpasswd/original",
    "/d/..%2f..%2f..%2fetc%2fpasswd/original",
    "/d/..%5c..%5cwindows%5cwin.ini/original",
    "/d//etc/passwd",
    "/d/%2fetc%2fpasswd/original",
    "/d/etc/passwd/original",
    "/d/0123456789ab/../../etc/passwd",
    "/d/C:%5cWindows%5cwin.ini/original",
    "/d/%00/original",
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/api/documents/..%2f..%2fetc%2fpasswd",
    "/api/documents/%2fetc%2fpasswd",
]


@pytest.mark.parametrize("url", TRAVERSALS)
def test_traversal_attempts_never_leave_the_store(client: FlaskClient, url: str) -> None:
    response = client.get(url, follow_redirects=True)  # "//" is merged by a redirect first
    assert response.status_code in (400, 404), (url, response.status_code)
    assert b"root:" not in response.data and b"[fonts]" not in response.data
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_original_uses_the_catalog_not_the_url(client: FlaskClient, ids: dict[str, str]) -> None:
    # A valid-looking id that is not in the catalog gives nothing, whatever the store holds.
    assert client.get("/d/" + "f" * 12 + "/original").status_code == 404
    assert client.get("/d/" + "f" * 64 + "/original").status_code == 404
