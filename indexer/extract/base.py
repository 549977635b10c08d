"""What every extractor returns and raises."""

from __future__ import annotations

from dataclasses import dataclass, field


class ExtractionError(Exception):
    """A file could not be read; ``reason`` is a short French sentence for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedFormat(ExtractionError):
    """The file is not a format we index: it is listed as skipped, not failed."""


@dataclass(frozen=True)
class Limits:
    """Bounds that stop hostile files: each limit reached gives a clear reason."""

    # Decimal megabytes, as the messages count them and as ``kb index --max-file-mb`` gives
    # them (200 MiB was shown as « limite 209 Mo »).
    max_file_bytes: int = 200_000_000
    max_pages: int = 5000
    max_text_chars: int = 20_000_000
    max_unzipped_bytes: int = 500_000_000
    timeout_s: float = 120.0

    def size_refusal(self, size: int) -> str | None:
        """Why a file of ``size`` bytes is not read at all, or None."""
        if size == 0:
            return "fichier vide"
        if size > self.max_file_bytes:
            return (f"fichier trop volumineux : {size // 1_000_000} Mo "
                    f"(limite {self.max_file_bytes // 1_000_000} Mo)")
        return None


@dataclass
class Extracted:
    """Raw text and the metadata a format itself declares (nothing inferred yet).

    ``pages`` is filled for paged formats only; ``text`` is always the full text
    (pages joined by blank lines). ``date`` is whatever the format declares, raw.
    ``meta`` holds front matter / sidecar-like declared fields (e.g. Markdown YAML).
    """

    format: str
    text: str
    pages: list[str] = field(default_factory=list)
    title: str | None = None
    author: str | None = None
    description: str | None = None
    date: str | None = None
    language: str | None = None
    url: str | None = None
    keywords: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    meta: dict[str, object] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    page_count: int | None = None
