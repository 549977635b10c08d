"""RSS 2.0 and Atom 1.0 feeds of a search (the latest documents by default).

Built with ElementTree, which escapes every text node; characters XML 1.0 forbids are removed.
In RSS, ``description`` is HTML by convention, so the summary is HTML-escaped before that.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from flask import current_app

from kb.errors import NotFound
from kb.model import Hit, SearchPage
from webui import knowledge_base
from webui.links import absolute, permalink, stable_link
from webui.params import Search

ATOM = "http://www.w3.org/2005/Atom"
_XML_BAD_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ET.register_namespace("atom", ATOM)  # the RSS self link


def clean(text: str) -> str:
    return _XML_BAD_RE.sub(" ", text)


def when(hit: Hit) -> datetime:
    """The document's date (first day of a partial date), else when it was indexed, in UTC."""
    if hit.date:
        parts = (hit.date.split("-") + ["1", "1"])[:3]
        try:
            return datetime(int(parts[0]), int(parts[1]), int(parts[2][:2]), tzinfo=UTC)
        except ValueError:
            pass
    try:
        entry = knowledge_base().resolve(hit.id)
        stamp = entry.indexed_at or entry.updated_at
        parsed = datetime.fromisoformat(stamp)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (NotFound, ValueError, TypeError):
        return datetime(1970, 1, 1, tzinfo=UTC)


def title_of(state: Search) -> str:
    site = current_app.config["SITE_NAME"]
    if not state.q and not state.filters:
        return f"{site} : derniers documents"
    words = [f"« {state.q} »"] if state.q else []
    words += [f"{k} : {', '.join(v)}" for k, v in state.filters.items()]
    return f"{site} : {' ; '.join(words)}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = clean(text)
    return element


def rss(result: SearchPage, state: Search, self_url: str) -> bytes:
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", title_of(state))
    _sub(channel, "link", absolute(state.url(page=1, selection=())))
    _sub(channel, "description", "Documents des centres de ressources politique de la ville")
    _sub(channel, "language", "fr")
    _sub(channel, f"{{{ATOM}}}link", href=self_url, rel="self", type="application/rss+xml")
    dates = [when(h) for h in result.hits]
    _sub(channel, "lastBuildDate", format_datetime(max(dates) if dates else datetime.now(UTC), usegmt=True))
    for hit, stamp in zip(result.hits, dates):
        item = _sub(channel, "item")
        _sub(item, "title", hit.title)
        _sub(item, "link", permalink(hit.id, hit.title))
        _sub(item, "guid", stable_link(hit.id), isPermaLink="true")
        _sub(item, "pubDate", format_datetime(stamp, usegmt=True))
        if hit.type:
            _sub(item, "category", hit.type)
        for theme in hit.themes:
            _sub(item, "category", theme)
        _sub(item, "description", html.escape(hit.summary or ""))
    return _xml(root)


def atom(result: SearchPage, state: Search, self_url: str) -> bytes:
    # Unqualified tags under a literal xmlns: ElementTree then writes plain <feed>, <entry>...
    a = ""
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "fr"})
    _sub(root, f"{a}title", title_of(state))
    _sub(root, f"{a}id", self_url)
    _sub(root, f"{a}link", href=self_url, rel="self", type="application/atom+xml")
    _sub(root, f"{a}link", href=absolute(state.url(page=1, selection=())), rel="alternate", type="text/html")
    dates = [when(h) for h in result.hits]
    _sub(root, f"{a}updated", (max(dates) if dates else datetime.now(UTC)).isoformat())
    author = _sub(root, f"{a}author")
    _sub(author, f"{a}name", current_app.config["SITE_NAME"])
    for hit, stamp in zip(result.hits, dates):
        entry = _sub(root, f"{a}entry")
        _sub(entry, f"{a}title", hit.title, type="text")
        _sub(entry, f"{a}id", stable_link(hit.id))
        _sub(entry, f"{a}link", href=permalink(hit.id, hit.title), rel="alternate", type="text/html")
        _sub(entry, f"{a}updated", stamp.isoformat())
        for term in ((hit.type,) if hit.type else ()) + hit.themes:
            _sub(entry, f"{a}category", term=clean(term))
        if hit.summary:
            _sub(entry, f"{a}summary", hit.summary, type="text")
    return _xml(root)


def _xml(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")
