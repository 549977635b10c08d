"""One measured ingestion in a fresh process (run by bench.ingest, which samples the RSS of the
whole process tree). Prints one JSON object: wall time and where the main process spent it.

    python -m bench._ingest_run HOME WORKERS PATH [--extract-only]
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import indexer.ingest as ingest_module
from indexer.feed import Feed
from indexer.ingest import Options, apply
from indexer.plan import scan
from indexer.task import Task, run
from indexer.workers import Pool
from kb.knowledgebase import KnowledgeBase


class _Clock:
    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

    def wrap(self, name: str, func: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.part(name):
                return func(*args, **kwargs)
        return timed


class _TimedFeed(Feed[Any]):
    """The feed of results as ``apply`` sees it, counting the time the main thread waits for
    the workers (the feed's own thread receives their results meanwhile)."""

    clock: _Clock

    def __iter__(self) -> Iterator[Any]:
        it = super().__iter__()
        while True:
            with self.clock.part("wait_extraction"):
                try:
                    item = next(it)
                except StopIteration:
                    return
            yield item


def _instrument(kb: KnowledgeBase, clock: _Clock) -> None:
    """Split the writer's time: catalog (SQLite), index adds (analysis + postings), commit."""
    # The split is of the base's internals, which no public operation exposes: the bench
    # times its private catalog on purpose.
    kb._catalog.stage = clock.wrap("catalog", kb._catalog.stage)  # type: ignore[method-assign]
    kb._catalog.settle = clock.wrap("catalog", kb._catalog.settle)  # type: ignore[method-assign]
    original_batch = kb.index.batch

    @contextmanager
    def batch(*args: Any, **kwargs: Any) -> Iterator[Any]:
        cm = original_batch(*args, **kwargs)
        with clock.part("index_add"):
            b = cm.__enter__()
        put = b.put
        b.put = clock.wrap("index_add", put)  # type: ignore[method-assign]
        try:
            yield b
        except BaseException:
            cm.__exit__(*sys.exc_info())
            raise
        with clock.part("index_commit"):
            cm.__exit__(None, None, None)

    kb.index.batch = batch  # type: ignore[method-assign]


def ingest(home: Path, workers: int, paths: list[Path]) -> dict[str, Any]:
    clock = _Clock()
    started = time.perf_counter()
    options = Options(workers=workers, ocr="never")  # OCR is timed by bench.ocr
    with KnowledgeBase(home) as kb:
        _instrument(kb, clock)
        with Pool(run, workers, options.limits.timeout_s, options.memory_bytes) as pool:
            with kb.writing():
                with clock.part("scan"):
                    plan = scan(paths, kb)
                _TimedFeed.clock = clock
                setattr(ingest_module, "Feed", _TimedFeed)  # noqa: B010 - the bench's probe, not the product's API
                try:
                    report = apply(plan, kb, pool, options)
                finally:
                    setattr(ingest_module, "Feed", Feed)  # noqa: B010
        wall = time.perf_counter() - started
        entries = kb.indexed_entries()
        docs = list(kb.documents())
    clock.spent["other"] = max(0.0, wall - sum(clock.spent.values()))
    return {"cpu_s": _cpu(),
        "wall_s": wall, "parts_s": clock.spent, "indexed": len(report.indexed), "failed": len(report.failed),
        "skipped": len(report.skipped), "unchanged": len(report.unchanged),
        "bytes": sum(e.file.size for e in entries),
        "text_bytes": sum(len(d.text.encode("utf-8")) for d in docs),
        "pages": sum(d.page_count or 1 for d in docs),
    }


def extract_only(home: Path, workers: int, paths: list[Path]) -> dict[str, Any]:
    """The same scan and the same per-file work (store copy, extraction, metadata) in the same
    pool, with no catalog or index writes: the floor for ``ingest``."""
    started = time.perf_counter()
    options = Options(workers=workers, ocr="never")  # OCR is timed by bench.ocr
    with KnowledgeBase(home) as kb:
        with Pool(run, workers, options.limits.timeout_s, options.memory_bytes) as pool:
            plan = scan(paths, kb)
            tasks = [Task(i.file, i.id or f"x{n}", str(kb.store_root), options.limits)
                     for n, i in enumerate(plan.work)]
            done = sum(1 for _ in pool.map_unordered(tasks))
    return {"wall_s": time.perf_counter() - started, "files": done, "cpu_s": _cpu()}


def _cpu() -> dict[str, float]:
    """CPU seconds of this process and of its finished children (the workers): less sensitive
    than wall time to other load on a shared machine."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"main": me.ru_utime + me.ru_stime, "workers": kids.ru_utime + kids.ru_stime}


def main() -> None:
    home, workers, *rest = sys.argv[1:]
    only = "--extract-only" in rest
    paths = [Path(p) for p in rest if not p.startswith("--")]
    result = (extract_only if only else ingest)(Path(home), int(workers), paths)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
