"""CPU time of the per-file work of ingestion (``indexer.task.run``: store copy, extraction,
sidecar, metadata inference, analysis) on the shared French documents, in ONE process and
without a pool, so the number is the extraction workers' CPU and nothing else. CPU time
(``time.process_time``), not wall time: it does not depend on what else the machine runs.

Each stage is timed by wrapping the functions ``run`` calls. A digest of every output
(document fields and index terms) per format tells a speed change that keeps the results
(same digest) from one that changes them: compare the ``digest`` of two runs.

    python -m bench.extraction_cpu            # the 786 files of french-docs
    python -m bench.extraction_cpu --quick    # every 10th file
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import indexer.task as task_module
from bench.common import FRENCH_DOCS, ROOT, table, write_result
from indexer.extract.base import Limits
from indexer.extract.registry import sniff
from indexer.metadata.sidecar import is_sidecar
from indexer.walk import walk
from kb.model import FileIdentity
from kb.store import Store, file_sha256

# The names ``run`` looks up in its module, in the order it calls them.
STAGES = {"store": None, "extract": "extract", "sidecar": "read_sidecar", "metadata": "infer_metadata",
          "analysis": "prepare"}


def files(quick: bool) -> list[tuple[Path, str]]:
    """(path, format) of every file ``kb index`` would extract, in walk order."""
    found = [f.path for f in walk([FRENCH_DOCS]) if not f.error and not f.path.name.startswith(".")
             and not is_sidecar(f.path)]
    out = [(p, fmt) for p in found if (fmt := sniff(p)) is not None]
    return out[::10] if quick else out


def _timed(fn: Callable[..., Any], spent: dict[str, float], stage: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[stage] += time.process_time() - t0
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every 10th file (a few seconds)")
    args = parser.parse_args()
    todo = files(args.quick)
    spent: dict[str, float] = defaultdict(float)
    for stage, name in STAGES.items():
        if name:
            setattr(task_module, name, _timed(getattr(task_module, name), spent, stage))
    Store.put = _timed(Store.put, spent, "store")  # type: ignore[method-assign]
    per_format: dict[str, dict[str, Any]] = defaultdict(lambda: {"files": 0, "cpu_s": 0.0, "failed": 0,
                                                                 "stages": defaultdict(float)})
    digests: dict[str, Any] = defaultdict(hashlib.sha256)
    with tempfile.TemporaryDirectory() as store:
        for path, fmt in todo:
            st = path.stat()
            file = FileIdentity(str(path), st.st_size, st.st_mtime, file_sha256(path), fmt)
            task = task_module.Task(file, path.name, store, Limits())
            spent.clear()
            t0 = time.process_time()
            outcome = task_module.run(task)
            cpu = time.process_time() - t0
            row = per_format[fmt]
            row["files"] += 1
            row["cpu_s"] += cpu
            row["failed"] += outcome.error is not None
            for stage, seconds in spent.items():
                row["stages"][stage] += seconds
            row["stages"]["other"] += cpu - sum(spent.values())
            doc = outcome.document
            digests[fmt].update(json.dumps([str(path.relative_to(FRENCH_DOCS)), outcome.error,
                                            doc.to_dict() if doc else None, outcome.analyzed],
                                           sort_keys=True, default=str).encode())
    formats = sorted(per_format, key=lambda f: -per_format[f]["cpu_s"])
    results = {fmt: {"files": r["files"], "failed": r["failed"], "cpu_s": round(r["cpu_s"], 3),
                     "cpu_ms_per_file": round(1000 * r["cpu_s"] / r["files"], 2),
                     "stages_s": {s: round(r["stages"][s], 3) for s in (*STAGES, "other")},
                     "digest": digests[fmt].hexdigest()[:16]} for fmt, r in per_format.items()}
    total = {"files": sum(r["files"] for r in results.values()),
             "cpu_s": round(sum(r["cpu_s"] for r in results.values()), 3),
             "stages_s": {s: round(sum(r["stages_s"][s] for r in results.values()), 3) for s in (*STAGES, "other")}}
    headers = ["format", "files", "CPU s", "ms/file", *STAGES, "other", "digest"]
    rows = [[fmt, results[fmt]["files"], results[fmt]["cpu_s"], results[fmt]["cpu_ms_per_file"],
             *results[fmt]["stages_s"].values(), results[fmt]["digest"]] for fmt in formats]
    rows.append(["total", total["files"], total["cpu_s"], round(1000 * total["cpu_s"] / max(1, total["files"]), 2),
                 *total["stages_s"].values(), ""])
    print(table(headers, rows))
    path = write_result("extraction_cpu", {"corpus": str(FRENCH_DOCS), "formats": results, "total": total},
                        quick=args.quick)
    print(f"\n→ {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
