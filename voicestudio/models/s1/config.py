"""Sizes of the S1 (text -> semantic tokens) transformer and the upstream config dict around them.

GPT-SoVITS keeps the S1 sizes in the ``model`` section of its training YAML, and that whole YAML
travels inside every exported ``.ckpt`` under ``config``. ``S1Config`` is the single source of
sizes in VoiceStudio; the functions here translate between it and that upstream dict, so the
rest of the code never reads the upstream spelling (``head``, ``n_layer``, ``EOS`` ...).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from voicestudio.errors import CorruptFileError, UserInputError

# Phoneme-vocabulary sizes that tell the symbol-table generation of an S1 model apart
# (facts 2: "phoneme_vocab_size 512 vs 732 tells v1 vs v2+"; v2Pro/v3/v4 share the v2 shape).
V1_PHONEME_VOCAB = 512
V2_PHONEME_VOCAB = 732
SEMANTIC_VOCAB = 1025  # 1024 SoVITS codebook entries + EOS
SEMANTIC_EOS = 1024


@dataclass(frozen=True)
class S1Config:
    """Every size the S1 model needs. Defaults are the public v2 base model (77.6M params)."""

    phoneme_vocab_size: int = V2_PHONEME_VOCAB
    vocab_size: int = SEMANTIC_VOCAB  # semantic tokens incl. EOS
    eos: int = SEMANTIC_EOS  # upstream asserts eos == vocab_size - 1
    embedding_dim: int = 512  # token/bert projection width; must equal hidden_dim
    hidden_dim: int = 512
    n_head: int = 16
    n_layer: int = 24
    bert_dim: int = 1024  # chinese-roberta-wwm-ext-large hidden size, fixed by the BERT model
    token_dropout: float = 0.0  # upstream config "dropout": only the token-embedding dropout
    attention_dropout: float = 0.1  # hard-coded upstream: MHA weights, residual and FFN dropouts
    positional_dropout: float = 0.1  # hard-coded upstream: after adding the sine table
    layer_norm_eps: float = 1e-5
    max_sec: int = 54  # training-data limit; upstream inference derives early_stop_num from it

    @property
    def ffn_dim(self) -> int:
        """Upstream ignores ``linear_units`` and always uses 4 x hidden_dim."""
        return 4 * self.hidden_dim

    @property
    def head_dim(self) -> int:
        return self.hidden_dim // self.n_head

    def validate(self) -> None:
        """Reject sizes that upstream's code would also fail on, with a readable reason."""
        problems = []
        if self.embedding_dim != self.hidden_dim:
            problems.append(
                f"embedding_dim {self.embedding_dim} differs from hidden_dim {self.hidden_dim}"
            )
        if self.hidden_dim % self.n_head:
            problems.append(f"hidden_dim {self.hidden_dim} is not divisible by {self.n_head} heads")
        if self.eos != self.vocab_size - 1:
            problems.append(f"EOS {self.eos} is not the last semantic token {self.vocab_size - 1}")
        if min(self.n_layer, self.n_head, self.hidden_dim, self.phoneme_vocab_size) < 1:
            problems.append("a size is zero or negative")
        if problems:
            raise UserInputError("This GPT (S1) model configuration cannot be built: "
                                 + "; ".join(problems) + ".")


def s1_generation(phoneme_vocab_size: int) -> str:
    """'v1' or 'v2' from the phoneme vocabulary size; 'unknown' for anything else."""
    if phoneme_vocab_size == V1_PHONEME_VOCAB:
        return "v1"
    if phoneme_vocab_size == V2_PHONEME_VOCAB:
        return "v2"
    return "unknown"


# The ``config`` dict upstream's S1 trainer stores in every exported .ckpt (s1longer-v2.yaml plus
# the fields the WebUI adds). Inference upstream reads only data.max_sec and the model section,
# but we write the whole layout so a file we export looks like one the WebUI wrote.
_UPSTREAM_TEMPLATE: dict[str, Any] = {
    "train": {
        "seed": 1234,
        "epochs": 15,
        "batch_size": 8,
        "save_every_n_epoch": 5,
        "precision": "16-mixed",
        "gradient_clip": 1.0,
        "if_save_every_weights": True,
        "if_save_latest": True,
        "if_dpo": False,
        "half_weights_save_dir": "GPT_weights_v2",
        "exp_name": "voicestudio",
    },
    "optimizer": {
        "lr": 0.01,
        "lr_init": 1e-05,
        "lr_end": 0.0001,
        "warmup_steps": 2000,
        "decay_steps": 40000,
    },
    "data": {"max_eval_sample": 8, "max_sec": 54, "num_workers": 4, "pad_val": 1024},
    "model": {},
    "inference": {"top_k": 15},
}


def config_from_upstream(config: Any) -> S1Config:
    """Read the ``config`` dict of an S1 .ckpt; a missing or odd field is a corrupt file."""
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise CorruptFileError(
            "This GPT (S1) model file has no model settings inside, so it is damaged or not a "
            "GPT-SoVITS GPT model. Download or export it again."
        )
    model = config["model"]
    data = config.get("data") if isinstance(config.get("data"), dict) else {}
    try:
        cfg = S1Config(
            phoneme_vocab_size=int(model["phoneme_vocab_size"]),
            vocab_size=int(model["vocab_size"]),
            eos=int(model["EOS"]),
            embedding_dim=int(model["embedding_dim"]),
            hidden_dim=int(model["hidden_dim"]),
            n_head=int(model["head"]),
            n_layer=int(model["n_layer"]),
            token_dropout=float(model.get("dropout", 0.0)),
            max_sec=int(data.get("max_sec", 54)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptFileError(
            f"This GPT (S1) model file has incomplete model settings (problem with {exc}). "
            "Download or export it again."
        ) from exc
    return cfg


def config_to_upstream(cfg: S1Config, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The upstream ``config`` dict for ``cfg``: ``base`` (e.g. the dict a loaded file carried)
    with its model section and max_sec replaced, or the standard v2 layout when no base is given.
    """
    out = copy.deepcopy(base if base is not None else _UPSTREAM_TEMPLATE)
    for section in ("data", "model"):
        if not isinstance(out.get(section), dict):
            out[section] = {}
    model = out["model"]
    model.update(
        {
            "vocab_size": cfg.vocab_size,
            "phoneme_vocab_size": cfg.phoneme_vocab_size,
            "embedding_dim": cfg.embedding_dim,
            "hidden_dim": cfg.hidden_dim,
            "head": cfg.n_head,
            "linear_units": model.get("linear_units", cfg.ffn_dim),
            "n_layer": cfg.n_layer,
            "dropout": cfg.token_dropout,
            "EOS": cfg.eos,
            "random_bert": model.get("random_bert", 0),
        }
    )
    out["data"]["max_sec"] = cfg.max_sec
    out["data"].setdefault("pad_val", cfg.eos)
    return out


def tiny_s1_config(**overrides: Any) -> S1Config:
    """A few-hundred-kilobyte S1 with the real vocabularies, for tests and the tiny base-model
    set: small widths, but the token tables keep their v2 sizes so files stay upstream-loadable.
    """
    sizes: dict[str, Any] = {"embedding_dim": 32, "hidden_dim": 32, "n_head": 4, "n_layer": 2}
    sizes.update(overrides)
    return S1Config(**sizes)
