"""The frozen residual vector quantizer that turns projected HuBERT features into semantic codes.

The codebook is what ties S1 to S2: S1 predicts indices into it, S2 looks them up. It is
pretrained and frozen (`freeze_quantizer: true` in every v2 config), so this module only
encodes and decodes; it never updates the EMA buffers. The buffers keep upstream's names
(`vq.layers.0._codebook.{inited, cluster_size, embed, embed_avg}`) so files round-trip.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Codebook(nn.Module):
    def __init__(self, dim: int, size: int) -> None:
        super().__init__()
        self.register_buffer("inited", torch.ones(1))
        self.register_buffer("cluster_size", torch.zeros(size))
        self.register_buffer("embed", torch.randn(size, dim))
        self.register_buffer("embed_avg", self.embed.clone())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, D) -> nearest code index (N,) by squared Euclidean distance."""
        embed = self.embed.float()
        distance = (
            x.pow(2).sum(1, keepdim=True) - 2 * x @ embed.t() + embed.pow(2).sum(1).unsqueeze(0)
        )  # (N, K)
        return distance.argmin(dim=-1)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return F.embedding(codes, self.embed.float())


class VectorQuantizer(nn.Module):
    def __init__(self, dim: int, size: int) -> None:
        super().__init__()
        self._codebook = Codebook(dim, size)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, D, T) -> codes (B, T)."""
        B, D, T = x.shape
        flat = x.transpose(1, 2).reshape(B * T, D)
        return self._codebook.encode(flat).view(B, T)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes (B, T) -> (B, D, T)."""
        return self._codebook.decode(codes).transpose(1, 2)


class ResidualQuantizerStack(nn.Module):
    """Holds the `layers` list (upstream ResidualVectorQuantization)."""

    def __init__(self, dim: int, size: int, n_codebooks: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(VectorQuantizer(dim, size) for _ in range(n_codebooks))


class ResidualVectorQuantizer(nn.Module):
    """Each codebook quantizes what the previous ones left over; v2 uses one codebook."""

    def __init__(self, dim: int = 768, size: int = 1024, n_codebooks: int = 1) -> None:
        super().__init__()
        self.vq = ResidualQuantizerStack(dim, size, n_codebooks)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, D, T) -> codes (n_q, B, T)."""
        residual = x.float()
        codes = []
        for layer in self.vq.layers:
            layer_codes = layer.encode(residual)
            residual = residual - layer.decode(layer_codes)
            codes.append(layer_codes)
        return torch.stack(codes)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes (n_q, B, T) -> (B, D, T), the sum of each codebook's vectors (fp32)."""
        layers = self.vq.layers
        if codes.size(0) > len(layers):
            raise ValueError(f"{codes.size(0)} code layers given, the model has {len(layers)}")
        out = layers[0].decode(codes[0])
        for layer, layer_codes in zip(layers[1:], codes[1:], strict=False):
            out = out + layer.decode(layer_codes)
        return out
