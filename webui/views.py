"""The HTML blueprint: search page, document pages, originals, newsletter selection, feeds."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import HTTPException

from kb.errors import KBError, NotFound
from kb.fields import FACET_LABELS, FACET_PARAMS, PARAM_OF
from kb.model import Document, SearchPage
from kb.permalink import slugify
from kb.practice import PRACTICE_FACETS, PRACTICE_FIELDS
from kb.sectioning import sections_of
from kb.sections import default_sections
from kb.vocabulary import default_vocabulary
from webui import dublincore, feeds
from webui.context import knowledge_base
from webui.filters import date_fr, file_name
from webui.links import base_url, document_path, permalink
from webui.params import Search, abort_fr, search_state, valid_id
from webui.selection import current as current_selection
from webui.typography import french_spaces

bp = Blueprint("views", __name__)

# What the browser is told an original is. HTML (and anything unknown) is never served as
# HTML from our origin: a stored page could carry scripts (see original()).
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "markdown": "text/plain",
    "text": "text/plain",
    "html": "text/plain",
}


# -- template globals --------------------------------------------------------------------------

@bp.app_context_processor
def globals_() -> dict[str, Any]:
    """What every template sees: the site's name, the facet labels, the document path builder and
    the visitor's selection."""
    try:
        sel_ids = current_selection()
    except (HTTPException, KBError):  # an unreadable selection must not break an error page
        sel_ids = ()
    return {"site_name": current_app.config["SITE_NAME"], "document_path": document_path,
            "facet_labels": FACET_LABELS, "sel_ids": sel_ids}


# -- search -----------------------------------------------------------------------------------

def run_search(state: Search, page_size: int, facets: bool = True) -> SearchPage:
    """The core's answer to the search ``state``, ``page_size`` hits a page."""
    return knowledge_base().search(state.request(page_size, facets))


@bp.get("/")
@bp.get("/recherche")
def search() -> Response:
    """``/`` and ``/recherche``: the search page, with its facets, feeds and export links."""
    state = search_state()
    page_size = current_app.config["PAGE_SIZE"]
    result = run_search(state, page_size)
    facets = [(param, FACET_LABELS[param], result.facets.get(field, ()))
              for param, field in FACET_PARAMS.items()]
    # The search time means nothing to readers (« 0 ms » on a small base): it goes to the
    # browser's developer tools only.
    response = make_response(render_template(
        "search.html", state=state, result=result, pages=result.pages, facets=facets,
        feed_query=state.params(page=1, selection=()), feed_title=feeds.title_of(state),
        export_query=state.params(page=1, selection=()), export_size=current_app.config["EXPORT_SIZE"],
        field_params=PARAM_OF,
    ))
    response.headers["Server-Timing"] = f"search;dur={result.elapsed_ms:.1f}"
    return response


# -- documents --------------------------------------------------------------------------------

def load(doc_id: str, text: bool = True) -> Document:
    """The document ``doc_id`` (without ``text``: its metadata only) or a 404; the id is
    checked before any lookup."""
    if not valid_id(doc_id):
        abort_fr(404, "Document introuvable.")
    return knowledge_base().document(doc_id, text)


@bp.get("/d/<doc_id>")
@bp.get("/d/<doc_id>/<slug>")
def document(doc_id: str, slug: str | None = None) -> Any:
    """``/d/<id>/<slug>``: a document's page, one part of its text at a time (``partie``), with the
    passages matching ``q`` and similar documents; any other slug redirects to the canonical one."""
    doc = load(doc_id, text=False)  # the text comes part by part: one is read, not the whole
    canonical = slugify(doc.title)
    if slug != canonical:
        target = url_for("views.document", doc_id=doc.id, slug=canonical)
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
        return redirect(target, 301)
    number = request.args.get("partie", 1, type=int)
    try:
        part = knowledge_base().part(doc.id, number or 0)
    except NotFound:
        count = knowledge_base().part(doc.id, 1).count
        abort_fr(404, f"Ce document compte {count} partie(s) : la partie demandée n'existe pas.")
    q = request.args.get("q", "")[: current_app.config["MAX_QUERY_CHARS"]].strip()
    # The core may return the same window more than once: show each passage once.
    passages = tuple(dict.fromkeys(knowledge_base().passages(doc.id, q, 3))) if q else ()
    similar = knowledge_base().similar(doc.id, 5)
    link = permalink(doc.id, doc.title)
    bodies, schemes = default_vocabulary().split(doc.organisations)
    return render_template("document.html", doc=doc, bodies=bodies, schemes=schemes, watch=watch_feeds(doc), q=q,
                           sheet=sheet_of(doc) if part.count == 1 else (),
                           practice_fields=list(PRACTICE_FIELDS.items()), practice_facets=PRACTICE_FACETS,
                           passages=passages, similar=similar, permalink=link, citation=citation(doc, link),
                           dc_meta=dublincore.meta_tags(doc), json_ld=dublincore.json_ld(doc),
                           blocks=[(page, continued, paragraphs(text)) for page, continued, text in part.blocks],
                           paged=part.paged, has_text=part.has_text, part=part.number, part_count=part.count,
                           part_url=lambda n: url_for("views.document", doc_id=doc.id, slug=canonical,
                                                      partie=n if n > 1 else None, q=q or None))


def sheet_of(doc: Document) -> list[tuple[str, str, str, list[str]]]:
    """A practice sheet's text as blocks in order: (anchor key, French label, heading as
    written, paragraphs) for each section, and ("", "", "", paragraphs) for the text outside
    them (before the first heading, a section's repeated heading…), so that nothing of the
    text is left out; read from the whole text (a document in one part only); [] when the
    document has no sections."""
    if doc.sections == ():
        return []
    full = knowledge_base().document(doc.id)
    labels = default_sections().labels
    blocks: list[tuple[str, str, str, list[str]]] = []
    at = 0
    # A record written before sections were recognised has None: they are found now.
    for s in sections_of(full):
        heading = full.text.rfind(s.title, at, s.start)
        outside = full.text[at:heading if heading >= 0 else s.start]
        if outside.strip():
            blocks.append(("", "", "", paragraphs(outside)))
        blocks.append((s.key, labels.get(s.key, s.title), s.title, paragraphs(full.text[s.start:s.end])))
        at = s.end
    if full.text[at:].strip():
        blocks.append(("", "", "", paragraphs(full.text[at:])))
    return blocks


def watch_feeds(doc: Document) -> list[tuple[str, str, str]]:
    """(what, RSS URL, Atom URL) of the feeds a reader of ``doc`` may follow: its type's and
    each of its themes'."""
    wanted = ([("type", doc.type, f"les {doc.type}" if doc.type != "autre" else "")] +
              [("theme", t, french_spaces(f"le thème « {t} »")) for t in doc.themes])
    out = []
    for name, value, what in wanted:
        if value and what:
            query = "?" + urlencode({name: value})
            out.append((what, url_for("views.feed_rss") + query, url_for("views.feed_atom") + query))
    return out


def citation(doc: Document, link: str) -> str:
    """A plain-text reference: author or organisation, title, type, date, URL, access date,
    then the original address and the licence (which reuse under CC or Licence Ouverte asks for)."""
    who = doc.author or ", ".join(doc.organisations[:2])
    parts = [p for p in (who, f"« {doc.title} »", doc.type, date_fr(doc.date)) if p]
    text = (f"{', '.join(parts)}. {current_app.config['SITE_NAME']}, {link} "
            f"(consulté le {date_fr(date.today().isoformat())}).")
    if doc.url:
        text += f" Original : {doc.url}."
    if doc.licence:
        text += f" Licence : {doc.licence}."
    return french_spaces(text)


def paragraphs(text: str) -> list[str]:
    """``text`` cut into paragraphs at blank lines."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


@bp.get("/d/<doc_id>/original")
def original(doc_id: str) -> Response:
    """The stored original: id -> catalog -> store, never a path taken from the URL."""
    doc = load(doc_id, text=False)
    try:
        path = knowledge_base().original(doc.id)
    except NotFound:
        abort_fr(404, "L'original de ce document n'est plus conservé.")
    name = file_name(doc.path) or f"{doc.id}.bin"
    name = re.sub(r'[\x00-\x1f\x7f"\\/]', "_", name)[:150]
    mimetype = CONTENT_TYPES.get(doc.format)
    response = send_file(path, mimetype=mimetype or "application/octet-stream", as_attachment=mimetype is None,
                         download_name=name, conditional=True, max_age=3600)
    if mimetype == "text/plain":
        response.headers["Content-Type"] = f"text/plain; charset={text_charset(path)}"
    if doc.format != "pdf":
        # A text or unknown original is inert: no script, no plugin, no same-origin rights.
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    return response


def text_charset(path: Path) -> str:
    """UTF-8 when the start of the file decodes as such, else Windows-1252 (legacy files)."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "windows-1252"
    return "utf-8"


# -- feeds -----------------------------------------------------------------------------------

# Feed readers and RSS-to-e-mail tools poll: a shared cache may keep a feed this long, and the
# ETag / Last-Modified let a poller ask again for the cost of a 304.
FEED_MAX_AGE = 300


def feed_items() -> tuple[Search, list[feeds.Item]]:
    """The search of the request, newest entries in the base first (whatever ``tri`` says:
    a watch feed lists what is new), as feed items."""
    state = search_state(default_sort="date")
    wanted = replace(replace(state, page=1).request(current_app.config["FEED_SIZE"], facets=False),
                     sort="added")
    return state, feeds.items(knowledge_base().search(wanted))


def feed_response(body: bytes, mimetype: str, found: list[feeds.Item]) -> Response:
    """The feed ``body`` with the caching headers a poller uses (ETag, Last-Modified, max-age): a
    304 when the client's copy is current."""
    response = Response(body, mimetype=mimetype)
    response.set_etag(feeds.etag(body))
    response.last_modified = feeds.last_modified(found)
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    response.make_conditional(request)  # turns it into a 304 when the client's copy is current
    return response


@bp.get("/flux.rss")
def feed_rss() -> Response:
    """``/flux.rss``: the RSS feed of the request's search."""
    state, found = feed_items()
    body = feeds.rss(found, state, self_url=base_url() + request.full_path.rstrip("?"))
    return feed_response(body, "application/rss+xml", found)


@bp.get("/flux.atom")
def feed_atom() -> Response:
    """``/flux.atom``: the Atom feed of the request's search."""
    state, found = feed_items()
    body = feeds.atom(found, state, self_url=base_url() + request.full_path.rstrip("?"))
    return feed_response(body, "application/atom+xml", found)


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for it on pages without a <link rel="icon"> (a PDF shown inline)."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


# -- about -----------------------------------------------------------------------------------

@bp.get("/accessibilite")
def accessibility() -> str:
    """``/accessibilite``: the accessibility statement."""
    return render_template("accessibility.html")


@bp.get("/aide/api")
def api_help() -> str:
    """The API explained to people, with examples that work on this base; the machine-readable
    description stays at /api/openapi.json."""
    latest = run_search(Search(sort="date"), 1, facets=False).hits
    return render_template("api_help.html", example_id=latest[0].id if latest else None, base=base_url())

