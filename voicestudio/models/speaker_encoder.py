"""A GE2E speaker encoder (the network behind resemblyzer), run with its published weights.

Why our own copy: the resemblyzer package cannot be a declared dependency (its metadata asks
for the Python 2 era ``typing`` backport and the ``webrtcvad`` source package, which no
longer builds; its forks pin torch 1.7.1), yet its pretrained weights (Apache-2.0) are the
speaker check that our thresholds were measured with. So the network is defined here and the
weights are a base model the hub installs (``speaker-encoder``), loaded without running
pickled code.

What the weights expect, and what this module therefore does exactly:

- 16 kHz audio, a mel power spectrogram (not log) of 40 Slaney mel bands from a 400-sample
  (25 ms) periodic Hann window every 160 samples (10 ms), frames centred with zero padding;
- partial utterances of 160 frames (1.6 s) every 77 frames (≈1.3 per second, so about half
  overlapping); a last partial that covers less than 75 % of its span is dropped unless it
  is the only one;
- a 3-layer LSTM of 256 units over each partial, its last layer's final hidden state through
  a 256→256 linear layer and a ReLU, L2-normalised; the partials' embeddings are averaged and
  normalised again.

Volume normalisation and silence trimming happen before this, in ``audio/speakers.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import librosa
import numpy as np
import torch
from torch import nn

from voicestudio.errors import CorruptFileError
from voicestudio.models.checkpoint_format import layout_mismatch
from voicestudio.models.safe_pickle import safe_load

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
HIDDEN = 256
LAYERS = 3
EMBEDDING_DIM = 256
PARTIAL_FRAMES = 160  # 1.6 s
PARTIAL_STEP = 77  # frames between partial starts: round(16000 / 1.3 / 160)
MIN_LAST_COVERAGE = 0.75


class SpeakerEncoder(nn.Module):
    """mel frames (batch, frames, 40) -> unit-length voice embeddings (batch, 256)."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, HIDDEN, LAYERS, batch_first=True)
        self.linear = nn.Linear(HIDDEN, EMBEDDING_DIM)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = torch.relu(self.linear(hidden[-1]))
        return raw / raw.norm(dim=1, keepdim=True).clamp_min(1e-9)

    def embed(self, wav: np.ndarray) -> np.ndarray:
        """The utterance embedding of a preprocessed 16 kHz clip (float32, shape (256,))."""
        starts, padded_length = partial_starts(len(wav))
        if padded_length > len(wav):
            wav = np.pad(wav, (0, padded_length - len(wav)))
        frames = mel_frames(wav)
        partials = np.stack([frames[s:s + PARTIAL_FRAMES] for s in starts])
        with torch.inference_mode():
            per_partial = self(torch.from_numpy(partials)).numpy()
        mean = per_partial.mean(axis=0)
        return (mean / max(float(np.linalg.norm(mean)), 1e-9)).astype(np.float32)


def partial_starts(n_samples: int) -> tuple[list[int], int]:
    """Start frames of the 1.6 s partials covering a clip, and the length to zero-pad it to."""
    n_frames = -(-(n_samples + 1) // HOP)  # ceil
    last_possible = max(1, n_frames - PARTIAL_FRAMES + PARTIAL_STEP + 1)
    starts = list(range(0, last_possible, PARTIAL_STEP))
    span = PARTIAL_FRAMES * HOP
    if len(starts) > 1 and (n_samples - starts[-1] * HOP) / span < MIN_LAST_COVERAGE:
        starts.pop()
    return starts, (starts[-1] + PARTIAL_FRAMES) * HOP


@functools.cache
def _mel_basis() -> np.ndarray:
    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS)  # Slaney, (40, 201)


def mel_frames(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) float32 mel power spectrogram of a 16 kHz clip, one frame per 10 ms."""
    x = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))
    spec = torch.stft(x, N_FFT, hop_length=HOP, window=torch.hann_window(N_FFT),
                      center=True, pad_mode="constant", return_complex=True)
    power = spec.abs().pow(2).numpy()  # (201, frames)
    return (_mel_basis() @ power).T.astype(np.float32)


def load_speaker_encoder(path: str | Path) -> SpeakerEncoder:
    """The encoder with the weights in ``path`` (resemblyzer's ``pretrained.pt`` layout).

    The file is untrusted like every checkpoint: it is unpickled with tensors and containers
    only. Raises CorruptFileError when it is not a readable file of this network.
    """
    checkpoint = safe_load(path)
    state = checkpoint.get("model_state") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise CorruptFileError(
            f"'{Path(path).name}' is not a speaker-encoder weights file (no model_state inside).")
    encoder = SpeakerEncoder()
    expected = encoder.state_dict()
    # The file also holds GE2E's training-only similarity scale and bias: not used here.
    weights = {k: v for k, v in state.items() if k in expected}
    wrong, _ = layout_mismatch(expected, weights)
    if wrong:
        raise CorruptFileError(
            f"'{Path(path).name}' does not fit the speaker encoder ({len(wrong)} weights "
            f"missing or of another shape, e.g. {wrong[0]}).")
    encoder.load_state_dict(weights)
    return encoder.eval()
