"""``kb serve --demo``: the demo corpus is found as package data of the installed ``corpus``
package (else in the checkout), indexed by ``kb index`` into an empty base, then served."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import webui.commands
from bench.load import free_port
from tests.web.conftest import ROOT
from webui.commands import CHECKOUT_CORPUS, demo_corpus


def test_the_demo_corpus_is_the_corpus_package_s_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Without a checkout to fall back on, so that only the package data can answer.
    monkeypatch.setattr(webui.commands, "CHECKOUT_CORPUS", tmp_path / "absent")
    found = demo_corpus()
    assert found == (ROOT / "corpus" / "documents").resolve()
    assert (found / ".collection").is_file() and list(found.rglob("*.pdf"))


def test_without_the_corpus_package_the_checkout_s_corpus_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str) -> object:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(webui.commands, "files", absent)
    assert demo_corpus() == CHECKOUT_CORPUS
    assert CHECKOUT_CORPUS.is_dir()


def test_serve_demo_indexes_the_corpus_into_an_empty_relative_home(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("KB_HOME", "KB_BASE_URL", "KB_SYNONYMS")}
    env["PYTHONPATH"] = str(ROOT)
    port = free_port()
    args = ["serve", "--demo", "--processes", "1", "--port", str(port)]
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", *args],
                            cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=habitants", timeout=20) as response:
                    total = json.load(response)["total"]
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.communicate(timeout=30)) from None
                time.sleep(0.5)
        assert total > 0
        assert (tmp_path / "kb-data" / "catalog.sqlite").is_file()  # the default home, relative to here
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert f"Base vide : indexation du corpus de démonstration ({demo_corpus()})…" in out
    assert " 0 en échec." in out
    assert "Traceback" not in err
