"""Typed errors of the core; each shell (CLI, web) maps them to its own output once."""

import errno

# The system's own words are English ("Permission denied"): the common causes said in French,
# as a French system says them.
_FRENCH_CAUSES = {getattr(errno, name): text for name, text in (
    ("EACCES", "permission refusée"),
    ("EPERM", "opération non permise"),
    ("ENOENT", "fichier ou dossier introuvable"),
    ("ELOOP", "trop de niveaux de liens symboliques"),
    ("ENAMETOOLONG", "nom de fichier trop long"),
    ("EISDIR", "c'est un dossier"),
    ("ENOTDIR", "un élément du chemin n'est pas un dossier"),
    ("EIO", "erreur d'entrée-sortie (disque ou support défaillant ?)"),
    ("ENOSPC", "plus de place sur le disque"),
    ("EDQUOT", "quota de disque dépassé"),
    ("EROFS", "système de fichiers en lecture seule"),
    ("EMFILE", "trop de fichiers ouverts"),
    ("ENFILE", "trop de fichiers ouverts"),
    ("EFBIG", "fichier trop gros pour le système de fichiers"),
    ("ENOMEM", "mémoire insuffisante"),
    ("EBUSY", "ressource occupée"),
) if hasattr(errno, name)}


def os_cause(exc: OSError) -> str:
    """Why a system call failed, in French for the common causes, else the system's own words."""
    if exc.errno is not None and exc.errno in _FRENCH_CAUSES:
        return _FRENCH_CAUSES[exc.errno]
    return exc.strerror or str(exc)


class KBError(Exception):
    """Base of every error the core raises on purpose; the message is French, for the user."""


class ConfigError(KBError):
    """A configuration file (synonyms, thesaurus) cannot be used."""


class QueryError(KBError, ValueError):
    """A search request is invalid (bad filter value, page out of range...)."""


class LockedError(KBError):
    """Another process holds the home's write lock."""


class NotFound(KBError, LookupError):
    """No document with that id or path."""


class StorageFull(KBError, OSError):
    """The disk holding the base (or its quota) is full: the run stops, committed work stays."""


class DamagedBase(KBError):
    """The catalog cannot be read (not a database, or damaged): nothing can be trusted from it."""


class DamagedIndex(KBError):
    """A segment of the search index is missing or unreadable (what a power cut can leave).
    The index is derived from the catalog: ``kb rebuild`` (or the next writer) remakes it."""


class MissingBase(KBError):
    """No knowledge base at the chosen home: a reader must not create an empty one there (a
    mistyped ``--home`` or another working folder would otherwise answer « no result »)."""

    def __init__(self, home: object) -> None:
        super().__init__(f"aucune base Passerelles dans {home}")
        self.home = home
