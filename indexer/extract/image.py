"""Images (PNG, JPEG, TIFF with its pages): text by OCR, or an « OCR non disponible » flag.

Pillow reads only the header to give the size and the number of pages: a decompression bomb
(a small PNG that declares a gigapixel) is refused before any pixel is decoded.
"""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image, UnidentifiedImageError

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
from indexer.extract.textutil import cap, normalize

_LABEL = "image"


def extract(path: Path, limits: Limits, ocr: Ocr = Ocr()) -> Extracted:
    """The text of every page (TIFF frames) of an image file, by OCR when ``ocr.enabled``."""
    start = time.monotonic()
    deadline = ocr_deadline(start, limits.timeout_s)
    # Pillow's own guard raises DecompressionBombError above 2x this; warnings are errors here.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ExtractionError(f"image trop grande (bombe de décompression ?) : plus de "
                              f"{2 * MAX_PIXELS // 1_000_000} millions de pixels déclarés") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ExtractionError(f"{_LABEL} illisible : {_why(exc)}") from exc
    with img:
        width, height = img.size
        if width * height > MAX_PIXELS:
            raise ExtractionError(f"image trop grande : {width} × {height} pixels "
                                  f"(limite {MAX_PIXELS // 1_000_000} millions)")
        count = getattr(img, "n_frames", 1)
        if count > limits.max_pages:
            raise ExtractionError(f"image trop longue : {count} pages (limite {limits.max_pages})")
        texts: list[str] = []
        flags: list[str] = []
        if not ocr.enabled:
            flags.append(UNAVAILABLE)
        else:
            cache = Cache(ocr)
            for index in range(count):
                text = cache.get(index)
                if text is None:
                    if time.monotonic() > deadline:
                        flags.append(INCOMPLETE)  # the next run goes on from the cache
                        break
                    try:
                        img.seek(index)
                        frame = img.copy()
                    except (OSError, ValueError, EOFError, SyntaxError) as exc:
                        raise ExtractionError(f"{_LABEL} endommagée : page {index + 1} illisible "
                                              f"({_why(exc)})") from exc
                    try:
                        text = recognize(frame, deadline, _dpi(img))
                    except TooSlow:
                        flags.append(INCOMPLETE)
                        break
                    cache.put(index, text)
                texts.append(text)
            flags.insert(0, RECOGNIZED)
    body = normalize("\n\n".join(t for t in texts if t.strip()))
    if not body:
        flags.append("no-text")
    return Extracted(format="image", text=cap(body, limits.max_text_chars, flags), flags=flags,
                     page_count=count)


def _dpi(img: Image.Image) -> int:
    """The resolution the file declares, when plausible; scanners write it, screenshots do not."""
    declared = img.info.get("dpi")
    try:
        value = round(float(declared[0])) if declared else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    return value if 70 <= value <= 1200 else DPI


def _why(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__
