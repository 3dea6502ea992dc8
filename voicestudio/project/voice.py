"""One voice on disk: a folder with a versioned ``voice.json`` manifest and its data folders.

The manifest is the only index of what a voice holds, so it is written atomically and never
overwritten when it cannot be read: a damaged or newer-format file is reported and left as it
is, because rewriting it could throw away a family's only recordings of someone.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError
from voicestudio.project.atomic import atomic_write_json
from voicestudio.project.documents import read_versioned_json
from voicestudio.project.settings import MODEL_FAMILY_CHOICES

MANIFEST_NAME = "voice.json"
FORMAT_VERSION = 1
SUBFOLDERS = ("takes", "segments", "models", "narrations")
SUPPORTED_LANGUAGES = ("zh", "en")

ACCENT_KEEP = "keep"
ACCENT_STANDARD = "standard"
# The two answers to "how should the model pronounce things?", in the words the person
# sees. Asked once per voice; the take checks and the segment importers both read it.
ACCENT_CHOICES: dict[str, tuple[str, str]] = {
    ACCENT_KEEP: (
        "Keep the way they speak",
        "Takes where a word sounds different from the standard pronunciation are kept "
        "and labelled with the standard text, so the voice learns the speaker's own "
        "accent (for example 福建 said as “hu jian”). Skipped or added words are still "
        "flagged.",
    ),
    ACCENT_STANDARD: (
        "Standard pronunciation",
        "Takes where a word is pronounced differently from the standard are flagged to "
        "record again, so the voice learns the textbook pronunciation. Skipped or added "
        "words are flagged too.",
    ),
}
DEFAULT_ACCENT = ACCENT_KEEP


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class ConsentRecord:
    """Who agreed that this voice may be cloned, and how; shown again before sharing."""

    speaker: str
    given_by: str
    statement: str
    date: str = field(default_factory=now_iso)
    # When someone consents on the speaker's behalf: how they are related ("daughter").
    relation: str = ""
    # The spoken consent, when it was recorded: the WAV (relative to the voice folder) and
    # the sha256 of its bytes, so a later copy can be shown to be the same recording.
    audio_path: str = ""
    audio_sha256: str = ""


@dataclass
class DatasetSummary:
    segments: int = 0
    speech_seconds: float = 0.0
    flagged: int = 0
    updated: str | None = None


IMPORTED_PRESET = "imported"  # a ModelVersion's preset when it came from GPT-SoVITS files


@dataclass
class ModelVersion:
    """One training run's result (or an imported model pair, ``IMPORTED_PRESET``); paths are
    relative to the voice folder so voices can move."""

    version_id: str
    created: str
    preset: str
    data_seconds: float
    s1_path: str
    s2_path: str
    notes: str = ""
    # Checkpoint scores of the kept checkpoint ("similarity", "wer"); empty when unscored.
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class VoiceManifest:
    name: str
    languages: list[str]
    created: str = field(default_factory=now_iso)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    consent: ConsentRecord | None = None
    dataset: DatasetSummary = field(default_factory=DatasetSummary)
    models: list[ModelVersion] = field(default_factory=list)
    accent: str = DEFAULT_ACCENT
    # The version that speaks for the voice; None = the newest (older manifests lack it).
    active_model: str | None = None
    # GPT-SoVITS model family its models use (v2, v2Pro, v2ProPlus); None = not trained yet,
    # so zero-shot speech uses the family chosen in Settings
    model_family: str | None = None
    format_version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any], source: Path) -> VoiceManifest:
        """Build from a parsed manifest; missing or mistyped fields are a CorruptFileError."""
        try:
            consent = raw.get("consent")
            return cls(
                name=str(raw["name"]),
                languages=[str(lang) for lang in raw["languages"]],
                created=str(raw["created"]),
                id=str(raw["id"]),
                consent=ConsentRecord(**consent) if consent else None,
                dataset=DatasetSummary(**raw.get("dataset", {})),
                models=[ModelVersion(**m) for m in raw.get("models", [])],
                accent=_read_accent(raw.get("accent", DEFAULT_ACCENT)),
                active_model=raw.get("active_model"),
                model_family=_read_family(raw.get("model_family")),
                format_version=int(raw["format_version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptFileError(
                f"{source} is damaged ({exc}). It was left untouched; restore it from a "
                "backup or ask for help with the file."
            ) from exc


def _read_family(value: object) -> str | None:
    if value is not None and value not in MODEL_FAMILY_CHOICES:
        raise ValueError(f"unknown model family {value!r}")
    return value  # type: ignore[return-value]


def _read_accent(value: object) -> str:
    if value not in ACCENT_CHOICES:
        raise ValueError(f"unknown accent setting {value!r}")
    return str(value)


def validate_accent(accent: str) -> str:
    if accent not in ACCENT_CHOICES:
        raise UserInputError(
            f"Unknown accent setting “{accent}”; choose {' or '.join(ACCENT_CHOICES)}."
        )
    return accent


def validate_name(name: str) -> str:
    """Names become folder names, so refuse what a file system would choke on."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise UserInputError("A voice needs a name. Type one, for example “Grandma Rose”.")
    if len(cleaned) > 80:
        raise UserInputError("That name is too long; keep it under 80 characters.")
    if any(ch in cleaned for ch in '/\\:*?"<>|') or cleaned in (".", ".."):
        raise UserInputError('A voice name cannot contain any of / \\ : * ? " < > |')
    return cleaned


def validate_languages(languages: list[str]) -> list[str]:
    unknown = [lang for lang in languages if lang not in SUPPORTED_LANGUAGES]
    if unknown or not languages:
        raise UserInputError(
            f"Unsupported language {', '.join(unknown) or '(none)'}; choose zh and/or en."
        )
    return list(dict.fromkeys(languages))


class Voice:
    """A voice folder and its manifest. ``save`` is the only way the manifest is written."""

    def __init__(self, folder: Path, manifest: VoiceManifest) -> None:
        self.folder = Path(folder)
        self.manifest = manifest

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST_NAME

    def subfolder(self, kind: str) -> Path:
        if kind not in SUBFOLDERS:
            raise ValueError(f"unknown voice subfolder {kind!r}")
        return self.folder / kind

    @classmethod
    def open(cls, folder: Path) -> Voice:
        path = Path(folder) / MANIFEST_NAME
        raw = read_versioned_json(path, "voice manifest", FORMAT_VERSION)
        if raw is None:
            raise CorruptFileError(f"{folder} has no {MANIFEST_NAME}; it is not a voice.")
        return cls(Path(folder), VoiceManifest.from_json(raw, path))

    def save(self) -> None:
        """Write the manifest; a voice whose folder has gone (deleted meanwhile) is refused.

        The folder itself is never created here: re-creating a deleted voice's folder would
        leave a damaged voice beside the real one in the trash.
        """
        if not self.folder.is_dir():
            raise NotFoundError(
                f"“{self.name}” is no longer at {self.folder} (deleted or renamed meanwhile); "
                "nothing was saved there.")
        for kind in SUBFOLDERS:
            self.subfolder(kind).mkdir(exist_ok=True)
        atomic_write_json(self.manifest_path, self.manifest.to_json())

    def add_model_version(self, version: ModelVersion) -> None:
        self.manifest.models.append(version)
        self.save()

    def set_model_family(self, family: str | None) -> None:
        """Remember which GPT-SoVITS family (v2, v2Pro, v2ProPlus) the voice's models use;
        None: the family chosen in Settings."""
        if family is not None and family not in MODEL_FAMILY_CHOICES:
            raise UserInputError(
                f"Unknown model family “{family}”; choose {', '.join(MODEL_FAMILY_CHOICES)}."
            )
        self.manifest.model_family = family
        self.save()

    def set_accent(self, accent: str) -> None:
        self.manifest.accent = validate_accent(accent)
        self.save()

    def latest_model(self) -> ModelVersion | None:
        return self.manifest.models[-1] if self.manifest.models else None

    def model_version(self, version_id: str) -> ModelVersion:
        for version in self.manifest.models:
            if version.version_id == version_id:
                return version
        known = ", ".join(v.version_id for v in self.manifest.models) or "none yet"
        raise NotFoundError(f"“{self.name}” has no model version “{version_id}” ({known}).")

    def active_version(self) -> ModelVersion | None:
        """The version that speaks for this voice: the chosen one, else the newest. A chosen
        version whose entry is gone (deleted by hand) falls back to the newest too."""
        chosen = self.manifest.active_model
        for version in self.manifest.models:
            if version.version_id == chosen:
                return version
        return self.latest_model()

    def set_active_version(self, version_id: str | None) -> None:
        if version_id is not None:
            self.model_version(version_id)  # NotFoundError for an unknown id
        self.manifest.active_model = version_id
        self.save()
