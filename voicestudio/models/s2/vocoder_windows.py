"""Running the HiFi-GAN over fixed-length windows of latent frames at CPU inference.

oneDNN builds its convolution kernels, and keeps buffers, for each input shape it meets. For
bf16 (AMX / AVX512-BF16) building them takes about as long as decoding several seconds of
audio (1-4 s on the benchmark CPU, growing with the length), so a chapter whose every sentence
has a new length paid that on every sentence and bf16 came out slower than fp32; in fp32 the
vocoder's peak memory grew with every new length (1.5-1.9 GB over 15 sentences, against
650-680 MB in windows, at the same speed). Cutting every input into windows of one length
means the kernels are built once per process and reused. Short windows also keep the
activations (32 channels at 32 kHz) in the CPU's caches: with the rows layout (conv_rows.py)
a 10 s sentence took 0.6-0.8 s in bf16 windows of 96 frames against 2.3-2.5 s whole, even
with the whole-length kernels already built.

The result equals the whole-input result: the vocoder is convolutional, so an output sample
depends only on latent frames within its receptive radius. Each window is computed with
``margin`` (at least that radius) frames of context on every side that is not the input's
own start or end, and only its middle is kept; the first window starts at frame 0 and the
last one ends at the last frame, so the zero padding at the true edges is the same as in a
whole-input pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from voicestudio.models.s2.config import S2Config

# Frames per window on the full-size v2 vocoder: over a chapter's mix of lengths at 2 threads,
# 96 was faster than 128 and 192 in bf16 (longer windows leave more sentences to the whole
# fp32 pass) and as fast as 160 in fp32; the margins (2 x 13 frames) stay a modest share.
WINDOW_FRAMES = 96


def receptive_radius_frames(cfg: S2Config) -> float:
    """How many latent frames either side of an output sample can change it (an upper bound).

    Summed over the stack: conv_pre (kernel 7), then per upsampling stage the transposed conv
    (``ceil(kernel / rate)`` input samples) and the widest residual block (each dilated conv
    and its plain conv), each divided by the stage's samples per latent frame, and conv_post.
    """
    radius = 3.0  # conv_pre, kernel 7 at the latent rate (cond is 1x1)
    per_frame = 1
    widest_block = max(
        sum((k - 1) // 2 * d + (k - 1) // 2 for d in dilations)
        for k, dilations in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes,
                                strict=True)
    )
    for rate, kernel in zip(cfg.upsample_rates, cfg.upsample_kernel_sizes, strict=True):
        radius += math.ceil(kernel / rate) / per_frame
        per_frame *= rate
        radius += widest_block / per_frame
    return radius + 3.0 / per_frame  # conv_post, kernel 7 at the output rate


@dataclass(frozen=True)
class Window:
    """Frames ``[start, start + length)`` are computed; ``[keep_from, keep_to)`` are kept."""

    start: int
    keep_from: int
    keep_to: int


def plan_windows(frames: int, length: int, margin: int) -> list[Window]:
    """Windows of ``length`` frames covering ``frames`` (> length) frames exactly once."""
    if length <= 2 * margin:
        raise ValueError(f"a window of {length} frames cannot hold two margins of {margin}")
    if frames <= length:
        raise ValueError(f"{frames} frames fit in one window of {length}: no windows needed")
    step = length - 2 * margin
    starts = list(range(0, frames - length, step)) + [frames - length]
    windows = []
    for i, start in enumerate(starts):
        keep_from = 0 if i == 0 else windows[-1].keep_to
        keep_to = frames if i == len(starts) - 1 else start + length - margin
        windows.append(Window(start, keep_from, keep_to))
    return windows


def decode_in_windows(
    vocode: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    z: torch.Tensor,
    g: torch.Tensor,
    hop: int,
    length: int,
    margin: int,
) -> torch.Tensor:
    """``vocode(z, g)`` (audio ``(B, 1, frames * hop)``) computed window by window."""
    pieces = []
    for window in plan_windows(z.shape[-1], length, margin):
        audio = vocode(z[..., window.start: window.start + length], g)
        first = (window.keep_from - window.start) * hop
        last = (window.keep_to - window.start) * hop
        pieces.append(audio[..., first:last])
    return torch.cat(pieces, dim=-1)
