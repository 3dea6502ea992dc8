"""What kind of GPT-SoVITS checkpoint a file is, decided the way upstream does, plus content.

Upstream tells S2 versions apart in three steps (process_ckpt.get_sovits_version_from_path_fast):
the MD5 of the first 8 KiB for the released base models, then a two-byte ASCII tag that
replaces the zip's "PK" (written for v3/v4 LoRA, v2Pro and v2ProPlus), then file size. The
size step is a guess that misfiles small or fine-tuned models, so for untagged files we look
inside instead: the S2 symbol table size (322 rows = v1), v2Pro's `sv_emb`, v3/v4's `cfm`,
or an S1 file's `model.` keys and `phoneme_vocab_size`. Known deviation from upstream,
on purpose: its MD5 table files the v1 base model s2G488k under "v2"; we call it v1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from voicestudio.errors import CorruptFileError, VoiceStudioError
from voicestudio.models.safe_pickle import read_model_bytes, safe_load

Stage = Literal["s1", "s2"]

# two-byte tag -> (S2 model version, is LoRA); "00" and "01" are defined but never written
VERSION_TAGS: dict[bytes, tuple[str, bool]] = {
    b"00": ("v1", False),
    b"01": ("v2", False),
    b"02": ("v3", False),
    b"03": ("v3", True),
    b"04": ("v4", True),
    b"05": ("v2Pro", False),
    b"06": ("v2ProPlus", False),
}
TAG_FOR_VERSION: dict[str, bytes] = {"v2Pro": b"05", "v2ProPlus": b"06"}

HEADER_BYTES = 8192  # all that the MD5 and tag steps look at

# MD5 of the first HEADER_BYTES bytes of the released S2 base models
PRETRAINED_S2_MD5: dict[str, str] = {
    "dc3c97e17592963677a4a1681f30c653": "v1",  # s2G488k.pth (upstream says "v2")
    "6642b37f3dbb1f76882b69937c95a5f3": "v2",  # gsv-v2final-pretrained/s2G2333k.pth
    "43797be674a37c1c83ee81081941ed0f": "v3",  # s2Gv3.pth
    "4f26b9476d0c5033e04162c486074374": "v4",  # gsv-v4-pretrained/s2Gv4.pth
    "c7e9fce2223f3db685cdfa1e6368728a": "v2Pro",  # v2Pro/s2Gv2Pro.pth
    "66b313e39455b57ab1b0bc0b239c9d0a": "v2ProPlus",  # v2Pro/s2Gv2ProPlus.pth
}

SUPPORTED: frozenset[tuple[str, str]] = frozenset(
    {("s1", "v2"), ("s2", "v2"), ("s2", "v2Pro"), ("s2", "v2ProPlus")}
)


class UnsupportedModelError(VoiceStudioError):
    """A real GPT-SoVITS model of a version VoiceStudio cannot run yet."""


@dataclass(frozen=True)
class CheckpointKind:
    stage: Stage  # "s1" = GPT text-to-semantic, "s2" = SoVITS synthesizer
    version: str  # v1, v2, v2Pro, v2ProPlus, v3, v4 (S1: the symbol-table generation)
    is_lora: bool = False
    detected_by: str = "content"  # "md5", "tag" or "content"

    @property
    def symbol_version(self) -> str:
        return "v1" if self.version == "v1" else "v2"

    @property
    def supported(self) -> bool:
        return (self.stage, self.version) in SUPPORTED and not self.is_lora

    def describe(self) -> str:
        what = "GPT (S1)" if self.stage == "s1" else "SoVITS (S2)"
        lora = " LoRA adapter" if self.is_lora else ""
        return f"GPT-SoVITS {self.version} {what}{lora} model"

    def require_supported(self, expected_stage: Stage | None = None) -> None:
        if expected_stage is not None and self.stage != expected_stage:
            wanted = "GPT (S1, .ckpt)" if expected_stage == "s1" else "SoVITS (S2, .pth)"
            raise WrongModelKindError(
                f"This file is a {self.describe()}, but a {wanted} model is needed here."
            )
        if not self.supported:
            raise UnsupportedModelError(
                f"This file is a {self.describe()}. VoiceStudio runs GPT-SoVITS v2, v2Pro and "
                "v2ProPlus models; choose one of those (SoVITS_weights_v2, "
                "SoVITS_weights_v2Pro, SoVITS_weights_v2ProPlus / GPT_weights_v2)."
            )


class WrongModelKindError(UnsupportedModelError):
    """An S1 file where an S2 file was expected, or the other way round."""


def kind_from_header(header: bytes) -> CheckpointKind | None:
    """Steps 1-2 of upstream's detection; None for an untagged, unknown file."""
    version = PRETRAINED_S2_MD5.get(hashlib.md5(header).hexdigest())
    if version is not None:
        return CheckpointKind("s2", version, False, "md5")
    tag = header[:2]
    if tag in VERSION_TAGS:
        version, is_lora = VERSION_TAGS[tag]
        return CheckpointKind("s2", version, is_lora, "tag")
    return None


def weight_table(obj: Any) -> Mapping[str, torch.Tensor]:
    """The name -> tensor table of an unpickled checkpoint, checked to be exactly that."""
    weights = None
    if isinstance(obj, Mapping):
        weights = obj.get("weight", obj.get("state_dict", obj.get("model")))
    if not isinstance(weights, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()
    ):
        raise CorruptFileError("This file is not a GPT-SoVITS model (no weight table inside).")
    return weights


def layout_mismatch(
    expected: Mapping[str, torch.Tensor], weights: Mapping[str, torch.Tensor]
) -> tuple[list[str], list[str]]:
    """(keys missing or of another shape, keys unexpected) of `weights` against a module's
    state dict; both empty when the file fits the network exactly."""
    wrong = [k for k in expected if k not in weights or weights[k].shape != expected[k].shape]
    return wrong, [k for k in weights if k not in expected]


def kind_from_content(obj: Any) -> CheckpointKind:
    """Classify an unpickled checkpoint by what it holds."""
    weights = weight_table(obj)
    config = obj.get("config")
    if any(str(k).startswith("model.") for k in weights):
        vocab = _get(_get(config, "model"), "phoneme_vocab_size")
        if vocab is None and "model.ar_text_embedding.word_embeddings.weight" in weights:
            vocab = weights["model.ar_text_embedding.word_embeddings.weight"].shape[0]
        return CheckpointKind("s1", "v1" if vocab == 512 else "v2")
    if "enc_p.text_embedding.weight" in weights or any(str(k).startswith("cfm.") for k in weights):
        return CheckpointKind("s2", _s2_version(weights, _get(config, "model")))
    raise CorruptFileError(
        "This file holds weights, but not those of a GPT-SoVITS GPT or SoVITS model."
    )


def _s2_version(weights: Mapping[str, Any], model_cfg: Any) -> str:
    declared = _get(model_cfg, "version")
    if any(str(k).startswith("cfm.") for k in weights):
        return "v4" if declared == "v4" else "v3"
    if "sv_emb.weight" in weights:
        conv_pre = weights.get("dec.conv_pre.weight")
        plus = declared == "v2ProPlus" or (conv_pre is not None and conv_pre.shape[0] == 768)
        return "v2ProPlus" if plus else "v2Pro"
    rows = weights["enc_p.text_embedding.weight"].shape[0]
    return "v1" if rows == 322 else "v2"


def _get(tree: Any, key: str) -> Any:
    if tree is None:
        return None
    try:
        return tree[key] if key in tree else None
    except TypeError:
        return None


def detect_checkpoint_version(path: str | Path) -> CheckpointKind:
    """Say what a `.pth` / `.ckpt` file is, without trusting (or running) its pickle."""
    path = Path(path)
    header = read_model_bytes(path, HEADER_BYTES)
    if len(header) < 2:
        raise CorruptFileError(f"'{path.name}' is empty or truncated; it is not a model file.")
    kind = kind_from_header(header)
    if kind is not None:
        return kind
    return kind_from_content(safe_load(path))
