"""Metadata inference: turns an ``Extracted`` text, its path and its sidecar into ``Metadata``."""

from indexer.metadata.doctype import DOC_TYPES, normalise_type
from indexer.metadata.infer import Metadata, infer_metadata
from indexer.metadata.sidecar import SidecarError, is_sidecar, read_sidecar
from indexer.metadata.themes import Thesaurus, load_thesaurus

__all__ = [
    "DOC_TYPES",
    "Metadata",
    "SidecarError",
    "Thesaurus",
    "infer_metadata",
    "is_sidecar",
    "load_thesaurus",
    "normalise_type",
    "read_sidecar",
]
