"""The Whoosh backend (``kb.backend.SearchBackend``): an index in a folder, one shared searcher.

The index is derived data: everything in it can be rebuilt from the catalog. One searcher is
kept per process and refreshed, never opened per request; Whoosh hits are turned into our own
dataclasses before the searcher is released.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh import query as wq
from whoosh.searching import Searcher

from kb import querysyntax as qs
from kb.analysis import Analyzer
from kb.durability import check_segments, reading_index
from kb.fields import FACET_FIELDS
from kb.model import FacetValue, Groups, Hit, SearchPage, SearchRequest, pages_of
from kb.snippets import match_spans, page_starts, pages_matched, snippet, snippet_window
from kb.strategy import DATE_SORTS, costly, page_of, read_query, replace_words
from kb.synonyms import Synonyms
from kb.turns import Turns
from kb.whoosh_backend.caches import DecodedPostings, Frequencies, Recent
from kb.whoosh_backend.facets import FacetValues
from kb.whoosh_backend.finding import Finder
from kb.whoosh_backend.folding import Folding, Together
from kb.whoosh_backend.internals.bm25 import CachedBM25F
from kb.whoosh_backend.internals.lengths import FieldLengths
from kb.whoosh_backend.internals.storage import IndexStorage
from kb.whoosh_backend.internals.toc import orphans
from kb.whoosh_backend.matching import highlighted, matched_docs, text_of
from kb.whoosh_backend.query import BuiltQuery, QueryBuilder, SynonymMatcher
from kb.whoosh_backend.schema import INDEX_NAME, SCHEMA_VERSION, VERSION_FILE, build_schema
from kb.whoosh_backend.similar import similar_in
from kb.whoosh_backend.spelling import corrections
from kb.whoosh_backend.writer import WhooshBatch, writing

log = logging.getLogger(__name__)
SIMILAR_CACHE = 2048  # documents whose similar documents are kept until the next commit
PAGE_CACHE = 512  # result pages kept until the next commit


def _no_groups() -> Groups:
    return Groups(0, {}, {})


class WhooshBackend:
    """A Whoosh index in a directory, with one shared, refreshed searcher."""

    def __init__(self, path: Path, synonyms: Synonyms) -> None:
        self.path = path
        self.analyzer = Analyzer()
        self.builder = QueryBuilder(self.analyzer, SynonymMatcher(synonyms, self.analyzer))
        self._created = False  # True when this process had to create (or recreate) the index
        self._ix = self._open_or_create()
        # One searcher, used by one thread at a time: Whoosh readers seek and read shared
        # file objects, so two threads searching through it at once corrupt each other's
        # reads. One searcher per thread was slower still under load (8 threads, 10 clients
        # at 100k documents: 12 requests/s against 20 with one shared searcher), each
        # thread's readers starting cold; the rest of a request runs in parallel.
        self._searching = threading.RLock()
        self._turns = Turns()  # ordinary searches and pages before costly searches
        self._shared: Searcher | None = None
        self._similar: Recent[tuple[Hit, ...]] = Recent(SIMILAR_CACHE)
        self._pages: Recent[SearchPage] = Recent(PAGE_CACHE)
        self._facet_values = FacetValues()
        self._lengths = FieldLengths()
        self._postings = DecodedPostings()
        self._frequencies = Frequencies()
        self._finder = Finder(self._facet_values, self._lengths, self._postings)
        self._folding = Folding(self._facet_values)
        # The leader of each grouped id (kb.kinship), set by the knowledge base: results then
        # show a group of copies and versions once.
        self.groups = _no_groups

    # -- lifecycle ----------------------------------------------------------------------------

    def _open_or_create(self) -> Any:
        self.path.mkdir(parents=True, exist_ok=True)
        # No mmap, for readers and the writer alike. Whoosh copies each memory-mapped compound
        # segment into a private BytesIO per reader: every thread's searcher held a copy of the
        # whole index (113 MB per searcher at 10k documents, 1 GB for 8 server threads), and
        # the writer's mapped segments were 800 MB of kb index's RSS at 100k documents. Plain
        # reads go through the OS page cache, shared by all.
        storage = IndexStorage(str(self.path), supports_mmap=False)
        if self._version_ok():
            try:
                ix = storage.open_index(INDEX_NAME)
                check_segments(ix)  # a segment lost or cut by a power cut: rebuilt below
                return ix
            except index.EmptyIndexError:
                pass
            except OSError:
                raise
            except Exception as exc:  # noqa: BLE001 - any damage: the index is derived data
                # Whoosh reports a damaged table of contents in many ways (IndexError, struct
                # and pickle errors, EOF). The catalog holds every document: the index is
                # created anew here and rebuilt from it, as after a change of schema.
                log.warning("index illisible (%s : %s) : reconstruction depuis le catalogue",
                            type(exc).__name__, exc)
        ix = storage.create_index(build_schema(), indexname=INDEX_NAME)
        (self.path / VERSION_FILE).write_text(json.dumps({"schema_version": SCHEMA_VERSION}))
        self._created = True
        return ix

    def _version_ok(self) -> bool:
        try:
            data = json.loads((self.path / VERSION_FILE).read_text())
            return bool(data.get("schema_version") == SCHEMA_VERSION)
        except (OSError, ValueError):
            return False

    def needs_rebuild(self) -> bool:
        """True when this process had to create (or recreate) the index, until a ``clear``
        batch commits."""
        return self._created

    def leftovers(self) -> list[Path]:
        """What an interrupted writer left in the index folder (``internals.toc.orphans``)."""
        return orphans(self.path, INDEX_NAME)

    def close(self) -> None:
        """Release the shared searcher and the index files."""
        with self._searching:
            if self._shared is not None:
                self._shared.close()
                self._shared = None
        self._ix.close()

    @contextmanager
    def batch(self, clear: bool = False) -> Iterator[WhooshBatch]:
        """One writer: commits on success (replacing everything when ``clear``) and flushes
        the folder to disk, cancels on error, always releases Whoosh's lock, never swallows
        the error."""
        with writing(self._ix, self.path, clear) as batch:
            yield batch
        if clear:
            self._created = False

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """The searcher, for this thread alone until the block ends; reopened after each
        commit (by any process).

        Whoosh's ``refresh()`` reuses segment readers and misses deletions and cleared
        segments, so a new searcher is opened instead. Hits must not outlive the block. A
        damaged index raises ``DamagedIndex`` here, for every reading (the protocol's promise:
        no engine error crosses the seam)."""
        with self._searching, reading_index():
            current = self._shared
            if current is None or not current.up_to_date():
                if current is not None:
                    current.close()
                self._shared = current = self._ix.searcher(weighting=CachedBM25F(self._lengths))
            yield current

    # -- reading ------------------------------------------------------------------------------

    def version(self) -> int:
        """The generation of the index's latest commit (read from its folder, without the
        searcher's lock)."""
        return int(self._ix.latest_generation())

    def ids(self) -> set[str]:
        """The ids of every document in the index."""
        with self.searcher() as s:
            return {fields_["id"] for fields_ in s.all_stored_fields()}

    def count(self) -> int:
        """How many documents the index holds."""
        with self.searcher() as s:
            return int(s.doc_count())

    def similar(self, doc_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Documents sharing the key terms of ``doc_id`` ("more like this"), best first, never
        the document itself.

        Key terms come from the title, summary and body (title weighted up), scored by
        Whoosh's Bo1 model. Proper nouns are left out (a word the text nearly always
        capitalises: place and people names), which would pair documents about one town.
        Bo1 already discounts terms common in the collection, so no document-frequency cut-off
        is applied (one hurt on the judged pairs: bench/relevance/README.md)."""
        with self._turns.turn(False), self.searcher() as s:
            # A permalink in a newsletter brings many readers to one page: the answer is kept
            # until the next commit changes the index.
            key = (s.ixreader.generation(), doc_id, limit)
            found = self._similar.get(key)
            if found is None:
                found = tuple(self._hit(s.stored_fields(d), score, frozenset())
                              for d, score in similar_in(s, self.analyzer, doc_id, limit, self._lengths,
                                                         self._postings, self._frequencies))
                self._similar.put(key, found)
            return found

    def passages(self, doc_id: str, query: str, count: int = 3) -> tuple[str, ...]:
        """Up to ``count`` snippets of ``doc_id`` where ``query`` matches (HTML-safe)."""
        node = qs.parse(query)
        if node is None:
            return ()
        with self._turns.turn(False), self.searcher() as s:
            docnum = s.document_number(id=doc_id)
            if docnum is None:
                return ()
            built = self.builder.build(node, self._labels_reader(s))
            terms = highlighted(built.query, built.bonus)
            body = s.stored_fields(docnum).get("body", "")
        spans = match_spans(body, terms, self.analyzer)
        out: list[str] = []
        while spans and len(out) < count:
            shown, begin, end = snippet_window(body, spans)
            out.append(shown)
            # Next passages come from elsewhere in the text: drop what this window showed.
            spans = [sp for sp in spans if sp[1] <= begin or sp[0] >= end]
        return tuple(out)

    def search(self, request: SearchRequest) -> SearchPage:
        """A page of results for ``request``, with its facets."""
        started = time.perf_counter()
        with self._turns.turn(costly(request.query)), self.searcher() as s:
            groups = self.groups()
            # The same searches come back (a link in a newsletter, a feed polled by readers):
            # their pages are kept until the next commit changes the index or the groups.
            key = (s.ixreader.generation(), groups.version, request.query,
                   tuple(sorted(request.filters.items())), request.page, request.page_size, request.sort,
                   request.facets)
            page = self._pages.get(key)
            if page is None:
                page = self._search(s, request, groups)
                self._pages.put(key, page)
        elapsed = (time.perf_counter() - started) * 1000
        return replace(page, elapsed_ms=round(elapsed, 2))

    def _search(self, s: Searcher, request: SearchRequest, groups: Groups) -> SearchPage:
        labels = self._labels_reader(s)
        node = read_query(request)
        filter_q = self.builder.filters(request.filters, labels)
        suggestion = None
        corrected = None
        if node is None:
            everything = filter_q is not None or not request.query.strip()
            built: BuiltQuery | None = BuiltQuery(wq.Every()) if everything else None
        else:
            words = self.builder.plain_words(node)
            fixes = corrections(s, self.analyzer, words) if words else {}
            if fixes:
                suggestion = replace_words(request.query, fixes)
            built = self.builder.build(node, labels, fixes)
        found = self._finder.find(s, built, request, filter_q)
        # Ranked by relevance, a group of copies and versions is one result; by date (feeds,
        # « Trier par date »), each edition is news of its own, but an exact copy is not.
        kind = "copies" if request.sort in DATE_SORTS else "leaders"
        grouping: Mapping[str, str] = groups.copies if request.sort in DATE_SORTS else groups.leaders
        folding = (grouping, f"{kind}:{groups.version}") if grouping else None
        matched, total, page = found.matched, found.total, found.page
        together: Together = []
        if folding is not None:
            total, together = self._folding.folded(found.matched, *folding)
            if total < found.total:
                wanted = min(total, request.page * request.page_size)
                kept = self._folding.collapsed(s, found.ranked, grouping, found.matched)
                if len(kept) < wanted and len(found.ranked) < found.total:
                    # Folding left the page short: rank as deep as the members it hides.
                    deepest = min(found.total, wanted + found.total - total)
                    deeper = self._finder.find(s, built, request, filter_q, deepest)
                    kept = self._folding.collapsed(s, deeper.ranked, grouping, deeper.matched)
                page = page_of(kept, total, request)
        if suggestion is not None and total:
            # The corrected spellings were searched beside the typed words: the page says so.
            corrected = suggestion
        relaxed = built is not None and total > 0 and found.strong == 0
        hits = tuple(self._hit(s.stored_fields(docnum), score, found.terms) for docnum, score in page)
        facets = self._facet_values.counts(matched, FACET_FIELDS, together) if request.facets else {}
        if request.facets and filter_q is not None:
            facets.update(self._own_facets(s, built, request.filters, labels, folding))
        return SearchPage(query=request.query, total=total, hits=hits,
                          page=min(request.page, pages_of(total, request.page_size)),
                          page_size=request.page_size, facets=facets, suggestion=suggestion, relaxed=relaxed,
                          corrected=corrected)

    def _labels_reader(self, s: Searcher) -> Any:
        def labels(field: str) -> Iterable[str]:
            return (text_of(v) for v in s.lexicon(field))
        return labels

    def _hit(self, stored: dict[str, Any], score: float, terms: frozenset[str]) -> Hit:
        body = stored.get("body", "")
        spans = match_spans(body, terms, self.analyzer)
        paged = stored.get("format") == "pdf"
        pages = pages_matched(spans, page_starts(body)) if paged else ()
        return Hit(
            id=stored["id"], title=stored.get("title", ""), type=stored.get("type", ""),
            date=stored.get("date") or None, path=stored.get("path", ""), format=stored.get("format", ""),
            score=round(score, 4), snippet=snippet(body, spans),
            page=pages[0] if pages else None, pages=pages,
            themes=tuple(t for t in stored.get("themes", "").split(",") if t),
            summary=stored.get("summary", ""),
            added=stored.get("added") or None,
            collection=stored.get("collection") or None,
        )

    def _own_facets(self, s: Searcher, built: BuiltQuery | None, filters: dict[str, tuple[str, ...]],
                    labels: Any, folding: tuple[Mapping[str, str], str] | None = None
                    ) -> dict[str, tuple[FacetValue, ...]]:
        """The facets that have a selection, each counted with the other facets' filters but
        not its own: values of one facet are OR-ed, so a count says what ticking that value
        too would add, and the values not ticked stay visible (the usual rule of faceted
        search). Matches are read as sets of posting lists (``matched_docs``); the most common
        words that ``MAX_POSTINGS`` leaves out of a long query's scoring are counted here."""
        query = built.query if built is not None else wq.NullQuery
        out: dict[str, tuple[FacetValue, ...]] = {}
        for name, values in filters.items():
            if name not in FACET_FIELDS or not values:
                continue
            others = self.builder.filters({f: v for f, v in filters.items() if f != name}, labels)
            found = matched_docs(s, query, others, self._postings)
            together = self._folding.folded(found, *folding)[1] if folding is not None else []
            out[name] = self._facet_values.counts(found, (name,), together)[name]
        return out
