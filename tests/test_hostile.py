"""Hostile input: any Unicode query or text goes through the analyzer and the search without an
exception and in bounded time; real files corrupted byte-wise are indexed or refused with a
reason, never a crash or a hang."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.extract.base import Extracted, ExtractionError
from indexer.ingest import Options, index_paths
from kb.analysis import Analyzer
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "documents"

# Characters that have broken search engines: operators, quotes of every kind, escapes,
# combining marks, ligatures, RTL marks, NUL, surrogates-free astral symbols.
NASTY = st.lists(st.sampled_from(list('"\'’«»()[]{}*?:-+~^!&|\\/ \t\néèœÆ\u0301\u200f\u0000\U0001F600')
                                  + [" AND ", " OR ", " NOT ", " ET ", " OU ", " SAUF ", "titre:", "type:",
                                     "annee:", "l’", "qu'", "habitants", "Q.P.V.", "*"]),
                  max_size=60).map("".join)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("hostile") / "home"
    docs = tmp_path_factory.mktemp("docs")
    for path in sorted(CORPUS.rglob("*.md"))[:6] + sorted(CORPUS.rglob("*.pdf"))[:2]:
        shutil.copyfile(path, docs / path.name)
    with KnowledgeBase(home) as kb:
        index_paths(kb, [docs], Options(workers=1))
        yield kb


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=300), NASTY))
def test_any_query_searches_without_error(base: KnowledgeBase, query: str) -> None:
    started = time.monotonic()
    page = base.search(SearchRequest(query, facets=True))
    assert page.total >= 0
    for hit in page.hits:
        assert "<script" not in hit.snippet
    assert time.monotonic() - started < 5


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=300), NASTY), st.sampled_from(["type", "themes", "year", "format"]))
def test_any_filter_value_is_harmless(base: KnowledgeBase, value: str, field: str) -> None:
    base.search(SearchRequest("habitants", filters={field: (value,)}))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_analyzer_handles_any_text(text: str) -> None:
    tokens = list(Analyzer().tokens(text))
    for token in tokens:
        assert 0 <= token.start < token.end <= len(text)
        assert token.term


def test_huge_query_is_bounded(base: KnowledgeBase) -> None:
    query = " OR ".join(["habitants", '"participation des"', "(santé", "-école"] * 5000)
    started = time.monotonic()
    base.search(SearchRequest(query))
    assert time.monotonic() - started < 10


def _mutants(source: bytes, seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        data = bytearray(source)
        kind = rng.choice(["flip", "truncate", "zero", "splice"])
        if kind == "flip":
            for _ in range(rng.randint(1, 50)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == "truncate":
            del data[rng.randrange(1, len(data)):]
        elif kind == "zero":
            start = rng.randrange(len(data))
            data[start:start + rng.randint(1, 4096)] = b"\0" * len(data[start:start + 4096])
        else:
            start = rng.randrange(len(data))
            data[start:start] = data[: rng.randint(1, 2048)]
        out.append(bytes(data))
    return out


@pytest.mark.parametrize("pattern", ["*.pdf", "*.docx", "*.odt", "*.html"])
def test_corrupted_real_files_are_indexed_or_refused(tmp_path: Path, pattern: str) -> None:
    sources = sorted(CORPUS.rglob(pattern))[:2]
    assert sources
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, source in enumerate(sources):
        for j, data in enumerate(_mutants(source.read_bytes(), seed=i, count=12)):
            (docs / f"m{i}-{j}{source.suffix}").write_bytes(data)
    with KnowledgeBase(tmp_path / "home") as kb:
        report = index_paths(kb, [docs], Options(workers=2, limits=Options().limits.__class__(timeout_s=30)))
        total = len(list(docs.iterdir()))
        assert len(report.indexed) + len(report.failed) + len(report.skipped) == total
        assert all(reason for _, reason in report.failed + report.skipped)
        assert kb.check().ok


def test_extractor_contract_on_corrupted_bytes(tmp_path: Path) -> None:
    """In-process: the registry raises only ExtractionError, whatever the bytes."""
    from indexer.extract.registry import extract

    source = sorted(CORPUS.rglob("*.docx"))[0]
    for j, data in enumerate(_mutants(source.read_bytes(), seed=99, count=20)):
        path = tmp_path / f"x{j}.docx"
        path.write_bytes(data)
        try:
            assert isinstance(extract(path), Extracted)
        except ExtractionError as exc:
            assert exc.reason
