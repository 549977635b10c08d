"""The load test runs (quick mode: demo corpus, 10 clients, 5 s) and the server makes no error
under concurrent searches, facet clicks, document pages, feeds and API calls. No timing is
asserted: speed is measured by `python -m bench.load`, not judged here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_load_has_no_errors() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.load", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((ROOT / "bench" / "results" / "load-quick.json").read_text())
    assert data["errors"] == 0, data["error_samples"]
    assert data["requests"] > 50
    assert set(data["by_kind"]) == {"search", "facet", "document", "feed", "api"}
    assert "| all" in result.stdout
