"""Cut a long recording into training-sized segments at its pauses.

The rules follow GPT-SoVITS's slicer (OpenVPI audio-slicer) with its WebUI defaults, so
people who know that tool get the same cuts: a pause is a run of 10 ms frames whose RMS is
under −34 dB lasting at least 300 ms; a cut is only made once the current piece is at least
4 s long; at most 500 ms of each pause stays at a segment's edge. Two additions:

* a maximum length (15 s): longer pieces are split at their quietest moment, because
  GPT-SoVITS training and Whisper both degrade on long clips;
* optional voice-activity refinement: a run the detector calls non-speech also counts as a
  pause (noisy rooms defeat a level threshold), forced splits prefer non-speech moments,
  edges are trimmed to the speech plus a little air, and pieces with no speech are dropped.

Segments keep their source file and sample offsets, so an editor can show them in context.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicestudio.audio.energy import cumulative_energy_at
from voicestudio.audio.voice_activity import (
    SPEECH_THRESHOLD,
    VAD_WINDOW_SECONDS,
    VoiceActivityDetector,
)
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.text.wording import count

# Below this VAD probability a frame counts as a pause even if it is loud (noise, music).
NON_SPEECH_PROBABILITY = 0.15
# Forced splits add this many dB to a frame's level per unit of speech probability, so a
# loud non-speech moment still beats a quiet syllable.
SPEECH_SPLIT_PENALTY_DB = 40.0
# Air kept before the first and after the last detected speech: VAD onsets lag slightly and
# plosive releases / breath tails are quiet but part of the voice.
SPEECH_EDGE_PAD_SECONDS = 0.25
# A piece with less detected speech than this is a cough, click or noise burst.
MIN_SPEECH_SECONDS = 0.3


@dataclass(frozen=True)
class SliceSettings:
    threshold_db: float = -34.0
    min_length_ms: int = 4000
    min_interval_ms: int = 300
    hop_ms: int = 10
    max_silence_kept_ms: int = 500
    max_length_ms: int = 15000
    # Forced splits never leave a piece shorter than this (the short end of the 2–15 s range).
    min_split_piece_ms: int = 2000


@dataclass(frozen=True)
class Segment:
    """A span of a recording, in samples of the rate it was sliced at."""

    source: Path | None
    sample_rate: int
    start_sample: int
    end_sample: int

    @property
    def start_seconds(self) -> float:
        return self.start_sample / self.sample_rate

    @property
    def end_seconds(self) -> float:
        return self.end_sample / self.sample_rate

    @property
    def duration_seconds(self) -> float:
        return (self.end_sample - self.start_sample) / self.sample_rate

    @property
    def file_name(self) -> str:
        """``<source stem>_<start>_<end>.wav`` in samples, the name GPT-SoVITS's slicer uses."""
        stem = self.source.stem if self.source is not None else "segment"
        return f"{stem}_{self.start_sample:010d}_{self.end_sample:010d}.wav"

    def cut(self, samples: np.ndarray) -> np.ndarray:
        """This segment's samples from the recording it was sliced from."""
        return samples[self.start_sample : self.end_sample]


def frame_rms_db(samples: np.ndarray, hop: int, window: int) -> np.ndarray:
    """RMS in dBFS of windows centred on every ``hop``-th sample (zero-padded edges)."""
    x = np.asarray(samples)
    half = window // 2
    # Window k covers [k*hop - half, k*hop - half + window) of the zero-padded signal.
    starts = np.arange(0, x.size // hop + 1) * hop - half
    edges = np.clip(np.concatenate([starts, starts + window]), 0, x.size)
    energy = cumulative_energy_at(x, edges)
    power = (energy[starts.size:] - energy[:starts.size]) / window
    return 10.0 * np.log10(np.maximum(power, 1e-12))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs in a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _quietest(cost: np.ndarray, lo: int, hi: int) -> int:
    """Index of the lowest cost in [lo, hi]; ties go to the middle of the tied stretch."""
    lo, hi = max(lo, 0), min(hi, cost.size - 1)
    window = cost[lo : hi + 1]
    ties = np.flatnonzero(window <= window.min() + 1e-9)
    return lo + int(ties[ties.size // 2])


class SpeechSlicer:
    """Finds segment boundaries; ``vad=None`` gives the plain GPT-SoVITS level-based slicer."""

    def __init__(
        self, settings: SliceSettings | None = None, vad: VoiceActivityDetector | None = None
    ):
        self.settings = settings or SliceSettings()
        self.vad = vad

    def slice(
        self,
        samples: np.ndarray,
        sample_rate: int,
        source: Path | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Segment]:
        s = self.settings
        tracker = ProgressTracker(progress, cancel)
        tracker.report(0.0, "Finding pauses")
        hop = max(1, round(sample_rate * s.hop_ms / 1000))
        ms_to_frames = lambda ms: max(1, round(ms / s.hop_ms))  # noqa: E731
        window = min(round(sample_rate * s.min_interval_ms / 1000), 4 * hop)
        level = frame_rms_db(samples, hop, window)
        pause = level < s.threshold_db
        cost = level.copy()
        speech = None
        if self.vad is not None:
            probs = self.vad.speech_probabilities(samples, sample_rate, tracker.cancel)
            times = np.arange(level.size) * hop / sample_rate
            index = np.minimum((times / VAD_WINDOW_SECONDS).astype(int), probs.size - 1)
            frame_prob = probs[index]
            pause |= frame_prob < NON_SPEECH_PROBABILITY
            cost = cost + SPEECH_SPLIT_PENALTY_DB * frame_prob
            speech = frame_prob >= SPEECH_THRESHOLD
        tracker.report(0.6, "Cutting")

        spans = self._cut_at_pauses(pause, cost, ms_to_frames)
        spans = [piece for span in spans for piece in self._split_long(span, cost, ms_to_frames)]
        if speech is not None:
            spans = self._fit_to_speech(
                spans, speech, round(SPEECH_EDGE_PAD_SECONDS * 1000 / s.hop_ms)
            )
            spans = [
                (a, b)
                for a, b in spans
                if speech[a:b].sum() * s.hop_ms / 1000 >= MIN_SPEECH_SECONDS
            ]
        spans = [(a, b) for a, b in spans if not pause[a:b].all()]

        segments = [
            # Plain ints (not numpy scalars) so segments serialise to JSON project files.
            Segment(
                source,
                sample_rate,
                int(min(a * hop, samples.size)),
                int(min(b * hop, samples.size)),
            )
            for a, b in spans
        ]
        segments = [seg for seg in segments if seg.end_sample > seg.start_sample]
        tracker.report(1.0, count(len(segments), "segment"))
        return segments

    def _cut_at_pauses(self, pause: np.ndarray, cost: np.ndarray, frames) -> list[tuple[int, int]]:
        """Frame spans between qualifying pauses, keeping at most max_silence_kept of each."""
        s = self.settings
        n = pause.size
        keep, min_interval, min_length = (
            frames(s.max_silence_kept_ms),
            frames(s.min_interval_ms),
            frames(s.min_length_ms),
        )
        spans: list[tuple[int, int]] = []
        start = 0
        end_of_audio = n
        for a, b in _runs(pause):
            if a == 0:  # leading silence: start just before the voice
                start = _quietest(cost, max(0, b - keep), b)
                continue
            if b == n:  # trailing silence: end just after the voice
                end_of_audio = _quietest(cost, a, min(n - 1, a + keep))
                continue
            if b - a < min_interval or a - start < min_length:
                continue
            end = _quietest(cost, a, min(b - 1, a + keep))
            next_start = _quietest(cost, max(a, b - keep), b - 1)
            if next_start < end:  # short pause: both edges at one quietest point
                end = next_start = _quietest(cost, a, b - 1)
            spans.append((start, end))
            start = next_start
        if end_of_audio > start:
            spans.append((start, end_of_audio))
        return spans

    def _split_long(self, span: tuple[int, int], cost: np.ndarray, frames) -> list[tuple[int, int]]:
        """Split a too-long span at its quietest frames until every piece fits."""
        max_len, min_piece = (
            frames(self.settings.max_length_ms),
            frames(self.settings.min_split_piece_ms),
        )
        pieces = []
        a, b = span
        while b - a > max_len:
            lo, hi = a + min_piece, min(a + max_len, b - min_piece)
            cut = _quietest(cost, lo, hi) if lo <= hi else a + max_len
            pieces.append((a, cut))
            a = cut
        pieces.append((a, b))
        return pieces

    @staticmethod
    def _fit_to_speech(
        spans: list[tuple[int, int]], speech: np.ndarray, pad: int
    ) -> list[tuple[int, int]]:
        """Trim each span to its detected speech plus ``pad`` frames of air each side."""
        fitted = []
        for a, b in spans:
            voiced = np.flatnonzero(speech[a:b])
            if voiced.size == 0:
                fitted.append((a, b))
                continue
            fitted.append((max(a, a + int(voiced[0]) - pad), min(b, a + int(voiced[-1]) + 1 + pad)))
        return fitted
