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


@pytest.mark.parametrize(("mix", "kinds"), [("newsletter", {"search", "facet", "document", "feed", "api"}),
                                            ("new-search", {"search"})])
def test_quick_load_has_no_errors(mix: str, kinds: set[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "bench.load", "--quick", "--mix", mix], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((ROOT / "bench" / "results" / "load-quick.json").read_text())
    assert data["mix"] == mix
    assert data["errors"] == 0, data["error_samples"]
    assert data["requests"] > 50
    assert set(data["by_kind"]) == kinds
    assert "| all" in result.stdout
