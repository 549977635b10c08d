"""The one place where an error becomes what ``kb`` prints and its exit status.

Commands raise; they do not catch and exit. A command's errors are turned into a French
message (ending with what to do next) and an exit status by rules, tried in order: the
command's own rules (``command(..., errors=...)``, for errors only it knows: a port taken,
a missing OCR engine), then the core's. Click's exceptions (usage errors, ``ctx.exit``) go
through untouched: ``kb.cli.french`` prints those.

Exit statuses: 0 all good; 1 some files failed, a check found problems or the work could not
be done; 2 usage error (a wrong option, a missing base, an unusable configuration file);
130 when kb index is interrupted by Ctrl-C (other commands: 1, « Interrompu. »).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import click

from kb.cli import french
from kb.errors import DamagedBase, KBError, MissingBase, os_cause

Message = Callable[[BaseException, click.Context], str]


class CommandError(click.ClickException):
    """A French message for the user and the exit status of the command that raised it."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        # click declares the status per class (ClassVar); here each error carries its own.
        self.exit_code = exit_code  # type: ignore[misc]


def own_message(exc: BaseException, ctx: click.Context) -> str:
    """The exception's own text: the core's errors are written for the user."""
    return str(exc)


def missing_base(exc: BaseException, ctx: click.Context) -> str:
    """The message for a home that holds no base, with the two ways out."""
    return (f"{exc}. Pour la créer, indexez un dossier : kb index DOSSIER ; pour lire une autre base : "
            "kb --home DOSSIER … ou la variable KB_HOME.")


def home_of(ctx: click.Context) -> object:
    """The home the command works on (for messages): that of the nearest context object that
    has one (``kb.cli.context.Context``, not imported: it imports this module)."""
    node: click.Context | None = ctx
    while node is not None:
        home = getattr(node.obj, "home", None)
        if home is not None:
            return home
        node = node.parent
    return "la base"


def os_reason(exc: BaseException) -> object:
    """What to say of ``exc``: the cause of an OSError (in French when common), else the
    exception itself."""
    return os_cause(exc) if isinstance(exc, OSError) and (exc.strerror or exc.errno) else exc


def unopenable(exc: BaseException, ctx: click.Context) -> str:
    """The message for a base that cannot be opened, with the system's reason."""
    return f"impossible d'ouvrir la base {home_of(ctx)} : {os_reason(exc)}"


@dataclass(frozen=True)
class Rule:
    """Errors of type ``kind`` end the command with ``message(exc, ctx)`` and ``code``."""

    kind: type[BaseException]
    code: int
    message: Message = own_message


# Whatever the command: an error the core raises on purpose (a full disk, a damaged index...)
# ends it with its French message, never a traceback.
CORE_RULES: tuple[Rule, ...] = (
    Rule(MissingBase, 2, missing_base),
    Rule(KBError, 1),
)
# While the base is opened: what keeps it from being read at all. A damaged catalog is a
# failure of the base (1); any other refusal of the core there (a synonyms file it cannot use)
# is one of the command line (2).
OPENING_RULES: tuple[Rule, ...] = (
    Rule(MissingBase, 2, missing_base),
    Rule(DamagedBase, 1),
    Rule(KBError, 2),
    Rule(OSError, 1, unopenable),
)


def translate(exc: BaseException, rules: Sequence[Rule], ctx: click.Context) -> CommandError | None:
    """The ``CommandError`` the first matching rule makes of ``exc``, or None (not ours to say)."""
    if isinstance(exc, (click.ClickException, click.exceptions.Exit, click.Abort)):
        return None
    for rule in rules:
        if isinstance(exc, rule.kind):
            return CommandError(rule.message(exc, ctx), rule.code)
    return None


def opening_error(exc: BaseException, obj: object) -> BaseException:
    """What to raise when the base at ``obj.home`` cannot be opened (the messages name that
    home, which is not always the command's: a dry run opens a scratch base)."""
    return translate(exc, OPENING_RULES, click.Context(click.Command("kb"), obj=obj)) or exc


class Command(french.Command):
    """A command of ``kb``: French help, and errors mapped by its own rules, then the core's."""

    def __init__(self, *args: Any, errors: Sequence[Rule] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_rules = tuple(errors)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, mapping its errors to French messages and exit codes (its own rules, then the core's)."""
        try:
            return super().invoke(ctx)
        except (Exception, KeyboardInterrupt) as exc:
            mapped = translate(exc, (*self.error_rules, *CORE_RULES), ctx)
            if mapped is None:
                raise
            raise mapped from exc
