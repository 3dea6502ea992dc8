"""Joining sentence audio into one clip with natural pauses.

Each sentence is synthesised on its own, so the joins need care: a sentence's audio may start
or end off zero (a click when butted against silence), and S2 can overshoot full scale. As
upstream, a fragment whose peak exceeds 1 is scaled down to 1 (fragment by fragment, so one
loud sentence does not quieten the rest); each fragment gets a few-millisecond fade at both
ends; then silence is inserted: a sentence pause (upstream's ``fragment_interval``, 0.3 s)
between sentences and a longer one where a paragraph ends. Fades do not change lengths, so
every sentence's sample offsets are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from voicestudio.errors import UserInputError

SENTENCE_PAUSE_SECONDS = 0.3
PARAGRAPH_PAUSE_SECONDS = 0.8
FADE_SECONDS = 0.005


@dataclass(frozen=True)
class Pauses:
    """Silence between sentences; a person may set these per narration."""

    sentence_seconds: float = SENTENCE_PAUSE_SECONDS
    paragraph_seconds: float = PARAGRAPH_PAUSE_SECONDS
    fade_seconds: float = FADE_SECONDS

    def validate(self) -> None:
        if min(self.sentence_seconds, self.paragraph_seconds, self.fade_seconds) < 0:
            raise UserInputError("Pauses cannot be negative.")
        if max(self.sentence_seconds, self.paragraph_seconds) > 10:
            raise UserInputError("Pauses longer than 10 seconds are not supported.")


@dataclass(frozen=True)
class JoinedAudio:
    audio: np.ndarray  # (N,) float32
    spans: list[tuple[int, int]]  # (start, end) sample of each fragment in ``audio``


def join_fragments(
    fragments: Sequence[np.ndarray],
    sample_rate: int,
    paragraph_breaks: Sequence[bool] | None = None,
    pauses: Pauses | None = None,
) -> JoinedAudio:
    """Concatenate ``fragments`` with pauses between them (none before the first or after the
    last). ``paragraph_breaks[i]`` True puts the paragraph pause after fragment i.
    """
    pauses = pauses or Pauses()
    pauses.validate()
    breaks = list(paragraph_breaks or [False] * len(fragments))
    if len(breaks) != len(fragments):
        raise ValueError("one paragraph flag per fragment")
    gaps = [pauses.paragraph_seconds if flag else pauses.sentence_seconds for flag in breaks]
    audio, spans = join_with_gaps(fragments, sample_rate, gaps[:-1], pauses.fade_seconds)
    return JoinedAudio(audio, spans)


def join_with_gaps(
    fragments: Sequence[np.ndarray], sample_rate: int, gaps: Sequence[float],
    fade_seconds: float = FADE_SECONDS,
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Concatenate ``fragments`` with ``gaps[i]`` seconds of silence after fragment i (a
    narration sets each pause on its own); returns the audio and each fragment's span."""
    if len(fragments) and len(gaps) != len(fragments) - 1:
        raise ValueError("one gap between each pair of fragments")
    pieces: list[np.ndarray] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for index, fragment in enumerate(fragments):
        if index:
            gap = np.zeros(round(gaps[index - 1] * sample_rate), dtype=np.float32)
            pieces.append(gap)
            position += gap.size
        clean = _faded(_limited(fragment), round(fade_seconds * sample_rate))
        pieces.append(clean)
        spans.append((position, position + clean.size))
        position += clean.size
    audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return audio, spans


def _limited(fragment: np.ndarray) -> np.ndarray:
    """A float32 copy with its peak brought down to 1 when it overshoots (upstream's rule)."""
    out = np.asarray(fragment, dtype=np.float32).reshape(-1).copy()
    peak = float(np.abs(out).max()) if out.size else 0.0
    if peak > 1.0:
        out /= peak
    return out


def _faded(fragment: np.ndarray, fade: int) -> np.ndarray:
    n = min(fade, fragment.size // 2)
    if n:
        ramp = np.linspace(0.0, 1.0, n + 1, dtype=np.float32)[1:]  # (n,) ends at full level
        fragment[:n] *= ramp
        fragment[-n:] *= ramp[::-1]
    return fragment
