"""Which compute device to run on, and how to name it for a person."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

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


_NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True when this CPU computes bf16 in hardware (AVX512-BF16 or AMX) and oneDNN, which
    runs the vocoder's convolutions and S1's matrix products in bf16, is available to use it.
    Elsewhere bf16 is emulated and slower than fp32, so "auto" precisions stay fp32."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace").split()
    except OSError:  # not Linux: ask oneDNN itself (a private but long-standing probe)
        probe = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
        return bool(probe()) if probe is not None else False
    return any(flag in flags for flag in _NATIVE_BF16_FLAGS)
