"""Training presets and the batch-size rules, in one place the CLI and the Train page share.

"standard" is upstream's WebUI default (8 SoVITS + 15 GPT epochs): the amount of training
GPT-SoVITS users know gives a recognisable voice from about a minute of speech. "quick" halves
it for a first listen; "best" doubles it for more data (with one minute of speech, more epochs
mostly risk over-fitting, so "best" is not the default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voicestudio.errors import UserInputError

if TYPE_CHECKING:  # torch is imported only when a device is asked about (fast CLI start)
    import torch


@dataclass(frozen=True)
class Preset:
    name: str
    s2_epochs: int
    s1_epochs: int
    description: str


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("quick", 4, 8, "a first listen in a few minutes"),
        Preset("standard", 8, 15, "GPT-SoVITS's own defaults; a usable voice from one minute"),
        Preset("best", 16, 30, "longer training, for several minutes of speech"),
    )
}
DEFAULT_PRESET = "standard"
MAX_EPOCHS = 100


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UserInputError(
            f"Unknown preset '{name}'. Choose one of: {', '.join(PRESETS)}."
        ) from None


def check_epochs(value: int, what: str) -> int:
    if not 1 <= value <= MAX_EPOCHS:
        raise UserInputError(f"{what} must be between 1 and {MAX_EPOCHS}, not {value}.")
    return value


def amp_supported(device: torch.device) -> bool:
    """fp16 autocast where upstream uses it: CUDA cards with fast fp16 (not GTX 16xx or
    compute capability below 7, where upstream trains in fp32)."""
    if device.type != "cuda":
        return False
    import torch

    major, _ = torch.cuda.get_device_capability(device)
    return major >= 7 and "GTX 16" not in torch.cuda.get_device_name(device)


def default_batch_size(stage: str, device: torch.device) -> int:
    """Upstream's WebUI rule on a GPU: half the card's gigabytes (about 2 GB per clip per
    step for either stage), halved again without fp16. On the CPU, where a bigger batch only
    makes each step slower, a small batch keeps progress and cancel responsive."""
    if device.type == "cuda":
        import torch

        gigabytes = torch.cuda.get_device_properties(device).total_memory / 2**30
        size = max(1, int(gigabytes // 2))
        return size if amp_supported(device) else max(1, size // 2)
    if device.type == "mps":
        return 4
    return 4 if stage == "s2" else 8
