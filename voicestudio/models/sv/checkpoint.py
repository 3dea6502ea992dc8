"""Open the speaker-verification checkpoint (`pretrained_eres2netv2w24s4ep4.ckpt`) safely.

The file is a plain torch.save of the state dict. Its sizes are not stored, so they are
read back from the tensor shapes (channel count, groups per block, block counts) and the
network is built from those and loaded strictly: a file of another layout gets a clear
message instead of a half-loaded model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.models.checkpoint_format import layout_mismatch
from voicestudio.models.safe_pickle import dump_checkpoint_bytes, safe_load
from voicestudio.models.sv.eres2netv2 import ERes2NetV2, SVConfig
from voicestudio.models.sv.fbank import kaldi_fbank
from voicestudio.project.atomic import atomic_write_bytes


class SpeakerVerifier:
    """Waveforms at 16 kHz -> the voice fingerprint v2Pro generators are conditioned on."""

    def __init__(self, model: ERes2NetV2) -> None:
        self.model = model.eval()

    @property
    def config(self) -> SVConfig:
        return self.model.config

    @property
    def fingerprint_dim(self) -> int:
        return self.model.config.fingerprint_dim

    @property
    def device(self) -> torch.device:
        return self.model.conv1.weight.device

    @torch.no_grad()
    def embed_16k(self, waves: torch.Tensor) -> torch.Tensor:
        """(B, N) float waveforms in [-1, 1] at 16 kHz -> (B, fingerprint_dim) float32.

        Upstream SV.compute_embedding3: one Kaldi fbank per waveform, then forward3.
        """
        if waves.dim() != 2 or waves.size(1) == 0:
            raise UserInputError(
                f"Expected waveforms shaped (batch, samples), got {tuple(waves.shape)}."
            )
        feats = torch.stack([kaldi_fbank(w) for w in waves.float().cpu()])  # (B, T, 80)
        dtype = self.model.conv1.weight.dtype
        return self.model.fingerprint(feats.to(self.device, dtype)).float()


def sv_config_from_constructor(kwargs: Mapping[str, Any]) -> SVConfig:
    """SVConfig from upstream's ERes2NetV2(...) keyword arguments."""
    names = {"baseWidth": "base_width", "m_channels": "m_channels", "scale": "scale"}
    names.update(expansion="expansion", feat_dim="feat_dim", embedding_size="embedding_size")
    values = {ours: kwargs[theirs] for theirs, ours in names.items() if theirs in kwargs}
    if "num_blocks" in kwargs:
        values["num_blocks"] = tuple(kwargs["num_blocks"])
    return replace(SVConfig(), **values)


def sv_config_from_weights(weights: Mapping[str, torch.Tensor]) -> SVConfig:
    """The sizes a state dict was made with (the checkpoint does not store them)."""
    try:
        m = int(weights["conv1.weight"].shape[0])
        scale = sum(1 for k in weights if re.fullmatch(r"layer1\.0\.convs\.\d+\.weight", k))
        expansion = int(weights["layer1.0.conv3.weight"].shape[0]) // m
        blocks = tuple(
            1 + max(int(k.split(".")[1]) for k in weights if k.startswith(f"layer{i}."))
            for i in range(1, 5)
        )
        seg = weights["seg_1.weight"]
        feat_dim = 8 * (int(seg.shape[1]) // (2 * m * 8 * expansion))
        widths = [
            (m * 2**i, int(weights[f"layer{i + 1}.0.convs.0.weight"].shape[0])) for i in range(4)
        ]
        base_width = next(  # the real 24 first: small models fit several widths
            bw for bw in (24, *range(1, 257))
            if all(int(math.floor(planes * (bw / 64.0))) == w for planes, w in widths)
        )
    except (KeyError, ValueError, StopIteration, IndexError, ZeroDivisionError) as exc:
        raise CorruptFileError(
            "This file is not an ERes2NetV2 speaker-verification model (its layout is not "
            "the one GPT-SoVITS v2Pro uses)."
        ) from exc
    return SVConfig(
        m_channels=m,
        base_width=base_width,
        scale=scale,
        expansion=expansion,
        feat_dim=feat_dim,
        embedding_size=int(seg.shape[0]),
        num_blocks=blocks,  # type: ignore[arg-type]
    )


def load_sv_model(path: str | Path, device: str | torch.device = "cpu") -> SpeakerVerifier:
    """Open the speaker-verification checkpoint without running pickled code."""
    path = Path(path)
    obj = safe_load(path)
    weights = obj.get("state_dict", obj) if isinstance(obj, Mapping) else None
    if not isinstance(weights, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()
    ):
        raise CorruptFileError(f"'{path.name}' is not a speaker-verification model file.")
    config = sv_config_from_weights(weights)
    with torch.device("meta"):
        model = ERes2NetV2(config)
    expected = model.state_dict()
    bad, extra = layout_mismatch(expected, weights)
    if bad or extra:
        raise CorruptFileError(
            f"'{path.name}' does not fit the ERes2NetV2 layout "
            f"({len(bad)} missing or resized, {len(extra)} unexpected tensors, e.g. "
            f"{(bad + extra)[0]}). Download the speaker-verification model again."
        )
    converted = {
        k: v.to(expected[k].dtype) if v.is_floating_point() else v for k, v in weights.items()
    }
    model.load_state_dict(converted, strict=True, assign=True)
    return SpeakerVerifier(model.to(device))


def tiny_sv_config() -> SVConfig:
    """m_channels 4 (the least that gives every block a channel): a 1280-wide fingerprint
    (TINY_SV_DIM) for tests and the tiny base set."""
    return SVConfig(m_channels=4)


def write_tiny_sv_model(path: str | Path, seed: int = 0) -> None:
    """A small random ERes2NetV2 in the real file's layout (plain state dict, fp32)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ERes2NetV2(tiny_sv_config()).eval()
    atomic_write_bytes(Path(path), dump_checkpoint_bytes(model.state_dict()))
