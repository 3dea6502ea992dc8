"""Sizes of the S2 (SoVITS v2) generator, read from and written back to GPT-SoVITS hparams.

A GPT-SoVITS `.pth` carries its own hyper-parameters (`config`, an `utils.HParams` object);
the network must be built from them rather than from constants, because fine-tuned and
shrunken models differ. `S2Config` is the single place that says every size; the fixed parts
that upstream hard-codes (SSL width 768, 1024 codes, the 704-bin reference encoder, the
16-layer posterior encoder, MRTE's 4 heads) are fields with those defaults so the full-size
and tiny models share one code path.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.models.safe_pickle import plain_tree

V2_SYMBOL_COUNT = 732  # len(symbols_v2); v1 files have 322
V1_SYMBOL_COUNT = 322
SV_VERSIONS = ("v2Pro", "v2ProPlus")  # generators conditioned on a speaker-verification vector


@dataclass(frozen=True)
class S2Config:
    # from hparams.model (names as upstream so the section round-trips)
    inter_channels: int = 192
    hidden_channels: int = 192
    filter_channels: int = 768
    n_heads: int = 2
    n_layers: int = 6
    kernel_size: int = 3
    p_dropout: float = 0.1
    resblock: str = "1"
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    upsample_rates: tuple[int, ...] = (10, 8, 2, 2, 2)
    upsample_initial_channel: int = 512
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 8, 2, 2)
    gin_channels: int = 512
    semantic_frame_rate: str = "25hz"
    freeze_quantizer: bool = True
    version: str = "v2"
    # from hparams.data / hparams.train
    sampling_rate: int = 32000
    filter_length: int = 2048
    hop_length: int = 640
    segment_size: int = 20480  # samples; the decoder trains on segment_size // hop_length frames
    n_speakers: int = 300  # stored for round-tripping; the v2 generator has no speaker table
    # sizes upstream hard-codes
    ssl_dim: int = 768
    codebook_size: int = 1024
    n_codebooks: int = 1
    n_symbols: int = V2_SYMBOL_COUNT
    ref_enc_bins: int = 704  # v2 looks at linear-spectrogram bins [0, 704), about 0-11 kHz
    style_hidden: int = 128
    style_kernel_size: int = 5
    style_heads: int = 2
    mrte_heads: int = 4
    attention_window: int = 4  # relative-position window of the text/SSL encoders
    posterior_layers: int = 16
    wavenet_kernel_size: int = 5
    flow_layers: int = 4
    n_flows: int = 4
    # v2Pro / v2ProPlus only: the speaker-verification vector (ERes2NetV2 forward3, 20480 wide
    # upstream) and the fixed width its fusion is projected to for the text encoder
    sv_dim: int = 20480
    sv_text_width: int = 512
    extra_model_fields: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        problems = []
        if self.resblock != "1":
            problems.append(f"resblock '{self.resblock}' (only the v2 type '1' is supported)")
        if self.semantic_frame_rate not in ("25hz", "50hz"):
            problems.append(f"semantic_frame_rate '{self.semantic_frame_rate}'")
        if self.hidden_channels % self.n_heads or self.mrte_hidden % self.mrte_heads:
            problems.append("channel counts that the attention heads do not divide")
        if len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            problems.append("upsample_rates and upsample_kernel_sizes of different lengths")
        if math.prod(self.upsample_rates) != self.hop_length:
            problems.append(f"upsample_rates whose product is not hop_length {self.hop_length}")
        if self.inter_channels % 2:
            problems.append("an odd inter_channels (the flow splits it in halves)")
        if problems:
            raise CorruptFileError(
                "This SoVITS model's settings cannot be used: " + "; ".join(problems) + "."
            )

    # Derived sizes -------------------------------------------------------------------------
    @property
    def spec_channels(self) -> int:
        return self.filter_length // 2 + 1

    @property
    def segment_frames(self) -> int:
        return self.segment_size // self.hop_length

    @property
    def uses_sv(self) -> bool:
        """v2Pro/v2ProPlus: the voice vector is fused with a speaker-verification embedding."""
        return self.version in SV_VERSIONS

    @property
    def mrte_hidden(self) -> int:
        """MRTE works at the width of the voice vector it adds inside: `ge` itself in v2
        (512 real), v2Pro's fixed 512-wide projection of it otherwise."""
        return self.sv_text_width if self.uses_sv else self.gin_channels

    # HParams round trip --------------------------------------------------------------------
    @classmethod
    def from_hparams(cls, hparams: Mapping[str, Any]) -> S2Config:
        """Build from an upstream hparams tree (dict or HParams: `model`, `data`, `train`)."""
        try:
            model = dict(_section(hparams, "model"))
            data = _section(hparams, "data")
            train = _section(hparams, "train")
            known = {f.name for f in fields(cls)}
            kwargs: dict[str, Any] = {}
            extra: dict[str, Any] = {}
            for key, value in model.items():
                if key in known and key != "extra_model_fields":
                    kwargs[key] = _freeze(value)
                else:
                    extra[key] = copy.deepcopy(value)
            for key in ("sampling_rate", "filter_length", "hop_length", "n_speakers"):
                if key in data:
                    kwargs[key] = int(data[key])
            if "segment_size" in train:
                kwargs["segment_size"] = int(train["segment_size"])
            if kwargs.get("version", "v2") == "v1":
                kwargs.setdefault("n_symbols", V1_SYMBOL_COUNT)
                kwargs.setdefault("ref_enc_bins", int(kwargs.get("filter_length", 2048)) // 2 + 1)
            return cls(**kwargs, extra_model_fields=extra)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise CorruptFileError(
                f"The SoVITS model's settings are incomplete or malformed ({exc}). "
                "The file may be damaged or not a GPT-SoVITS v2 model."
            ) from exc

    def model_section(self) -> dict[str, Any]:
        """The `model` section upstream's SynthesizerTrn(**hps.model) expects."""
        out = copy.deepcopy(self.extra_model_fields)
        out.setdefault("n_layers_q", 3)
        out.setdefault("use_spectral_norm", False)
        for name in _MODEL_FIELDS:
            value = getattr(self, name)
            out[name] = _thaw(value)
        return out

    def to_hparams(self, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A full hparams tree: `base` (or the v2 defaults) with this config's sizes written in."""
        tree = plain_tree(base) if base is not None else default_hparams(self.version)
        tree.setdefault("model", {}).update(self.model_section())
        data = tree.setdefault("data", {})
        data.update(
            sampling_rate=self.sampling_rate,
            filter_length=self.filter_length,
            hop_length=self.hop_length,
            win_length=data.get("win_length", self.filter_length),
            n_speakers=self.n_speakers,
        )
        tree.setdefault("train", {})["segment_size"] = self.segment_size
        tree["version"] = self.version
        return tree


_MODEL_FIELDS = (
    "inter_channels",
    "hidden_channels",
    "filter_channels",
    "n_heads",
    "n_layers",
    "kernel_size",
    "p_dropout",
    "resblock",
    "resblock_kernel_sizes",
    "resblock_dilation_sizes",
    "upsample_rates",
    "upsample_initial_channel",
    "upsample_kernel_sizes",
    "gin_channels",
    "semantic_frame_rate",
    "freeze_quantizer",
    "version",
)


def _section(tree: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = tree[name] if name in tree else {}
    if not hasattr(section, "items"):
        raise TypeError(f"section '{name}' is not a mapping")
    return section


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def v2_s2_config() -> S2Config:
    """The released v2 generator (s2G2333k.pth and every model fine-tuned from it)."""
    return S2Config()


def v2pro_s2_config(version: str = "v2Pro") -> S2Config:
    """The released v2Pro / v2ProPlus generators (s2Gv2Pro.pth, s2Gv2ProPlus.pth).

    Both double v2's voice width (gin 1024) and drop dropout; Plus widens the vocoder
    (768 channels, a 20-tap first upsampler), which is all that tells the two apart.
    """
    if version not in SV_VERSIONS:
        raise UserInputError(f"'{version}' is not a v2Pro family name ({', '.join(SV_VERSIONS)}).")
    plus = version == "v2ProPlus"
    return replace(
        S2Config(),
        version=version,
        gin_channels=1024,
        p_dropout=0.0,
        upsample_initial_channel=768 if plus else 512,
        upsample_kernel_sizes=(20 if plus else 16, 16, 8, 2, 2),
    )


def tiny_s2_config(**overrides: Any) -> S2Config:
    """A few-hundred-kilobyte-of-tunables generator for tests and the tiny base-model set.

    Tunable widths are tiny; the parts whose size is fixed by other models (HuBERT width,
    codebook, symbol table, spectrogram bins) keep their real sizes so tiny files have the
    real interface.
    """
    sizes: dict[str, Any] = dict(
        inter_channels=16,
        hidden_channels=16,
        filter_channels=32,
        n_heads=2,
        n_layers=2,
        upsample_initial_channel=32,
        gin_channels=16,
        p_dropout=0.0,
    )
    if overrides.get("version") in SV_VERSIONS:
        sizes["sv_dim"] = TINY_SV_DIM
    sizes.update(overrides)
    return replace(S2Config(), **sizes)


TINY_SV_DIM = 1280  # forward3 width of the tiny speaker-verification model (m_channels 4)


def default_hparams(version: str = "v2") -> dict[str, Any]:
    """Upstream's hparams tree for a fresh file of `version` (configs/s2<version>.json)."""
    tree = copy.deepcopy(DEFAULT_V2_HPARAMS)
    if version in SV_VERSIONS:
        tree["train"].update(
            pretrained_s2G=f"GPT_SoVITS/pretrained_models/v2Pro/s2G{version}.pth",
            pretrained_s2D=f"GPT_SoVITS/pretrained_models/v2Pro/s2D{version}.pth",
            lora_rank="32",
        )
        tree["model"] = v2pro_s2_config(version).model_section()
        tree["save_weight_dir"] = f"SoVITS_weights_{version}"
        tree["version"] = version
    return tree


# GPT_SoVITS/configs/s2.json (v2) plus the fields webui.py adds; paths are placeholders the
# upstream trainer overwrites, kept so a file we write has every field upstream code reads.
DEFAULT_V2_HPARAMS: dict[str, Any] = {
    "train": {
        "log_interval": 100,
        "eval_interval": 500,
        "seed": 1234,
        "epochs": 8,
        "learning_rate": 0.0001,
        "betas": [0.8, 0.99],
        "eps": 1e-09,
        "batch_size": 8,
        "fp16_run": True,
        "lr_decay": 0.999875,
        "segment_size": 20480,
        "init_lr_ratio": 1,
        "warmup_epochs": 0,
        "c_mel": 45,
        "c_kl": 1.0,
        "text_low_lr_rate": 0.4,
        "grad_ckpt": False,
        "pretrained_s2G": "GPT_SoVITS/pretrained_models/gsv-v2final-pretrained/s2G2333k.pth",
        "pretrained_s2D": "GPT_SoVITS/pretrained_models/gsv-v2final-pretrained/s2D2333k.pth",
        "if_save_latest": True,
        "if_save_every_weights": True,
        "save_every_epoch": 4,
        "gpu_numbers": "0",
    },
    "data": {
        "max_wav_value": 32768.0,
        "sampling_rate": 32000,
        "filter_length": 2048,
        "hop_length": 640,
        "win_length": 2048,
        "n_mel_channels": 128,
        "mel_fmin": 0.0,
        "mel_fmax": None,
        "add_blank": True,
        "n_speakers": 300,
        "cleaned_text": True,
        "exp_dir": "logs/voicestudio",
    },
    "model": S2Config().model_section(),
    "s2_ckpt_dir": "logs/voicestudio",
    "content_module": "cnhubert",
    "save_weight_dir": "SoVITS_weights_v2",
    "name": "voicestudio",
    "version": "v2",
    "pretrain": None,
    "resume_step": None,
}
