"""Linear / mel spectrograms against the upstream feature functions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from voicestudio.errors import UserInputError
from voicestudio.models.spectrogram import (
    SpectrogramConfig,
    _mel_filterbank,
    linear_spectrogram,
    mel_spectrogram,
    spec_to_mel,
)


def _config_from_calls(meta: dict) -> SpectrogramConfig:
    """Sizes from the recorded upstream calls ("mel_spectrogram_torch(wav, n_fft=2048, ...)")."""
    spec_args = dict(re.findall(r"(\w+)=([\w.]+)", meta["spectrogram_torch"]))
    mel_args = dict(re.findall(r"(\w+)=([\w.]+)", meta["mel_spectrogram_torch"]))
    assert spec_args.items() <= mel_args.items(), "spec and mel calls use different STFT sizes"
    fmax = None if mel_args["fmax"] == "None" else float(mel_args["fmax"])
    return SpectrogramConfig(
        sample_rate=int(mel_args["sampling_rate"]),
        n_fft=int(mel_args["n_fft"]),
        hop_length=int(mel_args["hop_size"]),
        win_length=int(mel_args["win_size"]),
        n_mels=int(mel_args["num_mels"]),
        fmin=float(mel_args["fmin"]),
        fmax=fmax,
    )


@pytest.mark.fixtures
def test_features_match_reference(fixtures_dir: Path) -> None:
    meta = json.loads((fixtures_dir / "model_fixtures_meta.json").read_text())["mel_spec"]
    ref = np.load(fixtures_dir / "mel_spec.npz")
    wav = torch.from_numpy(ref["wav"])
    cfg = _config_from_calls(meta)

    spec = linear_spectrogram(wav, cfg).numpy()
    mel = mel_spectrogram(wav, cfg).numpy()
    mel_from_spec = spec_to_mel(torch.from_numpy(ref["spec"]), cfg).numpy()

    assert spec.shape == ref["spec"].shape == tuple(meta["shapes"]["spec"])
    np.testing.assert_allclose(spec, ref["spec"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mel, ref["mel"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(mel_from_spec, ref["mel_from_spec"], rtol=0, atol=1e-4)


def test_one_frame_per_hop_and_leading_dims_kept() -> None:
    cfg = SpectrogramConfig()
    wav = torch.randn(2, 3, 5 * cfg.hop_length) * 0.1
    spec = linear_spectrogram(wav, cfg)
    assert spec.shape == (2, 3, cfg.n_freq, 5)
    torch.testing.assert_close(spec[1, 2], linear_spectrogram(wav[1, 2], cfg))
    assert mel_spectrogram(wav, cfg).shape == (2, 3, cfg.n_mels, 5)


def test_half_precision_input_is_computed_in_fp32() -> None:
    wav = torch.randn(1, 4 * 640) * 0.1
    half = mel_spectrogram(wav.half())
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, mel_spectrogram(wav.half().float()))


def test_silence_hits_the_log_floor() -> None:
    # Silence gives sqrt(1e-8) = 1e-4 per linear bin; the Slaney-normalised mel filters sum
    # that to less than 1e-5, so every mel bin sits on the clamp, log(1e-5).
    mel = mel_spectrogram(torch.zeros(1, 2 * 640))
    torch.testing.assert_close(mel, torch.full_like(mel, float(np.log(1e-5))))


def test_too_short_clip_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="too short"):
        linear_spectrogram(torch.zeros(1, 100))


def test_features_stay_on_the_input_device() -> None:
    # The meta device stands in for CUDA/MPS: a window left on the CPU makes the STFT fail.
    wav = torch.zeros(2, 3 * 640, device="meta")
    mel = mel_spectrogram(wav)
    assert mel.device.type == "meta" and mel.shape == (2, 128, 3)
    # A matmul with a CPU filterbank would pass silently on meta, so check the cached one.
    basis = _mel_filterbank(SpectrogramConfig(), torch.device("meta"), torch.float64)
    assert basis.device.type == "meta" and basis.dtype == torch.float64
