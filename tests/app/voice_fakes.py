"""Stand-ins the pages' tests share: speech-like test clips and a sound card that only listens.

Audio output is replaced here, at the device layer (``AudioPlayer``), and nowhere above it.
"""

from __future__ import annotations

import numpy as np

from voicestudio.audio.playback import NoAudioOutputError
from voicestudio.project.voice import Voice, now_iso

SAMPLE_RATE = 32000


def speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    """Voiced 'syllables' (harmonics under a smooth envelope) with pauses: enough for the
    reference checks, which look at levels, length and clipping, not at words."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    t = 0.0
    while t < seconds - 0.3:
        n = int(rng.uniform(0.12, 0.22) * SAMPLE_RATE)
        start = int(t * SAMPLE_RATE)
        time = np.arange(n) / SAMPLE_RATE
        f0 = rng.uniform(110, 190)
        tone = sum(np.sin(2 * np.pi * f0 * k * time) / k for k in range(1, 6))
        out[start:start + n] += (0.2 * np.hanning(n) * tone).astype(np.float32)
        t += n / SAMPLE_RATE + (0.35 if rng.random() < 0.15 else 0.03)
    return out


class FakePlayer:
    """Stands in for the sound card: remembers what it was asked to play."""

    def __init__(self) -> None:
        self.played: list[tuple[np.ndarray, int]] = []
        self.is_playing = False

    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        self.played.append((samples, sample_rate))
        self.is_playing = True

    def stop(self) -> None:
        self.is_playing = False


class NoOutputPlayer(FakePlayer):
    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        raise NoAudioOutputError("no default output device")


def add_segments(voice: Voice, segments: list[tuple[str, float, str, bool]], lang: str) -> list:
    """Give ``voice`` one take cut into speech-like segments (id, seconds, text, checked)."""
    from voicestudio.project.segments import Dataset, SegmentRecord, TakeRecord  # torch

    dataset = Dataset.open(voice)
    records = []
    for seg_id, seconds, text, checked in segments:
        path, digest = dataset.write_segment_audio(seg_id, speech_like(seconds, len(seg_id)))
        records.append(SegmentRecord(
            id=seg_id, take_id="take", sample_rate=SAMPLE_RATE, start_sample=0,
            end_sample=int(seconds * SAMPLE_RATE), audio_path=path, audio_sha256=digest,
            text=text, lang=lang, text_checked=checked))
    total = sum(seconds for _id, seconds, _text, _checked in segments)
    dataset.add_take(TakeRecord("take", "takes/take.wav", "take.wav", "0" * 64, now_iso(),
                                total, 1.0, SAMPLE_RATE, 1), records)
    return records
