"""RSS 2.0 and Atom 1.0 feeds, checked with feedparser."""

from __future__ import annotations

import re
from html import unescape

import feedparser
from flask.testing import FlaskClient


def parse(client: FlaskClient, url: str, mimetype: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.mimetype_params.get("charset") == "utf-8"
    feed = feedparser.parse(response.data, response_headers={"content-type": response.headers["Content-Type"]})
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def test_rss_latest_documents(client: FlaskClient) -> None:
    feed = parse(client, "/flux.rss", "application/rss+xml")
    assert feed.version == "rss20"
    assert feed.feed.title == "Passerelles : derniers documents"
    assert feed.feed.language == "fr"
    assert any(link.rel == "self" and link.href == "http://localhost/flux.rss" for link in feed.feed.links)
    assert feed.entries
    dates = [e.published_parsed for e in feed.entries]
    assert all(dates) and dates == sorted(dates, reverse=True)
    for entry in feed.entries:
        assert entry.link.startswith("http://localhost/d/")
        assert entry.id.startswith("http://localhost/d/") and entry.link.startswith(entry.id)
    assert b'isPermaLink="true"' in client.get("/flux.rss").data


def test_atom_for_a_search(client: FlaskClient, ids: dict[str, str]) -> None:
    feed = parse(client, "/flux.atom?q=quokka", "application/atom+xml")
    assert feed.version == "atom10"
    assert "«\u00a0quokka\u00a0»" in feed.feed.title
    assert any(link.rel == "self" and link.href == "http://localhost/flux.atom?q=quokka" for link in feed.feed.links)
    assert feed.feed.updated_parsed and feed.feed.author == "Passerelles"
    [entry] = feed.entries
    doc = ids["jardins-quokka"]
    assert entry.id == f"http://localhost/d/{doc}"
    assert entry.link == f"http://localhost/d/{doc}/fiche-d-experience-jardins-partages-quokka"
    # Dated when it entered the base; its own date is told in the summary.
    assert not entry.updated.startswith("2023-03-10") and entry.published == entry.updated
    assert "Date du document : 10 mars 2023" in entry.summary
    assert "quokka" in entry.summary


def test_feed_filters_and_hostile_text(client: FlaskClient) -> None:
    feed = parse(client, "/flux.rss?q=xylophonique&type=%C3%A9tude", "application/rss+xml")
    [entry] = feed.entries
    assert entry.title == "Rapport <b>gras</b> sur la médiation xylophonique" or "&lt;b&gt;" in entry.title
    atom = parse(client, "/flux.atom?q=xylophonique", "application/atom+xml")
    assert atom.entries[0].title == "Rapport <b>gras</b> sur la médiation xylophonique"


def test_control_characters_in_the_address_leave_feeds_well_formed(client: FlaskClient) -> None:
    """The feed's own address (its query string as it came, raw bytes included: waitress
    passes them on) is an attribute: characters XML forbids must not reach it."""
    for kind in ("rss", "atom"):
        response = client.get(f"/flux.{kind}", environ_overrides={"QUERY_STRING": "q=ville\x01\x0b"})
        assert response.status_code == 200
        feed = feedparser.parse(response.data, response_headers={"content-type": response.headers["Content-Type"]})
        assert feed.bozo == 0, (kind, feed.get("bozo_exception"))


def test_feed_with_bad_parameters_is_400(client: FlaskClient) -> None:
    assert client.get("/flux.rss?tri=n").status_code == 400
    assert client.get("/flux.atom?q=" + "x" * 600).status_code == 400


def test_configured_base_url_is_used_for_absolute_links(app: object, ids: dict[str, str]) -> None:
    flask_app = app  # type: ignore[assignment]
    before = flask_app.config["BASE_URL"]  # type: ignore[attr-defined]
    flask_app.config["BASE_URL"] = "https://kb.example.org/"  # type: ignore[attr-defined]
    try:
        body = flask_app.test_client().get("/flux.atom?q=quokka").get_data(as_text=True)  # type: ignore[attr-defined]
    finally:
        flask_app.config["BASE_URL"] = before  # type: ignore[attr-defined]
    assert f"https://kb.example.org/d/{ids['jardins-quokka']}" in body
    assert "http://localhost" not in body


def test_pages_link_their_feeds(client: FlaskClient, ids: dict[str, str]) -> None:
    page = client.get("/recherche?q=quokka&theme=transition+%C3%A9cologique").get_data(as_text=True)
    for kind, path in (("rss+xml", "/flux.rss"), ("atom+xml", "/flux.atom")):
        assert f'<link rel="alternate" type="application/{kind}"' in page
        assert f'href="{path}?q=quokka&amp;theme=transition+%C3%A9cologique"' in page
    assert ">RSS</a>" in page and ">Atom</a>" in page
    home = client.get("/").get_data(as_text=True)
    assert "Suivre les nouveaux documents" in home and 'href="/flux.atom"' in home
    doc = client.get(f"/d/{ids['jardins-quokka']}", follow_redirects=True).get_data(as_text=True)
    assert "Suivre les nouveaux documents" in doc
    alternate = r'<link rel="alternate" type="application/(?:rss|atom)\+xml" title="[^"]*" href="([^"]+)"'
    feeds = set(re.findall(alternate, doc))
    own = {unescape(f) for f in feeds if "?" in f}  # the site-wide feed is linked from every page
    assert {"/flux.rss?type=fiche+d%27exp%C3%A9rience", "/flux.atom?theme=transition+%C3%A9cologique"} <= own
    for url in own:  # each linked feed answers and holds this document
        body = client.get(url)
        assert body.status_code == 200
        if ids["jardins-quokka"].encode() not in body.data:
            # A feed lists the latest FEED_SIZE documents: the demo's 20 sheets and this one may
            # have entered the base in any order (parallel workers). The document is in the
            # feed's search all the same.
            entry = b"<entry>" if url.startswith("/flux.atom") else b"<item>"  # Atom's entries, RSS's items
            assert body.data.count(entry) == client.application.config["FEED_SIZE"], url
            narrowed = client.get(url + "&q=quokka")
            assert ids["jardins-quokka"].encode() in narrowed.data, url
