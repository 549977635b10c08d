"""Text from documents is data, never markup: in pages, snippets, feeds, exports and the API."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

BOLD_TITLE = "Rapport <b>gras</b> sur la médiation xylophonique"
RAW = ("<script>alert", "<img src=x", "<b>gras")


def assert_inert(body: str, where: str) -> None:
    for raw in RAW:
        assert raw not in body, f"{raw!r} unescaped in {where}"


def test_search_page_and_snippet_escape_document_text(client: FlaskClient) -> None:
    html = client.get("/recherche?q=xylophonique").get_data(as_text=True)
    assert "Rapport &lt;b&gt;gras&lt;/b&gt; sur la médiation" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;img src=x" in html  # in the snippet
    assert "<mark>xylophonique</mark>" in html  # our own marks survive
    assert_inert(html, "search page")


def test_document_page_escapes_title_summary_text_and_passages(client: FlaskClient, ids: dict[str, str]) -> None:
    html = client.get(f"/d/{ids['rapport-hostile']}?q=fragment", follow_redirects=True).get_data(as_text=True)
    assert "<h1>Rapport &lt;b&gt;gras&lt;/b&gt; sur la médiation xylophonique</h1>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Passages trouvés" in html and "<mark>fragment</mark>" in html
    assert_inert(html, "document page")


def test_feeds_escape_document_text(client: FlaskClient) -> None:
    for url in ("/flux.rss?q=xylophonique", "/flux.atom?q=xylophonique"):
        body = client.get(url).get_data(as_text=True)
        assert "xylophonique" in body
        assert_inert(body, url)


def test_exports_escape_document_text(client: FlaskClient, ids: dict[str, str]) -> None:
    sel = ids["rapport-hostile"]
    block = client.get(f"/selection.html?sel={sel}").get_data(as_text=True)
    assert "Rapport &lt;b&gt;gras&lt;/b&gt;" in block
    assert_inert(block, "HTML export")
    markdown = client.get(f"/selection.md?sel={sel}").get_data(as_text=True)
    assert "&lt;b&gt;gras&lt;/b&gt;" in markdown  # Markdown would pass raw HTML through
    assert_inert(markdown, "Markdown export")
    page = client.get(f"/selection?sel={sel}").get_data(as_text=True)
    assert_inert(page, "selection page")  # the textarea holds the escaped block, escaped once more


def test_api_returns_text_as_data_and_snippets_escaped(client: FlaskClient, ids: dict[str, str]) -> None:
    response = client.get("/api/search?q=xylophonique")
    assert response.mimetype == "application/json"
    hit = response.get_json()["hits"][0]
    assert hit["title"] == BOLD_TITLE  # JSON carries the text as it is
    assert "<script" not in hit["snippet"] and "<img" not in hit["snippet"]
    doc = client.get(f"/api/documents/{ids['rapport-hostile']}?text=1").get_json()
    assert "<script>alert(1)</script>" in doc["text"]
    assert "<" not in json.dumps(doc).replace("\\u003c", "") or response.mimetype == "application/json"
