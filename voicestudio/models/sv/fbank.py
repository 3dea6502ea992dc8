"""Kaldi-compatible log mel filter-bank features: the input of the speaker-verification model.

Upstream computes them with its copy of `torchaudio.compliance.kaldi.fbank` (80 bins, 16 kHz,
dither 0, every other option at its default). That module cannot be used here: torchaudio
builds are tied to one torch release and none matches our torch pin. kaldi-native-fbank
implements the same Kaldi recipe, but it computes in another order and lands up to ~1e-4
(log domain) away in low-energy bins, which is the whole tolerance of the reference run; so
the recipe is written here in torch operations, step for step in torchaudio's order, which
reproduces upstream to float rounding.

Recipe (Kaldi defaults): 25 ms frames every 10 ms without padding ("snip edges"), remove the
frame's DC offset, pre-emphasis 0.97, Povey window (Hann^0.85), zero-pad to the next power of
two, power spectrum, triangular mel filters from 20 Hz to Nyquist, log with a float-epsilon
floor.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

from voicestudio.errors import UserInputError

SV_SAMPLE_RATE = 16000
SV_MEL_BINS = 80
FRAME_LENGTH_MS = 25.0
FRAME_SHIFT_MS = 10.0
PREEMPHASIS = 0.97
LOW_FREQ = 20.0
POVEY_POWER = 0.85


def _mel(freq: torch.Tensor | float) -> torch.Tensor | float:
    if isinstance(freq, torch.Tensor):
        return 1127.0 * (1.0 + freq / 700.0).log()
    return 1127.0 * math.log(1.0 + freq / 700.0)


@lru_cache(maxsize=8)
def _mel_filters(num_bins: int, fft_size: int, sample_rate: float) -> torch.Tensor:
    """(num_bins, fft_size // 2 + 1) triangular filters; the Nyquist column is zero as in Kaldi."""
    nyquist = 0.5 * sample_rate
    mel_low, mel_high = _mel(LOW_FREQ), _mel(nyquist)
    delta = (mel_high - mel_low) / (num_bins + 1)
    index = torch.arange(num_bins).unsqueeze(1)  # (num_bins, 1)
    left = mel_low + index * delta
    center = mel_low + (index + 1.0) * delta
    right = mel_low + (index + 2.0) * delta
    mel = _mel((sample_rate / fft_size) * torch.arange(fft_size / 2)).unsqueeze(0)
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    filters = torch.max(torch.zeros(1), torch.min(up, down))  # (num_bins, fft_size / 2)
    return F.pad(filters, (0, 1))


def kaldi_fbank(
    wave: torch.Tensor, sample_rate: int = SV_SAMPLE_RATE, num_mel_bins: int = SV_MEL_BINS
) -> torch.Tensor:
    """Mono waveform (N,) in [-1, 1] -> log mel energies (frames, num_mel_bins)."""
    if wave.dim() != 1:
        raise UserInputError(f"Expected one mono waveform, got shape {tuple(wave.shape)}.")
    window = int(sample_rate * FRAME_LENGTH_MS / 1000)
    shift = int(sample_rate * FRAME_SHIFT_MS / 1000)
    if wave.numel() < window:
        raise UserInputError(
            f"The recording is too short for a voice fingerprint "
            f"(at least {FRAME_LENGTH_MS:.0f} ms is needed)."
        )
    fft_size = 1 << (window - 1).bit_length()
    frames = 1 + (wave.numel() - window) // shift
    x = wave.contiguous().as_strided((frames, window), (shift * wave.stride(0), wave.stride(0)))
    x = x - x.mean(dim=1, keepdim=True)  # (frames, window)
    previous = F.pad(x.unsqueeze(0), (1, 0), mode="replicate").squeeze(0)[:, :-1]
    x = x - PREEMPHASIS * previous
    povey = torch.hann_window(window, periodic=False, dtype=x.dtype, device=x.device)
    x = x * povey.pow(POVEY_POWER).unsqueeze(0)
    x = F.pad(x.unsqueeze(0), (0, fft_size - window)).squeeze(0)  # (frames, fft_size)
    power = torch.fft.rfft(x).abs().pow(2.0)  # (frames, fft_size // 2 + 1)
    filters = _mel_filters(num_mel_bins, fft_size, float(sample_rate)).to(x)
    energies = torch.mm(power, filters.T)
    floor = torch.tensor(torch.finfo(torch.float).eps, device=x.device, dtype=x.dtype)
    return torch.max(energies, floor).log()
