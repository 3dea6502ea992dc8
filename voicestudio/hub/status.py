"""Whether each base model is usable, and what to do when it is not.

A status check compares only the marker with the files' sizes (cheap enough for a status
bar polled every few seconds); :func:`verify_installed` rehashes every file on request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voicestudio.errors import MissingModelError
from voicestudio.hub.catalogue import (
    SPECS,
    BaseModelSpec,
    get_spec,
    is_imported_asr_id,
    required_ids,
)
from voicestudio.hub.layout import MARKER_NAME, bytes_in, install_dir, staging_dir
from voicestudio.hub.marker import TINY_NOTE, InstalledModel, check_installed, read_marker
from voicestudio.project.checksums import sha256_file
from voicestudio.project.settings import base_models_dir

INSTALL_HINT = "Open VoiceStudio → Base models, or run `voicestudio models download`."


def verify_installed(data_dir: Path, spec_id: str,
                     on_bytes: Callable[[int], None] | None = None) -> InstalledModel:
    """Rehash every file of an installed model against ``model.json`` (a "check files" action)."""
    spec = get_spec(spec_id)
    folder = install_dir(data_dir, spec_id)
    try:
        model = check_installed(folder, spec)
    except ValueError as exc:
        raise MissingModelError(_missing_message(spec, str(exc))) from None
    for f in model.files:
        if sha256_file(folder / f.name, on_bytes) != f.sha256:
            raise MissingModelError(_missing_message(
                spec, f"{f.name} does not match its recorded checksum (the file was changed or "
                "damaged on disk)"))
    return model


@dataclass(frozen=True)
class ModelState:
    """One row of ``voicestudio models list`` and of the Base models page."""

    spec: BaseModelSpec
    state: str  # "installed", "tiny", "missing" or "damaged"
    folder: Path
    model: InstalledModel | None = None
    problem: str = ""
    resumable_bytes: int = 0  # bytes already in .incoming (a download can resume from them)


def model_state(data_dir: Path, spec_id: str) -> ModelState:
    spec = get_spec(spec_id)
    folder = install_dir(data_dir, spec_id)
    partial = bytes_in(staging_dir(data_dir, spec_id))
    if not (folder / MARKER_NAME).exists():
        return ModelState(spec, "missing", folder, resumable_bytes=partial)
    try:
        model = check_installed(folder, spec)
    except ValueError as exc:
        return ModelState(spec, "damaged", folder, problem=str(exc), resumable_bytes=partial)
    return ModelState(spec, "tiny" if model.is_tiny else "installed", folder, model)


def list_models(data_dir: Path) -> list[ModelState]:
    """Every registered model plus any ASR model imported under its own name."""
    ids = list(SPECS)
    root = base_models_dir(Path(data_dir))
    if root.is_dir():
        ids += sorted(p.name for p in root.iterdir()
                      if is_imported_asr_id(p.name) and (p / MARKER_NAME).exists())
    return [model_state(data_dir, i) for i in ids]


@dataclass(frozen=True)
class InstallSummary:
    """What the status bar and the first-run page need to know about the required set."""

    present: tuple[str, ...]
    missing: tuple[str, ...]
    tiny: tuple[str, ...]
    asr: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.missing

    @property
    def message(self) -> str:
        if self.missing and not self.present:
            return f"Base models are not installed. {INSTALL_HINT}"
        if self.missing:
            titles = ", ".join(SPECS[i].title for i in self.missing)
            return f"Base models missing: {titles}. {INSTALL_HINT}"
        if self.tiny:
            return f"Base models: {TINY_NOTE} (not for real voices)."
        return "Base models ready."


def installed_summary(data_dir: Path, family: str | None = None) -> InstallSummary:
    """The required set of `family` (None: the one chosen in Settings)."""
    states = list_models(data_dir)  # one pass: each model.json is read once
    usable = ("installed", "tiny")
    wanted = required_ids(family)
    required = sorted((s for s in states if s.spec.id in wanted),
                      key=lambda s: wanted.index(s.spec.id))
    return InstallSummary(
        present=tuple(s.spec.id for s in required if s.state in usable),
        missing=tuple(s.spec.id for s in required if s.state not in usable),
        tiny=tuple(s.spec.id for s in required if s.state == "tiny"),
        asr=tuple(s.spec.id for s in states if s.spec.kind == "asr" and s.state in usable),
    )


def _missing_message(spec: BaseModelSpec, problem: str) -> str:
    if spec.kind == "asr":
        name = spec.id[len("whisper-"):]
        how = (f"Open VoiceStudio → Base models, or run `voicestudio models download "
               f"{spec.id}`, or " if spec.downloadable else "Open VoiceStudio → Base models "
               "and import a faster-whisper folder, or run ")
        what = f"The speech recognition model “{name}”"
        return (f"{what} is not usable ({problem}). {how}`voicestudio models import-asr DIR "
                f"--name {name}` with a local faster-whisper model folder.")
    if problem == "not installed":
        return f"Base models are not installed ({spec.title} is missing). {INSTALL_HINT}"
    return (f"The base model {spec.title} is damaged: {problem}. Open VoiceStudio → Base models, "
            f"or run `voicestudio models download {spec.id}` to reinstall it.")


def require(data_dir: Path, spec_id: str) -> Path:
    """The folder of an installed model, or MissingModelError with what to do about it."""
    spec = get_spec(spec_id)
    folder = install_dir(data_dir, spec_id)
    try:
        check_installed(folder, spec)
    except ValueError as exc:
        raise MissingModelError(_missing_message(spec, str(exc))) from None
    return folder


def require_file(data_dir: Path, spec_id: str, name: str | None = None) -> Path:
    """A file of an installed model (default: its weights file, whatever it was saved as)."""
    folder = require(data_dir, spec_id)
    spec = get_spec(spec_id)
    wanted = next((f for f in spec.files if f.name == name), None) if name else spec.main_file
    if wanted is None:
        return folder / name  # a file the spec does not list, e.g. vocabulary.json
    names = {f.name for f in read_marker(folder).files}
    return folder / (wanted.found_in(names) or wanted.name)
