"""RSS 2.0 and Atom 1.0 feeds of a search (the latest documents by default).

Items are ordered and dated by when each document entered the base (the catalog's
``added_at``, kept across rebuilds, edits and moves), not by the document's own date: a 2010
guide indexed today is news for a watch feed, and a rebuild announces nothing again. The
document's own date, its licence and its source are told in the item.

Built with ElementTree, which escapes every text node; characters XML 1.0 forbids are removed.
In RSS, ``description`` is HTML by convention, so its parts are HTML-escaped before that.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from flask import current_app

from kb.errors import NotFound
from kb.fields import FACET_LABELS
from kb.model import Document, Hit, SearchPage
from webui.context import knowledge_base
from webui.filters import date_fr
from webui.links import absolute, permalink, stable_link
from webui.params import Search, shown_value
from webui.typography import french_spaces

ATOM = "http://www.w3.org/2005/Atom"
_XML_BAD_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ET.register_namespace("atom", ATOM)  # the RSS self link
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (each becomes a space)."""
    return _XML_BAD_RE.sub(" ", text)


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    """One feed item: the hit, its full record (licence, source) and its dates."""

    hit: Hit
    doc: Document | None
    added: datetime  # when it entered the base: the item's date
    changed: datetime  # when its catalog row last changed (for Last-Modified)


def items(result: SearchPage) -> list[Item]:
    """The feed's items, with what the catalog knows of each (a document removed meanwhile
    is left out)."""
    kb = knowledge_base()
    out = []
    for hit in result.hits:
        try:
            entry = kb.resolve(hit.id)
            doc = kb.record(entry.id, text=False)  # metadata: a feed shows no text
        except NotFound:
            continue
        added = _parse(hit.added) or _parse(entry.added_at) or EPOCH
        out.append(Item(hit, doc, added, max(added, _parse(entry.updated_at) or added)))
    return out


def last_modified(feed: list[Item]) -> datetime:
    """The newest change among the items (``EPOCH`` for an empty feed)."""
    return max((i.changed for i in feed), default=EPOCH)


def etag(body: bytes) -> str:
    """The entity tag of a feed's body: a conditional request gets a 304 while it is unchanged."""
    return hashlib.sha256(body).hexdigest()[:32]


def title_of(state: Search) -> str:
    """The feed's title: the site's name with the query and filters of ``state`` in words."""
    site = current_app.config["SITE_NAME"]
    if not state.q and not state.filters:
        return f"{site} : derniers documents"
    words = [french_spaces(f"« {state.q} »")] if state.q else []
    words += [f"{FACET_LABELS.get(k, k)} : {' ou '.join(shown_value(k, x) for x in v)}"
              for k, v in state.filters.items()]
    return f"{site} : {' ; '.join(words)}"


def source_of(doc: Document | None) -> str:
    """Who published the document and where it came from, as the licence asks to credit it."""
    if doc is None:
        return ""
    who = doc.author or ", ".join(doc.organisations[:2])
    return " — ".join(p for p in (who, doc.url or "") if p)


def facts(item: Item) -> list[tuple[str, str]]:
    """(label, value) lines told under the summary: own date, licence, source."""
    out = []
    if item.hit.date:
        out.append(("Date du document", date_fr(item.hit.date)))
    if item.doc is not None and item.doc.licence:
        out.append(("Licence", item.doc.licence))
    source = source_of(item.doc)
    if source:
        out.append(("Source", source))
    return out


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Attributes too: a feed's own address holds its query string as it came.
    element = ET.SubElement(parent, tag, {name: clean(value) for name, value in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def rss(feed: list[Item], state: Search, self_url: str) -> bytes:
    """The RSS 2.0 feed of ``feed`` for the search ``state``, whose own address is ``self_url``."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", title_of(state))
    _sub(channel, "link", absolute(state.url(page=1, selection=())))
    _sub(channel, "description", "Documents des centres de ressources politique de la ville, "
                                 "du plus récemment entré dans la base au plus ancien")
    _sub(channel, "language", "fr")
    _sub(channel, f"{{{ATOM}}}link", href=self_url, rel="self", type="application/rss+xml")
    _sub(channel, "lastBuildDate", format_datetime(last_modified(feed), usegmt=True))
    for item in feed:
        hit = item.hit
        element = _sub(channel, "item")
        _sub(element, "title", hit.title)
        _sub(element, "link", permalink(hit.id, hit.title))
        _sub(element, "guid", stable_link(hit.id), isPermaLink="true")
        _sub(element, "pubDate", format_datetime(item.added, usegmt=True))
        if hit.type:
            _sub(element, "category", hit.type)
        for theme in hit.themes:
            _sub(element, "category", theme)
        parts = [f"<p>{html.escape(hit.summary)}</p>"] if hit.summary else []
        parts += [f"<p>{html.escape(label)} : {html.escape(value)}</p>" for label, value in facts(item)]
        _sub(element, "description", "\n".join(parts))
    return _xml(root)


def atom(feed: list[Item], state: Search, self_url: str) -> bytes:
    """The Atom 1.0 feed of ``feed`` for the search ``state``, whose own address is ``self_url``."""
    # Unqualified tags under a literal xmlns: ElementTree then writes plain <feed>, <entry>...
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "fr"})
    _sub(root, "title", title_of(state))
    _sub(root, "id", self_url)
    _sub(root, "link", href=self_url, rel="self", type="application/atom+xml")
    _sub(root, "link", href=absolute(state.url(page=1, selection=())), rel="alternate", type="text/html")
    _sub(root, "updated", last_modified(feed).isoformat())
    author = _sub(root, "author")
    _sub(author, "name", current_app.config["SITE_NAME"])
    for item in feed:
        hit = item.hit
        entry = _sub(root, "entry")
        _sub(entry, "title", hit.title, type="text")
        _sub(entry, "id", stable_link(hit.id))
        _sub(entry, "link", href=permalink(hit.id, hit.title), rel="alternate", type="text/html")
        _sub(entry, "published", item.added.isoformat())
        _sub(entry, "updated", item.added.isoformat())
        if item.doc is not None and (item.doc.author or item.doc.organisations):
            who = _sub(entry, "author")
            _sub(who, "name", item.doc.author or ", ".join(item.doc.organisations[:2]))
        for term in ((hit.type,) if hit.type else ()) + hit.themes:
            _sub(entry, "category", term=clean(term))
        lines = [hit.summary] if hit.summary else []
        lines += [f"{label} : {value}" for label, value in facts(item)]
        if lines:
            _sub(entry, "summary", "\n\n".join(lines), type="text")
        if item.doc is not None and item.doc.licence:
            _sub(entry, "rights", item.doc.licence, type="text")
    return _xml(root)


def _xml(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")
