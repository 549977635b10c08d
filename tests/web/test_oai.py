"""OAI-PMH 2.0 at /oai, harvested by a real client (oaipmh-scythe) from a running server: the
whole demo base through every page of resumption tokens, then incrementally with ``from``,
seeing a removed document as deleted. Every answer is validated against the protocol's
schema (OAI-PMH.xsd) and each record against oai_dc.xsd (tests/fixtures/oai)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe.exceptions import NoRecordsMatch
from oaipmh_scythe.iterator import OAIResponseIterator

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from tests.web.conftest import CORPUS, write_own_files
from webui import create_app
from webui.server import make_server

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "oai"
NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}
PUBLIC = "https://kb.example.org"
PAGE = 7  # records per answer: the demo base takes several pages


@pytest.fixture(scope="module")
def oai_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "OAI-PMH.xsd")))


@pytest.fixture(scope="module")
def dc_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "oai_dc.xsd")))


@pytest.fixture(scope="module")
def validate(oai_schema: etree.XMLSchema, dc_schema: etree.XMLSchema) -> Any:
    def check(body: bytes) -> Any:
        tree = etree.fromstring(body)
        assert oai_schema.validate(tree), oai_schema.error_log
        for dc in tree.iterfind(".//oai_dc:dc", NS):
            assert dc_schema.validate(etree.ElementTree(dc)), dc_schema.error_log
        return tree
    return check


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A base of its own (this module removes and adds documents): the demo corpus and the
    web tests' own files."""
    root = tmp_path_factory.mktemp("oai")
    write_own_files(root / "sources" / "own")
    if CORPUS.is_dir():
        import shutil
        shutil.copytree(CORPUS, root / "sources" / "corpus")
    kb = KnowledgeBase(root / "home")
    try:
        index_paths(kb, [root / "sources"], Options(workers=2))
    finally:
        kb.close()
    return root


@pytest.fixture(scope="module")
def oai_app(home: Path) -> Iterator[Flask]:
    app = create_app({"KB_HOME": str(home / "home"), "TESTING": True, "BASE_URL": PUBLIC,
                      "OAI_PAGE_SIZE": PAGE, "ADMIN_EMAIL": "doc@crpv.example.org"})
    yield app
    app.extensions["kb"].close()


@pytest.fixture(scope="module")
def server(oai_app: Flask) -> Iterator[str]:
    srv = make_server(oai_app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.effective_port}/oai"
    finally:
        srv.close()
        thread.join(timeout=5)


@pytest.fixture()
def oai(oai_app: Flask) -> FlaskClient:
    return oai_app.test_client()


def _kb(app: Flask) -> KnowledgeBase:
    kb: KnowledgeBase = app.extensions["kb"]
    return kb


def _live_ids(app: Flask) -> set[str]:
    return {e.id for e in _kb(app).indexed_entries()}


def _doc_id(identifier: str) -> str:
    assert identifier.startswith("oai:kb.example.org:"), identifier
    return identifier.rsplit(":", 1)[1]


def _pages(server: str) -> list[bytes]:
    with Scythe(server, iterator=OAIResponseIterator) as scythe:
        return [r.raw.encode("utf-8") for r in scythe.list_records(metadata_prefix="oai_dc")]  # type: ignore[union-attr]


def test_identify(oai: FlaskClient, validate: Any) -> None:
    # The Host header is the client's choice: the base URL comes from the public address.
    tree = validate(oai.get("/oai?verb=Identify", headers={"Host": "evil.example"}).data)
    identify = tree.find("o:Identify", NS)
    assert identify.findtext("o:baseURL", namespaces=NS) == PUBLIC + "/oai"
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("o:adminEmail", namespaces=NS) == "doc@crpv.example.org"
    assert tree.findtext("o:request", namespaces=NS) == PUBLIC + "/oai"
    assert "evil" not in oai.get("/oai?verb=Identify", headers={"Host": "evil.example"}).text


def test_whole_base_harvested_through_every_page(server: str, oai_app: Flask, validate: Any) -> None:
    pages = _pages(server)
    live = _live_ids(oai_app)
    assert len(pages) == -(-len(live) // PAGE) > 2  # ceil: every page full but the last
    cursors, tokens = [], []
    for body in pages:
        tree = validate(body)
        token = tree.find(".//o:resumptionToken", NS)
        cursors.append(int(token.get("cursor")) if token is not None else None)
        tokens.append(token.text if token is not None else None)
    assert cursors == [PAGE * n for n in range(len(pages))]
    assert all(tokens[:-1]) and tokens[-1] is None  # the last part carries an empty token

    # The client's own view: every document once, none deleted, its permalink as identifier.
    with Scythe(server) as scythe:
        records = list(scythe.list_records(metadata_prefix="oai_dc"))
    ids = [_doc_id(r.header.identifier) for r in records]
    assert len(ids) == len(set(ids)) and set(ids) == live
    assert not any(r.deleted for r in records)
    for record in records:
        link = record.metadata["identifier"][0]
        assert link.startswith(f"{PUBLIC}/d/{_doc_id(record.header.identifier)}/")
        assert record.metadata["title"] and record.metadata["publisher"] == ["Passerelles"]
    with Scythe(server) as scythe:
        headers = list(scythe.list_identifiers(metadata_prefix="oai_dc"))
    assert [h.identifier for h in headers] == [r.header.identifier for r in records]


def test_record_maps_dublin_core(oai: FlaskClient, oai_app: Flask, validate: Any) -> None:
    kb = _kb(oai_app)
    tamanoir = next(e.id for e in kb.known_files() if e.path.endswith("guide-tamanoir.txt"))
    tree = validate(oai.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:kb.example.org:{tamanoir}").data)
    dc = {el.tag.split("}")[1]: [] for el in tree.iterfind(".//oai_dc:dc/*", NS)}
    for el in tree.iterfind(".//oai_dc:dc/*", NS):
        dc[el.tag.split("}")[1]].append(el.text)
    assert dc["title"] == ["Guide du tamanoir pour les conseils citoyens"]
    assert dc["creator"] == ["Centre de ressources « Ville & Quartiers »"]
    assert dc["rights"] == ["Licence Ouverte 2.0"]
    assert dc["source"] == ["https://crpv.example.org/guides/tamanoir"]
    assert dc["date"] == ["2022-09-15"]
    assert dc["type"] == ["Text", "étude/rapport"]
    assert dc["format"] == ["text/plain"]
    assert dc["identifier"][0].startswith(f"{PUBLIC}/d/{tamanoir}/guide-du-tamanoir")
    assert dc["description"] == ["Un guide pour les conseils citoyens du quartier du tamanoir."]
    assert dc["language"] == ["fr"]
    header = tree.find(".//o:header", NS)
    assert "type:etude-rapport" in [s.text for s in header.iterfind("o:setSpec", NS)]
    # Markup in a title is text: the XML parser gives back exactly the characters.
    hostile = next(e.id for e in kb.known_files() if e.path.endswith("rapport-hostile.txt"))
    tree = validate(oai.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:kb.example.org:{hostile}").data)
    assert tree.findtext(".//dc:title", namespaces=NS) == "Rapport <b>gras</b> sur la médiation xylophonique"
    assert "<script>" in tree.findtext(".//dc:description", namespaces=NS)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="demo corpus absent")
def test_coverage_gives_territory_and_qpv(oai: FlaskClient, oai_app: Flask, validate: Any) -> None:
    kb = _kb(oai_app)
    tilleuls = next(e.id for e in kb.known_files() if e.path.endswith("fiche-participation-habitants-tilleuls.md"))
    tree = validate(oai.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:kb.example.org:{tilleuls}").data)
    coverage = [el.text for el in tree.iterfind(".//dc:coverage", NS)]
    assert "Valmont — quartier des Tilleuls (QPV)" in coverage
    assert any("QPV" in c for c in coverage)
    subjects = [el.text for el in tree.iterfind(".//dc:subject", NS)]
    assert subjects == list(kb.document(tilleuls, text=False).themes) and subjects


def test_sets_list_types_and_themes_and_select_records(server: str, oai_app: Flask, oai: FlaskClient,
                                                       validate: Any) -> None:
    tree = validate(oai.get("/oai?verb=ListSets").data)
    specs = {s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
             for s in tree.iterfind(".//o:set", NS)}
    assert specs["type"] == "Types de document" and specs["theme"] == "Thèmes"
    assert specs["type:etude-rapport"] == "Type : étude/rapport"
    assert any(s.startswith("theme:") for s in specs)
    kb = _kb(oai_app)
    reports = {e.id for e in kb.indexed_entries() if e.type == "étude/rapport"}
    with Scythe(server) as scythe:
        headers = list(scythe.list_identifiers(metadata_prefix="oai_dc", set_="type:etude-rapport"))
        everything_typed = list(scythe.list_identifiers(metadata_prefix="oai_dc", set_="type"))
    assert {_doc_id(h.identifier) for h in headers} == reports and len(reports) > PAGE
    assert len(everything_typed) == len(_live_ids(oai_app))  # a set holds its subsets
    theme = next(s for s in specs if s.startswith("theme:"))
    with Scythe(server) as scythe:
        themed = list(scythe.list_identifiers(metadata_prefix="oai_dc", set_=theme))
    assert themed and all(theme in h.setSpecs for h in themed)


def test_collections_are_sets_decided_without_reading_records(server: str, oai_app: Flask, oai: FlaskClient,
                                                               validate: Any) -> None:
    if not CORPUS.is_dir():
        pytest.skip("the demo corpus (and its .collection files) is not in this checkout")
    tree = validate(oai.get("/oai?verb=ListSets").data)
    specs = {s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
             for s in tree.iterfind(".//o:set", NS)}
    assert specs["collection:observatoire-regional-des-quartiers"] == "Collection : Observatoire régional des quartiers"
    kb = _kb(oai_app)
    studies = {e.id for e in kb.indexed_entries() if "/etudes-rapports/" in e.path}
    with Scythe(server) as scythe:
        headers = list(scythe.list_identifiers(metadata_prefix="oai_dc",
                                               set_="collection:observatoire-regional-des-quartiers"))
        pooled = list(scythe.list_identifiers(metadata_prefix="oai_dc", set_="collection"))
    assert {_doc_id(h.identifier) for h in headers} == studies and studies
    assert all("collection:observatoire-regional-des-quartiers" in h.setSpecs for h in headers)
    with_collection = {e.id for e in kb.indexed_entries() if "/corpus/" in e.path}
    assert {_doc_id(h.identifier) for h in pooled} == with_collection


def test_metadata_formats(oai: FlaskClient, oai_app: Flask, validate: Any) -> None:
    tree = validate(oai.get("/oai?verb=ListMetadataFormats").data)
    assert [p.text for p in tree.iterfind(".//o:metadataPrefix", NS)] == ["oai_dc"]
    some = next(iter(_live_ids(oai_app)))
    tree = validate(oai.get(f"/oai?verb=ListMetadataFormats&identifier=oai:kb.example.org:{some}").data)
    assert tree.findtext(".//o:metadataNamespace", namespaces=NS) == "http://www.openarchives.org/OAI/2.0/oai_dc/"


def test_post_is_answered_like_get(oai: FlaskClient, validate: Any) -> None:
    tree = validate(oai.post("/oai", data={"verb": "ListMetadataFormats"}).data)
    assert tree.find("o:ListMetadataFormats", NS) is not None


ERRORS = [
    ("", "badVerb"),
    ("verb=Dance", "badVerb"),
    ("verb=Identify&verb=Identify", "badVerb"),
    ("verb=Identify&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListRecords", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-13-45", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument"),
    # Digits other than ASCII ones (Arabic-Indic, full-width), and a day followed by a newline.
    ("verb=ListRecords&metadataPrefix=oai_dc&from=%D9%A2%D9%A0%D9%A2%D9%A4-01-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=%EF%BC%92024-01-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01%0A", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01&until=2024-01-02T00:00:00Z", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-02-01&until=2024-01-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=type%20charte", "badArgument"),
    ("verb=ListRecords&metadataPrefix=a%20b", "badArgument"),
    ("verb=GetRecord&identifier=x", "badArgument"),
    ("verb=ListRecords&resumptionToken=abc&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListRecords&resumptionToken=abc", "badResumptionToken"),
    ("verb=ListRecords&resumptionToken=%3Cscript%3E", "badResumptionToken"),
    ("verb=ListSets&resumptionToken=abc", "badResumptionToken"),
    # A token nested past Python's recursion limit ("[" * 1400, base64), and control characters
    # (echoed in <request>: the answer must still be well-formed XML).
    ("verb=ListRecords&resumptionToken=" + "W1tb" * 466 + "Ww", "badResumptionToken"),
    ("verb=ListRecords&resumptionToken=%01", "badResumptionToken"),
    ("verb=ListIdentifiers&resumptionToken=%EF%BF%BE%1F", "badResumptionToken"),
    ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:kb.example.org:0123456789ab", "idDoesNotExist"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:evil.example:0123456789ab", "idDoesNotExist"),
    ("verb=ListMetadataFormats&identifier=oai:kb.example.org:../../etc", "idDoesNotExist"),
    ("verb=ListMetadataFormats&identifier=x%1F", "idDoesNotExist"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=%0B", "idDoesNotExist"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&until=1999-01-01", "noRecordsMatch"),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc&set=collection:inconnue", "noRecordsMatch"),
]


@pytest.mark.parametrize(("query", "code"), ERRORS)
def test_protocol_errors(oai: FlaskClient, validate: Any, query: str, code: str) -> None:
    response = oai.get("/oai?" + query)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    tree = validate(response.data)
    assert [e.get("code") for e in tree.iterfind("o:error", NS)] == [code]
    request = tree.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert not request.attrib  # the protocol forbids echoing illegal arguments


def test_until_the_last_day_there_is_harvests_everything(oai: FlaskClient, validate: Any) -> None:
    """``until=9999-12-31`` (a harvester's "everything"): adding a day to it overflowed."""
    every = validate(oai.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").data)
    for until in ("9999-12-31", "9999-12-31T23:59:59Z"):
        tree = validate(oai.get(f"/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&until={until}").data)
        assert tree.find("o:error", NS) is None
        assert ([h.findtext("o:identifier", namespaces=NS) for h in tree.iterfind(".//o:header", NS)]
                == [h.findtext("o:identifier", namespaces=NS) for h in every.iterfind(".//o:header", NS)])


def test_tokens_are_checked_not_trusted(oai: FlaskClient, validate: Any) -> None:
    import base64
    import json

    tree = validate(oai.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").data)
    token = tree.findtext(".//o:resumptionToken", namespaces=NS)
    assert token
    # A token is for the verb that gave it.
    tree = validate(oai.get(f"/oai?verb=ListRecords&resumptionToken={token}").data)
    assert tree.find("o:error", NS).get("code") == "badResumptionToken"
    data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for key, value in (("a", ["x", "y"]), ("n", -1), ("s", 3), ("f", "demain"), ("m", "marc21"), ("extra", 1)):
        forged = base64.urlsafe_b64encode(json.dumps({**data, key: value}).encode()).decode().rstrip("=")
        tree = validate(oai.get(f"/oai?verb=ListIdentifiers&resumptionToken={forged}").data)
        assert tree.find("o:error", NS).get("code") == "badResumptionToken", key


def _next_second(stamp: str) -> None:
    """Wait until the clock has left the second of ``stamp`` (datestamps count seconds), so
    that what changes next is told apart from what came before. Polls the clock; nothing here
    depends on how long it takes."""
    while datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") <= stamp:
        time.sleep(0.05)


def test_incremental_harvest_sees_new_and_deleted(server: str, oai_app: Flask, home: Path, validate: Any) -> None:
    with Scythe(server) as scythe:
        before = {r.header.identifier: r for r in scythe.list_records(metadata_prefix="oai_dc")}
    latest = max(r.header.datestamp for r in before.values())
    _next_second(latest)
    with Scythe(server) as scythe:
        with pytest.raises(NoRecordsMatch):  # nothing changed since
            list(scythe.list_records(metadata_prefix="oai_dc", from_=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))

    # A document added by kb index in another process and one removed, as kb rm does.
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (home / "sources" / "own" / "note-pangolin.txt").write_text(
        "Note sur le pangolin des quartiers\n\nUne note d'essai pour la moisson incrémentale.\n", encoding="utf-8")
    other = KnowledgeBase(home / "home")
    try:
        index_paths(other, [home / "sources"], Options(workers=1))
        gone = next(e for e in other.known_files() if e.path.endswith("jardins-quokka.md"))
        added = next(e for e in other.known_files() if e.path.endswith("note-pangolin.txt"))
        with other.writing():
            other.remove([gone.id])
    finally:
        other.close()

    with Scythe(server) as scythe:
        changed = {r.header.identifier: r for r in scythe.list_records(metadata_prefix="oai_dc", from_=since)}
    assert set(changed) == {f"oai:kb.example.org:{added.id}", f"oai:kb.example.org:{gone.id}"}
    removed = changed[f"oai:kb.example.org:{gone.id}"]
    assert removed.deleted and not changed[f"oai:kb.example.org:{added.id}"].deleted
    assert removed.header.datestamp >= since
    # Still in its sets, so that a harvester of one set hears of it too.
    assert removed.header.setSpecs == before[removed.header.identifier].header.setSpecs

    # The deletion persists: a full harvest, a GetRecord and a set tell it, the page is gone.
    with Scythe(server) as scythe:
        full = {r.header.identifier: r for r in scythe.list_records(metadata_prefix="oai_dc")}
        record = scythe.get_record(identifier=removed.header.identifier, metadata_prefix="oai_dc")
    assert full[removed.header.identifier].deleted and record.deleted
    assert len(full) == len(before) + 1
    assert oai_app.test_client().get(f"/d/{gone.id}").status_code == 404
    identifier = removed.header.identifier
    body = oai_app.test_client().get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}").data
    tree = validate(body)
    assert tree.find(".//o:header", NS).get("status") == "deleted" and tree.find(".//o:metadata", NS) is None


def test_a_change_during_a_harvest_loses_nothing(server: str, oai_app: Flask, home: Path) -> None:
    """A stateless token needs no expiry: a record changed between two pages comes again
    later, none is skipped."""
    with Scythe(server, iterator=OAIResponseIterator) as scythe:
        responses = iter(scythe.list_identifiers(metadata_prefix="oai_dc"))
        first = next(responses)
        seen = [h.text for h in first.xml.iterfind(".//{http://www.openarchives.org/OAI/2.0/}identifier")]
        victim = _doc_id(seen[0])
        other = KnowledgeBase(home / "home")
        try:
            with other.writing():
                other.remove([victim])
        finally:
            other.close()
        for response in responses:
            seen += [h.text for h in response.xml.iterfind(".//{http://www.openarchives.org/OAI/2.0/}identifier")]
    assert set(_doc_id(i) for i in seen) >= _live_ids(oai_app) | {victim}
    assert seen.count(f"oai:kb.example.org:{victim}") == 2  # once live, once deleted
