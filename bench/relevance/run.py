"""``python -m bench.relevance [--quick] [--json PATH] [--pool]``: nDCG@10, MRR and recall@20 of
the project's search against a plain Whoosh baseline, per query, per collection, per category
and overall; precision@3 of "similar documents". Prints tables and writes JSON."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.relevance import metrics, qa
from bench.relevance.judgments import CATEGORIES, Query, SimilarCase, load_all_queries, load_similar
from bench.relevance.qa import evaluate_qa, load_questions

SYSTEMS = ("baseline", "kb")
Ranker = Callable[[str, str, str], Sequence[str]]  # (system, collection, query) -> ranked paths


def evaluate(queries: Sequence[Query], rank: Ranker, collections: Sequence[str],
             systems: Sequence[str] = SYSTEMS, groups: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """Scores of every system on every (query, collection) pair that has a relevant document,
    then means per collection, per category and overall (over pairs). ``groups`` maps a
    collection's grouped documents to their group (``metrics.grouped``)."""
    rows: list[dict[str, Any]] = []
    for q in queries:
        for coll in collections:
            judged_files = q.judgments.get(coll, {})
            if not any(g >= metrics.RELEVANT for g in judged_files.values()):
                continue
            group_of = (groups or {}).get(coll, {})
            row: dict[str, Any] = {"id": q.id, "query": q.text, "category": q.category, "collection": coll}
            for system in systems:
                ranking, judged = metrics.grouped(list(rank(system, coll, q.text)), judged_files, group_of)
                ranking = ranking[:20]
                row[system] = {"ndcg@10": metrics.ndcg(ranking, judged, 10),
                               "mrr": metrics.reciprocal_rank(ranking, judged),
                               "recall@20": metrics.recall(ranking, judged, 20),
                               "top3": ranking[:3]}
            rows.append(row)
    slices: dict[str, list[dict[str, Any]]] = {"overall": rows}
    for coll in collections:
        slices[coll] = [r for r in rows if r["collection"] == coll]
    for cat in CATEGORIES:
        slices[f"category:{cat}"] = [r for r in rows if r["category"] == cat]
    summary = {
        name: {system: {m: round(metrics.mean([r[system][m] for r in group]), 4)
                        for m in ("ndcg@10", "mrr", "recall@20")} | {"n": len(group)}
               for system in systems}
        for name, group in slices.items() if group
    }
    return {"per_query": rows, "summary": summary}


def evaluate_similar(cases: Sequence[SimilarCase], similar: Callable[[str, str, str], Sequence[str]],
                     systems: Sequence[str] = SYSTEMS) -> dict[str, Any]:
    """precision@3 of each system's similar documents (the document itself never counts)."""
    rows = []
    for case in cases:
        row: dict[str, Any] = {"collection": case.collection, "doc": case.doc}
        for system in systems:
            got = [d for d in similar(system, case.collection, case.doc) if d != case.doc][:3]
            row[system] = {"p@3": metrics.precision(got, set(case.expected), 3), "top3": got}
        rows.append(row)
    summary = {s: round(metrics.mean([r[s]["p@3"] for r in rows]), 4) for s in systems}
    return {"per_case": rows, "summary": summary, "n": len(rows)}


RECORDED = Path(__file__).resolve().parent / "recorded.json"


def recorded_figures(result: dict[str, Any]) -> dict[str, Any]:
    """The figures the regression test holds the project to: nDCG@10 and MRR of the judged
    set (overall, per collection, per category) and french-qa's figures over all questions."""
    figures: dict[str, Any] = {}
    for name, s in result["summary"].items():
        for system in SYSTEMS:
            for m in ("ndcg@10", "mrr"):
                figures[f"judged/{name}/{m}/{system}"] = s[system][m]
    for shape, s in result["french_qa"]["summary"].items():
        for system in SYSTEMS:
            for m in ("rr@10", "r@10", "r@100", "zero"):
                figures[f"french-qa/{shape}/{m}/{system}"] = s[system][m]
    return figures


def _table(result: dict[str, Any], similar: dict[str, Any] | None) -> str:
    out = []
    w = max(len(k) for k in result["summary"]) + 2
    out.append(f"{'':{w}}{'n':>4}   {'nDCG@10':^15}   {'MRR':^15}   {'recall@20':^15}")
    out.append(f"{'':{w}}{'':>4}   {'base':>7} {'kb':>7}   {'base':>7} {'kb':>7}   {'base':>7} {'kb':>7}")
    for name, s in result["summary"].items():
        cells = "   ".join(f"{s['baseline'][m]:7.3f} {s['kb'][m]:7.3f}" for m in ("ndcg@10", "mrr", "recall@20"))
        out.append(f"{name:{w}}{s['kb']['n']:>4}   {cells}")
    if similar:
        out.append("")
        out.append(f"similar documents, precision@3 over {similar['n']} documents: "
                   f"baseline {similar['summary']['baseline']:.3f}, kb {similar['summary']['kb']:.3f}")
    return "\n".join(out)


def _per_query(result: dict[str, Any]) -> str:
    out = [f"{'id':5} {'coll':6} {'category':12} {'nDCG b':>6} {'nDCG kb':>7} {'RR b':>5} {'RR kb':>5}  query"]
    for r in result["per_query"]:
        b, k = r["baseline"], r["kb"]
        out.append(f"{r['id']:5} {r['collection']:6} {r['category']:12} {b['ndcg@10']:6.3f} {k['ndcg@10']:7.3f} "
                   f"{b['mrr']:5.2f} {k['mrr']:5.2f}  {r['query']}")
    return "\n".join(out)


def measure(names: Sequence[str], with_qa: bool, rebuild: bool = False, pool: bool = False,
            log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> dict[str, Any]:
    """Open the collections (building them if needed) and evaluate both systems: the judged
    queries on ``names``, french-qa when ``with_qa``, similar documents. ``pool`` prints the
    judging pool instead and returns an empty result."""
    from bench.relevance.corpora import FRENCH_QA, open_collection  # heavy imports after --help

    started = time.perf_counter()
    wanted = list(names) + (["qa"] if with_qa else [])
    opened = {name: open_collection(name, log=log, rebuild=rebuild) for name in wanted}
    build_s = time.perf_counter() - started
    result: dict[str, Any] = {}
    sim: dict[str, Any] | None = None
    try:
        def rank(system: str, coll: str, text: str) -> list[str]:
            c = opened[coll]
            return c.baseline.search(text) if system == "baseline" else c.search(text)

        queries = load_all_queries()
        if pool:
            _print_pool(queries, {n: opened[n] for n in names})
            return {}
        t0 = time.perf_counter()
        groups = {name: c.groups() for name, c in opened.items()}
        if names:
            result = evaluate(queries, rank, names, groups=groups)
        if with_qa:
            qa_collection = opened["qa"]
            result["french_qa"] = evaluate_qa(
                load_questions(FRENCH_QA / "questions.jsonl"),
                lambda system, text: (qa_collection.baseline.search(text, qa.DEPTH) if system == "baseline"
                                      else qa_collection.search(text, qa.DEPTH)), SYSTEMS, groups["qa"])
        search_s = time.perf_counter() - t0

        def similar(system: str, coll: str, doc: str) -> list[str]:
            c = opened[coll]
            if system == "baseline":
                return c.baseline.similar(doc, 4)
            entry = c.kb.entry_at(str(c.root / doc))
            return [c.relative(h.path) for h in c.kb.similar(entry.id, 4)] if entry else []

        if names:
            sim = evaluate_similar([s for s in load_similar() if s.collection in opened], similar)
    finally:
        for c in opened.values():
            c.close()
    result["similar"] = sim
    result["timing_s"] = {"open_or_build": round(build_s, 2), "searches": round(search_s, 2),
                          "total": round(time.perf_counter() - started, 2)}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relevance", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="demo corpus only (no shared documents)")
    parser.add_argument("--json", type=Path, default=None, help="where to write the JSON results")
    parser.add_argument("--pool", action="store_true",
                        help="list unjudged documents in the top 20 of each system (for judging)")
    parser.add_argument("--rebuild", action="store_true", help="extract the collections again (cache ignored)")
    parser.add_argument("--per-query", action="store_true", help="also print the per-query table")
    parser.add_argument("--record", action="store_true",
                        help=f"write the figures to {RECORDED.name}, below which tests/test_relevance_figures.py fails")
    parser.add_argument("--only", choices=("judged", "qa"), default=None,
                        help="only the judged queries (demo + shared) or only french-qa")
    args = parser.parse_args(argv)
    if args.record and (args.quick or args.only):
        parser.error("--record needs the full evaluation (no --quick, no --only)")
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    from bench.relevance.corpora import FRENCH_QA, RESULTS

    names = [] if args.only == "qa" else ["demo"] if args.quick else ["demo", "shared"]
    with_qa = not args.quick and args.only != "judged" and FRENCH_QA.exists()
    result = measure(names, with_qa, rebuild=args.rebuild, pool=args.pool)
    if args.pool:
        return 0
    if args.per_query and names:
        print(_per_query(result))
        print()
    if names:
        print(_table(result, result["similar"]))
        print(f"\n{len(result['per_query'])} (query, collection) pairs")
    if with_qa:
        if args.per_query:
            print(_per_question(result["french_qa"]))
        print()
        print(qa.table(result["french_qa"], SYSTEMS))
    timing = result["timing_s"]
    print(f"\n{timing['total']:.1f} s (of which opening/building {timing['open_or_build']:.1f} s)")
    if args.record:
        RECORDED.write_text(json.dumps(recorded_figures(result), ensure_ascii=False, indent=1) + "\n")
        print(f"recorded: {RECORDED}")
    out = args.json or RESULTS / "relevance.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"JSON: {out}")
    return 0


def _per_question(result: dict[str, Any]) -> str:
    out = [f"{'rank b':>6} {'rank kb':>7}  question -> page"]
    for r in result["per_question"]:
        b, k = r["baseline"]["rank"], r["kb"]["rank"]
        out.append(f"{b or '-':>6} {k or '-':>7}  {r['q']} -> {r['want']}")
    return "\n".join(out)


def _print_pool(queries: Sequence[Query], opened: dict[str, Any]) -> None:
    """Pooling for judges: the top 20 of the baseline, of kb and of a variant (Whoosh's own
    French analyzer is not indexed here, so the variant is the baseline's index with
    Whoosh's AND group), minus what is judged already, with a passage of each document."""
    import html
    import re

    from whoosh.qparser import MultifieldParser

    for q in queries:
        for name, c in opened.items():
            and_parser = MultifieldParser(["title", "body"], c.baseline.ix.schema)
            and_hits = [h["path"] for h in c.baseline.searcher.search(and_parser.parse(q.text), limit=20)]
            pool = dict.fromkeys(c.baseline.search(q.text, 20) + c.search(q.text, 20) + and_hits)
            for p in (p for p in pool if p not in q.judgments.get(name, {})):
                entry = c.kb.entry_at(str(c.root / p))
                if entry is None:
                    continue
                passages = c.kb.passages(entry.id, q.text, 1)
                text = re.sub(r"<[^>]+>", "", html.unescape(passages[0])) if passages else ""
                print(f"{q.id}\t{name}\t{q.text}\t{p}\t{entry.title}\t{text[:160]}")
