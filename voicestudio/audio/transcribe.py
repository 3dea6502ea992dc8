"""Automatic transcription with faster-whisper (Whisper on CTranslate2), fully offline.

Models are plain CTranslate2 folders (model.bin, config.json, tokenizer/vocabulary) that
the base-model registry downloads; here they are only ever loaded from disk.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np

from voicestudio.audio.resample import resample
from voicestudio.errors import MissingModelError, UserInputError

WHISPER_SAMPLE_RATE = 16000
_MODEL_FILES = ("model.bin", "config.json")
_TOKENIZER_FILES = ("tokenizer.json", "vocabulary.txt", "vocabulary.json")
# Model-size choice: medium needs ~2.5 GB of GPU memory in float16 (leave room for the rest
# of the app); on CPU, int8 "small" runs near real time only with 8+ cores.
_GPU_MEMORY_FOR_MEDIUM_GB = 6.0
_CPU_CORES_FOR_SMALL = 8
_ENGLISH_ONLY_SIZES = ("tiny", "base", "small", "medium")  # Whisper has no large.en


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float  # seconds from the start of the transcribed audio
    end: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    language_probability: float
    # 0..1: mean word probability (or exp of the mean token log-probability when Whisper
    # gave no words). Words are what a person will correct, so their mean is the most
    # direct "how much should I check this" number; 0 for an empty transcript.
    confidence: float
    words: tuple[TimedWord, ...]
    no_speech_probability: float


def cuda_available() -> bool:
    """Whether CTranslate2 (not torch) can use a CUDA GPU here."""
    try:
        return ctranslate2.get_cuda_device_count() > 0
    except RuntimeError:
        return False


def _gpu_memory_gb() -> float | None:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_properties(0).total_memory / 2**30
    except (ImportError, RuntimeError):
        pass
    return None


def choose_whisper_model(
    language: str | None,
    on_gpu: bool | None = None,
    gpu_memory_gb: float | None = None,
    cpu_cores: int | None = None,
) -> str:
    """The Whisper size name to use for ``language`` on this machine (e.g. "small.en").

    Bigger is more accurate but slower; the choice keeps transcription of an hour of audio
    to minutes. English gets the English-only model of the same size: it is more accurate
    for English at no extra cost. ``None`` arguments are measured on this machine.
    """
    if on_gpu is None:
        on_gpu = cuda_available()
    if on_gpu:
        memory = gpu_memory_gb if gpu_memory_gb is not None else _gpu_memory_gb()
        size = "medium" if memory is None or memory >= _GPU_MEMORY_FOR_MEDIUM_GB else "small"
    else:
        cores = cpu_cores if cpu_cores is not None else (os.cpu_count() or 1)
        size = "small" if cores >= _CPU_CORES_FOR_SMALL else "base"
    if (language or "").lower().startswith("en") and size in _ENGLISH_ONLY_SIZES:
        return f"{size}.en"
    return size


def choose_compute_type(device: str) -> str:
    """int8 on CPU (4× smaller, ~2× faster, negligible accuracy loss); float16 on CUDA."""
    if device == "cuda":
        supported = ctranslate2.get_supported_compute_types("cuda")
        return "float16" if "float16" in supported else "float32"
    return "int8"


def check_whisper_folder(model_dir: Path) -> None:
    """Raise MissingModelError unless ``model_dir`` looks like a CTranslate2 Whisper model."""
    if not model_dir.is_dir():
        raise MissingModelError(
            f"The speech-recognition model is not installed (folder ‘{model_dir}’ not found). "
            "Download it from the Models page, then try again."
        )
    missing = [name for name in _MODEL_FILES if not (model_dir / name).is_file()]
    if missing or not any((model_dir / name).is_file() for name in _TOKENIZER_FILES):
        raise MissingModelError(
            f"The folder ‘{model_dir.name}’ is not a complete speech-recognition model "
            f"(missing {', '.join(missing) or 'tokenizer'}). Download the model again from "
            "the Models page."
        )


class Transcriber:
    """A loaded Whisper model; ``transcribe`` returns text, language, words and confidence."""

    def __init__(
        self, model_dir: Path | str, device: str = "auto", compute_type: str = "auto"
    ) -> None:
        from faster_whisper import WhisperModel

        model_dir = Path(model_dir)
        check_whisper_folder(model_dir)
        if device == "auto":
            device = "cuda" if cuda_available() else "cpu"
        if compute_type == "auto":
            compute_type = choose_compute_type(device)
        try:
            self._model = WhisperModel(
                str(model_dir), device=device, compute_type=compute_type, local_files_only=True
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise MissingModelError(
                f"The speech-recognition model in ‘{model_dir.name}’ could not be loaded; it "
                "may be damaged. Download it again from the Models page."
            ) from exc
        self.device = device
        self.compute_type = compute_type

    @property
    def multilingual(self) -> bool:
        return bool(self._model.model.is_multilingual)

    def transcribe(
        self, samples: np.ndarray, sample_rate: int, language: str | None = None
    ) -> Transcript:
        """Transcribe one clip (a segment of up to ~30 s); ``language=None`` detects it."""
        if language is not None and not self.multilingual and language != "en":
            raise UserInputError(
                "The installed speech-recognition model understands English only. Download "
                "a multilingual model from the Models page to transcribe other languages."
            )
        audio = resample(samples, sample_rate, WHISPER_SAMPLE_RATE)
        pieces, info = self._model.transcribe(
            audio,
            language=language or (None if self.multilingual else "en"),
            beam_size=5,
            word_timestamps=True,
            # Clips are short and independent: carrying text over only spreads errors.
            condition_on_previous_text=False,
        )
        pieces = list(pieces)
        words = tuple(
            TimedWord(w.word.strip(), float(w.start), float(w.end), float(w.probability))
            for piece in pieces
            for w in piece.words or ()
        )
        if words:
            confidence = float(np.mean([w.probability for w in words]))
        elif pieces:
            confidence = math.exp(float(np.mean([p.avg_logprob for p in pieces])))
        else:
            confidence = 0.0
        return Transcript(
            text=" ".join(p.text.strip() for p in pieces).strip(),
            language=info.language,
            language_probability=float(info.language_probability),
            confidence=confidence,
            words=words,
            no_speech_probability=float(max((p.no_speech_prob for p in pieces), default=1.0)),
        )
