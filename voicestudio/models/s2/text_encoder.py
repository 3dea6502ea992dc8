"""The S2 prior encoder (`enc_p`): semantic features + phones + voice -> prior mean/log-std.

The semantic codes say *what* is said at 50 Hz; phones sharpen pronunciation; MRTE
(multi-reference timbre encoder) lets every SSL frame attend to the phone sequence and adds
the reference voice embedding `ge`, so the prior is already speaker-coloured.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from voicestudio.models.s2.attention import MultiHeadAttention, RelativeTransformer, sequence_mask
from voicestudio.models.s2.config import S2Config


class MRTE(nn.Module):
    """Cross-attention from SSL frames (queries) to phone encodings, plus `ge`."""

    def __init__(self, channels: int, hidden: int, n_heads: int) -> None:
        super().__init__()
        self.cross_attention = MultiHeadAttention(hidden, n_heads)
        self.c_pre = nn.Conv1d(channels, hidden, 1)
        self.text_pre = nn.Conv1d(channels, hidden, 1)
        self.c_post = nn.Conv1d(hidden, channels, 1)

    def forward(
        self,
        ssl: torch.Tensor,
        ssl_mask: torch.Tensor,
        text: torch.Tensor,
        text_mask: torch.Tensor,
        ge: torch.Tensor,
    ) -> torch.Tensor:
        """ssl (B, C, Ts), text (B, C, Tt), ge (B, H, 1) -> (B, C, Ts)."""
        attn_mask = text_mask.unsqueeze(2) * ssl_mask.unsqueeze(-1)  # (B, 1, Ts, Tt)
        ssl = self.c_pre(ssl * ssl_mask)  # (B, H, Ts)
        text = self.text_pre(text * text_mask)  # (B, H, Tt)
        x = self.cross_attention(ssl * ssl_mask, text * text_mask, attn_mask) + ssl + ge
        return self.c_post(x * ssl_mask)


class TextEncoder(nn.Module):
    """Upstream `enc_p` (models.TextEncoder), returning (x, m_p, logs_p, mask)."""

    def __init__(self, cfg: S2Config) -> None:
        super().__init__()
        C = cfg.hidden_channels
        self.out_channels = cfg.inter_channels

        def transformer(n_layers: int) -> RelativeTransformer:
            return RelativeTransformer(
                C,
                cfg.filter_channels,
                cfg.n_heads,
                n_layers,
                cfg.kernel_size,
                cfg.p_dropout,
                cfg.attention_window,
            )

        self.ssl_proj = nn.Conv1d(cfg.ssl_dim, C, 1)
        self.encoder_ssl = transformer(cfg.n_layers // 2)
        self.encoder_text = transformer(cfg.n_layers)
        self.text_embedding = nn.Embedding(cfg.n_symbols, C)
        self.mrte = MRTE(C, cfg.mrte_hidden, cfg.mrte_heads)
        self.encoder2 = transformer(cfg.n_layers // 2)
        self.proj = nn.Conv1d(C, cfg.inter_channels * 2, 1)

    def forward(
        self,
        ssl: torch.Tensor,
        ssl_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        ge: torch.Tensor,
        speed: float = 1.0,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """ssl (B, 768, T) at 50 Hz, text (B, Tt) phone ids, ge (B, gin, 1)."""
        ssl = ssl.to(self.ssl_proj.weight.dtype)  # the codebook lookup is fp32; a half model
        y_mask = sequence_mask(ssl_lengths, ssl.size(2), ssl.dtype)  # (B, 1, T)
        y = self.ssl_proj(ssl * y_mask) * y_mask  # (B, C, T)
        y = self.encoder_ssl(y, y_mask)

        text_mask = sequence_mask(text_lengths, text.size(1), y.dtype)  # (B, 1, Tt)
        t = self.text_embedding(text).transpose(1, 2)  # (B, C, Tt)
        t = self.encoder_text(t * text_mask, text_mask)

        y = self.mrte(y, y_mask, t, text_mask, ge)
        y = self.encoder2(y * y_mask, y_mask)

        if speed != 1:
            # stretch the content in time: fewer frames -> faster speech
            y = F.interpolate(y, size=int(y.shape[-1] / speed) + 1, mode="linear")
            y_mask = F.interpolate(y_mask, size=y.shape[-1], mode="nearest")
        stats = self.proj(y) * y_mask  # (B, 2*inter, T')
        m, logs = torch.split(stats, self.out_channels, dim=1)
        return y, m, logs, y_mask
