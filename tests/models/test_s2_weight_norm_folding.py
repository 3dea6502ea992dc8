"""Weight norm folded once for inference: same kernel, refreshed when weights change."""

from __future__ import annotations

import torch

from voicestudio.models.s2 import random_s2_generator
from voicestudio.models.s2.weight_norm import WeightNormConv1d, fold_weight_norm_in_place


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


def test_a_model_that_only_infers_holds_each_kernel_once_and_speaks_the_same():
    generator = random_s2_generator(seed=2).eval()
    z = torch.randn(1, generator.dec.conv_pre.in_channels, 40)
    g = torch.randn(1, generator.dec.cond.in_channels, 1)
    with torch.inference_mode():
        before = generator.dec(z, g)
    state = {k: v.clone() for k, v in generator.state_dict().items()}
    fold_weight_norm_in_place(generator)
    conv = generator.dec.resblocks[0].convs1[0]
    with torch.inference_mode():
        assert conv.kernel() is conv.weight_v and conv._folded is None  # no second copy
        torch.testing.assert_close(generator.dec(z, g), before, rtol=0, atol=1e-6)
    # what it saves is still weight norm, of the same kernels
    reloaded = random_s2_generator(seed=9).eval()
    reloaded.load_state_dict(generator.state_dict())
    with torch.inference_mode():
        torch.testing.assert_close(reloaded.dec(z, g), before, rtol=0, atol=1e-5)
    # other weights loaded into the folded model are folded as usual, not taken as a kernel
    generator.load_state_dict(state)
    with torch.inference_mode():
        assert conv.kernel() is not conv.weight_v
        torch.testing.assert_close(generator.dec(z, g), before, rtol=0, atol=1e-6)
