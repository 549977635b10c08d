"""Serve the app with waitress: a production WSGI server, pure Python, that also runs on Windows."""

from __future__ import annotations

from typing import Any

from flask import Flask


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8000, threads: int = 8, **options: Any) -> None:
    """Block serving ``app``; binds to this computer only unless ``host`` says otherwise."""
    from waitress import serve as waitress_serve

    waitress_serve(app, host=host, port=port, threads=threads, ident="Passerelles",
                   # Long URLs are refused before reaching the app (a query is at most 500 characters).
                   max_request_header_size=64 * 1024, max_request_body_size=64 * 1024,
                   **options)


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> Any:
    """A waitress server not yet running (``port=0`` picks a free one): ``.run()`` then ``.close()``.
    Used by the browser tests to run the real server in a thread."""
    from waitress.server import create_server

    return create_server(app, host=host, port=port, threads=threads, ident="Passerelles",
                         max_request_header_size=64 * 1024, max_request_body_size=64 * 1024)
