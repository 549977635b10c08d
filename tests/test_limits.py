"""Extraction limits are configurable from the command line and say clearly what stopped a file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "documents"


def kb(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=300)


def test_page_size_and_length_limits(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    study = CORPUS / "etudes-rapports" / "etude-evaluation-contrat-ville-saint-aurele.pdf"
    shutil.copyfile(study, docs / study.name)
    big = docs / "recueil.txt"
    paragraph = (CORPUS / "fiches-experience" / "fiche-participation-habitants-tilleuls.md").read_text(encoding="utf-8")
    big.write_text(paragraph * (1_500_000 // len(paragraph.encode("utf-8")) + 1), encoding="utf-8")
    long_text = docs / "long.md"
    long_text.write_text(paragraph * 3, encoding="utf-8")

    result = kb(tmp_path / "home", "index", str(docs), "--json", "--max-pages", "3", "--max-file-mb", "1",
                "--max-chars", "2000")
    assert result.returncode == 1, result.stderr
    failed = {Path(f["path"]).name: f["reason"] for f in json.loads(result.stdout)["failed"]}
    assert set(failed) == {study.name, "recueil.txt"}
    assert "pages" in failed[study.name]
    assert "volumineux" in failed["recueil.txt"]
    shown = json.loads(kb(tmp_path / "home", "show", str(long_text), "--json").stdout)
    assert len(shown["text"]) <= 2000 < len(paragraph * 3)

    # Unchanged files that failed are reported again, not re-read...
    again = json.loads(kb(tmp_path / "home", "index", str(docs), "--json").stdout)
    assert {Path(f["path"]).name for f in again["failed"]} == set(failed)
    # ...unless asked: within the default limits they are indexed.
    retried = json.loads(kb(tmp_path / "home", "index", str(docs), "--json", "--retry-failed").stdout)
    assert retried["failed"] == [] and retried["indexed"] == 2


def store_bytes(home: Path) -> int:
    """Bytes really used by the store (blocks, not apparent sizes), temporary files included."""
    return sum(p.stat().st_blocks * 512 for p in (home / "store").rglob("*") if p.is_file())


def sparse(path: Path, head: bytes, size: int) -> None:
    """A file of ``size`` bytes that costs only its first block on disk."""
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size)


def test_the_worker_refuses_before_copying_into_the_store(tmp_path: Path) -> None:
    """What a worker does with a file over the limit, or empty: nothing enters the store, not
    even for a moment (on a small disk, a copy of a huge file would fill it and stop the run)."""
    from indexer.extract.base import Limits
    from indexer.task import Task, run
    from kb.model import FileIdentity
    from kb.store import file_sha256

    store = tmp_path / "store"
    big = tmp_path / "enorme.pdf"
    sparse(big, b"%PDF-1.7\n", 30_000_000)
    empty = tmp_path / "vide.txt"
    empty.write_bytes(b"")
    for path, reason in ((big, "fichier trop volumineux : 30 Mo (limite 10 Mo)"), (empty, "fichier vide")):
        st = path.stat()
        file = FileIdentity(str(path), st.st_size, st.st_mtime, file_sha256(path), "text")
        outcome = run(Task(file, "0123456789ab", str(store), Limits(max_file_bytes=10_000_000)))
        assert outcome.error == reason and outcome.document is None
    assert not [p for p in store.rglob("*") if p.is_file()]


def test_a_file_over_the_size_limit_costs_nothing(tmp_path: Path, monkeypatch: object) -> None:
    from indexer import plan as plan_module
    from indexer.extract.base import Limits
    from indexer.ingest import Options, index_paths
    from kb.knowledgebase import KnowledgeBase

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copyfile(Path(__file__).parent / "fixtures" / "rapport.pdf", docs / "rapport.pdf")
    (docs / "vide.txt").write_bytes(b"")
    sparse(docs / "enorme.pdf", b"%PDF-1.7\n", 300_000_000)  # sniffed as a PDF, 300 MB apparent
    hashed: list[str] = []
    real_hash = plan_module.file_sha256
    monkeypatch.setattr(plan_module, "file_sha256", lambda p: hashed.append(p.name) or real_hash(p))  # type: ignore[attr-defined]
    home = tmp_path / "home"
    limits = Limits(max_file_bytes=10_000_000)
    with KnowledgeBase(home) as kb:
        report = index_paths(kb, [docs], Options(workers=1, limits=limits)).to_dict()
        assert report["indexed"] == 1
        failed = {Path(f["path"]).name: f["reason"] for f in report["failed"]}
        assert failed == {"enorme.pdf": "fichier trop volumineux : 300 Mo (limite 10 Mo)", "vide.txt": "fichier vide"}
        assert "enorme.pdf" not in hashed  # refused before it is read at all
        assert len(kb._store.shas()) == 1
        before = store_bytes(home)
        assert before < 1_000_000

        # An indexed file that grows past the limit is refused before it is copied, too.
        with (docs / "rapport.pdf").open("r+b") as fh:
            fh.truncate(200_000_000)
        report = index_paths(kb, [docs], Options(workers=1, limits=limits)).to_dict()
        failed = {Path(f["path"]).name: f["reason"] for f in report["failed"]}
        assert failed["rapport.pdf"].startswith("fichier trop volumineux : 200 Mo")
        assert store_bytes(home) <= before
        assert not list((home / "store").rglob(".tmp-*"))
        assert kb.check().ok


def test_limits_are_told_in_the_megabytes_they_count() -> None:
    from indexer.extract.base import Limits

    assert Limits().size_refusal(300_000_000) == "fichier trop volumineux : 300 Mo (limite 200 Mo)"
    assert Limits().size_refusal(200_000_000) is None


def test_a_zip_listing_many_members_is_judged_by_its_name(tmp_path: Path, monkeypatch: object) -> None:
    """Sniffing runs in the main process, outside the workers' limits, and zipfile reads a whole
    central directory at opening (2.5 million members took 1.3 GB): past a bound, the name
    decides, and the worker, within its limits, reads the package."""
    import zipfile

    from indexer.extract import registry

    many = tmp_path / "archive.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for n in range(25_000):
            zf.writestr(f"m/{n}", b"")
    docx = tmp_path / "rapport.docx"
    shutil.copyfile(many, docx)
    few = tmp_path / "petit.zip"
    with zipfile.ZipFile(few, "w") as zf:
        zf.writestr("word/document.xml", b"<w:document/>")
    opened: list[str] = []
    real = zipfile.ZipFile

    def spy(file: object, *args: object, **kwargs: object) -> zipfile.ZipFile:
        opened.append(Path(str(file)).name)
        return real(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(registry.zipfile, "ZipFile", spy)  # type: ignore[attr-defined]
    assert registry.sniff(many) is None
    assert registry.sniff(docx) == "docx"
    assert registry.sniff(few) == "docx"
    assert opened == ["petit.zip"]
