"""What a knowledge base reports about itself: its counts and the result of its check."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckReport:
    """Where catalog, store and index disagree (``problems``: ``kb check`` fails) or where
    something awaits the next writer (``warnings``)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    documents: int = 0

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


@dataclass(frozen=True)
class Stats:
    """What a base holds, as ``kb stats`` shows it."""

    documents: int
    failed: int
    by_type: dict[str, int]
    by_format: dict[str, int]
    store_files: int
    index_documents: int
    ocr: int = 0  # documents with pages read by OCR
    scanned_no_ocr: int = 0  # documents with scanned pages left unread (no OCR)
