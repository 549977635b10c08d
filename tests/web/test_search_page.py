"""The search page: results, facets as links, chips, sort, pagination, suggestion, empty state."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask.testing import FlaskClient


def links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def test_home_lists_latest_documents(client: FlaskClient) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "dans la base" in html
    for landmark in ("<header", "<nav", "<main", "<footer", 'class="skip-link" href="#contenu"'):
        assert landmark in html
    assert '<label for="q">' in html and "<details" in html


def test_results_show_title_link_meta_and_marked_snippet(client: FlaskClient, ids: dict[str, str]) -> None:
    html = client.get("/recherche?q=quokka").get_data(as_text=True)
    assert "1 document" in html
    assert f'href="/d/{ids["jardins-quokka"]}/fiche-d-experience-jardins-partages-quokka?q=quokka"' in html
    assert "<mark>quokka</mark>" in html
    assert "jardins-quokka.md" in html  # the source file name


def test_pdf_hits_link_to_matching_pages_of_the_original(client: FlaskClient, ids: dict[str, str]) -> None:
    html = client.get("/recherche?q=ornithorynque").get_data(as_text=True)
    doc = ids["rapport-ornithorynque"]
    assert f'href="/d/{doc}/original#page=2"' in html
    assert f'href="/d/{doc}/original#page=3"' in html
    assert f'href="/d/{doc}/original#page=1"' not in html


def test_facets_are_links_that_filter_and_chips_remove_them(client: FlaskClient) -> None:
    html = client.get("/recherche?q=quartier").get_data(as_text=True)
    facet_links = [h for h in links(html) if "format=" in h]
    assert facet_links, "format facet links expected"
    pdf_link = next(h for h in facet_links if "format=pdf" in h)
    filtered = client.get(pdf_link).get_data(as_text=True)
    assert "Format : pdf" in filtered  # the removable chip
    chip = next(h for h in links(filtered)
                if h.startswith("/recherche") and "format=pdf" not in h and "q=quartier" in h)
    assert client.get(chip).status_code == 200
    # Every hit of the filtered page is a PDF.
    metas = re.findall(r'<span class="fmt">([^<]+)</span>', filtered)
    assert metas and set(metas) == {"PDF"}


def test_filters_combine_and_unknown_values_give_the_empty_state(client: FlaskClient) -> None:
    html = client.get("/recherche?q=quartier&format=pdf&format=markdown&annee=1850").get_data(as_text=True)
    assert "Aucun résultat" in html
    assert "Chercher sans les filtres" in html


def test_sort_by_date_orders_hits(client: FlaskClient) -> None:
    html = client.get("/recherche?q=quartier&tri=date").get_data(as_text=True)
    dates = re.findall(r'<time datetime="([^"]+)"', html)
    assert dates == sorted(dates, reverse=True)
    assert '<strong aria-current="true">date</strong>' in html


def test_pagination_links_keep_the_state(client: FlaskClient, base: Any) -> None:
    every_format = "format=pdf&format=html&format=markdown&format=text&format=docx&format=odt"
    html = client.get(f"/recherche?{every_format}").get_data(as_text=True)
    if "Page suivante" not in html:
        return  # too few documents without the demo corpus
    nxt = next(h for h in links(html) if "page=2" in h)
    assert "format=pdf" in nxt
    assert 'aria-current="page"' in client.get(nxt).get_data(as_text=True)


def test_misspelt_query_shows_the_corrected_results_and_says_so(client: FlaskClient) -> None:
    html = client.get("/recherche?q=ornitorynque").get_data(as_text=True)
    assert "Orthographe corrigée : résultats pour «&nbsp;ornitorynque&nbsp;» et pour" in html
    assert any("q=ornithorynque" in h for h in links(html))
    assert "Rapport ornithorynque" in html  # the corrected query's results are on the page


def test_empty_state_helps(client: FlaskClient) -> None:
    html = client.get("/recherche?q=zzzqqqwww").get_data(as_text=True)
    assert "Aucun document ne correspond à «&nbsp;zzzqqqwww&nbsp;»" in html
    assert "synonyme" in html


def test_bad_parameters_are_400_not_500(client: FlaskClient) -> None:
    assert client.get("/recherche?page=abc").status_code == 400
    assert client.get("/recherche?page=0").status_code == 400
    assert client.get("/recherche?page=99999999999999").status_code == 400
    assert client.get("/recherche?tri=hasard").status_code == 400
    assert client.get("/recherche?q=" + "a" * 5000).status_code == 400
    assert client.get("/recherche?" + "&".join(["type=x"] * 50)).status_code == 400
    response = client.get("/recherche?q=" + "a" * 5000)
    assert "trop long" in response.get_data(as_text=True)


def test_hostile_query_text_is_escaped(client: FlaskClient) -> None:
    html = client.get('/recherche?q=<script>alert(1)</script>"onmouseover=x').get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_relaxed_results_are_announced(client: FlaskClient) -> None:
    html = client.get("/recherche?q=quokka+xylophonique").get_data(as_text=True)
    assert "Aucun document ne contient tous vos mots" in html
    assert "quokka" in html and "<mark>" in html


def test_shortcut_and_copy_script_is_a_separate_static_file(client: FlaskClient) -> None:
    script = client.get("/static/app.js")
    assert script.status_code == 200 and script.mimetype in ("text/javascript", "application/javascript")
    assert b'"/"' in script.data and b"clipboard" in script.data
    assert client.get("/favicon.ico").status_code == 301
