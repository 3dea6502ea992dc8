"""Loudness measurement (ITU-R BS.1770 integrated loudness) and level normalisation.

Imported recordings arrive at wildly different levels: a phone voicemail at −40 dBFS, a
mastered video at −14 LUFS. Everything downstream has absolute thresholds (the slicer's
−34 dB silence level, the "too quiet" check, the level meter), so each file is brought to
one loudness first. Loudness rather than peak because one click or plosive would set a
peak-normalised file's level; BS.1770 weights frequencies like the ear and gates out
silence, so two voices normalised this way sound equally loud.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from voicestudio.audio.energy import cumulative_energy_at

# −23 LUFS (EBU R128's programme level): speech peaks sit 18–22 dB above its loudness
# (Piper's voice: 20.6 dB), so at −23 LUFS nearly every recording fits under the −1 dBFS
# ceiling with one plain gain, and speech stays ~10 dB above the slicer's −34 dB silence
# threshold (GPT-SoVITS default) while pauses in a usable recording fall far below it.
TARGET_LUFS = -23.0
# Peaks are never pushed above −1 dBFS: headroom for resampling overshoot and lossy export.
PEAK_CEILING_DBFS = -1.0

_BLOCK_SECONDS = 0.4  # BS.1770 gating block
_BLOCK_OVERLAP = 0.75
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_SILENCE_LUFS = -120.0  # reported for digital silence instead of −inf

# BS.1770 K-weighting as two analogue prototypes (pre-filter shelf, RLB high-pass). Designing
# them per sample rate (rather than using the 48 kHz table) keeps 16/22.05/32 kHz files exact.
_SHELF_HZ, _SHELF_GAIN_DB, _SHELF_Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
_HIGHPASS_HZ, _HIGHPASS_Q = 38.13547087602444, 0.5003270373238773


def k_weighting_filters(sample_rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two biquads (b, a) of the K-weighting curve at ``sample_rate``."""
    k = math.tan(math.pi * _SHELF_HZ / sample_rate)
    vh = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf_b = np.array(
        [vh + vb * k / _SHELF_Q + k * k, 2.0 * (k * k - vh), vh - vb * k / _SHELF_Q + k * k]
    )
    shelf_a = np.array([a0, 2.0 * (k * k - 1.0), 1.0 - k / _SHELF_Q + k * k])

    k = math.tan(math.pi * _HIGHPASS_HZ / sample_rate)
    a0 = 1.0 + k / _HIGHPASS_Q + k * k
    high_b = np.array([1.0, -2.0, 1.0])
    high_a = np.array([a0, 2.0 * (k * k - 1.0), 1.0 - k / _HIGHPASS_Q + k * k])
    return [(shelf_b / shelf_a[0], shelf_a / shelf_a[0]), (high_b, high_a / high_a[0])]


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness of a mono signal in LUFS (−120 for silence).

    Signals shorter than one 400 ms block are measured as a single ungated block, so short
    takes still get a usable number. The signal is filtered chunk by chunk (the filter state
    carries over), so an hour-long file costs a few MB here, not float64 copies of it.
    """
    x = np.asarray(samples)
    if x.size == 0:
        return _SILENCE_LUFS
    block = int(round(_BLOCK_SECONDS * sample_rate))
    if x.size < block:
        power = np.array([np.mean(_k_weighted(x, sample_rate) ** 2)])
    else:
        step = max(1, int(round(block * (1.0 - _BLOCK_OVERLAP))))
        starts = np.arange(0, x.size - block + 1, step)
        energy = cumulative_energy_at(x, np.concatenate([starts, starts + block]),
                                      k_weighting_filters(sample_rate))
        power = (energy[starts.size:] - energy[:starts.size]) / block
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(power)
    gated = power[block_lufs > _ABSOLUTE_GATE_LUFS]
    if gated.size == 0:
        return _SILENCE_LUFS
    relative_gate = -0.691 + 10.0 * math.log10(gated.mean()) + _RELATIVE_GATE_LU
    with np.errstate(divide="ignore"):
        gated = gated[-0.691 + 10.0 * np.log10(gated) > relative_gate]
    return max(_SILENCE_LUFS, -0.691 + 10.0 * math.log10(gated.mean()))


def _k_weighted(x: np.ndarray, sample_rate: int) -> np.ndarray:
    y = np.asarray(x, dtype=np.float64)
    for b, a in k_weighting_filters(sample_rate):
        y = lfilter(b, a, y)
    return y


def normalize_loudness(
    samples: np.ndarray,
    sample_rate: int,
    target_lufs: float = TARGET_LUFS,
    peak_ceiling_dbfs: float = PEAK_CEILING_DBFS,
    loudness: float | None = None,
    in_place: bool = False,
) -> tuple[np.ndarray, float]:
    """Scale to ``target_lufs``, lowered if needed so the peak stays under the ceiling.

    Returns (scaled float32 samples, linear gain applied). The gain is kept by callers so
    checks that concern the original recording (clipping, "too quiet") can undo it. A plain
    gain, never a limiter: compression would change the voice the model learns.
    ``loudness`` is the samples' integrated loudness when the caller has measured it already
    (filtering an hour-long file takes seconds); ``in_place`` scales the caller's float32
    array itself instead of a copy (an importer that owns the decoded signal).
    """
    x = np.asarray(samples, dtype=np.float32)
    if loudness is None:
        loudness = integrated_loudness(x, sample_rate)
    peak = sample_peak(x)
    if peak == 0.0 or loudness <= _SILENCE_LUFS:
        return (x if in_place else x.copy()), 1.0
    gain = 10.0 ** ((target_lufs - loudness) / 20.0)
    ceiling = 10.0 ** (peak_ceiling_dbfs / 20.0)
    gain = min(gain, ceiling / peak)
    out = x if in_place else np.empty_like(x)
    np.multiply(x, np.float32(gain), out=out)
    return out, float(gain)


def sample_peak(samples: np.ndarray) -> float:
    """Largest absolute sample, without an ``abs`` copy of the whole signal."""
    x = np.asarray(samples)
    return max(float(x.max()), -float(x.min())) if x.size else 0.0


def peak_dbfs(samples: np.ndarray) -> float:
    """Sample peak in dB relative to full scale (−120 for silence)."""
    peak = float(np.max(np.abs(samples))) if np.size(samples) else 0.0
    return 20.0 * math.log10(peak) if peak > 1e-6 else _SILENCE_LUFS
