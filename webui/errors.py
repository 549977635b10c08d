"""Errors mapped once for the web: one JSON shape for the API (``{"ok": false, "error": …,
"status": …}``), French pages for people. Nothing of a trace or of Werkzeug's English reaches
the client."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from kb.errors import DamagedIndex, KBError, NotFound, QueryError
from webui.context import wants_json
from webui.typography import french_spaces

log = logging.getLogger(__name__)

MESSAGES = {
    400: "Requête invalide.",
    404: "Page introuvable.",
    405: "Méthode non autorisée.",
    413: "Requête trop volumineuse.",
    414: "Adresse trop longue.",
    431: "En-têtes de requête trop volumineux.",  # the server's own (webui.wireerrors)
    503: "Service momentanément indisponible.",
    500: "Erreur interne du serveur.",
    501: "Demande non prise en charge par ce serveur.",
}


def register(app: Flask) -> None:
    """Route every error of ``app`` to the handlers below."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(QueryError, handle_query_error)
    app.register_error_handler(NotFound, handle_not_found)
    app.register_error_handler(DamagedIndex, handle_damaged_index)
    app.register_error_handler(Exception, handle_unexpected)


def error_response(status: int, message: str | None = None) -> tuple[Response | str, int]:
    """The answer for ``status``: the JSON shape or the French error page, as the client wants."""
    # Messages quote what was typed (« … »): the core writes plain spaces, people read French.
    message = french_spaces(message or MESSAGES.get(status, "Erreur."))
    if wants_json():
        return jsonify({"ok": False, "error": message, "status": status}), status
    if request_ctx.url_adapter is None:
        # Refused before routing (a Host header Werkzeug cannot read): the page's links need
        # the URL adapter that request never got.
        return _bare_page(status, message), status
    return render_template("error.html", status=status, message=message), status


def _bare_page(status: int, message: str) -> Response:
    """A French error page that needs no URL of the application."""
    body = (f'<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><title>Erreur {status}</title></head>'
            f"<body><h1>Requête impossible</h1><p>{escape(message)}</p></body></html>\n")
    return Response(body, mimetype="text/html")


def handle_http_error(exc: HTTPException) -> Any:
    """An HTTP error (404, 405, 413…): our French message when the abort gave one, else the status's
    own; a 405 says which methods are allowed."""
    status = exc.code or 500
    # Our own aborts carry a French description; Werkzeug's defaults are English and may
    # mention details: use ours instead.
    message = exc.description if getattr(exc, "french", False) else None
    response = make_response(error_response(status, message))
    valid_methods = getattr(exc, "valid_methods", None)
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def handle_query_error(exc: QueryError) -> Any:
    """A query the core refused: a 400 carrying the core's French reason."""
    return error_response(400, str(exc))


def handle_not_found(exc: NotFound) -> Any:
    """A document the base does not hold: a 404."""
    return error_response(404, "Document introuvable.")


def handle_damaged_index(exc: DamagedIndex) -> Any:
    """An index damaged while serving: a 503 telling the operator to run ``kb rebuild``."""
    # A segment lost after the server opened the base (at opening it is rebuilt): say what
    # the person who runs the base must do, without a trace.
    log.error("index endommagé sur %s : %s", request.path, exc)
    return error_response(503, "L'index de recherche est endommagé (un fichier manque ou est tronqué). "
                               "La personne qui gère la base doit lancer « kb rebuild » ; les documents "
                               "eux-mêmes ne sont pas perdus.")


def handle_unexpected(exc: Exception) -> Any:
    """Any other error: logged with its trace for the operator, a bare 500 for the client."""
    if isinstance(exc, HTTPException):  # pragma: no cover - routed to handle_http_error
        return handle_http_error(exc)
    log.exception("erreur non prévue sur %s", request.path, exc_info=exc)
    if isinstance(exc, KBError):
        return error_response(500, "La base de connaissances n'a pas pu répondre.")
    return error_response(InternalServerError.code)
