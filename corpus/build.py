"""Build the Passerelles demo corpus from its sources.

Each ``src/<slug>.md`` holds one document as Markdown with a YAML front matter (format, title,
date, type, themes, territoire, author, expectations, optional sidecar). The build renders every
source into its target format under ``documents/<type folder>/<slug>.<ext>``, writes the sidecars,
copies the hand-made files of ``extra/``, checks the result by extracting the text of every
generated file again, then writes ``expected.toml`` (the golden relevance file). From the
repository root::

    python -m corpus.build

The output is deterministic: fixed metadata dates, fixed ZIP timestamps, no clock reads, so a rebuild
of unchanged sources gives byte-identical files.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from corpus.builders.checks import check_and_collect, resolve_checks
from corpus.builders.expected import write_expected
from corpus.builders.office import render_docx, render_odt
from corpus.builders.pdf import render_pdf
from corpus.builders.source import Source, read_source
from corpus.builders.text import render_md, render_txt, write_sidecar
from corpus.builders.web import render_html

ROOT = Path(__file__).resolve().parent

RENDERERS: dict[str, Callable[[Source, Path], None]] = {
    "pdf": render_pdf, "docx": render_docx, "odt": render_odt,
    "html": render_html, "md": render_md, "txt": render_txt,
}


def build(root: Path = ROOT) -> int:
    """Rebuild ``root/documents`` and ``root/expected.toml`` from ``root/src`` and ``root/extra``."""
    out = root / "documents"
    sources = [read_source(path) for path in sorted((root / "src").glob("*.md"))]
    if out.exists():
        shutil.rmtree(out)
    for src in sources:
        dest = root / src.relpath
        dest.parent.mkdir(parents=True, exist_ok=True)
        RENDERERS[src.fmt](src, dest)
        if src.meta.get("sidecar"):
            write_sidecar(src, dest)
    # Hand-made files that exercise duplicates and versions (an exact copy of a charter in a
    # shared folder, an older edition of another): copied as they are.
    shutil.copytree(root / "extra", out, dirs_exist_ok=True)
    texts, pages_info = check_and_collect(root, sources)
    checks = resolve_checks(root / "src" / "checks.yaml", sources, texts)
    write_expected(root / "expected.toml", sources, pages_info, checks)
    for path, info in pages_info.items():
        print(f"{path}: {info['pages']} pages, « {info['query']} » page {info['all']}")
    print(f"{len(sources)} documents générés dans {out.relative_to(root.parent)}/")
    return len(sources)


def main() -> int:
    """The command line: build the corpus beside this file."""
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
