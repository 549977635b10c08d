"""Repeated pages sent again from the page cache (webui.pagecache): the same bytes, until the
base changes; never a visitor's own page, an error, or a stale answer after a commit."""

from __future__ import annotations

import gzip
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from tests.web.conftest import build_home
from webui import create_app
from webui.context import close_base
from webui.pagecache import Page, PageCache
from webui.selection import COOKIE

KEPT = 'cache;desc="page"'


def _kept(response: object) -> bool:
    return response.headers.get("Server-Timing") == KEPT  # type: ignore[attr-defined]


def test_repeated_pages_are_sent_again_as_they_were(client: FlaskClient, ids: dict[str, str]) -> None:
    doc = ids["jardins-quokka"]
    for path in (f"/d/{doc}", "/flux.atom?q=quokka+partag%C3%A9s", "/api/search?q=quokka+partag%C3%A9s&limit=3",
                 f"/api/documents/{doc}", "/recherche?q=jardins+quokka&page=1"):
        first = client.get(path, follow_redirects=True)
        again = client.get(path, follow_redirects=True)
        assert first.status_code == again.status_code == 200, path
        assert again.get_data() == first.get_data(), path
        assert again.mimetype == first.mimetype and _kept(again), path
        assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_page_sent_again_stays_compressed_for_a_browser(client: FlaskClient, ids: dict[str, str]) -> None:
    # Browsers take gzip: the kept bytes go out as they are, a fifth of the page's size.
    browser = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    # Addresses no other test asks (the app, and its kept pages, serve the whole module).
    for path in (f"/d/{ids['jardins-quokka']}?gzip", "/recherche?q=quokka+jardins+gzip"):
        first = client.get(path, headers=browser, follow_redirects=True)
        again = client.get(path, headers=browser, follow_redirects=True)
        assert first.status_code == again.status_code == 200 and _kept(again), path
        assert "Content-Encoding" not in first.headers  # computed: sent as made
        assert again.headers["Content-Encoding"] == "gzip" and len(again.get_data()) < len(first.get_data()) / 2
        assert gzip.decompress(again.get_data()) == first.get_data(), path
        assert "Accept-Encoding" in first.headers["Vary"] and "Accept-Encoding" in again.headers["Vary"]
        # A client that takes no gzip, or refuses it, gets the page itself.
        for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, deflate"}):
            plain = client.get(path, headers=headers, follow_redirects=True)
            assert _kept(plain) and "Content-Encoding" not in plain.headers, (path, headers)
            assert plain.get_data() == first.get_data()
    # A feed keeps its validators: it goes out whole, so its ETag names the bytes sent.
    feed = "/flux.atom?q=quokka+gzip"
    client.get(feed, headers=browser)
    kept = client.get(feed, headers=browser)
    assert _kept(kept) and "Content-Encoding" not in kept.headers and kept.headers.get("ETag")


def test_a_kept_feed_still_answers_a_poller_with_a_304(client: FlaskClient) -> None:
    path = "/flux.rss?q=ornithorynque+conclusion"
    etag = client.get(path).headers["ETag"]
    assert _kept(client.get(path))
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_a_visitor_with_a_selection_gets_their_own_page(client: FlaskClient, ids: dict[str, str]) -> None:
    doc = ids["jardins-quokka"]
    path = "/recherche?q=quokka+alimentation"
    counter = '<span class="n">{}</span>'
    assert counter.format(0) in client.get(path).get_data(as_text=True)
    assert _kept(client.get(path))
    client.set_cookie(COOKIE, doc)
    own = client.get(path)
    assert not _kept(own)
    html = own.get_data(as_text=True)
    assert counter.format(1) in html and f'value="{doc}" id="sel-{doc}" checked' in html


def test_errors_and_other_endpoints_are_not_kept(client: FlaskClient) -> None:
    for path in ("/d/0000000000000000", "/recherche?q=" + "x" * 600, "/accessibilite"):
        first, again = client.get(path), client.get(path)
        assert first.status_code == again.status_code
        assert not _kept(again), path


def test_a_commit_makes_every_kept_page_unreachable(tmp_path: Path, quokka_markdown: str) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "quokka.md").write_text(quokka_markdown, encoding="utf-8")
    build_home(tmp_path / "home", [sources])
    app: Flask = create_app({"KB_HOME": str(tmp_path / "home"), "TESTING": True})
    try:
        client = app.test_client()
        path = "/api/search?q=wombat"
        assert client.get(path).get_json()["total"] == 0
        assert _kept(client.get(path))
        (sources / "wombat.txt").write_text("Le wombat du quartier\n\nLe wombat anime le conseil citoyen.\n",
                                            encoding="utf-8")
        kb = KnowledgeBase(tmp_path / "home")  # another writer, as kb index in another process
        try:
            assert index_paths(kb, [sources], Options(workers=1)).indexed
        finally:
            kb.close()
        after = client.get(path)
        assert not _kept(after)
        assert after.get_json()["total"] == 1
    finally:
        close_base(app)


def test_the_bound_counts_compressed_bodies_and_drops_the_oldest() -> None:
    cache = PageCache(budget=8000)
    pages = {n: Page(200, (), bytes([n]) * 900) for n in range(12)}
    for n, page in pages.items():
        cache.put(n, page)
    assert len(cache) == 8  # 8 × 900 bytes fit in 8,000, 9 do not
    assert cache.get(0) is None and cache.get(11) is pages[11]
    cache.get(4)  # used: kept past the next one
    cache.put(12, pages[0])
    assert cache.get(4) is not None and cache.get(5) is None
    cache.put(13, Page(200, (), b"x" * 1001))  # more than an eighth of the budget: never kept
    assert cache.get(13) is None


def test_a_page_one_process_computed_is_sent_by_the_others(base: object, app: Flask) -> None:
    """Two apps of one base with the same settings and run, as the processes of one kb serve:
    the second sends the page the first computed, from the file they share; apps with other
    settings, of another run or outside kb serve share nothing."""
    home = app.config["KB_HOME"]
    settings = {"KB_HOME": home, "TESTING": True, "SERVER_URL": "http://localhost", "PAGE_CACHE_RUN": "run1"}
    apps: list[Flask] = [create_app(settings), create_app(settings),
                         create_app({**settings, "PAGE_SIZE": 3}),  # other settings
                         create_app({**settings, "PAGE_CACHE_RUN": "run2"}),  # a later run (a restart)
                         create_app({**settings, "PAGE_CACHE_RUN": ""})]  # not run by kb serve
    try:
        path = "/recherche?q=ornithorynque+participation"
        first = apps[0].test_client().get(path)
        assert not _kept(first)
        again = apps[1].test_client().get(path)
        assert _kept(again) and again.get_data() == first.get_data()
        assert (Path(home) / "cache" / "pages.sqlite").is_file()
        for other in apps[2:]:  # nothing shared with them
            assert not _kept(other.test_client().get(path))
    finally:
        for each in apps:
            close_base(each)


def test_a_base_folder_that_cannot_take_the_file_still_serves(tmp_path: Path, quokka_markdown: str) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "quokka.md").write_text(quokka_markdown, encoding="utf-8")
    build_home(tmp_path / "home", [sources])
    (tmp_path / "home" / "cache").write_text("not a folder")  # the file's folder cannot be made
    app: Flask = create_app({"KB_HOME": str(tmp_path / "home"), "TESTING": True, "PAGE_CACHE_RUN": "run"})
    try:
        client = app.test_client()
        first, again = client.get("/api/search?q=quokka"), client.get("/api/search?q=quokka")
        assert first.status_code == again.status_code == 200 and first.get_json()["total"] == 1
        assert _kept(again)  # the process's own pages still are
    finally:
        close_base(app)


def test_shared_pages_keep_one_version_under_their_bound(tmp_path: Path) -> None:
    from webui.sharedpages import _PRUNE_EVERY, SharedPages

    shared = SharedPages(tmp_path / "cache" / "pages.sqlite", budget=50_000)
    try:
        shared.put("a", "v1", 200, [("Content-Type", "text/html")], b"x" * 100)
        assert shared.get("a", "v1") == (200, [("Content-Type", "text/html")], b"x" * 100)
        assert shared.get("a", "v2") is None  # another version of the base: not this page
        shared.put("b", "v2", 200, [], b"y" * 100)  # the base changed: older pages are dropped
        assert shared.get("a", "v1") is None and shared.get("b", "v2") is not None
        for n in range(600):
            shared.put(f"p{n}", "v2", 200, [], bytes([n % 256]) * 1000)
        assert shared.get("p599", "v2") is not None and shared.get("p0", "v2") is None
        held = sum(shared.get(f"p{n}", "v2") is not None for n in range(600))
        assert held * 1000 <= 50_000 + _PRUNE_EVERY * 1000  # pages written between two checks of the bound
    finally:
        shared.close()
