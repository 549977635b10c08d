"""The real server (waitress) driven by the system Chromium: the search -> facet -> document ->
original scenario, the newsletter selection, screenshots for the docs, and axe-core checks.

Skipped with a reason when /usr/bin/chromium or Playwright is missing; failed instead when
KB_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webui.server import make_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run"]


def _unavailable(reason: str) -> None:
    if os.environ.get("KB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (KB_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install playwright)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[str]:
    """The app served by waitress on a free port of 127.0.0.1, in a thread."""
    srv = make_server(app, host="127.0.0.1", port=0, threads=4)
    url = f"http://127.0.0.1:{srv.effective_port}"
    # Absolute links (exports, feeds) name the address the server was started with, as kb serve
    # tells the app; never the request's Host header.
    previous = app.config["SERVER_URL"]
    app.config["SERVER_URL"] = url
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        app.config["SERVER_URL"] = previous
        srv.close()
        thread.join(timeout=5)


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield page
    context.close()
    assert not errors, f"browser console errors (CSP violations included): {errors}"


def test_search_facet_document_original(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.keyboard.press("/")  # the shortcut focuses the search field
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("ornithorynque")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche\?q=ornithorynque"))
    assert page.locator(".hit").count() >= 1

    page.locator(".facets a", has_text="PDF").first.click()
    page.wait_for_url(re.compile(r"format=pdf"))
    assert page.locator(".chip", has_text="Format : pdf").is_visible()

    page.locator(".hit-title a", has_text="ornithorynque").first.click()
    page.wait_for_url(re.compile(r"/d/[0-9a-f]+/rapport-ornithorynque"))
    assert page.locator("h1").inner_text() == "Rapport ornithorynque sur la politique de la ville"
    assert page.locator(".passages mark").count() >= 1  # passages carried over from the search
    assert page.get_by_role("button", name="Copier le lien").is_visible()  # shown by the script

    link = page.locator("#page-2 a", has_text="dans l'original")
    href = link.get_attribute("href")
    assert href and re.fullmatch(r"/d/[0-9a-f]+/original#page=2", href)
    # Headless Chromium may turn a PDF into a download: the response is what matters.
    with page.expect_response(lambda r: "/original" in r.url) as info, contextlib.suppress(Exception):
        link.click()
    response = info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"


def test_select_two_results_and_export(page: Any, server: str) -> None:
    page.goto(server + "/recherche?q=quartier")
    boxes = page.locator(".hit input[type=checkbox]")
    assert boxes.count() >= 2
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Voir la sélection et l'exporter").click()
    page.wait_for_url(re.compile(r"/selection\?"))
    page.fill("#utm_campaign", "lettre-test")
    page.get_by_role("button", name="Appliquer aux liens").click()
    page.wait_for_url(re.compile(r"utm_campaign=lettre-test"))
    block = page.locator("#export-html").input_value()
    for doc_id in chosen:
        assert re.search(rf'href="{re.escape(server)}/d/{doc_id}/[a-z0-9-]+\?utm_campaign=lettre-test"', block)
    markdown = page.locator("#export-md").input_value()
    assert all(f"{server}/d/{doc_id}/" in markdown for doc_id in chosen)


def _first_document(page: Any, server: str, query: str) -> str:
    page.goto(f"{server}/recherche?q={query}")
    href = page.locator(".hit-title a").first.get_attribute("href")
    assert href
    return server + href


def test_screenshots(page: Any, server: str, tmp_path: Path) -> None:
    """Screenshots for the docs: written to docs/screenshots when missing or when
    KB_UPDATE_SCREENSHOTS=1 (so that a test run does not dirty the tree), else to tmp_path."""
    names = ("recherche.png", "document.png")
    update = os.environ.get("KB_UPDATE_SCREENSHOTS") == "1" or not all((SCREENSHOTS / n).exists() for n in names)
    folder = SCREENSHOTS if update else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.goto(server + "/recherche?q=participation+des+habitants")
    page.screenshot(path=str(folder / "recherche.png"))
    # Result links already carry the query (?q=…), which the page turns into "passages trouvés".
    page.goto(_first_document(page, server, "participation+des+habitants"))
    page.screenshot(path=str(folder / "document.png"))
    for name in names:
        assert (folder / name).stat().st_size > 10_000


def test_collection_and_section_filters_then_a_sheet_section_anchor(page: Any, server: str, base: Any) -> None:
    """Capitalisation: filter by collection and by section, open a practice sheet, follow the
    anchor of its Résultats section (the link a newsletter would carry)."""
    if not base.corpus:
        pytest.skip("the demo corpus (corpus/documents) is not in this checkout")
    page.goto(server + "/recherche?q=habitants")
    page.locator(".facets a", has_text="Centre de ressources de démonstration").first.click()
    page.wait_for_url(re.compile(r"collection="))
    page.locator(".facets a", has_text="Résultats / évaluation").first.click()
    page.wait_for_url(re.compile(r"section=resultats"))
    assert page.locator(".chip", has_text="Résultats").count() >= 1 or "section=resultats" in page.url
    first = page.locator(".hit").first
    assert "Centre de ressources de démonstration" in first.locator(".collection").inner_text()
    first.locator(".hit-title a").click()
    page.wait_for_url(re.compile(r"/d/[0-9a-f]+/[a-z0-9-]+"))
    nav = page.locator(".sheet-nav a", has_text="Résultats / évaluation")
    assert nav.count() == 1
    nav.click()
    page.wait_for_url(re.compile(r"/d/[0-9a-f]+/[a-z0-9-]+(\?[^#]*)?#resultats$"))
    section = page.locator("section#resultats")
    assert section.is_visible() and len(section.inner_text()) > 40
    # Opened from a newsletter: the section is scrolled to the top of the window.
    link = re.sub(r"\?[^#]*", "", page.url)
    page.goto("about:blank")
    page.goto(link)
    top = page.evaluate("document.getElementById('resultats').getBoundingClientRect().top")
    assert -2 <= top < 200, top  # at the top of the window (a fraction of a pixel above, once scrolled)
    update = os.environ.get("KB_UPDATE_SCREENSHOTS") == "1" or not (SCREENSHOTS / "fiche.png").exists()
    if update:
        page.goto(link.split("#")[0] + "#titre-fiche")  # the sheet's sections, then its first ones
        page.screenshot(path=str(SCREENSHOTS / "fiche.png"))


def _serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("kind", ["recherche", "document", "selection", "selection-partagee", "vide", "aide-api"])
def test_no_serious_accessibility_violation(page: Any, server: str, kind: str) -> None:
    if kind == "recherche":
        page.goto(server + "/recherche?q=quartier&format=pdf")
    elif kind == "document":
        page.goto(_first_document(page, server, "ornithorynque") + "?q=ornithorynque")
    elif kind.startswith("selection"):
        page.goto(server + "/recherche?q=quartier")
        ids = [page.locator(".hit input[type=checkbox]").nth(i).get_attribute("value") for i in range(2)]
        if kind == "selection":  # this browser's own selection: remove buttons, warning about links
            page.request.post(server + "/selection/modifier", form={"ajouter": ids[0]})
            page.goto(f"{server}/selection")
            assert page.locator("ol.selection > li").count() == 1
        else:
            page.goto(f"{server}/selection?sel={','.join(ids)}")
    elif kind == "aide-api":
        page.goto(server + "/aide/api")
    else:
        page.goto(server + "/recherche?q=zzzqqqwww")
    assert _serious_violations(page) == []


def test_keyboard_reaches_skip_link_first(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#contenu"


def _counter(page: Any) -> str:
    return str(page.locator("[data-sel-count] .n").inner_text())


def _tick(page: Any, index: int) -> str:
    """Tick the result ``index`` of the page; returns its id once the server has saved it."""
    box = page.locator(".hit input[type=checkbox]").nth(index)
    doc_id = str(box.get_attribute("value"))
    before = int(_counter(page))
    with page.expect_response(lambda r: "/selection/modifier" in r.url):
        box.check()
    page.wait_for_function(f"document.querySelector('[data-sel-count] .n').textContent === '{before + 1}'")
    return doc_id


@pytest.fixture()
def public_address(app: Any, server: str) -> Iterator[str]:
    """The running server given as the public address, as kb serve --base-url would."""
    app.config["BASE_URL"] = server
    try:
        yield server
    finally:
        app.config["BASE_URL"] = ""


def test_selection_survives_facets_pages_and_document_pages(page: Any, server: str, public_address: str) -> None:
    page.goto(server + "/recherche?q=quartier")
    assert _counter(page) == "0"
    chosen = [_tick(page, 0)]
    # A facet: the tick made before is kept (counter), and one more is ticked there.
    page.locator(".facets a", has_text="PDF").first.click()
    page.wait_for_url(re.compile(r"format=pdf"))
    assert _counter(page) == "1"
    boxes = page.locator(".hit input[type=checkbox]")
    index = next(i for i in range(boxes.count()) if boxes.nth(i).get_attribute("value") not in chosen)
    chosen.append(_tick(page, index))
    # Back to all results, second page: one more.
    page.goto(server + "/recherche?q=quartier")
    assert page.locator(f"#sel-{chosen[0]}").is_checked()
    page.get_by_role("link", name="Page suivante").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    boxes = page.locator(".hit input[type=checkbox]")
    index = next(i for i in range(boxes.count()) if boxes.nth(i).get_attribute("value") not in chosen)
    chosen.append(_tick(page, index))
    # A document page not yet selected: « Ajouter à la sélection » adds to the three.
    titles = page.locator(".hit")
    target = next(i for i in range(titles.count())
                  if titles.nth(i).locator("input[type=checkbox]").get_attribute("value") not in chosen)
    titles.nth(target).locator(".hit-title a").click()
    page.wait_for_url(re.compile(r"/d/[0-9a-f]+/"))
    doc_id = re.search(r"/d/([0-9a-f]+)/", page.url).group(1)  # type: ignore[union-attr]
    with page.expect_response(lambda r: "/selection/modifier" in r.url):
        page.get_by_role("button", name="Ajouter à la sélection").click()
    page.wait_for_function("document.querySelector('[data-sel-count] .n').textContent === '4'")
    assert page.get_by_role("button", name="Retirer de la sélection").is_visible()
    chosen.append(doc_id)
    # Back: the page of results comes back with its ticks.
    page.go_back()
    page.wait_for_url(re.compile(r"page=2"))
    assert _counter(page) == "4"
    assert page.locator(f"#sel-{chosen[2]}").is_checked()
    # The selection page lists the four, and its block links to each, on the public address.
    page.get_by_role("link", name=re.compile("^Sélection")).click()
    page.wait_for_url(re.compile(r"/selection"))
    assert page.locator("ol.selection > li").count() == 4
    assert page.locator("text=Les liens pointent vers cet ordinateur").count() == 0
    block = page.locator("#export-html").input_value()
    links = re.findall(r'href="([^"]+)"', block)
    for doc in chosen:
        assert any(link.startswith(f"{public_address}/d/{doc}/") for link in links), doc
    for link in links:
        if link.startswith(public_address):
            assert page.request.get(link).status == 200, link


def test_selection_without_javascript(browser: Any, server: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(server + "/recherche?q=quartier")
        boxes = page.locator(".hit input[type=checkbox]")
        first = boxes.nth(0).get_attribute("value")
        boxes.nth(0).check()
        page.get_by_role("button", name="Enregistrer la sélection").click()
        page.wait_for_url(re.compile(r"/recherche\?q=quartier"))
        assert _counter(page) == "1"
        page.locator(".facets a", has_text="PDF").first.click()
        page.wait_for_url(re.compile(r"format=pdf"))
        assert _counter(page) == "1"
        hits = page.locator(".hit")
        other = next(i for i in range(hits.count())
                     if hits.nth(i).locator("input[type=checkbox]").get_attribute("value") != first)
        hits.nth(other).locator(".hit-title a").click()
        page.wait_for_url(re.compile(r"/d/[0-9a-f]+/"))
        page.get_by_role("button", name="Ajouter à la sélection").click()
        page.wait_for_selector("text=Retirer de la sélection")
        assert _counter(page) == "2"  # added to the first, not in its place
        page.goto(server + "/selection")
        assert page.locator("text=Les liens pointent vers cet ordinateur").is_visible()
        assert first in page.locator("#export-html").input_value()
    finally:
        context.close()
