"""Peer benchmark: Recoll (Xapian, C++; Debian package ``recoll``) indexing the same shared
French corpus as ``kb index``, both from a cold, empty base, interleaved runs; then the same
queries on both, comparing result counts. Recoll runs with a throwaway config directory.

    python -m bench.peers               # shared French corpus, 3 runs each
    python -m bench.peers --quick       # a small subset, 1 run each

Target: ``kb index`` wall ≤ 1.5 × Recoll's on the shared corpus (issue 15).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.common import DATA, FRENCH_DOCS, PYTHON, ROOT, run_measured, spread, table, write_result

QUERIES = ["servitude", "propriété", "accessibilité numérique", "données ouvertes", "startup d'état",
           "usufruit", "risque inondation", "contrat", "licence ouverte", "référentiel"]


def _recoll_conf(root: Path, corpus: Path) -> Path:
    conf = root / "conf"
    conf.mkdir(parents=True)
    (conf / "recoll.conf").write_text(
        f"topdirs = {corpus}\ndbdir = {root / 'xapiandb'}\nindexStemmingLanguages = french\n"
        "noaspell = 1\nloglevel = 2\n")
    return conf


def recoll_index(corpus: Path) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="recoll-bench-"))
    conf = _recoll_conf(root, corpus)
    done, wall, rss = run_measured(["recollindex", "-c", str(conf), "-z"])
    return {"wall_s": wall, "peak_rss_mb": round(rss / 1024**2, 1), "returncode": done.returncode,
            "missing_helpers": _missing_helpers(conf), "conf": str(conf), "root": str(root)}


def _missing_helpers(conf: Path) -> list[str]:
    """The helper programs Recoll lacked (its ``missing`` file): without them it indexes those
    files by name only, which makes it look faster than it is (without poppler-utils' pdftotext
    it reads no PDF text: 2.2 s instead of 4.6 s on the shared corpus, measured 2026-12-03)."""
    try:
        text = (conf / "missing").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def recoll_count(conf: str, query: str) -> int:
    out = subprocess.run(["recollq", "-c", conf, "-n", "0-0", query], capture_output=True, text=True, timeout=60)
    m = re.search(r"^(\d+) results", out.stdout + out.stderr, re.M)
    return int(m.group(1)) if m else 0


def kb_index(corpus: Path) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="kb-peer-")) / "h"
    # Recoll reads no scanned page: neither does kb here (OCR is timed by bench.ocr).
    done, wall, rss = run_measured([PYTHON, "-m", "kb.cli", "--home", str(home), "index", str(corpus), "--json",
                                    "--ocr", "never"],
                                   cwd=ROOT)
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return {"wall_s": wall, "peak_rss_mb": round(rss / 1024**2, 1), "returncode": done.returncode,
            "indexed": report.get("indexed"), "home": str(home)}


def kb_count(home: str, query: str) -> int:
    out = subprocess.run([PYTHON, "-m", "kb.cli", "--home", home, "search", query, "--json", "--limit", "1"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    return int(json.loads(out.stdout)["total"]) if out.returncode == 0 else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small subset, one run each")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus, repeat = (_text_sample(), 1) if args.quick else (FRENCH_DOCS, args.repeat)
    if shutil.which("recollindex") is None:
        result: dict[str, Any] = {"corpus": str(corpus), "recoll": {"unavailable": "apt-get install recoll"}}
        print("recollindex introuvable : apt-get install recoll poppler-utils")
        write_result("peers", result, quick=args.quick)
        return
    if not args.quick and shutil.which("pdftotext") is None:
        print("pdftotext introuvable : Recoll ne lirait le texte d'aucun PDF (apt-get install poppler-utils)")
        write_result("peers", {"corpus": str(corpus), "recoll": {"unavailable": "apt-get install poppler-utils"}},
                     quick=args.quick)
        return
    recoll_runs, kb_runs = [], []
    for _ in range(repeat):
        recoll_runs.append(recoll_index(corpus))
        kb_runs.append(kb_index(corpus))
    conf, home = recoll_runs[-1]["conf"], kb_runs[-1]["home"]
    counts = [{"query": q, "recoll": recoll_count(conf, q), "kb": kb_count(home, q)} for q in QUERIES]
    recoll_docs = recoll_count(conf, f"dir:{corpus}")
    for run in recoll_runs:
        shutil.rmtree(run.pop("root"), ignore_errors=True)
        run.pop("conf")
    for run in kb_runs:
        shutil.rmtree(Path(run.pop("home")).parent, ignore_errors=True)
    r_wall, k_wall = spread([r["wall_s"] for r in recoll_runs]), spread([r["wall_s"] for r in kb_runs])
    result = {
        "corpus": str(corpus),
        "recoll": {"version": _recoll_version(), "wall_s": r_wall, "documents": recoll_docs,
                   "missing_helpers": sorted({m for r in recoll_runs for m in r["missing_helpers"]}),
                   "peak_rss_mb": max(r["peak_rss_mb"] for r in recoll_runs), "runs": recoll_runs},
        "kb": {"wall_s": k_wall, "documents": kb_runs[0]["indexed"],
               "peak_rss_mb": max(r["peak_rss_mb"] for r in kb_runs), "runs": kb_runs},
        "ratio_kb_vs_recoll": round(k_wall["median"] / r_wall["median"], 3),
        "target_ratio": 1.5,  # issue 15 (was 2.0)
        "query_counts": counts,
    }
    print(table(["engine", "documents", "index wall s (median)", "range", "peak RSS MB"], [
        ["Recoll " + (result["recoll"]["version"] or ""), recoll_docs, r_wall["median"],
         f"{r_wall['min']:.1f}–{r_wall['max']:.1f}", result["recoll"]["peak_rss_mb"]],
        ["kb index", result["kb"]["documents"], k_wall["median"], f"{k_wall['min']:.1f}–{k_wall['max']:.1f}",
         result["kb"]["peak_rss_mb"]],
    ]))
    print(f"\nkb / Recoll wall: {result['ratio_kb_vs_recoll']} (target ≤ 1.5)")
    if result["recoll"]["missing_helpers"]:
        print("Recoll lacked helpers (those files indexed by name only): "
              + "; ".join(result["recoll"]["missing_helpers"]))
    print()
    print(table(["query", "Recoll hits", "kb hits"], [[c["query"], c["recoll"], c["kb"]] for c in counts]))
    path = write_result("peers", result, quick=args.quick)
    print(f"\n→ {path.relative_to(ROOT)}")


def _text_sample(count: int = 30) -> Path:
    """Markdown files only (no slow helper programs): enough to check the harness runs."""
    target = DATA / f"french-md-{count}"
    if not target.exists():
        target.mkdir(parents=True)
        for p in sorted(FRENCH_DOCS.rglob("*.md"))[:count]:
            shutil.copy2(p, target / p.name)
    return target


def _recoll_version() -> str | None:
    """The Debian package's version (``recoll``, or ``recollcmd`` without the desktop parts)."""
    for package in ("recoll", "recollcmd"):
        try:
            out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True,
                                 text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return None


if __name__ == "__main__":
    main()
