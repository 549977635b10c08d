"""What a request reads from its app: the app's one ``KnowledgeBase`` and whether the client
wants JSON.

One base is opened per app and kept in ``app.extensions["kb"]``; its index keeps one shared
searcher and reopens it after each commit, so documents added by ``kb index`` in another
process appear without a restart.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request

from kb.base import KnowledgeBase
from kb.synonyms import load_synonyms


def open_base(app: Flask) -> KnowledgeBase:
    """Open the base ``app.config`` names and keep it in ``app.extensions["kb"]``."""
    synonyms = app.config["KB_SYNONYMS"]
    kb = KnowledgeBase(Path(app.config["KB_HOME"]), load_synonyms(Path(synonyms) if synonyms else None))
    app.extensions["kb"] = kb
    return kb


def knowledge_base() -> KnowledgeBase:
    """The base of the app handling the current request."""
    kb: KnowledgeBase = current_app.extensions["kb"]
    return kb


def wants_json() -> bool:
    """Whether the current request is answered in JSON: the API, or a client preferring JSON
    to HTML (the selection's script)."""
    if request.blueprint == "api" or request.path.startswith("/api/") or request.path == "/api":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
