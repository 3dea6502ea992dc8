"""Our GE2E speaker encoder with the real resemblyzer weights: it tells two voices apart at
the threshold the speaker check uses, shortens pauses, and never runs a booby-trapped file."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from speech import espeak_speech, piper_speech

from voicestudio.audio.resample import resample
from voicestudio.audio.speakers import (
    SAME_SPEAKER_SIMILARITY,
    SpeakerEmbedder,
    shorten_pauses,
    speaker_embedder,
)
from voicestudio.audio.voice_activity import VoiceActivityDetector
from voicestudio.errors import CorruptFileError
from voicestudio.models.safe_pickle import UnsafeModelFileError
from voicestudio.models.speaker_encoder import (
    HOP,
    MIN_LAST_COVERAGE,
    PARTIAL_FRAMES,
    load_speaker_encoder,
    partial_starts,
)

SENTENCES = [
    "My grandfather told us stories about the war.",
    "Happy birthday to you, and many more years to come.",
    "The quick brown fox jumps over the lazy dog, twice, before breakfast.",
]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory, install_speaker_encoder) -> SpeakerEmbedder:
    data_dir = tmp_path_factory.mktemp("speaker-data")
    install_speaker_encoder(data_dir)
    return speaker_embedder(data_dir)


def test_two_voices_fall_on_either_side_of_the_same_speaker_threshold(embedder):
    piper = [embedder.embed(*piper_speech(text)) for text in SENTENCES]
    espeak = [embedder.embed(*espeak_speech(text, "en-us+f3")) for text in SENTENCES[:2]]
    everyone = np.array(piper + espeak)
    similarity = np.round(everyone @ everyone.T, 3)
    same_piper = similarity[:3, :3][np.triu_indices(3, 1)]
    # Piper speaks with random variation (its noise scale), so the figures move a little
    # between runs: one voice measures ~0.80-0.93 here, the other voice ~0.38-0.48.
    assert (same_piper >= SAME_SPEAKER_SIMILARITY).all(), similarity
    assert similarity[3, 4] >= SAME_SPEAKER_SIMILARITY, similarity
    assert (similarity[:3, 3:] < SAME_SPEAKER_SIMILARITY - 0.15).all(), similarity
    assert all(abs(float(np.linalg.norm(e)) - 1.0) < 1e-5 for e in piper + espeak)


def test_a_long_pause_is_shortened_and_the_speech_kept():
    speech, rate = piper_speech(SENTENCES[0])
    speech = resample(np.array(speech), rate, 16000)
    pause = np.zeros(3 * 16000, np.float32)
    clip = np.concatenate([speech, pause, speech])
    shortened = shorten_pauses(clip, VoiceActivityDetector())
    removed = (clip.size - shortened.size) / 16000
    # The 3 s pause shrinks to at most ~0.25 s; the speech on both sides stays (the detector
    # may also drop a little of each sentence's own leading and trailing quiet).
    assert 2.75 <= removed <= 3.0 + 2 * 0.3
    assert shortened.size >= 2 * speech.size - 2 * 0.3 * 16000


def test_partials_cover_the_clip_and_a_too_short_last_one_is_dropped():
    assert partial_starts(16000) == ([0], PARTIAL_FRAMES * HOP)  # 1 s: one padded partial
    for seconds in (2.0, 3.3, 7.7, 12.0):
        n = int(seconds * 16000)
        starts, padded = partial_starts(n)
        assert starts[0] == 0 and np.all(np.diff(starts) == 77)
        assert (n - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP) >= MIN_LAST_COVERAGE
        assert padded == (starts[-1] + PARTIAL_FRAMES) * HOP


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("echo owned > /dev/null",))


def test_a_weights_file_that_would_run_code_or_does_not_fit_is_refused(tmp_path):
    trapped = tmp_path / "trapped.pt"
    torch.save({"model_state": {"lstm.weight_ih_l0": torch.zeros(1)}, "x": _RunsCode()},
               trapped)
    with pytest.raises(UnsafeModelFileError):
        load_speaker_encoder(trapped)

    other = tmp_path / "other.pt"
    torch.save({"model_state": {"lstm.weight_ih_l0": torch.zeros(4, 40)}}, other)
    with pytest.raises(CorruptFileError, match="does not fit the speaker encoder"):
        load_speaker_encoder(other)

    no_state = tmp_path / "no-state.pt"
    torch.save({"weights": {}}, no_state)
    with pytest.raises(CorruptFileError, match="no model_state inside"):
        load_speaker_encoder(no_state)
