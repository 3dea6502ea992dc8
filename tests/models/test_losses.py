"""S2 losses on small hand-computed examples (the GAN losses also meet the fixture in
test_discriminator.py)."""

from __future__ import annotations

import math

import pytest
import torch

from voicestudio.models.s2.losses import (
    discriminator_loss,
    feature_loss,
    generator_loss,
    kl_loss,
)


def test_kl_loss_hand_computed() -> None:
    # B=1, C=2, T=3; the last frame is padding and must not count.
    z_p = torch.tensor([[[1.0, 3.0, 5.0], [0.0, 0.0, 9.0]]])
    m_p = torch.tensor([[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]])
    logs_q = torch.tensor([[[0.0, -1.0, 0.0], [0.5, 0.0, 0.0]]])
    logs_p = torch.tensor([[[math.log(2.0), 0.0, 0.0], [0.0, 0.0, 0.0]]])
    z_mask = torch.tensor([[[1.0, 1.0, 0.0]]])
    # Channel 0: frame 0: ln2 - 0 - 1/2 + 1/2 * 1 / 4 = ln2 - 3/8; frame 1: 1 - 1/2 + 2 = 5/2.
    # Channel 1: frame 0: -1/2 - 1/2 = -1; frame 1: -1/2.
    # Sum ln2 + 5/8 over 2 valid frames (channels are summed, not averaged).
    expected = (math.log(2.0) + 0.625) / 2
    assert kl_loss(z_p, logs_q, m_p, logs_p, z_mask).item() == pytest.approx(expected, rel=1e-6)


def test_kl_loss_with_sample_at_prior_mean_is_minus_half_per_channel() -> None:
    # z_p at the prior mean and q's std equal to p's: -1/2 per element, C of them per frame.
    m_p = torch.randn(2, 4, 6)
    logs = torch.randn(2, 4, 6)
    mask = torch.ones(2, 1, 6)
    value = kl_loss(m_p, logs, m_p, logs, mask)
    assert value.item() == pytest.approx(-0.5 * 4, rel=1e-6)


def test_gan_losses_hand_computed() -> None:
    real = [torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5]])]
    fake = [torch.tensor([[0.0, 2.0]]), torch.tensor([[1.0]])]
    # D: mean((1-r)^2) + mean(g^2) = (0 + 1)/2 + 4/2 = 2.5 ; (0.25) + 1 = 1.25
    assert discriminator_loss(real, fake).item() == pytest.approx(3.75)
    # G: mean((1-g)^2) = (1 + 1)/2 = 1 ; 0
    assert generator_loss(fake).item() == pytest.approx(1.0)


def test_feature_loss_is_twice_the_sum_of_mean_abs_differences() -> None:
    real = [[torch.zeros(1, 2, 2), torch.ones(1, 3)], [torch.zeros(4)]]
    fake = [[torch.full((1, 2, 2), 0.5), torch.zeros(1, 3)], [torch.full((4,), -2.0)]]
    assert feature_loss(real, fake).item() == pytest.approx(2 * (0.5 + 1.0 + 2.0))


def test_losses_are_fp32_for_half_inputs() -> None:
    fake = [torch.tensor([[300.0]], dtype=torch.float16)]  # (1 - 300)^2 overflows fp16
    loss = generator_loss(fake)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(299.0**2)
