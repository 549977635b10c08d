"""The user's query language, parsed leniently into a small tree. Pure Python, never raises.

Syntax: words, "phrases", AND/OR/NOT and ET/OU/SAUF, ``-word`` / ``-"phrase"``, ``field:value``,
``field:"phrase"``, ``prefix*`` and parentheses. Anything that does not parse degrades to words:
people paste sentences, questions, stray quotes and operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.fields import TYPED_NAMES
from kb.sections import SECTION_PREFIX, default_sections

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64

_AND = {"AND", "ET", "&&"}
_OR = {"OR", "OU", "||"}
_NOT = {"NOT", "SAUF", "NON"}

_LEX_RE = re.compile(
    r"""
    (?P<lpar>\() | (?P<rpar>\)) |
    (?P<neg>[-−])?(?:(?P<field>[^\W\d_][\w\u00C0-\u017F]*):)?"(?P<phrase>[^"]*)"? |
    (?P<neg2>[-−])?(?:(?P<field2>[^\W\d_][\w\u00C0-\u017F]*):)?(?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Word:
    """A word of the query, in one field when typed as ``champ:mot``."""
    text: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    """Words typed between quotes, matched in that order."""
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Not:
    """A part of the query the results must not match (``-mot``, ``SAUF``)."""
    item: Node


@dataclass(frozen=True)
class And:
    """Items side by side. ``explicit``: joined by ET/AND, so every item is required; words
    merely typed side by side are not (the builder ranks documents by how many they hold)."""

    items: tuple[Node, ...]
    explicit: bool = False


@dataclass(frozen=True)
class Or:
    """Parts of the query of which any may match (``OU``)."""
    items: tuple[Node, ...]


Node = Word | Phrase | Not | And | Or


def within(node: Node, fields: tuple[str, ...]) -> Node:
    """``node`` with every word and phrase that names no field searched in ``fields`` (any
    of them) instead: a search restricted to some sections of practice sheets."""
    if isinstance(node, (Word, Phrase)):
        if node.field is not None or not fields:
            return node
        if isinstance(node, Word):
            moved: list[Node] = [Word(node.text, f, node.prefix) for f in fields]
        else:
            moved = [Phrase(node.text, f) for f in fields]
        return moved[0] if len(moved) == 1 else Or(tuple(moved))
    if isinstance(node, Not):
        return Not(within(node.item, fields))
    if isinstance(node, And):
        return And(tuple(within(i, fields) for i in node.items), node.explicit)
    return Or(tuple(within(i, fields) for i in node.items))


def parse(text: str) -> Node | None:
    """Parse a query; None when it holds nothing searchable."""
    tokens = _lex(text[:MAX_QUERY_CHARS])[: MAX_CLAUSES * 2]
    parser = _Parser(tokens)
    node = parser.expression()
    return _simplify(node)


def _lex(text: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    for m in _LEX_RE.finditer(text):
        if m.group("lpar"):
            tokens.append(("(", None))
        elif m.group("rpar"):
            tokens.append((")", None))
        elif m.group("phrase") is not None:
            field = _field(m.group("field"))
            raw_field = m.group("field")
            phrase = m.group("phrase").strip()
            if raw_field and field is None:
                phrase = f"{raw_field} {phrase}"
            node: Node = Phrase(phrase, field) if phrase else Word("")
            tokens.append(("term", Not(node) if m.group("neg") else node))
        else:
            word = m.group("word")
            raw_field = m.group("field2")
            if raw_field is None and word in _AND | _OR | _NOT:
                kind = "and" if word in _AND else "or" if word in _OR else "not"
                tokens.append((kind, None))
                continue
            field = _field(raw_field)
            if raw_field and field is None:
                word = f"{raw_field} {word}"
            prefix = word.endswith("*") and len(word.rstrip("*")) >= 2
            word = word.strip("*")
            node = Word(word, field, prefix)
            tokens.append(("term", Not(node) if m.group("neg2") and word else node))
    return tokens


def _field(name: str | None) -> str | None:
    """The index field a typed field name means: one of ``kb.fields.TYPED_NAMES``, or a section of
    practice sheets named by its key or a heading variant (``resultats:``, ``bilan:``)."""
    if not name:
        return None
    known = TYPED_NAMES.get(name.lower())
    if known is not None:
        return known
    key = default_sections().exact_key(name)
    return SECTION_PREFIX + key if key else None


class _Parser:
    """Recursive descent with implicit AND; a dangling operator or parenthesis is ignored."""

    def __init__(self, tokens: list[tuple[str, object]]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def expression(self) -> Node | None:
        items = [self.conjunction()]
        while self.peek() == "or":
            self.i += 1
            items.append(self.conjunction())
        kept = tuple(i for i in items if i is not None)
        return Or(kept) if len(kept) > 1 else (kept[0] if kept else None)

    def conjunction(self) -> Node | None:
        items: list[Node] = []
        explicit = False
        while True:
            kind = self.peek()
            if kind is None or kind == "or" or (kind == ")" and self.depth > 0):
                break
            if kind == "and" or (kind == ")" and self.depth == 0):
                explicit = explicit or (kind == "and" and bool(items))
                self.i += 1
                continue
            node = self.unary()
            if node is not None:
                items.append(node)
        return And(tuple(items), explicit) if len(items) > 1 else (items[0] if items else None)

    def unary(self) -> Node | None:
        kind = self.peek()
        if kind is None or kind in ("or", ")"):
            return None
        if kind == "not":
            self.i += 1
            inner = self.unary()
            return Not(inner) if inner is not None and not isinstance(inner, Not) else inner
        if kind == "(":
            self.i += 1
            if self.depth >= 8:
                return None
            self.depth += 1
            node = self.expression()
            self.depth -= 1
            if self.peek() == ")":
                self.i += 1
            return node
        token = self.tokens[self.i]
        self.i += 1
        return token[1] if kind == "term" else None  # type: ignore[return-value]


def _simplify(node: Node | None) -> Node | None:
    """Drop empty words; a query made only of negations has nothing to search."""
    if node is None:
        return None
    if isinstance(node, Word):
        return node if node.text else None
    if isinstance(node, Phrase):
        return node if node.text else None
    if isinstance(node, Not):
        inner = _simplify(node.item)
        return Not(inner) if inner is not None else None
    items = tuple(s for s in (_simplify(i) for i in node.items) if s is not None)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    if isinstance(node, Or) and any(isinstance(i, Not) for i in items):
        items = tuple(i for i in items if not isinstance(i, Not)) or items
    if all(isinstance(i, Not) for i in items):
        return None
    if isinstance(node, And):
        return And(items, node.explicit)
    return Or(items)
