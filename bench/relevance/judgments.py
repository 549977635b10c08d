"""Loading the judged queries (queries.toml) and the judged similar-document pairs (similar.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATEGORIES = ("keyword", "question", "acronym", "misspelling", "no-accent", "plural", "synonym", "phrase")


@dataclass(frozen=True)
class Query:
    """One judged query; ``judgments[collection][path] = grade`` (0-3), paths relative to the
    collection's root. A collection without any grade >= 2 does not evaluate the query."""

    id: str
    text: str
    category: str
    judgments: dict[str, dict[str, int]] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class SimilarCase:
    """A document and the documents a reader of it would expect to be suggested."""

    collection: str
    doc: str
    expected: frozenset[str]


def load_queries(path: Path = HERE / "queries.toml") -> list[Query]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for q in data["query"]:
        if q["category"] not in CATEGORIES:
            raise ValueError(f"{q['id']}: unknown category {q['category']!r}")
        judged = {c: {str(p): int(g) for p, g in q.get(c, {}).items()} for c in ("demo", "shared")}
        for c, grades in judged.items():
            bad = [p for p, g in grades.items() if not 0 <= g <= 3]
            if bad:
                raise ValueError(f"{q['id']}: grades out of 0-3 in {c}: {bad}")
        out.append(Query(q["id"], q["text"], q["category"], judged, q.get("note", "")))
    ids = [q.id for q in out]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate query ids")
    return out


def load_all_queries() -> list[Query]:
    """The keyword-style judged set and the natural-language questions (``questions.toml``)."""
    queries = load_queries()
    extra = HERE / "questions.toml"
    if extra.exists():
        queries += load_queries(extra)
    if len({q.id for q in queries}) != len(queries):
        raise ValueError("duplicate query ids across queries.toml and questions.toml")
    return queries


def load_similar(path: Path = HERE / "similar.toml") -> list[SimilarCase]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [SimilarCase(c["collection"], c["doc"], frozenset(c["expected"])) for c in data["case"]]
