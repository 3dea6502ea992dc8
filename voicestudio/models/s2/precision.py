"""The number format the S2 vocoder (HiFi-GAN) runs in at inference, chosen once at load.

The HiFi-GAN is about 94 % of an S2 decode on a CPU, nearly all of it convolutions at 32 kHz
over 32-512 channels. On a CPU with native bf16 arithmetic (AVX512-BF16 or AMX) oneDNN runs
those convolutions in bf16 about twice as fast as in fp32, and the audio differs from the
fp32 audio by far less than a 16-bit sample's worth of the signal's level would suggest
matters to the ear (tests bound the difference). Without native bf16 the same convolutions
are emulated and slower than fp32, so such CPUs keep fp32; so does CUDA, where the pipeline
already runs S2 under fp16 autocast as upstream does.

Only the vocoder changes format: the quantizer, text encoder, flow and reference encoder are
a few percent of the time and stay fp32, as do the vocoder's first and last convolutions.
"""

from __future__ import annotations

import torch

from voicestudio.models.devices import cpu_has_native_bf16
from voicestudio.models.s2.generator import SoVITSGenerator

VOCODER_PRECISIONS = ("auto", "fp32", "bf16")


def vocoder_dtype(device: torch.device | str, precision: str = "auto") -> torch.dtype:
    """The dtype the vocoder should run in: ``"auto"`` is bf16 on a CPU with native bf16 and
    fp32 elsewhere; ``"bf16"`` asks for bf16 but still falls back to fp32 where it would be
    emulated (slower, not faster) or on a GPU."""
    if precision not in VOCODER_PRECISIONS:
        raise ValueError(f"unknown vocoder precision {precision!r}; one of {VOCODER_PRECISIONS}")
    if precision == "fp32" or torch.device(device).type != "cpu":
        return torch.float32
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32


def set_vocoder_precision(generator: SoVITSGenerator, precision: str = "auto") -> torch.dtype:
    """Choose, once, the format ``generator.dec`` runs in at inference; returns the choice.
    Training (gradients enabled) always runs fp32 whatever is set here."""
    dtype = vocoder_dtype(generator.dec.conv_pre.weight.device, precision)
    generator.dec.inference_dtype = dtype
    return dtype
