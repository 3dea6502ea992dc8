"""The VITS-style transformer used by the S2 text/SSL encoders and MRTE.

Convolution-based (1x1 conv projections over (B, C, T)), post-norm, with relative-position
key/value embeddings inside a +-4 frame window. Names (`conv_q`, `emb_rel_k`, `norm_layers_1`,
`gamma`/`beta` ...) are the GPT-SoVITS state-dict keys.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def sequence_mask(
    lengths: torch.Tensor, max_len: int, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """(B,) lengths -> (B, 1, T) mask with ones on valid frames, in the activations' dtype."""
    steps = torch.arange(max_len, device=lengths.device)
    return (steps.unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(1).to(dtype)


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channel axis of a (B, C, T) tensor (keys `gamma`, `beta`)."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, -1)  # (B, T, C)
        x = F.layer_norm(x, (x.size(-1),), self.gamma, self.beta, self.eps)
        return x.transpose(1, -1)


def _window_embeddings(table: torch.Tensor, window: int, length: int) -> torch.Tensor:
    """(1, 2w+1, d) embeddings -> (1, 2L-1, d) for relative offsets -(L-1)..L-1.

    Offsets outside the window get zero vectors, so far-apart frames see no position bias.
    """
    pad = max(length - (window + 1), 0)
    start = max((window + 1) - length, 0)
    if pad:
        table = F.pad(table, (0, 0, pad, pad))
    return table[:, start : start + 2 * length - 1]


def _offset_index(length: int, device: torch.device) -> torch.Tensor:
    """(L, L) index of offset j - i in a (2L-1)-wide relative axis."""
    pos = torch.arange(length, device=device)
    return pos.unsqueeze(0) - pos.unsqueeze(1) + (length - 1)


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention over (B, C, T) with optional relative positions."""

    def __init__(
        self, channels: int, n_heads: int, p_dropout: float = 0.0, window: int | None = None
    ) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = channels // n_heads
        self.window = window
        if window is not None:
            # one table shared by all heads ("heads_share" upstream)
            std = self.head_dim**-0.5
            self.emb_rel_k = nn.Parameter(torch.randn(1, 2 * window + 1, self.head_dim) * std)
            self.emb_rel_v = nn.Parameter(torch.randn(1, 2 * window + 1, self.head_dim) * std)
        self.conv_q = nn.Conv1d(channels, channels, 1)
        self.conv_k = nn.Conv1d(channels, channels, 1)
        self.conv_v = nn.Conv1d(channels, channels, 1)
        self.conv_o = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(p_dropout)
        for conv in (self.conv_q, self.conv_k, self.conv_v):
            nn.init.xavier_uniform_(conv.weight)

    def forward(self, x: torch.Tensor, c: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, C, Tq) attends to c (B, C, Tk); mask (B, 1, Tq, Tk) with 0 where blocked."""
        B, C, Tq = x.shape
        Tk = c.size(2)
        q = self.conv_q(x).view(B, self.n_heads, self.head_dim, Tq).transpose(2, 3)
        k = self.conv_k(c).view(B, self.n_heads, self.head_dim, Tk).transpose(2, 3)
        v = self.conv_v(c).view(B, self.n_heads, self.head_dim, Tk).transpose(2, 3)
        q = q / math.sqrt(self.head_dim)  # (B, nh, Tq, hd)

        scores = q @ k.transpose(-2, -1)  # (B, nh, Tq, Tk)
        if self.window is not None:
            offsets = _offset_index(Tq, x.device).expand(B, self.n_heads, Tq, Tq)
            rel_k = _window_embeddings(self.emb_rel_k, self.window, Tq)  # (1, 2T-1, hd)
            rel_logits = q @ rel_k.unsqueeze(0).transpose(-2, -1)  # (B, nh, T, 2T-1)
            scores = scores + torch.gather(rel_logits, 3, offsets)
        scores = scores.masked_fill(mask == 0, -1e4)
        p_attn = self.drop(F.softmax(scores, dim=-1))

        out = p_attn @ v  # (B, nh, Tq, hd)
        if self.window is not None:
            by_offset = p_attn.new_zeros(B, self.n_heads, Tq, 2 * Tq - 1)
            by_offset = by_offset.scatter(3, offsets, p_attn)  # (B, nh, T, 2T-1)
            rel_v = _window_embeddings(self.emb_rel_v, self.window, Tq)
            out = out + by_offset @ rel_v.unsqueeze(0)
        out = out.transpose(2, 3).reshape(B, C, Tq)
        return self.conv_o(out)


class FeedForward(nn.Module):
    """Two 'same'-padded convolutions with ReLU (upstream FFN: `conv_1`, `conv_2`)."""

    def __init__(self, channels: int, filter_channels: int, kernel_size: int, p_dropout: float):
        super().__init__()
        self.pad = ((kernel_size - 1) // 2, kernel_size // 2)
        self.conv_1 = nn.Conv1d(channels, filter_channels, kernel_size)
        self.conv_2 = nn.Conv1d(filter_channels, channels, kernel_size)
        self.drop = nn.Dropout(p_dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.conv_1(F.pad(x * mask, self.pad))  # (B, F, T)
        x = self.drop(torch.relu(x))
        x = self.conv_2(F.pad(x * mask, self.pad))  # (B, C, T)
        return x * mask


class RelativeTransformer(nn.Module):
    """Post-norm transformer encoder (upstream attentions.Encoder)."""

    def __init__(
        self,
        channels: int,
        filter_channels: int,
        n_heads: int,
        n_layers: int,
        kernel_size: int,
        p_dropout: float,
        window: int,
    ) -> None:
        super().__init__()
        self.drop = nn.Dropout(p_dropout)
        self.attn_layers = nn.ModuleList(
            MultiHeadAttention(channels, n_heads, p_dropout, window) for _ in range(n_layers)
        )
        self.norm_layers_1 = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))
        self.ffn_layers = nn.ModuleList(
            FeedForward(channels, filter_channels, kernel_size, p_dropout) for _ in range(n_layers)
        )
        self.norm_layers_2 = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, C, T), mask (B, 1, T) -> (B, C, T)."""
        attn_mask = mask.unsqueeze(2) * mask.unsqueeze(-1)  # (B, 1, T, T)
        x = x * mask
        for attn, norm1, ffn, norm2 in zip(
            self.attn_layers, self.norm_layers_1, self.ffn_layers, self.norm_layers_2, strict=True
        ):
            x = norm1(x + self.drop(attn(x, x, attn_mask)))
            x = norm2(x + self.drop(ffn(x, mask)))
        return x * mask
