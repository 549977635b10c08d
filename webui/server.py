"""Serve the app with waitress: a production WSGI server, pure Python, that also runs on Windows.

Whoosh matches in pure Python under one interpreter lock, so one process answers with one core
whatever its thread count. ``serve(processes=N)`` runs N server processes on one port: the
listening sockets are bound here and handed to the children (``spawn``-safe: the way Windows
starts processes), one each on Linux, which spreads new connections evenly among them, else one
shared, whose new connections go to whichever process accepts first.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import signal
import socket
import sys
import threading
from multiprocessing.connection import wait
from typing import Any

from flask import Flask

from kb.errors import KBError

log = logging.getLogger(__name__)

# Two server processes answered 2.5-3 times as many requests as one on a 2-core machine
# (bench.load at 100k documents, newsletter mix); more would mostly cost memory there.
DEFAULT_PROCESSES = min(2, os.cpu_count() or 1)

# waitress options shared by every way of running it. Long URLs are refused before reaching
# the app (a query is at most 500 characters).
_OPTIONS: dict[str, Any] = {"ident": "Passerelles", "max_request_header_size": 64 * 1024,
                            "max_request_body_size": 64 * 1024}


class ServerStartError(RuntimeError):
    """A server process stopped as it started (its error is in the log above)."""


class PortUnavailable(OSError):
    """The address cannot be listened on (a port taken, an address not of this computer)."""


def serve(config: dict[str, Any], host: str = "127.0.0.1", port: int = 8000, threads: int = 8,
          processes: int = 1) -> None:
    """Block serving the app that ``webui.create_app(config)`` builds; binds to this computer
    only unless ``host`` says otherwise. With ``processes`` > 1, each process builds its own
    app (its own searcher and caches); a child that dies is replaced, one that exits by itself as it
    starts stops them all (``ServerStartError``)."""
    # The processes of this run share the pages they compute (webui.sharedpages); a restart
    # (a new version of Passerelles, other templates) starts without the earlier run's.
    config = {**config, "PAGE_CACHE_RUN": secrets.token_hex(8)}
    if processes <= 1:
        fewer_malloc_arenas()
        listener = listening_socket(host, port)
        try:
            _serve_app(_app(config), listener, threads)
        finally:
            listener.close()
        return
    listeners = listening_sockets(host, port, processes)
    # A service manager stops servers with SIGTERM: end as on Ctrl-C, children included.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    context = multiprocessing.get_context("spawn")
    children: dict[int, tuple[Any, Any]] = {}

    def start(slot: int) -> None:
        ready = context.Event()
        # A replacement takes the socket of the process it replaces: the connections that
        # arrived meanwhile wait in its queue.
        listener = listeners[slot % len(listeners)]
        child = context.Process(target=_serve_socket, args=(config, listener, threads, ready),
                                name=f"kb-serve-{slot}", daemon=True)
        child.start()
        children[slot] = (child, ready)

    try:
        for slot in range(processes):
            start(slot)
        while children:
            wait([child.sentinel for child, _ in children.values()])
            for slot, (child, ready) in list(children.items()):
                if child.is_alive():
                    continue
                del children[slot]
                # It ended by itself before its app was built (a base that cannot be opened): a
                # new one would fail alike. One killed by a signal (the OOM killer, an operator)
                # while starting is replaced like any other.
                if not ready.is_set() and (child.exitcode or 0) >= 0:
                    raise ServerStartError(f"{child.name} stopped at start (exit code {child.exitcode})")
                log.warning("server process %s stopped (exit code %s): restarting it", child.name, child.exitcode)
                start(slot)
    finally:
        # A second Ctrl-C or SIGTERM (a terminal, a service manager and `timeout` may each send
        # one) must not interrupt the clean-up and print tracebacks from the children's joins.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child, _ in children.values():
            child.terminate()
        for child, _ in children.values():
            child.join(timeout=10)
        for listener in listeners:
            listener.close()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, interrupt)


# glibc gives each new thread that allocates an arena of its own, up to 8 per core, and memory
# freed in one is not reused by the others: with 8 threads per process, 2 processes held
# 394-397 MB after the same 7,500 newsletter requests at 100,000 documents (bench.load
# --requests), 356-357 MB with 2 arenas (349 with 1, 372 with 4). The interpreter lock keeps the
# threads from allocating at once anyway: the CPU per request was not worse.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # malloc.h


def fewer_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for the threads this process starts from now on; True if set.
    Elsewhere (Windows, macOS, musl) nothing to do. ``MALLOC_ARENA_MAX`` in the environment,
    read by glibc at start, wins."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host``:``port``, one per server process, among which
    Linux spreads new connections evenly (``SO_REUSEPORT``: by a hash of each connection's
    addresses); elsewhere one socket that every process accepts from.

    On one shared socket, whichever process is first to accept takes the connection: 50
    keep-alive clients arriving at once were split 39 / 11 between two processes (bench.load
    at 100k documents), and the busier one set the latency of all. Another program already
    listening on the port, another kb serve included, is ``PortUnavailable`` as before: the
    first socket is bound without port sharing, then the others join it."""
    first = listening_socket(host, port)
    if count <= 1 or not _SPREADS_CONNECTIONS:
        return [first]
    host_bound, port_bound = first.getsockname()[:2]
    first.close()
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sockets.append(listening_socket(host_bound, port_bound, share=True))
    except PortUnavailable:
        for sock in sockets:
            sock.close()
        raise
    return sockets


# Linux balances the connections of a port shared with SO_REUSEPORT; macOS and the BSDs hand
# them all to one socket, and Windows has no such option.
_SPREADS_CONNECTIONS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, share: bool = False) -> socket.socket:
    """A TCP socket bound to ``host``:``port``, listening: its IPv4 address when the name has
    one (``localhost`` may resolve to ::1 first, which browsers asking 127.0.0.1 would miss),
    else its IPv6 one; with ``share``, bound with ``SO_REUSEPORT`` (``listening_sockets``).
    ``PortUnavailable`` when that cannot be done."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise PortUnavailable(exc.errno, exc.strerror or str(exc)) from exc
    family, kind, proto, _, address = min(found, key=lambda info: info[0] != socket.AF_INET)
    sock = socket.socket(family, kind, proto)
    try:
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: no other program may share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:  # POSIX: a restart may rebind while old connections linger in TIME_WAIT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if share:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(exc.errno, exc.strerror or str(exc)) from exc
    return sock


def _serve_socket(config: dict[str, Any], listener: socket.socket, threads: int, ready: Any) -> None:
    """A child process: its own app, serving connections accepted from ``listener``."""
    fewer_malloc_arenas()
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    try:
        app = _app(config)
    except KBError as exc:  # a base that cannot be opened: said once, in French, no traceback
        sys.stderr.write(f"Erreur : {exc}\n")
        sys.exit(1)
    ready.set()
    try:
        _serve_app(app, listener, threads)
    except KeyboardInterrupt:  # Ctrl-C reaches every process of the console: the parent reports it
        pass


def _serve_app(app: Flask, listener: socket.socket, threads: int) -> None:
    """Block answering, with waitress, the connections accepted on ``listener``; the app's base
    is closed when the server stops, however it stops (Ctrl-C included)."""
    from webui.context import close_base

    logging.basicConfig()  # as waitress.serve does: its warnings (a queue of waiting requests) shown
    try:
        _waitress(app, threads, sockets=[listener]).run()
    finally:
        close_base(app)


def _exit_with_parent() -> None:
    """End this child when its parent ends, however it ended (even killed): nobody else would
    stop it, and it would go on answering on the port."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(0)


def _app(config: dict[str, Any]) -> Flask:
    from webui import create_app

    return create_app(config)


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> Any:
    """A waitress server not yet running (``port=0`` picks a free one): ``.run()`` then ``.close()``.
    Used by the browser tests to run the real server in a thread."""
    return _waitress(app, threads, host=host, port=port)


def _waitress(app: Flask, threads: int, **where: Any) -> Any:
    """A waitress server of ``app`` on ``where`` (``sockets``, or ``host`` and ``port``), with
    our options and its own errors in French."""
    from waitress.server import create_server

    from webui.wireerrors import in_french

    return in_french(create_server(app, threads=threads, **where, **_OPTIONS))
