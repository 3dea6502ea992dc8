"""Read and write SoVITS (S2) generator files in GPT-SoVITS's own `.pth` layout.

Layout (upstream process_ckpt.savee): a torch.save zip of an OrderedDict with
`weight` (state dict, every `enc_q` key removed, every tensor fp16), `config` (the hparams as
an `utils.HParams` object) and `info` ("<epoch>epoch_<step>iteration"). Base models keep
`enc_q` because training needs it. Writing the same layout lets people take a voice trained
here to any GPT-SoVITS install; reading it lets them bring theirs here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.models.checkpoint_format import (
    HEADER_BYTES,
    TAG_FOR_VERSION,
    CheckpointKind,
    kind_from_content,
    kind_from_header,
    weight_table,
)
from voicestudio.models.s2.config import SV_VERSIONS, S2Config, tiny_s2_config
from voicestudio.models.s2.generator import SoVITSGenerator
from voicestudio.models.s2.pro_generator import build_s2_generator
from voicestudio.models.safe_pickle import (
    HParams,
    dump_checkpoint_bytes,
    plain_tree,
    read_model_bytes,
    safe_load,
)
from voicestudio.project.atomic import atomic_write_bytes

POSTERIOR_PREFIX = "enc_q."


@dataclass
class LoadedS2:
    generator: SoVITSGenerator  # eval mode, fp32, on the requested device
    config: S2Config
    hparams: dict[str, Any]  # the file's full hparams tree as plain dicts (for re-saving)
    info: str
    kind: CheckpointKind
    has_posterior: bool  # False for inference exports; training then needs a new enc_q


def load_s2_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> LoadedS2:
    """Open a GPT-SoVITS v2 / v2Pro / v2ProPlus SoVITS `.pth` safely and build its generator."""
    path = Path(path)
    data = read_model_bytes(path)
    header_kind = kind_from_header(data[:HEADER_BYTES])
    if header_kind is not None:
        header_kind.require_supported("s2")  # refuse v3/v4 and LoRA before unpickling anything
    obj = safe_load(data)
    kind = kind_from_content(obj)
    kind.require_supported("s2")
    if "weight" not in obj or not isinstance(obj.get("config"), Mapping | HParams):
        raise CorruptFileError(
            f"'{path.name}' is not a SoVITS weights export (it lacks 'weight' or 'config'); "
            "training checkpoints such as G_*.pth cannot be opened directly."
        )
    hparams = plain_tree(obj["config"])
    weights = weight_table(obj)
    version = _agreed_version(path.name, header_kind, kind, hparams)
    config = S2Config.from_hparams(hparams)
    config = replace(config, version=version, **_sv_sizes(weights))
    has_posterior = any(k.startswith(POSTERIOR_PREFIX) for k in weights)
    try:  # on the meta device: no memory and no random init for weights about to arrive
        with torch.device("meta"):
            generator = build_s2_generator(config, with_posterior=has_posterior)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise CorruptFileError(
            f"The model settings in '{path.name}' describe a network that cannot be built."
        ) from exc
    load_generator_weights(generator, weights, source=path.name, assign=True)
    generator.to(device).eval()
    info = obj.get("info", "")
    detected_by = header_kind.detected_by if header_kind else "content"
    kind = CheckpointKind("s2", version, False, detected_by)
    return LoadedS2(generator, config, hparams, str(info), kind, has_posterior)


def _agreed_version(
    name: str, header: CheckpointKind | None, content: CheckpointKind, hparams: Mapping[str, Any]
) -> str:
    """The version the header marker, the weights and the settings agree on.

    Upstream trusts the marker alone, so a v2Pro file without its marker opens there as
    plain v2 and silently drops the speaker-verification weights; such files are refused
    with the reason rather than guessed at.
    """
    model = hparams.get("model", {}) if hasattr(hparams, "get") else {}
    declared = model.get("version") if hasattr(model, "get") else None
    marker = header.version if header is not None else "v2"
    family = "v2Pro/v2ProPlus" if content.version in SV_VERSIONS else content.version
    if marker in SV_VERSIONS or content.version in SV_VERSIONS:
        if marker not in SV_VERSIONS:
            raise CorruptFileError(
                f"'{name}' holds {family} weights but lacks the v2Pro marker at the start of "
                "the file, so GPT-SoVITS would open it as plain v2 and silently ignore its "
                "speaker-verification weights. Export it again from the program that made it."
            )
        if content.version not in SV_VERSIONS or (declared is not None and declared != marker):
            raise CorruptFileError(
                f"'{name}' is marked as {marker} but its settings say "
                f"{declared or content.version}; the file was edited or written by a faulty "
                "tool. Export it again from the program that made it."
            )
        return marker
    return str(content.version)


def _sv_sizes(weights: Mapping[str, torch.Tensor]) -> dict[str, int]:
    """Fingerprint width from the weights (upstream hard-codes 20480; tiny models differ)."""
    sv = weights.get("sv_emb.weight")
    if sv is None or sv.dim() != 2:
        return {}
    sizes = {"sv_dim": int(sv.shape[1])}
    to_text = weights.get("ge_to512.weight")
    if to_text is not None and to_text.dim() == 2:
        sizes["sv_text_width"] = int(to_text.shape[0])
    return sizes


def load_generator_weights(
    generator: SoVITSGenerator,
    weights: Mapping[str, torch.Tensor],
    source: str = "the file",
    assign: bool = False,
) -> None:
    """Copy a GPT-SoVITS state dict into `generator`, checking every key and shape first.

    The posterior encoder may be absent from the file only if the generator has none.
    `assign` adopts the (dtype-converted) tensors instead of copying, for a generator built
    on the meta device.
    """
    expected = generator.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    wrong_shape = [
        k
        for k, v in weights.items()
        if k in expected and tuple(v.shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or wrong_shape:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected)):
            if keys:
                parts.append(f"{len(keys)} {label} (e.g. {', '.join(keys[:3])})")
        if wrong_shape:
            parts.append(f"{len(wrong_shape)} with other sizes (e.g. {wrong_shape[0]})")
        raise CorruptFileError(
            f"The weights in {source} do not match its own settings: {'; '.join(parts)}. "
            "The file is damaged or was written by an incompatible tool."
        )
    converted = {
        k: v.to(dtype=expected[k].dtype) if v.is_floating_point() else v
        for k, v in weights.items()
    }
    generator.load_state_dict(converted, strict=True, assign=assign)


def save_s2_checkpoint(
    path: str | Path,
    generator: SoVITSGenerator,
    hparams: Mapping[str, Any] | None = None,
    info: str = "0epoch_0iteration",
    version: str | None = None,
    include_posterior: bool = False,
) -> None:
    """Write `generator` as a GPT-SoVITS SoVITS weights file, atomically, as upstream does.

    `hparams`: the full upstream tree to store (e.g. LoadedS2.hparams of the base model);
    the model sizes in it are overwritten from the generator's config. `include_posterior`
    keeps `enc_q`, as base models (s2G2333k.pth) do; exported voices drop it. `version`
    defaults to the generator's; v2Pro/v2ProPlus files get upstream's two-byte marker in
    place of the zip's "PK" (process_ckpt.my_save2), without which upstream would read them
    as v2.
    """
    version = version or generator.config.version
    if version != generator.config.version:
        raise UserInputError(
            f"This is a {generator.config.version} SoVITS model; it cannot be saved as {version}."
        )
    if version not in ("v1", "v2") and version not in SV_VERSIONS:
        if version in TAG_FOR_VERSION or version in ("v3", "v4"):
            raise UserInputError(f"Writing {version} SoVITS files is not supported yet.")
        raise UserInputError(
            f"Unknown SoVITS version '{version}'; VoiceStudio writes v2, v2Pro and v2ProPlus."
        )
    tree = generator.config.to_hparams(hparams)
    weights = {
        key: tensor.detach().to("cpu", torch.float16)
        for key, tensor in generator.state_dict().items()
        if include_posterior or not key.startswith(POSTERIOR_PREFIX)
    }
    payload = OrderedDict(weight=weights, config=HParams.from_mapping(tree), info=str(info))
    data = dump_checkpoint_bytes(payload)
    if version in SV_VERSIONS:
        data = TAG_FOR_VERSION[version] + data[2:]
    atomic_write_bytes(Path(path), data)


def random_s2_generator(config: S2Config | None = None, seed: int = 0) -> SoVITSGenerator:
    """A freshly initialised generator (default: tiny) from a fixed seed, for tests and demos.

    The global RNG is left as it was, so callers' own seeding is not disturbed.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator = build_s2_generator(config or tiny_s2_config())
    return generator.eval()


def write_tiny_s2_base_model(path: str | Path, seed: int = 0, version: str = "v2") -> None:
    """Write a tiny stand-in for the s2G2333k.pth / s2Gv2Pro(Plus).pth base model (keeps
    `enc_q`, like the real one).

    Lets the base-model registry, training and synthesis run end to end in tests without the
    real 100 MB download.
    """
    generator = random_s2_generator(tiny_s2_config(version=version), seed=seed)
    save_s2_checkpoint(path, generator, info="tiny-base", include_posterior=True)
