"""Passerelles core: document model, French analysis, catalog, store, index and search.

The core knows nothing of file formats or of the web: it takes paths and options and
returns dataclasses. Its face is ``KnowledgeBase`` (open a home, search it, read its
documents, write through ``writing()``) and the records listed in ``__all__``; the modules
behind it (catalog, store, index) are its business.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Where each public name lives. Resolved on first use (PEP 562): an extraction worker that
# imports ``kb.model`` must not pay for the catalog, the store and the search engine.
_HOMES = {
    "KnowledgeBase": "kb.knowledgebase", "base_exists": "kb.knowledgebase", "Stats": "kb.reports",
    "CheckReport": "kb.reports",
    "Document": "kb.model", "Section": "kb.model", "Hit": "kb.model", "FacetValue": "kb.model",
    "SearchPage": "kb.model", "SearchRequest": "kb.model", "Groups": "kb.model", "FileIdentity": "kb.model",
    "Entry": "kb.catalog", "Change": "kb.catalog", "Revision": "kb.catalog",
    "INDEXED": "kb.catalog", "FAILED": "kb.catalog", "REMOVED": "kb.catalog",
    "Part": "kb.parts",
    "KBError": "kb.errors", "ConfigError": "kb.errors", "QueryError": "kb.errors", "LockedError": "kb.errors",
    "NotFound": "kb.errors", "StorageFull": "kb.errors", "DamagedBase": "kb.errors",
    "DamagedIndex": "kb.errors", "MissingBase": "kb.errors",
}

__all__ = sorted(_HOMES)

if TYPE_CHECKING:
    from kb.catalog import FAILED, INDEXED, REMOVED, Change, Entry, Revision
    from kb.errors import (
        ConfigError,
        DamagedBase,
        DamagedIndex,
        KBError,
        LockedError,
        MissingBase,
        NotFound,
        QueryError,
        StorageFull,
    )
    from kb.knowledgebase import KnowledgeBase, base_exists
    from kb.model import Document, FacetValue, FileIdentity, Groups, Hit, SearchPage, SearchRequest, Section
    from kb.parts import Part
    from kb.reports import CheckReport, Stats


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kb' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
