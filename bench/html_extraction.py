"""Main-content extraction of our HTML extractor against the scrapinghub article benchmark.

Run: ``python -m bench.html_extraction [--quick]``. Prints a table (ours vs the published
scores listed in ../shared/corpora/html-groundtruth/NOTE.md) and writes
``bench/results/html_extraction.json``.

The metric follows the benchmark's description: ``\\w+`` tokens, 4-gram shingles counted
for gold and prediction, per-document tp/fp/fn normalised by their sum, precision averaged
over documents with a non-empty prediction, recall over documents with a non-empty gold,
F1 = harmonic mean of the two averages; accuracy = share of exact token matches.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

from indexer.extract.html import decode_html, main_text

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "corpora" / "html-groundtruth" / "scrapinghub-article-extraction-benchmark"
RESULTS = ROOT / "bench" / "results" / "html_extraction.json"

# F1 / precision / recall as published in the benchmark README (copied into NOTE.md).
PUBLISHED: dict[str, tuple[float, float | None, float | None]] = {
    "rs_trafilatura": (0.970, None, None),
    "Zyte AutoExtract (2019)": (0.970, None, None),
    "go_trafilatura": (0.960, None, None),
    "trafilatura 2.0.0": (0.958, 0.938, 0.978),
    "Diffbot (2019)": (0.951, None, None),
    "newspaper4k": (0.949, None, None),
    "news-please": (0.948, None, None),
    "readability_js 0.6.0": (0.947, None, None),
    "readability-lxml 0.8.4.1": (0.922, 0.913, 0.931),
    "dragnet": (0.907, None, None),
    "goose3": (0.896, None, None),
    "boilerpipe": (0.860, None, None),
    "justext 3.0.2": (0.804, None, None),
    "inscriptis": (0.679, None, None),
    "html-text (full text)": (0.665, None, 0.994),
    "beautifulsoup": (0.665, None, None),
    "html2text": (0.662, None, None),
}

_TOKEN = re.compile(r"\w+")
Counts = tuple[float, float, float]


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Counted n-grams of ``\\w+`` tokens; a text shorter than n is one shingle."""
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def match(gold: str, pred: str) -> Counts:
    """Per-document tp, fp, fn over shingles, normalised so each page weighs the same."""
    g, p = shingles(gold), shingles(pred)
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else tp / (tp + fn)


def scores(counts: list[Counts]) -> dict[str, float]:
    """Averaged precision and recall, and the F1 of those averages."""
    precision = statistics.mean([_precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    recall = statistics.mean([_recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def bootstrap_std(counts: list[Counts], rounds: int, seed: int = 0) -> float:
    """Standard deviation of F1 over resampled document sets."""
    rng = random.Random(seed)
    values = [scores([rng.choice(counts) for _ in counts])["f1"] for _ in range(rounds)]
    return statistics.stdev(values)


def run(quick: bool) -> dict[str, object]:
    gold = json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(gold)
    if quick:
        ids = ids[::6]  # one page in six, always the same ones
    counts: list[Counts] = []
    exact = 0
    start = time.perf_counter()
    for doc_id in ids:
        markup = decode_html(gzip.decompress((DATA / "html" / f"{doc_id}.html.gz").read_bytes()))
        pred = main_text(markup)
        expected = gold[doc_id].get("articleBody", "")
        counts.append(match(expected, pred))
        exact += _TOKEN.findall(expected) == _TOKEN.findall(pred)
    elapsed = time.perf_counter() - start
    result = scores(counts)
    return {
        "documents": len(ids),
        "quick": quick,
        **{k: round(v, 4) for k, v in result.items()},
        "f1_std": round(bootstrap_std(counts, 200 if quick else 1000), 4),
        "accuracy": round(exact / len(ids), 4),
        "seconds": round(elapsed, 1),
        "pages_per_second": round(len(ids) / elapsed, 1),
        "published": {k: {"f1": v[0], "precision": v[1], "recall": v[2]} for k, v in PUBLISHED.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="score one page in six (~30 pages)")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"ground truth not found: {DATA}", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)  # trafilatura logs every discarded block
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(args.quick)
    ours = (float(str(result["f1"])), float(str(result["precision"])), float(str(result["recall"])))
    rows: list[tuple[str, float, float | None, float | None]] = [("ours (indexer.extract.html)", *ours)]
    rows += [(name, *values) for name, values in PUBLISHED.items()]
    rows.sort(key=lambda r: -r[1])
    print(f"{'extractor':32} {'F1':>6} {'prec.':>6} {'recall':>6}")
    for name, f1, precision, recall in rows:
        cells = [f"{v:6.3f}" if isinstance(v, float) else f"{'-':>6}" for v in (f1, precision, recall)]
        print(f"{name:32} {' '.join(cells)}")
    print(
        f"\n{result['documents']} pages{' (quick sample)' if args.quick else ''}; "
        f"F1 ± {result['f1_std']} (bootstrap); exact-match accuracy {result['accuracy']}; "
        f"{result['pages_per_second']} pages/s"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
