"""Application settings and where VoiceStudio keeps its data.

The data folder is resolved in this order: ``--data-dir`` on the command line, the
``VOICESTUDIO_DATA_DIR`` environment variable, the folder chosen in Settings, and finally the
per-user data folder from platformdirs. Tests and demos set the first two so they never touch
a real user's voices.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import platformdirs

from voicestudio.project.atomic import atomic_write_json

APP_NAME = "VoiceStudio"
DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")
LANGUAGE_CHOICES = ("zh", "en", "auto")
# GPT-SoVITS model families (hub.families says what each is)
MODEL_FAMILY_CHOICES = ("v2", "v2Pro", "v2ProPlus")


def config_dir() -> Path:
    override = os.environ.get("VOICESTUDIO_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def log_dir() -> Path:
    override = os.environ.get("VOICESTUDIO_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME))


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


@dataclass
class Settings:
    """What the person chose in the Settings page; unknown keys in the file are ignored."""

    compute_device: str = "auto"
    data_dir: str = ""
    default_language: str = "zh"
    last_voice: str = ""
    # the base-model family zero-shot speech and new trainings use
    model_family: str = MODEL_FAMILY_CHOICES[0]

    @classmethod
    def load(cls) -> Settings:
        path = config_dir() / "settings.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known and isinstance(v, str)}
        settings = cls(**values)
        if settings.compute_device not in DEVICE_CHOICES:
            settings.compute_device = "auto"
        if settings.default_language not in LANGUAGE_CHOICES:
            settings.default_language = "zh"
        if settings.model_family not in MODEL_FAMILY_CHOICES:
            settings.model_family = MODEL_FAMILY_CHOICES[0]
        return settings

    def save(self) -> None:
        atomic_write_json(config_dir() / "settings.json", asdict(self))


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("VOICESTUDIO_DATA_DIR")
    if env:
        return Path(env).expanduser()
    chosen = Settings.load().data_dir
    return Path(chosen).expanduser() if chosen else default_data_dir()


def base_models_dir(data_dir: Path) -> Path:
    return data_dir / "base-models"
