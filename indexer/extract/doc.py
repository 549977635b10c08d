"""Word 97-2003 (.doc): text by catdoc (or antiword), properties and encryption by olefile.

No Python library reads the .doc text format well; catdoc and antiword are small, standard
Debian programs that do, found on the PATH at run time. catdoc comes first: it keeps table
cells on one line separated by tabs, where antiword draws ASCII tables. olefile (pure Python)
reads the OLE container: the SummaryInformation properties and the flag of an encrypted
document, which neither program reports clearly (catdoc prints garbage for it).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import time
from pathlib import Path

import olefile

from indexer.extract.base import Extracted, ExtractionError, Limits
from indexer.extract.docx import ENCRYPTED, split_keywords
from indexer.extract.textutil import cap, normalize
from kb.errors import os_cause

_LABEL = "document Word 97-2003"
MISSING = (f"{_LABEL} : aucun programme pour le lire (installez catdoc ou antiword : "
           "sudo apt install catdoc), puis relancez kb index --retry-failed")
# FIB (File Information Block) at the start of the WordDocument stream.
_F_ENCRYPTED = 0x0100


def _commands(path: Path) -> list[list[str]]:
    found = []
    if catdoc := shutil.which("catdoc"):
        found.append([catdoc, "-d", "utf-8", "-w", str(path)])
    if antiword := shutil.which("antiword"):
        found.append([antiword, "-m", "UTF-8.txt", "-w", "0", str(path)])
    return found


def _properties(ole: olefile.OleFileIO) -> dict[str, str]:
    try:
        meta = ole.get_metadata()
    except Exception:  # noqa: BLE001 -- damaged properties must not cost us the text
        return {}
    out: dict[str, str] = {}
    # SummaryInformation strings are in the code page it declares (1252 in France, 65001 for
    # UTF-8 from recent writers).
    codepage = getattr(meta, "codepage", None)
    if isinstance(codepage, int):
        codepage &= 0xFFFF  # olefile reads it as a signed 16-bit number: 65001 comes as -535
    encoding = "utf-8" if codepage == 65001 else f"cp{codepage}" if isinstance(codepage, int) else "cp1252"
    for name in ("title", "subject", "author", "keywords", "comments"):
        raw = getattr(meta, name, None)
        if isinstance(raw, bytes):
            try:
                value = normalize(raw.decode(encoding, "replace"))
            except LookupError:
                value = normalize(raw.decode("cp1252", "replace"))
            if value:
                out[name] = value
    created = getattr(meta, "create_time", None)
    if created is not None and getattr(created, "year", 0) > 1980:
        out["created"] = created.strftime("%Y-%m-%d")
    return out


def _check_word(ole: olefile.OleFileIO) -> None:
    if not ole.exists("WordDocument"):
        raise ExtractionError(f"{_LABEL} endommagé : flux WordDocument absent")
    with ole.openstream("WordDocument") as stream:
        fib = stream.read(12)
    if len(fib) < 12:
        raise ExtractionError(f"{_LABEL} endommagé : en-tête trop court")
    # wIdent at 0; the flags word at 0x0A holds fEncrypted (also set for XOR obfuscation).
    flags = struct.unpack("<H", fib[10:12])[0]
    if flags & _F_ENCRYPTED:
        raise ExtractionError(ENCRYPTED)


def extract(path: Path, limits: Limits) -> Extracted:
    """Text (catdoc, else antiword) and SummaryInformation of a Word 97-2003 file."""
    deadline = time.monotonic() + limits.timeout_s
    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, ValueError, struct.error) as exc:
        raise ExtractionError(f"{_LABEL} endommagé : conteneur OLE illisible") from exc
    try:
        _check_word(ole)
        props = _properties(ole)
    finally:
        ole.close()
    commands = _commands(path)
    if not commands:
        raise ExtractionError(MISSING)
    text, error = None, ""
    for command in commands:
        try:
            done = subprocess.run(command, capture_output=True, check=False,
                                  timeout=max(1.0, deadline - time.monotonic() - 2))
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError(f"{_LABEL} trop lent à lire : délai dépassé") from exc
        except OSError as exc:
            error = os_cause(exc)
            continue
        if done.returncode == 0:
            text = done.stdout.decode("utf-8", "replace")
            break
        error = " ".join(done.stderr.decode("utf-8", "replace").split())[:120]
    if text is None:
        raise ExtractionError(f"{_LABEL} illisible : {error or 'format non reconnu'}")
    flags: list[str] = []
    body = normalize(text)
    return Extracted(
        format="doc",
        text=cap(body, limits.max_text_chars, flags),
        title=props.get("title"),
        author=props.get("author"),
        description=props.get("subject") or props.get("comments"),
        date=props.get("created"),
        keywords=split_keywords(props.get("keywords")),
        meta={k: v for k, v in props.items() if k != "title"},
        flags=flags,
    )
