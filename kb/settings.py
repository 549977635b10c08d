"""Settings kept in a knowledge base's home, beside the catalog: what belongs to the base
rather than to one command line, such as its public address (``base-url``), which every
``kb serve`` and every command that prints links must agree on.

A small JSON object in ``settings.json``, replaced atomically: a reader sees the old file or
the new one, never half of it. ``check_base_url`` says what a valid public address is, for
every shell that takes one (``kb config``, ``kb serve --base-url``, the web app's config); this
module stores strings.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from kb.durability import sync_folder
from kb.errors import ConfigError

SETTINGS_NAME = "settings.json"
BASE_URL = "base-url"
# The settings people can set, with what each is for (shown by `kb config`).
KNOWN: dict[str, str] = {
    BASE_URL: "adresse publique du site, début des liens absolus (flux, lettres d'information, kb show)",
}
_BASE_URL_RE = re.compile(r"^https?://[^\s/?#@\\]+(/[^\s?#\\]*)?$", re.IGNORECASE)


def check_base_url(value: str) -> str:
    """``value`` without its trailing slash, or ``ValueError`` (French) unless it is an
    ``http(s)://host[:port][/path]`` address without query, fragment or credentials."""
    value = value.strip()
    if not _BASE_URL_RE.match(value):
        raise ValueError(f"adresse publique invalide : « {value} » (attendu : http(s)://nom[:port][/chemin], "
                         "ex. https://kb.example.org)")
    return value.rstrip("/")


def read_settings(home: Path) -> dict[str, str]:
    """The settings stored in ``home`` (empty when none was ever set)."""
    path = Path(home) / SETTINGS_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"réglages illisibles ({path} : {exc}) : corrigez ou supprimez ce fichier, "
                          "puis refaites vos réglages avec kb config") from None
    if not isinstance(data, dict):
        raise ConfigError(f"réglages illisibles ({path} : un objet JSON est attendu)")
    return {str(k): str(v) for k, v in data.items() if v is not None}


def write_setting(home: Path, key: str, value: str | None) -> dict[str, str]:
    """Store ``key`` = ``value`` in ``home`` (``None`` removes it); returns all settings."""
    if key not in KNOWN:
        raise ConfigError(f"réglage inconnu : {key} (réglages possibles : {', '.join(sorted(KNOWN))})")
    settings = read_settings(home)
    if value is None:
        settings.pop(key, None)
    else:
        settings[key] = value
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=home)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(settings, fh, ensure_ascii=False, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, Path(home) / SETTINGS_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(Path(home))
    return settings
