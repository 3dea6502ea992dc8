"""Reference clip checks: every bad reference gets its own message or its fix."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from speech import write_audio
from synth_signals import babble

from voicestudio.synthesis.reference import (
    PROMPT_PAD_SAMPLES,
    ReferenceError,
    load_reference,
    prepare_reference,
)

SR = 32000


def test_good_clip_is_used_whole_with_its_transcript():
    clip = babble(5.0)
    ref = prepare_reference(clip, SR, "  hello there  ")
    assert ref.text == "hello there"
    assert (ref.start_seconds, ref.end_seconds) == (0.0, 5.0)
    assert ref.wav_32k.size == clip.size and ref.wav_16k.size == 5 * 16000
    assert np.array_equal(ref.wav_32k, clip)  # no level change, no fade on an untouched clip
    hubert = ref.hubert_input
    assert hubert.size == 5 * 16000 + PROMPT_PAD_SAMPLES and not hubert[-PROMPT_PAD_SAMPLES:].any()
    assert ref.warnings == () and ref.notes == ()


def test_too_short_is_refused_with_its_length():
    with pytest.raises(ReferenceError, match=r"2\.0 s long.*3 to 10 second"):
        prepare_reference(babble(2.0), SR, "hi")


def test_silent_and_near_silent_clips_are_refused(tmp_path):
    with pytest.raises(ReferenceError, match="silent"):
        load_reference(write_audio(tmp_path, "zeros", np.zeros(SR * 5), SR), "text")
    hiss = np.random.default_rng(0).normal(0, 10 ** (-70 / 20), SR * 5)  # -70 dBFS noise
    with pytest.raises(ReferenceError, match="silent"):
        prepare_reference(hiss, SR, "text")


def test_badly_clipped_is_refused_and_lightly_clipped_is_warned():
    clip = babble(5.0)
    with pytest.raises(ReferenceError, match="distorted.*clipped"):
        prepare_reference(np.clip(clip * 8, -1, 1), SR, "text")
    light = clip.copy()
    light[np.argsort(np.abs(light))[-int(0.005 * light.size):]] = 1.0  # 0.5 % at full scale
    ref = prepare_reference(light, SR, "text")
    assert len(ref.warnings) == 1 and "clipped" in ref.warnings[0]


def test_loud_float_file_is_scaled_not_called_clipped():
    clip = babble(5.0, level=1.2)
    peak = float(np.abs(clip).max())
    assert 1.0 < peak < 2.0
    ref = prepare_reference(clip, SR, "text")
    assert ref.warnings == ()
    assert np.abs(ref.wav_32k).max() == pytest.approx(1.0, abs=1e-6)  # divided by min(2, peak)


def test_long_clip_with_silent_ends_keeps_its_transcript():
    silence = np.zeros(int(2.5 * SR), dtype=np.float32)
    clip = np.concatenate([silence, babble(7.0), silence])  # 12 s, 7 s of speech
    ref = prepare_reference(clip, SR, "the words")
    assert ref.text == "the words" and ref.warnings == ()
    assert 7.0 <= ref.seconds <= 7.6 and 2.0 <= ref.start_seconds <= 2.5
    assert "Trimmed silence" in ref.notes[0]


def test_long_speech_uses_the_best_window_and_drops_the_transcript():
    clip = babble(24.0, seed=1)
    clip[: 8 * SR] = np.clip(clip[: 8 * SR] * 10, -1, 1)  # the first 8 s are distorted
    ref = prepare_reference(clip, SR, "a transcript of all 24 seconds")
    assert ref.text == ""  # S1 gets no prompt: the words no longer match the audio
    assert 3.0 <= ref.seconds <= 10.0 and ref.start_seconds >= 8.0
    assert "only the sound of the voice" in ref.warnings[0]
    # both cuts fall in pauses: the window starts and ends quietly
    edge = int(0.05 * SR)
    start, end = int(ref.start_seconds * SR), int(ref.end_seconds * SR)
    assert np.abs(clip[start:start + edge]).max() < 0.05
    assert np.abs(clip[end - edge:end]).max() < 0.05


def test_long_clip_is_refused_when_trimming_is_off():
    with pytest.raises(ReferenceError, match=r"24\.0 s long.*Cut it"):
        prepare_reference(babble(24.0), SR, "text", trim_long=False)


def test_stereo_48k_wav_and_mp3_are_converted(tmp_path):
    clip48 = babble(5.0, sample_rate=48000)
    stereo = np.stack([clip48, 0.5 * clip48], axis=1)  # (n, 2)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo, 48000, subtype="PCM_24")
    ref = load_reference(path, "text")
    assert any("stereo" in note for note in ref.notes)
    assert any("48000 Hz" in note for note in ref.notes)
    assert ref.wav_32k.size == 5 * 32000 and ref.wav_16k.size == 5 * 16000

    mp3 = load_reference(write_audio(tmp_path, "clip", babble(5.0, 44100), 44100, "mp3"), "t")
    assert any("MP3" in note for note in mp3.notes)
    assert 4.9 < mp3.seconds < 5.2 and mp3.text == "t"
