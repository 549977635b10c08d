"""From the parsed query tree to a Whoosh query: field weights, synonyms, lenient fields.

User text only ever reaches the fields a user may search; keyword fields (type, theme...) are
matched against the labels that exist in the index, accent- and case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from whoosh import query as wq

from kb import querysyntax as qs
from kb.analysis import QUESTION_WORDS, Analyzer, fold
from kb.synonyms import Synonyms

# Fields a bare word is looked up in; their weights live in the schema (field_boost).
TEXT_FIELDS = ("title", "headings", "summary", "body")
KEYWORD_FIELDS = ("type", "themes", "year", "format", "organisations", "territory", "language")
PHRASE_BOOST = 2.0
MAX_EXPANSIONS = 8
TOLERANT_FROM = 3  # from this many words on, a document may miss one of them


@dataclass(frozen=True)
class BuiltQuery:
    query: wq.Query
    words: tuple[str, ...]  # the plain words typed, for spelling suggestions
    relaxable: bool  # a plain conjunction of words that may be retried as OR


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


class QueryBuilder:
    """Builds Whoosh queries; ``labels(field)`` lists the values a keyword field holds."""

    def __init__(self, analyzer: Analyzer, synonyms: SynonymMatcher) -> None:
        self.analyzer = analyzer
        self.synonyms = synonyms

    def build(self, node: qs.Node, labels: Callable[[str], Iterable[str]]) -> BuiltQuery:
        words: list[str] = []
        query = self._node(node, labels, words)
        relaxable = isinstance(node, qs.And) and all(
            isinstance(i, qs.Word) and i.field is None and not i.prefix for i in node.items
        )
        if query is None:
            return BuiltQuery(wq.NullQuery, tuple(words), False)
        if isinstance(node, qs.Not):
            query = wq.And([wq.Every(), query])
        return BuiltQuery(query, tuple(words), relaxable)

    def relaxed(self, node: qs.Node, labels: Callable[[str], Iterable[str]]) -> wq.Query:
        """Any of the words instead of all of them (used when all of them match nothing)."""
        assert isinstance(node, qs.And)
        return wq.Or([q for q in (self._node(i, labels, []) for i in node.items) if q is not None])

    # -- tree walk -------------------------------------------------------------------------

    def _node(self, node: qs.Node, labels: Callable[[str], Iterable[str]], words: list[str]) -> wq.Query | None:
        if isinstance(node, qs.And):
            return self._conjunction(node.items, labels, words)
        if isinstance(node, qs.Or):
            parts = [q for q in (self._node(i, labels, words) for i in node.items) if q is not None]
            return wq.Or(parts) if parts else None
        if isinstance(node, qs.Not):
            inner = self._node(node.item, labels, [])
            return wq.Not(inner) if inner is not None else None
        if isinstance(node, qs.Phrase):
            return self._text(node.text, node.field, labels, phrase=True)
        if node.prefix:
            return self._prefix(node.text, node.field)
        if node.field is None:
            words.append(node.text)
        return self._text(node.text, node.field, labels, phrase=False)

    def _conjunction(self, items: tuple[qs.Node, ...], labels: Callable[[str], Iterable[str]],
                     words: list[str]) -> wq.Query | None:
        """AND of the items, where runs of plain words are matched against synonym expressions
        and rewarded when they appear together as a phrase."""
        parts: list[wq.Query] = []
        run: list[str] = []

        def flush() -> None:
            if run:
                q = self._word_run(run)
                if q is not None:
                    parts.append(q)
                run.clear()

        for item in items:
            if isinstance(item, qs.Word) and item.field is None and not item.prefix:
                words.append(item.text)
                run.append(item.text)
                continue
            flush()
            q = self._node(item, labels, words)
            if q is not None:
                parts.append(q)
        flush()
        if not parts:
            return None
        positives = [p for p in parts if not isinstance(p, wq.Not)]
        if not positives:
            return wq.And([wq.Every()] + parts)
        return wq.And(parts) if len(parts) > 1 else parts[0]

    def _word_run(self, run: list[str]) -> wq.Query | None:
        topical = [w for w in run if fold(w) not in QUESTION_WORDS]
        terms = self.analyzer.terms(" ".join(topical or run))
        if not terms:
            return None
        clauses: list[wq.Query] = []
        i = 0
        while i < len(terms):
            length, equivalents = self.synonyms.match(terms, i)
            if length:
                group = [self._terms_query(terms[i : i + length])]
                group += [self._terms_query(list(e)) for e in equivalents[:MAX_EXPANSIONS]]
                clauses.append(wq.Or(group))
                i += length
            else:
                clauses.append(self._terms_query([terms[i]]))
                i += 1
        main = wq.And(clauses) if len(clauses) > 1 else clauses[0]
        if len(clauses) >= TOLERANT_FROM:
            # Long queries and questions: a document may miss one of the words ("lutter" in
            # "comment lutter contre le décrochage scolaire"); those with all of them rank first.
            most = wq.Or([wq.And(clauses[:i] + clauses[i + 1 :]) for i in range(len(clauses))])
            main = wq.AndMaybe(most, main)
        if len(terms) > 1:
            proximity = wq.Or([wq.Phrase(f, terms, slop=2, boost=PHRASE_BOOST) for f in ("title", "body")])
            return wq.AndMaybe(main, proximity)
        return main

    def _terms_query(self, terms: list[str], fields: Iterable[str] = TEXT_FIELDS) -> wq.Query:
        if len(terms) == 1:
            return wq.Or([wq.Term(f, terms[0]) for f in fields])
        return wq.Or([wq.Phrase(f, terms) for f in fields])

    def _text(self, text: str, field: str | None, labels: Callable[[str], Iterable[str]],
              phrase: bool) -> wq.Query | None:
        if field in KEYWORD_FIELDS:
            return self._keyword(field, text, labels)
        if field == "id":
            return wq.Term("id", text.strip())
        fields = (field,) if field else TEXT_FIELDS
        terms = self.analyzer.terms(text)
        if not terms:
            return None
        if phrase or len(terms) > 1:
            return wq.Or([wq.Phrase(f, terms) for f in fields])
        if field is None:
            return self._word_run([text])
        return wq.Term(field, terms[0])

    def _prefix(self, text: str, field: str | None) -> wq.Query | None:
        folded = fold(text).strip(".'’-")
        if len(folded) < 2:
            return None
        if field in KEYWORD_FIELDS:
            return wq.Prefix(field, text)
        # Stems are truncated words, so a prefix is matched on the unstemmed words too.
        targets = ("spell", "title") if field in (None, "body", "title") else (field,)
        return wq.Or([wq.Prefix(f, folded) for f in targets] + [wq.Term(f, self.analyzer.term(folded) or folded)
                                                                  for f in (field,) if f])

    def _keyword(self, field: str, text: str, labels: Callable[[str], Iterable[str]]) -> wq.Query:
        """A label, matched loosely: "fiche d'experience" or "fiche" both find "fiche d'expérience"."""
        wanted = fold(text).strip()
        values = list(labels(field))
        exact = [v for v in values if fold(v) == wanted]
        matched = exact or [v for v in values if fold(v).startswith(wanted) or wanted in fold(v).split()]
        if not matched:
            return wq.NullQuery
        return wq.Or([wq.Term(field, v) for v in matched]) if len(matched) > 1 else wq.Term(field, matched[0])
