"""Is this the recording we already have, in another format? A fingerprint of the sound.

The same interview exported as M4A and as FLAC has other bytes, a few milliseconds of
codec delay and slightly different samples, but the same loudness contour: the log energy
of consecutive 20 ms frames. Two files are one recording when their lengths agree and their
contours correlate almost perfectly at some small lag. Different takes of the same text by
the same person never do (pauses and syllables fall elsewhere).
"""

from __future__ import annotations

import numpy as np

from voicestudio.audio.energy import cumulative_energy_at

FRAME_SECONDS = 0.02
MAX_LAG_FRAMES = 10  # 200 ms: more than any codec's priming delay
MAX_LENGTH_DIFFERENCE_SECONDS = 0.5
SAME_RECORDING_CORRELATION = 0.97


def loudness_contour(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Log energy (dB) of consecutive 20 ms frames, float32, in bounded memory."""
    size = max(1, round(FRAME_SECONDS * sample_rate))
    n = np.asarray(samples).size // size
    if n == 0:
        return np.zeros(0, np.float32)
    edges = np.arange(n + 1, dtype=np.int64) * size
    energy = np.diff(cumulative_energy_at(samples, edges)) / size
    return (10.0 * np.log10(np.maximum(energy, 1e-10))).astype(np.float32)


def same_recording(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two contours are one recording (see the module docstring)."""
    if a.size < 2 * MAX_LAG_FRAMES or b.size < 2 * MAX_LAG_FRAMES:
        return a.size == b.size and a.size > 0 and bool(np.allclose(a, b, atol=1.0))
    if abs(a.size - b.size) * FRAME_SECONDS > MAX_LENGTH_DIFFERENCE_SECONDS:
        return False
    best = -1.0
    for lag in range(-MAX_LAG_FRAMES, MAX_LAG_FRAMES + 1):
        x, y = (a[lag:], b) if lag >= 0 else (a, b[-lag:])
        n = min(x.size, y.size)
        x, y = x[:n] - x[:n].mean(), y[:n] - y[:n].mean()
        denominator = float(np.linalg.norm(x) * np.linalg.norm(y))
        if denominator > 0:
            best = max(best, float(x @ y) / denominator)
    return best >= SAME_RECORDING_CORRELATION
