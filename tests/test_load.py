"""The load test runs (quick mode: demo corpus, 10 clients, 5 s) and the server makes no error
under concurrent searches, facet clicks, document pages, feeds and API calls, nor under a
stream of queries it never saw, with `kb serve`'s default number of processes. No timing is
asserted: speed is measured by `python -m bench.load`, not judged here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("mix", "attackers", "kinds"), [
    ("newsletter", 0, {"search", "facet", "document", "feed", "api"}),
    ("new-search", 0, {"search"}),
    # Clients sending only hostile queries (pasted paragraphs, prefixes, nested groups...) beside
    # the normal ones: every request, theirs included, is answered without an error.
    ("newsletter", 2, {"search", "facet", "document", "feed", "api", "hostile"}),
])
def test_quick_load_has_no_errors(mix: str, attackers: int, kinds: set[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.load", "--quick", "--mix", mix, "--attackers", str(attackers)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((ROOT / "bench" / "results" / "load-quick.json").read_text())
    assert data["mix"] == mix and data["attackers"] == attackers
    assert data["errors"] == 0, data["error_samples"]
    assert data["requests"] > 50
    assert set(data["by_kind"]) == kinds
    assert "| all" in result.stdout


def test_a_fixed_number_of_requests_is_asked_whatever_the_speed() -> None:
    # --requests: the same work on a fast or a slow machine (memory compared after the same
    # requests), each client asking its share once, then stopping.
    result = subprocess.run([sys.executable, "-m", "bench.load", "--quick", "--requests", "137"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((ROOT / "bench" / "results" / "load-quick.json").read_text())
    assert data["errors"] == 0, data["error_samples"]
    # 10 clients, 14 each: the share is rounded up.
    assert data["requests"] == 140
