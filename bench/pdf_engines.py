"""PDF text engines on the shared French PDFs: pypdfium2 (the default in
indexer/extract/pdf.py) against pypdf ``extract_text()``, for speed and for text quality,
with poppler's ``pdftotext`` (if installed) as a third opinion on reading order.

Quality, measured without ground truth, per engine over all pages it read:
- ``vocab_rate``: share of words (≥ 3 letters) found in the vocabulary of the shared French
  Markdown files (spacing faults and broken accents make non-words);
- ``accented_rate``: share of words with an accented letter (French prose: ~10 %; lost
  accents lower it); ``combining`` / ``replacement``: stray combining marks and U+FFFD;
- ``split_words``: share of single letters that are not French words (``d é veloppement``);
- ``glued_words``: share of words over 25 letters (missing spaces);
- ``hyphen_breaks``: words still cut by an end-of-line hyphen (``dévelop-\\npement``);
- ``order_vs_poppler``: word-sequence similarity with pdftotext (1.0 = same order);
- ``pages``: pages returned (each engine returns one text per page: page numbers stay right).

    python -m bench.pdf_engines [--quick]
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import FRENCH_DOCS, ROOT, table, write_result

_WORD = re.compile(r"[^\W\d_]+")
_ACCENT = re.compile(r"[àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ]")
SINGLE_OK = set("aàyldjmnstcçqAÀYLDJMNSTCQ")


def pdfium_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(str(path))
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            out.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return out
    finally:
        doc.close()


def pypdf_pages(path: Path) -> list[str]:
    import pypdf
    reader = pypdf.PdfReader(str(path), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    return [page.extract_text() or "" for page in reader.pages]


def poppler_pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=120)
    return out.stdout.decode("utf-8", "replace").split("\f")[:-1] if out.returncode == 0 else []


def vocabulary() -> set[str]:
    words: set[str] = set()
    for p in FRENCH_DOCS.rglob("*.md"):
        words.update(w.lower() for w in _WORD.findall(p.read_text(encoding="utf-8", errors="replace")))
    return words


def quality(pages: list[str], vocab: set[str]) -> dict[str, float]:
    text = "\n".join(pages)
    words = _WORD.findall(text)
    long_words = [w for w in words if len(w) >= 3]
    n = max(1, len(words))
    return {
        "words": len(words),
        "vocab_rate": round(sum(w.lower() in vocab for w in long_words) / max(1, len(long_words)), 4),
        "accented_rate": round(sum(bool(_ACCENT.search(w)) for w in words) / n, 4),
        "combining": sum(1 for c in text if 0x300 <= ord(c) <= 0x36F),
        "replacement": text.count("\ufffd"),
        "split_words": round(sum(len(w) == 1 and w not in SINGLE_OK for w in words) / n, 4),
        "glued_words": round(sum(len(w) > 25 for w in words) / n, 5),
        "hyphen_breaks": len(re.findall(r"[^\W\d_]-\s*\n\s*[^\W\d_]", text)),
    }


def _order(a: list[str], b: list[str]) -> float:
    wa, wb = _WORD.findall(" ".join(a))[:3000], _WORD.findall(" ".join(b))[:3000]
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio() if wa and wb else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 PDFs")
    args = parser.parse_args()
    pdfs = sorted(FRENCH_DOCS.rglob("*.pdf"))
    if args.quick:
        pdfs = pdfs[:5]
    vocab = vocabulary()
    poppler = shutil.which("pdftotext") is not None
    engines: dict[str, Callable[[Path], list[str]]] = {"pypdfium2": pdfium_pages, "pypdf": pypdf_pages}
    texts: dict[str, dict[Path, list[str]]] = {name: {} for name in engines}
    stats: dict[str, dict[str, Any]] = {}
    ref = {p: poppler_pages(p) for p in pdfs} if poppler else {}
    for name, fn in engines.items():
        seconds, failures = 0.0, []
        for p in pdfs:
            t0 = time.perf_counter()
            try:
                texts[name][p] = fn(p)
            except Exception as exc:  # noqa: BLE001 - a damaged file is a data point, not a crash
                failures.append({"file": p.name, "error": f"{type(exc).__name__}: {exc}"[:200]})
            seconds += time.perf_counter() - t0
        pages = [t for p in pdfs for t in texts[name].get(p, [])]
        stats[name] = {"seconds": round(seconds, 3), "pages": len(pages),
                       "pages_per_s": round(len(pages) / seconds, 1) if seconds else None,
                       "failures": failures, **quality(pages, vocab)}
        if ref:
            both = [p for p in pdfs if p in texts[name] and ref.get(p)]
            stats[name]["order_vs_poppler"] = round(sum(_order(texts[name][p], ref[p]) for p in both)
                                                    / max(1, len(both)), 4)
    # Same pages? Engines disagreeing on a file's page count would shift page numbers.
    common = [p for p in pdfs if all(p in texts[n] for n in engines)]
    page_mismatch = [p.name for p in common if len(texts["pypdfium2"][p]) != len(texts["pypdf"][p])]
    cols = ["pages_per_s", "pages", "vocab_rate", "accented_rate", "combining", "replacement", "split_words",
            "glued_words", "hyphen_breaks", "order_vs_poppler"]
    print(f"{len(pdfs)} PDF\n")
    print(table(["engine", *cols, "failures"],
                [[n, *(s.get(c) for c in cols), len(s["failures"])] for n, s in stats.items()]))
    print(f"\npage-count disagreements: {len(page_mismatch)}")
    path = write_result("pdf_engines", {"pdfs": len(pdfs), "poppler_reference": poppler, "engines": stats,
                                        "page_count_mismatch": page_mismatch}, quick=args.quick)
    print(f"\n→ {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
