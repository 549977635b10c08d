"""The arguments of an OAI-PMH request, checked as the protocol says (``badVerb``,
``badArgument``, ``cannotDisseminateFormat``), and the stateless resumption tokens
(``badResumptionToken``): the request's arguments and the position reached, as
``(datestamp, id)`` of the last record sent, in URL-safe base64 JSON. A token is checked field
by field as strictly as the arguments it replaces: it is the client's text, not ours."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from flask import request

from webui.params import valid_id

PREFIX = "oai_dc"

# Arguments each verb takes: (required, optional); a resumption token stands alone.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
}
_SET_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")
_DAY_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_SECOND_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_STAMP_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,15}(\+00:00|Z)?\Z")


class OAIError(Exception):
    """A protocol error: answered with HTTP 200 and ``<error code=…>``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def fail(code: str, message: str) -> NoReturn:
    """Stop the request with the protocol error ``code`` and its French ``message``."""
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
        """The resumption token for the page after ``after`` (the last revision sent), ``sent`` records in."""
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
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: "[[[[…" nested past the stack
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
    """Refuse (``badArgument``, ``cannotDisseminateFormat``) a list request with a bad prefix, set
    or date range."""
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
        try:
            before = (moment + (timedelta(days=1) if day else timedelta(seconds=1))).strftime("%Y-%m-%dT%H:%M:%S")
        except OverflowError:  # the last moment there is (9999-12-31): no upper bound
            before = None
    return since, before
