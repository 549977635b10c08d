"""Recognition of practice-sheet sections against a judged list of documents.

Run: ``python -m bench.sections`` from the repository root. Reads
``bench/sections/judged.jsonl`` (one document a line: path, split, expected (key, heading)
pairs), extracts each document with the project's extractor, runs ``find_sections`` and
prints precision and recall of (document, key) pairs per split, per source (demo corpus vs
shared corpus) and overall, against a baseline: a line equal to a section label, case
ignored. Writes ``bench/results/sections.json``. Documents of ../shared are skipped (and
counted) when the folder is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, SHARED, table, write_result
from indexer.extract.registry import extract
from kb.sectioning import MIN_SECTIONS, find_sections
from kb.sections import default_sections

JUDGED = ROOT / "bench" / "sections" / "judged.jsonl"


@dataclass(frozen=True)
class Judged:
    path: str
    split: str
    expected: frozenset[str]
    note: str

    @property
    def source(self) -> str:
        return "shared" if self.path.startswith("../shared/") else "demo"

    def resolved(self) -> Path:
        if self.path.startswith("../shared/"):
            return SHARED / self.path[len("../shared/"):]
        return ROOT / self.path


def read_judged(path: Path = JUDGED) -> list[Judged]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append(Judged(item["path"], item["split"],
                               frozenset(key for key, _title in item["expected"]), item.get("note", "")))
    return rows


def baseline(text: str, headings: Sequence[str]) -> frozenset[str]:
    """What a newcomer writes first: a line equal to a label, case ignored (same ≥ 2 rule,
    so that the comparison is about recognising headings, not about the threshold)."""
    vocabulary = default_sections()
    labels = {label.casefold(): key for key, label in vocabulary.labels.items()}
    found = {labels[line.strip().casefold()] for line in text.splitlines()
             if line.strip().casefold() in labels}
    return frozenset(found) if len(found) >= MIN_SECTIONS else frozenset()


def ours(text: str, headings: Sequence[str]) -> frozenset[str]:
    return frozenset(section.key for section in find_sections(text, headings))


def score(pairs: Iterable[tuple[frozenset[str], frozenset[str]]]) -> dict[str, Any]:
    """Precision and recall of (document, key) pairs over (expected, found) per document."""
    tp = fp = fn = docs = 0
    for expected, found in pairs:
        docs += 1
        tp += len(expected & found)
        fp += len(found - expected)
        fn += len(expected - found)
    return {"documents": docs, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0}


def measure(rows: Sequence[Judged],
            methods: dict[str, Callable[[str, Sequence[str]], frozenset[str]]] | None = None,
            ) -> dict[str, Any]:
    """Scores by method, then by group (all, dev, test, demo, shared); plus the documents
    each method got wrong and those skipped (shared data absent)."""
    methods = methods or {"passerelles": ours, "baseline": baseline}
    results: dict[str, list[tuple[Judged, frozenset[str]]]] = {name: [] for name in methods}
    skipped: list[str] = []
    for row in rows:
        path = row.resolved()
        if not path.exists():
            skipped.append(row.path)
            continue
        extracted = extract(path)
        for name, method in methods.items():
            results[name].append((row, method(extracted.text, extracted.headings)))
    groups: dict[str, Callable[[Judged], bool]] = {
        "all": lambda r: True, "dev": lambda r: r.split == "dev", "test": lambda r: r.split == "test",
        "demo": lambda r: r.source == "demo", "shared": lambda r: r.source == "shared"}
    scores = {name: {group: score((r.expected, found) for r, found in found_rows if keep(r))
                     for group, keep in groups.items()}
              for name, found_rows in results.items()}
    errors = {name: [{"path": r.path, "split": r.split, "missed": sorted(r.expected - found),
                      "wrong": sorted(found - r.expected)}
                     for r, found in found_rows if found != r.expected]
              for name, found_rows in results.items()}
    return {"scores": scores, "errors": errors, "skipped": skipped}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the documents each method got wrong")
    args = parser.parse_args(argv)
    rows = read_judged()
    result = measure(rows)
    lines = []
    for name, groups in result["scores"].items():
        for group, s in groups.items():
            lines.append([name, group, s["documents"], s["tp"], s["fp"], s["fn"], s["precision"], s["recall"]])
    print(table(["method", "documents", "n", "tp", "fp", "fn", "precision", "recall"], lines))
    if result["skipped"]:
        print(f"skipped (shared data absent): {len(result['skipped'])}", file=sys.stderr)
    if args.errors:
        for name, wrong in result["errors"].items():
            for item in wrong:
                print(name, item["split"], item["path"], "missed:", item["missed"], "wrong:", item["wrong"])
    write_result("sections", {"judged": len(rows), **result})
    print(json.dumps({"benchmark": "sections", "scores": result["scores"], "skipped": len(result["skipped"])},
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
