"""Pick the extractor for a file by its content, run it, and turn any failure into a reason."""

from __future__ import annotations

import logging
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

from indexer.extract import docx, html, markdown, odt, pdf, text
from indexer.extract.base import Extracted, ExtractionError, Limits, UnsupportedFormat

log = logging.getLogger(__name__)

Extractor = Callable[[Path, Limits], Extracted]

EXTRACTORS: dict[str, Extractor] = {
    "pdf": pdf.extract,
    "docx": docx.extract,
    "odt": odt.extract,
    "html": html.extract,
    "markdown": markdown.extract,
    "text": text.extract,
}

# Used in "<label> illisible : …" when a library fails in an unexpected way.
_LABELS = {
    "pdf": "PDF",
    "docx": "document Word",
    "odt": "document OpenDocument",
    "html": "page HTML",
    "markdown": "fichier Markdown",
    "text": "fichier texte",
}

_TEXT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
# A file named like one of ours whose content is not: broken, not merely foreign.
_CLAIMED = {".pdf": "pdf", ".docx": "docx", ".docm": "docx", ".odt": "odt", ".fodt": "odt"}

# Said to the user when we skip a file; the suffix is what people recognise.
_UNSUPPORTED = {
    ".doc": "Word 97-2003",
    ".xls": "Excel 97-2003",
    ".ppt": "PowerPoint 97-2003",
    ".xlsx": "Excel",
    ".pptx": "PowerPoint",
    ".ods": "tableur OpenDocument",
    ".odp": "présentation OpenDocument",
    ".rtf": "RTF",
    ".jpg": "image",
    ".jpeg": "image",
    ".png": "image",
    ".gif": "image",
    ".tif": "image",
    ".tiff": "image",
    ".zip": "archive",
}

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODT_MIME = b"application/vnd.oasis.opendocument.text"
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")


def _sniff_zip(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                if zf.read("mimetype").strip().startswith(_ODT_MIME):
                    return "odt"
            return None
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
        # A truncated package is still the format its name says: the extractor
        # then reports it as damaged instead of skipping it silently.
        return _CLAIMED.get(path.suffix.lower())


def _looks_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not start.startswith(b"<"):
        return False
    return any(marker in start[:2048] for marker in _HTML_MARKERS)


def sniff(path: Path) -> str | None:
    """The format of ``path`` by content (magic bytes), then by suffix for plain text.

    Returns one of ``EXTRACTORS``' keys, or None for a format we do not index.
    """
    with path.open("rb") as fh:
        head = fh.read(8192)
    if b"%PDF" in head[:1024]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(path)
    if head.startswith(_CFB_MAGIC):
        # Password-protected .docx files are OLE containers holding an EncryptionInfo
        # stream; anything else in OLE (.doc, .xls) is not ours.
        if "EncryptionInfo".encode("utf-16-le") in _cfb_directory(path):
            return "docx"
        return None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<?xml") and b"<office:document" in head and _ODT_MIME in head:
        return "odt"
    if _looks_html(head):
        return "html"
    suffix = path.suffix.lower()
    if _is_binary(head):
        return None
    if suffix in _HTML_SUFFIXES:
        return "html"
    return _TEXT_SUFFIXES.get(suffix)


def _cfb_directory(path: Path) -> bytes:
    # Directory entries sit in sectors anywhere in the file; small encrypted documents
    # are a few hundred KB, so scanning the first MB is enough and bounded.
    with path.open("rb") as fh:
        return fh.read(1024 * 1024)


def _is_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text with a BOM
    # A stray NUL or bell in a text file is noise we strip later; binaries are full of them.
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > max(3, len(head) // 100)


def extract(path: Path, limits: Limits = Limits()) -> Extracted:
    """Extract text and declared metadata from ``path``.

    Raises ``UnsupportedFormat`` for files we do not index and ``ExtractionError``
    (with a French reason) for files we index but cannot read. No other exception
    escapes, and library warnings are silenced here rather than in the test settings.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractionError(f"fichier inaccessible : {exc.strerror or exc}") from exc
    refusal = limits.size_refusal(size)
    if refusal:
        raise ExtractionError(refusal)
    try:
        fmt = sniff(path)
    except OSError as exc:
        raise ExtractionError(f"fichier illisible : {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if fmt is None:
        if suffix in _CLAIMED:
            raise ExtractionError(
                f"fichier {suffix} endommagé : son contenu n'est pas celui d'un {_LABELS[_CLAIMED[suffix]]}"
            )
        kind = _UNSUPPORTED.get(suffix, "type inconnu")
        raise UnsupportedFormat(f"format non pris en charge ({suffix or 'sans extension'} {kind})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return EXTRACTORS[fmt](path, limits)
    except ExtractionError:
        raise
    except MemoryError as exc:
        raise ExtractionError(f"{_LABELS[fmt]} trop gros pour la mémoire disponible") from exc
    except RecursionError as exc:
        raise ExtractionError(f"{_LABELS[fmt]} illisible : structure trop imbriquée") from exc
    except Exception as exc:  # noqa: BLE001 -- any library failure becomes a reason, by contract
        log.debug("extraction failed for %s", path, exc_info=True)
        raise ExtractionError(f"{_LABELS[fmt]} illisible : {short_detail(exc)}") from exc


def short_detail(exc: BaseException, max_len: int = 120) -> str:
    """One line naming the error, short enough for a report column."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message if len(message) <= max_len else message[: max_len - 1] + "…"
