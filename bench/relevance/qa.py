"""Known-item evaluation on ``../shared/corpora/french-qa``: real citizen questions, each with
the one page that answers it. MRR@10, recall@10, recall@100 and the share of questions with no
result, overall and per question shape, for the baseline and the project."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.relevance import metrics

SHAPES = ("all", "question mark", "interrogative", "inverted verb", "parentheses", "long (>= 8 words)")
_INTERROGATIVE = re.compile(
    r"\b(comment|quel|quelle|quels|quelles|pourquoi|combien|quand|où|qu['’]est|que|quoi|qui|lequel|laquelle"
    r"|lesquels|lesquelles)\b", re.IGNORECASE)
_INVERTED = re.compile(r"\w-(?:t-)?(?:il|elle|on|ils|elles|je|tu|nous|vous)\b", re.IGNORECASE)
DEPTH = 100


@dataclass(frozen=True)
class Question:
    text: str
    want: str  # path of the answering page, relative to french-qa/docs


def load_questions(path: Path) -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            out.append(Question(data["q"], data["want"]))
    return out


def shapes(text: str) -> list[str]:
    """The shapes of a question that the report breaks figures down by."""
    found = ["all"]
    if "?" in text:
        found.append("question mark")
    if _INTERROGATIVE.search(text):
        found.append("interrogative")
    if _INVERTED.search(text):
        found.append("inverted verb")
    if "(" in text:
        found.append("parentheses")
    if len(re.findall(r"\w+", text)) >= 8:
        found.append("long (>= 8 words)")
    return found


def evaluate_qa(questions: Sequence[Question], rank: Callable[[str, str], Sequence[str]],
                systems: Sequence[str], group_of: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``rank(system, question)`` gives the ranked paths (the first ``DEPTH`` are read); the
    answering page counts as found when its group is (``metrics.grouped``)."""
    rows = []
    for q in questions:
        row: dict[str, Any] = {"q": q.text, "want": q.want, "shapes": shapes(q.text)}
        want = (group_of or {}).get(q.want, q.want)
        for system in systems:
            ranking, judged = metrics.grouped(list(rank(system, q.text)), {q.want: 3}, group_of or {})
            ranking = ranking[:DEPTH]
            rr = metrics.reciprocal_rank(ranking[:10], judged)
            row[system] = {"rr@10": rr, "r@10": metrics.recall(ranking, judged, 10),
                           "r@100": metrics.recall(ranking, judged, DEPTH), "zero": float(not ranking),
                           "rank": ranking.index(want) + 1 if want in ranking else None}
        rows.append(row)
    summary = {}
    for shape in SHAPES:
        group = [r for r in rows if shape in r["shapes"]]
        if group:
            summary[shape] = {s: {m: round(metrics.mean([r[s][m] for r in group]), 4)
                                  for m in ("rr@10", "r@10", "r@100", "zero")} | {"n": len(group)}
                              for s in systems}
    return {"per_question": rows, "summary": summary}


def table(result: dict[str, Any], systems: Sequence[str]) -> str:
    names = {"rr@10": "MRR@10", "r@10": "recall@10", "r@100": "recall@100", "zero": "no result"}
    w = max(len(k) for k in result["summary"]) + 2
    cell = 7 * len(systems) + len(systems) - 1
    out = [f"{'french-qa':{w}}{'n':>4}   " + "   ".join(f"{n:^{cell}}" for n in names.values()),
           f"{'':{w}}{'':>4}   " + "   ".join(" ".join(f"{s[:7]:>7}" for s in systems) for _ in names)]
    for shape, s in result["summary"].items():
        cells = "   ".join(" ".join(f"{s[sys][m]:7.3f}" for sys in systems) for m in names)
        out.append(f"{shape:{w}}{s[systems[0]]['n']:>4}   {cells}")
    return "\n".join(out)
