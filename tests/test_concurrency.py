"""Readers and writers at once: searching while `kb index` commits never errors and never sees a
half-written state."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from kb.knowledgebase import KnowledgeBase
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


def test_http_search_while_indexing_commits(many_files: Path, tmp_path: Path) -> None:
    import http.client

    from webui import create_app
    from webui.server import make_server

    home = tmp_path / "home"
    KnowledgeBase(home).close()
    server = make_server(create_app({"TESTING": True, "KB_HOME": str(home)}), threads=4)
    port = server.effective_port
    closing = threading.Event()

    def serve() -> None:
        try:
            server.run()
        except OSError:
            # close() from this test's thread can pull the socket from under the poll loop.
            if not closing.is_set():
                raise

    threading.Thread(target=serve, daemon=True).start()
    writer = subprocess.Popen([*KB, "--home", str(home), "index", str(many_files), "--batch", "10"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    failures: list[str] = []
    counts: list[int] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while writer.poll() is None:
            for path in ("/api/search?q=donn%C3%A9es&limit=10", "/recherche?q=donn%C3%A9es+publiques&type=autre",
                         "/flux.atom?q=donn%C3%A9es"):
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    failures.append(f"{path}: {response.status}")
                elif path.startswith("/api/"):
                    data = json.loads(body)
                    counts.append(data["total"])
                    if len(data["hits"]) != min(10, data["total"]):
                        failures.append(f"{path}: {len(data['hits'])} hits for a total of {data['total']}")
        conn.close()

    try:
        clients = [threading.Thread(target=client) for _ in range(4)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(timeout=600)
        _, err = writer.communicate(timeout=600)
    finally:
        closing.set()
        server.close()
    assert writer.returncode in (0, 1), err
    assert not failures, failures[:5]
    assert len(counts) > 10 and counts[-1] >= counts[0]
