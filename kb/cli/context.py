"""What every command of ``kb`` shares: the base chosen by the group's options, and the public
address its links start with. Contributed commands (``kb.commands`` entry points) receive it
too, through ``pass_ctx``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kb.cli.errors import CommandError, opening_error
from kb.errors import KBError, MissingBase
from kb.knowledgebase import KnowledgeBase, base_exists
from kb.settings import BASE_URL, check_base_url, read_settings
from kb.synonyms import load_synonyms


class Context:
    """The group's options: the home of the base and the configuration files."""

    def __init__(self, home: Path, synonyms: Path | None, thesaurus: Path | None) -> None:
        self.home = home
        self.synonyms = synonyms
        self.thesaurus = thesaurus

    def open(self, create: bool = False) -> KnowledgeBase:
        """The base at ``home``; only ``create`` (kb index, the demo) makes one where there is
        none, so that a reader pointed at the wrong folder says so instead of answering from an
        empty base."""
        try:
            base = KnowledgeBase(self.home, load_synonyms(self.synonyms), create=create)
            base.repair()  # an index a new version outdated is rebuilt before any command reads it
            return base
        except (KBError, OSError) as exc:
            raise opening_error(exc, self) from exc

    def require_base(self) -> None:
        """Raise ``MissingBase`` unless ``home`` holds a base (a command that must not make one)."""
        if not base_exists(self.home):
            raise MissingBase(Path(os.path.abspath(self.home)))

    def public_address(self) -> tuple[str | None, str]:
        """The public address from KB_BASE_URL, else from the base's setting, and where it
        came from; (None, "") when neither is set."""
        env = os.environ.get("KB_BASE_URL", "").strip()
        if env:
            try:
                return check_base_url(env), "variable KB_BASE_URL"
            except ValueError as exc:
                raise CommandError(f"KB_BASE_URL : {exc}", 2) from exc
        stored = read_settings(self.home).get(BASE_URL)
        if stored:
            return stored, "réglage de la base (kb config base-url)"
        return None, ""


pass_ctx = click.make_pass_decorator(Context)
