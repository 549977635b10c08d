"""Ingestion, the per-file work done in a worker process: copy the original into the store,
extract its text, read its sidecar and infer its metadata. Module-level and picklable, so it
runs under the ``spawn`` start method (Windows, and no inherited locks anywhere)."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.extract.base import ExtractionError, Limits
from indexer.extract.ocr import Ocr
from indexer.extract.registry import extract
from indexer.metadata import SidecarError, Thesaurus, infer_metadata, load_thesaurus, read_sidecar
from indexer.walk import VANISHED, unreadable
from kb.backend import prepare
from kb.catalog import pack
from kb.errors import os_cause
from kb.fingerprint import fingerprint
from kb.model import OCR_INCOMPLETE, PAGES_UNREADABLE, SCANNED_NO_OCR, Document, FileIdentity, Prepared
from kb.names import readable
from kb.sectioning import find_sections
from kb.store import NOT_REGULAR, Store, StoreError
from kb.synonyms import Synonyms, load_synonyms

NO_TEXT = "aucun texte extrait (document scanné ?)"
NO_TEXT_PAGE = "aucun texte extrait (page ou document sans texte : seul son titre est cherchable)"
SCANNED = "scanné — OCR non disponible"
PAGES_LOST = ("PDF en partie illisible : des pages endommagées n'ont pas pu être lues, leur texte manque "
              "(les autres sont indexées)")
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@dataclass(frozen=True)
class Task:
    """One file for a worker process to read into a document: the file and the document's id,
    the store and limits, and the options of the run (thesaurus, synonyms, OCR). Plain data:
    it crosses a process boundary."""

    file: FileIdentity
    id: str
    store: str
    limits: Limits
    thesaurus: str | None = None
    synonyms: str | None = None
    # OCR of pages without text: on only when Tesseract was found; the cache is <home>/ocr;
    # ``ocr_missing`` says why it is off, for the warning of a scanned document.
    ocr: bool = False
    ocr_cache: str | None = None
    ocr_missing: str = ""
    # The collection the run gives the document (``kb index --collection``, ``.collection``).
    collection: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A document, or the reason it failed; ``warning`` notes a document indexed with a caveat."""

    document: Document | None = None
    error: str | None = None
    warning: str | None = None
    # The document's index terms, computed here so the single writer process only files them.
    analyzed: Prepared | None = None
    # The disk is full: every further file would fail the same way, so the run must stop.
    disk_full: bool = False
    # ``document``'s catalog record (``pack``), compressed here rather than in the
    # writer process, whose CPU the workers' share on two cores.
    record: bytes | None = None


@lru_cache(maxsize=4)
def _thesaurus(path: str | None) -> Thesaurus:
    return load_thesaurus(Path(path) if path else None)


@lru_cache(maxsize=4)
def _synonyms(path: str | None) -> Synonyms:
    return load_synonyms(Path(path) if path else None)


def _check_before_reading(path: Path, limits: Limits) -> None:
    """Refuse, before opening it, what the scan may have seen otherwise: a file that became a
    device or a pipe (never read: a pipe would block), or that grew past the size limit."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ExtractionError(unreadable(exc)) from exc
    if not stat.S_ISREG(st.st_mode):
        raise ExtractionError(NOT_REGULAR)
    refusal = limits.size_refusal(st.st_size)
    if refusal:
        raise ExtractionError(refusal)


def run(task: Task) -> Outcome:
    """Never raises for a bad file: every failure becomes an Outcome with a French reason."""
    path = Path(task.file.path)
    try:
        _check_before_reading(path, task.limits)
        # The original is copied into the store only once it is known to be readable: a file
        # refused (too big, damaged, not ours) costs no space in the store.
        extracted = extract(path, task.limits, Ocr(task.ocr, task.ocr_cache, task.file.sha256, task.ocr_missing))
        # No fsync per file: the writer syncs the store once per batch, before staging rows.
        Store(Path(task.store)).put(path, task.file.sha256, durable=False)
        sidecar = read_sidecar(path)
        # Metadata read from the name (title, date, type) use a readable guess at a name that is
        # not UTF-8 (café.txt for caf\xe9.txt); the file itself is opened by its true name.
        meta = infer_metadata(extracted, Path(readable(task.file.path)), sidecar, _thesaurus(task.thesaurus),
                              _synonyms(task.synonyms))
    except ExtractionError as exc:
        return Outcome(error=exc.reason)
    except SidecarError as exc:
        return Outcome(error=str(exc))
    except StoreError as exc:
        return Outcome(error=str(exc))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and not os.path.lexists(path):
            return Outcome(error=VANISHED)  # e.g. deleted after its text was read, before its copy
        full = exc.errno in _DISK_FULL
        return Outcome(error=f"écriture impossible : {os_cause(exc)}", disk_full=full)
    except MemoryError:
        return Outcome(error="mémoire insuffisante pour extraire ce fichier")
    except Exception as exc:  # noqa: BLE001 - a bug on one file must not stop the run
        return _unexpected(exc)
    text = extracted.text[: task.limits.max_text_chars]
    flags = tuple(extracted.flags)
    doc = Document(
        id=task.id, file=task.file.as_read(extracted.format), title=meta.title, text=text, pages=tuple(extracted.pages),
        type=meta.type, date=meta.date, themes=meta.themes, organisations=meta.organisations,
        territory=meta.territory, language=meta.language, author=meta.author, summary=meta.summary,
        url=meta.url, keywords=meta.keywords, headings=tuple(extracted.headings), licence=meta.licence,
        page_count=meta.page_count if meta.page_count is not None else extracted.page_count,
        word_count=meta.word_count, flags=flags, extra=meta.extra, practice=meta.practice,
        sections=find_sections(text, extracted.headings), fingerprint=fingerprint(text),
        collection=task.collection,
    )
    # Any format, not only PDF: an HTML page made of scripts and empty tags is indexed too,
    # found by its title alone, and deserves the same warning.
    warning = None
    if OCR_INCOMPLETE in flags:
        warning = (f"OCR inachevé : la limite de {task.limits.timeout_s:g} s est venue avant la fin ; les pages "
                   "reconnues sont gardées et le prochain kb index reprend la suite (ou relevez --timeout)")
    elif SCANNED_NO_OCR in flags:
        warning = f"{SCANNED} ({task.ocr_missing or 'OCR désactivé'}) : pages scannées non cherchables"
    elif PAGES_UNREADABLE in flags:
        warning = PAGES_LOST
    elif "no-text" in flags or not text.strip():
        warning = NO_TEXT if doc.format == "pdf" else NO_TEXT_PAGE
    try:  # the writer files both as they are
        analyzed, record = prepare(doc), pack(doc)
    except MemoryError:
        return Outcome(error="mémoire insuffisante pour analyser ce fichier")
    except Exception as exc:  # noqa: BLE001 - a bug on one file must not stop the run
        return _unexpected(exc)
    return Outcome(document=doc, warning=warning, analyzed=analyzed, record=record)


def _unexpected(exc: Exception) -> Outcome:
    """The failure of one file to a bug of ours or of a library: named, the run goes on."""
    return Outcome(error=f"erreur inattendue pendant l'analyse ({type(exc).__name__} : {exc})"[:300])
