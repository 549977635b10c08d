"""Watch feeds: ordered and dated by when a document entered the base, stable across rebuilds
and re-indexing, cheap to poll (ETag, Last-Modified, 304), with the document's own date, its
licence and its source in each item. Checked with feedparser on a base of its own."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from webui import create_app


def note(folder: Path, name: str, title: str, date: str | None, extra: str = "") -> Path:
    """A Markdown document about the "capybara" workshops (a word no other test uses)."""
    folder.mkdir(parents=True, exist_ok=True)
    front = f"title: {title}\n" + (f"date: {date}\n" if date else "")
    path = folder / name
    path.write_text(f"---\n{front}---\n\n# {title}\n\nLes ateliers capybara réunissent les habitants "
                    f"du quartier prioritaire autour de la lecture. {extra}\n", encoding="utf-8")
    return path


def index(home: Path, *paths: Path, **options: object) -> None:
    kb = KnowledgeBase(home)
    try:
        index_paths(kb, list(paths), Options(workers=1, **options))  # type: ignore[arg-type]
    finally:
        kb.close()


def rebuild(home: Path) -> None:
    kb = KnowledgeBase(home)
    try:
        with kb.writing():
            kb.rebuild()
    finally:
        kb.close()


@pytest.fixture()
def watch(tmp_path: Path) -> Iterator[tuple[Path, Path, Flask]]:
    sources = tmp_path / "sources"
    note(sources, "recent.md", "Ateliers capybara 2024", "2024-05-02")
    note(sources, "sans-date.md", "Ateliers capybara sans date", None)
    note(sources, "recent-2.md", "Ateliers capybara 2023", "2023-09-12")
    home = tmp_path / "home"
    index(home, sources)
    app = create_app({"KB_HOME": str(home), "TESTING": True, "SERVER_URL": "http://localhost"})
    yield sources, home, app
    app.extensions["kb"].close()


def parse(client: FlaskClient, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200, response.data
    feed = feedparser.parse(response.data, response_headers={"content-type": response.headers["Content-Type"]})
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def test_an_old_document_indexed_last_comes_first(watch: tuple[Path, Path, Flask]) -> None:
    sources, home, app = watch
    client = app.test_client()
    before = parse(client, "/flux.rss?q=capybara")
    assert len(before.entries) == 3
    note(sources, "guide-2010.md", "Guide capybara de 2010", "2010-01-15")
    index(home, sources)
    for url in ("/flux.rss?q=capybara", "/flux.atom?q=capybara", "/flux.rss", "/flux.atom?theme=culture"):
        feed = parse(client, url)
        if "theme=" in url and not feed.entries:
            continue  # the theme may not be inferred from so short a text
        first = feed.entries[0]
        assert first.title == "Guide capybara de 2010", url
        # Dated when it entered the base, not 2010; its own date is told in the item.
        assert first.published_parsed.tm_year >= 2024
        assert first.published_parsed >= max(e.published_parsed for e in feed.entries)
        assert "Date du document : 15 janvier 2010" in first.summary
        dates = [e.published_parsed for e in feed.entries]
        assert dates == sorted(dates, reverse=True)


def test_dates_survive_rebuild_reindexing_and_moves(watch: tuple[Path, Path, Flask]) -> None:
    sources, home, app = watch
    client = app.test_client()

    def dates() -> dict[str, str]:
        return {e.title: e.published for e in parse(client, "/flux.atom?q=capybara").entries}

    first = dates()
    etag = client.get("/flux.atom?q=capybara").headers["ETag"]
    rebuild(home)
    assert dates() == first
    index(home, sources)
    index(home, sources, force=True)
    assert dates() == first
    assert client.get("/flux.atom?q=capybara").headers["ETag"] == etag
    # The undated document is not announced again: same date, and still not first... nor moved up.
    (sources / "ailleurs").mkdir()
    shutil.move(sources / "sans-date.md", sources / "ailleurs" / "renomme.md")
    index(home, sources, prune=True)
    assert dates() == first


def test_a_document_that_failed_first_enters_the_base_when_it_is_indexed(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    big = note(sources, "gros.md", "Ateliers capybara volumineux", "2001-01-01", "mot " * 3000)
    home = tmp_path / "home"
    index(home, sources)
    kb = KnowledgeBase(home)
    try:
        entry = kb.entry_at(str(big.resolve()))
        assert entry is not None
        failed_at = entry.added_at
        with kb._catalog._transaction() as db:  # as a run refused by a limit leaves it
            db.execute("UPDATE documents SET status = 'failed' WHERE id = ?", (entry.id,))
    finally:
        kb.close()
    big.write_text(big.read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
    index(home, sources)
    kb = KnowledgeBase(home)
    try:
        entry = kb.entry_at(str(big.resolve()))
        assert entry is not None and entry.status == "indexed"
        assert entry.added_at > failed_at
    finally:
        kb.close()


def test_conditional_requests_get_304(watch: tuple[Path, Path, Flask]) -> None:
    _, _, app = watch
    client = app.test_client()
    for url in ("/flux.rss?q=capybara", "/flux.atom"):
        response = client.get(url)
        assert response.status_code == 200
        assert "max-age=" in response.headers["Cache-Control"]
        assert "public" in response.headers["Cache-Control"]
        etag = response.headers["ETag"]
        modified = response.headers["Last-Modified"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get(url, headers={"If-None-Match": '"autre"'}).status_code == 200
        again = client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
        assert again.status_code == 200 and again.data == response.data


def test_a_new_document_changes_etag_and_last_modified(watch: tuple[Path, Path, Flask]) -> None:
    sources, home, app = watch
    client = app.test_client()
    before = client.get("/flux.rss")
    note(sources, "nouveau.md", "Ateliers capybara nouveaux", "2019-02-02")
    index(home, sources)
    after = client.get("/flux.rss", headers={"If-None-Match": before.headers["ETag"],
                                             "If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]


def test_licence_and_source_in_items(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    doc = note(sources, "charte.md", "Charte capybara", "2018-06-01")
    (sources / "charte.md.meta.yaml").write_text(
        "auteur: Centre de ressources Capybara & Cie\nlicence: CC BY-NC-ND 4.0\n"
        "url: https://exemple.org/charte-capybara\n", encoding="utf-8")
    assert doc.is_file()
    home = tmp_path / "home"
    index(home, sources)
    app = create_app({"KB_HOME": str(home), "TESTING": True, "SERVER_URL": "http://localhost"})
    try:
        client = app.test_client()
        [rss] = parse(client, "/flux.rss?q=capybara").entries
        assert "Licence : CC BY-NC-ND 4.0" in rss.summary
        assert "Source : Centre de ressources Capybara &amp; Cie — https://exemple.org/charte-capybara" in rss.summary
        [atom] = parse(client, "/flux.atom?q=capybara").entries
        assert atom.rights == "CC BY-NC-ND 4.0"
        assert atom.author == "Centre de ressources Capybara & Cie"
        assert "Source : Centre de ressources Capybara & Cie — https://exemple.org/charte-capybara" in atom.summary
    finally:
        app.extensions["kb"].close()
