"""Loudness measurement/normalisation, atomic WAV writing and the GPT-SoVITS training mix."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from voicestudio.audio.loudness import (
    integrated_loudness,
    k_weighting_filters,
    normalize_loudness,
    peak_dbfs,
)
from voicestudio.audio.training_mix import HUBERT_SCALE, training_copies
from voicestudio.audio.wav import write_wav
from voicestudio.errors import UserInputError


def sine(freq: float, seconds: float, rate: int, amplitude: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_k_weighting_matches_the_bs1770_table_at_48k():
    (shelf_b, shelf_a), (high_b, high_a) = k_weighting_filters(48000)
    np.testing.assert_allclose(shelf_b, [1.53512485958697, -2.69169618940638, 1.19839281085285])
    np.testing.assert_allclose(shelf_a, [1.0, -1.69065929318241, 0.73248077421585])
    np.testing.assert_allclose(high_b, [1.0, -2.0, 1.0])
    np.testing.assert_allclose(high_a, [1.0, -1.99004745483398, 0.99007225036621])


def test_full_scale_1khz_sine_measures_minus_3_lufs():
    # BS.1770 reference: a 0 dBFS 997 Hz sine in one channel reads −3.01 LKFS.
    assert integrated_loudness(sine(997, 3, 48000), 48000) == pytest.approx(-3.01, abs=0.05)
    assert integrated_loudness(sine(997, 3, 48000, 0.1), 48000) == pytest.approx(-23.01, abs=0.05)


def test_gating_ignores_silence():
    tone = sine(997, 2, 32000, 0.1)
    padded = np.concatenate([np.zeros(32000 * 6, np.float32), tone])
    # Ungated, 6 s of silence would lower the reading by 6 dB; only the blocks straddling
    # the tone's onset may pull it down a little.
    assert integrated_loudness(padded, 32000) == pytest.approx(
        integrated_loudness(tone, 32000), abs=0.5
    )


def test_normalisation_reaches_target_and_reports_gain():
    quiet = sine(440, 3, 32000, 0.01)
    out, gain = normalize_loudness(quiet, 32000, target_lufs=-20.0)
    assert integrated_loudness(out, 32000) == pytest.approx(-20.0, abs=0.05)
    np.testing.assert_allclose(out / gain, quiet, atol=1e-6)


def test_normalisation_respects_the_peak_ceiling():
    spiky = sine(440, 3, 32000, 0.001)
    spiky[1000] = 0.5  # one click must not be pushed past −1 dBFS
    out, _ = normalize_loudness(spiky, 32000, target_lufs=-20.0, peak_ceiling_dbfs=-1.0)
    assert peak_dbfs(out) == pytest.approx(-1.0, abs=0.01)


def test_silence_is_left_alone():
    out, gain = normalize_loudness(np.zeros(32000, np.float32), 32000)
    assert gain == 1.0 and not out.any()


def test_write_wav_round_trips_int16_and_float(tmp_path):
    x = sine(440, 0.5, 32000, 0.5)
    pcm = write_wav(tmp_path / "take.wav", x, 32000)
    flt = write_wav(tmp_path / "float.wav", x, 32000, sample_format="float")
    assert sf.info(pcm).subtype == "PCM_16" and sf.info(flt).subtype == "FLOAT"
    np.testing.assert_allclose(sf.read(pcm, dtype="float32")[0], x, atol=1 / 32768)
    np.testing.assert_array_equal(sf.read(flt, dtype="float32")[0], x)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["float.wav", "take.wav"]  # no temp


def test_write_wav_clips_instead_of_wrapping(tmp_path):
    loud = np.array([0.0, 1.5, -1.5, 0.25], np.float32)
    data, _ = sf.read(write_wav(tmp_path / "loud.wav", loud, 16000), dtype="int16")
    assert data.tolist() == [0, 32767, -32768, 8192]


def test_write_wav_replaces_an_existing_file_whole(tmp_path):
    path = tmp_path / "seg.wav"
    write_wav(path, np.ones(48000, np.float32) * 0.1, 16000)
    write_wav(path, np.ones(100, np.float32) * 0.2, 16000)
    assert sf.info(path).frames == 100


def test_write_wav_rejects_nan(tmp_path):
    with pytest.raises(ValueError):
        write_wav(tmp_path / "bad.wav", np.array([0.0, np.nan], np.float32), 16000)


def test_training_mix_follows_the_upstream_formula():
    x = sine(200, 1.0, 32000, 0.2)
    copies = training_copies(x)
    expected = x / 0.2 * (0.95 * 0.5 * 32768) + 0.5 * 32768 * x
    assert copies.wav32k.dtype == np.int16
    np.testing.assert_allclose(copies.wav32k, np.trunc(expected), atol=1.0)
    # The HuBERT copy uses S = 1145.14 and is resampled to 16 kHz (half the samples).
    assert copies.hubert16k.size == x.size // 2
    peak = (0.95 * 0.5 + 0.5 * 0.2) * HUBERT_SCALE
    assert np.abs(copies.hubert16k).max() == pytest.approx(peak, rel=0.01)


def test_training_mix_rejects_silence_and_broken_levels():
    with pytest.raises(UserInputError):
        training_copies(np.zeros(3200, np.float32))
    with pytest.raises(UserInputError):
        training_copies(np.full(3200, 3.0, np.float32))
