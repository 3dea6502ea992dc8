"""Training examples and batches for both stages, read from a voice's feature store.

What each stage sees, per kept segment:
* S2: HuBERT features, the 32 kHz waveform and its linear spectrogram, the phone ids;
* S1: phone ids, BERT features and the semantic tokens.

The filters are upstream's (S2: clips of 0.6-54 s; S1: at most 54 s of tokens, 3-25 phones per
second), plus one of ours: S2 needs a clip of at least one training slice (0.64 s). Each
stage checks that something is left and says which earlier step to redo, because upstream's
famous failure mode is a ZeroDivisionError three scripts after the real problem.

An epoch is upstream's too: the list is repeated to at least 100 items, so "8 epochs" means
the same amount of training for one minute of speech as it does upstream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.models.spectrogram import SpectrogramConfig, linear_spectrogram
from voicestudio.training.feature_store import FeatureStore, SegmentFeatures

MIN_EPOCH_ITEMS = 100  # upstream repeats a small list until an epoch has this many items
S2_MIN_SECONDS, S2_MAX_SECONDS = 0.6, 54.0
S1_MAX_SECONDS = 54
SEMANTIC_HZ = 25
S1_MIN_PHONES_PER_SECOND, S1_MAX_PHONES_PER_SECOND = 3, 25

REBUILD_HINT = "Prepare the dataset again on the Train page (or `voicestudio dataset build VOICE`)."


class TrainingDataError(UserInputError):
    """The dataset a stage needs is missing or empty; the message says which step to redo."""


# ----------------------------------------------------------------------------- reading


def load_segment_features(voice_folder: Path) -> list[SegmentFeatures]:
    """Every segment's features; an empty store is the error a person must see first."""
    store = FeatureStore(voice_folder)
    ids = store.segment_ids()
    if not ids:
        raise TrainingDataError(
            "This voice has no prepared training data yet. Record or import some speech, "
            "check the transcripts, then prepare the dataset (Train page, or "
            "`voicestudio dataset build VOICE`)."
        )
    return [store.load(segment_id) for segment_id in ids]


@dataclass
class S2Example:
    segment_id: str
    ssl: torch.Tensor  # (768, T) float32, 50 Hz, aligned to the spectrogram frames
    spec: torch.Tensor  # (n_freq, T) linear magnitude
    wav: torch.Tensor  # (T * hop,) float32 at 32 kHz
    phones: torch.Tensor  # (n,) int64
    sv: torch.Tensor | None = None  # (sv_dim,) speaker-verification vector (v2Pro families)

    @property
    def frames(self) -> int:
        return self.spec.shape[1]


@dataclass
class S1Example:
    segment_id: str
    phones: torch.Tensor  # (n,) int64
    bert: torch.Tensor  # (1024, n) float32
    semantic: torch.Tensor  # (T25,) int64


def read_wav_32k(path: Path, sample_rate: int) -> np.ndarray:
    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=True)
    except FileNotFoundError as exc:
        raise TrainingDataError(
            f"The training clip {path.name} is missing. {REBUILD_HINT}"
        ) from exc
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise CorruptFileError(f"The training clip {path.name} cannot be read. {REBUILD_HINT}") \
            from exc
    if sr != sample_rate:
        raise TrainingDataError(
            f"The training clip {path.name} is at {sr} Hz where {sample_rate} Hz is needed. "
            + REBUILD_HINT
        )
    return audio.mean(axis=1)


def s2_examples(
    voice_folder: Path, features: Sequence[SegmentFeatures], spec_cfg: SpectrogramConfig,
    segment_frames: int,
) -> list[S2Example]:
    """S2 examples of the usable segments (loaded into memory: one minute is ~15 MB)."""
    examples, too_short = [], 0
    for feat in features:
        wav = read_wav_32k(Path(voice_folder) / feat.audio_path, spec_cfg.sample_rate)
        seconds = len(wav) / spec_cfg.sample_rate
        frames = len(wav) // spec_cfg.hop_length
        if not S2_MIN_SECONDS < seconds < S2_MAX_SECONDS or frames < segment_frames:
            too_short += seconds <= S2_MAX_SECONDS
            continue
        wav_t = torch.from_numpy(wav[: frames * spec_cfg.hop_length].copy())
        spec = linear_spectrogram(wav_t, spec_cfg)  # (n_freq, frames)
        ssl = torch.from_numpy(feat.ssl.astype(np.float32))
        ssl = _fit_frames(ssl, frames)
        sv = None if feat.sv is None else torch.from_numpy(feat.sv.astype(np.float32))
        examples.append(S2Example(
            feat.segment_id, ssl, spec, wav_t, torch.from_numpy(feat.phone_ids).long(), sv
        ))
    if not examples:
        raise TrainingDataError(
            f"None of the {len(features)} prepared clips can train the voice model: clips must "
            f"last between {S2_MIN_SECONDS} and {S2_MAX_SECONDS:.0f} seconds "
            f"({too_short} are too short). Add longer recordings or merge short segments, then "
            "prepare the dataset again."
        )
    return examples


def _fit_frames(ssl: torch.Tensor, frames: int) -> torch.Tensor:
    """HuBERT at 16 kHz and the spectrogram at 32 kHz can differ by a frame or two at the end;
    repeat or drop the last frames (upstream repeats one frame)."""
    if ssl.shape[1] >= frames:
        return ssl[:, :frames].contiguous()
    return F.pad(ssl.unsqueeze(0), (0, frames - ssl.shape[1]), mode="replicate").squeeze(0)


def s1_examples(features: Sequence[SegmentFeatures]) -> list[S1Example]:
    examples = []
    for feat in features:
        n_phones, n_tokens = len(feat.phone_ids), len(feat.semantic)
        if n_tokens == 0 or n_phones == 0:
            continue
        if n_tokens > S1_MAX_SECONDS * SEMANTIC_HZ or n_phones > S1_MAX_SECONDS * SEMANTIC_HZ / 2.5:
            continue
        rate = n_phones / (n_tokens / SEMANTIC_HZ)
        if not S1_MIN_PHONES_PER_SECOND <= rate <= S1_MAX_PHONES_PER_SECOND:
            continue
        examples.append(
            S1Example(
                feat.segment_id,
                torch.from_numpy(feat.phone_ids).long(),
                torch.from_numpy(feat.bert.astype(np.float32)),
                torch.from_numpy(feat.semantic).long(),
            )
        )
    if not examples:
        raise TrainingDataError(
            f"None of the {len(features)} prepared clips can train the text model: each needs "
            f"a transcript that matches its audio ({S1_MIN_PHONES_PER_SECOND}-"
            f"{S1_MAX_PHONES_PER_SECOND} sounds per second). Check the transcripts, then "
            "prepare the dataset again."
        )
    return examples


# ----------------------------------------------------------------------------- epochs


def epoch_copies(n_examples: int) -> int:
    """How many times the example list is repeated in one epoch (upstream: >= 2, and enough
    to reach MIN_EPOCH_ITEMS)."""
    return 1 if n_examples >= MIN_EPOCH_ITEMS else max(2, MIN_EPOCH_ITEMS // n_examples)


def epoch_order(n_examples: int, epoch: int, seed: int) -> list[int]:
    """Example indices of one epoch: the list repeated to >= MIN_EPOCH_ITEMS, shuffled.

    Derived from (seed, epoch) alone, never from the global generator, so a resumed run
    rebuilds exactly the order the interrupted one was following.
    """
    if n_examples <= 0:
        raise TrainingDataError("There is nothing to train on. " + REBUILD_HINT)
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    items = torch.arange(n_examples).repeat(epoch_copies(n_examples))
    return items[torch.randperm(len(items), generator=generator)].tolist()


# ----------------------------------------------------------------------------- batches


@dataclass
class S2Batch:
    ssl: torch.Tensor  # (B, 768, T)
    spec: torch.Tensor  # (B, n_freq, T)
    spec_lengths: torch.Tensor  # (B,)
    wav: torch.Tensor  # (B, 1, T * hop)
    text: torch.Tensor  # (B, Tt) right padded with 0
    text_lengths: torch.Tensor  # (B,)
    sv: torch.Tensor | None = None  # (B, sv_dim) for v2Pro/v2ProPlus, else None

    def to(self, device: torch.device) -> S2Batch:
        return S2Batch(*(None if t is None else t.to(device, non_blocking=True)
                         for t in vars(self).values()))


def collate_s2(examples: Sequence[S2Example], hop_length: int) -> S2Batch:
    """Zero-pad to a common even width (the 25 Hz codes need an even 50 Hz frame count);
    like upstream, the width is always at least one frame more than the longest clip."""
    width = 2 * (max(e.frames for e in examples) // 2 + 1)
    n_text = max(len(e.phones) for e in examples)
    batch = len(examples)
    ssl = torch.zeros(batch, examples[0].ssl.shape[0], width)
    spec = torch.zeros(batch, examples[0].spec.shape[0], width)
    wav = torch.zeros(batch, 1, width * hop_length)
    text = torch.zeros(batch, n_text, dtype=torch.long)
    for i, e in enumerate(examples):
        ssl[i, :, : e.frames] = e.ssl
        spec[i, :, : e.frames] = e.spec
        wav[i, 0, : len(e.wav)] = e.wav
        text[i, : len(e.phones)] = e.phones
    spec_lengths = torch.tensor([e.frames for e in examples])
    text_lengths = torch.tensor([len(e.phones) for e in examples])
    with_sv = [e.sv for e in examples if e.sv is not None]
    if with_sv and len(with_sv) != batch:
        raise TrainingDataError(f"Some clips lack their voice fingerprint. {REBUILD_HINT}")
    sv = torch.stack(with_sv) if with_sv else None
    return S2Batch(ssl, spec, spec_lengths, wav, text, text_lengths, sv)


@dataclass
class S1Batch:
    phone_ids: torch.Tensor  # (B, Tx) LEFT padded with 0
    phone_lens: torch.Tensor
    semantic_ids: torch.Tensor  # (B, Ty) right padded with EOS
    semantic_lens: torch.Tensor
    bert: torch.Tensor  # (B, 1024, Tx) left padded with 0

    def to(self, device: torch.device) -> S1Batch:
        return S1Batch(*(t.to(device, non_blocking=True) for t in vars(self).values()))


def collate_s1(examples: Sequence[S1Example], eos: int) -> S1Batch:
    """Phones are padded on the LEFT, to match the left-padding mask of the S1 forward.

    Upstream's collate pads phones on the right while its forward masks the left, so in a
    batch of unequal sentences the shorter ones lose their first phones to the mask and attend
    to padding instead; left padding gives the mask the layout it was written for.
    """
    n_text = max(len(e.phones) for e in examples)
    n_audio = max(len(e.semantic) for e in examples)
    batch = len(examples)
    phones = torch.zeros(batch, n_text, dtype=torch.long)
    bert = torch.zeros(batch, examples[0].bert.shape[0], n_text)
    semantic = torch.full((batch, n_audio), eos, dtype=torch.long)
    for i, e in enumerate(examples):
        n = len(e.phones)
        phones[i, n_text - n :] = e.phones
        bert[i, :, n_text - n :] = e.bert
        semantic[i, : len(e.semantic)] = e.semantic
    return S1Batch(
        phones,
        torch.tensor([len(e.phones) for e in examples]),
        semantic,
        torch.tensor([len(e.semantic) for e in examples]),
        bert,
    )
