"""WaveNet-style stacks and the two modules built on them: the posterior encoder and the flow.

The posterior encoder `enc_q` maps a real linear spectrogram to a latent z (training only;
inference exports drop it). The flow maps z to the prior's space during training and back
during synthesis; its couplings are mean-only, so it is exactly invertible.
"""

from __future__ import annotations

import torch
from torch import nn

from voicestudio.models.s2.attention import sequence_mask
from voicestudio.models.s2.weight_norm import WeightNormConv1d


def gated_activation(x: torch.Tensor, cond: torch.Tensor, channels: int) -> torch.Tensor:
    """tanh(first half) * sigmoid(second half) of x + cond; (B, 2C, T) -> (B, C, T)."""
    h = x + cond
    return torch.tanh(h[:, :channels]) * torch.sigmoid(h[:, channels:])


class WaveNet(nn.Module):
    """Non-causal gated WaveNet with global conditioning (upstream modules.WN)."""

    def __init__(
        self,
        channels: int,
        kernel_size: int,
        dilation_rate: int,
        n_layers: int,
        gin_channels: int = 0,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.in_layers = nn.ModuleList()
        self.res_skip_layers = nn.ModuleList()
        if gin_channels:
            self.cond_layer = WeightNormConv1d(gin_channels, 2 * channels * n_layers, 1)
        for i in range(n_layers):
            dilation = dilation_rate**i
            self.in_layers.append(
                WeightNormConv1d(
                    channels,
                    2 * channels,
                    kernel_size,
                    dilation=dilation,
                    padding=(kernel_size * dilation - dilation) // 2,
                )
            )
            # the last layer only feeds the skip path
            out = 2 * channels if i < n_layers - 1 else channels
            self.res_skip_layers.append(WeightNormConv1d(channels, out, 1))

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, g: torch.Tensor | None = None
    ) -> torch.Tensor:
        """x (B, C, T), mask (B, 1, T), g (B, gin, 1) -> (B, C, T)."""
        C = self.channels
        cond = self.cond_layer(g) if g is not None else None  # (B, 2C*L, 1)
        skip = torch.zeros_like(x)
        last = len(self.in_layers) - 1
        for i, (in_layer, res_skip) in enumerate(
            zip(self.in_layers, self.res_skip_layers, strict=True)
        ):
            h = in_layer(x)  # (B, 2C, T)
            g_i = cond[:, i * 2 * C : (i + 1) * 2 * C] if cond is not None else 0
            acts = res_skip(gated_activation(h, g_i, C))
            if i < last:
                x = (x + acts[:, :C]) * mask
                skip = skip + acts[:, C:]
            else:
                skip = skip + acts
        return skip * mask


class PosteriorEncoder(nn.Module):
    """Spectrogram -> (z, m_q, logs_q): the training-time latent the decoder learns from."""

    def __init__(
        self,
        spec_channels: int,
        out_channels: int,
        hidden: int,
        kernel_size: int,
        n_layers: int,
        gin_channels: int,
    ) -> None:
        super().__init__()
        self.out_channels = out_channels
        self.pre = nn.Conv1d(spec_channels, hidden, 1)
        self.enc = WaveNet(hidden, kernel_size, 1, n_layers, gin_channels)
        self.proj = nn.Conv1d(hidden, out_channels * 2, 1)

    def forward(
        self,
        spec: torch.Tensor,
        lengths: torch.Tensor,
        g: torch.Tensor,
        noise: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """spec (B, 1025, T) -> z, m, logs (B, inter, T), mask (B, 1, T).

        `noise` replaces the standard-normal sample (to reproduce a recorded run).
        """
        mask = sequence_mask(lengths, spec.size(2), spec.dtype)
        x = self.pre(spec) * mask
        x = self.enc(x, mask, g=g.detach())
        stats = self.proj(x) * mask
        m, logs = torch.split(stats, self.out_channels, dim=1)
        if noise is None:
            noise = torch.randn_like(m)
        z = (m + noise * torch.exp(logs)) * mask
        return z, m, logs, mask


class MeanOnlyCoupling(nn.Module):
    """Affine coupling with unit scale: shifts the second half by a function of the first."""

    def __init__(
        self, channels: int, hidden: int, kernel_size: int, n_layers: int, gin_channels: int
    ) -> None:
        super().__init__()
        self.half = channels // 2
        self.pre = nn.Conv1d(self.half, hidden, 1)
        self.enc = WaveNet(hidden, kernel_size, 1, n_layers, gin_channels)
        self.post = nn.Conv1d(hidden, self.half, 1)
        nn.init.zeros_(self.post.weight)  # start as the identity map
        nn.init.zeros_(self.post.bias)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, g: torch.Tensor, reverse: bool
    ) -> torch.Tensor:
        x0, x1 = torch.split(x, [self.half, self.half], dim=1)
        h = self.enc(self.pre(x0) * mask, mask, g=g)
        shift = self.post(h) * mask
        x1 = (x1 - shift) * mask if reverse else shift + x1 * mask
        return torch.cat([x0, x1], dim=1)


class ChannelFlip(nn.Module):
    """Reverses the channel order so the next coupling transforms the other half."""

    def forward(self, x: torch.Tensor, *_: object, **__: object) -> torch.Tensor:
        return torch.flip(x, [1])


class CouplingFlow(nn.Module):
    """Upstream ResidualCouplingBlock: couplings at even indices of `flows`, flips between."""

    def __init__(
        self,
        channels: int,
        hidden: int,
        kernel_size: int,
        n_layers: int,
        n_flows: int,
        gin_channels: int,
    ) -> None:
        super().__init__()
        self.flows = nn.ModuleList()
        for _ in range(n_flows):
            coupling = MeanOnlyCoupling(channels, hidden, kernel_size, n_layers, gin_channels)
            self.flows.append(coupling)
            self.flows.append(ChannelFlip())

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, g: torch.Tensor, reverse: bool = False
    ) -> torch.Tensor:
        """x (B, inter, T): posterior z -> z_p (forward), prior sample -> z (reverse)."""
        flows = reversed(self.flows) if reverse else self.flows
        for flow in flows:
            x = flow(x, mask, g, reverse)
        return x
