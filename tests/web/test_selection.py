"""The newsletter selection: kept in a cookie across pages (or named in a link), exported as a
600 px HTML block, Markdown and plain text."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient

COOKIE = "kb_selection"


def cookie_ids(client: FlaskClient) -> list[str]:
    cookie = client.get_cookie(COOKIE)
    return cookie.value.split(".") if cookie and cookie.value else []


def counter(html: str) -> str:
    """The visible count of the header (digits only)."""
    match = re.search(r'data-sel-count[^>]*>\s*<span class="n">(\d+)</span>', html)
    assert match, "no selection counter"
    return match.group(1)


def test_ticked_results_survive_facets_pages_and_document_pages(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka, zanzibar, pdf = ids["jardins-quokka"], ids["regie-zanzibar"], ids["rapport-ornithorynque"]
    # What the results form posts without JavaScript: the ids shown, and those ticked among them.
    back = "/recherche?q=quartier&page=1"
    response = client.post("/selection/modifier", data={"affiches": [quokka, zanzibar], "sel": [quokka],
                                                          "retour": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    assert cookie_ids(client) == [quokka]
    # Another facet, another sort, another page: the tick is still there and counted.
    for url in ("/recherche?q=quokka&format=markdown", "/recherche?q=quokka&tri=date", "/recherche?page=2",
                f"/d/{pdf}/rapport-ornithorynque-sur-la-politique-de-la-ville"):
        html = client.get(url).get_data(as_text=True)
        assert counter(html) == "1", url
    html = client.get("/recherche?q=quokka").get_data(as_text=True)
    assert re.search(rf'value="{quokka}" id="sel-{quokka}"[^>]*checked', html)
    assert "sel=" not in html  # nothing to carry in the links any more
    # Unticking on a page removes only the ids of that page.
    client.post("/selection/modifier", data={"affiches": [zanzibar], "sel": [zanzibar], "retour": back})
    assert cookie_ids(client) == [quokka, zanzibar]
    client.post("/selection/modifier", data={"affiches": [quokka], "retour": back})
    assert cookie_ids(client) == [zanzibar]


def test_adding_from_a_document_page_adds(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka, zanzibar = ids["jardins-quokka"], ids["regie-zanzibar"]
    client.post("/selection/modifier", data={"ajouter": quokka})
    page = client.get(f"/d/{zanzibar}", follow_redirects=True).get_data(as_text=True)
    form = page.split('class="sel-toggle"')[1].split("</form>")[0]
    assert 'method="post"' in page.split('class="sel-toggle"')[0].rsplit("<form", 1)[1]
    assert f'name="ajouter" value="{zanzibar}"' in form and "Ajouter à la sélection" in form
    retour = unescape(re.search(r'name="retour" value="([^"]+)"', form).group(1))  # type: ignore[union-attr]
    response = client.post("/selection/modifier", data={"ajouter": zanzibar, "retour": retour})
    assert response.status_code == 303 and response.headers["Location"] == retour
    assert cookie_ids(client) == [quokka, zanzibar]  # added, not replaced
    page = client.get(retour).get_data(as_text=True)
    assert counter(page) == "2" and "Retirer de la sélection" in page
    html = client.get("/selection").get_data(as_text=True)
    assert "2 documents" in html and "Fiche d&#39;expérience jardins partagés quokka" in html
    client.post("/selection/modifier", data={"retirer": zanzibar})
    assert cookie_ids(client) == [quokka]


def test_selection_cookie_is_validated_and_bounded(client: FlaskClient, ids: dict[str, str]) -> None:
    quokka = ids["jardins-quokka"]
    client.set_cookie(COOKIE, f"<script>.../etc/passwd.{quokka}.{quokka.upper()}.{'0' * 12}.x" * 3)
    html = client.get("/recherche?q=quokka").get_data(as_text=True)
    assert "<script>" not in html
    assert counter(html) == "1"  # quokka once; ids of no document in the base are not counted
    assert "1 document" in client.get("/selection").get_data(as_text=True)
    client.set_cookie(COOKIE, ".".join(f"{i:012x}" for i in range(300)))  # forged: longer than any we write
    assert counter(client.get("/").get_data(as_text=True)) == "0"  # ignored, not an error page


def test_selection_changes_answer_scripts_and_refuse_other_sites(client: FlaskClient, ids: dict[str, str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    quokka = ids["jardins-quokka"]
    response = client.post("/selection/modifier", data={"ajouter": quokka}, headers={"Accept": "application/json"})
    assert response.get_json() == {"ok": True, "count": 1, "ids": [quokka]}
    other = client.post("/selection/modifier", data={"vider": "1"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert other.status_code == 403 and cookie_ids(client) == [quokka]
    away = client.post("/selection/modifier", data={"ajouter": quokka, "retour": "//evil.example/x"})
    assert away.headers["Location"] == "/selection"  # never a redirect to another site
    client.post("/selection/modifier", data={"vider": "1"})
    assert cookie_ids(client) == []
    assert client.post("/selection/modifier", data={"ajouter": "0" * 12}).status_code == 303
    assert cookie_ids(client) == []  # an id of no document is not added
    monkeypatch.setitem(client.application.config, "MAX_SELECTION", 2)
    too_many = client.post("/selection/modifier", data={"ajouter": list(ids.values())[:3]})
    assert too_many.status_code == 400 and "limitée à 2 documents" in too_many.get_data(as_text=True)


def test_header_counter_is_announced(client: FlaskClient, ids: dict[str, str]) -> None:
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<span class="counter" data-sel-count aria-live="polite" aria-atomic="true">', html)
    assert counter(html) == "0"


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


def test_selection_page_warns_while_links_point_to_this_computer(client: FlaskClient, ids: dict[str, str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    quokka = ids["jardins-quokka"]
    html = client.get(f"/selection?sel={quokka}").get_data(as_text=True)
    assert "Les liens pointent vers cet ordinateur" in html
    warning = html.split("Les liens pointent vers cet ordinateur")[1].split("</div>")[0]
    assert "<code>http://localhost</code>" in warning  # the address the links start with
    assert "kb serve --base-url" in warning and "KB_BASE_URL" in warning  # and how to change it
    monkeypatch.setitem(client.application.config, "BASE_URL", "https://kb.example.org")
    html = client.get(f"/selection?sel={quokka}").get_data(as_text=True)
    assert "Les liens pointent vers cet ordinateur" not in html
    assert f"https://kb.example.org/d/{quokka}/" in html
