"""A full disk ends `kb index` with a clear error; what was committed stays searchable, and the
next run, once there is room, finishes the job."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

LIMIT = 4 * 1024 * 1024


@pytest.fixture
def tiny_home(tmp_path: Path) -> Iterator[tuple[Path, bool]]:
    """A home on a 4 MB filesystem when we may mount one (root), else a normal folder where the
    kb process gets a 4 MB file-size limit. Yields (home, mounted)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = False
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount"):
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={LIMIT}", "tmpfs", str(mount_point)],
                                 capture_output=True).returncode == 0
    try:
        yield mount_point / "home", mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def kb(home: Path, mounted: bool, *args: str) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if not mounted:
            resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], capture_output=True,
                          text=True, timeout=300, preexec_fn=limit)


def test_full_disk_stops_cleanly_and_next_run_converges(shared: Path, tmp_path: Path,
                                                         tiny_home: tuple[Path, bool]) -> None:
    home, mounted = tiny_home
    seeds = sorted((shared / "corpora" / "seeds").glob("*.txt"))
    docs = tmp_path / "docs"
    docs.mkdir()
    for seed in seeds[:3]:
        shutil.copyfile(seed, docs / seed.name)
    first = kb(home, mounted, "index", str(docs), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["indexed"] == 3

    # Real French text, repeated past what the disk (or the file-size limit) can hold.
    text = "\n\n".join(s.read_text(encoding="utf-8") for s in seeds)
    big = docs / "recueil-complet.txt"
    big.write_text(text * (2 * LIMIT // len(text.encode("utf-8")) + 1), encoding="utf-8")
    for seed in seeds[3:]:
        shutil.copyfile(seed, docs / seed.name)
    full = kb(home, mounted, "index", str(docs))
    assert full.returncode == 1
    assert "Traceback" not in full.stderr
    assert "disque plein" in full.stderr or "écriture impossible" in full.stderr

    # The last committed state still answers.
    found = json.loads(kb(home, mounted, "search", "centres de ressources", "--json").stdout)
    assert found["total"] >= 1

    big.unlink()
    again = kb(home, mounted, "index", str(docs), "--json")
    assert again.returncode == 0, again.stderr
    assert kb(home, mounted, "check").returncode == 0
    stats = json.loads(kb(home, mounted, "stats", "--json").stdout)
    assert stats["documents"] == stats["index_documents"] == len(seeds)


def fill(folder: Path, leave_kb: int) -> Path:
    """Take all the free space of ``folder``'s file system but ``leave_kb`` KB."""
    st = os.statvfs(folder)
    filler = folder / "remplissage"
    with filler.open("wb") as f:
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave_kb * 1024))
    return filler


@pytest.mark.parametrize("leave_kb", [0, 16])
def test_readers_answer_and_writers_say_disk_full_on_a_full_disk(shared: Path, tmp_path: Path,
                                                                 tiny_home: tuple[Path, bool], leave_kb: int) -> None:
    home, mounted = tiny_home
    if not mounted:
        pytest.skip("needs a small file system to fill (mount -t tmpfs, as root): a file-size limit "
                    "does not make the disk full for SQLite")
    seeds = sorted((shared / "corpora" / "seeds").glob("*.txt"))
    docs = tmp_path / "docs"
    docs.mkdir()
    for seed in seeds[:3]:
        shutil.copyfile(seed, docs / seed.name)
    assert kb(home, mounted, "index", str(docs)).returncode == 0
    shutil.copyfile(seeds[3], docs / seeds[3].name)  # work for the next run
    filler = fill(home.parent, leave_kb)

    for command in (["search", "centres de ressources", "--json"], ["check"], ["stats", "--json"]):
        done = kb(home, mounted, *command)
        assert done.returncode == 0, (command, done.stderr)
        assert "Traceback" not in done.stderr
    assert json.loads(kb(home, mounted, "search", "centres de ressources", "--json").stdout)["total"] >= 1
    assert json.loads(kb(home, mounted, "stats", "--json").stdout)["documents"] == 3
    from webui import create_app

    app = create_app({"KB_HOME": str(home), "TESTING": True})
    try:  # the server answers too
        assert app.test_client().get("/api/search?q=centres+de+ressources").get_json()["total"] >= 1
    finally:
        app.extensions["kb"].close()

    for command in (["index", str(docs)], ["rebuild"], ["rm", str(docs / seeds[0].name)]):
        done = kb(home, mounted, *command)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "disque plein" in done.stderr, (command, done.stderr)
        assert "Traceback" not in done.stderr

    filler.unlink()
    assert kb(home, mounted, "check").returncode == 0  # nothing lost
    again = kb(home, mounted, "index", str(docs), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["indexed"] == 1
    assert kb(home, mounted, "check").returncode == 0
    stats = json.loads(kb(home, mounted, "stats", "--json").stdout)
    assert stats["documents"] == stats["index_documents"] == 4
