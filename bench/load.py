"""Load test: `kb serve` under many concurrent clients on loopback, mixing what newsletter
readers and documentalists do — searches, facet clicks, document pages, feeds and API calls.

    python -m bench.load                 # 50 clients, 60 s, 10,000-document base
    python -m bench.load --clients 10 --seconds 30 --docs 10000
    python -m bench.load --quick         # demo corpus, 10 clients, 5 s (CI)
    python -m bench.load --mix new-search --processes 2   # search pages only, no query twice
    python -m bench.load --mix questions --port 8765   # natural questions, server on that port
    python -m bench.load --attackers 4   # the same, plus 4 clients sending hostile queries
    python -m bench.load --docs 100000 --requests 7500   # the same 7,500 requests, however long they take
    python -m bench.load --mix long-documents --clients 30   # readers of two 20-million-character documents

Mixes: ``newsletter`` (default) as below; ``search``, result pages only, drawn from 250 queries
so that they repeat; ``new-search``, result pages only, each query asked once (up to 12,000
distinct queries, none of the other mixes', split between the clients; a client that has asked
all of its share stops, and the report counts it), what the result-page cache cannot help with.
``questions``, result pages of questions typed in plain French, each asked once: real ones
(``../shared/corpora/french-qa``) then the corpus's own in question frames.
``long-documents``, on the demo corpus plus two documents of 20 million characters (the
extraction limit), built once into bench/data/home-long: parts of their pages, their pages with
a query (passages), searches that find them (snippets) and their API records (with
and without the whole text), what a few dozen
readers of one huge report ask at once; its figure is the server's peak memory.
``--attackers N`` adds N clients that send only hostile queries as fast as they are answered
(500-character pasted paragraphs, misspelt words, short prefixes, long phrases, alternatives,
nested groups, each asked once): the normal users' latencies are reported apart, to compare
with a run without attackers.

Prints a table (throughput, p50/p95/p99 latency per kind of request, errors, the server's
memory at the end and at its peak: the sum over its processes of their resident and of their
highest resident memory) and writes
bench/results/load.json. The clients run in this process (threads, keep-alive connections) and
share the machine's cores with the server: the numbers are a floor, not the server alone.
Errors are any transport failure or status >= 400; the expected count is zero.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.common import DATA, PYTHON, ROOT, latency, table, write_result
from bench.search import home_for, queries, questions, real_questions
from webui.server import DEFAULT_PROCESSES

CORPUS = ROOT / "corpus" / "documents"
# Share of each kind of request in the mix.
MIXES = {"newsletter": (("search", 0.45), ("facet", 0.15), ("document", 0.2), ("feed", 0.1), ("api", 0.1)),
         "search": (("search", 1.0),), "new-search": (("search", 1.0),), "questions": (("search", 1.0),),
         "long-documents": (("document", 0.6), ("search", 0.3), ("api", 0.1))}
KINDS = ("search", "facet", "document", "feed", "api", "hostile")
LONG_CHARS = 20_000_000  # the extraction limit (indexer.extract.base.Limits.max_text_chars)
LONG_WORDS = ("habitants", "quartier", "contrat de ville", "conseil citoyen", "marches exploratoires",
              "rénovation urbaine", "emploi des jeunes", "politique de la ville")
FACETS = ("type=fiche+d%27exp%C3%A9rience", "type=%C3%A9tude%2Frapport", "annee=2019", "format=pdf",
          "theme=participation+citoyenne")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_home() -> Path:
    home = ROOT / "bench" / "data" / "home-demo"
    if not (home / ".complete").exists():
        subprocess.run([PYTHON, "-m", "kb.cli", "--home", str(home), "index", str(CORPUS), "--json"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        (home / ".complete").write_text("ok\n")
    return home


def long_home() -> Path:
    """The demo corpus and two documents of LONG_CHARS characters of real French prose."""
    home = DATA / "home-long"
    if (home / ".complete").exists():
        return home
    from bench.corpus import _paragraphs

    paragraphs, _ = _paragraphs()
    docs = DATA / "long-documents"
    docs.mkdir(parents=True, exist_ok=True)
    for n in (1, 2):
        rng = random.Random(n)
        blocks = [f"Rapport d'évaluation du programme, tome {n}"]
        size = len(blocks[0])
        while size < LONG_CHARS:
            block = " ".join(rng.choice(paragraphs))
            blocks.append(block)
            size += len(block) + 2
        (docs / f"rapport-{n}.txt").write_text("\n\n".join(blocks)[:LONG_CHARS], encoding="utf-8")
    for source in (CORPUS, docs):
        subprocess.run([PYTHON, "-m", "kb.cli", "--home", str(home), "index", str(source), "--json"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    (home / ".complete").write_text("ok\n")
    return home


def long_ids(home: Path) -> list[str]:
    with sqlite3.connect(home / "catalog.sqlite") as db:
        return [r[0] for r in db.execute("SELECT id FROM documents WHERE status='indexed' AND size > ?",
                                         (LONG_CHARS // 2,))]


def document_ids(home: Path, limit: int = 2000) -> list[str]:
    with sqlite3.connect(home / "catalog.sqlite") as db:
        return [r[0] for r in db.execute("SELECT id FROM documents WHERE status='indexed' LIMIT ?", (limit,))]


def request_paths(home: Path, count: int, mix: str = "newsletter", seed: int = 5) -> list[tuple[str, str]]:
    """A deterministic sequence of (kind, path) requests."""
    rng = random.Random(seed)
    if mix == "new-search":
        # Not the 250 queries of the other mixes (the warm-up asks some of them): none of these
        # is in the result-page cache when it is asked.
        asked_elsewhere = {q["q"] for q in queries(250)}
        distinct = [q for q in dict.fromkeys(q["q"] for q in queries(max(3000, 2 * count)))
                    if q not in asked_elsewhere]
        return [("search", f"/recherche?q={urllib.parse.quote_plus(q)}") for q in distinct[:count]]
    if mix == "questions":
        # Questions typed in plain French, each asked once: the real ones first, then the
        # corpus's own in question frames (bench.search); the costliest searches people type.
        asked = list(dict.fromkeys([q["q"] for q in real_questions(300)] + [q["q"] for q in questions(1000)]))
        return [("search", f"/recherche?q={urllib.parse.quote_plus(q)}") for q in asked[:count]]
    if mix == "long-documents":
        return _long_paths(home, count, rng)
    words = [q["q"] for q in queries(250)]
    ids = document_ids(home)
    kinds = [k for k, _ in MIXES[mix]]
    weights = [w for _, w in MIXES[mix]]
    out = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        q = urllib.parse.quote_plus(rng.choice(words))
        if kind == "search":
            path = f"/recherche?q={q}"
        elif kind == "facet":
            path = f"/recherche?q={q}&{rng.choice(FACETS)}"
        elif kind == "document":
            path = f"/d/{rng.choice(ids)}"  # the permalink, as linked from a newsletter
        elif kind == "feed":
            path = f"/flux.atom?q={q}"
        else:
            path = f"/api/search?q={q}&limit=10"
        out.append((kind, path))
    return out


def _long_paths(home: Path, count: int, rng: random.Random) -> list[tuple[str, str]]:
    ids = long_ids(home)
    parts = LONG_CHARS // 100_000  # kb.parts.PART_CHARS: about as many parts
    out = []
    for _ in range(count):
        kind = rng.choices(*zip(*MIXES["long-documents"], strict=True))[0]
        doc, q = rng.choice(ids), urllib.parse.quote_plus(rng.choice(LONG_WORDS))
        if kind == "document":
            path = rng.choice([f"/d/{doc}?partie={rng.randint(1, parts)}", f"/d/{doc}?q={q}"])
        elif kind == "search":
            path = f"/recherche?q={q}" + rng.choice(["", "&page=2", "&tri=date"])
        else:
            path = f"/api/documents/{doc}" + rng.choice(["", "?text=1"])
        out.append((kind, path))
    return out


def hostile_paths(count: int, seed: int = 9) -> list[tuple[str, str]]:
    """Search pages for queries that try to cost the server as much as the syntax allows, each
    at most the web form's 500 characters, none asked twice."""
    import re

    from bench.corpus import _paragraphs

    paragraphs, _ = _paragraphs()
    words = sorted({w.lower() for p in paragraphs for s in p for w in re.findall(r"[^\W\d_]{5,}", s)})
    rng = random.Random(seed)
    makers = [
        lambda: " ".join(rng.sample(words, 90)),  # a pasted paragraph
        lambda: " ".join(w[:2] + w[3:] for w in rng.sample(words, 70)),  # misspelt words
        lambda: " ".join(w[:2] + "*" for w in rng.sample(words, 150)),  # short prefixes
        lambda: " ".join('"' + " ".join(rng.sample(words, 8)) + '"' for _ in range(8)),  # phrases
        lambda: " OU ".join(rng.sample(words, 60)),  # alternatives
        lambda: "(" * 20 + " OU ".join(rng.sample(words, 30)) + ")" * 20,  # nested groups
    ]
    return [("hostile", "/recherche?q=" + urllib.parse.quote_plus(makers[i % len(makers)]()[:500]))
            for i in range(count)]


BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


class Client(threading.Thread):
    """Asks its plan's requests in turn until ``stop_at``; with ``repeat`` False it stops at
    the end of its plan instead of starting it again (``exhausted``)."""

    def __init__(self, port: int, plan: list[tuple[str, str]], stop_at: float, repeat: bool = True,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(daemon=True)
        self.port, self.plan, self.stop_at, self.repeat = port, plan, stop_at, repeat
        self.headers = headers or {}
        self.samples: list[tuple[str, float]] = []
        self.kept: list[bool] = []  # per sample: the page came from the server's page cache
        self.errors: list[str] = []
        self.exhausted = False

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = 0
        while time.monotonic() < self.stop_at:
            if not self.repeat and i >= len(self.plan):
                self.exhausted = True
                break
            kind, path = self.plan[i % len(self.plan)]
            i += 1
            started = time.perf_counter()
            try:
                status = self._get(conn, path)
                if status in (301, 302):  # a document page: the permalink redirects to its slug
                    status = self._get(conn, self._location)
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(f"{path}: {type(exc).__name__}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if status >= 400:
                self.errors.append(f"{path}: HTTP {status}")
            else:
                self.samples.append((kind, elapsed))
                self.kept.append(self._kept)
        conn.close()

    def _get(self, conn: http.client.HTTPConnection, path: str) -> int:
        conn.request("GET", path, headers=self.headers)
        response = conn.getresponse()
        response.read()
        self._location = urllib.parse.urlsplit(response.getheader("Location") or "/").path
        # webui.pagecache marks the pages it sends again (a redirect's target decides).
        self._kept = "cache" in (response.getheader("Server-Timing") or "")
        return response.status


def run(home: Path, clients: int, seconds: float, threads: int = 8, processes: int = 1,
        mix: str = "newsletter", attackers: int = 0, port: int = 0, gzip: bool = False,
        requests: int = 0) -> dict[str, Any]:
    port = port or free_port()
    # What browsers send: the server may then answer with the compressed bytes it keeps.
    headers = {"Accept-Encoding": BROWSER_ENCODINGS} if gzip else {}
    # Pages an earlier run kept in the base's folder (webui.sharedpages) would answer this one:
    # each run starts with none.
    for earlier in (home / "cache").glob("pages.sqlite*"):
        earlier.unlink()
    # The server's log goes to a file: an unread pipe fills up under load (waitress warns about
    # its queue depth) and then blocks the server on its next log line.
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen([PYTHON, "-m", "kb.cli", "--home", str(home), "serve", "--port", str(port),
                               "--threads", str(threads), "--processes", str(processes)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"kb serve did not start: {log.read()[-2000:]}") from None
                time.sleep(0.2)
        plan = request_paths(home, 12000 if mix == "new-search" else 5000, mix)
        # Warm the server's searchers and caches before measuring (new-search: with queries
        # the run will not ask; each server process gets some of the connections).
        warm_plan = request_paths(home, 200, "search", seed=7) if mix == "new-search" else plan[:200]
        for _ in range(processes):
            Client(port, warm_plan, time.monotonic() + 5, headers=headers).run()
        stop_at = time.monotonic() + seconds
        if mix == "new-search":  # each client its own queries: no query twice in the run
            plans = [plan[i::clients] for i in range(clients)]
        else:
            plans = [plan[i * 97 % len(plan):] + plan for i in range(clients)]
        if requests:  # the same work whatever the machine's speed: each client its share, once
            share = -(-requests // clients)
            plans = [(p * (1 + share // max(1, len(p))))[:share] for p in plans]
            stop_at = time.monotonic() + 24 * 3600
        workers = [Client(port, p, stop_at, repeat=mix != "new-search" and not requests, headers=headers)
                   for p in plans]
        hostile = hostile_paths(3000)
        workers += [Client(port, hostile[i::attackers], stop_at, headers=headers) for i in range(attackers)]
        pids = [server.pid, *child_processes(server.pid)]
        server_cpu, client_cpu = sum(_cpu_seconds(pid) for pid in pids), time.process_time()
        started = time.monotonic()
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=seconds + 60)
        wall = time.monotonic() - started
        server_cpu = sum(_cpu_seconds(pid) for pid in pids) - server_cpu
        client_cpu = time.process_time() - client_cpu
        rss_kb = sum(_rss_kb(pid) for pid in pids)
        peak_kb = sum(_rss_kb(pid, "VmHWM:") for pid in pids)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    samples = [s for w in workers for s in w.samples]
    errors = [e for w in workers for e in w.errors]
    by_kind = {kind: latency([ms for k, ms in samples if k == kind]) for kind in KINDS
               if any(k == kind for k, _ in samples)}
    normal = [ms for k, ms in samples if k != "hostile"]
    kept = [flag for w in workers for flag in w.kept]
    by_cache = {name: latency(chosen) for name, chosen in (
        ("sent again", [ms for (k, ms), f in zip(samples, kept, strict=True) if f and k != "hostile"]),
        ("computed", [ms for (k, ms), f in zip(samples, kept, strict=True) if not f and k != "hostile"]))
        if chosen}
    return {"clients": clients, "attackers": attackers, "seconds": round(wall, 1),
            "requests": len(samples) + len(errors), "throughput_rps": round(len(normal) / wall, 1),
            "latency_ms": latency(normal),
            "by_kind": by_kind, "by_cache": by_cache, "errors": len(errors), "error_samples": errors[:20],
            # new-search: clients that asked every query of their share before the end (the
            # throughput then understates the server's): more queries are needed.
            "clients_out_of_queries": 0 if requests else sum(w.exhausted for w in workers),
            "server_rss_mb": rss_kb // 1024, "server_peak_rss_mb": peak_kb // 1024,
            # CPU per answered request, the server's and the clients' (they share the cores):
            # steadier than the throughput on a shared machine.
            "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(samples)), 2),
            "client_cpu_ms_per_request": round(client_cpu * 1000 / max(1, len(samples)), 2)}


def child_processes(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the server processes of ``kb serve --processes``),
    from Linux's /proc."""
    out = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) that ``pid`` has used so far, from Linux's /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int, field: str = "VmRSS:") -> int:
    """Resident memory of ``pid`` (``VmHWM:``: its highest so far), from Linux's /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--docs", type=int, default=10_000, help="size of the scaled base")
    parser.add_argument("--threads", type=int, default=8, help="kb serve --threads")
    parser.add_argument("--processes", type=int, default=DEFAULT_PROCESSES, help="kb serve --processes")
    parser.add_argument("--mix", choices=sorted(MIXES), default="newsletter", help="what the clients ask")
    parser.add_argument("--attackers", type=int, default=0, help="extra clients sending only hostile queries")
    parser.add_argument("--quick", action="store_true", help="demo corpus, 10 clients, 5 s")
    parser.add_argument("--gzip", action="store_true",
                        help=f"send Accept-Encoding: {BROWSER_ENCODINGS}, as browsers do")
    parser.add_argument("--port", type=int, default=0,
                        help="port of the server under test (default: a free one)")
    parser.add_argument("--requests", type=int, default=0,
                        help="ask this many requests in all, then stop, instead of --seconds: the same "
                             "work on a fast or a slow machine (to compare the server's memory)")
    args = parser.parse_args()
    if args.requests and args.attackers:
        parser.error("--requests fixe le travail des lecteurs : sans --attackers, qui n'ont pas de fin")
    if args.quick:
        home, clients, seconds, docs = demo_home(), 10, 5.0, len(document_ids(demo_home()))
    elif args.mix == "long-documents":
        home, clients, seconds = long_home(), args.clients, args.seconds
        docs = len(document_ids(home))
    else:
        home, clients, seconds, docs = home_for(args.docs), args.clients, args.seconds, args.docs
    result = run(home, clients, seconds, args.threads, args.processes, args.mix, args.attackers, args.port,
                 args.gzip, args.requests)
    result["server_threads"], result["server_processes"], result["mix"] = args.threads, args.processes, args.mix
    result["gzip"] = args.gzip
    result["documents"] = docs
    rows = [["all but hostile", result["latency_ms"]["n"], result["latency_ms"]["p50"], result["latency_ms"]["p95"],
             result["latency_ms"]["p99"]]]
    rows += [[kind, v["n"], v["p50"], v["p95"], v["p99"]] for kind, v in result["by_kind"].items()]
    # Pages the server's page cache sent again, and pages it had to compute.
    rows += [[f"page {name}", v["n"], v["p50"], v["p95"], v["p99"]] for name, v in result["by_cache"].items()]
    print(f"kb serve ({args.processes} process(es) × {args.threads} threads), {docs} documents, {args.mix} mix, "
          f"{clients} clients + {args.attackers} attackers, {result['seconds']} s on loopback: "
          f"{result['throughput_rps']} requests/s, {result['errors']} errors, server RSS {result['server_rss_mb']} MB "
          f"(peak {result['server_peak_rss_mb']} MB); CPU per request: "
          f"server {result['server_cpu_ms_per_request']} ms, clients {result['client_cpu_ms_per_request']} ms")
    print(table(["requests", "n", "p50 ms", "p95 ms", "p99 ms"], rows))
    if result["clients_out_of_queries"]:
        print(f"warning: {result['clients_out_of_queries']} client(s) asked all their queries before the end "
              "(throughput understated)")
    path = write_result("load", {"command": "python -m bench.load" + (" --quick" if args.quick else
                                 f" --clients {clients} --seconds {seconds:g} --docs {docs} --threads {args.threads}"
                                 f" --processes {args.processes} --mix {args.mix} --attackers {args.attackers}"
                                 + (" --gzip" if args.gzip else "")),
                                 **result},
                        quick=args.quick)
    print(f"JSON: {path}")


if __name__ == "__main__":
    main()
