"""OCR in French with Tesseract, one page image at a time, cached by the file's content hash.

We call the ``tesseract`` program through ``subprocess`` rather than through pytesseract (which
does the same behind a wrapper): no extra dependency, nothing to import in the spawned workers,
the image goes in on stdin and the text comes back on stdout (no temporary files to clean up
after a worker is killed), and each call has its own timeout. The program inherits the worker's
memory limit (RLIMIT_AS), so an image that makes it balloon fails that page, not the machine.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.extract.base import ExtractionError
from kb.errors import os_cause
from kb.model import OCR, OCR_INCOMPLETE, SCANNED_NO_OCR

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

LANG = "fra"
DPI = 300
# A page rendered above this is scaled down: an A4 page at 300 dpi is 8.7 Mpx, a hostile
# MediaBox of 200 × 200 inches would be 3.6 Gpx.
MAX_PIXELS = 40_000_000
# The document flags (kb.model): some pages read by OCR; some scanned pages left unread.
RECOGNIZED = OCR
UNAVAILABLE = SCANNED_NO_OCR
INCOMPLETE = OCR_INCOMPLETE
INSTALL_HINT = ("Installez Tesseract et ses données françaises (Debian, Ubuntu : "
                "sudo apt install tesseract-ocr tesseract-ocr-fra ; Windows : voir le README)")
# Installer's default folder on Windows, where tesseract.exe is rarely on the PATH.
_WINDOWS_DEFAULT = Path(r"C:\Program Files\Tesseract-OCR\tesseract.exe")


@dataclass(frozen=True)
class Ocr:
    """How a worker treats pages without text. ``enabled`` only when Tesseract was found by
    the parent; ``missing`` says why OCR is off (shown with the « scanné » warning)."""

    enabled: bool = False
    cache_dir: str | None = None
    sha256: str | None = None
    missing: str = "OCR non demandé"


def program() -> str | None:
    """Path of the tesseract program: KB_TESSERACT, the PATH, then the Windows default."""
    explicit = os.environ.get("KB_TESSERACT")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    found = shutil.which("tesseract")
    if found:
        return found
    return str(_WINDOWS_DEFAULT) if _WINDOWS_DEFAULT.is_file() else None


def unavailable() -> str | None:
    """Why OCR cannot run here (in French), or None when Tesseract and its French data are
    installed."""
    return _unavailable(program())


@lru_cache(maxsize=4)
def _unavailable(exe: str | None) -> str | None:
    # Asked once per process and program: the answer costs a program start.
    if exe is None:
        return "Tesseract n'est pas installé"
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Tesseract ne démarre pas ({exc})"
    if LANG not in langs.stdout.decode("utf-8", "replace").split():
        return "les données françaises de Tesseract (fra) ne sont pas installées"
    return None


@lru_cache(maxsize=1)
def engine_key() -> str:
    """What produced a cached text: another version, language or resolution reads again."""
    exe = program()
    version = "?"
    if exe:
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, timeout=30, check=False)
            first = (out.stdout or out.stderr).decode("utf-8", "replace").splitlines()
            version = first[0].strip() if first else "?"
        except (OSError, subprocess.SubprocessError):
            pass
    return f"{version}|{LANG}|{DPI}|median3"


class TooSlow(ExtractionError):
    """The file's time limit came before the end of this page's OCR."""


def recognize(image: Image.Image, deadline: float, dpi: int = DPI) -> str:
    """The text Tesseract reads on ``image``; raises ``TooSlow`` past ``deadline``
    (``time.monotonic()``), ``ExtractionError`` if Tesseract fails on it."""
    exe = program()
    if exe is None:
        raise ExtractionError("OCR impossible : Tesseract n'est pas installé")
    image, dpi = _prepare(image, dpi)
    buf = io.BytesIO()
    # Grayscale PNG, fast compression: the bytes only travel through a pipe.
    image.save(buf, format="PNG", compress_level=1)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TooSlow("OCR trop long")
    # One thread per call: the pool already runs one worker per core, and Tesseract's
    # OpenMP threads on top of them make it slower, not faster.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run([exe, "stdin", "stdout", "-l", LANG, "--dpi", str(dpi), "--psm", "3"],
                              input=buf.getvalue(), capture_output=True, timeout=remaining, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise TooSlow("OCR trop long") from exc
    except OSError as exc:
        raise ExtractionError(f"OCR impossible : {os_cause(exc)}") from exc
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:120]
        raise ExtractionError(f"OCR en échec (Tesseract, code {done.returncode}) : {detail}")
    return done.stdout.decode("utf-8", "replace")


def _prepare(image: Image.Image, dpi: int) -> tuple[Image.Image, int]:
    """Grayscale, at least 300 dpi, specks removed. bench/ocr.py measured why: on scans with
    salt-and-pepper noise and JPEG artefacts, Tesseract read specks as punctuation and split
    lines into false columns (7 % CER at 200 dpi, a page at 33 %); a 3-pixel median filter at
    300 dpi brings both under 0.1 %, at a cost in speed (bench/README.md)."""
    from PIL import Image as PILImage
    from PIL import ImageFilter

    gray = image.convert("L")
    if dpi < DPI:
        factor = DPI / dpi
        if gray.width * gray.height * factor * factor <= MAX_PIXELS:
            gray = gray.resize((round(gray.width * factor), round(gray.height * factor)),
                               PILImage.Resampling.BICUBIC)
            dpi = DPI
    return gray.filter(ImageFilter.MedianFilter(3)), dpi


class Cache:
    """Recognized page texts of one file, in ``<home>/ocr/<sha[:2]>/<sha>.json``.

    Written after every page, atomically (temporary file then rename): a worker killed by the
    time limit keeps the pages it finished, and the next attempt starts where it stopped.
    A re-index of the same content (moved, re-saved, --force, a rebuilt base) reads it back."""

    def __init__(self, ocr: Ocr) -> None:
        self.path = (Path(ocr.cache_dir) / ocr.sha256[:2] / f"{ocr.sha256}.json"
                     if ocr.cache_dir and ocr.sha256 else None)
        self.pages: dict[str, str] = {}
        self.key = engine_key() if ocr.enabled else ""
        if self.path is None or not self.path.is_file():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.info("unreadable OCR cache %s: %s", self.path, exc)
            return
        if isinstance(data, dict) and data.get("engine") == self.key and isinstance(data.get("pages"), dict):
            self.pages = {str(k): str(v) for k, v in data["pages"].items()}

    def get(self, page: int) -> str | None:
        """The recognised text of page ``page``, or ``None`` when it was never read."""
        return self.pages.get(str(page))

    def put(self, page: int, text: str) -> None:
        """Keep the text of page ``page``, and write the cache file when there is one (a failed
        write is logged, not raised)."""
        self.pages[str(page)] = text
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"engine": self.key, "pages": self.pages}, ensure_ascii=False),
                           encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk costs the cache, not the document
            log.info("cannot write OCR cache %s: %s", self.path, exc)


def ocr_deadline(start: float, timeout_s: float) -> float:
    """When OCR must stop to fail the file with its own reason before the pool kills it."""
    return start + timeout_s - min(5.0, timeout_s * 0.1)
