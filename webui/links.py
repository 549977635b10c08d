"""Absolute links: permalinks of documents and campaign parameters for the exports.

Absolute links never come from the request: its Host header is whatever the client sent, and
a feed or newsletter export built from ``Host: evil.example`` would send readers there. They
come from the configured public address (``BASE_URL``), else from the address the server was
started with (``SERVER_URL``, set by ``kb serve``)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, url_for

from kb.permalink import slugify

# What kb serve listens on by default: the last resort of an app built without either address.
DEFAULT_SERVER_URL = "http://127.0.0.1:8000"


def server_url(host: str, port: int) -> str:
    """The address a server started on ``host``:``port`` answers at. A wildcard address
    (all interfaces) is named by this computer's name; an IPv6 literal gets its brackets."""
    import socket

    if host in ("", "0.0.0.0", "::"):
        host = socket.gethostname() or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def base_url() -> str:
    """``https://host[/path]`` without a trailing slash: the configured BASE_URL, else the
    server's own address; never the request's Host header."""
    config = current_app.config
    return str(config.get("BASE_URL") or config.get("SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")


def has_public_address() -> bool:
    """Whether a public address was configured: without one, absolute links name this
    computer, and pages that make links for others say so."""
    return bool(current_app.config.get("BASE_URL"))


def absolute(path: str) -> str:
    """``path`` (from /) under the base address (see ``base_url``)."""
    return base_url() + path


def document_path(doc_id: str, title: str) -> str:
    """The canonical path of a document page: ``/d/<id>/<slug>``."""
    return url_for("views.document", doc_id=doc_id, slug=slugify(title))


def permalink(doc_id: str, title: str) -> str:
    """The absolute canonical URL of a document (what newsletters and feeds link to)."""
    return absolute(document_path(doc_id, title))


def stable_link(doc_id: str) -> str:
    """The absolute URL that never changes, even if the title does: feed guid / Atom id."""
    return absolute(url_for("views.document", doc_id=doc_id))


def with_utm(url: str, utm: dict[str, str]) -> str:
    """``url`` with the campaign parameters ``utm`` appended (unchanged when there are none)."""
    if not utm:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(utm)
