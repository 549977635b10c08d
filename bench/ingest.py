"""Ingestion benchmark: ``kb index`` into a fresh home, on the shared French corpus and on a
scaled corpus of real French text, against extraction alone in the same pool.

For each corpus: R runs with the default worker count (one per core), R runs with 1 worker,
and R runs of extraction only (same scan, same per-file work in the same pool, no catalog or
index writes). Reports medians and spread of wall time, files/s, pages/s, MB/s, peak RSS of
the whole process tree, and where the main process spent its time.

    python -m bench.ingest              # french-docs (3 runs) + scaled 100k (1 run)
    python -m bench.ingest --quick      # small subsets, a few seconds
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.common import DATA, FRENCH_DOCS, PYTHON, ROOT, run_measured, spread, table, write_result
from bench.corpus import build, subset

PARTS = ("scan", "wait_extraction", "index_add", "index_commit", "catalog", "other")


def _one(paths: list[Path], workers: int, extract_only: bool = False, keep: Path | None = None) -> dict[str, Any]:
    """One measured run in a fresh home; ``keep``: where to keep that home afterwards (the
    search and re-scan benchmarks reuse it instead of indexing 100,000 files again)."""
    home = Path(tempfile.mkdtemp(prefix="kb-bench-", dir=keep.parent if keep else None))
    try:
        cmd = [PYTHON, "-m", "bench._ingest_run", str(home / "h"), str(workers), *map(str, paths)]
        if extract_only:
            cmd.append("--extract-only")
        done, wall, rss = run_measured(cmd, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"échec de {' '.join(cmd)} :\n{done.stderr[-2000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["process_wall_s"] = wall  # with interpreter start-up and pool spawn
        result["peak_rss_mb"] = round(rss / 1024**2, 1)
        if keep is not None and not (keep / ".complete").exists():
            shutil.rmtree(keep, ignore_errors=True)
            (home / "h").rename(keep)
            (keep / ".complete").write_text(f"{wall:.1f}\n")
        return result
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(name: str, paths: list[Path], repeat: int, workers: int, one_worker: bool = True,
            keep: Path | None = None) -> dict[str, Any]:
    """Interleaved runs (ingest N workers, extraction only, ingest 1 worker) so that load on a
    shared machine hits every variant alike."""
    runs: dict[str, list[dict[str, Any]]] = {"ingest": [], "extract_only": [], "ingest_1_worker": []}
    for i in range(repeat):
        runs["ingest"].append(_one(paths, workers, keep=keep if i == 0 else None))
        runs["extract_only"].append(_one(paths, workers, extract_only=True))
        if one_worker:
            runs["ingest_1_worker"].append(_one(paths, 1))
    first = runs["ingest"][0]
    wall = spread([r["wall_s"] for r in runs["ingest"]])
    med = wall["median"]
    out: dict[str, Any] = {
        "corpus": name, "paths": [str(p) for p in paths], "workers": workers,
        "files": first["indexed"], "failed": first["failed"], "skipped": first["skipped"],
        "input_mb": round(first["bytes"] / 1e6, 2), "text_mb": round(first["text_bytes"] / 1e6, 2),
        "pages": first["pages"],
        "wall_s": wall,
        "files_per_s": round(first["indexed"] / med, 1),
        "pages_per_s": round(first["pages"] / med, 1),
        "input_mb_per_s": round(first["bytes"] / 1e6 / med, 2),
        "text_mb_per_s": round(first["text_bytes"] / 1e6 / med, 3),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs["ingest"]),
        "parts_s": {p: round(statistics.median(r["parts_s"].get(p, 0.0) for r in runs["ingest"]), 3)
                    for p in PARTS},
        "cpu_s": {k: round(statistics.median(r["cpu_s"][k] for r in runs["ingest"]), 2)
                  for k in first.get("cpu_s", {})},
        "extract_only_wall_s": spread([r["wall_s"] for r in runs["extract_only"]]),
        "extract_only_peak_rss_mb": max(r["peak_rss_mb"] for r in runs["extract_only"]),
    }
    # Index writing speed: extracted text over the main process' time adding + committing.
    writing = out["parts_s"]["index_add"] + out["parts_s"]["index_commit"]
    out["index_write_text_mb_per_s"] = round(first["text_bytes"] / 1e6 / writing, 3) if writing else None
    out["ratio_ingest_vs_extract_only"] = round(med / out["extract_only_wall_s"]["median"], 3)
    if runs["ingest_1_worker"]:
        out["wall_1_worker_s"] = spread([r["wall_s"] for r in runs["ingest_1_worker"]])
        out["speedup_workers_vs_1"] = round(out["wall_1_worker_s"]["median"] / med, 3)
    out["runs"] = runs
    return out


def report(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        rows.append([
            r["corpus"], r["files"], r["text_mb"], r["workers"], r["wall_s"]["median"],
            f"{r['wall_s']['min']:.1f}–{r['wall_s']['max']:.1f}", r["files_per_s"], r["pages_per_s"],
            r["input_mb_per_s"], r["peak_rss_mb"], r["extract_only_wall_s"]["median"],
            r["ratio_ingest_vs_extract_only"], r.get("wall_1_worker_s", {}).get("median"),
            r.get("speedup_workers_vs_1"), r["index_write_text_mb_per_s"],
        ])
    main = table(["corpus", "files", "text MB", "workers", "wall s", "range", "files/s", "pages/s", "MB/s",
                  "peak RSS MB", "extract-only s", "ingest/extract", "1-worker s", "speed-up", "index MB text/s"],
                 rows)
    parts = table(["corpus", *PARTS, *(f"cpu {k}" for k in results[0].get("cpu_s", {}))],
                  [[r["corpus"], *(r["parts_s"][p] for p in PARTS), *r["cpu_s"].values()] for r in results])
    return main + "\n\nMain-process wall split (s, median):\n" + parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small subsets, one run each (a few seconds)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant on the shared corpus")
    parser.add_argument("--scaled", type=int, default=100_000, help="documents in the scaled corpus (0: skip)")
    parser.add_argument("--scaled-repeat", type=int, default=1, help="runs per variant on the scaled corpus")
    parser.add_argument("--scaled-one-worker", action="store_true", help="also time 1 worker on the scaled corpus")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if args.quick:
        results = [measure("quick: french subset + scaled-300", [subset(6), build(300)], 1, args.workers)]
    else:
        results = [measure("french-docs", [FRENCH_DOCS], args.repeat, args.workers)]
        if args.scaled:
            # 1 worker vs N is measured on the shared corpus; here it would add ~10 minutes.
            results.append(measure(f"scaled-{args.scaled}", [build(args.scaled)], args.scaled_repeat, args.workers,
                                   one_worker=args.scaled_one_worker, keep=DATA / f"home-scaled-{args.scaled}"))
    print(report(results))
    path = write_result("ingest", {"results": results}, quick=args.quick)
    print(f"\n→ {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
