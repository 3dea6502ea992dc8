"""Which compute device to run on, and how to name it for a person."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from voicestudio.errors import UserInputError


@dataclass(frozen=True)
class DeviceInfo:
    device: torch.device
    label: str  # e.g. "GPU: NVIDIA H100", "Apple GPU (MPS)", "CPU"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(preference: str = "auto") -> DeviceInfo:
    """Map a Settings/CLI choice (auto / cuda / mps / cpu) to a usable device.

    An explicit choice the machine cannot honour is an error the user can act on, rather than
    a silent fallback that would make training unexpectedly slow.
    """
    preference = (preference or "auto").lower()
    if preference not in ("auto", "cuda", "mps", "cpu"):
        raise UserInputError(
            f"Unknown device '{preference}'. Choose one of: auto, cuda, mps, cpu."
        )
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        return DeviceInfo(torch.device("cuda"), f"GPU: {name}")
    if preference == "cuda":
        raise UserInputError("No CUDA GPU was found. Choose 'auto' or 'cpu' in Settings.")
    if preference in ("auto", "mps") and _mps_available():
        return DeviceInfo(torch.device("mps"), "Apple GPU (MPS)")
    if preference == "mps":
        raise UserInputError("Apple GPU (MPS) is not available here. Choose 'auto' or 'cpu'.")
    return DeviceInfo(torch.device("cpu"), "CPU")
