"""ERes2NetV2: the speaker-verification network whose activations give v2Pro its voice fingerprint.

3D-Speaker's ERes2NetV2 (the `pretrained_eres2netv2w24s4ep4.ckpt` that GPT-SoVITS v2Pro
ships): a 2-D ResNet over the (frequency, time) fbank image whose blocks split their
channels into `scale` groups processed in a chain (Res2Net); the deeper two stages fuse the
groups with attention (AFF) instead of a sum, and the last two stages' outputs are fused
again (`fuse34`). GPT-SoVITS does not use the trained speaker embedding head (`seg_1`): its
`forward3` flattens the fused map over channels x frequency and averages over time, a
20480-wide vector for the real model. The head is kept so the real checkpoint loads
strictly. Module names are the checkpoint keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class SVConfig:
    """Sizes of ERes2NetV2; the defaults are GPT-SoVITS's `ERes2NetV2(baseWidth=24, scale=4,
    expansion=4)`. Only `m_channels` differs in shrunken test models."""

    m_channels: int = 64
    base_width: int = 24
    scale: int = 4
    expansion: int = 4
    feat_dim: int = 80
    embedding_size: int = 192  # seg_1 output (unused by GPT-SoVITS)
    num_blocks: tuple[int, int, int, int] = (3, 4, 6, 3)

    @property
    def fingerprint_dim(self) -> int:
        """Width of forward3's output: channels x frequency rows of the last stage."""
        return self.m_channels * 8 * self.expansion * (self.feat_dim // 8)

    @property
    def pooled_dim(self) -> int:
        """Mean + standard deviation statistics that seg_1 reads."""
        return (self.feat_dim // 8) * self.m_channels * 8 * self.expansion * 2


class ClippedReLU(nn.Hardtanh):
    """ReLU capped at 20, as in the 3D-Speaker blocks."""

    def __init__(self) -> None:
        super().__init__(0.0, 20.0)


class AFF(nn.Module):
    """Attentional feature fusion: a learned per-position mix of two same-shaped maps."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        inner = channels // reduction
        self.local_att = nn.Sequential(
            nn.Conv2d(channels * 2, inner, 1),
            nn.BatchNorm2d(inner),
            nn.SiLU(),
            nn.Conv2d(inner, channels, 1),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        weight = 1.0 + torch.tanh(self.local_att(torch.cat((x, other), dim=1)))  # in (0, 2)
        return x * weight + other * (2.0 - weight)


class Res2Block(nn.Module):
    """Bottleneck block whose middle 3x3 conv runs over `scale` chained channel groups.

    With `fuse` the running group is merged with the next by AFF, otherwise by addition.
    """

    def __init__(self, in_planes: int, planes: int, stride: int, cfg: SVConfig, fuse: bool) -> None:
        super().__init__()
        width = int(math.floor(planes * (cfg.base_width / 64.0)))
        out_planes = planes * cfg.expansion
        self.width = width
        self.conv1 = nn.Conv2d(in_planes, width * cfg.scale, 1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(width * cfg.scale)
        self.convs = nn.ModuleList(
            nn.Conv2d(width, width, 3, padding=1, bias=False) for _ in range(cfg.scale)
        )
        self.bns = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(cfg.scale))
        if fuse:
            self.fuse_models = nn.ModuleList(AFF(width) for _ in range(cfg.scale - 1))
        else:
            self.fuse_models = None
        self.relu = ClippedReLU()
        self.conv3 = nn.Conv2d(width * cfg.scale, out_planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != out_planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_planes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        groups = torch.split(self.relu(self.bn1(self.conv1(x))), self.width, dim=1)
        outputs = []
        running = groups[0]
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns, strict=True)):
            if i > 0:
                if self.fuse_models is None:
                    running = running + groups[i]
                else:
                    running = self.fuse_models[i - 1](running, groups[i])
            running = self.relu(bn(conv(running)))
            outputs.append(running)
        out = self.bn3(self.conv3(torch.cat(outputs, dim=1)))
        return self.relu(out + self.shortcut(x))


class ERes2NetV2(nn.Module):
    def __init__(self, cfg: SVConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or SVConfig()
        self.config = cfg
        m = cfg.m_channels
        self.conv1 = nn.Conv2d(1, m, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(m)
        self._in_planes = m
        self.layer1 = self._stage(m, cfg.num_blocks[0], 1, fuse=False)
        self.layer2 = self._stage(m * 2, cfg.num_blocks[1], 2, fuse=False)
        self.layer3 = self._stage(m * 4, cfg.num_blocks[2], 2, fuse=True)
        self.layer4 = self._stage(m * 8, cfg.num_blocks[3], 2, fuse=True)
        wide3, wide4 = m * 4 * cfg.expansion, m * 8 * cfg.expansion
        self.layer3_ds = nn.Conv2d(wide3, wide4, 3, stride=2, padding=1, bias=False)
        self.fuse34 = AFF(wide4)
        self.seg_1 = nn.Linear(cfg.pooled_dim, cfg.embedding_size)

    def _stage(self, planes: int, blocks: int, stride: int, fuse: bool) -> nn.Sequential:
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            layers.append(Res2Block(self._in_planes, planes, s, self.config, fuse))
            self._in_planes = planes * self.config.expansion
        return nn.Sequential(*layers)

    def fingerprint(self, feats: torch.Tensor) -> torch.Tensor:
        """fbank (B, T, 80) -> (B, fingerprint_dim); upstream `forward3`."""
        x = feats.transpose(1, 2).unsqueeze(1)  # (B, 1, F, T)
        x = F.relu(self.bn1(self.conv1(x)))
        out3 = self.layer3(self.layer2(self.layer1(x)))
        out4 = self.layer4(out3)  # (B, 8m*exp, F/8, T/8)
        fused = self.fuse34(out4, self.layer3_ds(out3))
        return fused.flatten(1, 2).mean(-1)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.fingerprint(feats)
