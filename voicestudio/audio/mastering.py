"""Audiobook mastering and measurement: loudness, peaks, noise floor and room tone.

Audiobook distributors check each file against a few figures (ACX's are the best known):
the RMS level of the whole file, the highest peak, the noise floor (the quietest half
second), and how much room tone opens and closes it. ``measure`` computes exactly those
figures; ``master`` brings a file inside a set of ``LoudnessRules``:

1. room tone at the head and tail (a quiet, even noise rather than digital silence, which
   also fills the pauses between sentences);
2. gain to the middle of the RMS range;
3. a look-ahead peak limiter under the peak ceiling (its gain never rises above what the
   loudest sample in the window allows, so no sample passes the ceiling);
4. steps 2 and 3 once more, since limiting lowers the RMS a little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from voicestudio.audio.publishing import LoudnessRules

FRAME_SECONDS = 0.02
FLOOR_WINDOW_SECONDS = 0.5
SPEECH_THRESHOLD_DBFS = -45.0  # a 20 ms frame above this is sound, below it room tone
ROOM_TONE_DBFS = -72.0
LIMITER_LOOKAHEAD_SECONDS = 0.005
PEAK_MARGIN_DB = 1.0  # master this far under the ceiling: lossy encoders add overshoot


@dataclass(frozen=True)
class Measurement:
    seconds: float
    rms_db: float
    peak_db: float  # true peak estimate (4x oversampled)
    noise_floor_db: float  # RMS of the quietest half second
    head_seconds: float  # room tone before the first sound
    tail_seconds: float  # room tone after the last sound


def _db(value: float) -> float:
    return float(20 * np.log10(max(value, 1e-10)))


def _frame_rms(audio: np.ndarray, size: int) -> np.ndarray:
    n = audio.size // size
    frames = audio[: n * size].reshape(n, size).astype(np.float64)
    return np.sqrt(np.mean(frames**2, axis=1))


def true_peak(audio: np.ndarray) -> float:
    """The peak of the signal between samples too (4x oversampling), as linear amplitude."""
    if audio.size == 0:
        return 0.0
    sample_peak = float(np.max(np.abs(audio)))
    over = resample_poly(audio.astype(np.float64), 4, 1)
    return max(sample_peak, float(np.max(np.abs(over))))


def measure(audio: np.ndarray, sample_rate: int) -> Measurement:
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    seconds = audio.size / sample_rate
    if audio.size == 0:
        return Measurement(0.0, -200.0, -200.0, -200.0, 0.0, 0.0)
    rms = _db(float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))))
    frame = max(1, round(FRAME_SECONDS * sample_rate))
    levels = _frame_rms(audio, frame)
    window = max(1, round(FLOOR_WINDOW_SECONDS / FRAME_SECONDS))
    power = uniform_filter1d(levels**2, window, mode="nearest")[window // 2:
                                                                 levels.size - window // 2]
    if power.size:  # the quietest half second (the running mean may round below zero)
        floor = _db(float(np.sqrt(max(float(power.min()), 0.0))))
    else:  # shorter than the window: its quietest frame
        floor = _db(float(levels.min())) if levels.size else rms
    loud = np.flatnonzero(20 * np.log10(np.maximum(levels, 1e-10)) > SPEECH_THRESHOLD_DBFS)
    if loud.size:
        head = loud[0] * FRAME_SECONDS
        tail = seconds - (loud[-1] + 1) * FRAME_SECONDS
    else:
        head = tail = seconds
    return Measurement(seconds, rms, _db(true_peak(audio)), floor, head, max(tail, 0.0))


def check(measurement: Measurement, rules: LoudnessRules) -> list[str]:
    """Each rule the measurement breaks, in words (empty: it complies)."""
    m, problems = measurement, []
    low, high = rules.rms_db
    if not low <= m.rms_db <= high:
        problems.append(f"RMS {m.rms_db:.1f} dB is outside {low:g} to {high:g} dB")
    if m.peak_db > rules.peak_db:
        problems.append(f"peak {m.peak_db:.1f} dB is above {rules.peak_db:g} dB")
    if m.noise_floor_db > rules.noise_floor_db:
        problems.append(f"noise floor {m.noise_floor_db:.1f} dB is above "
                        f"{rules.noise_floor_db:g} dB")
    for name, value, (least, most) in (("head", m.head_seconds, rules.head_seconds),
                                       ("tail", m.tail_seconds, rules.tail_seconds)):
        if not least <= value <= most:
            problems.append(f"{value:.2f} s of room tone at the {name}; {least:g} to {most:g} s "
                            "are required")
    if rules.max_minutes is not None and m.seconds > rules.max_minutes * 60:
        problems.append(f"{m.seconds / 60:.0f} minutes long; at most {rules.max_minutes:g} "
                        "minutes per file")
    return problems


def room_tone(samples: int, seed: int = 0, level_db: float = ROOM_TONE_DBFS) -> np.ndarray:
    """Quiet, slightly low-passed noise at ``level_db`` RMS (a studio's room, not a void)."""
    noise = np.random.default_rng(seed).standard_normal(samples + 1)
    noise = (noise[1:] + noise[:-1]) / 2
    noise *= 10 ** (level_db / 20) / max(float(np.sqrt(np.mean(noise**2))), 1e-12)
    return noise.astype(np.float32)


def limit(audio: np.ndarray, sample_rate: int, ceiling_db: float) -> np.ndarray:
    """A look-ahead limiter: no sample ends up above ``ceiling_db``."""
    ceiling = 10 ** (ceiling_db / 20)
    magnitude = np.abs(audio.astype(np.float64))
    wanted = np.minimum(1.0, ceiling / np.maximum(magnitude, 1e-12))
    look = max(1, round(LIMITER_LOOKAHEAD_SECONDS * sample_rate))
    held = minimum_filter1d(wanted, 2 * look + 1, mode="nearest")
    gain = uniform_filter1d(held, look + 1, mode="nearest")
    gain = np.minimum(gain, wanted)  # exact at the edges where the smoothing is one-sided
    return (audio * gain).astype(np.float32)


def master(audio: np.ndarray, sample_rate: int, rules: LoudnessRules,
           head: float | None = None, tail: float | None = None) -> np.ndarray:
    """``audio`` (speech that starts and ends at once) with room tone at both ends, levelled
    and limited to ``rules``."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    head = sum(rules.head_seconds) / 2 if head is None else head
    tail = min(sum(rules.tail_seconds) / 2, rules.tail_seconds[0] + 1.0) if tail is None else tail
    n_head, n_tail = round(head * sample_rate), round(tail * sample_rate)
    body = np.concatenate([np.zeros(n_head, np.float32), audio, np.zeros(n_tail, np.float32)])
    target = sum(rules.rms_db) / 2
    ceiling = rules.peak_db - PEAK_MARGIN_DB
    for _ in range(3):
        rms = _db(float(np.sqrt(np.mean(body.astype(np.float64) ** 2))))
        body = limit(body * np.float32(10 ** ((target - rms) / 20)), sample_rate, ceiling)
    tone = room_tone(body.size)
    return limit(body + tone, sample_rate, ceiling)
