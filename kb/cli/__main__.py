"""``python -m kb.cli``: the ``kb`` command, whose messages name the command people type."""

from kb.cli import main

main(prog_name="kb")
