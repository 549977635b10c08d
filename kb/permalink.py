"""The public link of a document: ``<base-url>/d/<id>/<slug>``.

The web app serves documents at that path and every shell that prints a link (``kb show``,
the feeds, the sitemap) must give the same one; the core holds it so that a command of the
core can print it without the web package.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote


@lru_cache(maxsize=8192)
def slugify(title: str) -> str:
    """A short ASCII slug for a URL (``original`` is reserved for the original file); kept for
    the titles last asked (every results page links ten documents, often the same)."""
    text = unicodedata.normalize("NFKD", title.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].rstrip("-")
    if slug in ("", "original"):
        slug = f"document-{slug}".rstrip("-")
    return slug


def document_url(base: str, doc_id: str, title: str) -> str:
    """The permalink of a document under the public address ``base``, for a shell without an
    app (``kb show``); the same address the web app's ``permalink`` gives."""
    return f"{base.rstrip('/')}/d/{quote(doc_id, safe='')}/{slugify(title)}"
