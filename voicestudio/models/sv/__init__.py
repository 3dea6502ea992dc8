"""Speaker verification (v2Pro/v2ProPlus): Kaldi fbank front end + ERes2NetV2 fingerprint."""

from voicestudio.models.sv.checkpoint import (
    SpeakerVerifier,
    load_sv_model,
    tiny_sv_config,
    write_tiny_sv_model,
)
from voicestudio.models.sv.eres2netv2 import ERes2NetV2, SVConfig
from voicestudio.models.sv.fbank import SV_SAMPLE_RATE, kaldi_fbank

__all__ = [
    "SV_SAMPLE_RATE",
    "ERes2NetV2",
    "SVConfig",
    "SpeakerVerifier",
    "kaldi_fbank",
    "load_sv_model",
    "tiny_sv_config",
    "write_tiny_sv_model",
]
