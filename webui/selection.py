"""The newsletter selection: the documents a documentalist ticks, kept in a cookie so that it
survives facets, result pages, sorting, document pages and the back button, with or without
JavaScript; its page with the export blocks; and the blocks themselves.

The cookie holds document ids only (public, hence readable by the script, which keeps the
boxes in step after "back"). It comes from the client, so it is read like any input: a value
longer than a selection we could have written is ignored, every id is checked, and only ids of
indexed documents count. A ``sel`` parameter (``/selection?sel=id1,id2``) names a selection in
a link instead: a shared selection, or the stable address of an export."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from kb.errors import NotFound
from kb.model import Document
from webui.context import knowledge_base, wants_json
from webui.export import html_block, markdown_block, text_block
from webui.links import base_url, has_public_address
from webui.params import abort_fr, search_state, utm, valid_id
from webui.params import selection as url_selection

bp = Blueprint("selection", __name__)

COOKIE = "kb_selection"
SEPARATOR = "."  # a comma would make the cookie a quoted string (RFC 6265)
MAX_AGE = 90 * 24 * 3600  # a newsletter is prepared over days, not minutes
ID_CHARS = 65  # the longest id (64) and its separator
MAX_RETURN_CHARS = 2000


def current() -> tuple[str, ...]:
    """The ids of the visitor's selection, in the order they were added: well-formed ids of
    indexed documents only, read once per request."""
    if "kb_selection" not in g:
        g.kb_selection = _read_cookie()
    ids: tuple[str, ...] = g.kb_selection
    return ids


def _read_cookie() -> tuple[str, ...]:
    raw = request.cookies.get(COOKIE, "")
    limit = current_app.config["MAX_SELECTION"]
    if not raw or len(raw) > ID_CHARS * limit:  # longer than anything we write: forged
        return ()
    ids = tuple(dict.fromkeys(i for i in raw.split(SEPARATOR) if valid_id(i)))[:limit]
    if not ids:
        return ()
    indexed = knowledge_base().indexed_among(ids)
    return tuple(i for i in ids if i in indexed)


def documents(ids: tuple[str, ...]) -> list[Document]:
    """The records of ``ids`` (a removed document drops out); one without a summary gets its first
    part as text, for the blocks to quote."""
    docs = []
    for doc_id in ids:
        try:
            doc = knowledge_base().document(doc_id, text=False)
            if not doc.summary:  # the blocks then quote the opening: the first part is enough
                doc = replace(doc, text="".join(t for _, _, t in knowledge_base().part(doc_id, 1).blocks))
            docs.append(doc)
        except NotFound:  # a removed document just drops out of the selection
            continue
    return docs


def chosen() -> tuple[str, ...]:
    """The selection a page or an export shows: the one named by the link, else the visitor's."""
    return url_selection() or current()


# -- the page and the blocks ------------------------------------------------------------------

@bp.get("/selection")
def page() -> str:
    """``/selection``: the selection (the visitor's, or the one named by ``sel``) with its export
    blocks, download, share and remove links."""
    shared = url_selection()
    docs = documents(shared or current())
    campaign = utm()
    ids = tuple(d.id for d in docs)
    sel = ",".join(ids)

    def link(endpoint: str, chosen_ids: str | None) -> str:
        params: dict[str, Any] = {"sel": chosen_ids or None, **campaign}
        return url_for(endpoint, **params)

    # Download links always name their documents: they stay valid when the selection changes.
    return render_template(
        "selection.html", docs=docs, utm=campaign, sel=sel, shared=bool(shared), own_count=len(current()),
        back=search_state().url(), here=request.full_path.rstrip("?"),
        block=html_block(docs, campaign), markdown=markdown_block(docs, campaign), text=text_block(docs, campaign),
        html_url=link("selection.html", sel), md_url=link("selection.md", sel), txt_url=link("selection.txt", sel),
        share_url=base_url() + link("selection.page", sel),
        public=has_public_address(), links_base=base_url(),
        remove={d.id: link("selection.page", ",".join(i for i in ids if i != d.id)) for d in docs})


@bp.get("/selection.html")
def html() -> Response:
    """``/selection.html``: the HTML newsletter block of the chosen selection."""
    return Response(html_block(documents(chosen()), utm()), mimetype="text/html")


@bp.get("/selection.md")
def md() -> Response:
    """``/selection.md``: the Markdown block of the chosen selection."""
    return Response(markdown_block(documents(chosen()), utm()), mimetype="text/markdown")


@bp.get("/selection.txt")
def txt() -> Response:
    """``/selection.txt``: the plain-text block of the chosen selection."""
    return Response(text_block(documents(chosen()), utm()), mimetype="text/plain")


# -- changes ----------------------------------------------------------------------------------

def _ids(name: str) -> list[str]:
    values = request.form.getlist(name)
    if len(values) > 4 * current_app.config["MAX_SELECTION"]:
        abort_fr(400, "Trop de documents dans une seule demande.")
    return [v.strip().lower() for v in values if valid_id(v.strip().lower())]


def _safe_return(target: str) -> str:
    """A path of this site to go back to; anything else (another site, "//host", a scheme)
    gives the selection page, so that the form cannot be used to send people elsewhere."""
    if (not target.startswith("/") or target.startswith("//") or len(target) > MAX_RETURN_CHARS
            or any(c in target for c in "\\\r\n\t") or urlsplit(target).netloc):
        return url_for("selection.page")
    return target


@bp.post("/selection/modifier")
def change() -> Response | WerkzeugResponse:
    """Add, remove, or replace the ticks of one page of results, then go back (or answer the
    script in JSON). Fields: ``ajouter``, ``retirer`` (ids); ``affiches`` (ids shown on the
    page) with ``sel`` (those ticked among them); ``vider``; ``retour`` (where to go back)."""
    # A form of another site must not edit the selection (browsers say where a request comes
    # from; an old browser that says nothing is let through: the stake is a list of links).
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        abort_fr(403, "Cette demande ne vient pas de ce site : la sélection n'a pas été modifiée.")
    selection = [] if request.form.get("vider") else list(current())
    shown, ticked, removed = set(_ids("affiches")), _ids("sel"), set(_ids("retirer"))
    keep = [i for i in selection if i not in removed and (i not in shown or i in ticked)]
    wanted = [i for i in dict.fromkeys(ticked + _ids("ajouter")) if i not in removed and i not in keep]
    indexed = knowledge_base().indexed_among(wanted) if wanted else set()
    new = tuple(keep + [i for i in wanted if i in indexed])
    limit = current_app.config["MAX_SELECTION"]
    if len(new) > limit:
        abort_fr(400, f"La sélection est limitée à {limit} documents : retirez-en avant d'en ajouter d'autres.")

    response: Response | WerkzeugResponse
    if wants_json():
        response = jsonify({"ok": True, "count": len(new), "ids": list(new)})
    else:
        target = _safe_return(request.form.get("retour", ""))
        if request.form.get("voir"):
            # Show the selection, keeping the search to come back to (its parameters).
            query = urlsplit(target).query if target.startswith("/recherche") else ""
            target = url_for("selection.page") + ("?" + query if query else "")
        response = redirect(target, 303)
    if new:
        # Not HttpOnly: the script reads it to re-tick boxes on a page restored by "back".
        response.set_cookie(COOKIE, SEPARATOR.join(new), max_age=MAX_AGE, path="/", samesite="Lax")
    else:
        response.delete_cookie(COOKIE, path="/", samesite="Lax")
    response.headers["Cache-Control"] = "no-store"
    return response

