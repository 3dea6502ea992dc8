"""Sample-rate conversion.

soxr at its very-high-quality setting: linear phase, > 140 dB stop band, and fast enough for
hour-long files. Speech models are sensitive to aliasing and pass-band ripple (they show up
as hiss in training targets), so quality beats the small speed gain of cheaper filters.
"""

from __future__ import annotations

import numpy as np
import soxr


def resample(samples: np.ndarray, from_rate: int, to_rate: int, quality: str = "VHQ") -> np.ndarray:
    """Resample a mono float signal; returns float32 (a copy, or the input if rates match)."""
    samples = np.asarray(samples, dtype=np.float32)
    if from_rate == to_rate or samples.size == 0:
        return samples
    return soxr.resample(samples, from_rate, to_rate, quality=quality).astype(
        np.float32, copy=False
    )
