"""Whole pages kept until the base changes: the answer to a link followed by many readers.

A newsletter sends hundreds of readers to the same few pages at once (a search, a document's
permalink, a feed). The core keeps the results of a search, but turning them into a page still
cost most of a repeated request (the template, the snippets' markup, the facets' links); here the
bytes sent are kept and sent again. Kept: the pages of the endpoints below, asked with GET by a
visitor without a selection (the only state a page shows that is not in its address), for a
200 or a redirect, not streamed and setting no cookie. The key holds the base's version (a
commit by any process, or new groups of copies, makes every page unreachable), the address as
asked, the public address absolute links start with, the Accept header (content
negotiation) and the day (a document's citation says when it
was read). Bodies are kept compressed (gzip): the bound counts what is held, and a browser,
which takes gzip, is sent the kept bytes as they are (a fifth of the page, nothing to expand). A page one process
computed is also kept for the others (``webui.sharedpages``).
"""

from __future__ import annotations

import threading
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask, Response, g, request

from kb.errors import KBError
from webui.context import knowledge_base
from webui.links import base_url
from webui.selection import COOKIE
from webui.sharedpages import SharedPages

# Pages that depend only on the key above (views and API reading the base, nothing written).
CACHED_ENDPOINTS = frozenset({"views.search", "views.document", "views.feed_rss", "views.feed_atom",
                              "api.search", "api.document"})
KEPT_STATUSES = frozenset({200, 301, 302, 308})
# The timing of the search that made a page means nothing when it is sent again.
_DROPPED_HEADERS = frozenset({"server-timing", "content-length"})


@dataclass(frozen=True)
class Page:
    """A response as sent: status, headers and the body, compressed."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, response: Response) -> Page:
        headers = tuple((k, v) for k, v in response.headers.items() if k.lower() not in _DROPPED_HEADERS)
        return cls(response.status_code, headers, _gzip(response.get_data()))

    def response(self, gzip_ok: bool) -> Response:
        """The page as it was sent; still compressed (``Content-Encoding: gzip``) when the client
        takes gzip, as every browser does, and the page has no validator to compare (a poller's
        ``If-None-Match`` is answered on the page's own bytes)."""
        if gzip_ok and not any(k.lower() in _VALIDATORS for k, _ in self.headers):
            sent = Response(self.body, status=self.status, headers=list(self.headers))
            sent.headers["Content-Encoding"] = "gzip"
        else:
            sent = Response(zlib.decompress(self.body, _GZIP), status=self.status, headers=list(self.headers))
        sent.vary.add("Accept-Encoding")
        sent.headers["Server-Timing"] = 'cache;desc="page"'
        return sent


_GZIP = 31  # zlib's wbits for the gzip format (a header and a trailer around deflate)
_VALIDATORS = frozenset({"etag", "last-modified"})


def _gzip(data: bytes) -> bytes:
    # Level 1: 0.12 ms for a 23 KB result page, which keeps 5 KB.
    packer = zlib.compressobj(1, zlib.DEFLATED, _GZIP)
    return packer.compress(data) + packer.flush()


class PageCache:
    """Pages by key, at most ``budget`` bytes of compressed bodies, the least recently used
    dropped first; thread-safe."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._held = 0
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: Page) -> None:
        if len(page.body) > self._budget // 8:  # one page never pushes out most of the others
            return
        with self._lock:
            old = self._pages.pop(key, None)
            self._held += len(page.body) - (len(old.body) if old else 0)
            self._pages[key] = page
            while self._held > self._budget:
                _, dropped = self._pages.popitem(last=False)
                self._held -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._pages)


def install(app: Flask) -> None:
    """Serve ``app``'s repeated pages from a cache of ``PAGE_CACHE_BYTES`` (0: none), and from
    the pages the other processes of the same ``kb serve`` run kept (``PAGE_CACHE_RUN``; at most
    ``SHARED_PAGE_CACHE_BYTES`` in the base's folder, 0: none)."""
    budget = int(app.config["PAGE_CACHE_BYTES"])
    if budget <= 0:
        return
    cache = PageCache(budget)
    shared = None
    run = str(app.config["PAGE_CACHE_RUN"])
    if int(app.config["SHARED_PAGE_CACHE_BYTES"]) > 0 and run:
        shared = SharedPages(Path(app.config["KB_HOME"]) / "cache" / "pages.sqlite",
                             int(app.config["SHARED_PAGE_CACHE_BYTES"]))
        weakref.finalize(app, shared.close)  # as the base: when the app goes
    # Apps of one base with other settings (tests, a second site) must not share pages; the
    # secret key is drawn per process and changes no page.
    settings = repr(sorted((k, v) for k, v in app.config.items()
                           if k != "SECRET_KEY" and isinstance(v, str | int | float | bool | None)))

    @app.before_request
    def serve_kept() -> Response | None:
        key = _key()
        if key is None:
            return None
        page = cache.get(key)
        if page is None:
            # The shared file's key and version: the page's, and the settings and run that made it.
            shared_key = (repr((settings, key)), repr((run, key[0])))
            found = shared.get(*shared_key) if shared is not None else None
            if found is None:
                g.kb_page_key = key, shared_key
                return None
            page = Page(found[0], tuple(found[1]), found[2])
            cache.put(key, page)
        response = page.response(_takes_gzip())
        if response.headers.get("ETag") or response.headers.get("Last-Modified"):
            response.make_conditional(request)  # a poller's copy is still current: a 304
        return response

    @app.after_request
    def keep(response: Response) -> Response:
        keys = g.pop("kb_page_key", None)
        if (keys is not None and response.status_code in KEPT_STATUSES and not response.is_streamed
                and not response.direct_passthrough and "Set-Cookie" not in response.headers
                and not response.cache_control.no_store and not response.cache_control.private):
            key, (name, version) = keys
            response.vary.add("Accept-Encoding")  # sent again, it is compressed for those who take it
            page = Page.of(response)
            cache.put(key, page)
            if shared is not None:
                shared.put(name, version, page.status, list(page.headers), page.body)
        return response


def _takes_gzip() -> bool:
    accepted = request.headers.get("Accept-Encoding") or ""
    return "gzip" in accepted and request.accept_encodings["gzip"] > 0


def _key() -> tuple[Hashable, ...] | None:
    """The key of the current request's page, or None when its page is not kept."""
    if request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS or COOKIE in request.cookies:
        return None
    try:
        version = knowledge_base().version()
    except (KBError, OSError):  # the view will say what is wrong
        return None
    # The address as the server received it (what request.root_url and request.full_path are
    # made of, without decoding them again for every page sent from here).
    environ = request.environ
    address = (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST") or environ.get("SERVER_NAME"),
               environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""),
               environ.get("QUERY_STRING", ""))
    return version, base_url(), address, environ.get("HTTP_ACCEPT", ""), date.today().toordinal()
