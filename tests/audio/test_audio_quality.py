"""Quality flags per segment, and spotting the segments spoken by somebody else."""

from __future__ import annotations

import numpy as np
import pytest
from speech import espeak_speech, piper_speech

from voicestudio.audio.quality import QualityFlag, assess_segment
from voicestudio.audio.resample import resample
from voicestudio.audio.slicer import SliceSettings, SpeechSlicer
from voicestudio.audio.speakers import (
    majority_similarities,
    speaker_embedder,
    speaker_similarities,
)

SENTENCE = "Please call Stella and ask her to bring these things with her from the store."
RATE = 32000


@pytest.fixture(scope="module")
def clean():
    audio, rate = piper_speech(SENTENCE)
    return resample(np.array(audio), rate, RATE)


def flags(samples, **kwargs) -> set[QualityFlag]:
    return set(assess_segment(samples, RATE, **kwargs).flags)


def test_clean_speech_raises_no_flag(clean):
    quality = assess_segment(clean, RATE)
    assert quality.flags == ()
    assert quality.snr_db > 30 and -20 < quality.speech_level_dbfs < -5


def test_clipping_is_flagged(clean):
    clipped = np.clip(clean * 4, -1.0, 1.0)
    quality = assess_segment(clipped, RATE)
    assert QualityFlag.CLIPPING in quality.flags and quality.clipped_fraction > 0.01
    # The import gain is undone through full_scale: a normalised copy is still clipped.
    assert QualityFlag.CLIPPING in flags(clipped * 0.3, full_scale=0.3)
    assert QualityFlag.CLIPPING not in flags(clean)


def test_background_noise_is_flagged(clean):
    rng = np.random.default_rng(0)
    noisy = clean + rng.standard_normal(clean.size).astype(np.float32) * 0.05  # −26 dBFS hiss
    faint = clean + rng.standard_normal(clean.size).astype(np.float32) * 0.003  # −50 dBFS
    quality = assess_segment(noisy, RATE)
    assert QualityFlag.NOISY in quality.flags and quality.snr_db < 20
    assert QualityFlag.NOISY not in flags(faint)


def test_quiet_recording_is_flagged_even_after_normalisation(clean):
    gain = 300.0
    quiet = clean * (1 / gain)
    assert QualityFlag.TOO_QUIET in flags(quiet)
    assert QualityFlag.TOO_QUIET in flags(quiet * gain, full_scale=gain)
    assert QualityFlag.TOO_QUIET not in flags(clean)


def test_length_confidence_and_speaker_flags(clean):
    # Half a second from the middle of the sentence: Piper's lead-in silence varies from run
    # to run, and the first half second alone was once quiet enough to be "too quiet" too.
    middle = len(clean) // 2
    assert flags(clean[middle - RATE // 4: middle + RATE // 4]) == {QualityFlag.TOO_SHORT}
    assert flags(np.tile(clean, 5)) == {QualityFlag.TOO_LONG}
    assert flags(clean, transcript_confidence=0.3) == {QualityFlag.UNSURE_TRANSCRIPT}
    assert flags(clean, transcript_confidence=0.9) == set()
    assert flags(clean, speaker_similarity=0.5) == {QualityFlag.OTHER_SPEAKER}
    assert all(assess_segment(np.clip(clean * 4, -1, 1), RATE).messages)


def test_majority_is_found_even_when_the_mean_would_mislead():
    rng = np.random.default_rng(0)
    main, other = rng.standard_normal(256), rng.standard_normal(256)
    embeddings = [main + 0.2 * rng.standard_normal(256) for _ in range(3)]
    embeddings += [other + 0.2 * rng.standard_normal(256) for _ in range(2)]
    similarities = majority_similarities(np.array(embeddings))
    assert (similarities[:3] > 0.9).all() and (similarities[3:] < 0.3).all()
    assert majority_similarities(np.array(embeddings[:2])) is None


def test_the_minority_speaker_is_flagged(vad, tmp_path, install_speaker_encoder):
    main = [
        "Every summer we drove to the lake with my grandfather.",
        "He taught me how to fish and how to be patient.",
        "In the evening we cooked dinner by the fire.",
        "The stars were brighter there than anywhere else.",
    ]
    other = ["Grandpa, can we go swimming tomorrow?", "I caught a really big fish today!"]
    order = [("piper", main[0]), ("espeak", other[0]), ("piper", main[1])]
    order += [("piper", main[2]), ("espeak", other[1]), ("piper", main[3])]
    pieces, truth, t = [], [], 0.0
    for voice, text in order:
        audio, rate = piper_speech(text) if voice == "piper" else espeak_speech(text, "en-us+f3")
        audio = resample(np.array(audio), rate, RATE)
        pieces += [audio, np.zeros(RATE, np.float32)]
        truth.append((voice, t, t + audio.size / RATE))
        t += audio.size / RATE + 1.0
    recording = np.concatenate(pieces)

    segments = SpeechSlicer(SliceSettings(min_length_ms=1500), vad=vad).slice(recording, RATE)
    assert len(segments) == len(order)
    install_speaker_encoder(tmp_path)
    similarities = speaker_similarities([s.cut(recording) for s in segments], RATE,
                                        speaker_embedder(tmp_path))
    qualities = [
        assess_segment(s.cut(recording), RATE, speaker_similarity=float(sim))
        for s, sim in zip(segments, similarities, strict=True)
    ]
    flagged = [QualityFlag.OTHER_SPEAKER in q.flags for q in qualities]
    expected = [voice == "espeak" for voice, _, _ in truth]
    assert flagged == expected, np.round(similarities, 3)


def test_looping_or_wrong_script_transcripts_are_garbled():
    from voicestudio.audio.quality import is_garbled_transcript

    garbled = [("Get 1-2-1-2-1-2-1-2-1-2-1-2", "en"), ("Thank you. Thank you. Thank you.", "en"),
               ("好好好好好好好好好", "zh"), ("Hello there my friend", "zh"),
               ("今天天气很好", "en")]
    fine = [("My grandfather planted this tree when he was young and strong.", "en"),
            ("今天天气很好，我们一起去公园散步吧。", "zh"), ("我用iPhone拍的。", "zh"),
            ("No, no, no, I said it was the other one.", "en"), ("Yes.", "en")]
    assert [is_garbled_transcript(t, lang) for t, lang in garbled] == [True] * len(garbled)
    assert [is_garbled_transcript(t, lang) for t, lang in fine] == [False] * len(fine)
