"""A speech-like test signal for the synthesis tests (no TTS needed, exact control)."""

from __future__ import annotations

import numpy as np


def babble(seconds: float, sample_rate: int = 32000, seed: int = 0, level: float = 0.3,
           pause_every: float = 1.6, pause: float = 0.35) -> np.ndarray:
    """Speech-like sound: voiced 'syllables' (harmonic tones under a smooth envelope, pitch
    wandering like a voice) in words, with a pause every ``pause_every`` seconds.

    Random models do not care what is said; the reference checks care about levels, pauses
    and clipping, which this controls exactly.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * sample_rate), dtype=np.float32)
    t, next_pause = 0.0, pause_every
    while t < seconds:
        if t >= next_pause:
            t += pause
            next_pause = t + pause_every
            continue
        length = rng.uniform(0.12, 0.22)
        n = int(length * sample_rate)
        start = int(t * sample_rate)
        n = min(n, out.size - start)
        if n <= 0:
            break
        time = np.arange(n) / sample_rate
        f0 = rng.uniform(110, 190)
        tone = sum(np.sin(2 * np.pi * f0 * k * time) / k for k in range(1, 6))
        out[start:start + n] += (level * np.hanning(n) * tone / 1.5).astype(np.float32)
        t += length + 0.03
    return out
