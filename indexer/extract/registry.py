"""Pick the extractor for a file by its content, run it, and turn any failure into a reason."""

from __future__ import annotations

import importlib
import logging
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from indexer.extract.base import Extracted, ExtractionError, Limits, UnsupportedFormat
from indexer.extract.ocr import Ocr
from kb.errors import os_cause
from kb.store import open_regular

log = logging.getLogger(__name__)

Extractor = Callable[[Path, Limits], Extracted]


class _Extractors(dict[str, Any]):
    """Format -> extractor, each extractor's module imported when first used: the writer
    process of ``kb index`` only sniffs formats, and importing every extractor with its
    libraries (trafilatura, BeautifulSoup, pdfium…) took 0.24 s of its start, before the scan
    and while the workers waited for work. A value set directly (a test's stand-in) is kept."""

    def __getitem__(self, fmt: str) -> Extractor:
        found = super().__getitem__(fmt)
        if isinstance(found, str):
            found = importlib.import_module(f"indexer.extract.{found}").extract
            super().__setitem__(fmt, found)
        return cast(Extractor, found)


EXTRACTORS = _Extractors({
    "pdf": "pdf",
    "image": "image",
    "docx": "docx",
    "odt": "odt",
    "odp": "odt",
    "ods": "odt",
    "pptx": "pptx",
    "xlsx": "xlsx",
    "doc": "doc",
    "rtf": "rtf",
    "html": "html",
    "markdown": "markdown",
    "text": "text",
})
# The formats whose pages may be images: their extractors also take the OCR settings.
OCR_FORMATS = {"pdf", "image"}

# Used in "<label> illisible : …" when a library fails in an unexpected way.
_LABELS = {
    "pdf": "PDF",
    "docx": "document Word",
    "odt": "document OpenDocument",
    "odp": "diaporama OpenDocument",
    "ods": "tableur OpenDocument",
    "pptx": "fichier PowerPoint",
    "xlsx": "classeur Excel",
    "doc": "document Word 97-2003",
    "rtf": "document RTF",
    "image": "image",
    "html": "page HTML",
    "markdown": "fichier Markdown",
    "text": "fichier texte",
}

_TEXT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
# A file named like one of ours whose content is not: broken, not merely foreign.
_CLAIMED = {".pdf": "pdf", ".docx": "docx", ".docm": "docx", ".odt": "odt", ".fodt": "odt",
            ".odp": "odp", ".ods": "ods", ".pptx": "pptx", ".pptm": "pptx", ".xlsx": "xlsx", ".xlsm": "xlsx",
            ".doc": "doc", ".rtf": "rtf"}

# Said to the user when we skip a file; the suffix is what people recognise.
_UNSUPPORTED = {
    ".xls": "Excel 97-2003",
    ".ppt": "PowerPoint 97-2003",
    ".gif": "image",
    ".bmp": "image",
    ".webp": "image",
    ".zip": "archive",
}

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODT_MIME = b"application/vnd.oasis.opendocument.text"
# The mimetype member of an OpenDocument package names its kind (templates end in -template).
_ODF_MIMES = {b"application/vnd.oasis.opendocument.text": "odt",
              b"application/vnd.oasis.opendocument.presentation": "odp",
              b"application/vnd.oasis.opendocument.spreadsheet": "ods"}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")
# Every byte but the control characters binaries are full of (tab, newlines, form feed and
# carriage return excepted): deleting these leaves the controls, counted in C.
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


# Sniffing runs in the main process, outside the workers' time and memory limits: zipfile reads
# the whole central directory at opening (2.5 million entries: 1.3 GB and 16 s). A package of
# ours lists a few hundred members; a bigger directory is judged by its name alone.
_ZIP_MAX_ENTRIES = 20_000
_ZIP_MAX_DIRECTORY = 4 * 1024 * 1024
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record, without its comment


def _zip_directory_small(path: Path) -> bool:
    """Whether the central directory of the ZIP file ``path`` is small enough to read here, from
    its end record (a ZIP64 record means a large one)."""
    with open_regular(path) as fh:
        fh.seek(0, 2)
        size = fh.tell()
        tail_size = min(size, _EOCD.size + 65535)  # the record, then a comment of 64 KiB at most
        fh.seek(size - tail_size)
        tail = fh.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        return True  # no end record: zipfile refuses it at once
    record = _EOCD.unpack_from(tail, at)
    entries, directory = int(record[4]), int(record[5])
    return entries < min(_ZIP_MAX_ENTRIES, 0xFFFF) and directory <= _ZIP_MAX_DIRECTORY


def _sniff_zip(path: Path) -> str | None:
    try:
        if not _zip_directory_small(path):
            return _CLAIMED.get(path.suffix.lower())
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "ppt/presentation.xml" in names:
                return "pptx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                mime = zf.read("mimetype").strip()
                return next((fmt for prefix, fmt in _ODF_MIMES.items() if mime.startswith(prefix)), None)
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
    with open_regular(path) as fh:
        head = fh.read(8192)
    if b"%PDF" in head[:1024]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(path)
    if head.startswith(_CFB_MAGIC):
        # Password-protected .docx/.pptx/.xlsx files are OLE containers holding an
        # EncryptionInfo stream; Word 97-2003 holds a WordDocument stream; the rest of OLE
        # (.xls, .ppt, .msg) is not ours.
        directory = _cfb_directory(path)
        if "EncryptionInfo".encode("utf-16-le") in directory:
            claimed = _CLAIMED.get(path.suffix.lower())
            return claimed if claimed in ("pptx", "xlsx") else "docx"
        if "WordDocument".encode("utf-16-le") in directory:
            return "doc"
        return None
    if head.startswith(_IMAGE_MAGIC):
        return "image"
    if head.startswith(b"{\\rtf"):
        return "rtf"
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
    controls = len(head.translate(None, _NOT_CONTROL))
    return controls > max(3, len(head) // 100)


def extract(path: Path, limits: Limits = Limits(), ocr: Ocr = Ocr()) -> Extracted:
    """Extract text and declared metadata from ``path``; ``ocr`` says whether pages without
    text (scans, images) are read by OCR.

    Raises ``UnsupportedFormat`` for files we do not index and ``ExtractionError``
    (with a French reason) for files we index but cannot read. No other exception
    escapes, and library warnings are silenced here rather than in the test settings.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractionError(f"fichier inaccessible : {os_cause(exc)}") from exc
    refusal = limits.size_refusal(size)
    if refusal:
        raise ExtractionError(refusal)
    try:
        fmt = sniff(path)
    except OSError as exc:
        raise ExtractionError(f"fichier illisible : {os_cause(exc)}") from exc
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
            if fmt in OCR_FORMATS:
                return cast(Callable[[Path, Limits, Ocr], Extracted], EXTRACTORS[fmt])(path, limits, ocr)
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
