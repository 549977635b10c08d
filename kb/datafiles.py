"""The editable YAML files that tune the analysis (synonyms, organisations and dispositifs, the
theme thesaurus): the shipped default or the user's own, read one way."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kb.errors import ConfigError

# The safe loader with libyaml's parser when PyYAML has it: the same values (the constructor and
# the resolver stay PyYAML's Python ones) for about a twelfth of the CPU (2.5 ms against 31 ms
# for the four shipped data files). Every YAML file of the project is read through it.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | None, package: str, default: str, what: str) -> Any:
    """The YAML content of ``path``, or of the file ``default`` shipped in ``package`` when
    ``path`` is None (an empty file reads as ``{}``). ``ConfigError`` « <what> illisible » when
    the file cannot be read or parsed."""
    try:
        if path:
            text = path.read_text(encoding="utf-8")
        else:
            text = resources.files(package).joinpath(default).read_text(encoding="utf-8")
        return yaml.load(text, Loader=SAFE_LOADER) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{what} illisible ({path}) : {exc}") from exc
