"""Running the HiFi-GAN over fixed-length windows at CPU inference, in two levels.

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

A window is exact only with enough context on each side, and nearly all of the receptive
radius (13 latent frames in all) comes from the first convolution and the first upsampling
stage, which are cheap; the later stages, where the time goes, see only 1.7 frames (17
samples at their 500 Hz input) either side. So the stack is cut in two: the *head* (the
first convolution and stage) runs over windows of latent frames with its wide margin, and
the *tail* (the other stages and the last convolution) over short windows of the head's
output with its narrow one. Each level has a few window lengths, so the last window of an
input need not recompute most of the one before it. One-level windows of 96 frames
recomputed a third or more of a chapter's sentences (a 200-frame sentence took 3 windows,
288 frames); now the tail recomputes a few percent. Measured on the benchmark CPU at 2
threads in bf16, alternated in one process: a 30-sentence chapter's vocoder 1.3 times as
fast; a sentence of 1-1.4 s, which one-level windows ran whole in fp32, 1.6-2.2 times.

The result equals the whole-input result: each level is convolutional, so an output sample
depends only on inputs within the level's receptive radius. Each window is computed with
``margin`` (at least that radius) samples of context on every side that is not the input's
own start or end, and only its middle is kept; the first window starts at sample 0 and the
last one ends at the last sample, so the zero padding at the true edges is the same as in a
whole-input pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from voicestudio.models.s2.config import S2Config

# The upsampling stages in the head: the first one holds most of the radius (its 11-tap
# residual convs at 500 Hz reach 6 latent frames) at a fifth of the stack's arithmetic.
HEAD_STAGES = 1
# The window lengths each level may run at (one set of kernels each), measured on the
# full-size v2 vocoder at 2 threads in bf16 over a 30-sentence chapter's S2, alternated in one
# process. The head: 64 and 128 latent frames. The tail, in samples at 500 Hz: (240, 480) was
# as fast as (320, 640), (480, 1280) and (240, 480, 960) (1.25-1.36 times the one-level
# windows, within the noise), and held the least memory: oneDNN keeps buffers per shape that
# grow with the window, 775 MB of peak for the S2 process against 865-890 MB with 960 or 1280
# among the lengths (one-level: 805). An input no longer than a level's shortest window runs
# that level whole in fp32.
HEAD_WINDOWS = (64, 128)
TAIL_WINDOWS = (240, 480)


def _widest_block(cfg: S2Config) -> int:
    """Samples either side that the widest residual block reaches (each dilated conv and its
    plain conv, three pairs), at its stage's rate."""
    return max(
        sum((k - 1) // 2 * d + (k - 1) // 2 for d in dilations)
        for k, dilations in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes,
                                strict=True)
    )


def stack_radius(cfg: S2Config, stages: range, first_conv: bool, last_conv: bool) -> float:
    """How many input samples either side of an output sample can change it (an upper bound),
    for upsampling ``stages`` (with the vocoder's first and last convolutions when asked), in
    samples at the input of ``stages[0]``.

    Summed over the part: conv_pre (kernel 7), then per stage the transposed conv
    (``ceil(kernel / rate)`` input samples) and the widest residual block, each divided by the
    stage's output samples per input sample, and conv_post (kernel 7).
    """
    radius = 3.0 if first_conv else 0.0  # conv_pre, kernel 7 (cond is 1x1)
    per_sample = 1
    widest_block = _widest_block(cfg)
    for i in stages:
        rate, kernel = cfg.upsample_rates[i], cfg.upsample_kernel_sizes[i]
        radius += math.ceil(kernel / rate) / per_sample
        per_sample *= rate
        radius += widest_block / per_sample
    return radius + (3.0 / per_sample if last_conv else 0.0)


@dataclass(frozen=True)
class Window:
    """Samples ``[start, start + length)`` are computed; ``[keep_from, keep_to)`` are kept."""

    start: int
    length: int
    keep_from: int
    keep_to: int


def _window_from(kept: int, length: int, samples: int, margin: int) -> Window:
    """The next window after ``kept`` samples are covered: it starts ``margin`` before them
    (at 0 for the first), or ends at the input's end when it reaches that far."""
    earliest = 0 if kept == 0 else kept - margin
    if samples - length <= earliest:
        return Window(samples - length, length, kept, samples)
    return Window(earliest, length, kept, earliest + length - margin)


def _cover_rest(kept: int, samples: int, lengths: tuple[int, ...], margin: int,
                memo: dict[int, list[Window]]) -> list[Window]:
    """The cheapest windows covering ``[kept, samples)``, over every order of lengths (for the
    last stretch only: it is a few windows long)."""
    if kept not in memo:
        plans = []
        for length in lengths:
            window = _window_from(kept, length, samples, margin)
            rest = ([] if window.keep_to == samples
                    else _cover_rest(window.keep_to, samples, lengths, margin, memo))
            plans.append([window, *rest])
        memo[kept] = min(plans, key=lambda plan: (computed_samples(plan), len(plan)))
    return memo[kept]


def plan_windows(samples: int, lengths: tuple[int, ...], margin: int) -> list[Window]:
    """Windows with lengths from ``lengths`` that cover ``samples`` samples exactly once, each
    kept sample with ``margin`` samples of context on every side that is not the input's
    edge: the longest windows over the bulk (the least recomputed margin), the cheapest mix
    over the last stretch (so the last window does not recompute most of the one before)."""
    if min(lengths) <= 2 * margin:
        raise ValueError(f"a window of {min(lengths)} samples cannot hold two margins of "
                         f"{margin}")
    if samples <= min(lengths):
        raise ValueError(f"{samples} samples fit in one window of {min(lengths)}: no windows "
                         "needed")
    fitting = tuple(n for n in lengths if n <= samples)
    longest = max(fitting)
    windows: list[Window] = []
    kept = 0
    while samples - kept > 2 * longest:
        windows.append(_window_from(kept, longest, samples, margin))
        kept = windows[-1].keep_to
    return windows + _cover_rest(kept, samples, fitting, margin, {})


def computed_samples(windows: list[Window]) -> int:
    return sum(window.length for window in windows)


def run_in_windows(
    part: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    windows: list[Window],
    scale: int,
) -> torch.Tensor:
    """``part(x)``, which maps ``(..., T)`` to ``(..., T * scale)``, computed over ``windows``
    of the last dimension of ``x`` (from ``plan_windows``)."""
    pieces = []
    for window in windows:
        out = part(x[..., window.start: window.start + window.length])
        pieces.append(out[..., (window.keep_from - window.start) * scale:
                          (window.keep_to - window.start) * scale])
    return torch.cat(pieces, dim=-1)
