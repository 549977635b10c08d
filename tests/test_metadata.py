"""Metadata inference on real French sentences, titles and sidecar files."""

from __future__ import annotations

import pickle
from importlib import resources
from pathlib import Path

import pytest
import yaml

from indexer.metadata import (
    DOC_TYPES,
    load_thesaurus,
    normalise_type,
)
from indexer.metadata.dates import date_from_filename, find_date, parse_date
from indexer.metadata.doctype import detect_type
from indexer.metadata.entities import OrgMatcher, find_licence, find_territory
from indexer.metadata.language import choose_language, detect_language
from indexer.metadata.themes import infer_themes
from indexer.metadata.titles import good_title, humanise_filename
from kb.datafiles import read_yaml
from kb.errors import ConfigError
from kb.synonyms import load_synonyms

CADRE = (
    "Le 16 mars dernier à Paris une journée d'échanges était organisée par le CGET et les Centres de "
    "ressources Politique de la Ville pour officialiser le nouveau cadre de référence national en "
    "présence d'Hélène Geoffroy, secrétaire d'État chargée de la Ville. Sept associations nationales "
    "d'élus étaient présentes, dont l'AMF, ainsi que l'Agence nationale de la rénovation urbaine."
)


@pytest.fixture(scope="module")
def thesaurus():
    return load_thesaurus()


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("D:20170316101500+01'00'", "2017-03-16"),
        ("D:2017", "2017"),
        ("2017-03-16", "2017-03-16"),
        ("2017-03-16T10:15:00+01:00", "2017-03-16"),
        ("2019-06", "2019-06"),
        ("2019", "2019"),
        ("16 mars 2017", "2017-03-16"),
        ("1er mars 2017", "2017-03-01"),
        ("jeudi 12 Décembre 2019", "2019-12-12"),
        ("21/03/2017", "2017-03-21"),
        ("21.03.2017", "2017-03-21"),
        ("mars 2019", "2019-03"),
        ("Mars 2019", "2019-03"),
        ("févr. 2020", "2020-02"),
        ("March 16, 2017", "2017-03-16"),
    ],
)
def test_parse_date_forms(raw: str, iso: str) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize("raw", ["", "31/02/2017", "13/25/2020", "1850", "le 16 mars dernier", "D:1899"])
def test_parse_date_rejects_impossible_dates(raw: str) -> None:
    assert parse_date(raw) is None


def test_find_date_prefers_publication_cue() -> None:
    text = (
        "Rapport d'activité\nCentre de ressources politique de la ville\n"
        "Le conseil d'administration du 12/01/2015 a validé le programme.\n"
        "Document publié le 3 avril 2017 par le CRPV."
    )
    assert find_date(text) == "2017-04-03"


def test_find_date_reads_a_meeting_header() -> None:
    text = "Compte rendu de la réunion du 8 avril 2022\nPrésents : la DDT, le Cerema, l'Ineris."
    assert find_date(text) == "2022-04-08"


def test_find_date_ignores_dates_far_into_the_text() -> None:
    assert find_date("Introduction. " + "Texte sans date. " * 400 + "Publié le 3 avril 2017.") is None


def test_date_from_filename() -> None:
    assert date_from_filename("SPP-22-0447_CR_Réunion_Plénière-08-04-2022.pdf") == "2022-04-08"
    assert date_from_filename("2022-01-26-Guide-Atelier-Documents-de-reference.docx") == "2022-01-26"
    assert date_from_filename("rapport_final.pdf") is None


# --- document types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "label"),
    [
        ("Charte partenariale des centres de ressources", "charte"),
        ("Fiche expérience : une régie de quartier à Cenon", "fiche d'expérience"),
        ("Retour d'expérience sur les conseils citoyens", "fiche d'expérience"),
        ("Compte-rendu de la réunion du 12 mars", "compte rendu"),
        ("Relevé de décisions du comité de pilotage", "compte rendu"),
        ("Rapport d'activité 2023", "étude/rapport"),
        ("Étude sur la mobilité des habitants des QPV", "étude/rapport"),
        ("Diagnostic territorial partagé", "étude/rapport"),
        ("Lettre d'information n°12", "lettre d'information"),
        ("Newsletter de printemps", "lettre d'information"),
        ("Communiqué de presse", "communiqué/actualité"),
        ("Cadre de référence national des CRPV", "cadre de référence"),
        ("Compte rendu de l'étude mobilité", "compte rendu"),
        ("Quartiers en fête", "autre"),
    ],
)
def test_detect_type_from_title(title: str, label: str) -> None:
    assert detect_type(title) == label


def test_detect_type_from_filename_short_forms() -> None:
    assert detect_type(None, filename="SPP-22-0447_CR_Réunion_Plénière-08-04-2022.pdf") == "compte rendu"
    assert detect_type(None, filename="charte_partenariale-2017.pdf") == "charte"
    # "cr" inside a word is not a compte rendu
    assert detect_type(None, filename="crpv_programme.pdf") == "autre"


def test_detect_type_reads_cover_lines_only() -> None:
    body = "Les centres de ressources font réseau\n\n" + CADRE + "\nLa charte partenariale a été signée."
    assert detect_type(None, text=body) == "autre"
    assert detect_type(None, text="CRPV Île-de-France\nLettre d'information n°4\n\n" + CADRE) == (
        "lettre d'information"
    )


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("fiche-experience", "fiche d'expérience"),
        ("CR", "compte rendu"),
        ("rapport", "étude/rapport"),
        ("Rapports", "étude/rapport"),
        ("Étude/Rapport", "étude/rapport"),
        ("newsletter", "lettre d'information"),
        ("Communiqué", "communiqué/actualité"),
        ("cadre_de_reference", "cadre de référence"),
        ("inconnu", "autre"),
        ("", "autre"),
    ],
)
def test_normalise_type(value: str, label: str) -> None:
    assert normalise_type(value) == label
    assert label in DOC_TYPES


def test_doc_types_are_the_agreed_labels() -> None:
    assert DOC_TYPES == (
        "charte", "cadre de référence", "fiche d'expérience", "compte rendu", "étude/rapport",
        "communiqué/actualité", "lettre d'information", "autre",
    )


# --- themes --------------------------------------------------------------------------------


def test_default_thesaurus_has_the_13_themes(thesaurus) -> None:
    assert len(thesaurus.labels) == 13
    assert "renouvellement urbain et habitat" in thesaurus.labels
    assert "ingénierie et évaluation" in thesaurus.labels


def test_themes_accent_case_and_plural_insensitive(thesaurus) -> None:
    text = (
        "Les conseils citoyens du quartier ont mené une concertation avec les habitants. "
        "La PARTICIPATION DES HABITANTS et le pouvoir d'agir sont au cœur du projet."
    )
    assert infer_themes("Conseils citoyens", text, thesaurus)[0] == "participation citoyenne"


def test_themes_acronyms_only_in_capitals(thesaurus) -> None:
    # "pré" and "rep" must not read as PRE / REP (éducation)
    text = "Un pré carré, une rep. " * 20
    assert "éducation" not in infer_themes("", text, thesaurus)
    text = "Les écoles en REP et le PRE accompagnent les élèves. La réussite éducative progresse."
    assert infer_themes("", text, thesaurus) == ("éducation",)


def test_themes_longest_term_wins(thesaurus) -> None:
    text = "Le CLSPD coordonne la prévention de la délinquance et la tranquillité publique du quartier."
    themes = infer_themes("", text, thesaurus)
    assert themes[0] == "prévention et sécurité"
    assert "santé" not in themes


def test_themes_incidental_mention_in_long_text(thesaurus) -> None:
    filler = "Le comité a examiné les propositions présentées par les membres du groupe de travail. " * 400
    assert "santé" not in infer_themes("Rapport annuel", filler + " La santé des habitants.", thesaurus)
    assert infer_themes("Santé mentale dans les quartiers", filler, thesaurus)[0] == "santé"


def test_themes_capped_and_ordered(thesaurus) -> None:
    text = (
        "emploi santé école culture jeunes sport logement climat numérique discrimination "
        "évaluation sécurité concertation " * 5
    )
    themes = infer_themes("", text, thesaurus)
    assert 1 <= len(themes) <= 4


def test_thesaurus_pickles_for_worker_processes(thesaurus) -> None:
    copy = pickle.loads(pickle.dumps(thesaurus))
    assert infer_themes("Santé mentale", "", copy) == ("santé",)


def test_custom_thesaurus_file(tmp_path: Path) -> None:
    path = tmp_path / "thesaurus.yaml"
    path.write_text("themes:\n  mobilité:\n    - vélo\n    - TER\n", encoding="utf-8")
    custom = load_thesaurus(path)
    assert infer_themes("Le vélo au quotidien", "Des vélos et le TER.", custom) == ("mobilité",)


@pytest.mark.parametrize("content", ["themes: [a, b]\n", "- santé\n", "themes: {santé: école}\n", "themes: [\n"])
def test_bad_thesaurus_is_a_config_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "thesaurus.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_thesaurus(path)


@pytest.mark.parametrize("package, name", [("kb", "data/synonyms.yaml"), ("kb", "data/sections.yaml"),
                                           ("kb", "data/organisations.yaml"), ("indexer", "data/thesaurus.yaml")])
def test_shipped_data_files_read_as_the_safe_loader_reads_them(package: str, name: str) -> None:
    # read_yaml parses with libyaml where PyYAML has it; the values must be the safe loader's.
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    data = read_yaml(None, package, name, "test")
    assert data and data == yaml.safe_load(text)


# --- organisations, territory, licence, language ----------------------------------------------


def test_organisations_from_acronyms_and_expansions() -> None:
    matcher = OrgMatcher.from_synonyms(load_synonyms())
    text = (
        "L'Agence nationale de la cohésion des territoires finance les actions dans les Q.P.V. ; "
        "l'ANRU et l'ANCT signent la convention. Le projet de l'ANCT est suivi par le CRPV."
    )
    orgs = matcher.find(text)
    assert orgs[0] == "ANCT"
    assert set(orgs) == {"ANCT", "QPV", "ANRU", "CRPV"}
    assert matcher.find("Une amf, une anru en minuscules, le mot CAFÉ et ANRUX") == ()


@pytest.mark.parametrize(
    ("title", "text", "territory"),
    [
        ("Diagnostic du quartier des Minguettes", "", "Quartier des Minguettes"),
        ("", "La Ville de Grenoble porte le projet. La Ville de Grenoble et ses partenaires.", "Ville de Grenoble"),
        ("", "En région Occitanie, le CRPV accompagne les acteurs de la région Occitanie.", "Région Occitanie"),
        ("", "La Ville de Vaulx-en-Velin, puis la Ville de Vaulx-en-Velin encore.", "Ville de Vaulx-en-Velin"),
        ("", "Une journée à Paris avec Villes de France et Régions de France.", None),
        ("", "La Ville de Lyon a accueilli la rencontre.", None),
    ],
)
def test_territory_where_stated(title: str, text: str, territory: str | None) -> None:
    assert find_territory(title, text) == territory


def test_licence_forms() -> None:
    assert find_licence("Ce document est diffusé sous licence Creative Commons BY-NC-ND 4.0.") == "CC BY-NC-ND 4.0"
    assert find_licence("Licence Ouverte 2.0 (Etalab)") == "Licence Ouverte 2.0"
    assert find_licence("Tous droits réservés.") is None


def test_language_detection_and_declared_language() -> None:
    english = (
        "The French state startup programme was launched in 2013 and it has since been used by many "
        "ministries as a way to build digital services that are useful for their users. Each team "
        "is small and autonomous, and it is funded by the administration that has the problem. The "
        "teams are asked to measure their impact with the people who use the service every day."
    )
    assert detect_language(CADRE)[0] == "fr"
    assert detect_language(english)[0] == "en"
    assert choose_language("fr-FR", english) == "en"  # a template's default is overruled
    assert choose_language("fr", "Conseil citoyen, 12 mars.") == "fr"  # too short to contradict
    assert choose_language(None, "") is None
    assert choose_language("Français", CADRE) == "fr"


# --- titles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "junk", ["Microsoft Word - charte.doc", "untitled", "Document1", "Présentation PowerPoint", "rapport_final.pdf",
             "SPP-22-0400_CR_Réunion", "  ", None],
)
def test_junk_titles_are_refused(junk: str | None) -> None:
    assert good_title(junk) is None


def test_humanise_filename() -> None:
    assert humanise_filename("charte_partenariale-2017.pdf") == "Charte partenariale 2017"
    assert humanise_filename("rapport.final.v2.docx") == "Rapport final v2"


def test_a_long_text_folded_again_gives_its_own_form_each_time() -> None:
    """The last long text folded is kept (themes, names and acronyms fold the same text): a
    different text of the same length, or the first one again, still gets its own form."""
    from indexer.metadata._text import match_form, strip_accents

    first = (CADRE + "\n") * 10
    second = first.replace("d'État", "d'Etat").upper()
    assert len(first) == len(second) > 2000
    for _ in range(2):
        for text in (first, second, first):
            assert match_form(text) == text.translate(_fold_table()).lower()
            assert strip_accents(text) == text.translate(_fold_table())
    assert "etat" in match_form(first) and "ÉTAT" not in strip_accents(second)


def _fold_table() -> dict[int, str]:
    from indexer.metadata._text import _FOLD

    return _FOLD
