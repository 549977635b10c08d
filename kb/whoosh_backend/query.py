"""From the parsed query tree (and a request's filters) to Whoosh queries: which documents are candidates, how they are
scored, and what the best of them get on top (coordination, proximity).

Ranked retrieval: words typed side by side are not all required. Every document holding any
content word of the query is a candidate; the share of the query's words a document holds
(coordination) and words found close together rank it, never exclude it. Explicit operators
keep their exact meaning: quotes, ET/AND, OU/OR, SAUF/NOT/-, ``champ:``, ``préfixe*``.

User text only ever reaches the fields a user may search; keyword fields (type, theme...) are
matched against the labels that exist in the index, accent- and case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice, pairwise
from typing import Any

from whoosh import query as wq

from kb import querysyntax as qs
from kb.analysis import Analyzer, fold, stem, topical
from kb.analysis import words as words_of
from kb.fields import FILTER_FIELDS, KEYWORD_FIELDS
from kb.synonyms import Synonyms
from kb.whoosh_backend.wordlists import starting

# A bare word is looked up in the title and the body, whose terms include those of the title,
# headings and summary (``prepare.analyze``): two posting lists per word instead of a union of
# four (at 100,000 documents, counting the matches of "mission service" took 68 ms through the
# four-field unions, 22 ms in the body alone).
MATCH_FIELD = "body"
TITLE_FIELD = "title"
SECTION_FIELDS = ("headings", "summary")
# The title's words are also in the body: this weight is what a title match adds on top of the
# body match (bench/relevance/README.md for the measurements behind each figure).
TITLE_WEIGHT = 2.0
PROXIMITY_WEIGHT = 1.0  # two consecutive query words found within PROXIMITY_SLOP of each other
PROXIMITY_SLOP = 3
SECTION_WEIGHT = 1.0
MAX_EXPANSIONS = 8
# Up to this many words, documents holding all of them are listed first; past it, the share
# of the words a document holds weighs its score (long questions rarely share all their words
# with the page that answers them).
ALL_FIRST_UP_TO = 3
# Bounds on the work one query can cause (a pasted paragraph, hostile queries): content terms
# of words, phrases and fields together, and the indexed words a prefix stands for.
MAX_TERMS = 24
MAX_PREFIX_TERMS = 16
MAX_PREFIX_SCAN = 256  # listed words read for a prefix's MAX_PREFIX_TERMS still indexed
PREFIX_COST = 8  # a prefix counts as this many terms: each stands for up to MAX_PREFIX_TERMS words
MAX_BONUS_TERMS = 12  # proximity and headings/summary bonuses for the first words only


class BoundedPrefix(wq.Prefix):  # type: ignore[misc]
    """A prefix standing for its first ``MAX_PREFIX_TERMS`` indexed words (in alphabetical
    order): "de*" would otherwise be a union of thousands of posting lists."""

    def _btexts(self, ixreader: Any) -> Iterator[bytes]:
        return islice(ixreader.expand_prefix(self.fieldname, self.text), MAX_PREFIX_TERMS)


class WordPrefix(wq.Prefix):  # type: ignore[misc]
    """The documents holding a word that starts with ``text`` (folded), found by the stems of
    each segment's first ``MAX_PREFIX_TERMS`` such words (its word list, in alphabetical
    order) in the body. Stems are truncated words, so the prefix is matched on the words.
    A list keeps the words of documents deleted since it was written: a word whose stem the
    segment no longer indexes is passed over (at most ``MAX_PREFIX_SCAN`` words are read)."""

    def __init__(self, text: str, boost: float = 1.0) -> None:
        super().__init__(MATCH_FIELD, text, boost=boost)

    def _btexts(self, ixreader: Any) -> Iterator[bytes]:
        stems: dict[str, None] = {}
        for reader, _ in ixreader.leaf_readers():
            found = 0
            for word in islice(starting(reader, self.text), MAX_PREFIX_SCAN):
                term = stem(word)
                if (MATCH_FIELD, term) in reader:
                    stems[term] = None
                    found += 1
                    if found == MAX_PREFIX_TERMS:
                        break
        return (term.encode() for term in stems)


class AnyOf(wq.Or):  # type: ignore[misc]
    """Whoosh's ``Or``, always matched by a tree of unions.

    On segments of up to 5,000 documents, Whoosh's ``Or`` preloads its matches' scores into
    arrays when nothing asks for the current match: a Python loop clearing 2,048 slots per
    block, and no skipping of blocks that cannot reach the top results. On a 100,000-document
    base of 5,000-document segments, the tree made document pages ("similar documents")
    463 -> 253 ms and searches 32 -> 13 ms (medians, one run each)."""

    matcher_type = wq.Or.DEFAULT_MATCHER


@dataclass(frozen=True)
class BuiltQuery:
    """A query ready to run.

    ``query`` finds the candidates and gives their base score. ``clauses`` are the query's
    optional parts (a word with its synonyms and spelling corrections, an OU group): the
    share of them a candidate holds scales its score, and up to ``ALL_FIRST_UP_TO`` of them,
    candidates holding all come first. ``bonus`` (words close together, words in headings and
    summary) is added to the best candidates only: checking positions for every match was
    most of a long query's time."""

    query: wq.Query
    clauses: tuple[wq.Query, ...] = ()
    bonus: wq.Query | None = None
    required: wq.Query | None = None  # the strict parts, when there are optional ones
    only_clauses: bool = False  # ``query`` is exactly the union of ``clauses``

    @property
    def strong(self) -> wq.Query | None:
        """Documents holding every clause (and the strict parts): None with fewer than two."""
        if len(self.clauses) < 2:
            return None
        parts = list(self.clauses) + ([self.required] if self.required is not None else [])
        return wq.And(parts)

    @property
    def all_first(self) -> bool:
        """Whether documents holding every word are listed first (few enough words to ask it of them)."""
        return 2 <= len(self.clauses) <= ALL_FIRST_UP_TO


class SynonymMatcher:
    """Finds synonym expressions in a sequence of query terms (folded + stemmed)."""

    def __init__(self, synonyms: Synonyms, analyzer: Analyzer) -> None:
        self.expressions: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
        for group in synonyms.groups:
            analysed = [tuple(analyzer.terms(e)) for e in group]
            analysed = [a for a in analysed if a]
            for expr in analysed:
                others = tuple(o for o in analysed if o != expr)
                self.expressions[expr] = tuple(dict.fromkeys(self.expressions.get(expr, ()) + others))
        self.longest = max((len(e) for e in self.expressions), default=0)

    def match(self, terms: list[str], start: int) -> tuple[int, tuple[tuple[str, ...], ...]]:
        """Longest expression starting at ``start``: (length, equivalents); (0, ()) if none."""
        for length in range(min(self.longest, len(terms) - start), 0, -1):
            found = self.expressions.get(tuple(terms[start : start + length]))
            if found:
                return length, found
        return 0, ()


Labels = Callable[[str], Iterable[str]]


class _Build:
    """The state of one build: bonus queries, spelling corrections, content terms used so far."""

    def __init__(self, labels: Labels, corrections: Mapping[str, str]) -> None:
        self.labels = labels
        self.corrections = corrections
        self.bonus: list[wq.Query] = []
        self.terms = 0


class QueryBuilder:
    """Builds Whoosh queries; ``labels(field)`` lists the values a keyword field holds."""

    def __init__(self, analyzer: Analyzer, synonyms: SynonymMatcher) -> None:
        self.analyzer = analyzer
        self.synonyms = synonyms

    def plain_words(self, node: qs.Node) -> tuple[str, ...]:
        """The words typed outside phrases, fields and negations (those spelling may fix)."""
        if isinstance(node, qs.Word):
            return (node.text,) if node.field is None and not node.prefix else ()
        if isinstance(node, (qs.And, qs.Or)):
            return tuple(w for item in node.items for w in self.plain_words(item))
        return ()

    def build(self, node: qs.Node, labels: Labels, corrections: Mapping[str, str] | None = None) -> BuiltQuery:
        """``corrections`` maps a typed word to the index's spelling: both are searched."""
        state = _Build(labels, corrections or {})
        if isinstance(node, qs.And) and node.explicit:
            query = self._node(node, state)
            return BuiltQuery(query or wq.NullQuery, (), _any(state.bonus))
        items = node.items if isinstance(node, qs.And) else (node,)
        clauses, required = self._soft(items, state)
        strict = wq.And(required) if len(required) > 1 else (required[0] if required else None)
        if strict is not None and all(isinstance(r, wq.Not) for r in required) and not clauses:
            strict = wq.And([wq.Every()] + required)
        if not clauses:
            query = strict if strict is not None else wq.NullQuery
            return BuiltQuery(query, (), _any(state.bonus))
        optional = _either(clauses)
        if strict is None:
            return BuiltQuery(optional, tuple(clauses), _any(state.bonus), None, True)
        if all(isinstance(r, wq.Not) for r in required):
            query = wq.And([optional] + required)
            strict = None
        else:
            query = wq.AndMaybe(strict, optional)
        return BuiltQuery(query, tuple(clauses), _any(state.bonus), strict)

    # -- the optional side: words typed side by side ------------------------------------------

    def _soft(self, items: tuple[qs.Node, ...], state: _Build) -> tuple[list[wq.Query], list[wq.Query]]:
        """(optional clauses, required parts) of items typed side by side. Parentheses without
        an operator are only punctuation: their words join the others."""
        clauses: list[wq.Query] = []
        required: list[wq.Query] = []
        run: list[str] = []

        def flush() -> None:
            if run:
                clauses.extend(self._word_run(run, state))
                run.clear()

        for item in items:
            if isinstance(item, qs.Word) and item.field is None and not item.prefix:
                run.append(item.text)
                continue
            flush()
            if isinstance(item, qs.And) and not item.explicit:
                more, strict = self._soft(item.items, state)
                clauses.extend(more)
                required.extend(strict)
                continue
            q = self._node(item, state)
            if q is None:
                continue
            if isinstance(item, qs.Or) or (isinstance(item, qs.Word) and item.prefix and item.field is None):
                # an OU group, a prefix: optional clauses like words
                clauses.append(q)
            else:
                required.append(q)
        flush()
        return clauses, required

    def _word_run(self, run: list[str], state: _Build) -> list[wq.Query]:
        """One clause per content word (or synonym expression) of a run of typed words, each
        matched in title and body with its synonyms and spelling correction; consecutive
        words found close together earn a bonus."""
        surface = topical([w for text in run for w in words_of(text)], self.analyzer.stop_words)
        alternatives: list[tuple[str, list[str]]] = []  # (term, its spelling corrections' terms)
        for word in surface:
            term = self.analyzer.term(word)
            if term is None:
                continue
            if state.terms >= MAX_TERMS:
                break
            state.terms += 1
            fixed = state.corrections.get(word)
            fixed_term = self.analyzer.term(fixed) if fixed else None
            alternatives.append((term, [fixed_term] if fixed_term and fixed_term != term else []))
        terms = [t for t, _ in alternatives]
        if not terms:
            return []
        clauses: list[wq.Query] = []
        groups: list[list[list[str]]] = []
        i = 0
        while i < len(terms):
            length, equivalents = self.synonyms.match(terms, i)
            if length:
                group = [terms[i : i + length]] + [list(e) for e in equivalents[:MAX_EXPANSIONS]]
            else:
                length = 1
                group = [[terms[i]]] + [[c] for c in alternatives[i][1]]
            groups.append(group)
            i += length
        first = state.terms - len(terms)  # content terms of the query before this run
        for group in groups:
            clauses.append(_either([q for e in group for q in _in_text(e)]))
        room = max(0, MAX_BONUS_TERMS - first)
        for group in groups[:room]:
            state.bonus.extend(_terms_query(f, e, SECTION_WEIGHT) for f in SECTION_FIELDS for e in group)
        near = terms[: room + 1]
        for a, b in pairwise(near):
            if a != b:
                state.bonus.append(wq.Phrase(MATCH_FIELD, [a, b], slop=PROXIMITY_SLOP, boost=PROXIMITY_WEIGHT))
        return clauses

    # -- the strict side: operators, phrases, fields ------------------------------------------

    def _node(self, node: qs.Node, state: _Build) -> wq.Query | None:
        if isinstance(node, qs.And):
            parts = [q for q in (self._node(i, state) for i in node.items) if q is not None]
            if not parts:
                return None
            if all(isinstance(p, wq.Not) for p in parts):
                return wq.And([wq.Every()] + parts)
            return wq.And(parts) if len(parts) > 1 else parts[0]
        if isinstance(node, qs.Or):
            parts = [q for q in (self._node(i, state) for i in node.items) if q is not None]
            return AnyOf(parts) if parts else None
        if isinstance(node, qs.Not):
            excluded = _Build(state.labels, {})  # its words are neither corrected nor highlighted
            excluded.terms = state.terms
            inner = self._node(node.item, excluded)
            state.terms = excluded.terms
            return wq.Not(inner) if inner is not None else None
        if isinstance(node, qs.Phrase):
            return self._text(node.text, node.field, state, phrase=True)
        if node.prefix:
            if state.terms + PREFIX_COST > MAX_TERMS:
                return None
            state.terms += PREFIX_COST
            return self._prefix(node.text, node.field)
        return self._text(node.text, node.field, state, phrase=False)

    def _text(self, text: str, field: str | None, state: _Build, phrase: bool) -> wq.Query | None:
        if field in KEYWORD_FIELDS:
            if state.terms >= MAX_TERMS:
                return None
            state.terms += 1
            if field == "organisations":
                # ``org:QPV`` and ``sigle:QPV`` found programmes before they had a facet of
                # their own (``schemes``): typed queries keep finding both kinds.
                return AnyOf([self._keyword(f, text, state.labels) for f in ("organisations", "schemes")])
            return self._keyword(field, text, state.labels)
        if field == "id":
            return wq.Term("id", text.strip())
        if field is None and not phrase:
            clauses = self._word_run([text], state)
            return (wq.And(clauses) if len(clauses) > 1 else clauses[0]) if clauses else None
        terms = self.analyzer.terms(text)[: max(0, MAX_TERMS - state.terms)]
        if not terms:
            return None
        state.terms += len(terms)
        if field is None:
            return wq.AndMaybe(wq.Phrase(MATCH_FIELD, terms), wq.Phrase(TITLE_FIELD, terms, boost=TITLE_WEIGHT))
        return wq.Phrase(field, terms) if phrase or len(terms) > 1 else wq.Term(field, terms[0])

    def _prefix(self, text: str, field: str | None) -> wq.Query | None:
        folded = fold(text).strip(".'’-")
        if len(folded) < 2:
            return None
        if field in KEYWORD_FIELDS:
            return BoundedPrefix(field, text)
        if field in (None, MATCH_FIELD):
            return WordPrefix(folded)
        return AnyOf([BoundedPrefix(field, folded), wq.Term(field, self.analyzer.term(folded) or folded)])

    def filters(self, filters: Mapping[str, tuple[str, ...]], labels: Labels) -> wq.Query | None:
        """The query of a request's filters (None without any): values of one field are
        OR-ed, fields AND-ed, each value matched loosely against the labels that exist."""
        clauses = []
        for field, values in filters.items():
            if field not in FILTER_FIELDS or not values:
                continue
            # An organisations filter also matches the dispositifs, which had no facet of their
            # own before schema 7: links published then (?org=QPV) and kb search --org keep working.
            fields_ = (field, "schemes") if field == "organisations" else (field,)
            clauses.append(AnyOf([self._keyword(f, v, labels) for f in fields_ for v in values]))
        return wq.And(clauses) if clauses else None

    def _keyword(self, field: str, text: str, labels: Labels) -> wq.Query:
        """A label, matched loosely: "fiche d'experience" or "fiche" both find "fiche d'expérience"."""
        wanted = fold(text).strip()
        values = list(labels(field))
        exact = [v for v in values if fold(v) == wanted]
        matched = exact or [v for v in values if fold(v).startswith(wanted) or wanted in fold(v).split()]
        if not matched:
            return wq.NullQuery
        return AnyOf([wq.Term(field, v) for v in matched]) if len(matched) > 1 else wq.Term(field, matched[0])


def _in_text(terms: list[str]) -> list[wq.Query]:
    """An expression matched in the body, and in the title for the title's extra weight."""
    return [_terms_query(MATCH_FIELD, terms), _terms_query(TITLE_FIELD, terms, TITLE_WEIGHT)]


def _terms_query(field: str, terms: list[str], boost: float = 1.0) -> wq.Query:
    return wq.Term(field, terms[0], boost=boost) if len(terms) == 1 else wq.Phrase(field, terms, boost=boost)


def _either(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else AnyOf(queries)


def _any(queries: list[wq.Query]) -> wq.Query | None:
    return None if not queries else _either(queries)
