"""Write WAV files atomically: recordings and segments are the person's data, never torn."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from voicestudio.project.atomic import atomic_write_bytes

# int16 is what GPT-SoVITS training reads and what every player opens; float keeps
# recordings that will be processed further free of requantisation.
WAV_SUBTYPES = {"int16": "PCM_16", "float": "FLOAT"}


def write_wav(
    path: Path | str, samples: np.ndarray, sample_rate: int, sample_format: str = "int16"
) -> Path:
    """Save mono (n,) or multichannel (n, channels) samples as a WAV, atomically.

    Float samples are full scale at ±1; for int16 output they are clipped to [−1, 1] first:
    libsndfile would otherwise wrap overshoots around into loud clicks. int16 samples are
    written unchanged as int16.
    """
    if sample_format not in WAV_SUBTYPES:
        raise ValueError(f"sample_format must be one of {sorted(WAV_SUBTYPES)}")
    if sample_format == "int16" and np.asarray(samples).dtype == np.int16:
        data = np.asarray(samples)
    else:
        data = np.asarray(samples, dtype=np.float32)
        if not np.all(np.isfinite(data)):
            raise ValueError("samples contain NaN or infinity")
        if sample_format == "int16":
            data = np.clip(data, -1.0, 1.0)
    buffer = io.BytesIO()
    sf.write(buffer, data, int(sample_rate), subtype=WAV_SUBTYPES[sample_format], format="WAV")
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path
