"""Plain-text renderings: Markdown (optionally with front matter), text files, ``.meta.yaml`` sidecars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from corpus.builders.source import Source, plain


def render_md(src: Source, dest: Path) -> None:
    """Write ``src`` as Markdown, keeping a front matter when the source asks for one."""
    meta = src.meta
    text = src.body if src.body.startswith("# ") else f"# {meta['title']}\n\n{src.body}"
    if meta.get("keep_front_matter"):
        front: dict[str, Any] = {
            "title": meta["title"], "date": src.date, "type": meta["type"],
            "themes": list(meta.get("themes", [])), "territoire": meta["territoire"],
            "auteur": meta["author"]}
        if meta.get("licence"):
            front["licence"] = meta["licence"]
        dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=200)
        text = f"---\n{dumped}---\n\n{text}"
    dest.write_text(text, encoding="utf-8")


def render_txt(src: Source, dest: Path) -> None:
    """Write ``src`` as underlined plain text, in its declared encoding and line endings."""
    meta = src.meta
    lines = [meta["title"], "=" * len(meta["title"]), ""]
    for block in src.blocks:
        if block.kind == "h":
            lines += [block.text, "-" * len(block.text), ""]
        elif block.kind == "p":
            lines += [plain(block.text), ""]
        else:
            for number, item in enumerate(block.items, 1):
                lines.append(("- " if block.kind == "ul" else f"{number}. ") + plain(item))
            lines.append("")
    newline = "\r\n" if meta.get("newline") == "crlf" else "\n"
    text = newline.join(lines).rstrip() + newline
    dest.write_bytes(text.encode(meta.get("encoding", "utf-8"), errors="strict"))


def write_sidecar(src: Source, dest: Path) -> None:
    """Write the source's ``sidecar`` keys to ``dest``'s ``.meta.yaml`` file."""
    sidecar = dict(src.meta.get("sidecar", {}))
    text = yaml.safe_dump(sidecar, allow_unicode=True, sort_keys=False, width=200)
    dest.with_name(dest.name + ".meta.yaml").write_text(text, encoding="utf-8")
