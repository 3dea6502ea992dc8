"""Locate the frontend's data files (symbol table, pinyin tables, word lists).

The data lives in ``resources/text/`` at the repository root so that it is plain, reviewable
data rather than code. An installed or frozen app has no repository, so the folder is also
looked for next to the interpreter (``share/voicestudio``), inside a PyInstaller bundle, and
wherever ``VOICESTUDIO_RESOURCES`` points.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

from voicestudio.errors import MissingModelError


def _candidate_roots() -> list[Path]:
    roots: list[Path] = []
    override = os.environ.get("VOICESTUDIO_RESOURCES")
    if override:
        roots.append(Path(override))
    roots.append(Path(__file__).resolve().parents[2] / "resources")
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.append(Path(bundle) / "resources")
    roots.append(Path(sys.prefix) / "share" / "voicestudio" / "resources")
    return roots


@cache
def text_resource_dir() -> Path:
    """The folder holding the text frontend's data files."""
    for root in _candidate_roots():
        folder = root / "text"
        if (folder / "symbols_v2.json").is_file():
            return folder
    raise MissingModelError(
        "The text frontend's data files (resources/text) are missing. Reinstall VoiceStudio, "
        "or set VOICESTUDIO_RESOURCES to the folder that contains 'text/symbols_v2.json'."
    )


@cache
def load_json_resource(name: str) -> Any:
    """Parse one JSON file from the text resource folder (cached: the files never change)."""
    with open(text_resource_dir() / name, encoding="utf-8") as handle:
        return json.load(handle)
