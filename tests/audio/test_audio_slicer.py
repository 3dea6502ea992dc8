"""Slicing at pauses: cut points against a signal whose silences are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
from speech import piper_speech

from voicestudio.audio.resample import resample
from voicestudio.audio.slicer import SliceSettings, SpeechSlicer
from voicestudio.errors import JobCancelled
from voicestudio.jobs import CancelToken

RATE = 32000
HOP = 0.01


def build(parts: list[tuple[str, float]], seed: int = 0) -> tuple[np.ndarray, list[tuple]]:
    """Concatenate ("sound"|"pause"|"dip", seconds) parts; returns signal and their spans."""
    rng = np.random.default_rng(seed)
    levels = {"sound": 0.3, "pause": 0.001, "dip": 0.03}  # −10, −60, −30 dBFS (dip > −34)
    pieces, spans, t = [], [], 0.0
    for kind, seconds in parts:
        n = int(round(seconds * RATE))
        pieces.append((rng.standard_normal(n) * levels[kind]).astype(np.float32))
        spans.append((kind, t, t + seconds))
        t += seconds
    return np.concatenate(pieces), spans


def test_cuts_fall_inside_the_known_pauses():
    signal, spans = build(
        [("pause", 1.0), ("sound", 5.0), ("pause", 0.4), ("sound", 4.5), ("pause", 1.5)]
        + [("sound", 2.0), ("pause", 0.2), ("sound", 3.0), ("pause", 0.8), ("sound", 6.0)]
        + [("pause", 2.0)]
    )
    segments = SpeechSlicer().slice(signal, RATE)
    sounds = [(a, b) for kind, a, b in spans if kind == "sound"]
    # The 0.2 s pause is shorter than min_interval (300 ms): 2 s + 3 s stay one segment.
    expected = [[sounds[0]], [sounds[1]], [sounds[2], sounds[3]], [sounds[4]]]
    assert len(segments) == len(expected)
    keep = SliceSettings().max_silence_kept_ms / 1000
    for segment, covered in zip(segments, expected, strict=True):
        first, last = covered[0][0], covered[-1][1]
        # Every sound sample is inside its segment (within one hop of RMS smearing) ...
        assert segment.start_seconds <= first + HOP and segment.end_seconds >= last - HOP
        # ... and at most max_silence_kept of each pause stays at the edges.
        assert segment.start_seconds >= first - keep - HOP
        assert segment.end_seconds <= last + keep + 2 * HOP
    for left, right in zip(segments, segments[1:], strict=False):
        assert left.end_sample <= right.start_sample


def test_short_pieces_merge_until_min_length():
    signal, spans = build(
        [("sound", 1.5), ("pause", 0.5), ("sound", 1.5), ("pause", 0.5), ("sound", 1.5)]
        + [("pause", 0.5), ("sound", 5.0)]
    )
    segments = SpeechSlicer().slice(signal, RATE)
    # 1.5 + 0.5 + 1.5 = 3.5 s < 4 s, so the first cut comes after the third sound.
    assert len(segments) == 2
    assert spans[4][2] - HOP <= segments[0].end_seconds <= spans[5][2]
    assert spans[5][1] <= segments[1].start_seconds <= spans[6][1] + HOP


def test_too_long_pieces_split_at_the_quietest_moment():
    # 24 s without a real pause; a quieter stretch (still above −34 dB) at 11–11.4 s.
    signal, spans = build([("sound", 11.0), ("dip", 0.4), ("sound", 12.6)])
    segments = SpeechSlicer().slice(signal, RATE)
    assert len(segments) == 2
    dip_start, dip_end = spans[1][1], spans[1][2]
    assert dip_start - HOP <= segments[0].end_seconds <= dip_end + HOP
    assert segments[0].end_sample == segments[1].start_sample
    assert all(s.duration_seconds <= 15.0 for s in segments)


def test_max_length_is_enforced_even_without_any_quiet_moment():
    signal, _ = build([("sound", 40.0)])
    segments = SpeechSlicer().slice(signal, RATE)
    assert all(2.0 <= s.duration_seconds <= 15.0 for s in segments)
    assert segments[0].start_sample == 0 and segments[-1].end_sample == signal.size
    assert sum(s.duration_seconds for s in segments) == pytest.approx(40.0, abs=0.02)


def test_segments_know_their_source_and_offsets(tmp_path):
    signal, _ = build([("pause", 1.0), ("sound", 5.0), ("pause", 1.0), ("sound", 5.0)])
    source = tmp_path / "tape.wav"
    segments = SpeechSlicer().slice(signal, RATE, source=source)
    for segment in segments:
        assert segment.source == source and segment.sample_rate == RATE
        assert type(segment.start_sample) is int and type(segment.end_sample) is int
        assert segment.start_seconds == segment.start_sample / RATE
        np.testing.assert_array_equal(
            segment.cut(signal), signal[segment.start_sample : segment.end_sample]
        )
        assert segment.file_name == (
            f"tape_{segment.start_sample:010d}_{segment.end_sample:010d}.wav"
        )


def test_forced_splits_work_with_any_settings():
    settings = SliceSettings(max_length_ms=3000, min_split_piece_ms=2000)
    segments = SpeechSlicer(settings).slice(build([("sound", 10.0)])[0], RATE)
    assert all(s.duration_seconds <= 3.0 for s in segments)
    assert sum(s.duration_seconds for s in segments) == pytest.approx(10.0, abs=0.02)


def test_silence_only_gives_no_segments():
    signal, _ = build([("pause", 5.0)])
    assert SpeechSlicer().slice(signal, RATE) == []


def test_cancel_is_honoured():
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(JobCancelled):
        SpeechSlicer().slice(build([("sound", 5.0)])[0], RATE, cancel=cancel)


def test_voice_activity_drops_noise_and_trims_to_speech(vad):
    speech, rate = piper_speech("This sentence is the only speech in the recording.")
    speech = resample(np.array(speech), rate, RATE)
    rng = np.random.default_rng(3)
    noise_burst = (rng.standard_normal(int(2.5 * RATE)) * 0.2).astype(np.float32)
    gap = np.zeros(int(1.0 * RATE), np.float32)
    signal = np.concatenate([gap, speech, gap, noise_burst, gap])
    voiced = np.flatnonzero(np.abs(speech) > 0.01)  # Piper pads its output with silence
    speech_start, speech_end = (gap.size + voiced[[0, -1]]) / RATE

    plain = SpeechSlicer(SliceSettings(min_length_ms=1000)).slice(signal, RATE)
    refined = SpeechSlicer(SliceSettings(min_length_ms=1000), vad=vad).slice(signal, RATE)

    assert len(plain) == 2  # the level-only slicer keeps the noise burst ...
    assert len(refined) == 1  # ... voice activity detection drops it
    (segment,) = refined
    # Trimmed to the speech with a little air (0.25 s pad), the noise burst left out.
    assert speech_start - 0.5 <= segment.start_seconds <= speech_start
    assert speech_end <= segment.end_seconds <= speech_end + 0.5


def test_the_last_progress_line_counts_segments_in_english():
    """dataset add shows the slicer's last line ("one.wav: 1 segment"), never "1 segments"."""
    signal, _ = build([("pause", 0.5), ("sound", 5.0), ("pause", 0.5)])
    lines: list[str] = []
    segments = SpeechSlicer().slice(signal, RATE, progress=lambda p: lines.append(p.message))
    assert len(segments) == 1 and lines[-1] == "1 segment"
