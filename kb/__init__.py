"""Passerelles core: document model, French analysis, catalog, store, index and search.

The core knows nothing of file formats or of the web: it takes paths and options and
returns dataclasses.
"""

__version__ = "0.1.0"
