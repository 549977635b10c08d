"""Small things people notice: no « (0 ms) », an « API » entry that opens a page for people,
and French quotes held to their words by non-breaking spaces, in pages and in exports."""

from __future__ import annotations

import re
from html import unescape

from flask.testing import FlaskClient

# An ordinary space (or none) inside « »: the quote may end a line alone.
LOOSE_QUOTE = re.compile(r"«(?![\u00a0\u202f])|(?<![\u00a0\u202f])»")


def loose_quotes(text: str) -> list[str]:
    return [text[max(0, m.start() - 30): m.end() + 30] for m in LOOSE_QUOTE.finditer(text)]


def test_search_page_shows_no_timing_but_tells_developers(client: FlaskClient) -> None:
    response = client.get("/recherche?q=quokka+%C3%AElots+chaleur")  # asked by no other test
    html = response.get_data(as_text=True)
    assert not re.search(r"\d+\s*ms\b", html)
    assert re.fullmatch(r"search;dur=\d+(\.\d+)?", response.headers["Server-Timing"])
    # Asked again, the page is sent as it was kept (webui.pagecache), and says so.
    again = client.get("/recherche?q=quokka+%C3%AElots+chaleur")
    assert again.get_data(as_text=True) == html
    assert again.headers["Server-Timing"] == 'cache;desc="page"'


def test_api_menu_entry_opens_a_page_for_people(client: FlaskClient, ids: dict[str, str]) -> None:
    home = client.get("/").get_data(as_text=True)
    nav = home.split('aria-label="Navigation principale"')[1].split("</nav>")[0]
    href = unescape(re.search(r'<a href="([^"]+)"[^>]*>API</a>', nav).group(1))  # type: ignore[union-attr]
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html and "<h1>" in html
    for endpoint in ("/api/search", "/api/documents/", "/api/openapi.json"):
        assert endpoint in html
    assert 'href="/api/openapi.json"' in html
    assert 'href="/api/search?q=' in html  # examples one can click
    assert f'href="/api/documents/{ids["jardins-quokka"]}"' in html or 'href="/api/documents/' in html


def test_french_quotes_hold_to_their_words_in_pages(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka = ids["jardins-quokka"]
    pages = {
        "no result": "/recherche?q=zzzqqqwww",
        "correction": "/recherche?q=ornitorynque",
        "passages": f"/d/{quokka}/fiche-d-experience-jardins-partages-quokka?q=habitants",
        "selection": f"/selection?sel={quokka}",
        "error": "/recherche?tri=n%27importe",
        "empty selection": "/selection",
    }
    for name, url in pages.items():
        html = client.get(url).get_data(as_text=True)
        if "full-text" in html:  # the document's own text is quoted as written
            html = html.split('class="full-text"')[0]
        html = unescape(re.sub(r"<[^>]+>", "", html))
        assert loose_quotes(html) == [], name


def test_french_quotes_hold_to_their_words_in_exports(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka = ids["jardins-quokka"]
    page = client.get(f"/d/{quokka}/fiche-d-experience-jardins-partages-quokka").get_data(as_text=True)
    citation = unescape(page.split('id="citation"')[1].split("</p>")[0])
    assert "«\u00a0Fiche d'expérience jardins partagés quokka\u00a0»" in citation
    for fmt in ("txt", "md", "html"):
        text = client.get(f"/selection.{fmt}?sel={','.join(ids.values())}").get_data(as_text=True)
        assert loose_quotes(unescape(text)) == [], fmt
