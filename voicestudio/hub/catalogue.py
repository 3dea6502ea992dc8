"""The base models VoiceStudio knows how to install: what each one is and which files it has.

Each spec is named by a short id (``s1-v2``, ``hubert``, ``whisper-base``) that the rest of
the code asks for; upstream's file paths appear only here, as ``repo_path``. A faster-whisper
model imported under a name of its own gets an import-only spec (:func:`get_spec`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicestudio.errors import UserInputError

GPTSOVITS_REPO = "lj1995/GPT-SoVITS"


@dataclass(frozen=True)
class ModelFile:
    """One file of a base model.

    ``sha256`` is pinned only where a verified value is known; otherwise the download checks
    the file against the hub's own LFS sha256 (its ETag) and records the result in
    ``model.json``. ``accepted_names`` are other names that serve the same purpose in an
    imported or tiny install (a ``transformers`` folder saved as ``model.safetensors``).
    """

    name: str
    repo_path: str
    sha256: str | None = None
    accepted_names: tuple[str, ...] = ()

    def found_in(self, names: set[str]) -> str | None:
        """The name under which this file is present among ``names``, if any."""
        for candidate in (self.name, *self.accepted_names):
            if candidate in names:
                return candidate
        return None


@dataclass(frozen=True)
class BaseModelSpec:
    """A base model VoiceStudio knows how to install.

    ``approx_bytes`` is for display only ("about 155 MB"): it comes from published figures,
    never from a verified listing, so it is not used to accept or reject a file.
    """

    id: str
    title: str
    kind: str  # "s1", "s2g", "s2d", "sv", "ssl", "bert", "speaker" or "asr"
    repo_id: str
    revision: str
    files: tuple[ModelFile, ...]
    approx_bytes: int = 0
    required: bool = False

    @property
    def downloadable(self) -> bool:
        return bool(self.repo_id)

    @property
    def main_file(self) -> ModelFile:
        """The weights file: the one a single-file model's loader opens."""
        for f in self.files:
            if f.name.endswith((".ckpt", ".pth", ".bin")):
                return f
        return self.files[0]


_MB = 1_000_000

_V2 = "gsv-v2final-pretrained"


def _whisper(size: str, approx_mb: int, vocabulary: str = "vocabulary.txt",
             extra: tuple[str, ...] = ()) -> BaseModelSpec:
    # Conversions differ in the vocabulary format; faster-whisper reads either.
    other = "vocabulary.json" if vocabulary == "vocabulary.txt" else "vocabulary.txt"
    files = (
        *(ModelFile(name, name) for name in ("config.json", "model.bin", "tokenizer.json")),
        ModelFile(vocabulary, vocabulary, accepted_names=(other,)),
        *(ModelFile(name, name) for name in extra),
    )
    return BaseModelSpec(
        id=f"whisper-{size}",
        title=f"Speech recognition: faster-whisper {size}",
        kind="asr",
        repo_id=f"Systran/faster-whisper-{size}",
        revision="main",
        files=files,
        approx_bytes=approx_mb * _MB,
    )


SPECS: dict[str, BaseModelSpec] = {
    spec.id: spec
    for spec in (
        BaseModelSpec(
            "s1-v2", "GPT-SoVITS v2 S1 (text to semantic tokens)", "s1", GPTSOVITS_REPO, "main",
            (ModelFile("s1.ckpt", f"{_V2}/s1bert25hz-5kh-longer-epoch=12-step=369668.ckpt"),),
            approx_bytes=155 * _MB, required=True,
        ),
        BaseModelSpec(
            "s2g-v2", "GPT-SoVITS v2 S2 generator (SoVITS)", "s2g", GPTSOVITS_REPO, "main",
            (ModelFile("s2G.pth", f"{_V2}/s2G2333k.pth"),),
            approx_bytes=106 * _MB, required=True,
        ),
        BaseModelSpec(
            "s2d-v2", "GPT-SoVITS v2 S2 discriminator (for training)", "s2d", GPTSOVITS_REPO,
            "main", (ModelFile("s2D.pth", f"{_V2}/s2D2333k.pth"),),
            approx_bytes=93 * _MB, required=True,
        ),
        BaseModelSpec(
            "hubert", "chinese-hubert-base (speech features)", "ssl", GPTSOVITS_REPO, "main",
            (
                ModelFile("config.json", "chinese-hubert-base/config.json"),
                ModelFile("preprocessor_config.json",
                          "chinese-hubert-base/preprocessor_config.json"),
                ModelFile("pytorch_model.bin", "chinese-hubert-base/pytorch_model.bin",
                          accepted_names=("model.safetensors",)),
            ),
            approx_bytes=190 * _MB, required=True,
        ),
        BaseModelSpec(
            "bert", "chinese-roberta-wwm-ext-large (text features)", "bert", GPTSOVITS_REPO,
            "main",
            (
                ModelFile("config.json", "chinese-roberta-wwm-ext-large/config.json"),
                ModelFile("tokenizer.json", "chinese-roberta-wwm-ext-large/tokenizer.json"),
                ModelFile("pytorch_model.bin", "chinese-roberta-wwm-ext-large/pytorch_model.bin",
                          accepted_names=("model.safetensors",)),
            ),
            approx_bytes=650 * _MB, required=True,
        ),
        BaseModelSpec(
            "s1-v2pro", "GPT-SoVITS v2Pro/v2ProPlus S1 (text to semantic tokens)", "s1",
            GPTSOVITS_REPO, "main", (ModelFile("s1.ckpt", "s1v3.ckpt"),),
            approx_bytes=155 * _MB,
        ),
        BaseModelSpec(
            "s2g-v2pro", "GPT-SoVITS v2Pro S2 generator (SoVITS)", "s2g", GPTSOVITS_REPO,
            "main", (ModelFile("s2G.pth", "v2Pro/s2Gv2Pro.pth"),), approx_bytes=162 * _MB,
        ),
        BaseModelSpec(
            "s2d-v2pro", "GPT-SoVITS v2Pro S2 discriminator (for training)", "s2d",
            GPTSOVITS_REPO, "main", (ModelFile("s2D.pth", "v2Pro/s2Dv2Pro.pth"),),
            approx_bytes=127 * _MB,
        ),
        BaseModelSpec(
            "s2g-v2proplus", "GPT-SoVITS v2ProPlus S2 generator (SoVITS)", "s2g",
            GPTSOVITS_REPO, "main", (ModelFile("s2G.pth", "v2Pro/s2Gv2ProPlus.pth"),),
            approx_bytes=200 * _MB,
        ),
        BaseModelSpec(
            "s2d-v2proplus", "GPT-SoVITS v2ProPlus S2 discriminator (for training)", "s2d",
            GPTSOVITS_REPO, "main", (ModelFile("s2D.pth", "v2Pro/s2Dv2ProPlus.pth"),),
            approx_bytes=127 * _MB,
        ),
        BaseModelSpec(
            "sv", "ERes2NetV2 speaker verification (v2Pro/v2ProPlus likeness)", "sv",
            GPTSOVITS_REPO, "main",
            (ModelFile("sv.ckpt", "sv/pretrained_eres2netv2w24s4ep4.ckpt"),),
            approx_bytes=108 * _MB,
        ),
        BaseModelSpec(
            "speaker-encoder", "Speaker check: finds a second voice in recordings (GE2E)",
            "speaker", "Resemblyzer 0.1.4 on PyPI", "0.1.4",
            (ModelFile("encoder.pt", "resemblyzer/pretrained.pt", sha256=(
                "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e")),),
            approx_bytes=16 * _MB,
        ),
        _whisper("tiny", 75),
        _whisper("base", 145),
        _whisper("small", 484),
        _whisper("medium", 1530),
        _whisper("large-v3", 3090, "vocabulary.json", ("preprocessor_config.json",)),
    )
}

REQUIRED_IDS: tuple[str, ...] = tuple(s.id for s in SPECS.values() if s.required)
# Models no family needs to speak or train, but that `dataset add` uses (the second-speaker
# check): the first-run download and the Base models page bring them along.
COMPANION_IDS: tuple[str, ...] = ("speaker-encoder",)


def required_ids(family: str | None = None) -> tuple[str, ...]:
    """The base models a family needs (None: the family chosen in Settings); REQUIRED_IDS is
    the v2 family's set."""
    from voicestudio.hub.families import chosen_family, get_family

    chosen = get_family(family) if family else chosen_family()
    return chosen.required_ids


# A faster-whisper folder imported under a name the catalogue does not know gets the same
# files as the registered sizes; the vocabulary may be .txt or .json depending on the model.
_ASR_FILES = (
    ModelFile("config.json", "config.json"),
    ModelFile("model.bin", "model.bin"),
    ModelFile("tokenizer.json", "tokenizer.json"),
    ModelFile("vocabulary.txt", "vocabulary.txt", accepted_names=("vocabulary.json",)),
)
_ASR_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,47}$")


def asr_spec_id(name: str) -> str:
    """The id an ASR model imported as NAME is installed under (``base`` → ``whisper-base``)."""
    name = name.strip().lower()
    if name.startswith("whisper-"):
        name = name[len("whisper-"):]
    if not _ASR_NAME.match(name) or ".." in name:
        raise UserInputError(
            f"“{name}” cannot be used as a model name: use lower-case letters, digits, '.', "
            "'-' or '_' (for example: base, small.en, my-whisper)."
        )
    return f"whisper-{name}"


def get_spec(spec_id: str) -> BaseModelSpec:
    """The registered spec, or an import-only ASR spec for a custom ``whisper-*`` name."""
    spec = SPECS.get(spec_id)
    if spec is not None:
        return spec
    if spec_id.startswith("whisper-"):
        asr_spec_id(spec_id)  # validates the name part
        return BaseModelSpec(spec_id, f"Speech recognition: {spec_id[8:]} (imported)", "asr",
                             "", "", _ASR_FILES)
    known = ", ".join(SPECS)
    raise UserInputError(f"Unknown base model “{spec_id}”. Known models: {known}.")


def is_imported_asr_id(name: str) -> bool:
    """Whether ``name`` is a folder an ASR model imported under its own name would use."""
    return (name.startswith("whisper-") and name not in SPECS
            and bool(_ASR_NAME.match(name[len("whisper-"):])))
