"""Request parameters shared by the pages, the feeds and the API: parsed strictly, bounded,
turned into a ``SearchRequest``. Every refusal is a 400 with a French reason, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NoReturn
from urllib.parse import quote_plus, urlencode

from flask import current_app, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.exceptions import NotFound as HTTPNotFound

from kb.fields import FACET_LABELS, FACET_PARAMS
from kb.model import FacetValue, SearchRequest
from kb.sections import default_sections

# URL parameter <-> facet field of the core, and its French label: kb.fields.
SORTS = {"pertinence": "relevance", "date": "date"}

# Document ids are hex digests (12 characters today); anything else is refused before lookup.
_ID_RE = re.compile(r"[0-9a-f]{8,64}")
_UTM_RE = re.compile(r"^[\w .\-+]{1,100}\Z")
# ASCII digits only: str.isdigit() also takes "²" or "①", which int() refuses (a 500), and
# int() takes Arabic or full-width digits no one means as a page number.
_INTEGER_RE = re.compile(r"[0-9]{1,9}")


def abort_fr(status: int, message: str) -> NoReturn:
    """Abort with a French message shown to the user (pages and JSON alike)."""
    exc: HTTPException = BadRequest(message) if status == 400 else HTTPNotFound(message)
    if status not in (400, 404):
        exc = HTTPException(message)
        exc.code = status
    exc.french = True  # type: ignore[attr-defined]
    raise exc


def valid_id(value: str) -> bool:
    """Whether ``value`` has the form of a document id (checked before any lookup)."""
    return bool(_ID_RE.fullmatch(value))


def _value(name: str, limit: int) -> str:
    value = request.args.get(name, "")
    if len(value) > limit:
        abort_fr(400, f"Le paramètre « {name} » est trop long ({limit} caractères au plus).")
    return value.strip()


def integer(name: str, default: int, low: int, high: int) -> int:
    """The integer request parameter ``name``: ``default`` when absent, a French 400 unless it lies
    in ``low``..``high``."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not _INTEGER_RE.fullmatch(raw.strip()):
        abort_fr(400, f"Le paramètre « {name} » doit être un nombre entier.")
    number = int(raw)
    if not low <= number <= high:
        abort_fr(400, f"Le paramètre « {name} » doit être compris entre {low} et {high}.")
    return number


def query_text() -> str:
    """The request's query ``q``, stripped; a 400 when longer than ``MAX_QUERY_CHARS``."""
    return _value("q", current_app.config["MAX_QUERY_CHARS"])


@dataclass(frozen=True)
class Search:
    """The search state carried by a URL: query, filters, sort, page and selection."""

    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # URL param -> values
    sort: str = "pertinence"
    sort_given: bool = False
    page: int = 1
    selection: tuple[str, ...] = ()

    def request(self, page_size: int, facets: bool = True) -> SearchRequest:
        """The core's request for this state: ``page_size`` hits, with or without facets."""
        return SearchRequest(
            query=self.q, page=self.page, page_size=page_size, sort=SORTS[self.sort], facets=facets,
            filters={FACET_PARAMS[k]: v for k, v in self.filters.items() if v},
        )

    def params(self, **changes: object) -> list[tuple[str, str]]:
        """URL parameters of this state with ``changes`` (page resets unless given)."""
        q = str(changes.get("q", self.q))
        filters = changes.get("filters", self.filters)
        assert isinstance(filters, dict)
        out: list[tuple[str, str]] = [("q", q)] if q else []
        for name in FACET_PARAMS:
            out.extend((name, v) for v in filters.get(name, ()))
        sort = str(changes.get("sort", self.sort if self.sort_given else ""))
        if sort:
            out.append(("tri", sort))
        page = int(str(changes.get("page", 1)))
        if page > 1:
            out.append(("page", str(page)))
        selection = changes.get("selection", self.selection)
        assert isinstance(selection, tuple)
        if selection:
            out.append(("sel", ",".join(selection)))
        return out

    def url(self, endpoint_path: str = "/recherche", **changes: object) -> str:
        """The URL of this state with ``changes`` (see ``params``) on ``endpoint_path``."""
        params = self.params(**changes)
        return endpoint_path + ("?" + urlencode(params) if params else "")

    def toggled(self, name: str, value: str) -> str:
        """The URL with facet value ``value`` of ``name`` switched on or off (the URL
        ``url(filters=...)`` gives, page reset)."""
        values = self.filters.get(name, ())
        new = tuple(v for v in values if v != value) if value in values else values + (value,)
        before, after = self._around[name]
        middle = "&".join(f"{name}={_quoted(v)}" for v in new)
        query = "&".join(part for part in (before, middle, after) if part)
        return "/recherche" + ("?" + query if query else "")

    def facet_links(self, name: str, values: Iterable[FacetValue]) -> list[tuple[FacetValue, str, bool]]:
        """(facet value, ``toggled`` URL, whether it is ticked) of each of ``values`` (facet
        values of ``name``): one call per facet for a template, not one per value."""
        chosen = self.filters.get(name, ())
        return [(fv, self.toggled(name, fv.value), fv.value in chosen) for fv in values]

    @cached_property
    def _around(self) -> dict[str, tuple[str, str]]:
        """For each facet parameter, this state's other parameters encoded once (page reset):
        those before it (the query, the facets before) and after it (the facets after, sort
        and selection). A results page links every facet value shown (dozens), and encoding
        the whole state for each link was a third of rendering it."""
        params = self.params(filters={})
        head = urlencode([("q", self.q)]) if self.q else ""
        tail = urlencode([(k, v) for k, v in params if k != "q"])
        encoded = [urlencode([(name, v) for v in self.filters.get(name, ())]) for name in FACET_PARAMS]
        out = {}
        for i, name in enumerate(FACET_PARAMS):
            before = "&".join(part for part in [head, *encoded[:i]] if part)
            after = "&".join(part for part in [*encoded[i + 1:], tail] if part)
            out[name] = (before, after)
        return out

    def active(self) -> list[tuple[str, str, str]]:
        """(label, value, URL without it) for each active filter: the removable chips."""
        return [(FACET_LABELS[name], shown_value(name, value), self.toggled(name, value))
                for name, values in self.filters.items() for value in values]


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    """``value`` encoded as ``urlencode`` encodes it; the same facet values come back on every
    results page."""
    return quote_plus(value)


def shown_value(name: str, value: str) -> str:
    """A filter's value as people read it: a section by its label, not its key."""
    return default_sections().labels.get(value, value) if name == "section" else value


def search_state(default_sort: str | None = None) -> Search:
    """Parse the search parameters of the current request (400 on anything out of bounds)."""
    config = current_app.config
    q = query_text()
    filters: dict[str, tuple[str, ...]] = {}
    for name in FACET_PARAMS:
        values = [v.strip() for v in request.args.getlist(name) if v.strip()]
        if len(values) > config["MAX_FILTER_VALUES"]:
            abort_fr(400, f"Trop de valeurs pour le filtre « {name} ».")
        if any(len(v) > config["MAX_PARAM_CHARS"] for v in values):
            abort_fr(400, f"Une valeur du filtre « {name} » est trop longue.")
        if values:
            filters[name] = tuple(dict.fromkeys(values))
    if sum(len(values) for values in filters.values()) > config["MAX_FILTERS"]:
        abort_fr(400, f"Trop de filtres ({config['MAX_FILTERS']} au plus).")
    raw_sort = _value("tri", 20)
    if raw_sort and raw_sort not in SORTS:
        abort_fr(400, "Le tri doit être « pertinence » ou « date ».")
    sort = raw_sort or default_sort or ("pertinence" if q else "date")
    page = integer("page", 1, 1, config["MAX_PAGE"])
    # The selection is kept in a cookie (webui.selection), not in search links.
    return Search(q=q, filters=filters, sort=sort, sort_given=bool(raw_sort), page=page)


def selection() -> tuple[str, ...]:
    """Selected document ids from ``sel`` (comma-separated and/or repeated), in order, deduplicated.
    Malformed ids are dropped: a selection is a convenience, not worth an error page."""
    ids: list[str] = []
    for raw in request.args.getlist("sel"):
        if len(raw) > 70 * current_app.config["MAX_SELECTION"]:
            abort_fr(400, "La sélection est trop longue.")
        ids.extend(part.strip().lower() for part in raw.split(","))
    clean = tuple(dict.fromkeys(i for i in ids if valid_id(i)))
    if len(clean) > current_app.config["MAX_SELECTION"]:
        abort_fr(400, f"La sélection est limitée à {current_app.config['MAX_SELECTION']} documents.")
    return clean


def utm() -> dict[str, str]:
    """The campaign parameters to append to exported links (only safe, short values)."""
    out = {}
    for name in ("utm_source", "utm_medium", "utm_campaign"):
        value = _value(name, 100)
        if value:
            if not _UTM_RE.match(value):
                abort_fr(400, f"Le paramètre « {name} » ne peut contenir que lettres, chiffres, espaces, . - + et _.")
            out[name] = value
    return out
