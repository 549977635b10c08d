"""The two judged collections, their knowledge-base homes (cached under bench/results/) and
the plain Whoosh baseline index built beside them from the same extracted texts.

A home is keyed by a hash of the collection's file contents, so files are extracted once
(``--rebuild`` extracts again, e.g. after an extractor change); the project's index inside it
is rebuilt from the catalog (no re-extraction) whenever the analysis or schema code changes.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from whoosh import fields, index, scoring
from whoosh.analysis import StandardAnalyzer
from whoosh.qparser import MultifieldParser, OrGroup

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
SHARED_DOCS = ROOT.parent / "shared" / "corpora" / "french-docs"
FRENCH_QA = ROOT.parent / "shared" / "corpora" / "french-qa"
COLLECTIONS = {"demo": ROOT / "corpus" / "documents", "shared": SHARED_DOCS, "qa": FRENCH_QA / "docs"}


def sources(name: str) -> list[Path]:
    """The files or folders a collection indexes: its root, and for the question set the
    Markdown pages of french-docs as distractors (as its README suggests)."""
    root = COLLECTIONS[name].resolve()
    if name != "qa":
        return [root]
    return [root] + sorted(p.resolve() for p in SHARED_DOCS.rglob("*.md"))

# Code whose change invalidates the project's index (rebuilt from the catalog) / the baseline.
_INDEX_CODE = ("kb/analysis.py", "kb/whoosh_backend/schema.py", "kb/whoosh_backend/prepare.py",
               "kb/whoosh_backend/writer.py", "kb/synonyms.py", "kb/data/synonyms.yaml",
               # groups of copies and versions (kb.kinship) are rebuilt with the index
               "kb/fingerprint.py", "kb/grouping.py", "kb/kinship.py")
_BASELINE_VERSION = "1"


def _hash_paths(paths: list[Path], base: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _files(root: Path, relative: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for rel in relative:
        p = root / rel
        out += [f for f in p.rglob("*.py")] if p.is_dir() else [p]
    return out


def content_hash(root: Path) -> str:
    return _hash_paths([p for p in root.rglob("*") if p.is_file()], root)


@dataclass
class Collection:
    """One judged collection, opened: the project's knowledge base and the baseline index."""

    name: str
    root: Path
    kb: KnowledgeBase
    baseline: Baseline

    def relative(self, path: str) -> str:
        p = Path(path)
        return str(p.relative_to(self.root)) if p.is_relative_to(self.root) else str(p)

    def search(self, query: str, k: int = 20) -> list[str]:
        page = self.kb.search(SearchRequest(query, page_size=k, facets=False))
        return [self.relative(h.path) for h in page.hits]

    def groups(self) -> dict[str, str]:
        """Each grouped document (relative path) -> its group (the leader's relative path)."""
        paths = {e.id: e.path for e in self.kb.indexed_entries()}
        leaders = self.kb.kinship.snapshot().leaders
        return {self.relative(paths[i]): self.relative(paths[leader]) for i, leader in leaders.items()
                if i in paths and leader in paths}

    def close(self) -> None:
        self.baseline.close()
        self.kb.close()


class Baseline:
    """Plain Whoosh as a competent newcomer sets it up: the default analyzer
    (``StandardAnalyzer``: regex tokens, lower-case, English stop words, no stemming, no
    accent folding) on ``title`` and ``body``, no field boosts, BM25F with its defaults
    (B=0.75, K1=1.2), and ``MultifieldParser(["title", "body"], group=OrGroup)``: any word
    of the query matches (Whoosh's default AND group returns nothing for most questions)."""

    def __init__(self, path: Path, kb: KnowledgeBase, root: Path) -> None:
        stamp = path / "baseline-version"
        if not (index.exists_in(str(path)) and stamp.exists() and stamp.read_text() == _BASELINE_VERSION):
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True)
            schema = fields.Schema(path=fields.ID(stored=True, unique=True),
                                   title=fields.TEXT(analyzer=StandardAnalyzer(), stored=True),
                                   body=fields.TEXT(analyzer=StandardAnalyzer(), stored=True))
            ix = index.create_in(str(path), schema)
            with ix.writer(limitmb=256) as writer:
                for doc in kb.documents():
                    path_ = Path(doc.path)
                    rel = path_.relative_to(root) if path_.is_relative_to(root) else path_
                    writer.add_document(path=str(rel), title=doc.title, body=doc.text)
            stamp.write_text(_BASELINE_VERSION)
        self.ix = index.open_dir(str(path))
        self.searcher = self.ix.searcher(weighting=scoring.BM25F())
        self.parser = MultifieldParser(["title", "body"], self.ix.schema, group=OrGroup)

    def search(self, query: str, k: int = 20) -> list[str]:
        return [hit["path"] for hit in self.searcher.search(self.parser.parse(query), limit=k)]

    def similar(self, path: str, k: int = 3) -> list[str]:
        docnum = self.searcher.document_number(path=path)
        if docnum is None:
            return []
        hits = self.searcher.more_like(docnum, "body", top=k)  # Whoosh defaults: 5 key terms, Bo1
        return [h["path"] for h in hits]

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


def open_collection(name: str, log=print, rebuild: bool = False) -> Collection:  # type: ignore[no-untyped-def]
    """Open (building or refreshing as needed) the cached home of a collection."""
    root = COLLECTIONS[name].resolve()
    paths = sources(name)
    digest = hashlib.sha256("".join(content_hash(p) if p.is_dir() else _hash_paths([p], p.parent)
                                    for p in paths).encode()).hexdigest()[:16]
    home = RESULTS / "relevance-homes" / f"{name}-{digest}"
    for stale in home.parent.glob(f"{name}-*"):
        if stale != home or rebuild:
            shutil.rmtree(stale, ignore_errors=True)
    fresh = not (home / "catalog.sqlite").exists() or not (home / "extracted").exists()
    kb = KnowledgeBase(home)
    kb.repair()  # an index a new version outdated is rebuilt from the catalog
    if fresh:
        log(f"[{name}] extraction et indexation de {root} …")
        report = index_paths(kb, paths, Options())
        (home / "extracted").write_text(str(len(report.indexed)))
    index_key = _hash_paths(_files(ROOT, _INDEX_CODE), ROOT)
    stamp = home / "index-code"
    if not stamp.exists() or stamp.read_text() != index_key:
        if not fresh:
            log(f"[{name}] code d'analyse modifié : reconstruction de l'index depuis le catalogue …")
            with kb.writing():
                kb.rebuild()
        stamp.write_text(index_key)
    return Collection(name, root, kb, Baseline(home / "baseline", kb, root))
