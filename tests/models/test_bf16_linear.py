"""The bf16 linear (oneDNN-packed weight) computes the fp32 product to bf16 rounding."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from voicestudio.models.bf16 import Bf16Linear


@pytest.mark.parametrize("shape", [(1, 1, 64), (8, 1, 64), (1, 37, 64), (3, 5, 64)])
def test_bf16_linear_stays_within_bf16_rounding_of_fp32(shape):
    gen = torch.Generator().manual_seed(2)
    weight = 0.1 * torch.randn(96, 64, generator=gen)
    bias = torch.randn(96, generator=gen)
    x = torch.randn(*shape, generator=gen)
    want = F.linear(x, weight, bias)
    with torch.inference_mode():
        got = Bf16Linear(weight, bias)(x)
    assert got.shape == want.shape and got.dtype == x.dtype
    # bf16 keeps 8 significant bits: each product term is off by at most 2^-8 of itself
    bound = 2 * 2.0**-8 * (x.abs() @ weight.abs().t()).max()
    assert (got - want).abs().max() <= bound


def test_without_the_packed_kernel_the_product_is_exact(monkeypatch):
    monkeypatch.setattr("voicestudio.models.bf16._mkldnn_bf16_available", lambda: False)
    weight, x = torch.randn(8, 16), torch.randn(2, 16)
    layer = Bf16Linear(weight, None)
    assert not layer.uses_bf16
    assert torch.equal(layer(x), F.linear(x, weight))
