"""The Whoosh full-text index: schema, writing in batches, and searching.

The index is derived data: everything in it can be rebuilt from the catalog. One searcher is
kept per process and refreshed, never opened per request; Whoosh hits are turned into our own
dataclasses before the searcher is released.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
import heapq
from functools import partial
from itertools import chain
import json
import logging
import re
import threading
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from collections import Counter, OrderedDict
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import collectors, fields, index
from whoosh import query as wq
from whoosh.analysis import Token as WToken
from whoosh.codec.whoosh3 import W3Codec
from whoosh.analysis import Tokenizer
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from kb import querysyntax as qs
from kb.analysis import Analyzer, fold
from kb.durability import check_segments
from kb.analysis import words as words_of
from kb.model import FACET_FIELDS, Document, FacetValue, Groups, Hit, SearchPage, SearchRequest
from kb.practice import PRACTICE_FACETS
from kb.query import MATCH_FIELD, MAX_TERMS, TITLE_FIELD, AnyOf, BuiltQuery, QueryBuilder, SynonymMatcher
from kb.scoring import (CachedBM25F, FieldLengths, TermClauses, accumulate, clause_terms, deleted_docs, posting_ids,
                        within_budget)
from kb.sectioning import sections_of
from kb.sections import SECTION_PREFIX, default_sections
from kb.segments import PerSegment
from kb.snippets import PAGE_BREAK, SCAN_CHARS, match_spans, page_starts, pages_matched, snippet, snippet_window
from kb.synonyms import Synonyms
from kb.turns import Turns
from kb.vocabulary import default_vocabulary

# Bump when the schema or the analysis changes: the index is then rebuilt from the catalog.
SCHEMA_VERSION = 10  # 2: "été" is no longer a stop word; 3: headings and summary unboosted;
# 4: the body's terms include the title, headings and summary; 5: those two indexed again;
# 6: accented endings stemmed, the title's weight given at query time; 7: ``added`` (when the
# document entered the base, the feeds' order) and ``schemes`` (dispositifs apart from
# organisations); 8: ``collection`` (the centre or source a document comes from); 9: practice-
# sheet sections (``sections`` and one ``sec_<key>`` field each); 10: practice-sheet metadata
INDEX_NAME = "kb"
log = logging.getLogger(__name__)
SIMILAR_SCAN = 200_000  # characters of a document read for its key terms
SIMILAR_TERMS = 20  # key terms, searched in the body: 30 in title+body cost 3x for the same precision@3
SIMILAR_CANDIDATE_TERMS = 8  # strongest key terms that find the candidates...
SIMILAR_CANDIDATES = 20  # ...then ranked by all the key terms
SIMILAR_CACHE = 2048  # documents whose similar documents are kept until the next commit
PAGE_CACHE = 512  # result pages kept until the next commit
RERANK_DEPTH = 100  # best matches whose score gets the proximity / all-words bonus
MAX_SPELLING_LOOKUPS = 6  # unknown words of one query looked up for a correction (bounded work)
SPELLING_SECONDS = 0.2  # and no new look-up once this long was spent on them
# Postings scored for one query of words (about 1 µs each): beyond, the most common words are
# left out (a pasted paragraph of common words would otherwise read most of the index).
MAX_POSTINGS = 150_000
COSTLY_WORDS = 24  # a query of more words waits for the ordinary ones (kb.turns)
COORD_POWER = 1.0  # score x (share of the query's words held) ** COORD_POWER
# Whoosh's in-memory posting pool, before it spills sorted runs to disk: 192 holds a batch of
# 5,000 small documents (spilling and merging runs was ~20 % of the writer's CPU at 64).
WRITER_POOL_MB = 192
SURFACE_SCAN = 200_000  # characters of a document searched for the accented form of a suggestion
_VERSION_FILE = "kb-schema.json"
# Sorts by a date, newest first: the document's own date, or when it entered the base.
DATE_SORTS = {"date": "date", "added": "added"}


class FrenchTokenizer(Tokenizer):  # type: ignore[misc]
    """Adapts ``kb.analysis.Analyzer`` to Whoosh's token stream protocol."""

    def __init__(self, stemming: bool = True) -> None:
        self.stemming = stemming
        self._analyzer = Analyzer(stemming=stemming)

    def __getstate__(self) -> dict[str, Any]:
        # The schema is pickled into the index: keep the word cache out of it.
        return {"stemming": self.stemming}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["stemming"])  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrenchTokenizer) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash(("FrenchTokenizer", self.stemming))

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[WToken]:
        token = WToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for t in self._analyzer.tokens(value):
            token.text = t.term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[t.start : t.end]
            if positions:
                token.pos = start_pos + t.pos
            if chars:
                token.startchar = start_char + t.start
                token.endchar = start_char + t.end
            yield token


def build_schema() -> fields.Schema:
    # The body field indexes every word of the document (title, headings and summary too, see
    # ``analyze``), so a word is found in title and body alone; the title is indexed apart for
    # its weight, headings and summary for a bonus given to the best matches only (kb.query).
    # Only the title is boosted: headings and summary are mostly taken from the body itself,
    # and boosting them counted the same words twice (bench/relevance/README.md).
    french = FrenchTokenizer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        path=fields.ID(stored=True),
        title=fields.TEXT(analyzer=french, stored=True),
        headings=fields.TEXT(analyzer=french),
        summary=fields.TEXT(analyzer=french, stored=True),
        body=fields.TEXT(analyzer=french, stored=True),
        spell=fields.TEXT(analyzer=FrenchTokenizer(stemming=False), phrase=False),
        author=fields.TEXT(analyzer=french, stored=True),
        type=fields.ID(stored=True, sortable=True),
        format=fields.ID(stored=True, sortable=True),
        collection=fields.ID(stored=True, sortable=True),
        language=fields.ID(stored=True),
        year=fields.ID(stored=True, sortable=True),
        date=fields.ID(stored=True, sortable=True),
        themes=fields.KEYWORD(stored=True, commas=True),
        organisations=fields.KEYWORD(stored=True, commas=True),
        schemes=fields.KEYWORD(stored=True, commas=True),
        territory=fields.KEYWORD(stored=True, commas=True),
        # ISO timestamp from the catalog (``added_at``), not from the document: sorting on it
        # lists what entered the base last, whatever the document's own date.
        added=fields.ID(stored=True, sortable=True),
        # The keys of the practice-sheet sections a document has (the Section facet)...
        sections=fields.KEYWORD(stored=True, commas=True),
        # Practice-sheet metadata (kb.practice), one facet each.
        **{name: fields.KEYWORD(stored=True, commas=True) for name in PRACTICE_FACETS},
    )
    # ...and the text of each, searched on its own (``resultats:insertion``).
    schema.add(SECTION_PREFIX + "*", fields.TEXT(analyzer=french), glob=True)
    return schema


def _fields_of(doc: Document, added: str | None = None) -> dict[str, Any]:
    body = PAGE_BREAK.join(doc.pages) if doc.pages else doc.text
    bodies, schemes = default_vocabulary().split(doc.organisations)
    return {
        "id": doc.id,
        "path": doc.path,
        "title": doc.title,
        "headings": "\n".join(doc.headings),
        "summary": doc.summary,
        "body": body,
        "spell": doc.title + "\n" + body,
        "author": doc.author or "",
        "type": doc.type,
        "format": doc.format,
        "collection": doc.collection or "",
        "language": doc.language or "",
        "year": str(doc.year) if doc.year else "",
        "date": doc.date or "",
        "themes": ",".join(doc.themes),
        "organisations": ",".join(bodies),
        "schemes": ",".join(schemes),
        "territory": doc.territory or "",
        "added": added or "",
        "sections": ",".join(s.key for s in sections_of(doc)),
        **{name: ",".join(v.replace(",", " ") for v in doc.practice.get(name, ())) for name in PRACTICE_FACETS},
    }


def _section_texts(doc: Document) -> dict[str, str]:
    """Each section's text, by index field (``sec_resultats``)."""
    return {SECTION_PREFIX + s.key: doc.text[s.start:s.end][:SCAN_CHARS] for s in sections_of(doc)}


Analyzed = dict[str, list[str]]
_french_fields: list[tuple[str, "FrenchTokenizer", bool]] = []


def _text_fields() -> list[tuple[str, "FrenchTokenizer", bool]]:
    """(name, tokenizer, stored) of every field the schema analyzes with our analyzer."""
    if not _french_fields:
        _french_fields.extend((name, field.analyzer, bool(field.stored)) for name, field in build_schema().items()
                              if isinstance(field.analyzer, FrenchTokenizer))
    return _french_fields


def analyze(doc: Document) -> Analyzed:
    """The terms of each analyzed field of ``doc``, in order, produced by the schema's own
    analyzers (stop words leave no gap, so a term's position is its index).

    The body's terms start with the title's, the headings' and the summary's (most often
    repeated from the body: their words weigh more, as they did as fields of their own), so
    that every word of the document is in the body. Extraction workers call this so that the single
    writer process only files postings: Whoosh indexes a list of strings as consecutive
    tokens without running the analyzer."""
    fields_ = _fields_of(doc)
    terms = {name: tokenizer._analyzer.terms(fields_[name]) for name, tokenizer, _ in _text_fields()}
    body = terms["body"]
    analyzer = _body_analyzer()
    extra: list[str] = []
    for part in ("\n".join(doc.headings), doc.summary):
        extra.extend(analyzer.terms(part) if part else [])
    terms["body"] = terms["title"] + extra + body
    terms.update((name, analyzer.terms(text)) for name, text in _section_texts(doc).items())
    return terms


def _body_analyzer() -> Analyzer:
    return next(tokenizer._analyzer for name, tokenizer, _ in _text_fields() if name == "body")


class IndexBatch:
    """Adds and deletes inside one writer; the owner commits or cancels it."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def put(self, doc: Document, analyzed: Analyzed | None = None, new: bool = False,
            added: str | None = None) -> None:
        """Add or replace ``doc``; ``analyzed`` (from ``analyze(doc)``) skips the analysis.

        ``new``: the index cannot hold ``doc`` yet. Replacing looks the id up in every
        segment: ~15 % of the writer's CPU while indexing 100,000 new documents.
        ``added``: when the document entered the base (the catalog's ``added_at``)."""
        fields_ = _fields_of(doc, added)
        terms = analyzed if analyzed is not None else analyze(doc)
        for name, _, stored in _text_fields():
            if stored:
                # Snippets, passages and key terms read no further than SCAN_CHARS: storing
                # more only made each hit of a huge document load all of it (the catalog
                # holds the whole text).
                fields_["_stored_" + name] = fields_[name][:SCAN_CHARS]
            # Whoosh indexes a list as consecutive tokens; an empty one adds nothing, exactly
            # like a text without terms.
            fields_[name] = terms.get(name, [])
        fields_.update((name, value) for name, value in terms.items() if name.startswith(SECTION_PREFIX))
        if new:
            self._writer.add_document(**fields_)
        else:
            self._writer.update_document(**fields_)

    def delete(self, doc_id: str) -> None:
        self._writer.delete_by_term("id", doc_id)


class Index:
    """A Whoosh index in a directory, with one shared, refreshed searcher."""

    def __init__(self, path: Path, synonyms: Synonyms) -> None:
        self.path = path
        self.analyzer = Analyzer()
        self.builder = QueryBuilder(self.analyzer, SynonymMatcher(synonyms, self.analyzer))
        self._ix = self._open_or_create()
        # One searcher, used by one thread at a time: Whoosh readers seek and read shared
        # file objects, so two threads searching through it at once corrupt each other's
        # reads. One searcher per thread was slower still under load (8 threads, 10 clients
        # at 100k documents: 12 requests/s against 20 with one shared searcher), each
        # thread's readers starting cold; the rest of a request runs in parallel.
        self._searching = threading.RLock()
        self._turns = Turns()  # ordinary searches and pages before costly searches
        self._shared: Searcher | None = None
        self._lock = threading.Lock()
        self._similar: OrderedDict[tuple[int, str, int], tuple[Hit, ...]] = OrderedDict()
        self._pages: OrderedDict[tuple[Any, ...], SearchPage] = OrderedDict()
        self._facet_values = _FacetValues()
        # The leader of each grouped id (kb.kinship), set by the knowledge base: results then
        # show a group of copies and versions once.
        self.groups: Callable[[], Groups] | None = None
        self._groups_of: PerSegment[dict[int, str]] = PerSegment()
        self._lengths = FieldLengths()

    # -- lifecycle ----------------------------------------------------------------------------

    def _open_or_create(self) -> Any:
        self.path.mkdir(parents=True, exist_ok=True)
        # No mmap, for readers and the writer alike. Whoosh copies each memory-mapped compound
        # segment into a private BytesIO per reader: every thread's searcher held a copy of the
        # whole index (113 MB per searcher at 10k documents, 1 GB for 8 server threads), and
        # the writer's mapped segments were 800 MB of kb index's RSS at 100k documents. Plain
        # reads go through the OS page cache, shared by all.
        storage = FileStorage(str(self.path), supports_mmap=False)
        if self.version_ok():
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
        (self.path / _VERSION_FILE).write_text(json.dumps({"schema_version": SCHEMA_VERSION}))
        self.created = True
        return ix

    created = False  # True when this process had to create (or recreate) the index

    def version_ok(self) -> bool:
        try:
            data = json.loads((self.path / _VERSION_FILE).read_text())
            return bool(data.get("schema_version") == SCHEMA_VERSION)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        with self._searching:
            if self._shared is not None:
                self._shared.close()
                self._shared = None
        self._ix.close()

    @contextmanager
    def batch(self, clear: bool = False) -> Iterator[IndexBatch]:
        """One writer: commits on success (replacing everything when ``clear``), cancels on
        error, always releases Whoosh's lock, never swallows the error."""
        # limitmb bounds Whoosh's in-memory posting pool (it underestimates Python objects
        # about twice over; 256, with mmap still on, let kb index reach 2.8 GB at 100k).
        # Posting blocks are written uncompressed (each block records whether it is, so old
        # and new segments mix): zlib was ~12 % of a commit, for a ~25 % smaller index.
        writer = self._ix.writer(limitmb=WRITER_POOL_MB, codec=W3Codec(compression=0))
        _cache_lengths(writer)
        try:
            yield IndexBatch(writer)
        except BaseException:
            writer.cancel()
            raise
        from whoosh.writing import CLEAR
        try:
            writer.commit(mergetype=CLEAR) if clear else writer.commit()
        except BaseException:
            # A commit cut short (Ctrl-C) must not keep Whoosh's lock in this process: the CLI
            # then replays the pending rows, which needs a new writer. Whether or not the TOC
            # was written, the rows are still pending, so the replay makes the index right.
            _release(writer)
            raise

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """The searcher, for this thread alone until the block ends; reopened after each
        commit (by any process).

        Whoosh's ``refresh()`` reuses segment readers and misses deletions and cleared
        segments, so a new searcher is opened instead. Hits must not outlive the block."""
        with self._searching:
            current = self._shared
            if current is None or not current.up_to_date():
                if current is not None:
                    current.close()
                self._shared = current = self._ix.searcher(weighting=CachedBM25F(self._lengths))
            yield current

    # -- reading ------------------------------------------------------------------------------

    def ids(self) -> set[str]:
        with self.searcher() as s:
            return {fields_["id"] for fields_ in s.all_stored_fields()}

    def count(self) -> int:
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
            with self._lock:
                cached = self._similar.get(key)
                if cached is not None:
                    self._similar.move_to_end(key)
                    return cached
            found = self._similar_in(s, doc_id, limit)
            with self._lock:
                self._similar[key] = found
                while len(self._similar) > SIMILAR_CACHE:
                    self._similar.popitem(last=False)
            return found

    def _similar_in(self, s: Searcher, doc_id: str, limit: int) -> tuple[Hit, ...]:
        docnum = s.document_number(id=doc_id)
        if docnum is None:
            return ()
        stored = s.stored_fields(docnum)
        body = stored.get("body", "")[:SIMILAR_SCAN]
        text = "\n".join([stored.get("title", "")] * 3 + [stored.get("summary", ""), body])
        names = _proper_nouns(self.analyzer, stored.get("title", "") + "\n" + body)
        keys = [(t, w) for t, w in s.key_terms_from_text("body", text, numterms=SIMILAR_TERMS * 2)
                if t not in names][:SIMILAR_TERMS]
        if not keys:
            return ()
        top = max(w for _, w in keys)
        terms = [wq.Term("body", t, boost=w / top) for t, w in keys]
        # Candidates from the strongest key terms, ranked by all of them: an OR of the 20
        # took 0.65 s per document on a 100,000-document base, this 0.18 s; 8 terms alone ranked
        # worse (precision@3 0.515 against 0.591, bench/relevance; 6 terms and 30 candidates
        # gave 0.561).
        found = s.search(AnyOf(terms[:SIMILAR_CANDIDATE_TERMS]), limit=SIMILAR_CANDIDATES, mask={docnum})
        if found.scored_length() < limit:  # strongest terms too rare to fill the list: candidates from all
            found = s.search(AnyOf(terms), limit=SIMILAR_CANDIDATES, mask={docnum})
        candidates = sorted(hit.docnum for hit in found)
        scores = _scores_of(s, AnyOf(terms), candidates)
        best = sorted(scores.items(), key=_best_first)[:limit]
        return tuple(self._hit(s.stored_fields(d), score, frozenset()) for d, score in best)

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
            terms = _highlighted(built.query, built.bonus)
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
        started = time.perf_counter()
        with self._turns.turn(_costly(request.query)), self.searcher() as s:
            groups = self.groups() if self.groups is not None else None
            # The same searches come back (a link in a newsletter, a feed polled by readers):
            # their pages are kept until the next commit changes the index or the groups.
            key = (s.ixreader.generation(), groups.version if groups else 0, request.query,
                   tuple(sorted(request.filters.items())), request.page, request.page_size, request.sort,
                   request.facets)
            with self._lock:
                page = self._pages.get(key)
                if page is not None:
                    self._pages.move_to_end(key)
            if page is None:
                page = self._search(s, request, groups)
                with self._lock:
                    self._pages[key] = page
                    while len(self._pages) > PAGE_CACHE:
                        self._pages.popitem(last=False)
        elapsed = (time.perf_counter() - started) * 1000
        return replace(page, elapsed_ms=round(elapsed, 2))

    def _search(self, s: Searcher, request: SearchRequest, groups: Groups | None = None) -> SearchPage:
        labels = self._labels_reader(s)
        node = qs.parse(request.query)
        if node is not None and request.filters.get("sections"):
            # A section filter searches the words in those sections, not anywhere in a
            # document that merely has them (« Résultats » or « resultats » alike).
            vocabulary = default_sections()
            keys = dict.fromkeys(vocabulary.exact_key(v) or v for v in request.filters["sections"])
            node = qs.within(node, tuple(SECTION_PREFIX + k for k in keys if k in vocabulary.labels))
        filter_q = self._filters(request.filters, labels)
        suggestion = None
        corrected = None
        if node is None:
            everything = filter_q is not None or not request.query.strip()
            built: BuiltQuery | None = BuiltQuery(wq.Every()) if everything else None
        else:
            words = self.builder.plain_words(node)
            fixes = self._corrections(s, words) if words else {}
            if fixes:
                suggestion = _replace_words(request.query, fixes)
            built = self.builder.build(node, labels, fixes)
        found = self._find(s, built, request, filter_q)
        # Ranked by relevance, a group of copies and versions is one result; by date (feeds,
        # « Trier par date »), each edition is news of its own, but an exact copy is not.
        grouping = (groups.copies if request.sort in DATE_SORTS else groups.leaders) if groups else {}
        matched, total, page_of = found.matched, found.total, found.page
        together: list[list[tuple[Any, int]]] = []
        if grouping:
            assert groups is not None
            kind = "copies" if request.sort in DATE_SORTS else "leaders"
            total, together = self._folded(found.matched, grouping, f"{kind}:{groups.version}")
            if total < found.total:
                wanted = min(total, request.page * request.page_size)
                kept = self._collapsed(s, found.ranked, grouping)
                if len(kept) < wanted and len(found.ranked) < found.total:
                    # Folding left the page short: rank as deep as the members it hides.
                    deepest = min(found.total, wanted + found.total - total)
                    kept = self._collapsed(s, self._find(s, built, request, filter_q, deepest).ranked, grouping)
                page_of = _page_of(kept, total, request)
        if suggestion is not None and total:
            # The corrected spellings were searched beside the typed words: the page says so.
            corrected = suggestion
        relaxed = built is not None and total > 0 and found.strong == 0
        hits = tuple(self._hit(s.stored_fields(docnum), score, found.terms) for docnum, score in page_of)
        facets = self._facets(matched, FACET_FIELDS, together) if request.facets else {}
        if request.facets and filter_q is not None:
            facets.update(self._own_facets(s, built, request.filters, labels,
                                           (grouping, f"{kind}:{groups.version}") if grouping and groups else None))
        page_count = max(1, -(-total // request.page_size))
        return SearchPage(query=request.query, total=total, hits=hits, page=min(request.page, page_count),
                          page_size=request.page_size, facets=facets, suggestion=suggestion, relaxed=relaxed,
                          corrected=corrected)

    def _collapsed(self, s: Searcher, ranked: list[tuple[int, float]],
                   grouping: Mapping[str, str]) -> list[tuple[int, float]]:
        """``ranked`` with each group (``grouping``: grouped id -> its group's leader) once, at
        the place of its best member, shown by its leader when the leader matched too."""
        ids = self._ids_of(s, [d for d, _ in ranked])
        docnum_of = {doc_id: d for d, doc_id in ids.items()}
        seen: set[str] = set()
        kept = []
        for docnum, score in ranked:
            group = grouping.get(ids[docnum])
            if group is None:
                kept.append((docnum, score))
            elif group not in seen:
                seen.add(group)
                kept.append((docnum_of.get(group, docnum), score))
        return kept

    def _folded(self, matched: list[tuple[Any, int, list[int]]], grouping: Mapping[str, str],
                name: str) -> tuple[int, list[list[tuple[Any, int]]]]:
        """How many results ``matched`` makes once each group is one (the total), and the
        members of each group that matched more than once (for the facet counts). Only the
        grouped documents of each segment are looked at (kept per segment for this state of
        the groups)."""
        members_of: dict[str, list[tuple[Any, int]]] = {}
        total = 0
        for segment_searcher, offset, ids in matched:
            total += len(ids)
            members = self._groups_of.get(segment_searcher, name,
                                          partial(self._segment_groups, segment_searcher, grouping))
            for docnum, group in (members or {}).items():
                at = bisect_left(ids, docnum)
                if at < len(ids) and ids[at] == docnum:
                    members_of.setdefault(group, []).append((segment_searcher, docnum))
        together = [m for m in members_of.values() if len(m) > 1]
        return total - sum(len(m) - 1 for m in together), together

    def _segment_groups(self, segment_searcher: Any, grouping: Mapping[str, str], reader: Any) -> dict[int, str]:
        """The grouped documents of one segment: docnum -> group."""
        ids = self._facet_values.of(segment_searcher, "id", False)
        return {d: grouping[doc_id] for d, value in enumerate(ids)
                if value is not None and (doc_id := _text_of(value)) in grouping}

    def _ids_of(self, s: Searcher, docnums: list[int]) -> dict[int, str]:
        """The ids of ``docnums``, read from each segment's cached id list (not from the
        stored fields, which would load every document's stored body)."""
        leaves = sorted(s.leaf_searchers(), key=lambda leaf: leaf[1])
        starts = [offset for _, offset in leaves]
        out = {}
        for docnum in docnums:
            segment_searcher, offset = leaves[bisect_right(starts, docnum) - 1]
            out[docnum] = _text_of(self._facet_values.of(segment_searcher, "id", False)[docnum - offset])
        return out

    def _find(self, s: Searcher, built: BuiltQuery | None, request: SearchRequest,
              filter_q: wq.Query | None, deepest: int = 0) -> "_Found":
        """Every match (for the count and the facets) and the requested page.

        Words typed side by side (the common case) are scored a posting block at a time
        (``kb.scoring.accumulate``): every match gets its BM25F score times the share of the
        query's words it holds. Other queries are scored by Whoosh's matchers: with two or
        three words plus a strict part, the documents holding all the words
        (``built.strong``) are scored alone when they fill the page and the rest are counted
        from the posting lists (``_matched``). The best ``RERANK_DEPTH`` then get
        ``built.bonus`` (words close together, in headings), computed for them alone."""
        query = built.query if built is not None else wq.NullQuery
        by_date = request.sort in DATE_SORTS
        bonus = built.bonus if built is not None and not by_date else None
        clauses = built.clauses if built is not None else ()
        all_first = built is not None and built.all_first
        # ``deepest``: rank at least this many (a page that folding groups left short).
        wanted = max(request.page * request.page_size, deepest)
        depth = max(wanted, RERANK_DEPTH) if (bonus is not None or clauses) else wanted
        plain = clause_terms(clauses) if built is not None and built.only_clauses else None
        if plain is not None:
            return self._find_any(s, plain, bonus, all_first, request, filter_q, depth,
                                  _highlighted(query, bonus))
        if by_date:
            clauses = ()
        strong = built.strong if built is not None and not by_date else None
        ranked: list[tuple[int, float]] = []
        strong_total = -1
        matched = None
        if strong is not None:
            ranked = _top(s, strong, filter_q, depth)
            strong_total = len(ranked)
            if all_first and strong_total >= wanted:
                # The page holds documents with every word only: the others are counted, not scored.
                matched = _matched(s, query, filter_q)
                clauses = ()  # every candidate holds every clause: coordination changes nothing
        if matched is None:
            top = collectors.UnsortedCollector() if by_date else collectors.TopCollector(
                limit=depth, usequality=False, replace=0)
            recorder = _Recorder(top)
            collector = collectors.FilterCollector(recorder, allow=filter_q) if filter_q is not None else recorder
            s.search_with_collector(query, collector)
            matched = recorder.matched
            if by_date:
                ranked = self._latest(matched, depth, DATE_SORTS[request.sort])
            else:
                seen = {d for d, _ in ranked}
                ranked += [(hit.docnum, float(hit.score or 0.0)) for hit in collector.results()
                           if hit.docnum not in seen]
        total = sum(len(ids) for _, _, ids in matched)
        if ranked and (len(clauses) > 1 or bonus is not None):
            extra = _scores_of(s, bonus, sorted(d for d, _ in ranked)) if bonus is not None else {}
            holds = _holds(s, ranked, clauses) if len(clauses) > 1 else {}
            ranked = _reranked(ranked, holds, len(clauses), extra, all_first)
        return _Found(total, _page_of(ranked, total, request), matched, _highlighted(query, bonus),
                      total if strong_total < 0 else strong_total, ranked)

    def _find_any(self, s: Searcher, plain: TermClauses, bonus: wq.Query | None, all_first: bool,
                  request: SearchRequest, filter_q: wq.Query | None, depth: int,
                  terms: frozenset[str]) -> "_Found":
        """``_find`` for words typed side by side: every match scored in bulk (within
        ``MAX_POSTINGS``, the most common words left out beyond it)."""
        kept = within_budget(s, plain, MAX_POSTINGS)
        if len(kept) < len(plain):
            dropped = {t.text for terms in plain if terms not in kept for t in terms}
            bonus = _without_terms(bonus, dropped)
            plain = kept
        context = s.context()
        allowed = (lambda seg: _ids(seg, filter_q, context)) if filter_q is not None else (lambda seg: None)
        found = accumulate(s, plain, self._lengths, s.weighting, allowed)
        matched = [(seg, offset, sorted(scores)) for seg, offset, scores, _ in found]
        total = sum(len(ids) for _, _, ids in matched)
        n = len(plain)
        strong = sum(1 for _, _, _, held in found for h in held.values() if h == n)
        if request.sort in DATE_SORTS:
            latest = self._latest(matched, depth, DATE_SORTS[request.sort])
            return _Found(total, _page_of(latest, total, request), matched, terms, strong, latest)
        power = COORD_POWER

        def candidates() -> Iterator[tuple[bool, float, int, int, float]]:
            for _, offset, scores, held in found:
                for d, score in scores.items():
                    h = held[d]
                    coordinated = score * (h / n) ** power if n > 1 else score
                    yield all_first and h == n, round(coordinated, 9), -(offset + d), offset + d, score

        best = heapq.nlargest(depth, candidates())
        ranked = [(docnum, score) for _, _, _, docnum, score in best]
        holds: dict[int, int] = {}
        if n > 1:
            held_of = {offset + d: h for _, offset, _, held in found for d, h in held.items()}
            holds = {docnum: held_of[docnum] for docnum, _ in ranked}
        extra = _scores_of(s, bonus, sorted(d for d, _ in ranked)) if bonus is not None and ranked else {}
        ranked = _reranked(ranked, holds, n, extra, all_first)
        return _Found(total, _page_of(ranked, total, request), matched, terms, strong, ranked)

    def _labels_reader(self, s: Searcher) -> Any:
        def labels(field: str) -> Iterable[str]:
            return (_text_of(v) for v in s.lexicon(field))
        return labels

    def _filters(self, filters: dict[str, tuple[str, ...]], labels: Any) -> wq.Query | None:
        clauses = []
        for field, values in filters.items():
            if field not in FACET_FIELDS + ("territory", "language") or not values:
                continue
            # An organisations filter also matches the dispositifs, which had no facet of their
            # own before schema 7: links published then (?org=QPV) and kb search --org keep working.
            fields_ = (field, "schemes") if field == "organisations" else (field,)
            clauses.append(AnyOf([self.builder._keyword(f, v, labels) for f in fields_ for v in values]))
        return wq.And(clauses) if clauses else None

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

    def _latest(self, matched: list[tuple[Any, int, list[int]]], count: int,
                field: str = "date") -> list[tuple[int, float]]:
        """The ``count`` most recent of the matched documents by ``field`` (undated ones
        last), no score."""
        dated = ((values[d] or "", -(offset + d)) for segment_searcher, offset, ids in matched
                 for values in (self._facet_values.of(segment_searcher, field, False),) for d in ids)
        return [(-negative, 0.0) for _, negative in heapq.nlargest(count, dated)]

    def _own_facets(self, s: Searcher, built: BuiltQuery | None, filters: dict[str, tuple[str, ...]],
                    labels: Any, folding: tuple[Mapping[str, str], str] | None = None
                    ) -> dict[str, tuple[FacetValue, ...]]:
        """The facets that have a selection, each counted with the other facets' filters but
        not its own: values of one facet are OR-ed, so a count says what ticking that value
        too would add, and the values not ticked stay visible (the usual rule of faceted
        search). Matches are read as sets of posting lists (``_matched``); the most common
        words that ``MAX_POSTINGS`` leaves out of a long query's scoring are counted here."""
        query = built.query if built is not None else wq.NullQuery
        out: dict[str, tuple[FacetValue, ...]] = {}
        for name, values in filters.items():
            if name not in FACET_FIELDS or not values:
                continue
            others = self._filters({f: v for f, v in filters.items() if f != name}, labels)
            found = _matched(s, query, others)
            together = self._folded(found, *folding)[1] if folding is not None else []
            out[name] = self._facets(found, (name,), together)[name]
        return out

    def _facets(self, matched: list[tuple[Any, int, list[int]]], names: tuple[str, ...] = FACET_FIELDS,
                together: Sequence[Sequence[tuple[Any, int]]] = ()) -> dict[str, tuple[FacetValue, ...]]:
        """Each facet field's values over the matched documents, with their counts. Members
        of one group that matched (``together``: (segment searcher, docnum) of each) are one
        result: a value counts once for them, as ticking it would show the group once."""
        facets: dict[str, tuple[FacetValue, ...]] = {}
        for name in names:
            overlap = name in ("themes", "organisations", "schemes", "sections", *PRACTICE_FACETS)
            counts: Counter[Any] = Counter()
            for segment_searcher, _, ids in matched:
                if not ids:
                    continue
                values = self._facet_values.of(segment_searcher, name, overlap)
                if overlap:
                    counts.update(chain.from_iterable(map(values.__getitem__, ids)))
                else:
                    counts.update(map(values.__getitem__, ids))
            for members in together:
                held: Counter[Any] = Counter()
                for segment_searcher, docnum in members:
                    value = self._facet_values.of(segment_searcher, name, overlap)[docnum]
                    held.update(set(value) if overlap else (value,))
                counts.subtract({v: n - 1 for v, n in held.items() if n > 1})
            found = [FacetValue(_text_of(k), n) for k, n in counts.items() if k not in (None, "", b"")]
            if name == "year":
                found.sort(key=lambda fv: fv.value, reverse=True)
            else:
                found.sort(key=lambda fv: (-fv.count, fv.value))
            facets[name] = tuple(found)
        return facets

    def _corrections(self, s: Searcher, words: tuple[str, ...]) -> dict[str, str]:
        """Each typed word the index has never seen, mapped to the closest word of its own
        vocabulary (fewest edits, then most documents), accents restored; words known or
        without a close word are left out. A word whose stem is indexed is only corrected when
        the fix is more than an inflection (renouvelement -> renouvellement, but not
        relogements -> relogement). At most ``MAX_SPELLING_LOOKUPS`` words are looked up, and
        none after ``SPELLING_SECONDS``."""
        reader = s.reader()
        fixes: dict[str, str] = {}
        lookups = 0
        deadline = time.perf_counter() + SPELLING_SECONDS
        checked = 0
        for word in dict.fromkeys(words):
            folded = self.analyzer.term_unstemmed(word)
            if folded is None:
                continue
            checked += 1
            if checked > MAX_TERMS:  # the words past the query's budget are not searched anyway
                break
            if len(folded) < 4 or not folded.isalpha() or reader.frequency("spell", folded) > 0:
                continue
            if lookups >= MAX_SPELLING_LOOKUPS or time.perf_counter() > deadline:
                break
            lookups += 1
            best = self._closest(reader, folded)
            if best is None:
                continue
            stemmed = self.analyzer.term(word)
            if stemmed and reader.frequency("body", stemmed) > 0 and _inflection(folded, best):
                continue
            fixes[word] = self._surface(s, best)
        return fixes

    @staticmethod
    def _closest(reader: Any, folded: str) -> str | None:
        # Whoosh's own corrector ranks candidates by frequency only; rank by edit distance
        # first. The first letter is rarely the wrong one, and fixing it keeps this fast.
        maxdist = 1 if len(folded) <= 5 else 2
        candidates = [c.decode("utf-8") if isinstance(c, bytes) else c
                      for c in reader.terms_within("spell", folded, maxdist, prefix=1)]
        candidates = [c for c in candidates if c != folded]
        if not candidates:
            return None
        return min(candidates, key=lambda c: (_edits(folded, c), -reader.doc_frequency("spell", c), c))

    def _surface(self, s: Searcher, folded: str) -> str:
        """The word as the documents write it (with its accents), from one document holding it."""
        found = s.search(wq.Term("spell", folded), limit=1)
        if found:
            stored = found[0].fields()
            for text in (stored.get("title", ""), stored.get("body", "")[:SURFACE_SCAN]):
                for w in words_of(text):
                    if fold(w) == folded:
                        return w.lower() if not w.isupper() else w
        return folded

def _replace_words(query: str, fixes: dict[str, str]) -> str:
    """``query`` with each misspelt word replaced by its correction (whole words only)."""
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(fixes, key=len, reverse=True)) + r")(?!\w)")
    return pattern.sub(lambda m: fixes[m.group(1)], query)


def _without_terms(query: wq.Query | None, texts: set[str]) -> wq.Query | None:
    """The parts of a union (the bonus) that use none of ``texts``."""
    if query is None:
        return None
    parts = list(query.subqueries) if type(query) in (wq.Or, AnyOf) else [query]
    kept = [p for p in parts if not any(_text_of(text) in texts for _, text in _all_terms(p))]
    return None if not kept else kept[0] if len(kept) == 1 else AnyOf(kept)


def _costly(query: str) -> bool:
    """Whether a query is likely to cost many times an ordinary one: far more words than a
    question has, several prefixes or phrases (each a union or a position check)."""
    return len(words_of(query)) > COSTLY_WORDS or query.count("*") > 1 or query.count('"') > 4


def _page_of(ranked: list[tuple[int, float]], total: int, request: SearchRequest) -> list[tuple[int, float]]:
    """The requested page of ``ranked``; past the last page, the last one (as Whoosh's pages did)."""
    last = max(0, (total - 1) // request.page_size) * request.page_size
    first = min((request.page - 1) * request.page_size, last)
    return ranked[first : first + request.page_size]


def _top(s: Searcher, query: wq.Query, filter_q: wq.Query | None, limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best (docnum, score) of ``query`` within ``filter_q``."""
    # Neither skipping blocks nor replacing matchers: Whoosh's block-quality skipping was
    # slower here (123 against 90 ms for two-word queries at 100,000 documents) and not exact.
    top = collectors.TopCollector(limit=limit, usequality=False, replace=0)
    collector = collectors.FilterCollector(top, allow=filter_q) if filter_q is not None else top
    s.search_with_collector(query, collector)
    return [(hit.docnum, float(hit.score or 0.0)) for hit in collector.results()]


def _matched(s: Searcher, query: wq.Query, filter_q: wq.Query | None) -> list[tuple[Any, int, list[int]]]:
    """Per segment: (segment searcher, offset, sorted docnums) of the documents ``query``
    matches within ``filter_q``, deleted ones left out.

    Read as sets of posting lists, without scoring: with any word making a candidate, a
    query of two common words matches several times more documents than both words do, and
    Whoosh's matchers cost microseconds per document where a set operation costs nanoseconds."""
    context = s.context()
    out = []
    for segment_searcher, offset in s.leaf_searchers():
        ids = _ids(segment_searcher, query, context)
        if ids and filter_q is not None:
            ids &= _ids(segment_searcher, filter_q, context)
        if ids:
            ids.difference_update(deleted_docs(segment_searcher.reader()))
        out.append((segment_searcher, offset, sorted(ids)))
    return out


def _ids(segment_searcher: Any, q: wq.Query, context: Any) -> set[int]:
    """The docnums (deletions included) of one segment that ``q`` matches."""
    kind = type(q)
    if kind is wq.Term:
        reader = segment_searcher.reader()
        field = q.fieldname
        if field not in segment_searcher.schema:
            return set()
        text = segment_searcher.schema[field].to_bytes(q.text)
        if (field, text) not in reader:
            return set()
        return posting_ids(reader.postings(field, text))
    if kind in (wq.Or, AnyOf):
        # The body's terms include the title's (``analyze``): a word looked up in both is
        # matched by its body postings alone (reading a posting list is the main cost here).
        in_body = {sub.text for sub in q.subqueries if type(sub) is wq.Term and sub.fieldname == MATCH_FIELD}
        out: set[int] = set()
        for sub in q.subqueries:
            if type(sub) is wq.Term and sub.fieldname == TITLE_FIELD and sub.text in in_body:
                continue
            out |= _ids(segment_searcher, sub, context)
        return out
    if kind is wq.And:
        positives = [sub for sub in q.subqueries if not isinstance(sub, wq.Not)]
        negatives = [sub.query for sub in q.subqueries if isinstance(sub, wq.Not)]
        sets = sorted((_ids(segment_searcher, sub, context) for sub in positives), key=len)
        found = sets[0] if sets else set()
        for other in sets[1:]:
            if not found:
                break
            found &= other
        for neg in negatives:
            if not found:
                break
            found -= _ids(segment_searcher, neg, context)
        return found
    if kind is wq.AndMaybe:
        return _ids(segment_searcher, q.a, context)
    if kind is wq.AndNot:
        return _ids(segment_searcher, q.a, context) - _ids(segment_searcher, q.b, context)
    if kind is wq.Every:
        return set(range(segment_searcher.doc_count_all()))
    if q is wq.NullQuery:
        return set()
    matcher = q.matcher(segment_searcher, context)
    return set(matcher.all_ids()) if matcher.is_active() else set()


def _reranked(ranked: list[tuple[int, float]], holds: dict[int, int], n: int, extra: dict[int, float],
              all_first: bool) -> list[tuple[int, float]]:
    """``ranked`` scored again: each base score scaled by the share of the ``n`` clauses the
    document holds (coordination), plus its ``extra`` bonus; with ``all_first`` the documents
    holding every clause come first."""
    scored = []
    for d, score in ranked:
        held = holds.get(d, n) if n > 1 else n
        final = (score * (held / n) ** COORD_POWER if n > 1 else score) + extra.get(d, 0.0)
        scored.append((all_first and held == n, d, final))
    scored.sort(key=lambda t: (not t[0], -round(t[2], 9), t[1]))
    return [(d, final) for _, d, final in scored]


def _holds(s: Searcher, ranked: list[tuple[int, float]], clauses: tuple[wq.Query, ...]) -> dict[int, int]:
    """How many of ``clauses`` each ranked document holds."""
    docnums = sorted(d for d, _ in ranked)
    return dict(Counter(d for clause in clauses for d in _scores_of(s, clause, docnums)))


def _proper_nouns(analyzer: Analyzer, text: str) -> set[str]:
    """Terms of words written Capitalised (not ALL CAPS: acronyms are topical) at least 80 %
    of the time and at least twice, excluding the first word of each sentence."""
    capital: dict[str, int] = {}
    total: dict[str, int] = {}
    previous = "."
    for match in _WORD_RE.finditer(text):
        word, sep = match.group(1), match.group(2)
        term = analyzer.term(word)
        if term is not None and not previous.rstrip().endswith((".", "!", "?", ":", "\n")):
            total[term] = total.get(term, 0) + 1
            if word[0].isupper() and not word.isupper():
                capital[term] = capital.get(term, 0) + 1
        previous = sep or " "
    return {t for t, n in capital.items() if n >= 2 and n >= 0.8 * total[t]}


_WORD_RE = re.compile(r"(\w+)(\W*)")


def _inflection(a: str, b: str) -> bool:
    """Whether two folded words differ only by a plural or feminine ending."""
    def base(w: str) -> str:
        for end in ("es", "s", "x", "e"):
            if w.endswith(end) and len(w) > len(end) + 2:
                return w[: -len(end)]
        return w
    return base(a) == base(b)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (short words only: spelling candidates)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class _FacetValues:
    """Each document's values of a facet (or sort) field, per segment, read once and kept.

    Whoosh's FieldFacet re-reads them on every search: a column's offsets for type, format
    and year, and every posting of themes and organisations (most of a faceted search's
    time at 20,000 documents)."""

    def __init__(self) -> None:
        self._cache: PerSegment[list[Any]] = PerSegment()

    def of(self, segment_searcher: Any, fieldname: str, overlap: bool) -> list[Any]:
        field = segment_searcher.schema[fieldname]
        values = self._cache.get(segment_searcher, fieldname,
                                 lambda reader: self._read(reader, field, fieldname, overlap))
        assert values is not None  # _read always returns a list
        return values

    @staticmethod
    def _read(reader: Any, field: Any, fieldname: str, overlap: bool) -> list[Any]:
        count = reader.doc_count_all()
        if not overlap and reader.has_column(fieldname):
            return list(reader.column_reader(fieldname))
        lists: list[list[Any]] = [[] for _ in range(count)]
        for btext in field.sortable_terms(reader, fieldname):
            text = field.from_bytes(btext)
            for docid in reader.postings(fieldname, btext).all_ids():
                lists[docid].append(text)
        return lists if overlap else [vals[0] if vals else None for vals in lists]


@dataclass(frozen=True)
class _Found:
    total: int
    page: list[tuple[int, float]]  # (docnum, score) of the requested page, best first
    matched: list[tuple[Any, int, list[int]]]  # per segment: searcher, offset, matched docnums
    terms: frozenset[str]  # indexed terms to highlight
    strong: int = 0  # documents holding every clause (up to the rerank depth), or total
    ranked: list[tuple[int, float]] = dataclass_field(default_factory=list)  # the best, as deep as was ranked


class _Recorder(collectors.WrappingCollector):  # type: ignore[misc]
    """Passes every match to its child collector and keeps its number, per segment, for the
    count and the facets (Whoosh's grouping asks a categorizer per document and per facet)."""

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        super().prepare(top_searcher, q, context)
        self.matched: list[tuple[Any, int, list[int]]] = []

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        super().set_subsearcher(subsearcher, offset)
        self._ids: list[int] = []
        self.matched.append((subsearcher, offset, self._ids))

    def collect(self, sub_docnum: int) -> Any:
        self._ids.append(sub_docnum)
        return self.child.collect(sub_docnum)


def _best_first(scored: tuple[int, float]) -> tuple[float, int]:
    """Best score first, then the older document. Scores are compared to 9 decimals: sums of
    the same terms' scores, added in another order, differ in their last bits, and identical
    documents must not swap places on that."""
    docnum, score = scored
    return -round(score, 9), docnum


def _scores_of(s: Searcher, query: wq.Query, docnums: list[int]) -> dict[int, float]:
    """``query``'s score for each of ``docnums`` (sorted) that it matches, looking at those
    documents only instead of enumerating every match of the query.

    A union scores the sum of its parts that match, so each part of a top-level ``Or`` is
    scored alone. A phrase is checked at each candidate only: Whoosh's phrase matcher, asked
    to skip to a document, goes on reading the word positions of every following document
    holding all the words until the phrase is found (and does so once when it is created),
    which was most of the cost of the bonus on a large base."""
    parts = list(query.subqueries) if type(query) in (wq.Or, AnyOf) and query.boost == 1.0 else [query]
    scores: dict[int, float] = {}
    context = s.context()
    for segment_searcher, offset in s.leaf_searchers():
        end = offset + segment_searcher.doc_count_all()
        local = [d - offset for d in docnums if offset <= d < end]
        if not local:
            continue
        for part in parts:
            if type(part) is wq.Phrase:
                found = _phrase_scores(segment_searcher, context, part, local)
            else:
                found = _matcher_scores(part.matcher(segment_searcher, context), local)
            for d, score in found:
                scores[offset + d] = scores.get(offset + d, 0.0) + score
    return scores


def _matcher_scores(matcher: Any, docnums: list[int]) -> Iterator[tuple[int, float]]:
    for d in docnums:
        if not matcher.is_active():
            return
        if matcher.id() < d:
            matcher.skip_to(d)
            if not matcher.is_active():
                return
        if matcher.id() == d:
            yield d, float(matcher.score())


def _phrase_scores(segment_searcher: Searcher, context: Any, phrase: wq.Phrase,
                   docnums: list[int]) -> Iterator[tuple[int, float]]:
    """What Whoosh's phrase matcher would score at each of ``docnums`` (same spans, same
    score: the sum of the words' scores, times the phrase's boost), without its scan."""
    from whoosh.matching.binary import IntersectionMatcher
    from whoosh.matching.wrappers import WrappingMatcher
    from whoosh.query.spans import SpanNear2
    from whoosh.util import make_binary_tree

    field = phrase.fieldname
    reader = segment_searcher.reader()
    if field not in segment_searcher.schema:
        return
    words = []
    for word in phrase.words:
        word = segment_searcher.schema[field].to_bytes(word)
        if (field, word) not in reader:
            return
        words.append(wq.Term(field, word))
    matchers = [w.matcher(segment_searcher, context) for w in words]
    together = make_binary_tree(IntersectionMatcher, matchers)
    spans = SpanNear2.SpanNear2Matcher.__new__(SpanNear2.SpanNear2Matcher)
    # The attributes SpanNear2Matcher._get_spans reads, set without its constructor's scan.
    spans.ms, spans.slop, spans.ordered, spans.mindist = matchers, phrase.slop, True, 1
    WrappingMatcher.__init__(spans, together)
    for d, score in _matcher_scores(together, docnums):
        if spans._get_spans():
            yield d, score * phrase.boost


def _highlighted(*queries: wq.Query | None) -> frozenset[str]:
    """The indexed terms of ``queries`` that snippets highlight (those of title, body and
    practice-sheet sections, whose text is the body's)."""
    return frozenset(_text_of(text) for q in queries if q is not None
                     for field, text in _all_terms(q) if field in ("body", "title") or field.startswith(SECTION_PREFIX))


def _text_of(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class _Lengths:
    """A new segment's field lengths, each read once: Whoosh's segment flush asks for the
    length of a document's field once per posting, each time from the column file."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._memo: dict[tuple[int, str], Any] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        key = (docnum, fieldname)
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = self._reader.doc_field_length(docnum, fieldname, default)
            return value

    def close(self) -> None:
        self._reader.close()


def _release(writer: Any) -> None:
    """Release a writer whose commit failed half-way (whoosh 2.7.5 commits without finally)."""
    if getattr(writer, "is_closed", True):
        return
    try:
        writer._finish()
    except Exception:  # noqa: BLE001 - best effort; the lock itself is released below
        pass
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - already released by _finish
            pass


def _cache_lengths(writer: Any) -> None:
    """Give the writer's segment flush (whoosh 2.7.5 ``SegmentWriter._flush_segment``, which
    only calls ``doc_field_length`` and ``close``) the cached lengths."""
    fresh = writer.per_document_reader
    writer.per_document_reader = lambda: _Lengths(fresh())


def _all_terms(q: wq.Query) -> set[tuple[str, Any]]:
    try:
        return set(q.iter_all_terms())
    except Exception:  # noqa: BLE001 - a query type without terms must not break a results page
        return set()
