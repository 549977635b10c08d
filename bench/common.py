"""Shared helpers for the benchmarks: machine facts, timing statistics, peak RSS of a process
tree, tables and JSON results. Benchmarks print a table and write ``bench/results/NAME.json``."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# Generated corpora and cached indexes: big, reproducible, never committed (see .gitignore).
DATA = Path(os.environ.get("KB_BENCH_DATA", ROOT / "bench" / "data"))
SHARED = Path(os.environ.get("KB_SHARED", ROOT.parent / "shared"))
FRENCH_DOCS = SHARED / "corpora" / "french-docs"
PYTHON = sys.executable


def machine() -> dict[str, Any]:
    """What the numbers depend on: CPU, cores, memory, Python and library versions."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        pass
    versions: dict[str, str | None] = {}
    for dist in ("passerelles", "whoosh-reloaded", "pypdfium2", "pypdf", "trafilatura", "tantivy",
                 "PyStemmer", "snowballstemmer"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    import sqlite3
    versions["sqlite"] = sqlite3.sqlite_version
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 1024**3, 1),
        "python": platform.python_version(), "platform": platform.platform(),
        "versions": versions, "git": _git_head(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _git_head() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min, max over repeated runs."""
    vals = sorted(values)
    return {"median": round(statistics.median(vals), 4), "min": round(vals[0], 4),
            "max": round(vals[-1], 4), "runs": len(vals)}


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    vals = sorted(values)
    if not vals:
        return float("nan")
    k = max(0, min(len(vals) - 1, int(round(q / 100 * len(vals) + 0.5)) - 1))
    return vals[k]


def latency(values_ms: Sequence[float]) -> dict[str, float]:
    return {"p50": round(percentile(values_ms, 50), 3), "p95": round(percentile(values_ms, 95), 3),
            "p99": round(percentile(values_ms, 99), 3), "mean": round(statistics.fmean(values_ms), 3),
            "n": len(values_ms)}


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


class TreeRSS:
    """Samples the summed RSS of a process tree every ``interval`` seconds; ``peak`` in bytes."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if Path("/proc").is_dir():
                self.peak = max(self.peak, _tree_rss(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(cmd: list[str], **kwargs: Any) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Run a command; returns (completed, wall seconds, peak RSS bytes of its process tree)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    with TreeRSS(proc.pid) as rss:
        out, err = proc.communicate()
    wall = time.perf_counter() - started
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), wall, rss.peak


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable in a terminal, pasteable into bench/README.md)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(vals: Sequence[str]) -> str:
        # A row longer than the headers is cut to them, as the header line is.
        return "| " + " | ".join(v.ljust(w) for v, w in zip(vals, widths, strict=False)) + " |"

    out = [line(list(headers)), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return "—" if value is None else str(value)


def write_result(name: str, payload: dict[str, Any], quick: bool = False) -> Path:
    """Write ``bench/results/NAME.json`` (``NAME-quick.json`` in quick mode)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}{'-quick' if quick else ''}.json"
    payload = {"benchmark": name, "quick": quick, "machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path
