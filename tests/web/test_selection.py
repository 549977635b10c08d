"""The newsletter selection: kept in the URL, exported as a 600 px HTML block and Markdown."""

from __future__ import annotations

import re
from html import unescape

from flask.testing import FlaskClient


def test_selection_travels_in_the_url_across_searches(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka, zanzibar = ids["jardins-quokka"], ids["regie-zanzibar"]
    html = client.get(f"/recherche?q=quokka&sel={zanzibar}").get_data(as_text=True)
    assert f'<input type="hidden" name="sel" value="{zanzibar}">' in html  # kept, not on this page
    assert f'value="{quokka}" id="sel-{quokka}"' in html
    assert f'name="sel" value="{zanzibar}"' in html.split('role="search"')[1].split("</form>")[0]  # the search box keeps it
    facet = next(unescape(h) for h in re.findall(r'href="([^"]+)"', html) if "format=" in h)
    assert f"sel={zanzibar}" in facet


def test_checked_boxes_lead_to_the_selection_page(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka, zanzibar = ids["jardins-quokka"], ids["regie-zanzibar"]
    # What the results form submits: repeated sel parameters (GET, no JavaScript).
    html = client.get(f"/selection?sel={zanzibar}&sel={quokka}&q=quokka").get_data(as_text=True)
    assert "2 documents" in html
    assert "Fiche d&#39;expérience jardins partagés quokka" in html
    assert f"sel={zanzibar}%2C{quokka}" in html or f"sel={zanzibar},{quokka}" in html
    assert "<textarea" in html and "width:600px" in html
    assert "Retour à la recherche" in html and "q=quokka" in html


def test_html_block_has_absolute_permalinks_inline_css_and_utm(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka, zanzibar = ids["jardins-quokka"], ids["regie-zanzibar"]
    response = client.get(f"/selection.html?sel={quokka},{zanzibar}&utm_source=lettre&utm_medium=email"
                          "&utm_campaign=mars 2025")
    assert response.mimetype == "text/html"
    block = response.get_data(as_text=True)
    assert 'width="600"' in block and "width:600px" in block
    assert "<style" not in block and "class=" not in block  # inline CSS only, for e-mail clients
    assert (f'href="http://localhost/d/{quokka}/fiche-d-experience-jardins-partages-quokka'
            "?utm_source=lettre&amp;utm_medium=email&amp;utm_campaign=mars+2025\"") in block
    assert f"http://localhost/d/{zanzibar}/" in block
    assert "10 mars 2023" in block


def test_markdown_export(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka = ids["jardins-quokka"]
    response = client.get(f"/selection.md?sel={quokka}&utm_campaign=lettre-42")
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text.startswith("- **[Fiche d'expérience jardins partagés quokka](<http://localhost/d/"
                           f"{quokka}/fiche-d-experience-jardins-partages-quokka?utm_campaign=lettre-42>)**")


def test_plain_text_export(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka, zanzibar = ids["jardins-quokka"], ids["regie-zanzibar"]
    response = client.get(f"/selection.txt?sel={quokka},{zanzibar}&utm_source=lettre")
    assert response.mimetype == "text/plain"
    blocks = response.get_data(as_text=True).strip().split("\n\n")
    assert len(blocks) == 2
    first = blocks[0].splitlines()
    assert first[0] == "Fiche d'expérience jardins partagés quokka"
    assert first[-1] == (f"http://localhost/d/{quokka}/fiche-d-experience-jardins-partages-quokka"
                         "?utm_source=lettre")
    page = client.get(f"/selection?sel={quokka}").get_data(as_text=True)
    assert "Version texte" in page and "/selection.txt?sel=" in page


def test_hostile_text_stays_inert_in_the_text_export(client: FlaskClient, ids: dict[str, str]) -> None:
    page = client.get(f"/selection?sel={ids['rapport-hostile']}").get_data(as_text=True)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page  # the summary is there, as text


def test_one_sentence_summary(client: FlaskClient, ids: dict[str, str]) -> None:
    block = client.get(f"/selection.html?sel={ids['rapport-hostile']}").get_data(as_text=True)
    assert "dedans." in block and "Seconde phrase" not in block


def test_selection_limits(client: FlaskClient, ids: dict[str, str]) -> None:
    assert client.get("/selection?sel=" + ",".join(f"{i:012x}" for i in range(51))).status_code == 400
    assert client.get(f"/selection.html?sel={ids['jardins-quokka']}&utm_source=<script>").status_code == 400
    # Malformed or unknown ids just drop out.
    html = client.get(f"/selection?sel=../../etc,{'0' * 12},{ids['jardins-quokka']}").get_data(as_text=True)
    assert "1 document" in html
    assert "La sélection est vide" in client.get("/selection").get_data(as_text=True)
    assert client.get("/selection.md").get_data(as_text=True) == ""
