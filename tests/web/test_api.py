"""The JSON API: the shape of `kb search --json`, documents, errors, and the OpenAPI description
checked against real responses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from kb.cli import main as kb_main

HIT_KEYS = {"id", "title", "type", "date", "path", "page", "collection", "relatives", "score", "snippet", "licence",
            "author", "url"}


@pytest.fixture(scope="module")
def openapi(app: Any) -> dict[str, Any]:
    spec: dict[str, Any] = app.test_client().get("/api/openapi.json").get_json()
    return spec


def validator(spec: dict[str, Any], path: str, status: int) -> Draft202012Validator:
    """A validator for the response schema the spec declares for GET ``path`` and ``status``."""
    content = spec["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]
    registry = Registry().with_resource("urn:openapi", Resource(contents=spec, specification=DRAFT202012))
    body = content["schema"]
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              **({"$ref": "urn:openapi" + body["$ref"]} if "$ref" in body else body)}
    return Draft202012Validator(schema, registry=registry)


def test_spec_is_openapi_31_with_valid_schemas(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.1")
    assert set(openapi["paths"]) == {"/api/search", "/api/documents/{id}", "/api/openapi.json"}
    for schema in openapi["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_search_matches_the_cli_json_shape(client: FlaskClient, app: Any) -> None:
    api = client.get("/api/search?q=habitants&limit=5").get_json()
    assert set(api) == {"total", "page", "pages", "hits", "facets", "suggestion", "corrected"}
    assert api["hits"] and all(set(hit) == HIT_KEYS for hit in api["hits"])
    result = CliRunner().invoke(
        kb_main, ["--home", app.config["KB_HOME"], "search", "habitants", "--limit", "5", "--json"])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    assert cli["total"] == api["total"]
    assert [h["id"] for h in cli["hits"]] == [h["id"] for h in api["hits"]]
    # The API adds what reuse requires (licence, author, original address) to the CLI's fields.
    assert cli["hits"][0] == {k: v for k, v in api["hits"][0].items() if k in cli["hits"][0]}


def test_pages_say_where_they_end(client: FlaskClient) -> None:
    """Past the last page the last one is sent again: "page" says so, and a client paging until
    it gets no hits can stop."""
    first = client.get("/api/search?q=habitants&limit=3").get_json()
    assert first["page"] == 1 and first["pages"] == -(-first["total"] // 3) > 1
    last = client.get(f"/api/search?q=habitants&limit=3&page={first['pages']}").get_json()
    beyond = client.get(f"/api/search?q=habitants&limit=3&page={first['pages'] + 5}").get_json()
    assert last["page"] == beyond["page"] == first["pages"]
    assert [h["id"] for h in beyond["hits"]] == [h["id"] for h in last["hits"]]
    assert client.get("/api/search?q=habitants&page=1001").status_code == 400


def test_responses_validate_against_the_spec(client: FlaskClient, openapi: dict[str, Any], ids: dict[str, str]) -> None:
    cases = [
        ("/api/search?q=quartier&format=pdf&tri=date&limit=3&page=2", "/api/search", 200),
        ("/api/search?q=ornitorynque", "/api/search", 200),
        ("/api/search", "/api/search", 200),
        ("/api/search?limit=0", "/api/search", 400),
        ("/api/search?q=" + "x" * 600, "/api/search", 400),
        (f"/api/documents/{ids['rapport-ornithorynque']}", "/api/documents/{id}", 200),
        (f"/api/documents/{ids['rapport-ornithorynque']}?text=1", "/api/documents/{id}", 200),
        ("/api/documents/0123456789ab", "/api/documents/{id}", 404),
        ("/api/documents/not-hex", "/api/documents/{id}", 400),
        ("/api/openapi.json", "/api/openapi.json", 200),
    ]
    for url, path, status in cases:
        response = client.get(url)
        assert response.status_code == status, url
        assert response.mimetype == "application/json", url
        validator(openapi, path, status).validate(response.get_json())


def test_document_metadata_without_then_with_text(client: FlaskClient, ids: dict[str, str]) -> None:
    doc_id = ids["rapport-ornithorynque"]
    meta = client.get(f"/api/documents/{doc_id}").get_json()
    assert meta["id"] == doc_id and meta["format"] == "pdf" and meta["page_count"] == 3
    assert "text" not in meta and "pages" not in meta
    assert meta["permalink"].startswith(f"http://localhost/d/{doc_id}/")
    full = client.get(f"/api/documents/{doc_id}?text=1").get_json()
    assert "ornithorynque" in full["text"] and len(full["pages"]) == 3


def test_api_errors_have_one_shape(client: FlaskClient) -> None:
    for url, status in (("/api/search?page=x", 400), ("/api/search?limit=1000", 400), ("/api/search?tri=z", 400),
                        ("/api/documents/0123456789ab", 404), ("/api/nothing", 404),
                        ("/api/documents/abcdef012345?text=maybe", 400)):
        response = client.get(url)
        body = response.get_json()
        assert response.status_code == status, url
        assert set(body) == {"ok", "error", "status"} and body["ok"] is False and body["status"] == status
    post = client.post("/api/search")
    assert post.status_code == 405 and post.get_json()["status"] == 405
    assert "Trop" in client.get("/api/search?" + "&".join(["theme=a"] * 30)).get_json()["error"]


def test_facets_and_filters_in_the_api(client: FlaskClient) -> None:
    api = client.get("/api/search?q=quartier").get_json()
    assert set(api["facets"]) <= {"porteur", "qpv", "public", "etat", "financeurs", "partenaires",
                                  "section", "collection", "type", "theme", "annee", "org", "dispositif", "format"}
    formats = {f["value"]: f["count"] for f in api["facets"]["format"]}
    only_pdf = client.get("/api/search?q=quartier&format=pdf").get_json()
    assert only_pdf["total"] == formats["pdf"]


def test_search_reports_a_corrected_query(client: FlaskClient) -> None:
    api = client.get("/api/search?q=ornitorynque").get_json()
    assert api["corrected"] == "ornithorynque" and api["total"] >= 1
