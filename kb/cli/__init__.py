"""The ``kb`` command: the group, the core's own commands, and what contributed commands use.

The core's commands are in ``kb.cli.commands``; the indexer and the web package contribute
theirs through the ``kb.commands`` entry points (see ``kb.cli.group``). A contributed command
is built with ``command`` (French help, errors mapped by ``kb.cli.errors``) and receives the
group's ``Context`` through ``pass_ctx``.

Messages are French; errors end with what to do next; exit status 0 = all good, 1 = some
files failed or a check found problems, 2 = usage error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from kb.cli import commands as _commands  # noqa: F401  (registers the core's commands)
from kb.cli.context import Context, pass_ctx
from kb.cli.errors import Command, CommandError, Rule
from kb.cli.group import main


def command(name: str, **attrs: Any) -> Callable[[Callable[..., Any]], Command]:
    """``@command("name", errors=(Rule(...), ...))``: a contributed command, with French help
    and its errors mapped by its rules, then the core's."""
    return click.command(name, cls=Command, **attrs)


__all__ = ["Command", "CommandError", "Context", "Rule", "command", "main", "pass_ctx"]
