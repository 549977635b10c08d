"""PDF: page text and /Info metadata with pdfium; pypdf only when pdfium cannot open a file.

pdfium is the engine because it is ~12x faster than pypdf on our PDFs
(../shared/notes/engines.md) and reads the /Info dictionary and encrypted files itself.
pypdf is opened (and imported) only when pdfium refuses a file: it confirms that a password
is needed, or takes over the text of a damaged file. Opening pypdf beside pdfium on every
file used to cost a quarter of the PDF extraction CPU, for the same metadata.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from indexer.extract.base import Extracted, ExtractionError, Limits
from indexer.extract.ocr import (
    DPI,
    INCOMPLETE,
    MAX_PIXELS,
    RECOGNIZED,
    UNAVAILABLE,
    Cache,
    Ocr,
    TooSlow,
    ocr_deadline,
    recognize,
)
from indexer.extract.textutil import clean_pdf_page, normalize
from kb.model import PAGES_UNREADABLE

if TYPE_CHECKING:
    import pypdf

log = logging.getLogger(__name__)

ENCRYPTED = "PDF protégé par un mot de passe"


def extract(path: Path, limits: Limits, ocr: Ocr = Ocr()) -> Extracted:
    """Text per page and /Info metadata of a PDF file; pages without a text layer are read
    by OCR when ``ocr.enabled``, and flagged either way."""
    start = time.monotonic()
    deadline = start + limits.timeout_s
    flags: list[str] = []
    unreadable: list[int] = []  # numbers of the pages that could not be read, from 1
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        info, pages = _fallback(path, exc, limits, deadline, flags, unreadable)
    else:
        scans = _Scans(ocr, ocr_deadline(start, limits.timeout_s))
        try:
            info = _pdfium_info(doc)
            pages = list(_pages_with_pdfium(doc, limits, deadline, scans, unreadable))
        finally:
            doc.close()
        flags += scans.flags()
    if unreadable:
        # The flag becomes the document's warning; only the log can say which pages.
        log.info("unreadable PDF pages in %s: %s", path, ", ".join(map(str, unreadable)))
        flags.append(PAGES_UNREADABLE)

    body, pages = _assemble(pages, limits, flags)
    if not body:
        flags.append("no-text")
    return Extracted(
        format="pdf",
        text=body,
        pages=pages,
        title=info.get("title"),
        author=info.get("author"),
        description=info.get("description"),
        date=info.get("date"),
        keywords=info.get("keywords", []),
        meta=info.get("meta", {}),
        flags=flags,
        page_count=len(pages),
    )


def _fallback(
    path: Path, exc: pdfium.PdfiumError, limits: Limits, deadline: float, flags: list[str], unreadable: list[int]
) -> tuple[dict[str, Any], list[str]]:
    """pdfium refused the file: a password it needs, or damage pypdf may get around (the pages
    it cannot read go into ``unreadable``)."""
    reader, info_error = _open_pypdf(path)
    # pdfium's error code is process-global and stale when a load fails without
    # setting it (Brotli filters, zero pages): confirm encryption from the file itself.
    if getattr(exc, "err_code", None) == pdfium_raw.FPDF_ERR_PASSWORD and _declares_encryption(path, reader):
        raise ExtractionError(ENCRYPTED) from exc
    if reader is None:
        log.info("pypdf cannot open %s either: %s", path, info_error)
        raise ExtractionError(f"PDF illisible : {_pdfium_reason(exc)}") from exc
    log.info("pdfium cannot open %s (%s); falling back to pypdf", path, exc)
    info = _pypdf_info(reader, flags)
    flags.append("pdf-fallback-pypdf")
    return info, _pages_with_pypdf(reader, limits, deadline, unreadable)


def _open_pypdf(path: Path) -> tuple[pypdf.PdfReader | None, str | None]:
    """pypdf reader, decrypted with the empty password if needed; None if unreadable."""
    import pypdf  # only for files pdfium refuses: most workers never pay for the import
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(ENCRYPTED)
        return reader, None
    except ExtractionError:
        raise
    except FileNotDecryptedError as exc:
        raise ExtractionError(ENCRYPTED) from exc
    except (NotImplementedError, PyPdfError, DependencyError, ValueError, TypeError, KeyError,
            AttributeError, IndexError, OSError, RecursionError) as exc:
        # Includes AES files when `cryptography` is absent.
        return None, " ".join(str(exc).split())[:120] or type(exc).__name__


def _declares_encryption(path: Path, reader: pypdf.PdfReader | None) -> bool:
    if reader is not None:
        return bool(reader.is_encrypted)
    return b"/Encrypt" in path.read_bytes()


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = normalize(str(value))
    return text or None


def _keywords(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [k.strip() for k in re.split(r"[;,]", raw) if k.strip()]


def _pypdf_info(reader: pypdf.PdfReader, flags: list[str]) -> dict[str, Any]:
    try:
        raw = reader.metadata
        if raw is None:
            return {}
        # Read the raw /Info values: pypdf's typed accessors parse dates and fail on odd ones.
        fields = {str(k).lstrip("/"): _text(raw.get(k)) for k in list(raw.keys())}
    except Exception:  # noqa: BLE001 -- unreadable /Info must not cost us the text
        log.info("unreadable PDF /Info", exc_info=True)
        flags.append("metadata-unreadable")
        return {}
    return _info_from_fields(fields)


def _pdfium_info(doc: pdfium.PdfDocument) -> dict[str, Any]:
    try:
        fields = {k: _text(v) for k, v in doc.get_metadata_dict(skip_empty=True).items()}
    except pdfium.PdfiumError:
        return {}
    return _info_from_fields(fields)


def _info_from_fields(fields: dict[str, str | None]) -> dict[str, Any]:
    meta = {k: v for k, v in fields.items() if v}
    return {
        "title": fields.get("Title"),
        "author": fields.get("Author"),
        "description": fields.get("Subject"),
        "date": fields.get("CreationDate") or fields.get("ModDate"),
        "keywords": _keywords(fields.get("Keywords")),
        "meta": meta,
    }


def _check_pages(count: int, limits: Limits) -> None:
    if count > limits.max_pages:
        raise ExtractionError(f"PDF trop long : {count} pages (limite {limits.max_pages})")


def _check_deadline(deadline: float, done: int) -> None:
    if time.monotonic() > deadline:
        raise ExtractionError(f"PDF trop lent à lire : délai dépassé après {done} pages")


def _pages_with_pdfium(doc: pdfium.PdfDocument, limits: Limits, deadline: float,
                       scans: _Scans | None, unreadable: list[int]) -> Iterator[str]:
    """Text of each page, "" for a page that cannot be read (its number, from 1, goes into
    ``unreadable``)."""
    count = len(doc)
    _check_pages(count, limits)
    if scans is not None:
        scans.total = count
    total = 0
    for index in range(count):
        _check_deadline(deadline, index)
        if total > limits.max_text_chars:
            yield ""  # past the cap: keep page numbering, skip the work
            continue
        try:
            text = _page_text(doc, index, scans)
        except pdfium.PdfiumError:
            text = ""  # one broken page must not cost the others
            unreadable.append(index + 1)
        total += len(text)
        yield text


def _page_text(doc: pdfium.PdfDocument, index: int, scans: _Scans | None) -> str:
    # Loading the page raises too: e.g. a page tree node listed as its own kid.
    page = doc[index]
    try:
        textpage = page.get_textpage()
        try:
            text: str = textpage.get_text_range()
        finally:
            textpage.close()
        if scans is not None and not text.strip() and _has_image(page):
            text = scans.read(page, index)
        return text
    finally:
        page.close()


def _has_image(page: pdfium.PdfPage) -> bool:
    """A page without text but with an image is a scan; a blank page is not worth an OCR."""
    return any(obj.type == pdfium_raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects(max_depth=3))


class _Scans:
    """Pages without a text layer: read by OCR (cached) when it is on, counted either way."""

    def __init__(self, ocr: Ocr, deadline: float) -> None:
        self.ocr = ocr
        self.deadline = deadline
        self.cache = Cache(ocr) if ocr.enabled else None
        self.recognized = 0
        self.unread = 0
        self.late = 0  # scanned pages left for the next run: the time limit came first
        self.total = 0

    def read(self, page: pdfium.PdfPage, index: int) -> str:
        if self.cache is None:
            self.unread += 1
            return ""
        text = self.cache.get(index)
        if text is None:
            if self.late or time.monotonic() > self.deadline:
                self.late += 1
                return ""
            width, height = page.get_size()
            # Scaled down when the page is huge: the pixel count, not the page, bounds memory.
            scale = min(DPI / 72, (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
            image = page.render(scale=scale, grayscale=True).to_pil()
            try:
                text = recognize(image, self.deadline, dpi=max(1, round(scale * 72)))
            except TooSlow:
                # Not cached: the next run tries this page again, with the time it has then.
                self.late += 1
                return ""
            except ExtractionError as exc:  # this page only: the others may read fine
                log.info("OCR failed on page %d: %s", index + 1, exc.reason)
                text = ""
            self.cache.put(index, text)
        self.recognized += 1
        return text

    def flags(self) -> list[str]:
        return ([RECOGNIZED] if self.recognized else []) + ([UNAVAILABLE] if self.unread else []) + (
            [INCOMPLETE] if self.late else [])


def _pages_with_pypdf(reader: pypdf.PdfReader, limits: Limits, deadline: float, unreadable: list[int]) -> list[str]:
    """Each page's text, "" for a page pypdf cannot read (its number added to ``unreadable``)."""
    try:
        count = len(reader.pages)
    except Exception as exc:  # noqa: BLE001 -- broken page tree (loops, null /Pages)
        log.info("pypdf cannot count the pages: %s", exc)  # its words are English: for the log only
        raise ExtractionError("PDF illisible : arbre des pages endommagé") from exc
    _check_pages(count, limits)
    pages: list[str] = []
    total = 0
    for index in range(count):
        _check_deadline(deadline, index)
        text = ""
        if total <= limits.max_text_chars:
            try:
                text = reader.pages[index].extract_text() or ""
            except Exception:  # noqa: BLE001 -- a damaged page is skipped, not fatal
                log.info("pypdf cannot read page %d", index + 1, exc_info=True)
                unreadable.append(index + 1)
        total += len(text)
        pages.append(text)
    return pages


def _assemble(raw_pages: list[str], limits: Limits, flags: list[str]) -> tuple[str, list[str]]:
    pages = [clean_pdf_page(p) for p in raw_pages]
    body = "\n\n".join(p for p in pages if p)
    if len(body) > limits.max_text_chars:
        flags.append("truncated")
        body = body[: limits.max_text_chars]
    return body, pages


def _pdfium_reason(exc: pdfium.PdfiumError) -> str:
    code = getattr(exc, "err_code", None)
    if code == pdfium_raw.FPDF_ERR_FORMAT:
        return "structure du fichier endommagée"
    if code == pdfium_raw.FPDF_ERR_SECURITY:
        return "chiffrement non pris en charge"
    # pdfium reports some failures (e.g. unknown stream filters) with no error code of their own.
    return "format non reconnu ou fichier endommagé"
