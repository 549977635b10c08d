"""`kb serve` as a user starts it: a real process on a real port, with one or several server
processes sharing the port; what happens when a process dies, when the server is stopped, and
when the port is taken."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import child_processes, free_port
from tests.web.conftest import ROOT, Base
from tests.web.test_server_errors import exchange

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="finds server processes through /proc (Linux)")


def server_processes(pid: int) -> set[int]:
    """The waitress children of a `kb serve --processes` parent (not multiprocessing's helpers)."""
    found = set()
    for child in child_processes(pid):
        try:  # a child may end between the listing and this read
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(child)
        except OSError:
            continue
    return found


def get(port: int, path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as response:
        return response.status, response.read()


def wait_until(check, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.2)


def answers(port: int) -> bool:
    try:
        return get(port, "/")[0] == 200
    except OSError:
        return False


@pytest.fixture()
def serve(base: Base) -> Iterator:  # type: ignore[type-arg]
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, port: int = 0) -> tuple[subprocess.Popen[str], int]:
        port = port or free_port()
        proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "--home", str(base.home), "serve",
                                 "--port", str(port), *args], cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(proc)
        return proc, port

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=30)
        print(f"kb serve exit {proc.returncode}\n{out[-2000:]}\n{err[-3000:]}")  # shown if the test failed


def test_several_processes_share_the_port_and_replace_a_dead_one(serve) -> None:  # type: ignore[no-untyped-def]
    proc, port = serve("--processes", "2", "--threads", "2")
    wait_until(lambda: answers(port))
    wait_until(lambda: len(server_processes(proc.pid)) == 2)
    first = server_processes(proc.pid)
    status, body = get(port, "/recherche?q=quartier")
    assert status == 200 and "résultat".encode() in body

    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(server_processes(proc.pid) - {victim}) == 2)
    assert server_processes(proc.pid) != first
    for _ in range(10):  # whichever process takes the connection answers
        assert get(port, "/api/search?q=habitants")[0] == 200
    # What waitress answers itself is in French in the server processes too.
    status_line, _, body = exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 66_000)
    assert " 431 " in status_line and body.startswith("Erreur 431 : En-têtes de requête trop volumineux"), body

    survivors = server_processes(proc.pid)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Serveur arrêté" in out
    assert "Traceback" not in err
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in survivors), 30)
    assert not answers(port)


def test_a_process_killed_while_it_starts_is_replaced(serve) -> None:  # type: ignore[no-untyped-def]
    """Killed before its app is built (the OOM killer, an operator): not a start failure that
    stops the server, a process to replace."""
    proc, port = serve("--processes", "2", "--threads", "2")
    wait_until(lambda: len(server_processes(proc.pid)) >= 1, 30)
    victim = min(server_processes(proc.pid))
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: answers(port))
    wait_until(lambda: len(server_processes(proc.pid) - {victim}) == 2)
    assert proc.poll() is None
    assert get(port, "/api/search?q=habitants")[0] == 200


def test_children_end_when_the_parent_is_killed(serve) -> None:  # type: ignore[no-untyped-def]
    proc, port = serve("--processes", "2", "--threads", "2")
    wait_until(lambda: answers(port) and len(server_processes(proc.pid)) == 2)
    servers = server_processes(proc.pid)
    proc.kill()  # no chance to clean up: the children must notice alone
    proc.wait(timeout=30)
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in servers), 30)
    assert not answers(port)


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_taken_port_is_a_clear_error(serve, processes: str) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc, port = serve("--processes", processes, port=taken.getsockname()[1])
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"impossible d'écouter sur 127.0.0.1:{port}" in err
    assert "Traceback" not in err


def get_as(port: int, path: str, host: str) -> str:
    """``path`` asked with a forged Host header, as a client chooses it."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.read().decode("utf-8")


def forged_host_pages(port: int) -> str:
    """Every page with absolute links, asked with ``Host: evil.example``."""
    hits = json.loads(get_as(port, "/api/search?q=quokka", "evil.example"))["hits"]
    doc_id = hits[0]["id"]
    paths = ["/flux.rss", "/flux.atom?q=quokka", f"/selection.html?sel={doc_id}", f"/selection.md?sel={doc_id}",
             f"/selection.txt?sel={doc_id}", f"/selection?sel={doc_id}",
             f"/d/{doc_id}/fiche-d-experience-jardins-partages-quokka", f"/api/documents/{doc_id}"]
    return "\n".join(get_as(port, path, "evil.example") for path in paths)


@pytest.mark.parametrize("base_url", [None, "https://kb.example.org/"])
def test_absolute_links_never_come_from_the_host_header(serve, base_url: str | None) -> None:  # type: ignore[no-untyped-def]
    args = ("--processes", "1", "--threads", "2") + (("--base-url", base_url) if base_url else ())
    proc, port = serve(*args)
    wait_until(lambda: answers(port))
    pages = forged_host_pages(port)
    assert "evil.example" not in pages
    expected = base_url.rstrip("/") if base_url else f"http://127.0.0.1:{port}"
    assert f'<link rel="canonical" href="{expected}/d/' in pages
    assert f'"permalink":"{expected}/d/' in pages.replace(" ", "")
    assert f"<guid isPermaLink=\"true\">{expected}/d/" in pages
    assert f'href="{expected}/d/' in pages  # the newsletter's HTML block


def test_an_invalid_base_url_is_a_usage_error(serve) -> None:  # type: ignore[no-untyped-def]
    proc, _ = serve("--base-url", "evil.example")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "adresse publique invalide" in err and "Traceback" not in err


def _sockets_on(pid: int, port: int) -> tuple[set[int], set[int]]:
    """The inodes of the listening and of the established TCP sockets on ``port`` that
    process ``pid`` holds (Linux's /proc)."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(int(target[8:-1]))
    listening, established = set(), set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and int(fields[9]) in held:
                {"0A": listening, "01": established}.get(fields[3], set()).add(int(fields[9]))
    return listening, established


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads connections on Linux only")
def test_connections_are_spread_over_the_processes(serve) -> None:  # type: ignore[no-untyped-def]
    """Each process listens on its own socket of the port and Linux spreads new connections
    among them: keep-alive clients arriving at once do not pile up on whichever process was
    first to accept (39 of 50 on one of two, bench.load)."""
    proc, port = serve("--processes", "2", "--threads", "2")
    wait_until(lambda: answers(port) and len(server_processes(proc.pid)) == 2)
    children = sorted(server_processes(proc.pid))
    own = [_sockets_on(pid, port)[0] for pid in children]
    assert all(len(s) == 1 for s in own) and own[0] != own[1]
    clients = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(40)]
    try:
        time.sleep(1)  # accepted by now
        held = [len(_sockets_on(pid, port)[1]) for pid in children]
        assert sum(held) == 40 and min(held) >= 8, held  # binomial(40, 1/2): below 8 once in 10^5
    finally:
        for client in clients:
            client.close()
    # Another server on the same port is refused, as any program listening there would be.
    other, _ = serve("--processes", "2", port=port)
    _, err = other.communicate(timeout=60)
    assert other.returncode == 1 and f"impossible d'écouter sur 127.0.0.1:{port}" in err


_ARENAS_PROGRAM = """
import ctypes, sys, threading
from webui.server import fewer_malloc_arenas
if sys.argv[1] == "capped":
    assert fewer_malloc_arenas(2)
def allocate():
    # bytes over pymalloc's 512-byte limit come from malloc, in this thread's arena
    kept = [bytes(2000) for _ in range(2000)]
    done.wait()
done = threading.Event()
threads = [threading.Thread(target=allocate) for _ in range(6)]
for t in threads:
    t.start()
ctypes.CDLL(None).malloc_stats()  # one "Arena n:" per arena, on stderr
done.set()
for t in threads:
    t.join()
"""


def _glibc() -> bool:
    import platform

    return sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not _glibc(), reason="malloc arenas are glibc's")
def test_server_threads_share_two_malloc_arenas() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}

    def arenas(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", _ARENAS_PROGRAM, mode], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60, check=True)
        return sum(line.startswith("Arena ") for line in done.stderr.splitlines())

    assert arenas("default") > 2  # what the cap is for: a thread that allocates gets its own
    assert arenas("capped") == 2
