"""Readers and writers at once: searching while `kb index` commits never errors and never sees a
half-written state."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from kb.base import KnowledgeBase
from kb.model import SearchRequest

KB = [sys.executable, "-m", "kb.cli"]


def test_search_while_indexing_commits(many_files: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    KnowledgeBase(home).close()  # the reader needs a home to open
    writer = subprocess.Popen([*KB, "--home", str(home), "index", str(many_files), "--batch", "10", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors: list[BaseException] = []
    totals: list[int] = []

    def read(kb: KnowledgeBase) -> None:
        while writer.poll() is None:
            try:
                page = kb.search(SearchRequest("données publiques", facets=True))
                assert all(hit.id and hit.title is not None for hit in page.hits)
                assert sum(v.count for v in page.facets.get("format", ())) == page.total
                totals.append(page.total)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
                return

    with KnowledgeBase(home) as kb:
        threads = [threading.Thread(target=read, args=(kb,)) for _ in range(3)]
        for t in threads:
            t.start()
        cli_results = []
        while writer.poll() is None and len(cli_results) < 5:
            cli = subprocess.run([*KB, "--home", str(home), "search", "données", "--json"],
                                 capture_output=True, text=True, timeout=60)
            cli_results.append(cli)
        out, err = writer.communicate(timeout=600)
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:3]
    assert len(totals) > 10
    assert all(c.returncode == 0 and "total" in json.loads(c.stdout) for c in cli_results), \
        [c.stderr for c in cli_results]
    assert writer.returncode in (0, 1), err
    final = json.loads(out)
    with KnowledgeBase(home) as kb:
        assert kb.search(SearchRequest("données publiques")).total >= max(totals)
        assert kb.index.count() == final["indexed"]
