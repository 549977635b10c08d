"""Being found and reused: Dublin Core tags and schema.org JSON-LD on document pages, the
sitemap (with an index above its size), robots.txt, and a search's results exported in CSV and
Dublin Core XML."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from kb.knowledgebase import KnowledgeBase
from kb.model import Document, FileIdentity
from tests.web.conftest import SCRIPT, Base
from webui import create_app
from webui.discovery import csv_row

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "oai"
SM = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
DC = {"dc": "http://purl.org/dc/elements/1.1/", "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}


class Head(HTMLParser):
    """The <meta>, <link> and JSON-LD of a page, as a browser or a crawler reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.links: list[dict[str, str | None]] = []
        self.json_ld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name"):
            self.meta.append((values["name"] or "", values.get("content") or ""))
        elif tag == "link":
            self.links.append(values)
        elif tag == "script" and values.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.json_ld[-1] += data


def _page(client: FlaskClient, doc_id: str) -> tuple[str, Head]:
    response = client.get(f"/d/{doc_id}", follow_redirects=True)
    assert response.status_code == 200
    head = Head()
    head.feed(response.text)
    return response.text, head


def _kb(app: Flask) -> KnowledgeBase:
    kb: KnowledgeBase = app.extensions["kb"]
    return kb


def test_document_page_has_dublin_core_tags(client: FlaskClient, ids: dict[str, str]) -> None:
    _, head = _page(client, ids["guide-tamanoir"])
    assert {"rel": "schema.DC", "href": "http://purl.org/dc/elements/1.1/"} in head.links
    meta = dict(head.meta)
    assert meta["DC.title"] == "Guide du tamanoir pour les conseils citoyens"
    assert meta["DC.creator"] == "Centre de ressources « Ville & Quartiers »"
    assert meta["DC.rights"] == "Licence Ouverte 2.0"
    assert meta["DC.source"] == "https://crpv.example.org/guides/tamanoir"
    assert meta["DC.date"] == "2022-09-15" and meta["DC.language"] == "fr"
    assert meta["DC.identifier"].startswith(f"http://localhost/d/{ids['guide-tamanoir']}/guide-du-tamanoir")


def test_json_ld_describes_the_document(client: FlaskClient, ids: dict[str, str]) -> None:
    _, head = _page(client, ids["guide-tamanoir"])
    (data,) = [json.loads(text) for text in head.json_ld]
    assert data["@context"] == "https://schema.org" and data["@type"] == "CreativeWork"
    assert data["name"] == "Guide du tamanoir pour les conseils citoyens"
    assert data["license"] == "Licence Ouverte 2.0" and data["dateCreated"] == "2022-09-15"
    assert data["url"].startswith("http://localhost/d/") and data["publisher"]["name"] == "Passerelles"


def test_markup_in_metadata_stays_text_in_tags_and_json_ld(client: FlaskClient, ids: dict[str, str]) -> None:
    html, head = _page(client, ids["rapport-hostile"])
    meta = dict(head.meta)
    assert meta["DC.title"] == "Rapport <b>gras</b> sur la médiation xylophonique"
    assert SCRIPT in meta["DC.description"]  # as text, in an attribute
    (raw,) = head.json_ld
    data = json.loads(raw)
    assert SCRIPT in data["description"]
    # No "</script>" in the data block can close it: the only one is the real end tag.
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None and "<" not in block.group(1) and json.loads(block.group(1)) == data
    assert "<b>gras" not in html.split("</head>")[0]


def test_sitemap_lists_every_permalink_with_lastmod(client: FlaskClient, app: Flask) -> None:
    response = client.get("/sitemap.xml", headers={"Host": "evil.example"})
    assert response.mimetype == "application/xml"
    tree = etree.fromstring(response.data)
    assert tree.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    urls = {u.findtext("s:loc", namespaces=SM): u.findtext("s:lastmod", namespaces=SM)
            for u in tree.iterfind("s:url", SM)}
    live = _kb(app).indexed_entries()
    assert len(urls) == len(live)
    for entry in live:
        page = client.get(f"/d/{entry.id}")
        loc = "http://localhost" + urlsplit(page.headers["Location"]).path
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", urls[loc])


@pytest.fixture(scope="module")
def small(base: Base) -> Iterator[FlaskClient]:
    """The same base with tiny limits: a sitemap of 5 URLs per file, exports of 3 results."""
    app = create_app({"KB_HOME": str(base.home), "TESTING": True, "SERVER_URL": "http://localhost",
                      "SITEMAP_SIZE": 5, "EXPORT_SIZE": 3})
    yield app.test_client()
    app.extensions["kb"].close()


def test_sitemap_index_above_its_size(small: FlaskClient, app: Flask) -> None:
    tree = etree.fromstring(small.get("/sitemap.xml").data)
    assert tree.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [s.findtext("s:loc", namespaces=SM) for s in tree.iterfind("s:sitemap", SM)]
    live = _kb(app).indexed_entries()
    assert len(parts) == -(-len(live) // 5) and parts[0] == "http://localhost/sitemap-1.xml"
    seen: list[str] = []
    for url in parts:
        part = etree.fromstring(small.get(urlsplit(url).path).data)
        locs = [u.findtext("s:loc", namespaces=SM) for u in part.iterfind("s:url", SM)]
        assert 1 <= len(locs) <= 5
        seen += locs
    assert len(seen) == len(set(seen)) == len(live)
    assert small.get("/sitemap-0.xml").status_code == 404
    assert small.get(f"/sitemap-{len(parts) + 1}.xml").status_code == 404


def test_robots_txt_points_to_the_sitemap(client: FlaskClient) -> None:
    assert "Sitemap: http://localhost/sitemap.xml" in client.get("/robots.txt").text


def _csv(response_data: bytes) -> list[dict[str, str]]:
    text = response_data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with it
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_export_of_a_search(client: FlaskClient, ids: dict[str, str]) -> None:
    response = client.get("/recherche.csv?q=tamanoir")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response.data)
    assert [r["identifiant"] for r in rows] == [ids["guide-tamanoir"]]
    row = rows[0]
    assert row["titre"] == "Guide du tamanoir pour les conseils citoyens" and row["licence"] == "Licence Ouverte 2.0"
    assert row["source"] == "https://crpv.example.org/guides/tamanoir" and row["date"] == "2022-09-15"
    assert row["lien"].startswith(f"http://localhost/d/{ids['guide-tamanoir']}/")


def test_exports_follow_the_search_filters_and_stop_at_their_size(client: FlaskClient, small: FlaskClient,
                                                                  app: Flask) -> None:
    kb = _kb(app)
    total = client.get("/api/search?format=pdf").get_json()["total"]
    pdfs = _csv(client.get("/recherche.csv?format=pdf").data)
    assert len(pdfs) == total and all(r["format"] == "application/pdf" for r in pdfs)
    assert {r["identifiant"] for r in pdfs} == {e.id for e in kb.indexed_entries() if e.file.format == "pdf"}
    assert len(_csv(small.get("/recherche.csv").data)) == 3  # EXPORT_SIZE, whatever the total
    assert client.get("/recherche.csv?tri=n'importe").status_code == 400


def test_csv_cells_never_run_as_formulas(app: Flask) -> None:
    doc = Document(id="0123456789ab", file=FileIdentity("/x", 1, 0, "0", "text"),
                   title="=HYPERLINK(\"http://evil.example\")", text="", summary="+33 1 23", author="@moi",
                   licence="-1")
    with app.test_request_context("/"):
        row = csv_row(doc)
    assert row[1] == "'=HYPERLINK(\"http://evil.example\")"
    assert "'+33 1 23" in row and "'@moi" in row and "'-1" in row


def test_dublin_core_export_validates(client: FlaskClient, small: FlaskClient, ids: dict[str, str]) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "oai_dc.xsd")))
    response = client.get("/recherche.dc.xml?q=ornithorynque")
    assert response.mimetype == "application/xml"
    tree = etree.fromstring(response.data)
    records = tree.findall("oai_dc:dc", DC)
    assert records and tree.get("count") == str(len(records))
    for record in records:
        assert schema.validate(etree.ElementTree(record)), schema.error_log
    titles = [r.findtext("dc:title", namespaces=DC) for r in records]
    assert "Rapport ornithorynque sur la politique de la ville" in titles
    hostile = etree.fromstring(client.get("/recherche.dc.xml?q=xylophonique").data)
    assert "Rapport <b>gras</b> sur la médiation xylophonique" in [
        r.findtext("dc:title", namespaces=DC) for r in hostile.findall("oai_dc:dc", DC)]
    assert len(etree.fromstring(small.get("/recherche.dc.xml").data).findall("oai_dc:dc", DC)) == 3


def test_search_page_links_its_exports(client: FlaskClient, small: FlaskClient) -> None:
    assert "Exporter les 3 premiers résultats pour un logiciel documentaire" in small.get("/recherche").text
    html = client.get("/recherche?q=quartier&type=charte").text
    assert 'href="/recherche.csv?q=quartier&amp;type=charte"' in html
    assert 'href="/recherche.dc.xml?q=quartier&amp;type=charte"' in html
    assert ">tableau CSV</a>" in html and ">notices Dublin Core (XML)</a>" in html
