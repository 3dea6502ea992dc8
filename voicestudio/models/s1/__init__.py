"""S1, the GPT-SoVITS v2 text -> semantic-token model: its public surface.

Typical use::

    loaded = load_s1_checkpoint(path, device)
    result = decode(loaded.model, phone_ids, bert, prompt_tokens, SamplingParams(), seed=7)
    if not result.finished: ...  # runaway: stopped by a length limit, not by the model
"""

from voicestudio.models.s1.checkpoint import (
    CHECKPOINT_PREFIX,
    LoadedS1,
    checkpoint_layout,
    inference_dtype,
    load_s1_checkpoint,
    random_s1_model,
    save_s1_checkpoint,
)
from voicestudio.models.s1.config import (
    S1Config,
    config_from_upstream,
    config_to_upstream,
    s1_generation,
    tiny_s1_config,
)
from voicestudio.models.s1.decoding import (
    DecodeResult,
    RunawayDecodeError,
    StopReason,
    decode,
    decode_batch,
)
from voicestudio.models.s1.model import KVCache, TeacherForcedOutput, Text2SemanticModel
from voicestudio.models.s1.sampling import SamplingParams

__all__ = [
    "CHECKPOINT_PREFIX",
    "DecodeResult",
    "KVCache",
    "LoadedS1",
    "RunawayDecodeError",
    "S1Config",
    "SamplingParams",
    "StopReason",
    "TeacherForcedOutput",
    "Text2SemanticModel",
    "checkpoint_layout",
    "config_from_upstream",
    "config_to_upstream",
    "decode",
    "decode_batch",
    "inference_dtype",
    "load_s1_checkpoint",
    "random_s1_model",
    "s1_generation",
    "save_s1_checkpoint",
    "tiny_s1_config",
]
