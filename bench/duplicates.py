"""Copies, near-duplicates and versions: precision and recall of the grouping on judged pairs.

    .venv/bin/python -m bench.duplicates           # all of french-docs (~10 s)
    .venv/bin/python -m bench.duplicates --quick   # only the judged documents

Extracts every document of ../shared/corpora/french-docs with the project's extractor,
fingerprints it (kb.fingerprint), finds candidates through the LSH band keys (as an SQL index
would) plus same-name candidates, groups with kb.grouping, then scores the grouped pairs
(positive = copy / near / version) against bench/duplicates/pairs.tsv, overall, per kind and per
split. Baselines: identical files (sha256) and identical titles. Grouped pairs that nobody judged
are written to bench/results/duplicates_unjudged.tsv so that they can be judged (pooling).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import FRENCH_DOCS, RESULTS, ROOT, machine
from indexer.extract.registry import extract
from indexer.metadata import infer_metadata
from kb.fingerprint import fingerprint
from kb.grouping import Member, candidate_keys, groups, related

PAIRS = ROOT / "bench" / "duplicates" / "pairs.tsv"


def read_pairs(path: Path = PAIRS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def members(corpus: Path, only: set[str] | None = None) -> tuple[dict[str, Member], list[float], dict[str, str]]:
    """Members of every extractable file (or of `only`), fingerprint times, file sha256s."""
    out: dict[str, Member] = {}
    times: list[float] = []
    sha: dict[str, str] = {}
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus).as_posix()
        if not path.is_file() or rel == "MANIFEST.tsv" or (only is not None and rel not in only):
            continue
        sha[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            doc = extract(path)
        except Exception:  # noqa: BLE001 - a file the extractor refuses has no text to group
            continue
        start = time.perf_counter()
        fp = fingerprint(doc.text)
        times.append(time.perf_counter() - start)
        # The title and date the product gives the document (its Member is built from them).
        meta = infer_metadata(doc, path)
        out[rel] = Member(rel, fp, meta.title, doc.format, meta.date, rel, path.stat().st_size)
    return out, times, sha


def candidates(ms: dict[str, Member]) -> set[tuple[str, str]]:
    """Pairs sharing an LSH band key, a file-name key or a title key (kb.grouping.candidate_keys):
    the lookups the catalogue does through one SQL index on (key)."""
    by_key: dict[str, list[str]] = defaultdict(list)
    for m in ms.values():
        for key in candidate_keys(m):
            by_key[key].append(m.id)
    pairs: set[tuple[str, str]] = set()
    for ids in by_key.values():
        if len(ids) <= 200:  # a key shared by hundreds of files says nothing
            pairs.update((a, b) if a < b else (b, a) for a, b in itertools.combinations(ids, 2))
    return pairs


def score(grouped: set[tuple[str, str]], judged: list[dict[str, str]]) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    for row in judged:
        pair = tuple(sorted((row["a"], row["b"])))
        positive = row["judgment"] != "different"
        hit = pair in grouped
        tp += positive and hit
        fn += positive and not hit
        fp += (not positive) and hit
        tn += (not positive) and not hit
    return {"pairs": len(judged), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None}


def run(quick: bool) -> dict[str, Any]:
    judged = read_pairs()
    only = {p for row in judged for p in (row["a"], row["b"])} if quick else None
    ms, times, sha = members(FRENCH_DOCS, only)
    cands = candidates(ms)
    kinds = {}
    for a, b in cands:
        kind = related(ms[a], ms[b])
        if kind:
            kinds[(a, b)] = kind
    comps = groups(ms, kinds)
    grouped = {(a, b) for g in comps for a, b in itertools.combinations(g, 2)}
    # Baselines: identical bytes; identical extracted title.
    by_sha: dict[str, list[str]] = defaultdict(list)
    by_title: dict[str, list[str]] = defaultdict(list)
    for rel, m in ms.items():
        by_sha[sha[rel]].append(rel)
        if m.title:
            by_title[m.title.strip().casefold()].append(rel)
    base_sha = {tuple(sorted(p)) for ids in by_sha.values() for p in itertools.combinations(ids, 2)}
    base_title = {tuple(sorted(p)) for ids in by_title.values() for p in itertools.combinations(ids, 2)}
    result: dict[str, Any] = {
        "documents": len(ms), "candidates": len(cands), "related_pairs": len(kinds),
        "groups": sum(1 for g in comps if len(g) > 1), "grouped_pairs": len(grouped),
        "overall": score(grouped, judged),
        "split": {s: score(grouped, [r for r in judged if r["split"] == s])
                  for s in sorted({r["split"] for r in judged})},
        "kind_recall": {k: score(grouped, [r for r in judged if r["judgment"] == k])["recall"]
                        for k in ("copy", "near", "version")},
        "baseline_sha256": score(base_sha, judged),  # type: ignore[arg-type]
        "baseline_title": score(base_title, judged),  # type: ignore[arg-type]
        "fingerprint_ms": {"median": round(1000 * statistics.median(times), 3),
                           "max": round(1000 * max(times), 3)} if times else None,
    }
    # Kind agreement: among judged positives grouped directly, the kind related() gave.
    agree = total = 0
    for row in judged:
        pair = tuple(sorted((row["a"], row["b"])))
        if row["judgment"] != "different" and pair in kinds:
            total += 1
            agree += kinds[pair] == row["judgment"]
    result["kind_agreement"] = {"agree": agree, "of": total}
    judged_pairs = {tuple(sorted((r["a"], r["b"]))) for r in judged}
    unjudged = sorted(p for p in grouped if p not in judged_pairs)
    result["unjudged_grouped_pairs"] = len(unjudged)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / "duplicates_unjudged.tsv").open("w", encoding="utf-8") as fh:
        fh.write("a\tb\tdirect_kind\n")
        for a, b in unjudged:
            fh.write(f"{a}\t{b}\t{kinds.get((a, b), 'transitive')}\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the judged documents")
    args = parser.parse_args()
    result = run(args.quick)
    print(f"{result['documents']} documents, {result['candidates']} candidate pairs, "
          f"{result['related_pairs']} related, {result['groups']} groups, "
          f"{result['grouped_pairs']} grouped pairs ({result['unjudged_grouped_pairs']} not judged)")
    print("| method | judged pairs | TP | FP | FN | precision | recall |")
    print("|---|---|---|---|---|---|---|")
    rows = [("grouping (all)", result["overall"])]
    rows += [(f"grouping, split {s}", v) for s, v in result["split"].items()]
    rows += [("baseline: same sha256", result["baseline_sha256"]),
             ("baseline: same title", result["baseline_title"])]
    for name, s in rows:
        print(f"| {name} | {s['pairs']} | {s['tp']} | {s['fp']} | {s['fn']} | {s['precision']} | {s['recall']} |")
    print("recall per kind:", result["kind_recall"], "kind agreement:", result["kind_agreement"])
    print("fingerprint ms per document:", result["fingerprint_ms"])
    record = {"machine": machine(), "quick": args.quick, **result}
    (RESULTS / ("duplicates_quick.json" if args.quick else "duplicates.json")).write_text(
        json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("overall", "split", "kind_recall", "fingerprint_ms")}))


if __name__ == "__main__":
    main()
