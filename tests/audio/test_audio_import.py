"""Batch import: good files come in normalised, each bad file is skipped with its own reason."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from speech import piper_speech, write_audio

from voicestudio.audio.importer import import_files
from voicestudio.audio.loudness import TARGET_LUFS, integrated_loudness
from voicestudio.errors import JobCancelled
from voicestudio.jobs import CancelToken

TEXT = "My grandmother told this story every winter."


@pytest.fixture()
def batch(tmp_path):
    audio, rate = piper_speech(TEXT)
    quiet = np.array(audio) * 0.05  # an old, quiet voicemail
    good_wav = write_audio(tmp_path, "voicemail", quiet, rate, "wav-16")
    good_m4a = write_audio(tmp_path, "interview", np.array(audio) * 0.7, rate, "m4a")
    corrupt = tmp_path / "tape.mp3"
    corrupt.write_bytes(b"ID3" + np.random.default_rng(2).bytes(4000))
    silent = tmp_path / "silent.flac"
    sf.write(silent, np.zeros(22050, np.float32), 22050)
    empty = tmp_path / "empty.wav"
    empty.touch()
    missing = tmp_path / "moved.ogg"
    return [good_wav, corrupt, silent, good_m4a, empty, missing]


def test_batch_continues_past_bad_files(batch):
    reports = []
    report = import_files(batch, progress=reports.append)

    assert [r.source.name for r in report.imported] == ["voicemail.wav", "interview.m4a"]
    reasons = {path.name: message for path, message in report.skipped}
    assert list(reasons) == ["tape.mp3", "silent.flac", "empty.wav", "moved.ogg"]
    assert "could not be read" in reasons["tape.mp3"]
    assert "it is silent" in reasons["silent.flac"]
    assert "is empty" in reasons["empty.wav"]
    assert "was not found" in reasons["moved.ogg"]
    assert len(set(reasons.values())) == 4
    for name, message in reasons.items():
        assert f"‘{name}’" in message and "Traceback" not in message

    fractions = [r.fraction for r in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_imported_audio_is_normalised_and_remembers_the_gain(batch):
    quiet = import_files(batch[:1]).imported[0]
    assert quiet.sample_rate == 32000 and quiet.original_sample_rate == 22050
    assert integrated_loudness(quiet.samples, 32000) == pytest.approx(TARGET_LUFS, abs=0.1)
    assert quiet.original_loudness_lufs < -40  # it really was quiet
    assert quiet.gain > 10
    assert np.abs(quiet.samples).max() <= 10 ** (-1 / 20) + 1e-6


def test_cancel_stops_between_files(batch):
    cancel = CancelToken()
    seen = []

    def progress(p):
        seen.append(p)
        if len(seen) == 2:
            cancel.cancel()

    with pytest.raises(JobCancelled):
        import_files(batch, progress=progress, cancel=cancel)
    assert len(seen) == 2
