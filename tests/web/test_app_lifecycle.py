"""The base an app opens lives as long as the app: closed when the server stops, when the app is
disposed of (tests build many apps) or when the process ends, and closed once."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

import webui.context
from kb.knowledgebase import KnowledgeBase
from tests.web.conftest import ROOT, Base
from webui import create_app
from webui.context import close_base
from webui.server import _serve_app, listening_socket


@pytest.fixture()
def closed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The homes of the bases closed while the test runs, once per close."""
    homes: list[Path] = []

    class Watched(KnowledgeBase):
        def close(self) -> None:
            homes.append(self.home)
            super().close()

    monkeypatch.setattr(webui.context, "KnowledgeBase", Watched)
    return homes


def test_apps_do_not_leak_open_bases(base: Base, closed: list[Path]) -> None:
    for _ in range(20):
        app = create_app({"KB_HOME": str(base.home), "TESTING": True})
        assert app.test_client().get("/recherche?q=quartier").status_code == 200  # its searcher is open
    del app
    gc.collect()  # a Flask app holds reference cycles: it goes with a collection
    assert closed == [base.home] * 20


def test_close_base_closes_at_once_and_once(base: Base, closed: list[Path]) -> None:
    app = create_app({"KB_HOME": str(base.home), "TESTING": True})
    close_base(app)
    assert closed == [base.home]
    close_base(app)
    del app
    gc.collect()
    assert closed == [base.home]


def test_the_server_closes_its_base_when_it_stops(base: Base, closed: list[Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from waitress.server import BaseWSGIServer

    def interrupted(self: BaseWSGIServer) -> None:
        self.close()
        raise KeyboardInterrupt  # Ctrl-C while serving

    monkeypatch.setattr(BaseWSGIServer, "run", interrupted)
    app = create_app({"KB_HOME": str(base.home), "TESTING": True})
    listener = listening_socket("127.0.0.1", 0)
    try:
        with pytest.raises(KeyboardInterrupt):
            _serve_app(app, listener, threads=1)
    finally:
        listener.close()
    assert closed == [base.home]


def test_the_base_of_a_live_app_is_closed_at_exit(base: Base) -> None:
    script = f"""
from kb.knowledgebase import KnowledgeBase
close = KnowledgeBase.close
def watched(self):
    print("fermée", self.home, flush=True)
    close(self)
KnowledgeBase.close = watched
from webui import create_app
app = create_app({{"KB_HOME": {str(base.home)!r}, "TESTING": True}})
assert app.test_client().get("/").status_code == 200
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"fermée {base.home}"]
