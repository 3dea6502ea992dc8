"""Level-meter numbers for the microphone: loudness, peak with hold and decay, clipping.

Plain classes fed with blocks of samples (by the recorder's writer thread, never the audio
callback) and read by a widget on a timer. Time is counted in samples, not wall-clock
seconds, so the hold and decay behave the same under test as on a live microphone.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from voicestudio.audio.quality import CLIP_LEVEL

SILENCE_DB = -90.0
# A peak stays on the meter this long before it falls, so a person can read it.
PEAK_HOLD_SECONDS = 1.5
PEAK_DECAY_DB_PER_SECOND = 20.0
# The clipping light stays on this long after the last clipped sample.
CLIP_LIGHT_SECONDS = 2.0


def to_db(amplitude: float) -> float:
    return max(20.0 * math.log10(amplitude), SILENCE_DB) if amplitude > 0 else SILENCE_DB


@dataclass(frozen=True)
class MeterReading:
    rms_db: float  # loudness of the latest block
    peak_db: float  # highest recent peak, held then decaying
    clipping: bool  # a sample reached full scale within the last CLIP_LIGHT_SECONDS
    clipped_blocks: int  # how many blocks clipped since the meter was reset


class LevelMeter:
    """RMS, held peak and clipping light of a live signal; safe to read from another thread."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = int(sample_rate)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._rms_db = SILENCE_DB
            self._peak_db = SILENCE_DB
            self._since_peak = math.inf  # samples since the held peak was set
            self._since_clip = math.inf
            self._clipped_blocks = 0

    def update(self, block: np.ndarray) -> None:
        x = np.asarray(block, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return
        rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
        peak = float(np.max(np.abs(x)))
        with self._lock:
            self._rms_db = to_db(rms)
            self._since_peak += x.size
            self._since_clip += x.size
            held = self._held_peak()
            if to_db(peak) >= held:
                self._peak_db, self._since_peak = to_db(peak), 0
            if peak >= CLIP_LEVEL:
                self._since_clip = 0
                self._clipped_blocks += 1

    def _held_peak(self) -> float:
        hold = PEAK_HOLD_SECONDS * self.sample_rate
        if self._since_peak <= hold:
            return self._peak_db
        fallen = (self._since_peak - hold) / self.sample_rate * PEAK_DECAY_DB_PER_SECOND
        return max(self._peak_db - fallen, SILENCE_DB)

    def reading(self) -> MeterReading:
        with self._lock:
            return MeterReading(
                rms_db=self._rms_db,
                peak_db=self._held_peak(),
                clipping=self._since_clip <= CLIP_LIGHT_SECONDS * self.sample_rate,
                clipped_blocks=self._clipped_blocks,
            )
