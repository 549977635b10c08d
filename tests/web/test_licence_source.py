"""Licence and source travel with a document wherever it leaves the base: newsletter blocks
(HTML, Markdown, text), the JSON API and the citation of its page."""

from __future__ import annotations

import re
from html import unescape

from flask import Flask
from flask.testing import FlaskClient

from kb.model import Document, FileIdentity
from webui.export import html_block, markdown_block, text_block

LICENCE = "Licence Ouverte 2.0"
AUTHOR = "Centre de ressources «\u00a0Ville & Quartiers\u00a0»"
ORIGIN = "https://crpv.example.org/guides/tamanoir"


def test_newsletter_blocks_carry_licence_and_source(client: FlaskClient, ids: dict[str, str]) -> None:
    guide, quokka = ids["guide-tamanoir"], ids["jardins-quokka"]
    block = client.get(f"/selection.html?sel={guide},{quokka}").get_data(as_text=True)
    rows = block.split("<tr>")[1:]
    assert f"Licence : {LICENCE}" in unescape(rows[0]) and f'href="{ORIGIN}"' in rows[0]
    assert f"Source : {AUTHOR}" in unescape(re.sub(r"<[^>]+>", "", rows[0]))
    assert "Licence" not in rows[1] and "Source" not in rows[1]  # nothing said when nothing is known
    markdown = client.get(f"/selection.md?sel={guide}").get_data(as_text=True)
    assert f"Licence : {LICENCE}" in markdown
    assert f"Source : [Centre de ressources «\u00a0Ville &amp; Quartiers\u00a0»](<{ORIGIN}>)" in markdown
    text = client.get(f"/selection.txt?sel={guide}").get_data(as_text=True)
    assert f"Licence : {LICENCE} · Source : {AUTHOR}, {ORIGIN}" in text


def test_api_hits_and_documents_carry_licence_and_source(client: FlaskClient, ids: dict[str, str]) -> None:
    hit = client.get("/api/search?q=tamanoir").get_json()["hits"][0]
    assert hit["id"] == ids["guide-tamanoir"]
    author = "Centre de ressources « Ville & Quartiers »"
    assert (hit["licence"], hit["author"], hit["url"]) == (LICENCE, author, ORIGIN)
    other = client.get("/api/search?q=quokka").get_json()["hits"][0]
    assert (other["licence"], other["author"], other["url"]) == (None, None, None)
    doc = client.get(f"/api/documents/{ids['guide-tamanoir']}").get_json()
    assert (doc["licence"], doc["url"]) == (LICENCE, ORIGIN)


def test_citation_gives_licence_and_original_address(client: FlaskClient, ids: dict[str, str]) -> None:
    page = client.get(f"/d/{ids['guide-tamanoir']}", follow_redirects=True).get_data(as_text=True)
    citation = unescape(page.split('id="citation"')[1].split("</p>")[0])
    assert citation.startswith(f' class="citation">{AUTHOR}, «\u00a0Guide du tamanoir')
    assert f"Original : {ORIGIN}." in citation and f"Licence : {LICENCE}." in citation


def test_a_source_address_that_is_not_a_web_address_is_not_a_link(app: Flask) -> None:
    doc = Document(id="0" * 12, file=FileIdentity("/x.txt", 1, 0.0, "0" * 64, "text"), title="Titre",
                   text="Un texte.", licence="CC <b>BY</b>", author="[Moi](javascript:x)", url="javascript:alert(1)")
    with app.test_request_context("/"):
        html, md, txt = html_block([doc], {}), markdown_block([doc], {}), text_block([doc], {})
    assert "href=\"javascript" not in html and "CC &lt;b&gt;BY&lt;/b&gt;" in html
    assert "](<javascript" not in md and "\\[Moi\\]\\(javascript:x\\)" in md
    assert "javascript:alert(1)" not in txt
