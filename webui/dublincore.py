"""Dublin Core of a document: one mapping for OAI-PMH records, search exports, page tags and
schema.org data, so that a harvester, a library system and a search engine read the same
description.

XML is built with ElementTree, which escapes every text node; characters XML 1.0 forbids are
removed first (``feeds.clean``): a document's text is data, never markup.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from flask import current_app

from kb.model import Document
from webui.feeds import clean
from webui.links import base_url, permalink

DC = "http://purl.org/dc/elements/1.1/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("dc", DC)
ET.register_namespace("oai_dc", OAI_DC)
ET.register_namespace("xsi", XSI)

# The media type of each format the indexer reads (dc:format asks for one); an unknown
# format is given by its name.
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "markdown": "text/markdown",
    "text": "text/plain",
    "doc": "application/msword",
    "rtf": "application/rtf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
}

# A document citing the QPV zoning covers the priority neighbourhoods: said in dc:coverage
# beside its own territory (the mapping the network's portals suggest).
QPV = "Quartiers prioritaires de la politique de la ville (QPV)"


def publisher() -> str:
    """Who makes the documents available: the centre (``KB_PUBLISHER``), else the site."""
    return str(current_app.config.get("PUBLISHER") or current_app.config["SITE_NAME"])


def elements(doc: Document) -> list[tuple[str, str]]:
    """(Dublin Core element, value) pairs of ``doc``, in the order of the oai_dc schema, empty
    values left out."""
    pairs: list[tuple[str, str | None]] = [("title", doc.title), ("creator", doc.author)]
    pairs += [("subject", theme) for theme in doc.themes]
    pairs += [("description", doc.summary), ("publisher", publisher()), ("date", doc.date),
              # The DCMI type vocabulary first, for generic harvesters; then our own type.
              ("type", "Text"), ("type", doc.type),
              ("format", MEDIA_TYPES.get(doc.format, doc.format)),
              ("identifier", permalink(doc.id, doc.title)), ("source", doc.url), ("language", doc.language),
              ("coverage", doc.territory)]
    if "QPV" in doc.organisations:
        pairs.append(("coverage", QPV))
    pairs.append(("rights", doc.licence))
    return [(name, clean(value).strip()) for name, value in pairs if value and clean(value).strip()]


def oai_dc(parent: ET.Element | None, doc: Document) -> ET.Element:
    """An ``oai_dc:dc`` element describing ``doc`` (under ``parent`` when given)."""
    attrs = {f"{{{XSI}}}schemaLocation": f"{OAI_DC} {OAI_DC_SCHEMA}"}
    root = ET.Element(f"{{{OAI_DC}}}dc", attrs) if parent is None else ET.SubElement(parent, f"{{{OAI_DC}}}dc", attrs)
    for name, value in elements(doc):
        ET.SubElement(root, f"{{{DC}}}{name}").text = value
    return root


def meta_tags(doc: Document) -> list[tuple[str, str]]:
    """(name, content) of the ``<meta name="DC.…">`` tags of a document page (DC-HTML)."""
    return [(f"DC.{name}", value) for name, value in elements(doc)]


def json_ld(doc: Document) -> dict[str, Any]:
    """schema.org description of ``doc`` (a ``CreativeWork``: reports, charters, minutes...).
    Serialised by the template's ``tojson``, which escapes ``<``, ``>`` and ``&``: a title
    holding ``</script>`` cannot close the script element."""
    link = permalink(doc.id, doc.title)
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "CreativeWork", "@id": link, "url": link,
        "name": doc.title, "genre": doc.type, "encodingFormat": MEDIA_TYPES.get(doc.format, doc.format),
        "publisher": {"@type": "Organization", "name": publisher(), "url": base_url() + "/"},
    }
    optional: dict[str, Any] = {
        "description": doc.summary or None, "dateCreated": doc.date, "inLanguage": doc.language,
        "keywords": list(doc.themes) or None, "license": doc.licence, "isBasedOn": doc.url,
        "spatialCoverage": doc.territory,
        # A name alone: whether the author is a person or a body is not recorded.
        "author": doc.author,
    }
    data.update({k: v for k, v in optional.items() if v})
    return data
