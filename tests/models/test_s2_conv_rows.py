"""Inference convolutions as channels-last rows compute what the plain 1-D convolutions do."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from voicestudio.models.s2 import random_s2_generator
from voicestudio.models.s2.conv_rows import conv_rows, from_rows, fused_rows_work, to_rows
from voicestudio.models.s2.weight_norm import WeightNormConv1d, WeightNormConvTranspose1d

CONVS = [
    lambda: nn.Conv1d(24, 16, 7, padding=3),
    lambda: nn.Conv1d(16, 16, 11, dilation=5, padding=25),
    lambda: nn.Conv1d(16, 8, 4, stride=2, padding=1, bias=False),
    lambda: WeightNormConv1d(16, 16, 3, dilation=3, padding=3),
    lambda: nn.ConvTranspose1d(24, 12, 16, stride=8, padding=4),
    lambda: WeightNormConvTranspose1d(24, 12, 16, stride=10, padding=3),
    lambda: WeightNormConvTranspose1d(24, 12, 4, stride=2, padding=1, output_padding=1),
]


@pytest.mark.parametrize("make", CONVS)
def test_rows_give_the_1d_result(make):
    torch.manual_seed(0)
    conv = make()
    x = torch.randn(2, conv.in_channels, 53)
    with torch.inference_mode():
        plain = conv(x)
        rows = from_rows(conv_rows(conv, to_rows(x)))
    assert rows.shape == plain.shape and rows.is_contiguous()
    torch.testing.assert_close(rows, plain, rtol=0, atol=1e-5)


def test_rows_follow_weights_changed_in_place():
    conv = nn.Conv1d(8, 8, 3, padding=1)
    x = torch.randn(1, 8, 20)
    with torch.inference_mode():
        before = from_rows(conv_rows(conv, to_rows(x)))
    with torch.no_grad():
        conv.weight.mul_(2.0)
        conv.bias.zero_()
    with torch.inference_mode():
        after = from_rows(conv_rows(conv, to_rows(x)))
        torch.testing.assert_close(after, conv(x), rtol=0, atol=1e-5)
    assert not torch.allclose(before, after)


def test_inference_vocoder_equals_its_training_path():
    dec = random_s2_generator(seed=3).dec
    z = torch.randn(1, dec.conv_pre.in_channels, 150) * 3
    g = torch.randn(1, dec.cond.in_channels, 1)
    trained_path = dec(z, g).detach()  # gradients on: plain 1-D convolutions
    with torch.inference_mode():
        rows_path = dec(z, g)
    torch.testing.assert_close(rows_path, trained_path, rtol=0, atol=1e-6)


def test_rows_kernels_are_kept_per_dtype():
    # a bf16 vocoder runs short inputs in fp32: switching must not rebuild the kernels
    conv = WeightNormConv1d(8, 8, 3, padding=1)
    x = torch.randn(1, 8, 20)
    with torch.inference_mode():
        conv_rows(conv, to_rows(x))
        conv_rows(conv, to_rows(x).bfloat16())
        kept = {dtype: held[2] for dtype, held in conv._rows_kernels.items()}
        conv_rows(conv, to_rows(x))
        conv_rows(conv, to_rows(x).bfloat16())
    assert set(kept) == {torch.float32, torch.bfloat16}
    assert all(conv._rows_kernels[dtype][2] is kernel for dtype, kernel in kept.items())


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a_fused_residual_block_computes_the_plain_block(dtype):
    """The fused convs (leaky ReLU after the first conv, the residual sum after the second)
    are the same function as the plain block; where oneDNN lacks them the plain path runs."""
    dec = random_s2_generator(seed=4).dec
    block = dec.resblocks[4]
    x = torch.randn(1, block.convs1[0].in_channels, 300) * 2
    with torch.inference_mode():
        plain = block(x)  # 1-D, unfused
        fused = from_rows(block(to_rows(x.to(dtype)))).float()
    tolerance = 1e-5 if dtype == torch.float32 else 0.05 * plain.abs().max().item()
    torch.testing.assert_close(fused, plain, rtol=0, atol=tolerance)
    assert fused_rows_work() or not hasattr(torch.ops.mkldnn, "_convolution_pointwise")
