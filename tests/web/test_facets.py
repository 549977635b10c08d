"""Facets people can use: every value reachable (« voir plus »), several values of one facet
combined with OU, counts that stay right when combined, organisations apart from dispositifs."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask.testing import FlaskClient

from kb.vocabulary import default_vocabulary


def api(client: FlaskClient, params: list[tuple[str, str]]) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/search?" + urlencode(params))
    assert response.status_code == 200, response.data
    return response.get_json()  # type: ignore[no-any-return]


def counts(body: dict, facet: str) -> dict[str, int]:  # type: ignore[type-arg]
    return {f["value"]: f["count"] for f in body["facets"].get(facet, [])}


def test_two_values_of_one_facet_are_combined_with_ou(client: FlaskClient) -> None:
    themes = counts(api(client, []), "theme")
    a, b = sorted(themes, key=lambda t: -themes[t])[:2]
    both = api(client, [("theme", a), ("theme", b), ("limit", "100")])
    only_a = {h["id"] for h in api(client, [("theme", a), ("limit", "100")])["hits"]}
    only_b = {h["id"] for h in api(client, [("theme", b), ("limit", "100")])["hits"]}
    assert {h["id"] for h in both["hits"]} == only_a | only_b
    assert both["total"] == len(only_a | only_b) > max(len(only_a), len(only_b))


def test_a_facet_is_counted_without_its_own_selection(client: FlaskClient) -> None:
    everything = api(client, [])
    themes = counts(everything, "theme")
    chosen = max(themes, key=lambda t: themes[t])
    body = api(client, [("theme", chosen)])
    # The other themes stay listed with what ticking them too would bring.
    assert counts(body, "theme") == themes
    # The other facets are counted within the selection: each count is the total it leads to.
    for kind, n in counts(body, "type").items():
        assert api(client, [("theme", chosen), ("type", kind)])["total"] == n
    # Combined with another facet: each count is exactly the total of that value with the other filter.
    kind = max(counts(body, "type"), key=lambda k: counts(body, "type")[k])
    mixed = api(client, [("theme", chosen), ("type", kind)])
    for theme, n in counts(mixed, "theme").items():
        assert api(client, [("theme", theme), ("type", kind)])["total"] == n, theme
    for other, n in counts(mixed, "type").items():
        assert api(client, [("theme", chosen), ("type", other)])["total"] == n, other


def test_counts_with_a_query(client: FlaskClient) -> None:
    body = api(client, [("q", "quartier"), ("annee", "2021")])
    for year, n in counts(body, "annee").items():
        assert api(client, [("q", "quartier"), ("annee", year)])["total"] == n, year


def test_every_facet_value_is_reachable_from_the_page(client: FlaskClient) -> None:
    everything = api(client, [])
    page = client.get("/recherche").get_data(as_text=True)
    longest = 0
    for facet, values in everything["facets"].items():
        longest = max(longest, len(values))
        for value in values:
            link = unescape("?" + urlencode([(facet, value["value"])]))
            hrefs = {unescape(h) for h in re.findall(r'href="([^"]+)"', page)}
            assert "/recherche" + link in hrefs, (facet, value)
    if longest > 12:
        assert "<details class=\"facet-more\"" in page and "Voir plus" in page


def test_a_ticked_value_past_the_first_twelve_opens_the_list(client: FlaskClient) -> None:
    years = [f["value"] for f in api(client, [])["facets"]["annee"]]
    if len(years) <= 12:
        return
    page = client.get("/recherche?" + urlencode([("annee", years[-1])])).get_data(as_text=True)
    assert '<details class="facet-more" open>' in page


def test_organisations_apart_from_dispositifs(client: FlaskClient) -> None:
    vocabulary = default_vocabulary()
    body = api(client, [])
    orgs, schemes = counts(body, "org"), counts(body, "dispositif")
    assert schemes, "the corpus cites QPV, NPNRU, CLS..."
    assert all(vocabulary.kind(v) == "organisations" for v in orgs), orgs
    assert all(vocabulary.kind(v) == "dispositifs" for v in schemes), schemes
    assert not {"QPV", "NPNRU", "PRU", "ASV", "CLS"} & set(orgs)
    # The typed syntax still finds a programme with org: (as before the split) and dispositif:.
    scheme = max(schemes, key=lambda s: schemes[s])
    # Listed by date like the whole base (by relevance, versions of one document are one result).
    assert api(client, [("dispositif", scheme)])["total"] == schemes[scheme]
    assert api(client, [("q", f"dispositif:{scheme}"), ("tri", "date")])["total"] == schemes[scheme]
    assert api(client, [("q", f"org:{scheme}"), ("tri", "date")])["total"] == schemes[scheme]
    page = client.get("/recherche").get_data(as_text=True)
    assert ">Dispositif</h3>" in page and ">Organisation</h3>" in page


def test_vocabulary_split_keeps_order_and_unknown_names() -> None:
    vocabulary = default_vocabulary()
    assert vocabulary.split(["QPV", "ANRU", "Ville de Valmont", "qpv", "ESS", "npnru"]) == (
        ("ANRU", "Ville de Valmont"), ("QPV", "NPNRU"))


def test_each_facet_link_toggles_its_value_and_keeps_the_rest_of_the_search(client: FlaskClient) -> None:
    themes = counts(api(client, [("q", "habitants")]), "theme")
    chosen = max(themes, key=lambda t: themes[t])
    state = [("q", "habitants & quartiers « prioritaires »"), ("theme", chosen), ("tri", "date"), ("page", "2")]
    page = client.get("/recherche?" + urlencode(state)).get_data(as_text=True)
    nav = page[page.index('class="facets"'):page.index("</nav>", page.index('class="facets"'))]
    links = [unescape(href) for href in re.findall(r'<a href="([^"]+)"', nav)]
    assert len(links) > 5, "the facets list their values"
    for link in links:
        url = urlsplit(link)
        assert url.path == "/recherche"
        params = parse_qsl(url.query)
        assert ("q", state[0][1]) in params and ("tri", "date") in params, link
        assert not any(k == "page" for k, _ in params), "a new filter starts at page 1"
        filters = sorted((k, v) for k, v in params if k not in ("q", "tri"))
        before = [("theme", chosen)]
        changed = set(filters) ^ set(before)
        assert len(changed) == 1 and len(filters) == len(set(filters)), (link, filters)
