"""The reference (style) encoder `ref_enc`: a linear spectrogram -> one voice vector `ge`.

Meta-StyleSpeech's MelStyleEncoder, run on the first 704 linear-spectrogram bins in v2.
`ge` conditions MRTE, the flow and the vocoder; it is what makes the output sound like the
reference speaker, so several references can simply be averaged.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class Linear(nn.Module):
    """nn.Linear one level down (`fc`), the upstream LinearNorm key layout."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class SamePaddedConv(nn.Module):
    """nn.Conv1d one level down (`conv`), 'same' padding for an odd kernel."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel_size, padding=(kernel_size - 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class GatedConv(nn.Module):
    """Residual conv with a gated linear unit (upstream Conv1dGLU)."""

    def __init__(self, channels: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        self.conv1 = SamePaddedConv(channels, 2 * channels, kernel_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, T) -> (B, C, T)."""
        a, b = self.conv1(x).chunk(2, dim=1)
        return x + self.dropout(a * torch.sigmoid(b))


class StyleSelfAttention(nn.Module):
    """Time-major multi-head self-attention with a residual (keys `w_qs`, `w_ks`, `w_vs`, `fc`).

    The softmax temperature is sqrt(model width), not sqrt(head width), as upstream.
    """

    def __init__(self, dim: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.temperature = math.sqrt(dim)
        self.w_qs = nn.Linear(dim, dim)
        self.w_ks = nn.Linear(dim, dim)
        self.w_vs = nn.Linear(dim, dim)
        self.fc = nn.Linear(dim, dim)
        self.attn_dropout = nn.Dropout(dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """x (B, T, D), pad (B, T) True on padded frames -> (B, T, D)."""
        B, T, D = x.shape
        nh = self.n_heads

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(B, T, nh, D // nh).transpose(1, 2)  # (B, nh, T, hd)

        q, k, v = heads(self.w_qs(x)), heads(self.w_ks(x)), heads(self.w_vs(x))
        scores = q @ k.transpose(-2, -1) / self.temperature  # (B, nh, T, T)
        scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        attn = self.attn_dropout(F.softmax(scores, dim=-1))
        out = (attn @ v).transpose(1, 2).reshape(B, T, D)
        return self.dropout(self.fc(out)) + x


class MelStyleEncoder(nn.Module):
    def __init__(
        self,
        in_bins: int,
        out_dim: int,
        hidden: int = 128,
        kernel_size: int = 5,
        n_heads: int = 2,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.in_bins = in_bins
        self.spectral = nn.Sequential(
            Linear(in_bins, hidden),
            nn.Mish(),
            nn.Dropout(dropout),
            Linear(hidden, hidden),
            nn.Mish(),
            nn.Dropout(dropout),
        )
        self.temporal = nn.Sequential(
            GatedConv(hidden, kernel_size, dropout), GatedConv(hidden, kernel_size, dropout)
        )
        self.slf_attn = StyleSelfAttention(hidden, n_heads, dropout)
        self.fc = Linear(hidden, out_dim)

    def forward(self, spec: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """spec (B, F, T) linear magnitude, mask (B, 1, T) -> ge (B, out_dim, 1)."""
        x = (spec[:, : self.in_bins] * mask).transpose(1, 2)  # (B, T, 704)
        pad = mask.squeeze(1) == 0  # (B, T)
        x = self.spectral(x)  # (B, T, H)
        x = self.temporal(x.transpose(1, 2)).transpose(1, 2)
        x = x.masked_fill(pad.unsqueeze(-1), 0)
        x = self.slf_attn(x, pad)
        x = self.fc(x)  # (B, T, out)
        return _masked_time_mean(x, pad).unsqueeze(-1)


def _masked_time_mean(x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
    """Mean over valid frames, in fp32 so long references cannot overflow a half sum."""
    valid = (~pad).sum(dim=1, keepdim=True).float()  # (B, 1)
    summed = x.float().masked_fill(pad.unsqueeze(-1), 0).div(valid.unsqueeze(1)).sum(dim=1)
    return summed.to(x.dtype)
