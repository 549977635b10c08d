"""The web shell: a Flask app factory with an HTML blueprint (``views``), a JSON API blueprint
(``api``) and the discovery, OAI-PMH and newsletter selection blueprints.

Beside the factory: ``context`` (the app's base, what the client wants), ``errors`` (one JSON
error shape, French pages), ``headers`` (security headers), ``filters`` (template filters);
``server`` runs the app with waitress.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin

from kb.settings import BASE_URL, check_base_url, read_settings
from webui import errors, filters
from webui.context import open_base
from webui.headers import security_headers

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then ``test_config``, then ``KB_*`` environment variables.

    The app opens its base now (``KB_HOME``); ``webui.context.close_base(app)`` closes it, as
    the app's disposal does."""
    app = Flask(__name__)
    # Werkzeug answers "//" in a path with an absolute redirect built from the Host header
    # (which links never use, see webui.links): such a path is a 404 instead.
    app.url_map.merge_slashes = False
    # No page keeps anything in Flask's signed-cookie session: opening one built a signer for
    # every request, a tenth of the time of a page sent again from the cache.
    app.session_interface = _NoSession()
    app.config.from_mapping(
        KB_HOME="kb-data",
        KB_SYNONYMS=None,
        # Random per process unless configured: nothing we sign outlives the process.
        SECRET_KEY=secrets.token_hex(32),
        MAX_QUERY_CHARS=500,  # longer queries are refused with a 400
        MAX_PARAM_CHARS=200,  # any other parameter value
        MAX_FILTER_VALUES=20,  # values per facet parameter
        # ...and in all: each filter's chip and facet link repeats the whole address, so a page
        # grows with the square of the filters (280 long values made a 13 MB page).
        MAX_FILTERS=30,
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
        # Repeated pages sent again as they were (webui.pagecache), per server process, in
        # compressed bytes; 0 turns the cache off.
        PAGE_CACHE_BYTES=8 * 1024 * 1024,
        # The same pages shared by the server processes of the base (webui.sharedpages): a file
        # in the base's folder, at most this many bytes of compressed pages; 0: none.
        SHARED_PAGE_CACHE_BYTES=32 * 1024 * 1024,
        # Set by kb serve for all the processes of one run, which alone share pages: empty, an
        # app keeps its own (another WSGI server's workers may run other code after an upgrade).
        PAGE_CACHE_RUN="",
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

    open_base(app).repair()  # an outdated index is rebuilt before the first search

    # The blueprints load with the first app, not with ``import webui.links`` (the CLI's).
    from webui import api, discovery, oai, pagecache, selection, views

    app.register_blueprint(views.bp)
    app.register_blueprint(oai.bp)
    app.register_blueprint(discovery.bp)
    app.register_blueprint(selection.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    pagecache.install(app)
    app.after_request(security_headers)
    errors.register(app)
    filters.register(app)
    app.jinja_env.autoescape = True  # every template, whatever its extension
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    return app


class _NoSession(SessionInterface):
    """Every request gets Flask's null session: reading it gives nothing, writing it fails."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None
