"""Zero-shot (or trained-voice) synthesis: reference clip + its transcript + text -> 32 kHz audio.

The GPT-SoVITS v2 inference path (facts 1.6), step by step:

1. reference -> HuBERT (16 kHz, 0.6 s of zeros appended) -> S2 ``extract_latent`` -> prompt
   semantic tokens; reference -> 32 kHz linear spectrogram -> S2 style embedding;
2. the transcript and every target sentence -> phones + BERT features (text frontend);
3. S1 continues the prompt tokens for ``prompt phones + sentence phones`` with the BERT
   features concatenated the same way, sentences of similar length decoded in one batch;
4. S2 decodes each sentence's new tokens with that sentence's phones only and the reference
   spectrogram; sentences are joined with pauses (``joining``).

A sentence whose token count does not fit its phone count (S1 skipped words, looped, or never
ended) is decoded again with another seed, and reported if no attempt fits. With a seed, the
same request gives the same samples.

Models are loaded once per ``Synthesizer`` and kept warm; ``get_synthesizer`` keeps one per
set of model files for the whole process, so the app's "try a voice" panel, the narration
renderer and the CLI share them.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from voicestudio.audio.encode import check_output_path, write_audio
from voicestudio.audio.resample import resample
from voicestudio.audio.wav import write_wav
from voicestudio.errors import MissingModelError, UserInputError
from voicestudio.hub.families import chosen_family, get_family
from voicestudio.hub.status import model_state, require, require_file
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.models.devices import resolve_device
from voicestudio.models.s1 import (
    DecodeResult,
    LoadedS1,
    SamplingParams,
    decode,
    load_s1_checkpoint,
)
from voicestudio.models.s1.continuous import decode_continuous
from voicestudio.models.s1.packed import inference_format
from voicestudio.models.s2 import LoadedS2, load_s2_checkpoint
from voicestudio.models.s2.precision import set_vocoder_precision
from voicestudio.models.s2.weight_norm import fold_weight_norm_in_place
from voicestudio.models.spectrogram import SpectrogramConfig, linear_spectrogram
from voicestudio.models.ssl import SSLFeatureExtractor, load_ssl_extractor
from voicestudio.models.sv import SV_SAMPLE_RATE, SpeakerVerifier, load_sv_model
from voicestudio.project.voice import ModelVersion, Voice
from voicestudio.synthesis.batching import DEFAULT_BATCH_SIZE
from voicestudio.synthesis.joining import Pauses, join_fragments
from voicestudio.synthesis.reference import SPEC_RATE, PreparedReference, load_reference
from voicestudio.text.bert_features import BertFeatureExtractor, load_bert_extractor
from voicestudio.text.frontend import MODES, PhonesAndBert, TextFrontend, get_phones_and_bert
from voicestudio.text.language_check import wrong_language_message
from voicestudio.text.synthesis_text import SynthesisPiece, close_sentence, pieces_for_synthesis

log = logging.getLogger(__name__)

SAMPLE_RATE = SPEC_RATE  # v2 output: 32 kHz
SPEED_RANGE = (0.6, 1.65)  # upstream's speed-factor slider; beyond it speech smears or rushes
# What a finished sentence's length may be, in 25 Hz tokens per phone of the sentence: speech
# runs at roughly 2-3 tokens per phone; under 0.4 means words were skipped, over 8 (plus one
# second of slack for pauses) that S1 looped or babbled.
MIN_TOKENS_PER_PHONE = 0.4
MAX_TOKENS_PER_PHONE = 8.0
SLACK_TOKENS = 25
_SEED_SPACE = 2**62
SV_MODEL = "sv"


@dataclass(frozen=True)
class ModelFiles:
    """The model files a synthesis needs: S1 and S2 (base or a trained voice's), the base
    HuBERT and BERT folders, and for v2Pro/v2ProPlus the speaker-verification model."""

    s1: Path
    s2: Path
    hubert: Path
    bert: Path
    sv: Path | None = None

    @classmethod
    def base(cls, data_dir: Path, family: str | None = None) -> ModelFiles:
        """The installed base models of ``family`` (None: the one chosen in Settings), real
        or the tiny set; MissingModelError says how to install them."""
        chosen = get_family(family) if family else chosen_family()
        data_dir = Path(data_dir)
        return cls(
            s1=require_file(data_dir, chosen.s1),
            s2=require_file(data_dir, chosen.s2g),
            hubert=require(data_dir, "hubert"),
            bert=require(data_dir, "bert"),
            sv=require_file(data_dir, chosen.sv) if chosen.sv else None,
        )

    @classmethod
    def for_voice(cls, data_dir: Path, voice: Voice, version: ModelVersion | None = None
                  ) -> ModelFiles:
        """A trained voice's S1/S2 (``version``, else its active one; paths in its manifest are
        relative to its folder) with the base HuBERT and BERT."""
        latest = version or voice.active_version()
        if latest is None:
            raise MissingModelError(
                f"“{voice.name}” has no trained model yet. Train it first, or speak zero-shot "
                "from a reference clip and its transcript instead."
            )
        s1, s2 = voice.folder / latest.s1_path, voice.folder / latest.s2_path
        for path, what in ((s1, "GPT (S1)"), (s2, "SoVITS (S2)")):
            if not path.is_file():
                raise MissingModelError(
                    f"The {what} model of “{voice.name}” ({latest.version_id}) is missing: "
                    f"{path}. Train the voice again or restore its folder from a backup."
                )
        data_dir = Path(data_dir)  # only the feature (and SV) models come from the base set
        sv_state = model_state(data_dir, SV_MODEL).state
        return cls(s1=s1, s2=s2, hubert=require(data_dir, "hubert"),
                   bert=require(data_dir, "bert"),
                   sv=require_file(data_dir, SV_MODEL)
                   if sv_state in ("installed", "tiny") else None)


@dataclass(frozen=True)
class SynthesisRequest:
    """What to say, in whose voice, and how. Defaults are upstream's inference defaults."""

    text: str
    reference: Path | str  # 3-10 s clip of the voice, any audio format
    reference_text: str = ""  # its exact transcript; "" = copy the sound of the voice only
    lang: str = "auto"  # zh (Chinese with English words), en, auto or all_zh
    reference_lang: str | None = None  # None = the same as ``lang``
    seed: int | None = None  # None = a new random seed (reported in the result)
    speed: float = 1.0
    sampling: SamplingParams = field(default_factory=SamplingParams)
    pauses: Pauses = field(default_factory=Pauses)
    batch_size: int = DEFAULT_BATCH_SIZE
    noise_scale: float = 0.5
    retries: int = 2  # extra attempts for a sentence whose length is implausible
    trim_long_reference: bool = True

    def validate(self) -> None:
        if not self.text.strip():
            raise UserInputError("There is no text to speak. Type a sentence first.")
        for mode in (self.lang, self.reference_lang or self.lang):
            if mode not in MODES:
                raise UserInputError(
                    f"Unknown language '{mode}'; choose one of: {', '.join(MODES)}."
                )
        if not SPEED_RANGE[0] <= self.speed <= SPEED_RANGE[1]:
            raise UserInputError(
                f"Speed {self.speed:g} is out of range; choose {SPEED_RANGE[0]:g} to "
                f"{SPEED_RANGE[1]:g} (1 = normal)."
            )
        if self.retries < 0 or self.batch_size < 1 or self.noise_scale < 0:
            raise UserInputError("Retries, batch size and noise scale cannot be negative.")
        self.sampling.validate()
        self.pauses.validate()


@dataclass(frozen=True)
class SentenceAudio:
    """One spoken sentence: where it is in the text and in the audio, and how it went."""

    text: str
    start_char: int  # request.text[start_char:end_char] == text
    end_char: int
    start_sample: int  # audio[start_sample:end_sample] is this sentence
    end_sample: int
    n_phones: int
    n_tokens: int  # semantic tokens S1 produced (S2 makes 1,280 samples of each at speed 1)
    seed: int  # S1 seed of the attempt used
    attempts: int
    problem: str = ""  # non-empty when no attempt had a plausible length


@dataclass(frozen=True)
class SentenceSpec:
    """One sentence as a narration renders it: what to read, its own seed, its speed."""

    text: str
    seed: int
    speed: float = 1.0


@dataclass
class RenderedSentence:
    """One sentence's raw S2 audio (not yet levelled or faded) and how the decode went."""

    audio: np.ndarray  # (N,) float32 at SAMPLE_RATE; empty when nothing could be read
    n_phones: int
    n_tokens: int
    seed: int  # S1 seed of the attempt used
    attempts: int
    problem: str  # non-empty: no attempt had a plausible length, or nothing to read


@dataclass
class SynthesisResult:
    audio: np.ndarray  # (N,) float32 mono
    sample_rate: int
    sentences: list[SentenceAudio]
    seed: int
    reference: PreparedReference
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.audio.size / self.sample_rate

    def write_wav(self, path: Path | str) -> Path:
        """Save as a 16-bit mono WAV, atomically."""
        return write_wav(path, self.audio, self.sample_rate)


@dataclass(frozen=True)
class VoicePrompt:
    """Everything taken from the reference, computed once per clip and transcript."""

    reference: PreparedReference
    prompt_tokens: torch.Tensor | None  # (P,) semantic tokens; None = no transcript, no prompt
    prompt_phones: torch.Tensor  # (Tp,) long, empty without a prompt
    prompt_bert: torch.Tensor  # (1024, Tp)
    refer_spec: torch.Tensor  # (1, 1025, Tr) on the model device
    sv: torch.Tensor | None = None  # (1, sv_dim) speaker-verification vector (v2Pro only)
    # S2's voice vectors from refer_spec (and sv): the reference encoder runs once per clip,
    # not once per sentence; None only for a prompt built without the S2 model
    voice: tuple[torch.Tensor, torch.Tensor] | None = None


@dataclass
class _Decoded:
    result: DecodeResult
    attempts: int
    problem: str


class Synthesizer:
    """S1, S2, HuBERT and BERT for one set of model files, loaded on first use, kept warm."""

    def __init__(self, files: ModelFiles, device: str = "auto",
                 vocoder_precision: str = "auto", s1_precision: str = "auto") -> None:
        self.files = files
        self.device = resolve_device(device).device
        # models/s1/packed.py. "auto": bf16 linears and key/value cache on a CPU with native
        # bf16 (a chapter's S1 about 1.5x as fast as in fp32), the exact fp32
        # function elsewhere; on a GPU the model itself runs in fp16 as upstream's does.
        self.s1_weights = inference_format(self.device, s1_precision)
        # models/s2/precision.py, set at load. "auto": bf16 on a CPU with native bf16, run in
        # windows of one length (models/s2/vocoder_windows.py): alternated with upstream at
        # idle, a 10 s sentence decoded in 0.85 s against upstream's 2.85 (our fp32: 2.7 s,
        # 3.6 before the rows layout), at the same peak memory. Its difference from the fp32
        # audio is 47 dB below the signal (full-size model), far less than between two
        # renderings (S2 samples fresh noise every time). Nobody has listened to it with
        # trained weights yet.
        self.vocoder_precision = vocoder_precision
        self._lock = threading.RLock()  # one job at a time uses the models
        self._s1: LoadedS1 | None = None
        self._s2: LoadedS2 | None = None
        self._ssl: SSLFeatureExtractor | None = None
        self._bert: BertFeatureExtractor | None = None
        self._sv: SpeakerVerifier | None = None
        self._prompts: dict[tuple, VoicePrompt] = {}
        _SYNTHESIZERS.add(self)

    @property
    def is_loaded(self) -> bool:
        return self._s1 is not None or self._s2 is not None

    def unload(self) -> None:
        """Let go of the models and the prepared reference (after the job using them ends);
        they load again on the next use. Whoever holds this synthesizer keeps a working one."""
        with self._lock:
            self._s1 = self._s2 = None
            self._ssl = self._bert = self._sv = None
            self._prompts = {}

    # Models ----------------------------------------------------------------------------
    def load(self, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> None:
        """Load every model now (the first ``speak`` does it otherwise)."""
        tracker = ProgressTracker(progress, cancel)
        with self._lock:
            self._load(tracker)

    def _load(self, tracker: ProgressTracker) -> None:
        if self._s1 is None:
            tracker.report(0.0, "Loading the GPT (S1) model")
            self._s1 = load_s1_checkpoint(self.files.s1, self.device)
        if self._s2 is None:
            tracker.report(0.25, "Loading the SoVITS (S2) model")
            self._s2 = load_s2_checkpoint(self.files.s2, self.device)
            fold_weight_norm_in_place(self._s2.generator)  # it only infers: one copy of each kernel
            set_vocoder_precision(self._s2.generator, self.vocoder_precision)
            if self._s2.config.sampling_rate != SAMPLE_RATE:
                raise UserInputError(
                    f"'{self.files.s2.name}' makes {self._s2.config.sampling_rate} Hz audio; "
                    "VoiceStudio speaks with GPT-SoVITS v2 models (32 kHz)."
                )
        if self._sv is None and self._s2.config.uses_sv:
            if self.files.sv is None:
                raise MissingModelError(
                    f"'{self.files.s2.name}' is a {self._s2.config.version} model, which needs "
                    "the speaker-verification model. Install the v2Pro base models on the Base "
                    "models page (or `voicestudio models download --family v2Pro`)."
                )
            tracker.report(0.4, "Loading the speaker-verification model")
            self._sv = load_sv_model(self.files.sv, self.device)
        if self._ssl is None:
            tracker.report(0.5, "Loading the HuBERT speech model")
            self._ssl = load_ssl_extractor(self.files.hubert, self.device)
        if self._bert is None:
            tracker.report(0.75, "Loading the BERT text model")
            self._bert = load_bert_extractor(self.files.bert, str(self.device))
        tracker.report(1.0, "Models ready")

    # The reference ---------------------------------------------------------------------
    def voice_prompt(
        self, reference: Path | str, reference_text: str = "", reference_lang: str = "auto",
        trim_long: bool = True,
    ) -> VoicePrompt:
        """Prepare a reference clip once; later calls with the same clip reuse the result."""
        path = Path(reference)
        stamp = path.stat().st_mtime_ns if path.is_file() else 0
        key = (str(path.resolve()), stamp, reference_text, reference_lang, trim_long)
        with self._lock:
            cached = self._prompts.get(key)
            if cached is not None:
                return cached
            self._load(ProgressTracker())
            prepared = load_reference(path, reference_text, trim_long)
            prompt = self._voice_prompt(prepared, reference_lang)
            self._prompts = {key: prompt}  # one clip at a time: a new one replaces the old
            return prompt

    @torch.inference_mode()
    def _voice_prompt(self, prepared: PreparedReference, lang: str) -> VoicePrompt:
        assert self._s2 is not None and self._ssl is not None
        generator, cfg = self._s2.generator, self._s2.config
        spec_cfg = SpectrogramConfig(
            sample_rate=cfg.sampling_rate, n_fft=cfg.filter_length,
            hop_length=cfg.hop_length, win_length=cfg.filter_length,
        )
        wav_32k = torch.from_numpy(prepared.wav_32k).to(self.device).unsqueeze(0)  # (1, N32)
        refer_spec = linear_spectrogram(wav_32k, spec_cfg)  # (1, 1025, Tr)
        phones = torch.zeros(0, dtype=torch.long)
        bert = torch.zeros(self._bert_dim, 0)
        tokens = None
        if prepared.text:
            ssl = self._ssl.features(prepared.hubert_input)  # (1, 768, T50)
            codes = generator.extract_latent(ssl.float())  # (1, 1, T25)
            tokens = codes[0, 0].long()  # (P,)
            text = close_sentence(prepared.text, lang)  # upstream closes an open transcript
            frontend = self._phones_and_bert(text, lang)
            phones = torch.tensor(frontend.phone_ids, dtype=torch.long)
            bert = frontend.bert.float()
        sv = None
        if self._sv is not None and cfg.uses_sv:  # upstream: the 32 kHz clip resampled to 16k
            wav_16k = resample(prepared.wav_32k, cfg.sampling_rate, SV_SAMPLE_RATE)
            sv = self._sv.embed_16k(torch.from_numpy(wav_16k).unsqueeze(0)).to(self.device)
        with self._s2_precision():
            voice = generator.voice(refer_spec, sv=sv)
        return VoicePrompt(prepared, tokens, phones, bert, refer_spec, sv, voice)

    def _s2_precision(self) -> contextlib.AbstractContextManager:
        """Upstream runs S2 in half precision on CUDA (the VQ and spectrogram stay fp32); the
        voice vectors are computed in the same context as the decode that uses them."""
        cuda = self.device.type == "cuda"
        return torch.autocast("cuda", dtype=torch.float16, enabled=cuda)

    @property
    def _bert_dim(self) -> int:
        assert self._s1 is not None
        return self._s1.config.bert_dim

    def _phones_and_bert(self, text: str, lang: str,
                         frontend: TextFrontend | None = None) -> PhonesAndBert:
        if frontend is None:
            return get_phones_and_bert(text, lang, self._bert)
        return frontend.phones_and_bert(text, lang, self._bert)

    # Speaking --------------------------------------------------------------------------
    def speak(
        self,
        request: SynthesisRequest,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        frontend: TextFrontend | None = None,
    ) -> SynthesisResult:
        """Synthesise ``request.text`` in the reference's voice (the job the app runs).
        ``frontend`` carries the voice's pronunciation lexicon (``voice_frontend``)."""
        request.validate()
        pieces = pieces_for_synthesis(request.text, request.lang)
        return self.speak_pieces(request, pieces, progress, cancel, frontend)

    def speak_pieces(
        self,
        request: SynthesisRequest,
        pieces: Sequence[SynthesisPiece],
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        frontend: TextFrontend | None = None,
    ) -> SynthesisResult:
        """Like ``speak`` but with the caller's own split of ``request.text`` (a narration
        editor keeps its sentence list and offsets): each piece's ``text`` is what is read,
        ``request.text[start:end]`` the words it stands for.
        """
        request.validate()
        for piece in pieces:
            if not 0 <= piece.start <= piece.end <= len(request.text):
                raise ValueError(f"piece {piece.text!r} lies outside the text")
        tracker = ProgressTracker(progress, cancel)
        with self._lock:
            prompt = self._request_prompt(request, tracker)
            return self._render(request, prompt, pieces, tracker.sub(0.1, 1.0), frontend)

    def _request_prompt(self, request: SynthesisRequest, tracker: ProgressTracker
                        ) -> VoicePrompt:
        """Models loaded and the request's reference prepared (the first tenth of a job)."""
        self._load(tracker.sub(0.0, 0.05))
        tracker.report(0.05, "Preparing the reference clip")
        return self.voice_prompt(
            request.reference, request.reference_text,
            request.reference_lang or request.lang, request.trim_long_reference,
        )

    def render_sentences(
        self,
        request: SynthesisRequest,
        sentences: Sequence[SentenceSpec],
        frontend: TextFrontend | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> list[RenderedSentence]:
        """Each sentence on its own seed and speed (``request`` gives the reference and the
        other settings; its ``text`` and ``seed`` are not used), in S1 batches.

        A sentence's audio depends only on its text, seed, speed and the settings, never on
        the other sentences in the call: the narration renderer caches sentences one by one
        and may re-render any of them alone. ``frontend`` carries a user lexicon. A sentence
        with nothing readable comes back without audio and with the reason in ``problem``.
        """
        request.validate()
        tracker = ProgressTracker(progress, cancel)
        with self._lock:
            prompt = self._request_prompt(request, tracker)
            return self._render_specs(request, prompt, sentences, frontend,
                                      tracker.sub(0.1, 1.0))

    def _render_specs(
        self,
        request: SynthesisRequest,
        prompt: VoicePrompt,
        sentences: Sequence[SentenceSpec],
        frontend: TextFrontend | None,
        tracker: ProgressTracker,
    ) -> list[RenderedSentence]:
        readable: list[tuple[int, PhonesAndBert]] = []
        results = [RenderedSentence(np.zeros(0, np.float32), 0, 0, spec.seed, 0, "")
                   for spec in sentences]
        for index, spec in enumerate(sentences):
            tracker.sub(0.0, 0.1).step(index, len(sentences), "Reading the text")
            try:
                readable.append((index, self._phones_and_bert(spec.text, request.lang,
                                                              frontend)))
            except UserInputError as exc:
                results[index].problem = str(exc)
        if not readable:
            return results
        decoded = self._decode_all(
            request, prompt, [text for _, text in readable],
            [sentences[index].seed for index, _ in readable], tracker.sub(0.1, 0.7),
        )
        s2_tracker = tracker.sub(0.7, 1.0)
        for done, ((index, text), item) in enumerate(zip(readable, decoded, strict=True)):
            s2_tracker.step(done, len(readable), f"Making audio for sentence {done + 1}")
            spec = sentences[index]
            audio = self._vocalize(request, prompt, text, item.result.tokens,
                                   _mix(spec.seed, 3), spec.speed)
            results[index] = RenderedSentence(
                audio, len(text.phone_ids), int(item.result.tokens.numel()),
                item.result.seed, item.attempts, item.problem,
            )
        tracker.report(1.0, "Done")
        return results

    def _render(
        self,
        request: SynthesisRequest,
        prompt: VoicePrompt,
        pieces: Sequence[SynthesisPiece],
        tracker: ProgressTracker,
        frontend: TextFrontend | None = None,
    ) -> SynthesisResult:
        seed = secrets.randbelow(_SEED_SPACE) if request.seed is None else int(request.seed)
        warnings = list(prompt.reference.warnings)
        specs = [SentenceSpec(piece.text, _mix(seed, 1, index), request.speed)
                 for index, piece in enumerate(pieces)]
        rendered = self._render_specs(request, prompt, specs, frontend, tracker)
        spoken = []
        for piece, item in zip(pieces, rendered, strict=True):
            if item.n_phones:
                spoken.append((piece, item))
            else:
                warnings.append(f"Skipped “{request.text[piece.start:piece.end]}”: "
                                f"{item.problem}")
        if not spoken:
            raise UserInputError(wrong_language_message(request.text, request.lang)
                                 or "There is nothing to speak in this text (no words found).")
        breaks = [
            "\n" in request.text[chunk.end:nxt.start]
            for (chunk, _), (nxt, _) in zip(spoken, [*spoken[1:], spoken[-1]], strict=True)
        ]
        joined = join_fragments([item.audio for _, item in spoken], SAMPLE_RATE, breaks,
                                request.pauses)
        sentences = []
        for (piece, item), (start, end) in zip(spoken, joined.spans, strict=True):
            words = request.text[piece.start:piece.end]
            sentences.append(SentenceAudio(
                words, piece.start, piece.end, start, end, item.n_phones, item.n_tokens,
                item.seed, item.attempts, item.problem,
            ))
            if item.problem:
                warnings.append(
                    f"Sentence {len(sentences)} (“{words}”) may be garbled: {item.problem} "
                    f"after {item.attempts} attempts. Generate it again or rephrase it."
                )
        return SynthesisResult(joined.audio, SAMPLE_RATE, sentences, seed, prompt.reference,
                               warnings, list(prompt.reference.notes))

    def _decode_all(
        self,
        request: SynthesisRequest,
        prompt: VoicePrompt,
        texts: Sequence[PhonesAndBert],
        seeds: Sequence[int],
        tracker: ProgressTracker,
    ) -> list[_Decoded]:
        """S1 for every sentence, continuously batched, then retries of implausible ones.

        Every sentence decodes on its own seed (its retries on seeds derived from it), so the
        batching changes how fast, never what comes out.
        """
        assert self._s1 is not None
        model = self._s1.model
        rows = [
            (torch.cat([prompt.prompt_phones, torch.tensor(t.phone_ids, dtype=torch.long)]),
             torch.cat([prompt.prompt_bert, t.bert.float()], dim=1))  # (Tp+T,), (1024, Tp+T)
            for t in texts
        ]
        results: list[_Decoded | None] = [None] * len(texts)
        tracker.step(0, len(texts), f"Writing speech tokens (0 of {len(texts)} sentences)")

        def finished(index: int, output: DecodeResult) -> None:
            problem = implausibility(output, len(texts[index].phone_ids))
            results[index] = _Decoded(output, 1, problem)
            done = sum(item is not None for item in results)
            tracker.step(done, len(texts), f"Writing speech tokens ({done} of {len(texts)} "
                                           "sentences)")

        # continuous batching: a finished sentence's row takes the next one at once
        decode_continuous(model, [row[0] for row in rows], [row[1] for row in rows],
                          prompt.prompt_tokens, request.sampling, seeds, request.batch_size,
                          tracker.cancel, self.s1_weights, on_result=finished)
        for index, item in enumerate(results):
            assert item is not None
            attempt = 1
            while item.problem and attempt <= request.retries:
                tracker.cancel.raise_if_cancelled()
                log.info("sentence %d: %s; retrying with another seed", index + 1, item.problem)
                output = decode(model, rows[index][0], rows[index][1], prompt.prompt_tokens,
                                request.sampling, _mix(seeds[index], 2, attempt),
                                tracker.cancel, self.s1_weights)
                attempt += 1
                problem = implausibility(output, len(texts[index].phone_ids))
                better = _badness(output, texts[index]) < _badness(item.result, texts[index])
                if not problem or better:
                    item = _Decoded(output, attempt, problem)
                else:
                    item = replace(item, attempts=attempt)
            results[index] = item
        return [item for item in results if item is not None]

    @torch.inference_mode()
    def _vocalize(
        self, request: SynthesisRequest, prompt: VoicePrompt, text: PhonesAndBert,
        tokens: torch.Tensor, seed: int, speed: float,
    ) -> np.ndarray:
        """S2: one sentence's tokens (N,) -> (N * 1280 / speed,) float32 samples."""
        assert self._s2 is not None
        generator = self._s2.generator
        codes = tokens.to(self.device).view(1, 1, -1)  # (n_q=1, B=1, N)
        phones = torch.tensor([text.phone_ids], dtype=torch.long, device=self.device)  # (1, T)
        cuda = self.device.type == "cuda"
        with torch.random.fork_rng(devices=[self.device] if cuda else []):
            torch.manual_seed(seed)  # the prior noise; same seed, same audio
            with self._s2_precision():
                audio = generator.decode(codes, phones, prompt.refer_spec,
                                         request.noise_scale, speed, sv=prompt.sv,
                                         voice=prompt.voice)
        return audio[0, 0].float().cpu().numpy()


def _plausible_tokens(n_phones: int) -> tuple[float, float]:
    """The (fewest, most) sound tokens a sentence of ``n_phones`` phones plausibly takes."""
    return MIN_TOKENS_PER_PHONE * n_phones, MAX_TOKENS_PER_PHONE * n_phones + SLACK_TOKENS


def implausibility(result: DecodeResult, n_phones: int) -> str:
    """Why a decoded sentence's length is implausible for its phone count ("" = plausible)."""
    n = int(result.tokens.numel())
    low, high = _plausible_tokens(n_phones)
    if not result.finished:
        return f"the model did not end the sentence ({n} sound tokens)"
    if n < low:
        return f"it came out too short ({n} sound tokens for {n_phones} phonemes)"
    if n > high:
        return f"it came out too long ({n} sound tokens for {n_phones} phonemes)"
    return ""


def _badness(result: DecodeResult, text: PhonesAndBert) -> float:
    """How far outside the plausible range a result is (0 inside); unfinished is worst."""
    if not result.finished:
        return float("inf")
    n, phones = result.tokens.numel(), len(text.phone_ids)
    low, high = _plausible_tokens(phones)
    return max(low - n, n - high, 0.0) / max(phones, 1)


def _mix(seed: int, *parts: int) -> int:
    """A seed for one stage/batch/sentence/attempt, derived from the request's seed."""
    value = seed
    for part in parts:
        value = (value * 6364136223846793005 + 1442695040888963407 + part) % _SEED_SPACE
    return value


# Every Synthesizer made in this process (weakly), so release_synthesizers reaches them all.
_SYNTHESIZERS: weakref.WeakSet[Synthesizer] = weakref.WeakSet()


@functools.lru_cache(maxsize=2)
def _cached_synthesizer(files: ModelFiles, device: str) -> Synthesizer:
    return Synthesizer(files, device)


def get_synthesizer(files: ModelFiles, device: str = "auto") -> Synthesizer:
    """The process-wide warm synthesizer for these model files and device."""
    return _cached_synthesizer(files, device)


def release_synthesizers() -> None:
    """Unload every warm synthesizer (before a training needs their memory): the Try panel's
    and the one a narration engine holds alike, so dropping the cache alone is not enough.
    The objects stay, empty; the next speak loads its models again, into the same one."""
    import gc

    for synthesizer in list(_SYNTHESIZERS):
        synthesizer.unload()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def speak_to_file(
    files: ModelFiles,
    request: SynthesisRequest,
    output: Path | str,
    device: str = "auto",
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    frontend: TextFrontend | None = None,
) -> SynthesisResult:
    """Synthesise and save 32 kHz mono audio atomically, in the format ``output``'s extension
    names (WAV, FLAC, MP3, OGG); the CLI's and a simple job's entry."""
    check_output_path(output)  # refused before minutes of synthesis, not after
    result = get_synthesizer(files, device).speak(request, progress, cancel, frontend)
    write_audio(output, result.audio, result.sample_rate)
    return result


def voice_frontend(voice_folder: Path) -> TextFrontend | None:
    """The text frontend with the voice's pronunciation lexicon (what ``phonemes --lexicon``
    and ``dataset build`` read with), or None when it has no entries. Built once per job:
    it loads both G2P engines."""
    from voicestudio.text.lexicon import load_lexicon

    lexicon = load_lexicon(Path(voice_folder))
    return TextFrontend(lexicon) if len(lexicon) else None
