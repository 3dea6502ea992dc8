"""The three networks a fine-tune starts from: base S2 generator and discriminator, base S1.

``BaseModels`` is the seam between training and the base-model registry: a run asks it for
fresh copies, and tests hand in tiny ones (the real discriminator is 47 M parameters and cannot
be shrunk, so it is far too slow for a test suite on a CPU).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from voicestudio.models.s1 import LoadedS1, load_s1_checkpoint
from voicestudio.models.s2 import SoVITSGenerator, load_s2_checkpoint
from voicestudio.models.s2.discriminator import load_discriminator


@dataclass
class BaseS2:
    generator: SoVITSGenerator  # fp32, with a posterior encoder
    hparams: dict[str, Any]  # carried into every export


class BaseModels(Protocol):
    def s2(self) -> BaseS2: ...

    def discriminator(self) -> nn.Module: ...

    def s1(self) -> LoadedS1: ...


@dataclass
class FileBaseModels:
    """Base models from three files (the registry's, or any the person points at)."""

    s1_path: Path
    s2g_path: Path
    s2d_path: Path

    def s2(self) -> BaseS2:
        loaded = load_s2_checkpoint(self.s2g_path, "cpu")
        generator = loaded.generator.float()
        generator.attach_posterior_encoder()
        return BaseS2(generator, loaded.hparams)

    def discriminator(self) -> nn.Module:
        return load_discriminator(self.s2d_path)

    def s1(self) -> LoadedS1:
        return load_s1_checkpoint(self.s1_path, "cpu", dtype=torch.float32)


def hub_base_models(data_dir: Path, family: str = "v2") -> FileBaseModels:
    """The installed base models of a model family (v2, v2Pro, v2ProPlus); a missing one is a
    MissingModelError saying how to get it."""
    from voicestudio.hub.families import get_family
    from voicestudio.hub.status import require_file

    chosen = get_family(family)
    return FileBaseModels(
        require_file(data_dir, chosen.s1), require_file(data_dir, chosen.s2g),
        require_file(data_dir, chosen.s2d),
    )
