"""What a request reads from its app: the app's one ``KnowledgeBase`` and whether the client
wants JSON.

One base is opened per app and kept in ``app.extensions["kb"]``; its index keeps one shared
searcher and reopens it after each commit, so documents added by ``kb index`` in another
process appear without a restart. The base lives as long as its app: ``close_base(app)`` closes
it (the server calls it when it stops), and so does the app's disposal, whichever comes first
(see ``open_base``).
"""

from __future__ import annotations

import weakref
from pathlib import Path

from flask import Flask, current_app, request

from kb.knowledgebase import KnowledgeBase
from kb.synonyms import load_synonyms

# The key of each app's closer in ``app.extensions``, beside the base itself under "kb".
_CLOSER = "kb.close"


def open_base(app: Flask) -> KnowledgeBase:
    """Open the base ``app.config`` names and tie it to ``app``: closed by ``close_base(app)``,
    else when the app is garbage-collected, else at interpreter exit."""
    synonyms = app.config["KB_SYNONYMS"]
    kb = KnowledgeBase(Path(app.config["KB_HOME"]), load_synonyms(Path(synonyms) if synonyms else None))
    app.extensions["kb"] = kb
    # Flask has no "app disposed" hook, and teardown_appcontext runs after every request (the
    # base is shared by all of them). A finalizer closes the base once, when the app is
    # collected (tests build many apps) or at exit, and holds the base, not the app: it never
    # keeps an app alive.
    app.extensions[_CLOSER] = weakref.finalize(app, kb.close)
    return kb


def close_base(app: Flask) -> None:
    """Close the base of ``app`` now (once: later calls, the app's disposal and the exit do
    nothing more). The app must not answer requests afterwards."""
    closer: weakref.finalize[..., None] | None = app.extensions.get(_CLOSER)
    if closer is not None:
        closer()


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
