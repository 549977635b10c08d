"""YAML written by people (Markdown front matter, ``.meta.yaml`` sidecars), read by one loader.

PyYAML's safe constructor builds a date from anything shaped like one and an integer from any
run of digits, and raises ValueError (not a YAMLError) when it cannot: « date: 2021-02-30 », a
month 13, a number of over 4,300 digits. Such a typo failed the whole document with an English
reason. Here a value that cannot be built stays the text written, which the metadata code
already handles: an unparseable date is no date (a sidecar's is kept in ``extra``, as written).
"""

from __future__ import annotations

import yaml
from yaml.constructor import SafeConstructor

from kb.datafiles import SAFE_LOADER


class LenientSafeLoader(SAFE_LOADER):  # type: ignore[misc]
    """The safe loader, but a timestamp or an integer that cannot be built is kept as text."""


def _timestamp_or_text(loader: SafeConstructor, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError):  # « 2021-02-30 »: kept as written, not a date
        return loader.construct_scalar(node)


def _int_or_text(loader: SafeConstructor, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # over sys.get_int_max_str_digits() digits
        return loader.construct_scalar(node)


LenientSafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
LenientSafeLoader.add_constructor("tag:yaml.org,2002:int", _int_or_text)
