"""Transcription with local faster-whisper models (tiny.en and multilingual base)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from speech import piper_speech, word_error_rate

from voicestudio.audio.resample import resample
from voicestudio.audio.slicer import SpeechSlicer
from voicestudio.audio.transcribe import (
    Transcriber,
    choose_compute_type,
    choose_whisper_model,
)
from voicestudio.errors import MissingModelError, UserInputError

SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank."
STORY = [
    "Every summer we drove to the lake with my grandfather.",
    "He taught me how to fish and how to be patient.",
    "In the evening we cooked dinner by the fire.",
]




def test_word_error_rate_helper_counts_errors():
    assert word_error_rate("a b c d", "A, b c d.") == 0.0
    assert word_error_rate("a b c d", "a x c") == 0.5


def test_tiny_en_transcribes_piper_speech(tiny_en):
    audio, rate = piper_speech(SENTENCE)
    result = tiny_en.transcribe(np.array(audio), rate)

    assert word_error_rate(SENTENCE, result.text) <= 0.1, result.text
    assert result.language == "en" and tiny_en.compute_type == "int8"
    assert result.confidence > 0.6 and result.no_speech_probability < 0.5
    assert [w.text.strip(".,").lower() for w in result.words][:3] == ["the", "quick", "brown"]
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    assert all(w.start <= w.end <= audio.size / rate + 0.1 for w in result.words)


def test_english_only_model_refuses_another_language(tiny_en):
    audio, rate = piper_speech(SENTENCE)
    with pytest.raises(UserInputError, match="English only"):
        tiny_en.transcribe(np.array(audio), rate, language="zh")


def test_multilingual_base_detects_english(whisper_base_dir):
    base = Transcriber(whisper_base_dir, device="cpu")
    audio, rate = piper_speech(SENTENCE)
    result = base.transcribe(np.array(audio), rate)

    assert base.multilingual
    assert result.language == "en" and result.language_probability > 0.5
    assert word_error_rate(SENTENCE, result.text) <= 0.1, result.text
    assert base.transcribe(np.array(audio), rate, language="en").language == "en"


def test_sliced_recording_is_transcribed_segment_by_segment(tiny_en, vad):
    pieces = []
    for line in STORY:
        audio, rate = piper_speech(line)
        pieces += [resample(np.array(audio), rate, 32000), np.zeros(32000, np.float32)]
    recording = np.concatenate(pieces)
    segments = SpeechSlicer(vad=vad).slice(recording, 32000)
    results = [tiny_en.transcribe(s.cut(recording), s.sample_rate) for s in segments]

    assert len(results) == len(segments) >= 2
    assert word_error_rate(" ".join(STORY), " ".join(r.text for r in results)) <= 0.1


def test_missing_or_incomplete_model_folder(tmp_path, tiny_en_dir):
    with pytest.raises(MissingModelError, match="not installed"):
        Transcriber(tmp_path / "whisper-small")
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(tiny_en_dir / "config.json", partial / "config.json")
    with pytest.raises(MissingModelError, match="not a complete speech-recognition model"):
        Transcriber(partial)


def test_damaged_model_file(tmp_path, tiny_en_dir):
    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_en_dir, damaged, ignore=shutil.ignore_patterns("model.bin"))
    (damaged / "model.bin").write_bytes(b"\0" * 1024)
    with pytest.raises(MissingModelError, match="could not be loaded"):
        Transcriber(damaged)


@pytest.mark.parametrize(
    ("language", "on_gpu", "memory", "cores", "expected"),
    [
        ("en", False, None, 2, "base.en"),
        ("en", False, None, 16, "small.en"),
        ("zh", False, None, 4, "base"),
        (None, False, None, 8, "small"),
        ("en", True, 24.0, 8, "medium.en"),
        ("ja", True, 24.0, 8, "medium"),
        ("zh", True, 4.0, 8, "small"),
    ],
)
def test_model_size_choice(language, on_gpu, memory, cores, expected):
    assert choose_whisper_model(language, on_gpu, memory, cores) == expected


def test_compute_type_choice():
    assert choose_compute_type("cpu") == "int8"
