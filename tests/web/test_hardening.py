"""Hostile requests: symbolic links in the store, header injection, oversized requests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from webui import create_app


@pytest.fixture
def own_app(tmp_path: Path) -> tuple[Flask, KnowledgeBase, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    # A file name people can really create on Linux, built to split a header in two.
    name = 'note\r\nSet-Cookie: pris=1; "x".txt'
    (docs / name).write_text("Compte rendu du conseil citoyen des Tilleuls, 12 mars 2021.\n", encoding="utf-8")
    (docs / "charte.txt").write_text("Charte partenariale du quartier des Tilleuls.\n", encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "home")
    index_paths(kb, [docs], Options(workers=1))
    app = create_app({"TESTING": True, "KB_HOME": str(tmp_path / "home")})
    return app, kb, docs / name


def test_symlink_in_the_store_is_never_followed(own_app: tuple[Flask, KnowledgeBase, Path], tmp_path: Path) -> None:
    app, kb, _ = own_app
    entry = kb.resolve(str(own_app[2].parent / "charte.txt"))
    blob = kb._store.path_for(entry.file.sha256)
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe du serveur", encoding="utf-8")
    blob.unlink()
    os.symlink(secret, blob)
    response = app.test_client().get(f"/d/{entry.id}/original")
    assert response.status_code == 404
    assert b"mot de passe du serveur" not in response.get_data()
    kb.close()


def test_file_names_cannot_inject_headers(own_app: tuple[Flask, KnowledgeBase, Path]) -> None:
    app, kb, path = own_app
    entry = kb.resolve(str(path))
    response = app.test_client().get(f"/d/{entry.id}/original")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    kb.close()


def test_query_strings_cannot_inject_headers(client: FlaskClient, ids: dict[str, str]) -> None:
    doc = ids["jardins-quokka"]
    for url in (f"/d/{doc}?q=a%0d%0aSet-Cookie:%20x=1", f"/d/{doc}/faux?q=%0d%0aLocation:%20http://evil.example",
                "/recherche?q=%0d%0aSet-Cookie:x=1", "/flux.rss?q=%0d%0aX-Injected:1"):
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url
        assert "X-Injected" not in response.headers, url
        location = response.headers.get("Location", "")
        assert "\r" not in location and "\n" not in location, url


@pytest.mark.parametrize("url", [
    "/recherche?q=" + "a" * 100_000,
    "/api/search?q=" + "participation " * 5000,
    "/recherche?q=x&" + "&".join(f"type={i}" for i in range(500)),
    "/recherche?q=x&page=99999999999999999999",
    "/api/search?q=x&limit=1000000000",
    "/selection?sel=" + ",".join(["0123456789ab"] * 500),
    "/flux.atom?q=" + "b" * 50_000,
])
def test_oversized_requests_get_a_clear_4xx(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 413, 414), (url[:60], response.status_code)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body


@pytest.mark.parametrize("url", [
    "/recherche?q=ville&page=%C2%B2",  # "²": str.isdigit() says yes, int() says no
    "/recherche?q=ville&page=%E2%91%A0",  # "①"
    "/recherche?q=ville&page=%D9%A1",  # Arabic-Indic one: int() reads it, no one means it
    "/recherche?q=ville&page=%EF%BC%91",  # full-width one
    "/api/search?q=ville&limit=%C2%B3",
    "/flux.rss?q=ville&page=%C2%B9",
])
def test_numbers_are_ascii_digits_or_a_french_400(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, url
    assert "nombre entier" in response.get_data(as_text=True)


def test_too_many_filters_are_refused(client: FlaskClient) -> None:
    """Each filter's chip and facet link repeats the whole address: without a bound on all the
    filters together, a 45 KB address made a 13 MB page."""
    facets = ["type", "theme", "org", "dispositif", "annee", "format"]
    values = "&".join(f"{facet}=valeur-{facet}-{n}" for facet in facets for n in range(6))  # 6 per facet, 36 in all
    response = client.get("/recherche?q=ville&" + values)
    assert response.status_code == 400
    assert "Trop de filtres" in response.get_data(as_text=True)
    fewer = "&".join(f"{facet}=valeur-{facet}-{n}" for facet in facets for n in range(5))  # 30
    assert client.get("/recherche?q=ville&" + fewer).status_code == 200


def test_an_unreadable_host_gets_a_french_400(client: FlaskClient) -> None:
    """A Host Werkzeug cannot read is refused before routing, where the error page's links
    cannot be built: a short French page instead of a bare 500."""
    response = client.get("/recherche?q=ville", headers={"Host": "a" * 64})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'lang="fr"' in body and "Requête invalide" in body


def test_a_method_not_allowed_says_which_are(client: FlaskClient) -> None:
    for accept in ("text/html", "application/json"):
        response = client.post("/recherche", headers={"Accept": accept})
        assert response.status_code == 405
        assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}, accept


def test_an_id_is_matched_whole() -> None:
    from webui.params import valid_id

    assert valid_id("0123456789ab")
    assert not valid_id("0123456789ab\n") and not valid_id(" 0123456789ab")


def test_oversized_body_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/search", data=b"x" * (1024 * 1024))
    assert response.status_code in (405, 413)
