"""The documentalist's week, played in a browser on the demo corpus against a real `kb serve`
started with its public address: search, filter with two facets, tick three results across two
pages and a document page, export the newsletter block and follow every link in it; subscribe
to the search's feed, index one new document dated 2009, and find it first in the feed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import pytest

from bench.load import free_port
from tests.web.conftest import CORPUS, ROOT
from tests.web.test_browser import _counter, browser  # noqa: F401 -- the module's browser fixture

pytestmark = pytest.mark.browser

NEW_DOCUMENT = """# Charte des jardins partagés du quartier des Kervenel

Signée à Lorient, le 12 mai 2009, par la ville, le bailleur et l'association des habitants du
quartier prioritaire : les parcelles, l'eau, les outils et les fêtes de quartier y sont réglés.
"""


def kb(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """(public address, home, sources) of `kb serve --base-url` over a copy of the demo corpus."""
    if not CORPUS.is_dir():
        pytest.fail(f"the demo corpus is missing ({CORPUS})")
    root = tmp_path_factory.mktemp("semaine")
    sources = root / "documents"
    shutil.copytree(CORPUS, sources)
    home = root / "home"
    indexed = kb(home, "index", str(sources))
    assert indexed.returncode == 0, indexed.stdout + indexed.stderr
    port = free_port()
    address = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "kb.cli", "--home", str(home), "serve", "--port", str(port),
                               "--processes", "1", "--base-url", address], cwd=ROOT, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(address + "/", timeout=5).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"kb serve did not start: {server.communicate()[1][-2000:]}")
            time.sleep(0.2)
    yield address, home, sources
    server.terminate()
    server.communicate(timeout=30)


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:  # noqa: F811 -- uses the imported browser fixture
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield page
    context.close()
    assert not errors, errors


def facet(page: Any, name: str, value: str) -> None:
    """Click the value ``value`` of the facet headed ``name``, and wait for the new page."""
    before = page.url
    section = page.locator("nav.facets section.facet", has=page.get_by_role("heading", name=name, exact=True))
    section.locator("a", has_text=re.compile("^" + re.escape(value) + r"\s*\(")).first.click()
    page.wait_for_function(f"location.href !== {before!r}")


def tick(page: Any, chosen: list[str]) -> None:
    """Tick the first result of the page not yet chosen, once the server has saved it."""
    boxes = page.locator(".hit input[type=checkbox]")
    index = next(i for i in range(boxes.count()) if boxes.nth(i).get_attribute("value") not in chosen)
    with page.expect_response(lambda r: "/selection/modifier" in r.url):
        boxes.nth(index).check()
    chosen.append(str(boxes.nth(index).get_attribute("value")))
    page.wait_for_function(f"document.querySelector('[data-sel-count] .n').textContent === '{len(chosen)}'")


def feed_entries(page: Any, url: str) -> list[Any]:
    response = page.request.get(url)
    assert response.status == 200, url
    parsed = feedparser.parse(response.body())
    assert not parsed.bozo, parsed.bozo_exception
    return list(parsed.entries)


def test_the_documentalists_week(page: Any, demo: tuple[str, Path, Path]) -> None:
    address, home, sources = demo

    # Monday: a search, narrowed by an organisation and two themes (one OR the other).
    page.goto(address + "/recherche?q=quartier")
    facet(page, "Organisation", "ANCT")
    facet(page, "Thème", "ingénierie et évaluation")
    facet(page, "Thème", "renouvellement urbain et habitat")
    assert "org=ANCT" in page.url and page.url.count("theme=") == 2
    assert page.get_by_role("link", name="Page suivante").count() > 0, "the filtered search has two pages"

    # Three results: one on each page of results, one from a document page.
    chosen: list[str] = []
    tick(page, chosen)
    search_url = page.url
    page.get_by_role("link", name="Page suivante").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    tick(page, chosen)
    page.goto(search_url)
    assert all(page.locator(f"#sel-{doc_id}").count() == 0 or page.locator(f"#sel-{doc_id}").is_checked()
               for doc_id in chosen)
    hits = page.locator(".hit")
    other = next(i for i in range(hits.count())
                 if hits.nth(i).locator("input[type=checkbox]").get_attribute("value") not in chosen)
    hits.nth(other).locator(".hit-title a").click()
    page.wait_for_url(re.compile(r"/d/[0-9a-f]+/"))
    with page.expect_response(lambda r: "/selection/modifier" in r.url):
        page.get_by_role("button", name="Ajouter à la sélection").click()
    page.wait_for_function("document.querySelector('[data-sel-count] .n').textContent === '3'")
    chosen.append(re.search(r"/d/([0-9a-f]+)/", page.url).group(1))  # type: ignore[union-attr]

    # The newsletter block: every link resolves on the running server, under its public address.
    page.get_by_role("link", name=re.compile("^Sélection")).click()
    page.wait_for_url(re.compile(r"/selection"))
    assert page.locator("ol.selection > li").count() == 3
    assert page.locator("text=Les liens pointent vers cet ordinateur").count() == 0
    block = page.locator("#export-html").input_value()
    links = set(re.findall(r'href="([^"]+)"', block))
    for doc_id in chosen:
        assert any(link.startswith(f"{address}/d/{doc_id}/") for link in links), doc_id
    ours = [link for link in links if link.startswith(address)]
    assert len(ours) >= 3
    for link in ours:
        assert page.request.get(link.replace("&amp;", "&")).status == 200, link

    # Subscribing to the search's feed, then a 2009 charter enters the base: it comes first.
    page.goto(address + "/recherche?q=quartier")
    rss_link = page.locator('link[rel=alternate][type="application/rss+xml"][href*="q="]')
    feed = urljoin(page.url, str(rss_link.get_attribute("href")))
    before = feed_entries(page, feed)
    assert before and all("Kervenel" not in e.title for e in before)
    (sources / "charte-jardins-kervenel.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    indexed = kb(home, "index", str(sources))
    assert indexed.returncode == 0 and re.search(r"\b1 index", indexed.stdout), indexed.stdout + indexed.stderr
    after = feed_entries(page, feed)
    assert "Kervenel" in after[0].title
    assert after[0].published_parsed >= before[0].published_parsed  # dated by its entry in the base
    # Its own date is still told, apart from its text (which says 2009 too).
    assert "Date du document : 12 mai 2009" in after[0].summary
    assert page.request.get(after[0].link).status == 200
