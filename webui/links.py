"""Absolute links: permalinks of documents and campaign parameters for the exports."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request, url_for

from webui.params import slugify


def base_url() -> str:
    """``https://host`` without a trailing slash: the configured BASE_URL, else the request's."""
    configured = str(current_app.config.get("BASE_URL") or "").rstrip("/")
    return configured or request.host_url.rstrip("/")


def absolute(path: str) -> str:
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
    if not utm:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(utm)
