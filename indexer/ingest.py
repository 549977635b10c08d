"""Ingestion, step two: carry out a plan. Extraction runs in a pool over all cores; the single
writer commits in batches, so a run killed at any moment keeps what was committed and the next
run finishes the job."""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from indexer.collections import Collections
from indexer.extract.base import Limits
from indexer.extract.ocr import INSTALL_HINT
from indexer.extract.ocr import unavailable as ocr_unavailable
from indexer.feed import Feed
from indexer.plan import ADD, MOVE, RELABEL, Item, Plan, scan
from indexer.task import Outcome, Task, run
from indexer.workers import Crash, Pool
from kb.catalog import FAILED, INDEXED, Change
from kb.errors import KBError, StorageFull
from kb.knowledgebase import KnowledgeBase
from kb.model import Prepared
from kb.staging import Staging

Progress = Callable[[int], None]

BATCH_DOCS = 5000
BATCH_CHARS = 50_000_000
BATCH_SECONDS = 30.0
# A run's last commit is the only one nobody works beside: the workers have nothing left.
# So a batch is committed early once the results still to come are at most 1/TAIL_SHARE of
# it, which keeps the last commit small. Committing a document took a tenth to a sixth of the
# CPU of extracting it on two timelines, and the writer then shares two cores with two workers:
# at a tenth the early commit and the extraction of the last sixth end together, at a sixth the
# commit ends later (bench/README.md, tenth and eleventh rounds). Batches under TAIL_MIN_DOCS are
# not split: a segment more for too little gain.
TAIL_SHARE = 6
TAIL_MIN_DOCS = 256
# Files' extraction costs vary a thousandfold, so counts miss a tail of small files: the last
# sixth of the shared corpus came in 0.15 s while its early commit took 1.8 s alone. So a
# batch is also committed once the results still to come, at the pace of the last
# PACE_RESULTS, would come in less time than the commit takes: COMMIT_PER_FILING times the
# time spent filing its documents (both grow with its postings; 1.9-3.1 times in six commits
# of the shared corpus beside two workers, bench/README.md).
PACE_RESULTS = 32
COMMIT_PER_FILING = 2.5
# Recognized page texts, by content hash: a file read again never runs OCR twice.
OCR_CACHE = "ocr"


@dataclass(frozen=True)
class Options:
    """How a run indexes: worker processes, limits per file, what to prune, retry and follow, OCR,
    the collection."""

    workers: int = 0  # 0: one per core
    limits: Limits = field(default_factory=Limits)
    memory_bytes: int | None = 2 * 1024**3
    prune: bool = False
    thesaurus: Path | None = None
    synonyms: Path | None = None
    batch_docs: int = BATCH_DOCS
    retry_failed: bool = False
    follow_links: bool = False  # follow links to files outside the indexed folders
    force: bool = False  # hash every file, even those whose size and mtime did not change
    # OCR of pages without text: "auto" (when Tesseract is installed), "always" (Tesseract
    # required: OcrMissing without it), "never".
    ocr: str = "auto"
    # The collection of every file of the run (else the folders' ``.collection`` files say).
    collection: str | None = None


class OcrMissing(KBError):
    """``ocr="always"`` but Tesseract or its French data cannot be found."""


def ocr_state(mode: str) -> tuple[bool, str]:
    """(OCR on, why it is off) for an ``Options.ocr`` mode on this machine."""
    if mode == "never":
        return False, "désactivé par --ocr never"
    missing = ocr_unavailable()
    if missing and mode == "always":
        raise OcrMissing(f"OCR demandé (--ocr always) mais impossible : {missing}. {INSTALL_HINT}")
    return missing is None, missing or ""


@dataclass
class Report:
    """Every file under the given paths appears exactly once in one of these."""

    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON data (``kb index --json``): counts for the common cases, each problem
        with its path and reason."""
        return {
            "indexed": len(self.indexed),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            # Sorted: workers finish in any order, the report should not.
            "skipped": [{"path": p, "reason": r} for p, r in sorted(self.skipped)],
            "failed": [{"path": p, "reason": r} for p, r in sorted(self.failed)],
            "warnings": [{"path": p, "reason": r} for p, r in sorted(self.warnings)],
        }


def default_workers() -> int:
    """One worker process per core."""
    return max(1, os.cpu_count() or 1)


def index_paths(kb: KnowledgeBase, paths: Iterable[Path], options: Options = Options(),
                progress: Callable[[int], Progress] | None = None) -> Report:
    """Scan then apply, holding the home's write lock. ``progress(total)`` returns the
    callable advanced once per file processed."""
    workers = options.workers or default_workers()
    ocr_on, _ = ocr_state(options.ocr)
    # Workers are started on demand, so a re-scan with nothing to extract spawns none (their
    # imports cost more CPU than scanning 100,000 unchanged files), except for a first
    # indexing, which always has work. They are started while the write lock is held, which
    # is safe only because they are spawned, never forked: a new interpreter inherits neither
    # the lock's descriptor nor any SQLite handle.
    with _LazyPool(run, workers, options.limits.timeout_s, options.memory_bytes) as pool:
        with kb.writing():
            if kb.is_empty():
                # A first indexing always has work: the workers import their libraries
                # (~0.5 s each) while the files are scanned and hashed.
                pool.start()
            # Documents indexed with scans left unread are read again once OCR can run, and
            # those whose OCR the time limit cut go on from their cached pages.
            reread = kb.reread_candidates() if ocr_on else set()
            plan = scan(paths, kb, options.retry_failed, options.follow_links, options.limits, options.force,
                        reread, Collections(options.collection))
            tick = progress(len(plan.work)) if progress else None
            return apply(plan, kb, pool, options, tick)  # type: ignore[arg-type]


class _LazyPool:
    """A ``Pool`` created by ``start()`` or at the first ``map_unordered`` that has work."""

    def __init__(self, func: Callable[[Task], Outcome], workers: int, timeout_s: float,
                 memory_bytes: int | None) -> None:
        self._args = (func, workers, timeout_s, memory_bytes)
        self._pool: Pool[Task, Outcome] | None = None
        self._finished: list[Pool[Task, Outcome]] = []  # told to exit, not waited for yet

    def map_unordered(self, items: Iterable[Task], stop: threading.Event | None = None
                      ) -> Iterator[tuple[Task, Outcome | Crash]]:
        items = list(items)
        if not items:
            return iter(())
        self.start()
        assert self._pool is not None
        return self._closing_after(self._pool.map_unordered(items, stop))

    def _closing_after(self, results: Iterator[tuple[Task, Outcome | Crash]]) -> Iterator[tuple[Task, Outcome | Crash]]:
        # A run extracts once: the workers are told to exit as soon as the last result is in,
        # so that they do (and free their memory) while the writer commits, not after it.
        yield from results
        if self._pool is not None:
            self._finished.append(self._pool)
            self._pool.finish()
            self._pool = None

    def start(self) -> None:
        if self._pool is None:
            self._pool = Pool(*self._args)

    def __enter__(self) -> _LazyPool:
        return self

    def __exit__(self, *exc: object) -> None:
        for pool in [*self._finished, *([self._pool] if self._pool is not None else [])]:
            pool.close()
        self._finished, self._pool = [], None


def apply(plan: Plan, kb: KnowledgeBase, pool: Pool[Task, Outcome], options: Options,
          tick: Progress | None = None) -> Report:
    """Carry out ``plan`` on ``kb``: moves and relabels from the catalog, extractions through
    ``pool``, committed in batches; then remove the documents whose file is gone (with
    ``options.prune``) or now refused, and collect the store's garbage. Takes no lock itself:
    the caller writes inside ``kb.writing()`` (see ``index_paths``). ``tick(n)`` advances the
    progress by ``n`` files."""
    report = Report(
        unchanged=[str(p) for p in plan.unchanged],
        skipped=[(str(p), r) for p, r in plan.skipped],
        failed=[(str(p), r) for p, r in plan.failed + plan.failed_before],
    )
    for doc_id, mtime in plan.touched:
        kb.touch(doc_id, mtime)
    batch = _Batch(kb, options.batch_docs)
    try:
        _extract_into(batch, plan, kb, pool, options, report, tick)
        batch.flush()
    except BaseException:
        batch.cancel()
        raise
    if options.prune and plan.gone:
        kb.remove(e.id for e in plan.gone)
        report.removed = [e.path for e in plan.gone]
    if plan.refused:
        kb.remove(e.id for e in plan.refused)
        report.removed += [e.path for e in plan.refused]
    kb.collect_garbage()
    return report


def _extract_into(batch: _Batch, plan: Plan, kb: KnowledgeBase, pool: Pool[Task, Outcome], options: Options,
                  report: Report, tick: Progress | None) -> None:
    moves = [i for i in plan.work if i.action in (MOVE, RELABEL)]
    extractions = [_with_id(i, kb) for i in plan.work if i.action not in (MOVE, RELABEL)]
    for item in moves:
        doc = kb.record(item.id)
        if doc is None:  # no record to move: extract it like a new file
            extractions.append(item)
            continue
        # Same content, so the same record in the file's new place.
        moved = replace(doc, file=item.file.as_read(doc.format), collection=item.collection)
        batch.add(Change(item.id, item.file, INDEXED, document=moved), len(moved.text))
        report.indexed.append(item.file.path)
        if tick:
            tick(1)
    ocr_on, ocr_missing = ocr_state(options.ocr)
    tasks = [Task(i.file, i.id, str(kb.store_root), options.limits,
                  str(options.thesaurus) if options.thesaurus else None,
                  str(options.synonyms) if options.synonyms else None,
                  ocr_on, str(kb.home / OCR_CACHE), ocr_missing, i.collection) for i in extractions]
    # The workers' results are taken by a thread of the feed, so they go on extracting while
    # this thread commits a batch.
    batch.awaiting = len(tasks)

    def extracted(stop: threading.Event) -> Iterator[tuple[Task, Outcome | Crash]]:
        # Counted as the workers deliver, not as the results are filed: those waiting in the
        # feed are extracted already. Only the feed's thread writes the count once it runs.
        for result in pool.map_unordered(tasks, stop):
            batch.arrived()
            yield result

    with Feed(extracted, _memory_of) as results:
        for task, outcome in results:
            _take(task, outcome, batch, report)
            if tick:
                tick(1)


def _memory_of(result: tuple[Task, Outcome | Crash]) -> int:
    """About how many bytes a worker's result takes while it waits to be filed: its text and
    pages (French text often holds a character past Latin-1, such as ’: two bytes each), its
    postings and its compressed record."""
    outcome = result[1]
    if not isinstance(outcome, Outcome) or outcome.document is None:
        return 0
    doc = outcome.document
    chars = len(doc.text) + sum(len(page) for page in doc.pages)
    return (2 * chars + (outcome.analyzed.size if outcome.analyzed is not None else 0)
            + (len(outcome.record) if outcome.record is not None else 0))


def _take(task: Task, outcome: Outcome | Crash, batch: _Batch, report: Report) -> None:
    """File one worker's result: a document, or the reason the file failed."""
    path = task.file.path
    if not isinstance(outcome, Crash) and outcome.disk_full:
        raise StorageFull(f"disque plein : {outcome.error}. Ce qui a été validé avant reste intact ; "
                          "libérez de la place puis relancez kb index pour finir.")
    if isinstance(outcome, Crash) or outcome.document is None:
        reason = outcome.reason if isinstance(outcome, Crash) else (outcome.error or "échec")
        batch.add(Change(task.id, task.file, FAILED, error=reason), 0)
        report.failed.append((path, reason))
    else:
        doc = outcome.document
        batch.add(Change(task.id, task.file, INDEXED, document=doc, record=outcome.record), len(doc.text),
                  outcome.analyzed)
        report.indexed.append(path)
        if outcome.warning:
            report.warnings.append((path, outcome.warning))


def _with_id(item: Item, kb: KnowledgeBase) -> Item:
    if item.action == ADD and not item.id:
        return replace(item, id=kb.new_id(item.file.path, item.file.sha256))
    return item


def end_in_sight(count: int, awaiting: int, arrivals: Sequence[float], filing: float) -> bool:
    """Whether a batch of ``count`` results, filed in ``filing`` seconds, is committed before
    it is full so that the run's last commit is small: ``awaiting`` results are still to come
    from the workers, the last of those delivered came at the times ``arrivals`` (seconds,
    oldest first)."""
    if awaiting <= 0 or count < TAIL_MIN_DOCS:
        return False
    if awaiting * TAIL_SHARE <= count:
        return True
    # The extraction still to come, at the pace of the last results, ends before a commit of
    # this batch would: committing now overlaps the two.
    if len(arrivals) < PACE_RESULTS:
        return False
    span = arrivals[-1] - arrivals[0]
    return span > 0 and awaiting * span / (len(arrivals) - 1) <= COMMIT_PER_FILING * filing


class _Batch:
    """Changes filed in the index as they come (``KnowledgeBase.staging``), committed once the
    batch is big or old enough.

    Committing in a background thread while the next batch filled kept the workers busy
    (-13 % wall at 10k documents) but cost ~190 MB more peak memory at 100k (1.08 GB, over the
    1 GB budget): batches are committed in the main thread (bench/README.md)."""

    def __init__(self, kb: KnowledgeBase, max_docs: int) -> None:
        self.kb = kb
        self.max_docs = max_docs
        self.staging: Staging | None = None
        self.count = 0
        self.chars = 0
        self.since = time.monotonic()
        self.awaiting = 0  # extraction results still to come in this run
        self.arrivals: deque[float] = deque(maxlen=PACE_RESULTS)  # when the last results came
        self.filing = 0.0  # seconds spent filing this batch's documents
        self.paced = False  # a batch was committed early in this run

    def arrived(self) -> None:
        """One more extraction result delivered (called by the feed's thread)."""
        self.awaiting -= 1
        self.arrivals.append(time.monotonic())

    def add(self, change: Change, chars: int, analyzed: Prepared | None = None) -> None:
        started = time.perf_counter()
        if self.staging is None:
            self.staging = self.kb.staging()
        self.staging.add(change, analyzed)
        self.filing += time.perf_counter() - started
        self.count += 1
        self.chars += chars
        if (self.count >= self.max_docs or self.chars >= BATCH_CHARS
                or time.monotonic() - self.since >= BATCH_SECONDS or self._end_in_sight()):
            self.flush()

    def _end_in_sight(self) -> bool:
        # The pace decides one early commit per run, the counts any: each adds a segment, and
        # at 100,000 documents a run whose pace could decide any ended with 7 segments (its
        # last four of 2,805, 1,216, 384 and 1,084 documents), 5 with one. The arrivals are
        # copied: the feed's thread appends to them.
        arrivals = () if self.paced else tuple(self.arrivals)
        if not end_in_sight(self.count, self.awaiting, arrivals, self.filing):
            return False
        self.paced = True
        return True

    def flush(self) -> None:
        staging, self.staging = self.staging, None
        if staging is not None:
            staging.commit()
        self.count, self.chars, self.since, self.filing = 0, 0, time.monotonic(), 0.0

    def cancel(self) -> None:
        """Drop what was not committed (the index writer cancelled, the catalog untouched)."""
        staging, self.staging = self.staging, None
        if staging is not None:
            staging.cancel()
