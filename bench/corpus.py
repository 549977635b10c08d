"""Benchmark corpora: the shared French documents, and a scaled corpus of N documents built
deterministically from their real French prose (Markdown and text files).

Scaled documents recombine real paragraphs and shuffle real sentences; no random letters, so
the vocabulary, word lengths and stop-word rate are those of French administrative text.
Generated once into ``bench/data/scaled-N/`` (gitignored) and reused.

    python -m bench.corpus 100000
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

from bench.common import DATA, FRENCH_DOCS

TYPES = ["charte", "cadre de référence", "fiche d'expérience", "compte rendu", "étude/rapport",
         "communiqué/actualité", "lettre d'information"]
PER_DIR = 1000
_FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
_MARKUP = re.compile(r"<[^>]+>|\[([^\]]*)\]\([^)]*\)|[*_`#>|]")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ«\"])")


def _paragraphs(source: Path = FRENCH_DOCS) -> tuple[list[list[str]], list[str]]:
    """Real paragraphs (as sentence lists) and heading-like titles from the shared prose files."""
    paragraphs: list[list[str]] = []
    titles: list[str] = []
    files = sorted(p for p in source.rglob("*") if p.suffix in (".md", ".txt") and p.is_file())
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        text = _FRONT.sub("", text)
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for block in re.split(r"\n\s*\n", text):
            block = block.strip()
            if block.startswith("#"):
                title = _MARKUP.sub(lambda m: m.group(1) or "", block).strip()
                if 10 <= len(title) <= 100 and "\n" not in title:
                    titles.append(title)
                continue
            if block.startswith(("<", "|", "-", "*", "!", "{")):
                continue
            clean = " ".join(_MARKUP.sub(lambda m: m.group(1) or "", block).split())
            letters = sum(c.isalpha() for c in clean)
            if len(clean) < 80 or letters < 0.7 * len(clean):
                continue
            sentences = [s for s in _SENTENCE.split(clean) if s]
            paragraphs.append(sentences)
    if not paragraphs:
        raise SystemExit(f"aucun texte français trouvé sous {source}")
    return paragraphs, titles or ["Document"]


def _vary(rng: random.Random, para: list[str], pool: list[list[str]]) -> str:
    """A real paragraph, its sentences shuffled, sometimes joined with another paragraph's."""
    sentences = list(para)
    if rng.random() < 0.3:
        sentences += rng.choice(pool)[: rng.randint(1, 3)]
    rng.shuffle(sentences)
    return " ".join(sentences)


def build(count: int, target: Path | None = None, seed: int = 6) -> Path:
    """Generate (once) ``count`` documents; returns the directory. ~1 KB of text each."""
    target = target or DATA / f"scaled-{count}"
    done = target / ".complete"
    if done.exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    paragraphs, titles = _paragraphs()
    rng = random.Random(seed)
    for i in range(count):
        folder = target / f"{i // PER_DIR:04d}"
        if i % PER_DIR == 0:
            folder.mkdir(parents=True, exist_ok=True)
        size = rng.choice((1, 1, 1, 2, 2, 3))
        body = "\n\n".join(_vary(rng, rng.choice(paragraphs), paragraphs) for _ in range(size))
        title = rng.choice(titles)
        if i % 4 == 3:  # a quarter plain text, without metadata
            (folder / f"doc-{i:06d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
            continue
        year = 2005 + rng.randrange(20)
        front = (f"---\ntitle: \"{title.replace(chr(34), '')} ({i})\"\ndate: {year}-{rng.randint(1, 12):02d}-"
                 f"{rng.randint(1, 28):02d}\ntype: \"{rng.choice(TYPES)}\"\n---\n\n")
        (folder / f"doc-{i:06d}.md").write_text(f"{front}# {title}\n\n{body}\n", encoding="utf-8")
    done.write_text(f"{count}\n")
    return target


def subset(count: int, source: Path = FRENCH_DOCS, target: Path | None = None) -> Path:
    """A small copy of the shared corpus with every format (for --quick runs): every k-th file."""
    target = target or DATA / f"french-subset-{count}"
    done = target / ".complete"
    if done.exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
    by_ext: dict[str, list[Path]] = {}
    for p in files:
        by_ext.setdefault(p.suffix.lower(), []).append(p)
    chosen: list[Path] = []
    for group in by_ext.values():  # a share of each format, at least one
        step = max(1, len(files) // count)
        chosen += group[::step] or group[:1]
    for p in chosen[:count * 2]:
        dest = target / p.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dest)
    done.write_text(f"{len(chosen)}\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, nargs="?", default=100_000, help="documents to generate")
    args = parser.parse_args()
    path = build(args.count)
    print(path)


if __name__ == "__main__":
    main()
