"""The core's face: ``kb`` lists what a program may use, and the base's catalog and store
stay its own business (the shells ask the base by name)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kb
from kb.knowledgebase import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves() -> None:
    for name in kb.__all__:
        assert getattr(kb, name) is not None
    assert {"KnowledgeBase", "SearchRequest", "SearchPage", "Hit", "Document", "FacetValue", "KBError",
            "QueryError", "NotFound", "base_exists"} <= set(kb.__all__)


def test_importing_the_face_loads_nothing_heavy() -> None:
    done = subprocess.run([sys.executable, "-c", "import kb, sys; print('kb.knowledgebase' in sys.modules)"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "False"


def test_catalog_and_store_are_private(tmp_path: Path) -> None:
    with KnowledgeBase(tmp_path / "home") as base:
        assert not hasattr(base, "catalog") and not hasattr(base, "store")
    reach = re.compile(r"\.(_?catalog|_?store)\.")
    for package in ("indexer", "webui"):
        for source in (ROOT / package).rglob("*.py"):
            assert not reach.search(source.read_text(encoding="utf-8")), source
