"""The three networks a fine-tune starts from: base S2 generator and discriminator, base S1.

``BaseModels`` is the seam between training and the base-model registry: a run asks it for
fresh copies, and tests hand in tiny ones (the real discriminator is 47 M parameters and cannot
be shrunk, so it is far too slow for a test suite on a CPU).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from voicestudio.errors import CorruptFileError
from voicestudio.models.s1 import LoadedS1, load_s1_checkpoint
from voicestudio.models.s2 import SoVITSGenerator, load_s2_checkpoint
from voicestudio.models.s2.discriminator import V2PRO_PERIODS, MultiPeriodDiscriminator
from voicestudio.models.safe_pickle import safe_load


@dataclass
class BaseS2:
    generator: SoVITSGenerator  # fp32, with a posterior encoder
    hparams: dict[str, Any]  # carried into every export


class BaseModels(Protocol):
    def s2(self) -> BaseS2: ...

    def discriminator(self) -> nn.Module: ...

    def s1(self) -> LoadedS1: ...


def load_discriminator(path: Path) -> MultiPeriodDiscriminator:
    """A pretrained ``s2D*.pth`` (``{"weight": ...}``) or a training ``D_*.pth``
    (``{"model": ...}``), every key and shape checked.

    The periods are not stored in the file; they follow from how many period discriminators it
    has (v2: 2, 3, 5, 7, 11; v2Pro adds 17 and 23).
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
    discriminator = MultiPeriodDiscriminator(V2PRO_PERIODS[:n_periods])
    expected = discriminator.state_dict()
    wrong = [k for k in expected if k not in weights or weights[k].shape != expected[k].shape]
    extra = [k for k in weights if k not in expected]
    if wrong or extra:
        raise CorruptFileError(
            f"'{Path(path).name}' does not match the SoVITS discriminator "
            f"({len(wrong)} missing or resized, {len(extra)} unexpected entries, e.g. "
            f"{(wrong + extra)[0]}). Reinstall the base models."
        )
    discriminator.load_state_dict({k: weights[k].float() for k in expected})
    return discriminator


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


def hub_base_models(data_dir: Path) -> FileBaseModels:
    """The installed base models; a missing one is a MissingModelError saying how to get it."""
    from voicestudio.hub.registry import require_file

    return FileBaseModels(
        require_file(data_dir, "s1-v2"), require_file(data_dir, "s2g-v2"),
        require_file(data_dir, "s2d-v2"),
    )
