"""``model.json``: the marker that says a base model's folder is complete, and what is in it.

The marker is written last, so a folder without one was never installed. It lists every
file with its size and sha256 and where it came from (repo path, commit or folder).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicestudio.hub.catalogue import BaseModelSpec
from voicestudio.hub.layout import MARKER_NAME
from voicestudio.project.atomic import atomic_write_json
from voicestudio.project.voice import now_iso

MARKER_FORMAT = 1
SOURCES = ("download", "import", "tiny")
TINY_NOTE = "tiny random weights — for tests and demos only"


@dataclass(frozen=True)
class InstalledFile:
    name: str
    size: int
    sha256: str
    origin: str = ""  # repo path or source file this copy came from


@dataclass(frozen=True)
class InstalledModel:
    """What ``model.json`` says about an installed folder."""

    id: str
    kind: str
    source: str
    files: tuple[InstalledFile, ...]
    installed: str
    folder: Path
    note: str = ""
    origin: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_tiny(self) -> bool:
        return self.source == "tiny"

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def path(self, name: str | None = None) -> Path:
        return self.folder / (name or self.files[0].name)


def read_marker(folder: Path) -> InstalledModel:
    """Parse ``folder/model.json``; raises ValueError (with a reason) when it is unusable."""
    try:
        raw = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError("not installed") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{MARKER_NAME} cannot be read ({exc})") from None
    try:
        files = tuple(
            InstalledFile(str(f["name"]), int(f["size"]), str(f["sha256"]),
                          str(f.get("origin", "")))
            for f in raw["files"]
        )
        model = InstalledModel(
            id=str(raw["id"]), kind=str(raw["kind"]), source=str(raw["source"]), files=files,
            installed=str(raw["installed"]), folder=folder, note=str(raw.get("note", "")),
            origin=dict(raw.get("origin") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{MARKER_NAME} is incomplete ({exc})") from None
    if not files:
        raise ValueError(f"{MARKER_NAME} lists no files")
    return model


def check_installed(folder: Path, spec: BaseModelSpec) -> InstalledModel:
    """The installed model in ``folder`` if it is complete; ValueError says what is wrong.

    Only sizes are compared (cheap enough for a status bar); :func:`verify_installed` rehashes.
    """
    model = read_marker(folder)
    if model.id != spec.id:
        raise ValueError(f"{MARKER_NAME} describes “{model.id}”, not “{spec.id}”")
    names = {f.name for f in model.files}
    for wanted in spec.files:
        if wanted.found_in(names) is None:
            raise ValueError(f"{wanted.name} is not part of this install")
    for f in model.files:
        try:
            size = (folder / f.name).stat().st_size
        except OSError:
            raise ValueError(f"{f.name} is missing") from None
        if size != f.size:
            raise ValueError(f"{f.name} has {size} bytes instead of {f.size}")
    return model



def write_marker(folder: Path, spec: BaseModelSpec, source: str, files: list[dict[str, Any]],
                 *, origin: Mapping[str, Any] | None = None, note: str = "") -> None:
    """Write ``folder/model.json`` atomically; ``files`` are name/size/sha256/origin rows."""
    marker = {
        "format": MARKER_FORMAT, "id": spec.id, "kind": spec.kind, "title": spec.title,
        "source": source, "note": note or (TINY_NOTE if source == "tiny" else ""),
        "origin": dict(origin or {}), "installed": now_iso(), "files": files,
    }
    atomic_write_json(folder / MARKER_NAME, marker)
