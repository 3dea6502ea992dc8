"""S2 (SoVITS) training losses, as GPT-SoVITS v2 defines them.

The pretrained generator and discriminator were balanced against these exact scalings
(feature matching x2, mean-over-frames KL, least-squares GAN), and the loss weights of the
recipe (c_mel 45, c_kl 1) assume them; a "cleaner" variant would silently change that balance.
Every loss is computed in fp32 so that AMP training does not under- or overflow.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def discriminator_loss(
    real_logits: Sequence[torch.Tensor], fake_logits: Sequence[torch.Tensor]
) -> torch.Tensor:
    """Least-squares GAN loss of the discriminator: sum over sub-discriminators of
    mean((1 - D(y))^2) + mean(D(y_hat)^2)."""
    loss = torch.zeros((), device=real_logits[0].device)
    for dr, dg in zip(real_logits, fake_logits, strict=True):
        loss = loss + torch.mean((1 - dr.float()) ** 2) + torch.mean(dg.float() ** 2)
    return loss


def generator_loss(fake_logits: Sequence[torch.Tensor]) -> torch.Tensor:
    """Least-squares GAN loss of the generator: sum of mean((1 - D(y_hat))^2)."""
    loss = torch.zeros((), device=fake_logits[0].device)
    for dg in fake_logits:
        loss = loss + torch.mean((1 - dg.float()) ** 2)
    return loss


def feature_loss(
    real_fmaps: Sequence[Sequence[torch.Tensor]], fake_fmaps: Sequence[Sequence[torch.Tensor]]
) -> torch.Tensor:
    """Feature matching: 2 x the sum over every feature map of mean |real - generated|.

    Real maps are detached: this loss trains the generator only.
    """
    loss = torch.zeros((), device=real_fmaps[0][0].device)
    for real, fake in zip(real_fmaps, fake_fmaps, strict=True):
        for r, g in zip(real, fake, strict=True):
            loss = loss + torch.mean(torch.abs(r.detach().float() - g.float()))
    return loss * 2


def kl_loss(
    z_p: torch.Tensor,
    logs_q: torch.Tensor,
    m_p: torch.Tensor,
    logs_p: torch.Tensor,
    z_mask: torch.Tensor,
) -> torch.Tensor:
    """KL between the flowed posterior sample and the text prior, as VITS estimates it.

    z_p, logs_q, m_p, logs_p: (B, C, T); z_mask: (B, 1, T). Per element
    logs_p - logs_q - 1/2 + (z_p - m_p)^2 / (2 exp(2 logs_p)), summed over channels and valid
    frames, divided by the number of valid frames (not by frames x channels).
    """
    z_p, logs_q, m_p, logs_p, z_mask = (t.float() for t in (z_p, logs_q, m_p, logs_p, z_mask))
    kl = logs_p - logs_q - 0.5 + 0.5 * (z_p - m_p) ** 2 * torch.exp(-2.0 * logs_p)  # (B, C, T)
    return torch.sum(kl * z_mask) / torch.sum(z_mask)
