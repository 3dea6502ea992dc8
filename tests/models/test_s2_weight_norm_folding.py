"""Weight norm folded once for inference: same kernel, refreshed when weights change."""

from __future__ import annotations

import torch

from voicestudio.models.s2.weight_norm import WeightNormConv1d


def test_inference_reuses_one_folded_kernel_until_the_weights_change():
    torch.manual_seed(0)
    conv = WeightNormConv1d(4, 6, 3, padding=1)
    x = torch.randn(2, 4, 10)
    with torch.inference_mode():
        first = conv.kernel()
        assert conv.kernel() is first  # folded once, not per call
        torch.testing.assert_close(first, conv.folded_weight())
        before = conv(x)
    with torch.no_grad():
        conv.weight_g.mul_(2.0)  # a training step or a load, in place
    with torch.inference_mode():
        assert conv.kernel() is not first
        torch.testing.assert_close(conv(x), 2.0 * before - conv.bias[None, :, None])


def test_training_still_sends_gradients_to_g_and_v():
    conv = WeightNormConv1d(4, 6, 3)
    with torch.no_grad():
        conv(torch.randn(1, 4, 8))  # leaves a folded kernel behind
    conv(torch.randn(1, 4, 8)).sum().backward()
    assert conv.weight_g.grad is not None and conv.weight_v.grad is not None
