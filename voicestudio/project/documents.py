"""Reading the versioned JSON documents a voice folder holds (manifest, segment index).

Both follow one rule: a document that cannot be read, is not what it claims to be, or was
written by a newer VoiceStudio is reported with a CorruptFileError and left exactly as it is,
because rewriting it could lose a person's recordings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from voicestudio.errors import CorruptFileError


def read_versioned_json(path: Path, kind: str, newest_format: int) -> dict[str, Any] | None:
    """The JSON object at ``path`` (None when the file does not exist).

    ``kind`` names the document for the person ("voice manifest", "segment list").
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptFileError(f"Cannot read {path}: {exc.strerror}.") from exc
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise CorruptFileError(
            f"The {kind} {path} is damaged (not valid JSON). It was left untouched; restore it "
            "from a backup or ask for help with the file."
        ) from exc
    if not isinstance(raw, dict):
        raise CorruptFileError(f"{path} is not a {kind}. It was left untouched.")
    version = raw.get("format_version")
    if isinstance(version, int) and version > newest_format:
        raise CorruptFileError(
            f"{path} was saved by a newer VoiceStudio (format {version}). Update VoiceStudio "
            "to use it; the file was left untouched."
        )
    return raw
