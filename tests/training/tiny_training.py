"""Tiny base models and tiny voices for the training tests (offline, a few seconds each).

A plain module (not conftest) so that tests and their subprocesses import it by a name no
other test folder uses.

The real discriminator (47 M parameters, not shrinkable) takes seconds per step on a CPU, so
the trainers get ``TinyDiscriminator``: the same interface (real/fake logits and feature maps
for the LSGAN and feature-matching losses), two small convolutions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F
from torch import nn

from voicestudio.models.s1 import LoadedS1, config_to_upstream, random_s1_model, tiny_s1_config
from voicestudio.models.s2 import S2Config, random_s2_generator, tiny_s2_config
from voicestudio.training.base_models import BaseS2
from voicestudio.training.feature_store import FeatureStore, SegmentFeatures

SAMPLE_RATE = 32000
SEGMENT_SIZE = 5120  # 8 frames: a short training slice keeps the tiny GAN steps cheap


def tiny_test_config(version: str = "v2") -> S2Config:
    """The tiny S2 with fewer convolutions still: a CPU-only test suite pays for every one.
    Only sizes the exported hparams carry are changed (the posterior encoder is not exported)."""
    return tiny_s2_config(
        segment_size=SEGMENT_SIZE, n_layers=1, resblock_kernel_sizes=(3,),
        resblock_dilation_sizes=((1,),), posterior_layers=2, version=version,
    )


class TinyDiscriminator(nn.Module):
    """One waveform-scale discriminator with MultiPeriodDiscriminator's call signature."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv1d(1, 8, 15, 4, padding=7),
                                    nn.Conv1d(8, 16, 9, 4, padding=4)])
        self.post = nn.Conv1d(16, 1, 3, padding=1)

    def _judge(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        fmap = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.1)
            fmap.append(x)
        x = self.post(x)
        fmap.append(x)
        return x.flatten(1), fmap

    def forward(self, y: torch.Tensor, y_hat: torch.Tensor):
        real, real_fmap = self._judge(y)
        fake, fake_fmap = self._judge(y_hat)
        return [real], [fake], [real_fmap], [fake_fmap]


@dataclass
class TinyBaseModels:
    """Fresh, seeded tiny base models on every call, as the registry's files would give."""

    seed: int = 0
    version: str = "v2"  # v2Pro / v2ProPlus: the generator takes speaker-verification vectors

    def s2(self) -> BaseS2:
        generator = random_s2_generator(tiny_test_config(self.version), self.seed)
        return BaseS2(generator, generator.config.to_hparams())

    def discriminator(self) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + 1)
            return TinyDiscriminator()

    def s1(self) -> LoadedS1:
        cfg = tiny_s1_config()
        return LoadedS1(random_s1_model(cfg, self.seed), cfg, config_to_upstream(cfg),
                        "GPT-e0", "v2")


def write_features(
    voice_folder: Path, n_clips: int = 4, seed: int = 0, sv_dim: int | None = None
) -> float:
    """Short noisy-tone clips and random features of matching sizes (with `sv_dim`-wide
    speaker-verification vectors for the v2Pro families); returns total seconds."""
    rng = np.random.default_rng(seed)
    store = FeatureStore(voice_folder)
    total = 0.0
    for i in range(n_clips):
        seconds = 1.0 + 0.2 * i
        n = int(seconds * SAMPLE_RATE)
        t = np.arange(n) / SAMPLE_RATE
        wav = 0.3 * np.sin(2 * np.pi * (120 + 40 * i) * t) + 0.02 * rng.standard_normal(n)
        rel = f"segments/clip{i}.wav"
        (voice_folder / "segments").mkdir(parents=True, exist_ok=True)
        sf.write(voice_folder / rel, wav.astype(np.float32), SAMPLE_RATE)
        frames50 = n // 640
        n_tokens = frames50 // 2
        n_phones = max(4, int(seconds * 10))
        store.save(
            SegmentFeatures(
                segment_id=f"clip{i}",
                text="hello",
                lang="en",
                audio_path=rel,
                phone_ids=rng.integers(1, 732, n_phones),
                bert=np.zeros((1024, n_phones), np.float16),
                ssl=rng.standard_normal((768, frames50 + 1)).astype(np.float16),
                semantic=rng.integers(0, 1024, n_tokens),
                fingerprint=f"fp{i}",
                sv=None if sv_dim is None
                else (np.abs(rng.standard_normal(sv_dim)) * 0.5).astype(np.float32),
            )
        )
        total += n / SAMPLE_RATE
    return total
