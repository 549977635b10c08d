"""Every benchmark's ``--quick`` mode runs and writes its JSON, so the benchmarks never rot.
Timings are never asserted: this machine's load is not the code's fault."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


@pytest.fixture(scope="module")
def bench_env(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import os

    data = tmp_path_factory.mktemp("bench-data")
    return {**os.environ, "KB_BENCH_DATA": str(data), "KB_SHARED": str(shared)}


def run_quick(module: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-m", module, "--quick"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    name = module.split(".")[-1]
    return json.loads((RESULTS / f"{name}-quick.json").read_text())


def test_ingest_quick(bench_env: dict[str, str]) -> None:
    data = run_quick("bench.ingest", bench_env)
    assert data["machine"]["cores"] >= 1
    (result,) = data["results"]
    for key in ("wall_s", "files_per_s", "pages_per_s", "input_mb_per_s", "peak_rss_mb", "parts_s",
                "extract_only_wall_s", "ratio_ingest_vs_extract_only", "wall_1_worker_s", "speedup_workers_vs_1",
                "index_write_text_mb_per_s"):
        assert key in result
    assert result["files"] > 300 and result["failed"] == 0


def test_search_quick(bench_env: dict[str, str]) -> None:
    data = run_quick("bench.search", bench_env)
    assert data["queries"] >= 200
    ours = data["engines"]["passerelles (facets + highlights)"]
    assert {"p50", "p95", "p99"} <= set(ours["latency_ms"])
    assert ours["mean_hits_top10"] > 0
    assert "latency_ms" in data["engines"]["SQLite FTS5"]
    # Per query class, natural questions included (the class ranked retrieval changes most).
    assert {"one word", "two words", "phrase", "filtered word"} <= set(ours["by_class_ms"])
    questions = data["engines"]["passerelles, natural questions"]
    assert data["questions"] >= 10 and questions["mean_hits_top10"] > 0


def test_rescan_quick(bench_env: dict[str, str]) -> None:
    data = run_quick("bench.rescan", bench_env)
    assert data["files_checked"] == data["documents"] and data["indexed_again"] == 0
    assert "median" in data["wall_s"]


def test_pdf_engines_quick(bench_env: dict[str, str]) -> None:
    data = run_quick("bench.pdf_engines", bench_env)
    for engine in ("pypdfium2", "pypdf"):
        assert {"pages_per_s", "vocab_rate", "accented_rate", "hyphen_breaks"} <= set(data["engines"][engine])


@pytest.mark.skipif(shutil.which("recollindex") is None, reason="Recoll absent (apt-get install recoll)")
def test_peers_quick(bench_env: dict[str, str]) -> None:
    data = run_quick("bench.peers", bench_env)
    assert data["recoll"]["documents"] > 0 and data["kb"]["documents"] > 0
    assert "ratio_kb_vs_recoll" in data
    assert data["recoll"]["missing_helpers"] == []  # Markdown needs no helper program


def test_extraction_cpu_quick(bench_env: dict[str, str]) -> None:
    data = run_quick("bench.extraction_cpu", bench_env)
    assert data["total"]["files"] > 50
    for fmt in ("pdf", "markdown", "html", "docx"):
        result = data["formats"][fmt]
        assert result["failed"] == 0 and {"cpu_s", "stages_s", "digest"} <= set(result)
        assert {"extract", "metadata", "analysis"} <= set(result["stages_s"])


def test_ocr_quick(bench_env: dict[str, str]) -> None:
    from indexer.extract.ocr import unavailable

    missing = unavailable()
    if missing:
        if os.environ.get("KB_REQUIRE_OCR") == "1":
            pytest.fail(f"OCR required (KB_REQUIRE_OCR=1) but unavailable: {missing}")
        pytest.skip(f"OCR unavailable: {missing}")
    data = run_quick("bench.ocr", bench_env)
    assert {(r["dpi"], r["condition"]) for r in data["results"]} == {(300, "propre"), (300, "dégradé")}
    for result in data["results"]:
        assert {"cer", "pages_per_s", "pages"} <= set(result)
