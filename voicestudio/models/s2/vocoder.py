"""The S2 decoder `dec`: a HiFi-GAN V1 generator from 50 Hz latents to 32 kHz audio.

Upsampling by [10, 8, 2, 2, 2] = 640 = hop length turns one latent frame into one hop of
samples. Every transposed conv and residual conv is weight-normalised and stored as
`weight_g`/`weight_v`, as in the GPT-SoVITS files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from voicestudio.models.s2.config import S2Config
from voicestudio.models.s2.conv_rows import (
    conv_rows,
    conv_rows_add,
    conv_rows_leaky,
    from_rows,
    to_rows,
)
from voicestudio.models.s2.vocoder_windows import (
    HEAD_STAGES,
    HEAD_WINDOWS,
    TAIL_WINDOWS,
    plan_windows,
    run_in_windows,
    stack_radius,
)
from voicestudio.models.s2.weight_norm import WeightNormConv1d, WeightNormConvTranspose1d

LRELU_SLOPE = 0.1


def _cpu_inference(x: torch.Tensor) -> bool:
    """Where the rows layout and the windows pay: both work around oneDNN (CPU) behaviour,
    and training needs the plain 1-D path for its gradients."""
    return not torch.is_grad_enabled() and x.device.type == "cpu"


class ResidualBlock(nn.Module):
    """HiFi-GAN ResBlock1: three (dilated conv, conv) pairs with residuals."""

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int]) -> None:
        super().__init__()

        def conv(dilation: int) -> WeightNormConv1d:
            pad = (kernel_size * dilation - dilation) // 2
            return WeightNormConv1d(channels, channels, kernel_size, dilation=dilation, padding=pad)

        self.convs1 = nn.ModuleList(conv(d) for d in dilations)
        self.convs2 = nn.ModuleList(conv(1) for _ in dilations)

    def forward(self, x: torch.Tensor, activated: torch.Tensor | None = None) -> torch.Tensor:
        """``activated``: ``leaky_relu(x)``, when the caller has it (a stage's three blocks
        share their input). On rows (CPU inference) each conv runs fused with what follows
        it: the second leaky ReLU, the residual sum (conv_rows.py)."""
        rows = x.dim() == 4
        for i, (c1, c2) in enumerate(zip(self.convs1, self.convs2, strict=True)):
            a = activated if i == 0 and activated is not None else F.leaky_relu(x, LRELU_SLOPE)
            if rows:
                x = conv_rows_add(c2, conv_rows_leaky(c1, a, LRELU_SLOPE), x)
            else:
                x = x + c2(F.leaky_relu(c1(a), LRELU_SLOPE))
        return x


class HiFiGANGenerator(nn.Module):
    def __init__(self, cfg: S2Config) -> None:
        super().__init__()
        ch = cfg.upsample_initial_channel
        self.n_kernels = len(cfg.resblock_kernel_sizes)
        self.conv_pre = nn.Conv1d(cfg.inter_channels, ch, 7, 1, padding=3)
        self.ups = nn.ModuleList()
        for i, (rate, kernel) in enumerate(
            zip(cfg.upsample_rates, cfg.upsample_kernel_sizes, strict=True)
        ):
            self.ups.append(
                WeightNormConvTranspose1d(
                    ch // 2**i, ch // 2 ** (i + 1), kernel, rate, padding=(kernel - rate) // 2
                )
            )
        self.resblocks = nn.ModuleList(
            ResidualBlock(ch // 2 ** (i + 1), k, d)
            for i in range(len(self.ups))
            for k, d in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes, strict=True)
        )
        self.conv_post = nn.Conv1d(ch // 2 ** len(self.ups), 1, 7, 1, padding=3, bias=False)
        self.cond = nn.Conv1d(cfg.gin_channels, ch, 1)
        # what the upsampling stack runs in without gradients (see models/s2/precision.py)
        self.inference_dtype = torch.float32
        self.hop = math.prod(cfg.upsample_rates)
        # the two levels of windows at CPU inference (models/s2/vocoder_windows.py)
        stages = len(cfg.upsample_rates)
        self.head_scale = math.prod(cfg.upsample_rates[:HEAD_STAGES])
        self.head_margin = math.ceil(stack_radius(cfg, range(HEAD_STAGES), True, False))
        self.tail_margin = math.ceil(stack_radius(cfg, range(HEAD_STAGES, stages), False, True))
        self.head_windows = tuple(max(n, 4 * self.head_margin) for n in HEAD_WINDOWS)
        self.tail_windows = tuple(max(n, 4 * self.tail_margin) for n in TAIL_WINDOWS)

    def forward(self, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """z (B, inter, T), g (B, gin, 1) -> audio (B, 1, T * hop) in [-1, 1].

        At inference on a CPU the head and the tail each run over windows of a few fixed
        lengths where the input is longer than a window (models/s2/vocoder_windows.py), in
        bf16 where that was chosen. A shorter input runs that level whole in fp32: each new
        short length would build its own bf16 kernels, which costs more than the bf16 pass
        saves.
        """
        if not _cpu_inference(z):
            return self._tail(self._head(z, g, None), None)
        reduced = self._reduced_dtype(z)
        if z.shape[-1] > min(self.head_windows):
            windows = plan_windows(z.shape[-1], self.head_windows, self.head_margin)
            x = run_in_windows(lambda zw: self._head(zw, g, reduced), z, windows,
                               self.head_scale)
        else:
            x = self._head(z, g, None)
        if x.shape[-1] <= min(self.tail_windows):
            return self._tail(x.to(z.dtype), None)
        windows = plan_windows(x.shape[-1], self.tail_windows, self.tail_margin)
        return run_in_windows(lambda xw: self._tail(xw, reduced), x, windows,
                              self.hop // self.head_scale)

    def _stage(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Upsampling stage ``i``: (B, ch / 2^i, [1,] T) -> (B, ch / 2^(i+1), [1,] T * rate)."""
        x = self.ups[i](F.leaky_relu(x, LRELU_SLOPE))
        blocks = self.resblocks[i * self.n_kernels : (i + 1) * self.n_kernels]
        activated = F.leaky_relu(x, LRELU_SLOPE)  # every block's first input
        return sum(block(x, activated) for block in blocks) / self.n_kernels

    def _head(self, z: torch.Tensor, g: torch.Tensor, reduced: torch.dtype | None
              ) -> torch.Tensor:
        """conv_pre and the first stages over latents ``z``, in ``reduced`` when it is set;
        at CPU inference the output is in the rows layout (conv_rows.py)."""
        x = self.conv_pre(z) + self.cond(g)  # (B, ch, T)
        if reduced is not None:  # the upsampling stack in bf16; conv_post back in fp32
            x = x.to(reduced)
        if _cpu_inference(x):
            x = to_rows(x)
        for i in range(HEAD_STAGES):
            x = self._stage(x, i)
        return x

    def _tail(self, x: torch.Tensor, reduced: torch.dtype | None) -> torch.Tensor:
        """The other stages and conv_post over the head's output ``x``; the stages run in
        ``reduced`` when it is set."""
        if reduced is not None:
            x = x.to(reduced)
        for i in range(HEAD_STAGES, len(self.ups)):
            x = self._stage(x, i)
        if reduced is not None:
            x = x.float()
        x = F.leaky_relu(x)  # default slope 0.01 here, as upstream
        rows = x.dim() == 4
        x = from_rows(conv_rows(self.conv_post, x)) if rows else self.conv_post(x)
        return torch.tanh(x)

    def _reduced_dtype(self, x: torch.Tensor) -> torch.dtype | None:
        """The lower precision to run the stack in, or None: only at inference, only from an
        fp32 input (a half model or CUDA autocast keeps its own format)."""
        wanted = self.inference_dtype
        if wanted == torch.float32 or x.dtype != torch.float32 or torch.is_grad_enabled():
            return None
        return wanted
