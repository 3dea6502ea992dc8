"""Linear and mel spectrograms exactly as GPT-SoVITS v2 computes them.

S2 reads the linear spectrogram (reference encoder, posterior encoder) and trains against a
log-mel L1 loss, so both must be bit-for-bit the upstream definition or pretrained weights see
features they were never trained on. The details that matter: reflect padding of
(n_fft - hop) / 2 on both sides with `center=False`, a periodic Hann window, the magnitude
sqrt(re^2 + im^2 + 1e-8) (the epsilon sits inside the root), librosa's Slaney mel filterbank and
log(clamp(x, 1e-5)).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import librosa
import torch
import torch.nn.functional as F

from voicestudio.errors import UserInputError


@dataclass(frozen=True)
class SpectrogramConfig:
    """Feature sizes; the defaults are the v2 S2 values (`configs/s2.json` `data` section)."""

    sample_rate: int = 32000
    n_fft: int = 2048  # upstream "filter_length"
    hop_length: int = 640  # 50 frames per second
    win_length: int = 2048
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None  # None = sample_rate / 2

    @property
    def n_freq(self) -> int:
        """Linear-spectrogram bins (1025 for v2)."""
        return self.n_fft // 2 + 1

    @property
    def pad(self) -> int:
        """Reflect padding on each side; makes a clip of N * hop samples give exactly N frames."""
        return (self.n_fft - self.hop_length) // 2


# Windows and filterbanks are built once per (sizes, device, dtype): rebuilding the 128 x 1025
# filterbank with librosa and copying it to the GPU on every training step would cost more than
# the STFT itself. They are built outside inference mode even when first asked for during
# synthesis: a cached inference tensor would make every later training step in the same
# process fail ("Inference tensors cannot be saved for backward").
@functools.lru_cache(maxsize=16)
def _hann_window(win_length: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    with torch.inference_mode(False):
        return torch.hann_window(win_length, periodic=True, device=device, dtype=dtype)


@functools.lru_cache(maxsize=16)
def _mel_filterbank(
    cfg: SpectrogramConfig, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    basis = librosa.filters.mel(
        sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax
    )  # (n_mels, n_freq) float32, Slaney scale and norm
    with torch.inference_mode(False):
        return torch.from_numpy(basis).to(device=device, dtype=dtype)


def _feature_dtype(x: torch.Tensor) -> torch.dtype:
    """fp16/bf16 inputs are computed in fp32: the STFT and the 1e-5 clamp are not safe in half
    precision (upstream keeps these features in fp32 for the same reason)."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def linear_spectrogram(wav: torch.Tensor, cfg: SpectrogramConfig | None = None) -> torch.Tensor:
    """Magnitude spectrogram of `wav` (..., T) -> (..., n_freq, T // hop) for T a multiple of hop.

    Leading dimensions are kept, so (B, T), (B, 1, T) and (T,) all work.
    """
    cfg = cfg or SpectrogramConfig()
    n_samples = wav.shape[-1]
    if n_samples <= cfg.pad:
        raise UserInputError(
            f"The audio clip is too short ({n_samples} samples at {cfg.sample_rate} Hz). "
            "Use a clip of at least a tenth of a second."
        )
    lead = wav.shape[:-1]
    dtype = _feature_dtype(wav)
    x = wav.to(dtype).reshape(-1, 1, n_samples)  # (B', 1, T)
    x = F.pad(x, (cfg.pad, cfg.pad), mode="reflect").squeeze(1)  # (B', T + 2 * pad)
    window = _hann_window(cfg.win_length, wav.device, dtype)
    stft = torch.stft(
        x,
        cfg.n_fft,
        hop_length=cfg.hop_length,
        win_length=cfg.win_length,
        window=window,
        center=False,
        normalized=False,
        onesided=True,
        return_complex=True,
    )  # (B', n_freq, frames) complex
    power = torch.view_as_real(stft).pow(2).sum(-1)  # (B', n_freq, frames)
    spec = torch.sqrt(power + 1e-8)
    return spec.reshape(*lead, *spec.shape[-2:])


def spec_to_mel(spec: torch.Tensor, cfg: SpectrogramConfig | None = None) -> torch.Tensor:
    """Log-mel (..., n_mels, frames) from a linear magnitude spectrogram (..., n_freq, frames)."""
    cfg = cfg or SpectrogramConfig()
    spec = spec.to(_feature_dtype(spec))
    basis = _mel_filterbank(cfg, spec.device, spec.dtype)  # (n_mels, n_freq)
    mel = torch.matmul(basis, spec)  # (..., n_mels, frames)
    return torch.log(torch.clamp(mel, min=1e-5))


def mel_spectrogram(wav: torch.Tensor, cfg: SpectrogramConfig | None = None) -> torch.Tensor:
    """Log-mel spectrogram of `wav` (..., T) -> (..., n_mels, frames); the S2 mel-loss feature."""
    cfg = cfg or SpectrogramConfig()
    return spec_to_mel(linear_spectrogram(wav, cfg), cfg)
