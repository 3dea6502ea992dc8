"""S2 (SoVITS): generator, discriminator, losses and weight-normalised convs (GPT-SoVITS v2).

The generator turns semantic codes + phones + a reference voice into 32 kHz audio; its public
API is re-exported here.
"""

from voicestudio.models.s2.checkpoint import (
    LoadedS2,
    load_generator_weights,
    load_s2_checkpoint,
    random_s2_generator,
    save_s2_checkpoint,
    write_tiny_s2_base_model,
)
from voicestudio.models.s2.config import S2Config, tiny_s2_config, v2_s2_config
from voicestudio.models.s2.generator import DecodeTrace, SoVITSGenerator, TrainStepOutput

__all__ = [
    "DecodeTrace",
    "LoadedS2",
    "S2Config",
    "SoVITSGenerator",
    "TrainStepOutput",
    "load_generator_weights",
    "load_s2_checkpoint",
    "random_s2_generator",
    "save_s2_checkpoint",
    "tiny_s2_config",
    "v2_s2_config",
    "write_tiny_s2_base_model",
]
