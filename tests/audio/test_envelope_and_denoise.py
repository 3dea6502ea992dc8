"""The waveform envelope pyramid (what the editor draws) and noise reduction for old tapes."""

from __future__ import annotations

import numpy as np
import pytest

from voicestudio.audio.denoise import DENOISE_RECIPE, apply_cleaning, reduce_noise
from voicestudio.audio.envelope import BASE_BLOCK, Envelope


def test_every_view_draws_about_one_pair_per_pixel_and_keeps_every_peak():
    rng = np.random.default_rng(1)
    rate = 32000
    samples = (rng.standard_normal(rate * 600) * 0.05).astype(np.float32)  # ten minutes
    samples[123_457] = 0.9  # one click: must show at every zoom
    envelope = Envelope.compute(samples, rate)
    for start, end in ((0.0, 600.0), (100.0, 400.0), (10.0, 20.0)):
        times, lows, highs = envelope.view(start, end, 1000)
        assert 500 <= times.size <= 2100
        assert start - (end - start) / 500 <= times[0] and times[-1] <= end + (end - start) / 500
    # closer than one finest bin per pixel: the finest level (the editor draws samples)
    times, _, _ = envelope.view(3.0, 4.0, 1000)
    assert times.size == -(-rate // BASE_BLOCK)
    times, lows, highs = envelope.view(0.0, 600.0, 1000)
    assert float(highs.max()) == pytest.approx(0.9, abs=1e-3)
    # each finest bin bounds its samples
    block = samples[:BASE_BLOCK * 10].reshape(10, BASE_BLOCK)
    assert np.allclose(envelope.lows[0][:10], block.min(axis=1), atol=1e-3)
    assert np.allclose(envelope.highs[0][:10], block.max(axis=1), atol=1e-3)


def test_envelope_is_saved_and_reloaded_only_for_the_same_audio(tmp_path):
    envelope = Envelope.compute(np.sin(np.arange(50_000) / 30).astype(np.float32), 32000,
                                source="take-a")
    path = tmp_path / "w.npz"
    envelope.save(path)
    again = Envelope.load(path, "take-a")
    assert again is not None and again.n_samples == 50_000
    assert all(np.array_equal(a, b) for a, b in zip(again.highs, envelope.highs, strict=True))
    assert Envelope.load(path, "take-b") is None
    path.write_bytes(b"not an npz")
    assert Envelope.load(path, "take-a") is None


def test_noise_reduction_turns_down_steady_hiss_and_keeps_the_voice():
    rate = 32000
    rng = np.random.default_rng(7)
    t = np.arange(rate * 4) / rate
    voiced = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 20))  # a vowel-ish
    voice = np.where((t > 1) & (t < 3), 0.15 * voiced, 0.0)
    hiss = 0.02 * rng.standard_normal(t.size)
    noisy = (voice + hiss).astype(np.float32)
    cleaned = reduce_noise(noisy, rate)
    assert cleaned.shape == noisy.shape and cleaned.dtype == np.float32
    quiet = slice(int(0.2 * rate), int(0.8 * rate))
    speech = slice(int(1.5 * rate), int(2.5 * rate))
    noise_drop_db = 20 * np.log10(np.std(noisy[quiet]) / np.std(cleaned[quiet]))
    assert noise_drop_db > 10
    assert np.std(cleaned[speech]) == pytest.approx(np.std(noisy[speech]), rel=0.2)
    assert np.array_equal(apply_cleaning(noisy, rate, DENOISE_RECIPE), cleaned)  # repeatable
    assert apply_cleaning(noisy, rate, "") is noisy
