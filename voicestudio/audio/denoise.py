"""Noise reduction for old recordings: tape hiss, a fridge's hum, a phone line's rush.

This uses ``noisereduce`` (spectral gating; MIT, maintained since 2019, numpy/scipy only at
run time). It estimates the noise of each frequency band from the quietest parts of the
recording and turns down, in every short frame, what does not rise above it. Its stationary
mode fits what old recordings carry, a steady background, and unlike a neural denoiser it
needs no model download, runs fast on a CPU and never invents speech. It is deterministic, so
the same take cleaned again (when the editor re-cuts a segment) gives the same samples.

The original file is never changed; only the working copy segments are cut from is cleaned.
"""

from __future__ import annotations

import numpy as np

from voicestudio.errors import UserInputError

# Recorded with each take that was cleaned, so re-cuts apply the same cleaning; bump it when
# the settings change (segments cut before keep their audio).
DENOISE_RECIPE = "noisereduce-stationary/1"
# Turn the noise down by 90 %, not all the way: a little left sounds natural, and gating
# everything makes the "underwater" artefacts the model would learn.
_PROP_DECREASE = 0.9
# The library's default smooths the mask over 500 Hz, which dims a voice's harmonics (about
# 100-250 Hz apart) by a quarter together with the noise between them; 100 Hz keeps them.
_SMOOTH_HZ = 100
_NOISE_SHARE = 0.1  # of the frames: pauses between words and sentences
_MIN_NOISE_SECONDS = 0.5  # the library needs some frames to estimate each band


def reduce_noise(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """``samples`` with the steady background noise turned down (same length, float32)."""
    import noisereduce

    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if x.size < sample_rate // 4:  # too short to tell noise from speech
        return x.copy()
    cleaned = noisereduce.reduce_noise(
        y=x, sr=sample_rate, y_noise=quietest_parts(x, sample_rate), stationary=True,
        prop_decrease=_PROP_DECREASE, freq_mask_smooth_hz=_SMOOTH_HZ, n_jobs=1)
    return np.asarray(cleaned, dtype=np.float32)[: x.size]


def quietest_parts(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The quietest tenth of the recording's 50 ms frames, joined: the noise on its own.

    Without it the library takes the statistics of the whole file as the noise, and a voice
    that speaks most of the time (an interview) would partly be taken for noise.
    """
    frame = max(1, int(0.05 * sample_rate))
    n = samples.size // frame
    frames = samples[: n * frame].reshape(n, frame)
    energy = np.mean(frames.astype(np.float64) ** 2, axis=1)
    keep = max(int(np.ceil(n * _NOISE_SHARE)), min(n, int(_MIN_NOISE_SECONDS / 0.05)))
    quiet = np.sort(np.argsort(energy)[:keep])
    return frames[quiet].reshape(-1)


def apply_cleaning(samples: np.ndarray, sample_rate: int, recipe: str) -> np.ndarray:
    """The cleaning a take records (``""``: none) applied to its decoded samples."""
    if not recipe:
        return samples
    if recipe != DENOISE_RECIPE:
        raise UserInputError(
            "This recording was cleaned by a newer VoiceStudio; update VoiceStudio to edit "
            "its segments.")
    return reduce_noise(samples, sample_rate)
