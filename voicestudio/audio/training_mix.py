"""The loudness mix GPT-SoVITS applies when it prepares training features (step 1Ab).

Upstream ``2-get-hubert-wav32k`` blends each clip's peak-normalised copy with the clip as it
is: ``x/peak * (0.95*0.5*S) + 0.5*S*x``. It keeps half of the original dynamics while lifting
quiet clips. S = 32768 for the int16 32 kHz wav the SoVITS stage trains on, and S = 1145.14
for the copy that is resampled to 16 kHz and fed, unnormalised, to HuBERT. Pretrained
weights were fitted to exactly these amplitudes, so a compatible pipeline must reproduce them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicestudio.audio.resample import resample
from voicestudio.errors import UserInputError

TRAINING_SAMPLE_RATE = 32000
HUBERT_SAMPLE_RATE = 16000
MIX_PEAK = 0.95
MIX_ALPHA = 0.5
INT16_SCALE = 32768.0
HUBERT_SCALE = 1145.14
# Upstream skips clips whose decoded peak exceeds 2.2: such samples are broken decodes.
MAX_SOURCE_PEAK = 2.2


@dataclass(frozen=True)
class TrainingCopies:
    wav32k: np.ndarray  # int16, 32 kHz: the 5-wav32k file
    hubert16k: np.ndarray  # float32, 16 kHz, HuBERT input amplitude (about ±1145)


def loudness_mix(
    samples: np.ndarray, scale: float, peak: float = MIX_PEAK, alpha: float = MIX_ALPHA
) -> np.ndarray:
    """``x/peak(x) * (peak*alpha*scale) + (1-alpha)*scale*x`` in float64 precision."""
    x = np.asarray(samples, dtype=np.float64)
    source_peak = float(np.max(np.abs(x))) if x.size else 0.0
    if source_peak == 0.0:
        raise UserInputError("This clip is silent, so it cannot be used for training.")
    return x / source_peak * (peak * alpha * scale) + (1.0 - alpha) * scale * x


def training_copies(samples_32k: np.ndarray) -> TrainingCopies:
    """Both mixed copies of one clip decoded at 32 kHz, as upstream training prep makes them."""
    x = np.asarray(samples_32k, dtype=np.float32)
    if x.size and float(np.max(np.abs(x))) > MAX_SOURCE_PEAK:
        raise UserInputError(
            "This clip is damaged (its level is far beyond full scale) and was left out."
        )
    # float -> int16 by truncation toward zero, as numpy's astype does upstream.
    # Clipped to the int16 range first: a peak between 1 and 2.2 would otherwise wrap around.
    wav32k = np.clip(loudness_mix(x, INT16_SCALE), -32768, 32767).astype(np.int16)
    hubert = loudness_mix(x, HUBERT_SCALE).astype(np.float32)
    # Upstream uses librosa.resample's default, soxr "HQ".
    hubert16k = resample(hubert, TRAINING_SAMPLE_RATE, HUBERT_SAMPLE_RATE, quality="HQ")
    return TrainingCopies(wav32k=wav32k, hubert16k=hubert16k)
