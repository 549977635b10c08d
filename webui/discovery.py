"""Being found and reused: the sitemap for search engines, and a search's results exported
in CSV and Dublin Core XML for the centres that keep a library system (PMB, Alexandrie...).

Exports take the search page's own parameters and stop at ``EXPORT_SIZE`` results: one
request never reads the whole base. XML is built with ElementTree (every text escaped); a CSV
cell that a spreadsheet would run as a formula is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app

from kb.catalog import Entry
from kb.model import Document
from kb.permalink import document_url
from kb.vocabulary import default_vocabulary
from webui.context import knowledge_base
from webui.dublincore import MEDIA_TYPES, oai_dc
from webui.feeds import clean
from webui.links import absolute, base_url
from webui.params import abort_fr, search_state

bp = Blueprint("discovery", __name__)

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


# -- sitemap ---------------------------------------------------------------------------------

def _lastmod(stamp: str) -> str:
    """A W3C datetime in UTC, to the second (what the sitemap protocol reads)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp[:10]
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _documents() -> list[Entry]:
    # By date of entry: new documents go to the last file, the earlier files stay as they were.
    entries = knowledge_base().indexed_entries()
    return sorted(entries, key=lambda e: (e.added_at, e.id))


def _xml(root: ET.Element) -> Response:
    body = ET.tostring(root, encoding="unicode", default_namespace=SITEMAP)
    return Response(('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8"), mimetype="application/xml")


def _urlset(entries: list[Entry]) -> Response:
    root = ET.Element(f"{{{SITEMAP}}}urlset")
    base = base_url()
    for entry in entries:
        url = ET.SubElement(root, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = document_url(base, entry.id, entry.title or "")
        ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = _lastmod(entry.updated_at)
    return _xml(root)


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every document's permalink; above ``SITEMAP_SIZE`` of them, an index of sitemap files."""
    entries = _documents()
    size = int(current_app.config["SITEMAP_SIZE"])
    if len(entries) <= size:
        return _urlset(entries)
    root = ET.Element(f"{{{SITEMAP}}}sitemapindex")
    for number in range(1, math.ceil(len(entries) / size) + 1):
        part = entries[(number - 1) * size:number * size]
        element = ET.SubElement(root, f"{{{SITEMAP}}}sitemap")
        ET.SubElement(element, f"{{{SITEMAP}}}loc").text = absolute(f"/sitemap-{number}.xml")
        ET.SubElement(element, f"{{{SITEMAP}}}lastmod").text = _lastmod(max(e.updated_at for e in part))
    return _xml(root)


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> Response:
    """One file of a sitemap split by ``SITEMAP_SIZE``; a 404 for a number past the end, or when the
    sitemap is one file."""
    entries = _documents()
    size = int(current_app.config["SITEMAP_SIZE"])
    part = entries[(number - 1) * size:number * size] if number >= 1 else []
    if not part or len(entries) <= size:
        abort_fr(404, "Ce fichier du plan du site n'existe pas.")
    return _urlset(part)


@bp.get("/robots.txt")
def robots() -> Response:
    """``/robots.txt``: everything may be crawled; the sitemap's address."""
    return Response(f"User-agent: *\nAllow: /\nSitemap: {absolute('/sitemap.xml')}\n", mimetype="text/plain")


# -- exports of a search -----------------------------------------------------------------------

def exported() -> list[Document]:
    """The first ``EXPORT_SIZE`` results of the request's search, in its order, as records
    (metadata only: an export carries no text)."""
    state = search_state()
    size = int(current_app.config["EXPORT_SIZE"])
    kb = knowledge_base()
    result = kb.search(replace(state, page=1).request(size, facets=False))
    docs = []
    for hit in result.hits:
        doc = kb.record(hit.id, text=False)
        if doc is not None:  # removed meanwhile
            docs.append(doc)
    return docs


CSV_COLUMNS = ("identifiant", "titre", "type", "date", "auteur", "thèmes", "organisations", "dispositifs",
               "territoire", "langue", "résumé", "licence", "source", "format", "lien")


def _cell(value: str) -> str:
    # A cell starting with = + - @ (or a tab, a return) is a formula to Excel and LibreOffice.
    value = value.replace("\x00", "")
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_row(doc: Document) -> list[str]:
    """The CSV cells of ``doc``, in the order of ``CSV_COLUMNS``, each made safe from spreadsheet formulas."""
    bodies, schemes = default_vocabulary().split(doc.organisations)
    values = [doc.id, doc.title, doc.type, doc.date or "", doc.author or "", " ; ".join(doc.themes),
              " ; ".join(bodies), " ; ".join(schemes), doc.territory or "", doc.language or "", doc.summary,
              doc.licence or "", doc.url or "", MEDIA_TYPES.get(doc.format, doc.format),
              document_url(base_url(), doc.id, doc.title)]
    return [_cell(v) for v in values]


@bp.get("/recherche.csv")
def search_csv() -> Response:
    """``/recherche.csv``: the search's first ``EXPORT_SIZE`` results as a CSV file that Excel and
    LibreOffice open with their accents."""
    out = io.StringIO()
    # The byte order mark makes Excel read UTF-8 (accents) instead of the system's code page.
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for doc in exported():
        writer.writerow(csv_row(doc))
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="passerelles-recherche.csv"'})


@bp.get("/recherche.dc.xml")
def search_dc() -> Response:
    """``/recherche.dc.xml``: the search's first ``EXPORT_SIZE`` results as Dublin Core records."""
    docs = exported()
    root = ET.Element("records", {"count": str(len(docs)), "source": clean(absolute("/"))})
    for doc in docs:
        oai_dc(root, doc)
    body = ET.tostring(root, encoding="unicode")
    return Response(('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8"), mimetype="application/xml",
                    headers={"Content-Disposition": 'attachment; filename="passerelles-recherche.dc.xml"'})
