"""OCR accuracy and speed on scans whose text is known.

French pages written for this benchmark are typeset as born-digital PDFs (fpdf2), rendered to
images at 200 and 300 dpi (pypdfium2), optionally degraded the way a photocopier and a scanner
degrade them (Pillow: noise, a slight skew, JPEG artefacts), then wrapped in image-only PDFs and
read back through the indexer's own PDF extractor with OCR on. The character error rate (CER)
is the edit distance between the known text and the OCR text, over the known text's length,
after both are reduced to single spaces.

    python -m bench.ocr            # 4 pages x 2 resolutions x 2 conditions
    python -m bench.ocr --quick    # 1 page (tests/test_bench.py)

The helpers ``typeset``, ``scan`` and ``scanned_pdf`` also make the OCR fixtures of the tests.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from bench.common import RESULTS, machine

# Written for this benchmark in the register of the centres' documents (Latin-1 only: the
# core PDF fonts of fpdf2 have no curly apostrophe nor œ).
PAGES = [
    "Charte partenariale du contrat de ville de Valmont. Les signataires s'engagent à "
    "favoriser la participation des habitants des quartiers prioritaires, à réunir le "
    "conseil citoyen au moins trois fois par an et à rendre compte des actions menées "
    "dans le cadre du programme de réussite éducative. Fait à Valmont, le 12 mars 2009.",
    "Compte rendu du comité de pilotage du 4 octobre 2011. Étaient présents : la déléguée "
    "du préfet, le chef de projet politique de la ville, deux représentants du bailleur "
    "social et trois membres du conseil citoyen. Le comité a validé la programmation "
    "annuelle et demandé une évaluation à mi-parcours des actions d'insertion.",
    "Fiche d'expérience : un atelier santé ville dans le quartier des Érables. Depuis 2015, "
    "une médiatrice accompagne les familles vers l'accès aux droits et aux soins. Les "
    "partenaires soulignent l'intérêt d'une présence régulière au centre social, les "
    "jeudis après-midi, et la création d'un réseau d'écoute pour les jeunes âgés de "
    "seize à vingt-cinq ans.",
    "Étude sur l'emploi des jeunes diplômés issus des quartiers. Le taux de chômage y reste "
    "deux fois plus élevé qu'ailleurs ; les difficultés de mobilité, l'accès au premier "
    "emploi et la discrimination à l'embauche sont les obstacles les plus cités. L'étude "
    "recommande le parrainage par des entreprises et un suivi renforcé par la mission locale.",
]


def typeset(text: str) -> bytes:
    """A born-digital A4 PDF of ``text`` (12 pt Helvetica)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(25, 25)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 7, text)
    return bytes(pdf.output())


def render(pdf_bytes: bytes, dpi: int) -> Image.Image:
    """The first page of a PDF as a grayscale image at ``dpi``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        page: Image.Image = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        return page
    finally:
        doc.close()


def degrade(img: Image.Image, seed: int = 0) -> Image.Image:
    """What a tired scanner does: a 1.5° skew, blur, salt-and-pepper noise, JPEG quality 35."""
    rng = random.Random(seed)
    out = img.rotate(1.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(0.6))
    pixels = out.load()
    assert pixels is not None
    width, height = out.size
    for _ in range(width * height // 200):  # 0.5 % of the pixels flipped to black or white
        x, y = rng.randrange(width), rng.randrange(height)
        pixels[x, y] = 0 if rng.random() < 0.5 else 255
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=35)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def scan(text: str, dpi: int = 300, degraded: bool = False, seed: int = 0) -> Image.Image:
    """``text`` typeset, then rendered as a scanner would give it."""
    img = render(typeset(text), dpi)
    return degrade(img, seed) if degraded else img


def scanned_pdf(images: list[Image.Image], dpi: int = 300) -> bytes:
    """An image-only PDF (no text layer): one A4 page per image, as a scanner writes it."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for img in images:
        pdf.add_page()
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        buf.seek(0)
        pdf.image(buf, x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u00a0", " ").split())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: Levenshtein distance / reference length, on normalized spaces."""
    ref, hyp = _norm(reference), _norm(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, rc in enumerate(ref, 1):
        current = [i]
        for j, hc in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (rc != hc)))
        previous = current
    return previous[-1] / max(len(ref), 1)


def run(pages: list[str], resolutions: list[int]) -> dict[str, Any]:
    from indexer.extract.base import Limits
    from indexer.extract.ocr import Ocr, engine_key, unavailable
    from indexer.extract.pdf import extract

    missing = unavailable()
    if missing:
        raise SystemExit(f"OCR unavailable: {missing}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        for dpi in resolutions:
            for degraded in (False, True):
                errors, chars, seconds = 0.0, 0, 0.0
                per_page = []
                for n, text in enumerate(pages):
                    path = Path(tmp) / f"{dpi}-{degraded}-{n}.pdf"
                    path.write_bytes(scanned_pdf([scan(text, dpi, degraded, seed=n)], dpi))
                    start = time.perf_counter()
                    # No cache: every page is read by Tesseract.
                    got = extract(path, Limits(timeout_s=600), Ocr(enabled=True))
                    seconds += time.perf_counter() - start
                    assert got.flags == ["ocr"], got.flags  # read by OCR, not from a text layer
                    rate = cer(text, got.text)
                    per_page.append(round(rate, 4))
                    errors += rate * len(_norm(text))
                    chars += len(_norm(text))
                results.append({"dpi": dpi, "condition": "dégradé" if degraded else "propre",
                                "pages": len(pages), "cer": round(errors / chars, 4), "cer_per_page": per_page,
                                "pages_per_s": round(len(pages) / seconds, 3), "seconds": round(seconds, 2)})
    return {"engine": engine_key(), "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one page, one resolution (for the tests)")
    args = parser.parse_args()
    pages = PAGES[:1] if args.quick else PAGES
    data = run(pages, [300] if args.quick else [200, 300])
    data["machine"] = machine()
    print(f"{'dpi':>4}  {'condition':10} {'pages':>5} {'CER':>7} {'pages/s':>8}")
    for r in data["results"]:
        print(f"{r['dpi']:>4}  {r['condition']:10} {r['pages']:>5} {r['cer'] * 100:6.2f}% {r['pages_per_s']:8.3f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "ocr-quick" if args.quick else "ocr"
    (RESULTS / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
