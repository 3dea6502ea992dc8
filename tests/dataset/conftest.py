"""A session-wide data folder with tiny base models and Whisper tiny.en, plus test speech.

Models are installed once per session through the registry (the way a person's data folder
holds them), and the Whisper model is loaded once: the services keep it warm by folder.
Each test makes its own voice in that folder, so tests stay independent.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from dataset_speech import (
    INTERRUPTION,
    STORY,
    ScriptedTranscriber,
    install_dataset_models,
    story_audio,
)
from speech import espeak_speech, write_audio

from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice

_names = itertools.count(1)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory, install_speaker_encoder) -> Path:
    """A data folder with the dataset models and the real speaker-check model."""
    data_dir = install_dataset_models(tmp_path_factory.mktemp("dataset-data"))
    install_speaker_encoder(data_dir)
    return data_dir


@pytest.fixture
def make_voice(models_dir):
    def make(languages: tuple[str, ...] = ("en",)) -> Voice:
        return VoiceLibrary(models_dir).create(f"Voice {next(_names)}", list(languages))

    return make


@pytest.fixture(scope="session")
def recordings(tmp_path_factory) -> dict[str, Path]:
    """Input files.

    ``story``: the first three sentences (FLAC); ``story_wav`` and ``story_m4a``: the same
    speech as WAV and M4A (other bytes, the same recording); ``more``: the last three
    sentences (WAV, another recording); ``family``: all six sentences and then a second
    person (WAV); ``family_copy``: ``family``'s bytes under another name; ``broken``: not
    audio.
    """
    from voicestudio.audio.resample import resample

    folder = tmp_path_factory.mktemp("recordings")
    story, rate = story_audio(STORY[:3])
    more, _ = story_audio(STORY[3:])
    full, _ = story_audio(STORY)
    other, other_rate = espeak_speech(INTERRUPTION, "en-us+f3")
    other = resample(np.array(other), other_rate, rate) * 0.5
    family = np.concatenate([full, other, np.zeros(rate // 2, np.float32)])
    broken = folder / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    family_path = write_audio(folder, "family", family, rate, "wav-16")
    copy = folder / "copy of family.wav"
    copy.write_bytes(family_path.read_bytes())
    return {
        "story": write_audio(folder, "story", story, rate, "flac"),
        "story_wav": write_audio(folder, "story", story, rate, "wav-16"),
        "story_m4a": write_audio(folder, "story", story, rate, "m4a"),
        "more": write_audio(folder, "more", more, rate, "wav-16"),
        "family": family_path,
        "family_copy": copy,
        "broken": broken,
    }


@pytest.fixture
def scripted() -> ScriptedTranscriber:
    return ScriptedTranscriber()
