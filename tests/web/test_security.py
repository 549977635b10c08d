"""Security headers on every response, and errors that leak nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webui import create_app


def check_headers(response: object, url: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, url
    assert "default-src 'self'" in csp or "default-src 'none'" in csp, url
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("X-Frame-Options") == "DENY", url
    assert headers.get("Referrer-Policy"), url


def test_every_kind_of_response_carries_the_headers(client: FlaskClient, ids: dict[str, str]) -> None:
    doc = ids["rapport-ornithorynque"]
    urls = ["/", "/recherche?q=quartier", f"/d/{doc}", f"/d/{doc}/rapport-ornithorynque-sur-la-politique-de-la-ville",
            f"/d/{doc}/original", f"/d/{ids['regie-zanzibar']}/original", "/static/style.css", "/static/app.js",
            "/static/absent.css", "/flux.rss", "/flux.atom", f"/selection?sel={doc}", f"/selection.html?sel={doc}",
            f"/selection.md?sel={doc}", "/api/search?q=x", f"/api/documents/{doc}", "/api/documents/zz",
            "/api/documents/0123456789ab", "/api/openapi.json", "/nulle-part", "/recherche?page=x", "/accessibilite",
            "/oai?verb=Identify", "/oai", "/sitemap.xml", "/robots.txt", "/recherche.csv?q=x", "/recherche.dc.xml"]
    for url in urls:
        check_headers(client.get(url), url)
    check_headers(client.post("/recherche"), "POST /recherche")
    check_headers(client.delete("/api/search"), "DELETE /api/search")


def test_pages_have_no_inline_script(client: FlaskClient, ids: dict[str, str]) -> None:
    for url in ("/", f"/d/{ids['jardins-quokka']}", f"/selection?sel={ids['jardins-quokka']}"):
        html = client.get(url, follow_redirects=True).get_data(as_text=True)
        # Besides app.js, a document page holds a JSON-LD data block: browsers never run it, so
        # the CSP's script-src does not apply to it (and its content cannot close it, see
        # test_discovery).
        data_blocks = html.count('<script type="application/ld+json">')
        assert html.count("<script") - data_blocks == html.count("<script src=") == 1
        assert data_blocks == (1 if "/d/" in url else 0)
        assert "style=" not in html.split("<textarea")[0]  # inline styles would be blocked by the CSP
        assert " on" + "click=" not in html


def test_405_and_404_in_both_shapes(client: FlaskClient) -> None:
    page = client.post("/recherche")
    assert page.status_code == 405 and "Méthode non autorisée" in page.get_data(as_text=True)
    api = client.post("/api/search")
    assert api.status_code == 405 and api.get_json() == {"ok": False, "error": "Méthode non autorisée.", "status": 405}
    missing = client.get("/nulle-part", headers={"Accept": "application/json"})
    assert missing.get_json() == {"ok": False, "error": "Page introuvable.", "status": 404}
    html = client.get("/nulle-part").get_data(as_text=True)
    assert "Page introuvable" in html and "nulle-part" not in html


@pytest.fixture()
def broken_app(tmp_path: Path) -> Flask:
    app = create_app({"KB_HOME": str(tmp_path / "home"), "PROPAGATE_EXCEPTIONS": False})

    def boom() -> str:
        raise RuntimeError("secret detail /srv/kb/catalog.sqlite")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    yield app
    app.extensions["kb"].close()


def test_500_leaks_nothing(broken_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = broken_app.test_client()
    page = client.get("/boom")
    html = page.get_data(as_text=True)
    assert page.status_code == 500 and "Erreur du serveur" in html
    assert "secret" not in html and "Traceback" not in html and "/srv" not in html
    check_headers(page, "/boom")
    api = client.get("/api/boom")
    assert api.status_code == 500
    assert api.get_json() == {"ok": False, "error": "Erreur interne du serveur.", "status": 500}
    assert "secret detail" in caplog.text  # logged for the operator, not shown


def test_config_from_prefixed_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_HOME", str(tmp_path / "env-home"))
    monkeypatch.setenv("KB_MAX_QUERY_CHARS", "20")
    app = create_app({"KB_HOME": str(tmp_path / "ignored")})
    try:
        assert app.config["KB_HOME"] == str(tmp_path / "env-home")
        assert (tmp_path / "env-home" / "catalog.sqlite").exists()
        assert app.test_client().get("/recherche?q=" + "a" * 21).status_code == 400
        assert len(app.config["SECRET_KEY"]) >= 32
    finally:
        app.extensions["kb"].close()
