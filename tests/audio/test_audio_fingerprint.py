"""One recording in two formats is the same; two takes of the same words are not."""

from __future__ import annotations

import numpy as np
import pytest
from speech import piper_speech, write_audio

from voicestudio.audio.decode import decode_file
from voicestudio.audio.fingerprint import loudness_contour, same_recording

RATE = 32000


@pytest.fixture(scope="module")
def take(tmp_path_factory):
    first, rate = piper_speech("Every summer we drove to the lake with my grandfather.")
    second, _ = piper_speech("He taught me how to fish and how to be patient.")
    pause = np.zeros(rate // 2, np.float32)
    audio = np.concatenate([first, pause, second, pause]) * 0.5
    return audio, rate, tmp_path_factory.mktemp("takes")


def _contour(path):
    decoded = decode_file(path, RATE)
    return loudness_contour(decoded.samples, decoded.sample_rate)


@pytest.mark.parametrize("fmt", ["flac", "mp3", "m4a", "ogg"])
def test_another_format_of_one_recording_is_the_same(take, fmt):
    audio, rate, folder = take
    original = _contour(write_audio(folder, "take", audio, rate, "wav-16"))
    assert same_recording(original, _contour(write_audio(folder, "take", audio * 0.6, rate, fmt)))


def test_another_take_of_the_same_words_is_not(take):
    audio, rate, folder = take
    first, _ = piper_speech("Every summer we drove to the lake with my grandfather.")
    second, _ = piper_speech("He taught me how to fish and how to be patient.")
    # The same sentences said with other pauses: what a second take of a prompt looks like.
    retake = np.concatenate([np.zeros(rate // 4, np.float32), first,
                             np.zeros(rate // 4, np.float32), second,
                             np.zeros(rate // 2, np.float32)]) * 0.5
    original = _contour(write_audio(folder, "take", audio, rate, "wav-16"))
    assert not same_recording(original, _contour(write_audio(folder, "retake", retake, rate,
                                                             "wav-16")))
