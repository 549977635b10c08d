"""The web shell: a Flask app factory with an HTML blueprint and a JSON API blueprint.

One ``KnowledgeBase`` is opened per process and kept in ``app.extensions``; its index keeps
one shared searcher and reopens it after each commit, so documents added by ``kb index`` in
another process appear without a restart.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from kb.knowledgebase import KnowledgeBase
from kb.errors import DamagedIndex, KBError, NotFound, QueryError
from kb.settings import BASE_URL, read_settings
from kb.synonyms import load_synonyms
from webui.links import check_base_url
from webui.typography import french_spaces

log = logging.getLogger(__name__)

# Pages of our origin may load scripts, styles and images from our origin only, and may not be
# framed. Originals get a stricter policy (see views.original).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then ``test_config``, then ``KB_*`` environment variables."""
    app = Flask(__name__)
    app.config.from_mapping(
        KB_HOME="kb-data",
        KB_SYNONYMS=None,
        # Random per process unless configured: nothing we sign outlives the process.
        SECRET_KEY=secrets.token_hex(32),
        MAX_QUERY_CHARS=500,  # longer queries are refused with a 400
        MAX_PARAM_CHARS=200,  # any other parameter value
        MAX_FILTER_VALUES=20,  # values per facet parameter
        MAX_SELECTION=50,  # documents in a newsletter selection
        MAX_PAGE=1000,
        PAGE_SIZE=10,
        FEED_SIZE=20,
        # Absolute links (feeds, exports, canonical links, API permalinks) start with the public
        # address BASE_URL when set (KB_BASE_URL=https://kb.example.org behind a proxy), else
        # with the address the server was started with, SERVER_URL (set by kb serve); never
        # with the request's Host header, which the client chooses (see webui.links).
        BASE_URL="",
        SERVER_URL="",
        SITE_NAME="Passerelles",
        # Dublin Core publisher (the centre) and the OAI-PMH contact; defaults in webui.dublincore
        # and webui.oai.
        PUBLISHER="",
        ADMIN_EMAIL="",
        OAI_PAGE_SIZE=100,  # records per OAI-PMH answer; the rest follows a resumption token
        SITEMAP_SIZE=50_000,  # URLs per sitemap file, the protocol's limit
        EXPORT_SIZE=500,  # results in a CSV or Dublin Core export of a search
        # The only request bodies are the small forms that edit the newsletter selection.
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config.from_prefixed_env("KB")
    # from_prefixed_env strips the prefix: KB_HOME in the environment becomes HOME.
    for short in ("HOME", "SYNONYMS"):
        if short in app.config and isinstance(app.config[short], str):
            app.config[f"KB_{short}"] = app.config.pop(short)

    if not app.config["BASE_URL"]:
        # The public address kept in the base (kb config base-url), below the KB_BASE_URL
        # variable and an explicit config: the same order as kb serve, under any WSGI server.
        app.config["BASE_URL"] = read_settings(Path(app.config["KB_HOME"])).get(BASE_URL, "")
    for key in ("BASE_URL", "SERVER_URL"):
        if app.config[key]:
            app.config[key] = check_base_url(str(app.config[key]))

    synonyms = app.config["KB_SYNONYMS"]
    app.extensions["kb"] = KnowledgeBase(Path(app.config["KB_HOME"]),
                                         load_synonyms(Path(synonyms) if synonyms else None))
    app.extensions["kb"].repair()  # an outdated index is rebuilt before the first search

    from webui import api, discovery, oai, selection, views

    app.register_blueprint(views.bp)
    app.register_blueprint(oai.bp)
    app.register_blueprint(discovery.bp)
    app.register_blueprint(selection.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(QueryError, handle_query_error)
    app.register_error_handler(NotFound, handle_not_found)
    app.register_error_handler(DamagedIndex, handle_damaged_index)
    app.register_error_handler(Exception, handle_unexpected)
    app.jinja_env.autoescape = True  # every template, whatever its extension
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    return app


def knowledge_base() -> KnowledgeBase:
    kb: KnowledgeBase = current_app.extensions["kb"]
    return kb


def security_headers(response: Response) -> Response:
    """Headers sent with every response: pages, static files, originals, feeds and errors."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


# -- errors: one JSON shape for the API, French pages for people -------------------------------

MESSAGES = {
    400: "Requête invalide.",
    404: "Page introuvable.",
    405: "Méthode non autorisée.",
    413: "Requête trop volumineuse.",
    414: "Adresse trop longue.",
    503: "Service momentanément indisponible.",
    500: "Erreur interne du serveur.",
}


def wants_json() -> bool:
    if request.blueprint == "api" or request.path.startswith("/api/") or request.path == "/api":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str | None = None) -> tuple[Response | str, int]:
    # Messages quote what was typed (« … »): the core writes plain spaces, people read French.
    message = french_spaces(message or MESSAGES.get(status, "Erreur."))
    if wants_json():
        return jsonify({"ok": False, "error": message, "status": status}), status
    return render_template("error.html", status=status, message=message), status


def handle_http_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    # Our own aborts carry a French description; Werkzeug's defaults are English and may
    # mention details: use ours instead.
    message = exc.description if getattr(exc, "french", False) else None
    response, code = error_response(status, message)
    valid_methods = getattr(exc, "valid_methods", None)
    if status == 405 and valid_methods and isinstance(response, Response):
        response.headers["Allow"] = ", ".join(valid_methods)
    return response, code


def handle_query_error(exc: QueryError) -> Any:
    return error_response(400, str(exc))


def handle_not_found(exc: NotFound) -> Any:
    return error_response(404, "Document introuvable.")


def handle_damaged_index(exc: DamagedIndex) -> Any:
    # A segment lost after the server opened the base (at opening it is rebuilt): say what
    # the person who runs the base must do, without a trace.
    log.error("index endommagé sur %s : %s", request.path, exc)
    return error_response(503, "L'index de recherche est endommagé (un fichier manque ou est tronqué). "
                               "La personne qui gère la base doit lancer « kb rebuild » ; les documents "
                               "eux-mêmes ne sont pas perdus.")


def handle_unexpected(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):  # pragma: no cover - routed to handle_http_error
        return handle_http_error(exc)
    log.exception("erreur non prévue sur %s", request.path, exc_info=exc)
    if isinstance(exc, KBError):
        return error_response(500, "La base de connaissances n'a pas pu répondre.")
    return error_response(InternalServerError.code)
