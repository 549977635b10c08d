"""Search benchmark: 250 realistic French queries and 50 natural questions, warm, on a base
built from the scaled corpus, with facets and highlighting exactly as the web page asks for
them (``KnowledgeBase.search(SearchRequest(q, filters, facets=True))``), timed per query class
(one word, two words, phrases, acronyms, filters, questions...), side by side in the same run with
lower-bound references on the same documents:

- bare Whoosh: default schema and analyzer, no facets, no highlighting (our overhead);
- tantivy (Rust; French stemming and accent folding) and SQLite FTS5 (unicode61, diacritics
  removed, no stemming).

    python -m bench.search              # 100,000 documents
    python -m bench.search --quick      # 300 documents, a few seconds
    python -m bench.search --only-passerelles   # the project alone, e.g. in two checkouts
    python -m bench.search --only-passerelles --steady   # each query new, after other queries
    python -m bench.search --only-passerelles --cold-postings   # no decoded list kept at all
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import DATA, PYTHON, ROOT, SHARED, latency, table, write_result
from bench.corpus import TYPES, _paragraphs, build
from kb.analysis import STOP_WORDS, fold
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest

Query = dict[str, Any]  # q (our syntax), words, phrase, filters


def home_for(count: int) -> Path:
    """A knowledge base of the scaled corpus, indexed once with ``kb index`` and reused."""
    home = DATA / f"home-scaled-{count}"
    if (home / ".complete").exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    corpus = build(count)
    started = time.perf_counter()
    subprocess.run([PYTHON, "-m", "kb.cli", "--home", str(home), "index", str(corpus), "--json"],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    (home / ".complete").write_text(f"{time.perf_counter() - started:.1f}\n")
    return home


def queries(n: int = 250, seed: int = 6) -> list[Query]:
    """Queries a person would type, drawn from the corpus' own sentences: single words of
    middling frequency, 2–4 word runs, quoted phrases, OR, prefixes, and filtered queries."""
    paragraphs, _ = _paragraphs()
    sentences = [s for p in paragraphs for s in p if len(s) > 40]

    def words_in(sentence: str) -> list[str]:
        return re.findall(r"[^\W\d_]{2,}", sentence)

    def content(word: str) -> bool:
        return len(word) >= 4 and fold(word) not in STOP_WORDS

    freq = Counter(w.lower() for s in sentences for w in words_in(s) if content(w))
    middling = [w for w, _ in freq.most_common(3000)[40:]]
    rng = random.Random(seed)
    out: list[Query] = []

    def run_of(k: int) -> list[str]:
        while True:
            ws = words_in(rng.choice(sentences))
            if len(ws) > k:
                i = rng.randrange(len(ws) - k + 1)
                run = [w.lower() for w in ws[i:i + k]]
                if sum(content(w) for w in run) >= min(2, k):
                    return run

    def add(kind: str, q: str, words: list[str], phrase: bool = False,
            filters: dict[str, tuple[str, ...]] | None = None) -> None:
        out.append({"class": kind, "q": q, "words": words, "phrase": phrase, "filters": filters or {}})

    for _ in range(int(n * 0.30)):
        w = rng.choice(middling)
        add("one word", w, [w])
    for _ in range(int(n * 0.22)):
        ws = [w for w in run_of(3) if content(w)][:2]
        add("two words", " ".join(ws), ws)
    for _ in range(int(n * 0.12)):
        ws = run_of(rng.choice((3, 4)))
        add("3-4 words", " ".join(ws), [w for w in ws if content(w)])
    for _ in range(int(n * 0.12)):
        ws = run_of(rng.choice((2, 3)))
        add("phrase", f'"{" ".join(ws)}"', ws, phrase=True)
    for _ in range(int(n * 0.04)):
        a, b = rng.sample(middling, 2)
        add("OU", f"{a} OU {b}", [a, b])
    for _ in range(int(n * 0.04)):
        w = rng.choice(middling)
        add("prefix", w[:5] + "*", [w[:5]])
    while len(out) < n:
        w = rng.choice(middling)
        flt: dict[str, tuple[str, ...]] = ({"type": (rng.choice(TYPES),)} if rng.random() < 0.5
               else {"year": (str(2005 + rng.randrange(20)),)})
        add("filtered word", w, [w], filters=flt)
    return out


def common_words(n: int = 20) -> list[Query]:
    """The ``n`` most common content words of the corpus, each alone: what people type first
    (« habitants », « quartier »), and the costliest single words, each matching a large share
    of the base."""
    paragraphs, _ = _paragraphs()
    freq = Counter(w.lower() for p in paragraphs for s in p for w in re.findall(r"[^\W\d_]{2,}", s)
                   if len(w) >= 4 and fold(w) not in STOP_WORDS)
    return [{"class": "common word", "q": w, "words": [w], "phrase": False, "filters": {}}
            for w, _ in freq.most_common(n)]


def acronyms(n: int = 20, seed: int = 9) -> list[Query]:
    """Acronyms as people type them (« QPV », « ANCT emploi »): half alone, half beside a word
    of middling frequency, drawn from the acronyms the product knows (kb/data/synonyms.yaml).
    Each is searched with its expansions (phrases of several words), the costliest shape of a
    short query."""
    import yaml

    known = sorted(yaml.safe_load((ROOT / "kb" / "data" / "synonyms.yaml").read_text(encoding="utf-8"))["acronyms"])
    paragraphs, _ = _paragraphs()
    freq = Counter(w.lower() for p in paragraphs for s in p for w in re.findall(r"[^\W\d_]{4,}", s)
                   if fold(w) not in STOP_WORDS)
    middling = [w for w, _ in freq.most_common(3000)[40:]]
    rng = random.Random(seed)
    out: list[Query] = []
    for i in range(n):
        acronym = rng.choice(known)
        words = [acronym] if i % 2 == 0 else [acronym, rng.choice(middling)]
        out.append({"class": "acronym", "q": " ".join(words), "words": words, "phrase": False, "filters": {}})
    return out


def real_questions(n: int = 60) -> list[Query]:
    """Questions real people typed (``../shared/corpora/french-qa/questions.jsonl``), the first
    ``n``: their words are not the scaled corpus's, but their shape (length, question words,
    stop words) is what a search box receives. Empty when the shared data is absent."""
    path = SHARED / "corpora" / "french-qa" / "questions.jsonl"
    if not path.is_file():
        return []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"class": "french-qa question", "q": d["q"], "words": re.findall(r"[^\W\d_]{2,}", d["q"].lower()),
             "phrase": False, "filters": {}} for d in lines[:n]]


QUESTION_FRAMES = ("Comment {} ?", "Peut-on {} ?", "Quelles sont les règles pour {} ?", "À quoi sert {} ?",
                   "Qu'est-ce que {} ?", "Quels sont les différents types de {} ?", "Faut-il {} ?",
                   "Comment faire pour {} (etc.) ?")


def questions(n: int = 60, seed: int = 7) -> list[Query]:
    """Questions typed in plain French: 4 to 9 consecutive words of the corpus' sentences in a
    question frame ("Peut-on … ?", "Quelles sont les règles pour … ?"), some with a word's
    letters swapped (a typo). The costliest class for ranked retrieval: many words, each of
    which makes candidates."""
    paragraphs, _ = _paragraphs()
    sentences = [s for p in paragraphs for s in p if len(s) > 60]
    rng = random.Random(seed)
    out: list[Query] = []
    while len(out) < n:
        ws = re.findall(r"[^\W\d_]{2,}", rng.choice(sentences))
        k = rng.randrange(4, 10)
        if len(ws) <= k:
            continue
        i = rng.randrange(len(ws) - k + 1)
        run = [w.lower() for w in ws[i:i + k]]
        if rng.random() < 0.3:
            j = max(range(len(run)), key=lambda x: len(run[x]))
            w = run[j]
            if len(w) > 5:
                run[j] = w[:2] + w[3] + w[2] + w[4:]
        q = rng.choice(QUESTION_FRAMES).format(" ".join(run))
        out.append({"class": "question", "q": q, "words": run, "phrase": False, "filters": {}})
    return out


def _timed(run: Callable[[Query], int], qs: list[Query], rounds: int) -> tuple[list[float], float]:
    times, hits, _ = _timed_by_class(run, qs, rounds)
    return times, hits


def _timed_by_class(run: Callable[[Query], int], qs: list[Query], rounds: int,
                    warm_up: list[Query] | None = None) -> tuple[list[float], float, dict[str, list[float]]]:
    """Each of ``qs`` timed ``rounds`` times, after a warm-up on ``warm_up`` (default: ``qs``
    themselves; other queries: the timed ones are then new to the process)."""
    for q in qs if warm_up is None else warm_up:  # caches, OS pages, lazily opened readers
        run(q)
    times: list[float] = []
    by_class: dict[str, list[float]] = {}
    hits = 0
    for _ in range(rounds):
        for q in qs:
            t0 = time.perf_counter()
            hits += run(q)
            elapsed = (time.perf_counter() - t0) * 1000
            times.append(elapsed)
            by_class.setdefault(q.get("class", "?"), []).append(elapsed)
    return times, hits / (rounds * len(qs)), by_class


def _plain(q: Query) -> str:
    if q.get("class") in ("question", "french-qa question"):
        return str(q["q"])
    words = [w.replace('"', "") for w in q["words"]]
    if q["phrase"]:
        return '"' + " ".join(words) + '"'
    if " OU " in q["q"]:
        return " OR ".join(words)
    return " ".join(words)


def passerelles(home: Path, qs: list[Query], rounds: int, page_cache: bool = False,
                cold: bool = False, warm_up: list[Query] | None = None) -> dict[str, Any]:
    """Our search as the web page calls it. Without ``page_cache``, the result-page cache
    (pages kept until the next commit) is emptied before each query: the cost of a query
    the base has not answered since its last commit. With it: a repeated query. With
    ``cold``, the decoded posting lists kept for frequent words are emptied too: the cost of
    a query whose words no recent query used. ``warm_up``: other queries asked first (see
    ``--steady``)."""
    kb = KnowledgeBase(home)
    kb.repair()  # an index a new version outdated is rebuilt before it is timed
    pages = getattr(kb.index, "_pages", None)  # private: a benchmark may look inside
    postings = getattr(kb.index, "_postings", None)
    try:
        def run(q: Query) -> int:
            if not page_cache and pages is not None:
                pages.clear()
            if cold and postings is not None:
                postings.clear()
            page = kb.search(SearchRequest(q["q"], filters=q["filters"], facets=True))
            return min(page.total, 10)
        times, hits, by_class = _timed_by_class(run, qs, rounds, warm_up)
        return {"latency_ms": latency(times), "mean_hits_top10": round(hits, 2),
                "by_class_ms": {k: latency(v) for k, v in by_class.items()}}
    finally:
        kb.close()


def bare_whoosh(home: Path, qs: list[Query], rounds: int, tag: str, or_group: bool = False) -> dict[str, Any]:
    from whoosh import fields, index
    from whoosh.qparser import OrGroup, QueryParser

    path = DATA / f"whoosh-bare-{tag}"
    build_s = None
    if not (path / ".complete").exists():
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        schema = fields.Schema(id=fields.ID(stored=True), title=fields.TEXT(stored=True), body=fields.TEXT)
        t0 = time.perf_counter()
        ix = index.create_in(str(path), schema)
        with KnowledgeBase(home) as kb, ix.writer(limitmb=256) as w:
            for doc in kb.documents():
                w.add_document(id=doc.id, title=doc.title, body=doc.text)
        build_s = time.perf_counter() - t0
        (path / ".complete").write_text(f"{build_s:.1f}\n")
    ix = index.open_dir(str(path))
    parser = QueryParser("body", ix.schema, group=OrGroup) if or_group else QueryParser("body", ix.schema)
    with ix.searcher() as s:
        def run(q: Query) -> int:
            results = s.search(parser.parse(_plain(q)), limit=10)
            return len([r["id"] for r in results])
        times, hits, by_class = _timed_by_class(run, qs, rounds)
    return {"latency_ms": latency(times), "mean_hits_top10": round(hits, 2), "build_s": build_s,
            "by_class_ms": {k: latency(v) for k, v in by_class.items()}}


def tantivy_ref(home: Path, qs: list[Query], rounds: int, tag: str) -> dict[str, Any]:
    try:
        import tantivy
    except ImportError:
        return {"unavailable": "pip install -e '.[bench]'"}
    path = DATA / f"tantivy-{tag}"
    french = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
              .filter(tantivy.Filter.ascii_fold()).filter(tantivy.Filter.stemmer("french")).build())
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name="fr")
    sb.add_text_field("body", stored=False, tokenizer_name="fr")
    schema = sb.build()
    build_s = None
    if not (path / ".complete").exists():
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        t0 = time.perf_counter()
        ix = tantivy.Index(schema, path=str(path))
        ix.register_tokenizer("fr", french)
        writer = ix.writer()
        with KnowledgeBase(home) as kb:
            for doc in kb.documents():
                writer.add_document(tantivy.Document(id=doc.id, title=doc.title, body=doc.text))
        writer.commit()
        writer.wait_merging_threads()
        build_s = time.perf_counter() - t0
        (path / ".complete").write_text(f"{build_s:.1f}\n")
    ix = tantivy.Index(schema, path=str(path))
    ix.register_tokenizer("fr", french)
    ix.reload()
    searcher = ix.searcher()

    def run(q: Query) -> int:
        query, _errors = ix.parse_query_lenient(_plain(q), ["title", "body"])
        result = searcher.search(query, 10)
        return len([searcher.doc(addr)["id"] for _score, addr in result.hits])
    times, hits = _timed(run, qs, rounds)
    return {"latency_ms": latency(times), "mean_hits_top10": round(hits, 2), "build_s": build_s}


def fts5_ref(home: Path, qs: list[Query], rounds: int, tag: str) -> dict[str, Any]:
    path = DATA / f"fts5-{tag}.sqlite"
    done = path.with_suffix(".complete")
    build_s = None
    if not done.exists():
        path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        db = sqlite3.connect(str(path))
        db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
                   "tokenize='unicode61 remove_diacritics 2')")
        with KnowledgeBase(home) as kb:
            db.executemany("INSERT INTO docs VALUES (?, ?, ?)",
                           ((d.id, d.title, d.text) for d in kb.documents()))
        db.commit()
        db.close()
        build_s = time.perf_counter() - t0
        done.write_text(f"{build_s:.1f}\n")
    db = sqlite3.connect(str(path))

    def fts(q: Query) -> str:
        words = [w.replace('"', "") for w in q["words"]]
        if q["phrase"]:
            return '"' + " ".join(words) + '"'
        if q["q"].endswith("*"):
            return f'"{words[0]}" *'
        return (" OR " if " OU " in q["q"] else " ").join(f'"{w}"' for w in words)

    def run(q: Query) -> int:
        rows = db.execute("SELECT id, title FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10", (fts(q),))
        return len(rows.fetchall())
    times, hits = _timed(run, qs, rounds)
    db.close()
    return {"latency_ms": latency(times), "mean_hits_top10": round(hits, 2), "build_s": build_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 documents, 1 round (a few seconds)")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over all queries (after a warm-up)")
    parser.add_argument("--only-passerelles", action="store_true",
                        help="time the project alone (to compare two versions of it in one sequence of runs)")
    parser.add_argument("--cold-postings", action="store_true",
                        help="empty the decoded posting lists kept for frequent words before each query too")
    parser.add_argument("--steady", action="store_true",
                        help="as a running server: warm up on other queries (other seeds, the other "
                             "french-qa questions), then time each query once, new to the process")
    args = parser.parse_args()
    count, rounds = (300, 1) if args.quick else (args.docs, args.rounds)
    cold = args.cold_postings
    steady = args.steady and not cold
    if steady:
        rounds = 1
    home = home_for(count)
    qs = queries(args.queries)
    asked = questions(max(10, args.queries // 5))
    # The classes people really use, apart from the mix: the most common words and real
    # questions (issue 15), each beside bare Whoosh (default analyzer, BM25F, OrGroup) below.
    common = common_words(5 if args.quick else 20)
    initials = acronyms(6 if args.quick else 20)
    typed = real_questions(10 if args.quick else 60)
    tag = f"scaled-{count}"
    # --steady: what the process answered before is other people's queries, not these.
    others = (queries(args.queries, seed=61) + questions(max(10, args.queries // 5), seed=71)
              + real_questions(400)[len(typed):]) if steady else None
    ours = passerelles(home, qs, rounds, cold=cold, warm_up=others)
    ours_questions = passerelles(home, asked, rounds, cold=cold, warm_up=others)
    ours_common = passerelles(home, common, rounds, cold=cold, warm_up=others)
    ours_acronyms = passerelles(home, initials, rounds, cold=cold, warm_up=others)
    ours_typed = passerelles(home, typed, rounds, cold=cold, warm_up=others) if typed else None
    by_class = (ours["by_class_ms"] | ours_questions["by_class_ms"] | ours_common["by_class_ms"]
                | ours_acronyms["by_class_ms"] | (ours_typed["by_class_ms"] if ours_typed else {}))
    mode = "cold" if cold else "steady: warmed on other queries" if steady else "warm"
    print(f"{len(qs)} queries + {len(asked)} natural questions × {rounds} rounds, {count} documents ({mode})\n")
    print("Passerelles (facets + highlights, new query) by query class:")
    print(table(["query class", "queries", "p50 ms", "p95 ms", "p99 ms", "mean ms"],
                [[k, v["n"] // rounds, v["p50"], v["p95"], v["p99"], v["mean"]]
                 for k, v in [("all but questions", ours["latency_ms"])] + list(by_class.items())]))
    print()
    result: dict[str, Any] = {"documents": count, "queries": len(qs), "questions": len(asked), "rounds": rounds,
                              "cold_postings": cold, "steady": steady,
                              "common_words": [q["q"] for q in common], "real_questions": len(typed),
                              "query_sample": qs[:: max(1, len(qs) // 25)] + asked[:5] + typed[:5]}
    extra = {"passerelles, common words": ours_common, "passerelles, acronyms": ours_acronyms}
    if ours_typed:
        extra["passerelles, french-qa questions"] = ours_typed
    if args.only_passerelles:
        result["engines"] = {"passerelles (facets + highlights)": ours, "passerelles, questions": ours_questions,
                             **extra}
        path = write_result("search-passerelles" + ("-cold" if cold else "-steady" if steady else ""), result,
                            quick=args.quick)
        print(f"→ {path.relative_to(ROOT)}")
        return
    engines = {
        "passerelles (facets + highlights)": ours,
        "passerelles, repeated query (page cache)": passerelles(home, qs, rounds, page_cache=True),
        "bare Whoosh (default analyzer)": bare_whoosh(home, qs, rounds, tag),
        "tantivy": tantivy_ref(home, qs, rounds, tag),
        "SQLite FTS5": fts5_ref(home, qs, rounds, tag),
        "passerelles, natural questions": ours_questions,
        "bare Whoosh, natural questions (OR)": bare_whoosh(home, asked, rounds, tag, or_group=True),
        **extra,
        "bare Whoosh, common words": bare_whoosh(home, common, rounds, tag),
        "bare Whoosh, acronyms (OR)": bare_whoosh(home, initials, rounds, tag, or_group=True),
    }
    if typed:
        engines["bare Whoosh, french-qa questions (OR)"] = bare_whoosh(home, typed, rounds, tag, or_group=True)
    rows = [[name, r["latency_ms"]["p50"], r["latency_ms"]["p95"], r["latency_ms"]["p99"],
             r["latency_ms"]["mean"], r["mean_hits_top10"], r.get("build_s")]
            if "latency_ms" in r else [name, None, None, None, None, None, r.get("unavailable")]
            for name, r in engines.items()]
    print(table(["engine", "p50 ms", "p95 ms", "p99 ms", "mean ms", "hits in top 10", "build s"], rows))
    # Per query class, side by side: the ratio to bare Whoosh on the same documents, same run.
    bare = {**engines["bare Whoosh (default analyzer)"].get("by_class_ms", {}),
            **engines["bare Whoosh, natural questions (OR)"].get("by_class_ms", {}),
            **engines["bare Whoosh, common words"].get("by_class_ms", {}),
            **engines["bare Whoosh, acronyms (OR)"].get("by_class_ms", {}),
            **engines.get("bare Whoosh, french-qa questions (OR)", {}).get("by_class_ms", {})}
    print("\nBy query class, Passerelles (facets, counts, highlights) beside bare Whoosh:")
    print(table(["query class", "kb p50", "kb p95", "bare p50", "bare p95", "p50 ratio"],
                [[k, v["p50"], v["p95"], bare[k]["p50"] if k in bare else None, bare[k]["p95"] if k in bare else None,
                  round(v["p50"] / bare[k]["p50"], 1) if k in bare and bare[k]["p50"] else None]
                 for k, v in by_class.items()]))
    result["by_class_side_by_side"] = {k: {"passerelles": v, "bare_whoosh": bare.get(k)} for k, v in by_class.items()}
    result["engines"] = engines
    path = write_result("search", result, quick=args.quick)
    print(f"\n→ {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
