"""Relevance figures: the full evaluation of bench/relevance (judged queries on the demo corpus
and the shared documents, french-qa's real questions) runs in the suite, so that a change that
ranks worse cannot land unseen. The figures recorded in bench/relevance/recorded.json
(``python -m bench.relevance --record``) are the floor, minus a small tolerance."""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any

import pytest
from conftest import SHARED, require_shared

from bench.relevance.run import RECORDED, SYSTEMS, measure, recorded_figures

# One document moving a rank or two on one query moves a mean by less than this.
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    require_shared(SHARED / "corpora" / "french-docs")
    require_shared(SHARED / "corpora" / "french-qa")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            result = measure(["demo", "shared"], with_qa=True, log=lambda m: None)
        finally:
            logging.disable(logging.NOTSET)
    return recorded_figures(result)


def test_no_figure_falls_below_the_recorded_one(figures: dict[str, Any]) -> None:
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    worse = []
    for key, floor in recorded.items():
        if not key.endswith("/kb"):
            continue
        now = figures[key]
        # The share of questions without any result must not rise; every other figure not fall.
        if ("/zero/" in key and now > floor + TOLERANCE) or ("/zero/" not in key and now < floor - TOLERANCE):
            worse.append(f"{key}: {now:.3f} (recorded {floor:.3f})")
    assert not worse, "ranking worse than recorded:\n" + "\n".join(worse)


def test_kb_beats_the_fair_baseline_overall_and_in_every_category(figures: dict[str, Any]) -> None:
    groups = {key.split("/")[1] for key in figures if key.startswith("judged/")}
    assert {"overall", "category:question", "category:keyword"} <= groups
    for group in groups:
        kb, base = figures[f"judged/{group}/ndcg@10/kb"], figures[f"judged/{group}/ndcg@10/baseline"]
        assert kb > base, f"{group}: nDCG@10 {kb:.3f} not above the baseline's {base:.3f}"


def test_french_questions_find_their_answering_page(figures: dict[str, Any]) -> None:
    # The targets of the relevance issue, on 265 real questions (plain Whoosh: ~0.76 / 0.96).
    assert figures["french-qa/all/rr@10/kb"] >= 0.88
    assert figures["french-qa/all/r@10/kb"] >= 0.98
    assert figures["french-qa/all/zero/kb"] == 0.0
    assert SYSTEMS == ("baseline", "kb")
