"""OAI-PMH 2.0 at ``/oai``: the network's portals harvest the base in unqualified Dublin Core.

Records are the catalog's documents in the order of their latest change (``Catalog.revisions``):
a datestamp is when a document entered the base or last changed; a removed one is reported
as deleted, for ever (``deletedRecord`` persistent: the catalog keeps a tombstone). Sets are
the document types (``type:<slug>``) and themes (``theme:<slug>``); the base has no
collections yet.

Resumption tokens are stateless (``webui.oai_request``). They need no expiry: a document
changed during a harvest moves after every position reached and is sent again; none is
skipped, whatever changes in the base meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, url_for

from kb.catalog import Revision
from kb.model import Document, SearchRequest
from kb.permalink import slugify
from webui.context import knowledge_base
from webui.dublincore import OAI_DC, OAI_DC_SCHEMA, XSI, oai_dc
from webui.feeds import clean
from webui.links import absolute
from webui.oai_request import PREFIX, OAIError, Query, arguments, bounds, check, check_list, fail, parse_token
from webui.params import valid_id

bp = Blueprint("oai", __name__)

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

SET_NAMES = {"type": "Types de document", "collection": "Collections (centres ou sources)", "theme": "Thèmes"}
_SCAN = 500  # catalog rows read at a time while filling a page


# -- records -----------------------------------------------------------------------------------

def repository_id() -> str:
    """The host of the public address: it makes identifiers unique across the network's
    centres (``oai:kb.example.org:<id>``)."""
    return urlsplit(absolute("/")).hostname or "localhost"


def oai_identifier(doc_id: str) -> str:
    """The OAI identifier of a document: ``oai:<host>:<id>``."""
    return f"oai:{repository_id()}:{doc_id}"


def doc_id_of(identifier: str) -> str:
    """The document id in an OAI identifier of this repository; ``idDoesNotExist`` for any other."""
    prefix = f"oai:{repository_id()}:"
    doc_id = identifier[len(prefix):] if identifier.startswith(prefix) else ""
    if not valid_id(doc_id):
        fail("idDoesNotExist", "Identifiant inconnu de cet entrepôt.")
    return doc_id


def datestamp(stamp: str) -> str:
    """A catalog time as the protocol's UTC datestamp (``YYYY-MM-DDThh:mm:ssZ``); the epoch for an
    unreadable one."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        moment = datetime(1970, 1, 1, tzinfo=UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def set_specs(kind: str | None, themes: tuple[str, ...], collection: str | None = None) -> list[str]:
    """The sets a record belongs to: its type, its collection and each of its themes, as slugs."""
    specs = [f"type:{slugify(kind)}"] if kind else []
    specs += [f"collection:{slugify(collection)}"] if collection else []
    return specs + [f"theme:{slugify(t)}" for t in dict.fromkeys(themes)]


@dataclass(frozen=True)
class Item:
    """One record to send: the catalog's revision, the document (``None`` when deleted) and its sets."""

    revision: Revision
    doc: Document | None  # None: deleted
    sets: list[str]


def item(revision: Revision) -> Item | None:
    """The record of ``revision``, deleted ones included; ``None`` for a document removed since the
    row was read."""
    if not revision.live:
        return Item(revision, None, set_specs(revision.type, revision.themes, revision.collection))
    doc = knowledge_base().record(revision.id, text=False)
    if doc is None:  # removed since the row was read
        return None
    return Item(revision, doc, set_specs(doc.type, doc.themes, doc.collection))


def in_set(found: Item, wanted: str | None) -> bool:
    """Whether ``found`` belongs to the set ``wanted`` or to one below it (every record when
    ``wanted`` is ``None``)."""
    return wanted is None or any(s == wanted or s.startswith(wanted + ":") for s in found.sets)


def _may_be_in(revision: Revision, wanted: str | None) -> bool:
    """Whether the catalog row alone rules the revision out of ``wanted`` (type and collection
    sets are decided without reading the record)."""
    if wanted is not None and wanted.startswith("collection:"):
        return f"collection:{slugify(revision.collection)}" == wanted if revision.collection else False
    if wanted is None or not wanted.startswith("type:"):
        return True
    return f"type:{slugify(revision.type)}" == wanted if revision.type else False


def walk(query: Query) -> Iterator[Item]:
    """The records of ``query`` after its position, in order."""
    kb = knowledge_base()
    since, before = bounds(query)
    after = query.after
    while True:
        batch = kb.revisions(since, before, after, _SCAN)
        for revision in batch:
            if not _may_be_in(revision, query.set):
                continue  # a type set is decided from the catalog row: no record read
            found = item(revision)
            if found is not None and in_set(found, query.set):
                yield found
        if len(batch) < _SCAN:
            return
        after = (batch[-1].changed_at, batch[-1].id)


# -- XML ---------------------------------------------------------------------------------------

def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Attributes too: the request's arguments are echoed as they came.
    element = ET.SubElement(parent, tag, {name: clean(value) for name, value in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def envelope(args: dict[str, str] | None) -> ET.Element:
    """The response's root with ``responseDate`` and ``request`` (its attributes only when
    the arguments were legal, as the protocol asks)."""
    # Unqualified tags under a literal default namespace (as in webui.feeds): ElementTree's
    # default_namespace option refuses the protocol's unqualified attributes (verb, code...).
    root = ET.Element("OAI-PMH", {"xmlns": OAI, f"{{{XSI}}}schemaLocation": f"{OAI} {OAI_SCHEMA}"})
    _sub(root, "responseDate", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _sub(root, "request", absolute(url_for("oai.endpoint")), **(args or {}))
    return root


def header(parent: ET.Element, found: Item) -> None:
    """Append the ``<header>`` of ``found``: identifier, datestamp, sets, and the deleted status."""
    attrs = {"status": "deleted"} if found.doc is None else {}
    element = _sub(parent, "header", **attrs)
    _sub(element, "identifier", oai_identifier(found.revision.id))
    _sub(element, "datestamp", datestamp(found.revision.changed_at))
    for spec in found.sets:
        _sub(element, "setSpec", spec)


def record(parent: ET.Element, found: Item) -> None:
    """Append the ``<record>`` of ``found``: its header, and its Dublin Core metadata unless deleted."""
    element = _sub(parent, "record")
    header(element, found)
    if found.doc is not None:
        oai_dc(_sub(element, "metadata"), found.doc)


def identify(root: ET.Element) -> None:
    """Fill the answer to ``Identify``: name, address, contact, earliest datestamp, deleted records kept."""
    config = current_app.config
    first = knowledge_base().revisions(limit=1)
    element = _sub(root, "Identify")
    _sub(element, "repositoryName", f"{config['SITE_NAME']} — base de connaissances politique de la ville")
    _sub(element, "baseURL", absolute(url_for("oai.endpoint")))
    _sub(element, "protocolVersion", "2.0")
    _sub(element, "adminEmail", admin_email())
    _sub(element, "earliestDatestamp", datestamp(first[0].changed_at) if first else
         datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _sub(element, "deletedRecord", "persistent")
    _sub(element, "granularity", GRANULARITY)


def admin_email() -> str:
    """``KB_ADMIN_EMAIL``, else webmaster@ the public host (the protocol requires one)."""
    configured = str(current_app.config.get("ADMIN_EMAIL") or "")
    if configured:
        return configured
    host = repository_id()
    return f"webmaster@{host}" if "." in host else f"webmaster@{host}.invalid"


def metadata_formats(root: ET.Element, args: dict[str, str]) -> None:
    """Fill the answer to ``ListMetadataFormats``: oai_dc only (for a known identifier, when one is given)."""
    if "identifier" in args and knowledge_base().revision(doc_id_of(args["identifier"])) is None:
        fail("idDoesNotExist", "Identifiant inconnu de cet entrepôt.")
    element = _sub(root, "ListMetadataFormats")
    fmt = _sub(element, "metadataFormat")
    _sub(fmt, "metadataPrefix", PREFIX)
    _sub(fmt, "schema", OAI_DC_SCHEMA)
    _sub(fmt, "metadataNamespace", OAI_DC)


def sets() -> list[tuple[str, str]]:
    """(setSpec, setName): the types of the base, its collections and its documents' themes."""
    kb = knowledge_base()
    out = [("type", SET_NAMES["type"])]
    out += [(f"type:{slugify(t)}", f"Type : {t}") for t in sorted(kb.types()) if t]
    everything = kb.search(SearchRequest(page_size=1, facets=True)).facets
    collections = everything.get("collection", ())
    if collections:
        out.append(("collection", SET_NAMES["collection"]))
        out += [(f"collection:{slugify(v.value)}", f"Collection : {v.value}")
                for v in sorted(collections, key=lambda v: v.value)]
    out.append(("theme", SET_NAMES["theme"]))
    facets = everything.get("themes", ())
    out += [(f"theme:{slugify(v.value)}", f"Thème : {v.value}") for v in sorted(facets, key=lambda v: v.value)]
    return list(dict(out).items())


def list_sets(root: ET.Element, args: dict[str, str]) -> None:
    """Fill the answer to ``ListSets``: every set in one answer."""
    if "resumptionToken" in args:  # every set fits in one answer: no token was ever given
        fail("badResumptionToken", "Cet entrepôt ne donne pas de jeton de reprise pour ListSets.")
    element = _sub(root, "ListSets")
    for spec, name in sets():
        one = _sub(element, "set")
        _sub(one, "setSpec", spec)
        _sub(one, "setName", name)


def get_record(root: ET.Element, args: dict[str, str]) -> None:
    """Fill the answer to ``GetRecord``, or fail with ``idDoesNotExist``."""
    doc_id = doc_id_of(args["identifier"])
    check_list(Query("GetRecord", args["metadataPrefix"]))
    revision = knowledge_base().revision(doc_id)
    found = item(revision) if revision is not None else None
    if found is None:
        fail("idDoesNotExist", "Identifiant inconnu de cet entrepôt.")
    record(_sub(root, "GetRecord"), found)


def list_items(root: ET.Element, verb: str, args: dict[str, str]) -> None:
    """Fill the answer to ``ListRecords`` or ``ListIdentifiers``: one page of ``OAI_PAGE_SIZE``
    records, then a resumption token when more follow."""
    if "resumptionToken" in args:
        query = parse_token(verb, args["resumptionToken"])
    else:
        query = Query(verb, args["metadataPrefix"], args.get("set"), args.get("from"), args.get("until"))
        check_list(query)
    size = int(current_app.config["OAI_PAGE_SIZE"])
    page: list[Item] = []
    more = False
    for found in walk(query):
        if len(page) == size:
            more = True  # one more exists: the token will lead somewhere
            break
        page.append(found)
    if not page:
        fail("noRecordsMatch", "Aucun enregistrement ne correspond à cette demande.")
    element = _sub(root, verb)
    for found in page:
        (header if verb == "ListIdentifiers" else record)(element, found)
    attrs = {"cursor": str(query.sent)}
    if more:
        last = page[-1].revision
        _sub(element, "resumptionToken", query.token((last.changed_at, last.id), query.sent + len(page)), **attrs)
    elif query.after is not None:
        _sub(element, "resumptionToken", "", **attrs)  # the last page of a resumed list


@bp.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    """``/oai``: the OAI-PMH 2.0 endpoint (GET or POST). Protocol errors are answered with HTTP 200
    and ``<error code=…>``, as the protocol asks."""
    args: dict[str, str] = {}
    legal = False
    try:
        args = arguments()
        verb = check(args)
        legal = True
        root = envelope(args)
        if verb == "Identify":
            identify(root)
        elif verb == "ListMetadataFormats":
            metadata_formats(root, args)
        elif verb == "ListSets":
            list_sets(root, args)
        elif verb == "GetRecord":
            get_record(root, args)
        else:
            list_items(root, verb, args)
    except OAIError as exc:
        # After badVerb or badArgument the request is echoed without its arguments.
        root = envelope(args if legal and exc.code not in ("badVerb", "badArgument") else None)
        _sub(root, "error", str(exc), code=exc.code)
    return xml_response(root)


def xml_response(root: ET.Element) -> Response:
    """``root`` as the XML document the harvester receives (never cached: lists change)."""
    body = ET.tostring(root, encoding="unicode")
    return Response(('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8"),
                    mimetype="text/xml", headers={"Cache-Control": "no-cache"})
