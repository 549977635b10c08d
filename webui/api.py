"""The JSON API blueprint (``/api``): search in the shape of ``kb search --json``, document
metadata, and the OpenAPI description. Errors use the one JSON shape (see webui.errors)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from kb.fields import PARAM_OF
from kb.model import Document
from webui.context import knowledge_base
from webui.links import permalink
from webui.openapi import spec
from webui.params import abort_fr, integer, search_state, valid_id

bp = Blueprint("api", __name__)


@bp.get("/search")
def search() -> Response:
    """``/api/search``: a page of results (``limit`` hits, 1 to 100) with the facets, in the shape
    of ``kb search --json``; each hit carries its licence, author and source address."""
    limit = integer("limit", 10, 1, 100)
    state = search_state()
    result = knowledge_base().search(state.request(limit))
    # Licence and source are not in the index: read from the catalog, one record per hit.
    records = {h.id: knowledge_base().record(h.id, text=False) for h in result.hits}
    hits = [{"id": h.id, "title": h.title, "type": h.type, "date": h.date, "path": h.path, "page": h.page,
             "collection": h.collection, "score": h.score,
             "relatives": [{"id": i, "title": t, "label": label} for i, t, label in h.relatives],
             "snippet": h.snippet, **_credit(records.get(h.id))} for h in result.hits]
    facets = {PARAM_OF[field]: [{"value": v.value, "count": v.count} for v in values]
              for field, values in result.facets.items() if field in PARAM_OF}
    # Past the last page the last one is sent (as on the search page): "page" says which, so
    # that a client paging until it gets no hits knows where to stop.
    payload: dict[str, Any] = {"total": result.total, "page": result.page, "pages": result.pages, "hits": hits,
                               "facets": facets, "suggestion": result.suggestion, "corrected": result.corrected}
    return jsonify(payload)


def _credit(doc: Document | None) -> dict[str, str | None]:
    """What reusing a document requires: its licence, its author and its original address."""
    return {"licence": doc.licence if doc else None, "author": doc.author if doc else None,
            "url": doc.url if doc else None}


@bp.get("/documents/<doc_id>")
def document(doc_id: str) -> Response:
    """``/api/documents/<id>``: a document's metadata and permalink; with ``text=1`` its text and
    its pages too, written out as they are read."""
    if not valid_id(doc_id):
        abort_fr(400, "Identifiant de document invalide (hexadécimal attendu).")
    text = request.args.get("text", "0")
    if text not in ("0", "1", "true", "false"):
        abort_fr(400, "Le paramètre « text » vaut 0 ou 1.")
    with_text = text in ("1", "true")
    base = knowledge_base()
    doc = base.document(doc_id, text=False)
    data = doc.to_dict()
    del data["text"], data["pages"]
    data["year"] = doc.year
    data["permalink"] = permalink(doc.id, doc.title)
    if not with_text:
        return jsonify(data)
    # The text is written out part by part: a 20-million-character report would otherwise be
    # held whole, several times over, by every request asking for it.
    return Response(_with_text(data, base.text_chunks(doc.id), base.pieces(doc.id)),
                    mimetype="application/json")


def _with_text(data: dict[str, Any], chunks: Iterator[str], pieces: Iterator[tuple[int | None, str]]) -> Iterator[str]:
    """The JSON object ``data`` (never empty) with "text" (the chunks joined) and "pages" (the texts of the
    paged pieces, a page's consecutive pieces joined) appended, written as it is read."""
    yield json.dumps(data, ensure_ascii=False)[:-1] + ', "text": "'
    for chunk in chunks:
        yield json.dumps(chunk, ensure_ascii=False)[1:-1]
    yield '", "pages": ['
    current: int | None = None
    for page, text in pieces:
        if page is None:
            break  # a document without pages: its pieces are its text, already written
        if page != current:
            yield ('", "' if current is not None else '"')
            current = page
        yield json.dumps(text, ensure_ascii=False)[1:-1]
    yield ('"]}' if current is not None else "]}")


@bp.get("/openapi.json")
def openapi() -> Response:
    """``/api/openapi.json``: the OpenAPI 3.1 description of this API."""
    return jsonify(spec(current_app.config["MAX_PAGE"]))
