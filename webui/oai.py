"""OAI-PMH 2.0 at ``/oai``: the network's portals harvest the base in unqualified Dublin Core.

Records are the catalog's documents in the order of their latest change (``Catalog.revisions``):
a datestamp is when a document entered the base or last changed; a removed one is reported
as deleted, for ever (``deletedRecord`` persistent: the catalog keeps a tombstone). Sets are
the document types (``type:<slug>``) and themes (``theme:<slug>``); the base has no
collections yet.

Resumption tokens are stateless: the request's arguments and the position reached, as
``(datestamp, id)`` of the last record sent. They need no expiry: a document changed during a
harvest moves after every position and is sent again, none is skipped. A token is checked
field by field; anything else is ``badResumptionToken``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, request, url_for

from kb.catalog import Revision
from kb.model import Document, SearchRequest
from webui import knowledge_base
from webui.dublincore import OAI_DC, OAI_DC_SCHEMA, XSI, oai_dc
from webui.feeds import clean
from webui.links import absolute
from webui.params import slugify, valid_id

bp = Blueprint("oai", __name__)

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
PREFIX = "oai_dc"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

# Arguments each verb takes: (required, optional); a resumption token stands alone.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
}
_SET_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_STAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.]{8,15}(\+00:00|Z)?$")
SET_NAMES = {"type": "Types de document", "theme": "Thèmes"}
_SCAN = 500  # catalog rows read at a time while filling a page


class OAIError(Exception):
    """A protocol error: answered with HTTP 200 and ``<error code=…>``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def fail(code: str, message: str) -> NoReturn:
    raise OAIError(code, message)


# -- arguments ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """A list request: its arguments and where the previous page stopped."""

    verb: str
    prefix: str
    set: str | None = None
    since: str | None = None  # ``from`` as written
    until: str | None = None
    after: tuple[str, str] | None = None
    sent: int = 0  # records sent before this page (the token's ``cursor``)

    def token(self, after: tuple[str, str], sent: int) -> str:
        data = {"v": self.verb, "m": self.prefix, "s": self.set, "f": self.since, "u": self.until,
                "a": list(after), "n": sent}
        raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_token(verb: str, token: str) -> Query:
    """The query a token carries, checked as strictly as the arguments it replaces."""
    bad = OAIError("badResumptionToken", "Jeton de reprise invalide ou expiré : recommencez la moisson.")
    try:
        if len(token) > 2000:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise bad from None
    if not isinstance(data, dict) or set(data) != {"v", "m", "s", "f", "u", "a", "n"} or data["v"] != verb:
        raise bad
    after, sent = data["a"], data["n"]
    if (data["m"] != PREFIX or not isinstance(sent, int) or isinstance(sent, bool) or not 0 < sent < 10**9
            or not isinstance(after, list) or len(after) != 2 or not all(isinstance(a, str) for a in after)
            or not _STAMP_RE.match(after[0]) or not valid_id(after[1])):
        raise bad
    for key in ("s", "f", "u"):
        if data[key] is not None and not isinstance(data[key], str):
            raise bad
    try:
        query = Query(verb, PREFIX, data["s"], data["f"], data["u"], (after[0], after[1]), sent)
        check_list(query)
    except OAIError:
        raise bad from None
    return query


def arguments() -> dict[str, str]:
    """The request's arguments (query string, or form body of a POST), each given once."""
    values = request.form if request.method == "POST" else request.args
    out = {}
    for key in values:
        given = values.getlist(key)
        if len(given) > 1:
            fail("badVerb" if key == "verb" else "badArgument", f"L'argument « {key} » est répété.")
        out[key] = given[0]
    return out


def check(args: dict[str, str]) -> str:
    """The verb, once its arguments are legal (``badVerb`` / ``badArgument`` otherwise)."""
    verb = args.get("verb")
    if verb not in VERBS:
        fail("badVerb", "Verbe absent ou inconnu : Identify, ListMetadataFormats, ListSets, GetRecord, "
                        "ListIdentifiers ou ListRecords.")
    required, optional = VERBS[verb]
    given = set(args) - {"verb"}
    illegal = given - required - optional
    if illegal:
        fail("badArgument", f"Argument non permis pour {verb} : {', '.join(sorted(illegal))}.")
    if "resumptionToken" in given:
        if given != {"resumptionToken"}:
            fail("badArgument", "Un jeton de reprise s'emploie seul.")
    elif required - given:
        fail("badArgument", f"Argument manquant pour {verb} : {', '.join(sorted(required - given))}.")
    return verb


def _moment(value: str, name: str) -> tuple[datetime, bool]:
    """A ``from``/``until`` value and whether it is a day (else a second), or ``badArgument``."""
    try:
        if _DAY_RE.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), True
        if _SECOND_RE.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False
    except ValueError:
        pass
    fail("badArgument", f"« {name} » doit s'écrire AAAA-MM-JJ ou AAAA-MM-JJThh:mm:ssZ (UTC).")


def check_list(query: Query) -> None:
    if not _SET_RE.match(query.prefix) or ":" in query.prefix:
        fail("badArgument", "metadataPrefix mal formé.")
    if query.prefix != PREFIX:
        fail("cannotDisseminateFormat", f"Seul le format {PREFIX} est diffusé.")
    if query.set is not None and (len(query.set) > 200 or not _SET_RE.match(query.set)):
        fail("badArgument", "Ensemble (set) mal formé.")
    since = _moment(query.since, "from") if query.since is not None else None
    until = _moment(query.until, "until") if query.until is not None else None
    if since and until:
        if since[1] != until[1]:
            fail("badArgument", "« from » et « until » doivent avoir la même précision.")
        if since[0] > until[0]:
            fail("badArgument", "« from » est postérieur à « until ».")


def bounds(query: Query) -> tuple[str | None, str | None]:
    """``from`` (inclusive) and ``until`` (inclusive, to the end of its day or second) as the
    catalog's ISO texts compare: ``since`` <= stamp < ``before``."""
    since = before = None
    if query.since is not None:
        moment, _ = _moment(query.since, "from")
        since = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if query.until is not None:
        moment, day = _moment(query.until, "until")
        before = (moment + (timedelta(days=1) if day else timedelta(seconds=1))).strftime("%Y-%m-%dT%H:%M:%S")
    return since, before


# -- records -----------------------------------------------------------------------------------

def repository_id() -> str:
    """The host of the public address: it makes identifiers unique across the network's
    centres (``oai:kb.example.org:<id>``)."""
    return urlsplit(absolute("/")).hostname or "localhost"


def oai_identifier(doc_id: str) -> str:
    return f"oai:{repository_id()}:{doc_id}"


def doc_id_of(identifier: str) -> str:
    prefix = f"oai:{repository_id()}:"
    doc_id = identifier[len(prefix):] if identifier.startswith(prefix) else ""
    if not valid_id(doc_id):
        fail("idDoesNotExist", "Identifiant inconnu de cet entrepôt.")
    return doc_id


def datestamp(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        moment = datetime(1970, 1, 1, tzinfo=UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def set_specs(kind: str | None, themes: tuple[str, ...]) -> list[str]:
    specs = [f"type:{slugify(kind)}"] if kind else []
    return specs + [f"theme:{slugify(t)}" for t in dict.fromkeys(themes)]


@dataclass(frozen=True)
class Item:
    revision: Revision
    doc: Document | None  # None: deleted
    sets: list[str]


def item(revision: Revision) -> Item | None:
    if not revision.live:
        return Item(revision, None, set_specs(revision.type, revision.themes))
    doc = knowledge_base().catalog.document(revision.id, text=False)
    if doc is None:  # removed since the row was read
        return None
    return Item(revision, doc, set_specs(doc.type, doc.themes))


def in_set(found: Item, wanted: str | None) -> bool:
    return wanted is None or any(s == wanted or s.startswith(wanted + ":") for s in found.sets)


def walk(query: Query) -> Iterator[Item]:
    """The records of ``query`` after its position, in order."""
    catalog = knowledge_base().catalog
    since, before = bounds(query)
    after = query.after
    while True:
        batch = catalog.revisions(since, before, after, _SCAN)
        for revision in batch:
            found = item(revision)
            if found is not None and in_set(found, query.set):
                yield found
        if len(batch) < _SCAN:
            return
        after = (batch[-1].changed_at, batch[-1].id)


# -- XML ---------------------------------------------------------------------------------------

def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
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
    attrs = {"status": "deleted"} if found.doc is None else {}
    element = _sub(parent, "header", **attrs)
    _sub(element, "identifier", oai_identifier(found.revision.id))
    _sub(element, "datestamp", datestamp(found.revision.changed_at))
    for spec in found.sets:
        _sub(element, "setSpec", spec)


def record(parent: ET.Element, found: Item) -> None:
    element = _sub(parent, "record")
    header(element, found)
    if found.doc is not None:
        oai_dc(_sub(element, "metadata"), found.doc)


def identify(root: ET.Element) -> None:
    config = current_app.config
    first = knowledge_base().catalog.revisions(limit=1)
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
    if "identifier" in args and knowledge_base().catalog.revision(doc_id_of(args["identifier"])) is None:
        fail("idDoesNotExist", "Identifiant inconnu de cet entrepôt.")
    element = _sub(root, "ListMetadataFormats")
    fmt = _sub(element, "metadataFormat")
    _sub(fmt, "metadataPrefix", PREFIX)
    _sub(fmt, "schema", OAI_DC_SCHEMA)
    _sub(fmt, "metadataNamespace", OAI_DC)


def sets() -> list[tuple[str, str]]:
    """(setSpec, setName): the types of the base and the themes of its documents."""
    kb = knowledge_base()
    out = [("type", SET_NAMES["type"])]
    out += [(f"type:{slugify(t)}", f"Type : {t}") for t in sorted(kb.catalog.count_by("type")) if t]
    out.append(("theme", SET_NAMES["theme"]))
    facets = kb.search(SearchRequest(page_size=1, facets=True)).facets.get("themes", ())
    out += [(f"theme:{slugify(v.value)}", f"Thème : {v.value}") for v in sorted(facets, key=lambda v: v.value)]
    return list(dict(out).items())


def list_sets(root: ET.Element, args: dict[str, str]) -> None:
    if "resumptionToken" in args:  # every set fits in one answer: no token was ever given
        fail("badResumptionToken", "Cet entrepôt ne donne pas de jeton de reprise pour ListSets.")
    element = _sub(root, "ListSets")
    for spec, name in sets():
        one = _sub(element, "set")
        _sub(one, "setSpec", spec)
        _sub(one, "setName", name)


def get_record(root: ET.Element, args: dict[str, str]) -> None:
    doc_id = doc_id_of(args["identifier"])
    check_list(Query("GetRecord", args["metadataPrefix"]))
    revision = knowledge_base().catalog.revision(doc_id)
    found = item(revision) if revision is not None else None
    if found is None:
        fail("idDoesNotExist", "Identifiant inconnu de cet entrepôt.")
    record(_sub(root, "GetRecord"), found)


def list_items(root: ET.Element, verb: str, args: dict[str, str]) -> None:
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
    body = ET.tostring(root, encoding="unicode")
    return Response(('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8"),
                    mimetype="text/xml", headers={"Cache-Control": "no-cache"})
