"""Reading and writing S1 (GPT) models in the GPT-SoVITS ``.ckpt`` format.

Layout (facts 3.1, fixtures README section 1): a ``torch.save`` zip of an OrderedDict
``{"weight": OrderedDict[str, fp16 tensor], "config": plain dict, "info": "GPT-e<epoch>"}``.
Weight keys are the Lightning module's: our ``state_dict`` names behind a ``model.`` prefix.
Everything in such a file is a tensor, dict, list or scalar, so ``torch.load(weights_only=True)``
reads it without running any pickled code; model files people share are untrusted.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError
from voicestudio.models.memory import release_freed_memory
from voicestudio.models.s1.config import (
    S1Config,
    config_from_upstream,
    config_to_upstream,
    s1_generation,
)
from voicestudio.models.s1.model import Text2SemanticModel
from voicestudio.models.safe_pickle import safe_load
from voicestudio.project.atomic import atomic_write_bytes

# The whole key mapping: upstream's LightningModule keeps the decoder in ``self.model``, and our
# module names equal the decoder's, so checkpoint key = prefix + our state_dict name.
CHECKPOINT_PREFIX = "model."
CHECKPOINT_DTYPE = torch.float16  # the trainer's "half weights" export


def checkpoint_key(name: str) -> str:
    return CHECKPOINT_PREFIX + name


def model_key(key: str) -> str:
    return key[len(CHECKPOINT_PREFIX) :] if key.startswith(CHECKPOINT_PREFIX) else key


def checkpoint_layout(model: Text2SemanticModel) -> dict[str, tuple[int, ...]]:
    """Checkpoint key -> shape this model reads and writes (works on the meta device)."""
    return {checkpoint_key(name): tuple(t.shape) for name, t in model.state_dict().items()}


def checkpoint_weights(model: Text2SemanticModel) -> OrderedDict[str, torch.Tensor]:
    """The ``weight`` entry: fp16 CPU copies in the model's (= upstream's) key order."""
    return OrderedDict(
        (checkpoint_key(name), t.detach().to("cpu", CHECKPOINT_DTYPE).clone())
        for name, t in model.state_dict().items()
    )


def model_state_from_weights(
    weight: Mapping[str, Any], model: Text2SemanticModel
) -> dict[str, torch.Tensor]:
    """Map checkpoint keys to ours, checking every key, type and shape (no silent skips)."""
    expected = checkpoint_layout(model)
    missing = [key for key in expected if key not in weight]
    unexpected = [key for key in weight if key not in expected]
    if missing or unexpected:
        raise CorruptFileError(
            "This GPT (S1) model file does not match its own settings "
            f"(missing: {_few(missing)}; unexpected: {_few(unexpected)}). "
            "It may be damaged or made by another program; export or download it again."
        )
    state = {}
    for key, shape in expected.items():
        tensor = weight[key]
        if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
            raise CorruptFileError(f"This GPT (S1) model file holds no numbers for '{key}'.")
        if tuple(tensor.shape) != shape:
            raise CorruptFileError(
                f"This GPT (S1) model file has '{key}' of shape {tuple(tensor.shape)} where its "
                f"settings need {shape}. Export or download it again."
            )
        state[model_key(key)] = tensor
    return state


@dataclass
class LoadedS1:
    model: Text2SemanticModel  # on the requested device, eval mode
    config: S1Config
    upstream_config: dict[str, Any]  # the file's full config dict, kept for re-saving
    info: str  # e.g. "GPT-e15"
    generation: str  # "v2" (v2, v2Pro, v2ProPlus, v3 and v4 share this S1 shape)


def inference_dtype(device: torch.device) -> torch.dtype:
    """fp16 on CUDA GPUs that run it well, as upstream's ``is_half``; fp32 on CPU and MPS.

    Upstream keeps fp32 on GTX 16xx cards and compute capability below 7 (e.g. P40, SM 6.1),
    where fp16 is slow or unstable.
    """
    if device.type != "cuda":
        return torch.float32
    major, _ = torch.cuda.get_device_capability(device)
    if major < 7 or "GTX 16" in torch.cuda.get_device_name(device):
        return torch.float32
    return torch.float16


def load_s1_checkpoint(
    path: str | Path,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
) -> LoadedS1:
    """Load an upstream (or our) S1 ``.ckpt`` onto ``device``; ``dtype`` None = inference_dtype."""
    path = Path(path)
    payload = read_s1_payload(path)
    cfg = config_from_upstream(payload["config"])
    generation = s1_generation(cfg.phoneme_vocab_size)
    if generation == "v1":
        raise UserInputError(
            f"'{path.name}' is a GPT-SoVITS v1 GPT model (512-phoneme vocabulary). VoiceStudio "
            "uses v2-family models; choose a GPT model trained with v2, v2Pro or later."
        )
    if generation != "v2":
        raise UserInputError(
            f"'{path.name}' is a GPT model with an unknown phoneme vocabulary "
            f"({cfg.phoneme_vocab_size} entries). VoiceStudio supports GPT-SoVITS v2-family models."
        )
    try:
        cfg.validate()
    except UserInputError as exc:
        raise CorruptFileError(f"'{path.name}': {exc}") from exc

    device = torch.device(device)
    with torch.device(device):
        model = Text2SemanticModel(cfg)
    model.load_state_dict(model_state_from_weights(payload["weight"], model), strict=True)
    model.to(dtype=dtype or inference_dtype(device)).eval()
    upstream_config, info = payload["config"], str(payload.get("info", ""))
    del payload  # the file's fp16 tensors: copied into the model, no longer needed
    release_freed_memory()
    return LoadedS1(model, cfg, upstream_config, info, generation)


def read_s1_payload(path: Path) -> dict[str, Any]:
    """The file's top-level dict, read without executing pickled code, shape-checked."""
    if not path.is_file():
        raise NotFoundError(f"The GPT model file '{path}' does not exist.")
    damaged = (
        f"'{path.name}' is not a readable GPT-SoVITS GPT model (.ckpt); it may be damaged or "
        "incomplete. Download or export it again."
    )
    payload = safe_load(path)  # refuses pickled code; any read failure is a CorruptFileError
    if not isinstance(payload, Mapping) or not isinstance(payload.get("weight"), Mapping):
        raise CorruptFileError(damaged)
    if any(str(key).startswith(("enc_p.", "dec.", "flow.")) for key in payload["weight"]):
        raise UserInputError(
            f"'{path.name}' is a SoVITS (S2) model, not a GPT (S1) model. Choose the .ckpt file."
        )
    if not isinstance(payload.get("config"), dict):
        raise CorruptFileError(damaged)
    return dict(payload)


def save_s1_checkpoint(
    path: str | Path,
    model: Text2SemanticModel,
    config: dict[str, Any] | None = None,
    info: str = "GPT-e1",
) -> None:
    """Write ``model`` as upstream's trainer exports it, atomically.

    ``config`` is the upstream config dict to carry (e.g. ``LoadedS1.upstream_config``); its
    model section and max_sec are rewritten from ``model.config``. None writes the standard
    v2 training config.
    """
    upstream_config = config_to_upstream(model.config, config)
    _require_plain(upstream_config, "config")
    payload: OrderedDict[str, Any] = OrderedDict()
    payload["weight"] = checkpoint_weights(model)
    payload["config"] = upstream_config
    payload["info"] = str(info)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(Path(path), buffer.getvalue())


def random_s1_model(cfg: S1Config, seed: int = 0) -> Text2SemanticModel:
    """A freshly initialised S1 whose weights survive the fp16 file exactly (for tiny
    base models and tests); the global random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Text2SemanticModel(cfg)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            tensor.copy_(tensor.to(CHECKPOINT_DTYPE))
    return model.eval()


def _require_plain(value: Any, where: str) -> None:
    """Configs must stay loadable with weights_only=True: dicts, lists and scalars only."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UserInputError(f"GPT model settings key {key!r} in {where} is not text.")
            _require_plain(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _require_plain(item, f"{where}[{index}]")
    elif not (value is None or isinstance(value, str | int | float | bool)):
        raise UserInputError(
            f"GPT model setting {where} holds a {type(value).__name__}; only plain values "
            "(text, numbers, lists, dicts) can be saved."
        )


def _few(keys: list[str]) -> str:
    if not keys:
        return "none"
    return ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
