"""Absolute links (feeds, newsletter exports, canonical links, API permalinks) never come from
the request's Host header: from the configured public address, else the server's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.web.conftest import Base
from webui import create_app

EVIL = {"Host": "evil.example"}


def pages(app: Flask, doc_id: str) -> str:
    client = app.test_client()
    paths = ["/flux.rss", "/flux.atom?q=quokka", f"/selection.html?sel={doc_id}", f"/selection.md?sel={doc_id}",
             f"/selection?sel={doc_id}", f"/d/{doc_id}/fiche-d-experience-jardins-partages-quokka",
             f"/api/documents/{doc_id}"]
    bodies = []
    for path in paths:
        response = client.get(path, headers=EVIL)
        assert response.status_code == 200, path
        bodies.append(response.get_data(as_text=True))
    return "\n".join(bodies)


@pytest.fixture()
def make_app(base: Base) -> Iterator:  # type: ignore[type-arg]
    built: list[Flask] = []

    def make(**config: object) -> Flask:
        app = create_app({"KB_HOME": str(base.home), "TESTING": True, **config})
        built.append(app)
        return app

    yield make
    for app in built:
        app.extensions["kb"].close()


@pytest.mark.parametrize(("config", "expected"), [
    ({"BASE_URL": "https://kb.example.org/"}, "https://kb.example.org"),
    ({"BASE_URL": "https://kb.example.org/base", "SERVER_URL": "http://127.0.0.1:9000"}, "https://kb.example.org/base"),
    ({"SERVER_URL": "http://10.0.0.5:8080"}, "http://10.0.0.5:8080"),
    ({}, "http://127.0.0.1:8000"),  # built outside kb serve with nothing set: kb serve's default address
])
def test_forged_host_header_is_ignored(make_app, ids: dict[str, str], config: dict[str, str],  # type: ignore[no-untyped-def]
                                       expected: str) -> None:
    body = pages(make_app(**config), ids["jardins-quokka"])
    assert "evil.example" not in body
    assert f"{expected}/d/{ids['jardins-quokka']}" in body


def test_forged_host_header_never_reaches_a_redirect(make_app, ids: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    client = make_app().test_client()
    doc = ids["jardins-quokka"]
    for path in (f"/d/{doc}", f"/d/{doc}//x", f"/d//{doc}", "//recherche", "/recherche//"):
        # As a server passes it on (the test client would read "//recherche" as a host).
        response = client.get("/", environ_overrides={"PATH_INFO": path}, headers={"Host": "evil.example"})
        assert "evil.example" not in response.headers.get("Location", ""), path
    assert client.get(f"/d/{doc}", headers={"Host": "evil.example"}).status_code == 301


def test_base_url_from_the_environment(make_app, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KB_BASE_URL", "https://veille.example.org")
    body = pages(make_app(SERVER_URL="http://127.0.0.1:8000"), ids["jardins-quokka"])
    assert "https://veille.example.org/d/" in body and "evil.example" not in body


@pytest.mark.parametrize("value", ["evil.example", "javascript:alert(1)", "https://a@b.example", "https://b.example/?x=1"])
def test_an_invalid_base_url_is_refused_at_start(base: Base, value: str) -> None:
    with pytest.raises(ValueError, match="adresse publique invalide"):
        create_app({"KB_HOME": str(base.home), "TESTING": True, "BASE_URL": value})


def test_server_url_is_the_address_kb_serve_listens_on() -> None:
    import socket

    from webui.links import server_url

    assert server_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert server_url("::1", 8080) == "http://[::1]:8080"
    assert server_url("0.0.0.0", 8000) == f"http://{socket.gethostname()}:8000"  # all interfaces: this computer's name
