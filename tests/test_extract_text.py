"""Plain text and Markdown: encodings, clean-up, front matter, headings."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from indexer.extract.base import Limits
from indexer.extract.registry import extract
from indexer.extract.textutil import decode, normalize


@pytest.mark.parametrize(
    ("name", "title", "phrase"),
    [
        ("cp1252.txt", "Compte rendu du comité",
         "Élève, cœur, œuvre, à côté, déjà, où, ça, Noël, maïs, « guillemets », l’été."),
        ("latin1.txt", "Réunion du quartier prioritaire", "Élève, à côté, déjà, où, ça, Noël, maïs, été."),
        ("utf8-bom.txt", "Note d’information", "La cohésion sociale et l’œuvre commune."),
    ],
)
def test_encodings(fixtures: Path, name: str, title: str, phrase: str) -> None:
    doc = extract(fixtures / name)
    assert doc.format == "text"
    assert doc.title == title
    assert phrase in doc.text


def test_control_characters_and_bom_are_dropped(fixtures: Path) -> None:
    text = extract(fixtures / "utf8-bom.txt").text
    assert "\ufeff" not in text and "\x07" not in text and "\x00" not in text and "\r" not in text


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes("Synthèse\n\nLes habitants d’un quartier.".encode("utf-16"))
    doc = extract(path)
    assert doc.title == "Synthèse" and "d’un quartier" in doc.text


def test_normalize_composes_accents() -> None:
    assert normalize("e\u0301te\u0301\r\n\n\n\nfin  \n") == "été\n\nfin"


def test_long_runs_of_blanks(tmp_path: Path, time_limit: Callable[[int], AbstractContextManager[None]]) -> None:
    # A run of blanks not followed by a newline was rescanned from each of its blanks: a
    # 300 kB file went past the per-file timeout.
    blanks = " " * 200_000
    path = tmp_path / "espaces.txt"
    path.write_text(f"Rapport{blanks}\nsuite{blanks}fin{blanks}\n", encoding="utf-8")
    with time_limit(30):
        assert extract(path).text == f"Rapport\nsuite{blanks}fin"


def test_decode_prefers_utf8_then_cp1252() -> None:
    assert decode("déjà".encode()) == ("déjà", "utf-8")
    assert decode("œuvre déjà".encode("cp1252")) == ("œuvre déjà", "cp1252")


_MINUTES = "Le comité prévoit la rénovation énergétique des écoles du quartier.\n" * 20


@pytest.mark.parametrize(
    ("name", "data", "end", "flags"),
    [
        # cut mid-character: the last byte is the first of the two bytes of "é"
        ("tronque.txt", f"{_MINUTES}Prochaine séance en été".encode()[:-1], "Prochaine séance en ét",
         ["encoding:utf-8+cp1252"]),
        ("colle.md", f"# Réunion\n\n{_MINUTES}".encode() + b"Note coll\xe9e depuis un vieux fichier.\n",
         "Note collée depuis un vieux fichier.", []),  # one cp1252 byte pasted in
    ],
    ids=["cut-mid-character", "cp1252-byte-pasted"],
)
def test_utf8_with_a_stray_byte_keeps_its_accents(
    tmp_path: Path, name: str, data: bytes, end: str, flags: list[str]
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    doc = extract(path)
    assert "Le comité prévoit la rénovation énergétique des écoles" in doc.text
    assert end in doc.text
    assert doc.flags == flags


def test_markdown_front_matter(fixtures: Path) -> None:
    doc = extract(fixtures / "front-matter.md")
    assert doc.format == "markdown"
    assert doc.title == "Guide de l’évaluation"  # front matter beats the first "# "
    assert doc.author == "Centre de ressources"
    assert doc.date == "2024-03-15"
    assert doc.description == "Un guide pratique."
    assert doc.keywords == ["évaluation", "politique de la ville"]
    assert doc.meta["tags"] == ["évaluation", "politique de la ville"]
    assert doc.headings == ["Titre du corps", "Méthode"]


def test_markdown_syntax_is_stripped(fixtures: Path) -> None:
    text = extract(fixtures / "front-matter.md").text
    assert "Un paragraphe avec gras, italique et un lien." in text
    assert "print('code')" in text
    assert "cœur\t1" in text
    for syntax in ("**", "](", "```", "---", "# ", "title:"):
        assert syntax not in text


# Openers that are never closed, 200,000 characters of them: each one used to make a pattern
# scan the rest of the text (n² steps, minutes for a 100 kB file). The junk is kept as text,
# and the markup after it is still stripped.
@pytest.mark.parametrize(
    ("junk", "text"),
    [
        ("[" * 200_000, "[" * 200_000),
        ("![a](" * 40_000, "![a](" * 40_000),
        ("[a][" * 50_000, "[a][" * 50_000),
        ("[a [b] c" * 25_000, "[a [b] c" * 25_000),  # labels holding brackets, never closed
        ("[a [b" * 40_000, "[a [b" * 40_000),
        ("<!--" * 50_000, "<!--" * 50_000),
        ("{%" * 100_000, "{%" * 100_000),
        ("<a" * 100_000, "<a" * 100_000),
        ("*a " * 66_667, "*a " * 66_666 + "*a"),
        ("_a " * 66_667, "_a " * 66_666 + "_a"),
        ("```x\n" * 39_999 + "```x", "```x\n" * 39_999 + "```x"),
        ("## " + "# #" * 66_666, "# #" * 66_666),  # a heading: its "## " goes
    ],
    ids=["crochets", "images", "references", "etiquettes", "etiquettes-ouvertes", "commentaires", "liquid",
         "balises", "etoiles", "soulignes",
         "blocs-de-code", "titre-diese"],
)
def test_markdown_unclosed_markup_is_read_in_one_pass(
    tmp_path: Path, time_limit: Callable[[int], AbstractContextManager[None]], junk: str, text: str
) -> None:
    path = tmp_path / "notes.md"
    path.write_text(f"# Notes\n{junk}\nUn [lien](https://example.org/) et du *texte*.\n", encoding="utf-8")
    with time_limit(60):  # a guard against the hang, not a measure: it takes well under a second
        doc = extract(path)
    assert doc.text == f"Notes\n{text}\nUn lien et du texte."
    assert doc.headings[0] == "Notes"


def test_a_link_label_holding_brackets_keeps_its_label_not_its_address(tmp_path: Path) -> None:
    path = tmp_path / "liens.md"
    path.write_text("Voir [la charte [PDF]](https://exemple.org/charte-quartiers.pdf) et "
                    "[le bilan [2021]][bilan] ![plan [2020]](plan.png) ![](vide.png).\n\n"
                    "[bilan]: https://exemple.org/bilan\n", encoding="utf-8")
    text = extract(path).text
    assert text == "Voir la charte [PDF] et le bilan [2021] plan [2020] ."
    assert "exemple.org" not in text


def test_invalid_front_matter_is_flagged_not_fatal(fixtures: Path) -> None:
    doc = extract(fixtures / "bad-front-matter.md")
    assert doc.flags == ["front-matter-invalid"]
    assert doc.title == "Titre de secours"
    assert doc.meta == {}
    assert doc.text.endswith("Texte du document.")


def test_an_impossible_date_in_front_matter_stays_text(tmp_path: Path) -> None:
    # PyYAML raised ValueError building these (not a YAMLError): the whole file failed with
    # « fichier Markdown illisible : day is out of range for month ».
    path = tmp_path / "compte-rendu.md"
    path.write_text(f"---\ntitle: Compte rendu du comité\ndate: 2021-02-30\nnumero: {'9' * 5000}\n"
                    "publie: 2021-03-01 10:30:00\n---\n# Compte rendu\nLa rénovation du quartier.\n", encoding="utf-8")
    doc = extract(path)
    assert doc.title == "Compte rendu du comité" and doc.flags == []
    assert doc.date == "2021-02-30" and doc.meta["numero"] == "9" * 5000
    assert doc.meta["publie"] == "2021-03-01T10:30:00"  # a real date is still built (then ISO)
    assert doc.text.endswith("La rénovation du quartier.")
    # A real syntax error is still flagged (the French report of invalid front matter).
    path.write_text("---\ntitle: [non fermé\ndate: 2021-02-30\n---\nTexte.\n", encoding="utf-8")
    assert extract(path).flags == ["front-matter-invalid"]


def test_text_limit(fixtures: Path) -> None:
    doc = extract(fixtures / "cp1252.txt", Limits(max_text_chars=10))
    assert doc.text == "Compte ren" and "truncated" in doc.flags


def test_shared_markdown_titles(shared: Path, read_manifest) -> None:  # type: ignore[no-untyped-def]
    root = shared / "corpora" / "french-docs"
    rows = [r for r in read_manifest(root) if r["file"].startswith("betagouv/pages/")]
    assert rows
    for row in rows:
        assert extract(root / row["file"]).title == row["description"].strip(), row["file"]


def test_shared_legacy_text_files(shared: Path) -> None:
    files = sorted((shared / "corpora" / "french-docs").rglob("*.txt"))
    assert files
    for path in files:
        doc = extract(path)
        assert "\ufffd" not in doc.text and doc.text
    assert any("Hérault" in extract(p).text for p in files)
