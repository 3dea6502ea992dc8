"""The product's checkpoint scorer: speak the held-out sentences and listen to the result.

For each held-out segment the candidate model says that segment's sentence (with the voice's
own reference clip, a fixed seed, so checkpoints are compared on the same task), then

* likeness: the speaker embedding (``audio.speakers``, the model the dataset's speaker check
  already uses) of the synthesis against that of the real recording, cosine similarity;
* intelligibility: the installed Whisper model transcribes the synthesis, and the word error
  rate (character error rate for Chinese, which has no spaces) against the sentence.

Without an installed speech recogniser the checkpoints are judged on likeness alone (the
WER is None: not measured, and said so).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicestudio.errors import MissingModelError
from voicestudio.jobs import CancelToken
from voicestudio.project.voice import Voice
from voicestudio.synthesis.reference import SPEC_RATE
from voicestudio.training.feature_store import SegmentFeatures
from voicestudio.training.scoring import CheckpointScore

SCORING_SEED = 20240611  # the same "take" for every checkpoint: differences are the model's
_WORD = re.compile(r"[a-z0-9']+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def edit_distance_rate(reference: Sequence[str], hypothesis: Sequence[str]) -> float:
    """Levenshtein distance between two token lists over the reference length."""
    row = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(1, len(reference))


def _tokens(text: str, lang: str) -> list[str]:
    """Words, or for Chinese (no spaces) each character plus any Latin words."""
    words = _WORD.findall(text.lower())
    return _HAN.findall(text) + words if lang == "zh" or _HAN.search(text) else words


def error_rate(reference: str, hypothesis: str, lang: str) -> float:
    """Word error rate (character error rate for Chinese) of a transcript."""
    return edit_distance_rate(_tokens(reference, lang), _tokens(hypothesis, lang))


@dataclass(frozen=True)
class _HeldOut:
    text: str
    lang: str
    embedding: np.ndarray  # (256,) unit-length speaker embedding of the real recording


LIKENESS_NEEDS_SPEAKER_MODEL = (
    "Each saved checkpoint is judged by how much it sounds like the voice, and that needs the "
    "speaker-check model, which is not installed (or is damaged). Install it from Base models "
    "(or run `voicestudio models download speaker-encoder`), or train without scoring "
    "(`--no-scoring`: the last checkpoint is kept). Nothing was trained.")


class ListeningScorer:
    """``training.scoring.CheckpointScorer`` with the real models (see the module doc)."""

    def __init__(self, data_dir: Path, device: str = "auto",
                 cancel: CancelToken | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.device = device
        self.cancel = cancel
        self.held_out: list[_HeldOut] = []
        self.reference = None
        self.voice: Voice | None = None
        self.embedder = None  # the speaker-check model, loaded by prepare()
        self.recogniser_missing = False

    def prepare(self, voice_folder: Path, held_out: Sequence[SegmentFeatures]) -> None:
        from voicestudio.audio.speakers import SpeakerCheckUnavailable, speaker_embedder
        from voicestudio.services.speech import voice_reference
        from voicestudio.training.batches import read_wav_32k

        try:
            self.embedder = speaker_embedder(self.data_dir)
        except SpeakerCheckUnavailable as exc:
            raise MissingModelError(LIKENESS_NEEDS_SPEAKER_MODEL) from exc
        voice = self.voice = Voice.open(voice_folder)
        self.reference = voice_reference(voice)
        self.held_out = []
        for features in held_out:
            samples = read_wav_32k(voice_folder / features.audio_path, SPEC_RATE)
            self.held_out.append(_HeldOut(features.text, features.lang,
                                          self.embedder.embed(samples, SPEC_RATE)))

    def score(self, stage: str, epoch: int, s2_path: Path, s1_path: Path | None
              ) -> CheckpointScore:
        from dataclasses import replace

        from voicestudio.services.speech import SpeakingModel, speech_for
        from voicestudio.synthesis.pipeline import SynthesisRequest, Synthesizer

        if self.reference is None or self.voice is None:
            raise MissingModelError(
                "The voice has no clean 3-10 s segment to speak the checks with.")
        # The voice's own family (a v2Pro voice needs its speaker-verification model), with
        # the candidate's files in place of the base ones.
        files = speech_for(self.data_dir, self.voice,
                           model=SpeakingModel("checkpoint", run_s2=s2_path)).files
        if s1_path is not None:
            files = replace(files, s1=s1_path)
        synthesizer = Synthesizer(files, self.device)  # a candidate is heard once, not kept
        similarities, errors = [], []
        for item in self.held_out:
            result = synthesizer.speak(SynthesisRequest(
                text=item.text, reference=self.reference.path,
                reference_text=self.reference.text, lang=item.lang,
                reference_lang=self.reference.lang, seed=SCORING_SEED), cancel=self.cancel)
            embedding = self.embedder.embed(result.audio, result.sample_rate)
            similarities.append(float(np.dot(embedding, item.embedding)))
            errors.append(self._error_rate(result.audio, result.sample_rate, item))
        measured = [e for e in errors if e is not None]
        return CheckpointScore(float(np.mean(similarities)),
                               float(np.mean(measured)) if measured else None)

    def _error_rate(self, audio: np.ndarray, sample_rate: int, item: _HeldOut
                    ) -> float | None:
        from voicestudio.services.dataset import load_transcriber

        if self.recogniser_missing:
            return None
        try:
            recogniser = load_transcriber(self.data_dir, item.lang)
        except MissingModelError:
            self.recogniser_missing = True
            return None
        heard = recogniser.transcribe(audio, sample_rate, item.lang)
        return error_rate(item.text, heard.text, item.lang)
