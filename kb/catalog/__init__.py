"""The SQLite catalog: one row per document, the source of truth with the store.

A row whose ``sync`` is ``pending`` records an intent the index may not reflect yet; the
knowledge base replays such rows after a crash. Each method is one transaction.

Split by job behind this face: the file, its schema and transactions (``_schema``), the rows
as records (``_rows``), reading rows by name (``_queries``), the records' storage format
(``_packing``) and texts (``_texts``), harvesters' revisions (``_revisions``), the writes
(``_catalog``).
"""

from kb.catalog._catalog import Catalog
from kb.catalog._packing import pack, unpack
from kb.catalog._rows import DONE, FAILED, INDEXED, PENDING, REMOVED, Change, Entry, Revision, now

__all__ = ["DONE", "FAILED", "INDEXED", "PENDING", "REMOVED", "Catalog", "Change", "Entry", "Revision", "now",
           "pack", "unpack"]
