"""What each base model is, where it is installed, and whether it is usable.

Layout (Transformers-like: a folder per model and a small JSON that says what it is)::

    <data-dir>/base-models/
        s1-v2/s1.ckpt                   GPT-SoVITS v2 S1 (text -> semantic tokens)
        s2g-v2/s2G.pth                  GPT-SoVITS v2 S2 generator (SoVITS)
        s2d-v2/s2D.pth                  GPT-SoVITS v2 S2 discriminator (fine-tuning only)
        s1-v2pro/s1.ckpt                v2Pro/v2ProPlus S1 (upstream s1v3.ckpt)
        s2g-v2pro/, s2d-v2pro/          v2Pro S2 generator / discriminator (s2G.pth, s2D.pth)
        s2g-v2proplus/, s2d-v2proplus/  the same for v2ProPlus
        sv/sv.ckpt                      ERes2NetV2 speaker verification (v2Pro families)
        speaker-encoder/encoder.pt      GE2E speaker check (from the resemblyzer wheel on PyPI)
        hubert/{config.json, preprocessor_config.json, pytorch_model.bin}
        bert/{config.json, tokenizer.json, pytorch_model.bin}
        whisper-base/{config.json, model.bin, tokenizer.json, vocabulary.txt}
        <id>/model.json                 written last: the folder is installed only if it exists
        .incoming/<id>/                 downloads in progress (``*.part`` files, resumable)
        .locks/<id>.lock                one install of a model at a time (OS file locks)

The folder is named after the spec id, not after upstream's paths, so code asks for
``require(data_dir, "s1-v2")`` and never spells an upstream file name; the checkpoint files
get short role names because upstream's (``s1bert25hz-5kh-longer-epoch=12-step=369668.ckpt``)
carry training step counts that mean nothing to a person, and would be a lie for the tiny
random set. ``model.json`` records where every file came from (repo path, commit or folder).
The HuBERT, BERT and Whisper folders keep upstream's names because ``transformers`` and
``faster-whisper`` load them by those names.

Every install (download, import, tiny set) goes through :func:`finalize_install`: files are
written into ``.incoming/<id>/``, hashed, ``model.json`` is written there, then the folder is
swapped into place, so an installed folder is always complete and a crash leaves at worst an
unfinished ``.incoming`` folder that the next attempt resumes or replaces.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicestudio.errors import DiskFullError, MissingModelError, UserInputError
from voicestudio.project.atomic import atomic_write_json, fsync_dir
from voicestudio.project.checksums import sha256_file
from voicestudio.project.disk import disk_full_error, is_disk_full
from voicestudio.project.locks import exclusive_file_lock
from voicestudio.project.settings import base_models_dir
from voicestudio.project.voice import now_iso

MARKER_NAME = "model.json"
MARKER_FORMAT = 1
STAGING_DIRNAME = ".incoming"
LOCKS_DIRNAME = ".locks"
PART_SUFFIX = ".part"
SOURCES = ("download", "import", "tiny")
TINY_NOTE = "tiny random weights — for tests and demos only"
GPTSOVITS_REPO = "lj1995/GPT-SoVITS"

INSTALL_HINT = "Open VoiceStudio → Base models, or run `voicestudio models download`."


@dataclass(frozen=True)
class ModelFile:
    """One file of a base model.

    ``sha256`` is pinned only where a verified value is known; otherwise the download checks
    the file against the hub's own LFS sha256 (its ETag) and records the result in
    ``model.json``. ``accepted_names`` are other names that serve the same purpose in an
    imported or tiny install (a ``transformers`` folder saved as ``model.safetensors``).
    """

    name: str
    repo_path: str
    sha256: str | None = None
    accepted_names: tuple[str, ...] = ()

    def found_in(self, names: set[str]) -> str | None:
        """The name under which this file is present among ``names``, if any."""
        for candidate in (self.name, *self.accepted_names):
            if candidate in names:
                return candidate
        return None


@dataclass(frozen=True)
class BaseModelSpec:
    """A base model VoiceStudio knows how to install.

    ``approx_bytes`` is for display only ("about 155 MB"): it comes from published figures,
    never from a verified listing, so it is not used to accept or reject a file.
    """

    id: str
    title: str
    kind: str  # "s1", "s2g", "s2d", "sv", "ssl", "bert", "speaker" or "asr"
    repo_id: str
    revision: str
    files: tuple[ModelFile, ...]
    approx_bytes: int = 0
    required: bool = False

    @property
    def downloadable(self) -> bool:
        return bool(self.repo_id)

    @property
    def main_file(self) -> ModelFile:
        """The weights file: the one a single-file model's loader opens."""
        for f in self.files:
            if f.name.endswith((".ckpt", ".pth", ".bin")):
                return f
        return self.files[0]


_MB = 1_000_000

_V2 = "gsv-v2final-pretrained"


def _whisper(size: str, approx_mb: int, vocabulary: str = "vocabulary.txt",
             extra: tuple[str, ...] = ()) -> BaseModelSpec:
    # Conversions differ in the vocabulary format; faster-whisper reads either.
    other = "vocabulary.json" if vocabulary == "vocabulary.txt" else "vocabulary.txt"
    files = (
        *(ModelFile(name, name) for name in ("config.json", "model.bin", "tokenizer.json")),
        ModelFile(vocabulary, vocabulary, accepted_names=(other,)),
        *(ModelFile(name, name) for name in extra),
    )
    return BaseModelSpec(
        id=f"whisper-{size}",
        title=f"Speech recognition: faster-whisper {size}",
        kind="asr",
        repo_id=f"Systran/faster-whisper-{size}",
        revision="main",
        files=files,
        approx_bytes=approx_mb * _MB,
    )


SPECS: dict[str, BaseModelSpec] = {
    spec.id: spec
    for spec in (
        BaseModelSpec(
            "s1-v2", "GPT-SoVITS v2 S1 (text to semantic tokens)", "s1", GPTSOVITS_REPO, "main",
            (ModelFile("s1.ckpt", f"{_V2}/s1bert25hz-5kh-longer-epoch=12-step=369668.ckpt"),),
            approx_bytes=155 * _MB, required=True,
        ),
        BaseModelSpec(
            "s2g-v2", "GPT-SoVITS v2 S2 generator (SoVITS)", "s2g", GPTSOVITS_REPO, "main",
            (ModelFile("s2G.pth", f"{_V2}/s2G2333k.pth"),),
            approx_bytes=106 * _MB, required=True,
        ),
        BaseModelSpec(
            "s2d-v2", "GPT-SoVITS v2 S2 discriminator (for training)", "s2d", GPTSOVITS_REPO,
            "main", (ModelFile("s2D.pth", f"{_V2}/s2D2333k.pth"),),
            approx_bytes=93 * _MB, required=True,
        ),
        BaseModelSpec(
            "hubert", "chinese-hubert-base (speech features)", "ssl", GPTSOVITS_REPO, "main",
            (
                ModelFile("config.json", "chinese-hubert-base/config.json"),
                ModelFile("preprocessor_config.json",
                          "chinese-hubert-base/preprocessor_config.json"),
                ModelFile("pytorch_model.bin", "chinese-hubert-base/pytorch_model.bin",
                          accepted_names=("model.safetensors",)),
            ),
            approx_bytes=190 * _MB, required=True,
        ),
        BaseModelSpec(
            "bert", "chinese-roberta-wwm-ext-large (text features)", "bert", GPTSOVITS_REPO,
            "main",
            (
                ModelFile("config.json", "chinese-roberta-wwm-ext-large/config.json"),
                ModelFile("tokenizer.json", "chinese-roberta-wwm-ext-large/tokenizer.json"),
                ModelFile("pytorch_model.bin", "chinese-roberta-wwm-ext-large/pytorch_model.bin",
                          accepted_names=("model.safetensors",)),
            ),
            approx_bytes=650 * _MB, required=True,
        ),
        BaseModelSpec(
            "s1-v2pro", "GPT-SoVITS v2Pro/v2ProPlus S1 (text to semantic tokens)", "s1",
            GPTSOVITS_REPO, "main", (ModelFile("s1.ckpt", "s1v3.ckpt"),),
            approx_bytes=155 * _MB,
        ),
        BaseModelSpec(
            "s2g-v2pro", "GPT-SoVITS v2Pro S2 generator (SoVITS)", "s2g", GPTSOVITS_REPO,
            "main", (ModelFile("s2G.pth", "v2Pro/s2Gv2Pro.pth"),), approx_bytes=162 * _MB,
        ),
        BaseModelSpec(
            "s2d-v2pro", "GPT-SoVITS v2Pro S2 discriminator (for training)", "s2d",
            GPTSOVITS_REPO, "main", (ModelFile("s2D.pth", "v2Pro/s2Dv2Pro.pth"),),
            approx_bytes=127 * _MB,
        ),
        BaseModelSpec(
            "s2g-v2proplus", "GPT-SoVITS v2ProPlus S2 generator (SoVITS)", "s2g",
            GPTSOVITS_REPO, "main", (ModelFile("s2G.pth", "v2Pro/s2Gv2ProPlus.pth"),),
            approx_bytes=200 * _MB,
        ),
        BaseModelSpec(
            "s2d-v2proplus", "GPT-SoVITS v2ProPlus S2 discriminator (for training)", "s2d",
            GPTSOVITS_REPO, "main", (ModelFile("s2D.pth", "v2Pro/s2Dv2ProPlus.pth"),),
            approx_bytes=127 * _MB,
        ),
        BaseModelSpec(
            "sv", "ERes2NetV2 speaker verification (v2Pro/v2ProPlus likeness)", "sv",
            GPTSOVITS_REPO, "main",
            (ModelFile("sv.ckpt", "sv/pretrained_eres2netv2w24s4ep4.ckpt"),),
            approx_bytes=108 * _MB,
        ),
        BaseModelSpec(
            "speaker-encoder", "Speaker check: GE2E voice encoder (resemblyzer 0.1.4 weights)",
            "speaker", "Resemblyzer 0.1.4 on PyPI", "0.1.4",
            (ModelFile("encoder.pt", "resemblyzer/pretrained.pt", sha256=(
                "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e")),),
            approx_bytes=16 * _MB,
        ),
        _whisper("tiny", 75),
        _whisper("base", 145),
        _whisper("small", 484),
        _whisper("medium", 1530),
        _whisper("large-v3", 3090, "vocabulary.json", ("preprocessor_config.json",)),
    )
}

REQUIRED_IDS: tuple[str, ...] = tuple(s.id for s in SPECS.values() if s.required)
# Models no family needs to speak or train, but that `dataset add` uses (the second-speaker
# check): the first-run download and the Base models page bring them along.
COMPANION_IDS: tuple[str, ...] = ("speaker-encoder",)


def required_ids(family: str | None = None) -> tuple[str, ...]:
    """The base models a family needs (None: the family chosen in Settings); REQUIRED_IDS is
    the v2 family's set."""
    from voicestudio.hub.families import chosen_family, get_family

    chosen = get_family(family) if family else chosen_family()
    return chosen.required_ids

# A faster-whisper folder imported under a name the registry does not know gets the same
# files as the registered sizes; the vocabulary may be .txt or .json depending on the model.
_ASR_FILES = (
    ModelFile("config.json", "config.json"),
    ModelFile("model.bin", "model.bin"),
    ModelFile("tokenizer.json", "tokenizer.json"),
    ModelFile("vocabulary.txt", "vocabulary.txt", accepted_names=("vocabulary.json",)),
)
_ASR_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,47}$")


def asr_spec_id(name: str) -> str:
    """The id an ASR model imported as NAME is installed under (``base`` → ``whisper-base``)."""
    name = name.strip().lower()
    if name.startswith("whisper-"):
        name = name[len("whisper-"):]
    if not _ASR_NAME.match(name) or ".." in name:
        raise UserInputError(
            f"“{name}” cannot be used as a model name: use lower-case letters, digits, '.', "
            "'-' or '_' (for example: base, small.en, my-whisper)."
        )
    return f"whisper-{name}"


def get_spec(spec_id: str) -> BaseModelSpec:
    """The registered spec, or an import-only ASR spec for a custom ``whisper-*`` name."""
    spec = SPECS.get(spec_id)
    if spec is not None:
        return spec
    if spec_id.startswith("whisper-"):
        asr_spec_id(spec_id)  # validates the name part
        return BaseModelSpec(spec_id, f"Speech recognition: {spec_id[8:]} (imported)", "asr",
                             "", "", _ASR_FILES)
    known = ", ".join(SPECS)
    raise UserInputError(f"Unknown base model “{spec_id}”. Known models: {known}.")


def install_dir(data_dir: Path, spec_id: str) -> Path:
    return base_models_dir(Path(data_dir)) / spec_id


def staging_dir(data_dir: Path, spec_id: str, purpose: str = "download") -> Path:
    """Where an install of ``spec_id`` collects its files before it is installed.

    Downloads use ``.incoming/<id>`` (kept between attempts, for resume); imports and the
    tiny set use ``.incoming/<id>.<purpose>`` so that they never disturb resumable parts.
    """
    name = spec_id if purpose == "download" else f"{spec_id}.{purpose}"
    return base_models_dir(Path(data_dir)) / STAGING_DIRNAME / name


# ---------------------------------------------------------------------------------------------
# The marker


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


# ---------------------------------------------------------------------------------------------
# Status


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
    partial = _bytes_in(staging_dir(data_dir, spec_id))
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
                      if p.name.startswith("whisper-") and p.name not in SPECS
                      and _ASR_NAME.match(p.name[len("whisper-"):])
                      and (p / MARKER_NAME).exists())
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
        how = (f"Run `voicestudio models download {spec.id}`, or " if spec.downloadable
               else "Run ")
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


# ---------------------------------------------------------------------------------------------
# Installing


def finalize_install(
    data_dir: Path,
    spec_id: str,
    staging: Path,
    source: str,
    *,
    origin: Mapping[str, Any] | None = None,
    note: str = "",
    sha256: Mapping[str, str] | None = None,
    file_origins: Mapping[str, str] | None = None,
) -> InstalledModel:
    """Turn a filled staging folder into an installed model, atomically.

    Writes ``model.json`` (every file with size and sha256; ``sha256`` gives digests the
    caller already computed while writing) and swaps the folder into place, replacing any
    earlier install of the same id (a tiny set is replaced by real weights this way).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    spec = get_spec(spec_id)
    staging = Path(staging)
    present = sorted(p.name for p in staging.iterdir()
                     if p.is_file() and p.name != MARKER_NAME and not p.name.endswith(PART_SUFFIX)
                     and not p.name.startswith("."))
    for wanted in spec.files:
        if wanted.found_in(set(present)) is None:
            raise UserInputError(
                f"{spec.title}: {wanted.name} is missing, so it was not installed.")
    known = dict(sha256 or {})
    origins = dict(file_origins or {})
    files = []
    for name in present:
        path = staging / name
        files.append({
            "name": name, "size": path.stat().st_size,
            "sha256": known.get(name) or sha256_file(path), "origin": origins.get(name, ""),
        })
    marker = {
        "format": MARKER_FORMAT, "id": spec.id, "kind": spec.kind, "title": spec.title,
        "source": source, "note": note or (TINY_NOTE if source == "tiny" else ""),
        "origin": dict(origin or {}), "installed": now_iso(), "files": files,
    }
    atomic_write_json(staging / MARKER_NAME, marker)
    for leftover in staging.glob(f"*{PART_SUFFIX}"):
        leftover.unlink()
    target = install_dir(data_dir, spec_id)
    _swap_into_place(staging, target)
    return read_marker(target)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging``; the old folder is removed only once the new is in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = staging.parent / f"{target.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    os.replace(staging, target)
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_install(
    data_dir: Path, spec_id: str, source: str, *, origin: Mapping[str, Any] | None = None,
    note: str = "", sha256: Mapping[str, str] | None = None,
    file_origins: Mapping[str, str] | None = None,
) -> Iterator[Path]:
    """Write a model's files into the yielded folder; it is installed when the block ends.

    For writers that produce files locally (the tiny random set, imports)::

        with staged_install(data_dir, "hubert", "tiny") as folder:
            model.save_pretrained(folder)

    ``sha256``/``file_origins`` may be filled inside the block; they are read at the end.
    On an exception nothing is installed and the half-written folder is removed. Downloads
    do not use this: their staging folder must outlive a failure so it can be resumed.
    """
    get_spec(spec_id)
    with install_lock(data_dir, spec_id):
        staging = staging_dir(data_dir, spec_id, purpose=source)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        try:
            yield staging
            finalize_install(data_dir, spec_id, staging, source, origin=origin, note=note,
                             sha256=sha256, file_origins=file_origins)
        except (OSError, RuntimeError, DiskFullError) as exc:
            if isinstance(exc, DiskFullError) or is_disk_full(exc, staging):
                raise disk_full_error(base_models_dir(Path(data_dir)), _bytes_in(staging),
                                      f": {get_spec(spec_id).title} was not installed") from exc
            raise
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def install_lock(data_dir: Path, spec_id: str) -> Iterator[None]:
    """Keep two installs of one model (the app and a command, say) from mixing their files.

    An OS file lock, so it disappears with the process that held it: no stale lock to clear
    after a crash.
    """
    lock_path = base_models_dir(Path(data_dir)) / LOCKS_DIRNAME / f"{spec_id}.lock"
    busy = (f"{get_spec(spec_id).title} is being installed by another VoiceStudio window or "
            "command. Wait for it to finish, then try again.")
    with exclusive_file_lock(lock_path, timeout=0, busy_message=busy):
        yield


def _bytes_in(folder: Path) -> int:
    try:
        return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    except OSError:
        return 0


def installed_signature(data_dir: Path) -> tuple[tuple[str, int], ...]:
    """What is installed, cheaply: each model folder with its marker's change time.

    The app polls this to notice installs and removals made outside it (a command run in a
    terminal while the window is open) without re-reading every marker.
    """
    folder = base_models_dir(Path(data_dir))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return ()
    found = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            found.append((entry.name, os.stat(Path(entry.path) / MARKER_NAME).st_mtime_ns))
        except OSError:
            found.append((entry.name, 0))
    return tuple(found)
