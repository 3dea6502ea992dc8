"""The S2 (SoVITS) training discriminator: HiFi-GAN's multi-period discriminator plus one
waveform-scale discriminator, weight-compatible with GPT-SoVITS `D_*.pth` / `s2D*.pth` files.

Fine-tuning starts from the pretrained discriminator; a freshly initialised one would spend the
few hundred steps a personal voice gets on learning what real speech looks like. So module
names follow the upstream state-dict keys: `discriminators.0` is the scale discriminator,
`discriminators.{1..}` the period discriminators, each with `convs.{i}` and `conv_post`, every
conv weight-normalised (`weight_g` / `weight_v`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from voicestudio.errors import CorruptFileError
from voicestudio.models.checkpoint_format import layout_mismatch
from voicestudio.models.s2.weight_norm import WeightNormConv1d, WeightNormConv2d
from voicestudio.models.safe_pickle import safe_load

V2_PERIODS: tuple[int, ...] = (2, 3, 5, 7, 11)
V2PRO_PERIODS: tuple[int, ...] = (2, 3, 5, 7, 11, 17, 23)  # v2Pro and v2ProPlus
LRELU_SLOPE = 0.1

# Scale discriminator convs: (in, out, kernel, stride, groups); padding keeps "same" alignment.
SCALE_LAYERS = (
    (1, 16, 15, 1, 1),
    (16, 64, 41, 4, 4),
    (64, 256, 41, 4, 16),
    (256, 1024, 41, 4, 64),
    (1024, 1024, 41, 4, 256),
    (1024, 1024, 5, 1, 1),
)
# Period discriminator convs: channels per layer, kernel (k, 1), stride (3, 1) except the last.
PERIOD_CHANNELS = (1, 32, 128, 512, 1024, 1024)
PERIOD_KERNEL = 5
PERIOD_STRIDE = 3

Logits = list[torch.Tensor]  # one (B, N_j) tensor per sub-discriminator
FeatureMaps = list[list[torch.Tensor]]  # per sub-discriminator, every activation after each conv


def periods_for_version(version: str) -> tuple[int, ...]:
    """Periods of the pretrained discriminator of a GPT-SoVITS model version."""
    return V2PRO_PERIODS if version in ("v2Pro", "v2ProPlus") else V2_PERIODS


def _narrowed(channels: int, narrow: int) -> int:
    """Channels of a layer in a discriminator ``narrow`` times thinner (the waveform's one
    input channel stays one)."""
    return max(1, channels // narrow)


class ScaleDiscriminator(nn.Module):
    """Judges the raw waveform with strided grouped 1-D convs (upstream `DiscriminatorS`).

    ``narrow`` > 1 divides every channel count (and group count) by it: only the tiny test
    and demo set uses that; every published file is ``narrow`` 1."""

    def __init__(self, narrow: int = 1) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            WeightNormConv1d(_narrowed(c_in, narrow), _narrowed(c_out, narrow), k, stride,
                             padding=k // 2, groups=_narrowed(groups, narrow))
            for c_in, c_out, k, stride, groups in SCALE_LAYERS
        )
        self.conv_post = WeightNormConv1d(_narrowed(1024, narrow), 1, 3, 1, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        # x: (B, 1, T)
        fmap = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)  # (B, 1, T')
        fmap.append(x)
        return torch.flatten(x, 1), fmap


class PeriodDiscriminator(nn.Module):
    """Folds the waveform into (T / p, p) and convolves along time only, so each of the p
    columns is judged separately: this is what catches periodic (pitch) artefacts."""

    def __init__(self, period: int, narrow: int = 1) -> None:
        super().__init__()
        self.period = period
        pad = (PERIOD_KERNEL // 2, 0)
        channels = [_narrowed(c, narrow) for c in PERIOD_CHANNELS]
        n = len(channels) - 1
        self.convs = nn.ModuleList(
            WeightNormConv2d(
                channels[i],
                channels[i + 1],
                (PERIOD_KERNEL, 1),
                (PERIOD_STRIDE if i < n - 1 else 1, 1),
                padding=pad,
            )
            for i in range(n)
        )
        self.conv_post = WeightNormConv2d(channels[-1], 1, (3, 1), 1, padding=(1, 0))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, c, t = x.shape  # (B, 1, T)
        if t % self.period:
            n_pad = self.period - t % self.period
            x = F.pad(x, (0, n_pad), mode="reflect")
            t += n_pad
        x = x.view(b, c, t // self.period, self.period)  # (B, 1, T/p, p)
        fmap = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)  # (B, 1, T'', p)
        fmap.append(x)
        return torch.flatten(x, 1), fmap


class MultiPeriodDiscriminator(nn.Module):
    """One scale discriminator followed by one period discriminator per period."""

    def __init__(self, periods: Sequence[int] = V2_PERIODS, narrow: int = 1) -> None:
        super().__init__()
        self.periods = tuple(periods)
        self.narrow = narrow
        self.discriminators = nn.ModuleList(
            [ScaleDiscriminator(narrow), *(PeriodDiscriminator(p, narrow) for p in self.periods)]
        )

    def forward(
        self, y: torch.Tensor, y_hat: torch.Tensor
    ) -> tuple[Logits, Logits, FeatureMaps, FeatureMaps]:
        """Judge real `y` and generated `y_hat`, both (B, 1, T).

        Returns (real logits, generated logits, real feature maps, generated feature maps),
        the four inputs of the discriminator, generator and feature-matching losses.
        """
        real_logits, fake_logits, real_fmaps, fake_fmaps = [], [], [], []
        for disc in self.discriminators:
            logits, fmap = disc(y)
            real_logits.append(logits)
            real_fmaps.append(fmap)
            logits, fmap = disc(y_hat)
            fake_logits.append(logits)
            fake_fmaps.append(fmap)
        return real_logits, fake_logits, real_fmaps, fake_fmaps


def load_discriminator(path: Path) -> MultiPeriodDiscriminator:
    """A pretrained ``s2D*.pth`` (``{"weight": ...}``) or a training ``D_*.pth``
    (``{"model": ...}``), every key and shape checked.

    The periods are not stored in the file; they follow from how many period discriminators it
    has (v2: 2, 3, 5, 7, 11; v2Pro adds 17 and 23). The width follows from the scale
    discriminator's last layer (1024 channels in every published file; fewer in the tiny set).
    """
    obj = safe_load(path)
    weights = obj.get("weight", obj.get("model")) if isinstance(obj, Mapping) else None
    if not isinstance(weights, Mapping):
        raise CorruptFileError(
            f"'{Path(path).name}' is not a SoVITS discriminator file. Reinstall the base models."
        )
    indices = {int(k.split(".")[1]) for k in weights if str(k).startswith("discriminators.")}
    n_periods = len(indices) - 1
    if not 1 <= n_periods <= len(V2PRO_PERIODS):
        raise CorruptFileError(f"'{Path(path).name}' holds no usable discriminator.")
    post = weights.get("discriminators.0.conv_post.weight_v")
    width = int(post.shape[1]) if isinstance(post, torch.Tensor) and post.dim() == 3 else 1024
    narrow = 1024 // width if 0 < width <= 1024 and 1024 % width == 0 else 1
    discriminator = MultiPeriodDiscriminator(V2PRO_PERIODS[:n_periods], narrow)
    expected = discriminator.state_dict()
    wrong, extra = layout_mismatch(expected, weights)
    if wrong or extra:
        raise CorruptFileError(
            f"'{Path(path).name}' does not match the SoVITS discriminator "
            f"({len(wrong)} missing or resized, {len(extra)} unexpected entries, e.g. "
            f"{(wrong + extra)[0]}). Reinstall the base models."
        )
    discriminator.load_state_dict({k: weights[k].float() for k in expected})
    return discriminator
