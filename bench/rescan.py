"""Re-scan benchmark: ``kb index`` again on an unchanged corpus already in the base (the
everyday case: nothing to extract, every file must still be checked). Target: ≤ 5 s at
100,000 documents. Runs the real command and measures its wall time and peak RSS.

    python -m bench.rescan              # 100,000 documents
    python -m bench.rescan --quick      # 300 documents
"""

from __future__ import annotations

import argparse
import json
import statistics

from bench.common import PYTHON, ROOT, run_measured, spread, table, write_result
from bench.corpus import build
from bench.search import home_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 documents (a few seconds)")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    count, repeat = (300, 2) if args.quick else (args.docs, args.repeat)
    home, corpus = home_for(count), build(count)
    cmd = [PYTHON, "-m", "kb.cli", "--home", str(home), "index", str(corpus), "--json"]
    walls, rss, reports = [], [], []
    for _ in range(repeat):
        done, wall, peak = run_measured(cmd, cwd=ROOT)
        if done.returncode not in (0, 1):
            raise SystemExit(done.stderr[-2000:])
        report = json.loads(done.stdout)
        reports.append(report)
        walls.append(wall)
        rss.append(peak / 1024**2)
    files = reports[0]["unchanged"]
    result = {"documents": count, "files_checked": files, "indexed_again": max(r["indexed"] for r in reports),
              "wall_s": spread(walls), "files_per_s": round(files / statistics.median(walls)),
              "peak_rss_mb": round(max(rss), 1), "target_s": 5.0}
    print(table(["documents", "unchanged", "re-indexed", "wall s (median)", "range", "files/s", "peak RSS MB"],
                [[count, files, result["indexed_again"], result["wall_s"]["median"],
                  f"{result['wall_s']['min']:.2f}–{result['wall_s']['max']:.2f}", result["files_per_s"],
                  result["peak_rss_mb"]]]))
    path = write_result("rescan", result, quick=args.quick)
    print(f"\n→ {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
