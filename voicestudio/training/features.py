"""Training features of a voice's kept segments: GPT-SoVITS's "1A" preparation, cached.

For every kept segment this computes what upstream's three preparation scripts write:

* ``1-get-text``: phones of the segment's text in its language (no inference-time language
  splitting or short-text retry), and per-phone BERT features for Mandarin (zeros otherwise);
* ``2-get-hubert-wav32k``: the loudness-mixed int16 32 kHz training copy, and HuBERT
  features of the mixed 16 kHz copy (amplitude about ±1145, as the pretrained S2 expects);
* ``3-get-semantic``: semantic codes from the base S2 generator's ``extract_latent``.

Results go to the FeatureStore with a fingerprint of everything they depend on (the segment's
audio bytes, text, language, the base models' file hashes, the user lexicon and this recipe's
version), so a rebuild recomputes only segments that changed: HuBERT and BERT are the slow
part, and a person fixing one transcript should not wait for the whole dataset.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from voicestudio.audio.resample import resample
from voicestudio.audio.training_mix import TRAINING_SAMPLE_RATE, training_copies
from voicestudio.audio.wav import write_wav
from voicestudio.errors import DiskFullError, JobCancelled, UserInputError, VoiceStudioError
from voicestudio.hub.families import get_family
from voicestudio.hub.marker import read_marker
from voicestudio.hub.status import require, require_file
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.project.disk import disk_full_error
from voicestudio.project.segments import Dataset, SegmentRecord
from voicestudio.text.frontend import BERT_DIM, TextFrontend
from voicestudio.text.lexicon import load_lexicon
from voicestudio.text.wording import count
from voicestudio.training.feature_store import FeatureStore, SegmentFeatures, fingerprint

log = logging.getLogger(__name__)

# Bump when the extraction itself changes, so every cached feature is recomputed.
FEATURE_RECIPE = "gptsovits-v2-1A/1"
SSL_MODEL, BERT_MODEL = "hubert", "bert"


def model_identity(data_dir: Path, spec_id: str) -> str:
    """``id:sha256…`` of an installed base model's files, from its ``model.json``.

    Reading the recorded hashes is instant; a model replaced by another (a download after
    the tiny set, say) has other hashes, so features made with the old one are recomputed.
    """
    folder = require(data_dir, spec_id)
    files = sorted((f.name, f.sha256) for f in read_marker(folder).files)
    return f"{spec_id}:" + ",".join(f"{name}={digest}" for name, digest in files)


def lexicon_identity(voice_folder: Path) -> str:
    """A hash of the voice's pronunciation fixes: changing one can change any segment's phones."""
    entries = load_lexicon(voice_folder).entries
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class FeatureModels:
    """The base models feature extraction needs, loaded on first use.

    A rebuild where nothing changed therefore loads nothing; BERT is only loaded when a
    Mandarin segment needs it (English phones get zeros upstream too).
    """

    data_dir: Path
    device: str = "cpu"
    identities: dict[str, str] = field(default_factory=dict)
    family: str = "v2"  # model family: its base S2 makes the codes, v2Pro adds SV vectors

    @property
    def s2_model(self) -> str:
        return get_family(self.family).s2g

    @property
    def sv_model(self) -> str | None:
        return get_family(self.family).sv

    def identity(self, lang: str) -> str:
        needed = [SSL_MODEL, self.s2_model] + ([BERT_MODEL] if lang == "zh" else [])
        needed += [self.sv_model] if self.sv_model else []
        for spec_id in needed:
            if spec_id not in self.identities:
                self.identities[spec_id] = model_identity(self.data_dir, spec_id)
        return "|".join(self.identities[s] for s in needed)

    @cached_property
    def ssl(self):
        from voicestudio.models.ssl import load_ssl_extractor

        return load_ssl_extractor(require(self.data_dir, SSL_MODEL), self.device)

    @cached_property
    def generator(self):
        from voicestudio.models.s2 import load_s2_checkpoint

        path = require_file(self.data_dir, self.s2_model)
        return load_s2_checkpoint(path, self.device).generator

    @cached_property
    def verifier(self):
        from voicestudio.models.sv import load_sv_model

        assert self.sv_model is not None
        return load_sv_model(require_file(self.data_dir, self.sv_model), self.device)

    def sv_vector(self, wav32k: np.ndarray) -> np.ndarray | None:
        """Upstream 2-get-sv: the int16 32 kHz training copy, as float, resampled to 16 kHz,
        through the speaker-verification model; None for v2 (no SV input)."""
        if self.sv_model is None:
            return None
        from voicestudio.models.sv import SV_SAMPLE_RATE

        wav16k = resample(wav32k.astype(np.float32) / 32768.0, TRAINING_SAMPLE_RATE,
                          SV_SAMPLE_RATE)
        return self.verifier.embed_16k(torch.from_numpy(wav16k).unsqueeze(0))[0].cpu().numpy()

    @cached_property
    def bert(self):
        from voicestudio.text.bert_features import load_bert_extractor

        return load_bert_extractor(require(self.data_dir, BERT_MODEL), self.device)


def training_audio_path(segment_id: str) -> str:
    """Where the loudness-mixed training copy lives, relative to the voice folder."""
    return f"segments/features/{segment_id}.wav"


def segment_fingerprint(segment: SegmentRecord, models: FeatureModels, lexicon: str) -> str:
    return fingerprint(
        FEATURE_RECIPE, segment.audio_sha256, segment.text, segment.lang,
        models.identity(segment.lang), lexicon,
    )


def extract_segment_features(
    voice_folder: Path,
    segment: SegmentRecord,
    models: FeatureModels,
    frontend: TextFrontend,
    segment_fingerprint: str,
) -> SegmentFeatures:
    """Compute one segment's features; UserInputError when the segment cannot be used."""
    samples, rate = sf.read(Path(voice_folder) / segment.audio_path, dtype="float32")
    if samples.ndim != 1:
        samples = samples.mean(axis=1)
    samples = resample(samples, rate, TRAINING_SAMPLE_RATE)

    # 1-get-text: the whole text in the segment's language, as upstream's clean_text.
    cleaned = frontend.clean(segment.text, segment.lang)
    if not cleaned.phone_ids:
        raise UserInputError(f"Segment {segment.id} has no readable text; fix its transcript.")
    n_phones = len(cleaned.phone_ids)
    if segment.lang == "zh" and cleaned.word2ph:
        bert = models.bert.phone_features(cleaned.norm_text, cleaned.word2ph)
        bert = bert.float().cpu().numpy()
        if bert.shape != (BERT_DIM, n_phones):
            raise UserInputError(
                f"Segment {segment.id}: the BERT features do not line up with its phones; "
                "check the text for unusual characters."
            )
    else:
        bert = np.zeros((BERT_DIM, n_phones), np.float32)

    # 2-get-hubert-wav32k: the two loudness-mixed copies, HuBERT on the 16 kHz one.
    copies = training_copies(samples)
    ssl = models.ssl.features(copies.hubert16k)  # (1, 768, T50)
    if not torch.isfinite(ssl).all():
        raise UserInputError(
            f"Segment {segment.id} gave unusable speech features; it was left out."
        )
    # 3-get-semantic: the base generator's quantizer; codes (1, 1, T25).
    with torch.inference_mode():
        codes = models.generator.extract_latent(ssl.to(next(models.generator.parameters()).device))
    if codes.shape[-1] == 0:
        raise UserInputError(f"Segment {segment.id} is too short to train on; it was left out.")
    audio_path = training_audio_path(segment.id)
    write_wav(Path(voice_folder) / audio_path, copies.wav32k, TRAINING_SAMPLE_RATE)
    return SegmentFeatures(
        segment_id=segment.id,
        text=segment.text,
        lang=segment.lang,
        audio_path=audio_path,
        phone_ids=np.asarray(cleaned.phone_ids, np.int64),
        bert=bert.astype(np.float16),
        ssl=ssl[0].float().cpu().numpy().astype(np.float16),
        semantic=codes[0, 0].cpu().numpy().astype(np.int64),
        fingerprint=segment_fingerprint,
        sv=models.sv_vector(copies.wav32k),
    )


@dataclass
class BuildReport:
    computed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (segment id, message)


Extractor = Callable[[Path, SegmentRecord, FeatureModels, TextFrontend, str], SegmentFeatures]


def build_features(
    dataset: Dataset,
    models: FeatureModels,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    extractor: Extractor = extract_segment_features,
) -> BuildReport:
    """Bring the feature store in line with the kept segments.

    Features of segments that were removed or un-kept are deleted first (trainers read every
    stored segment); then each kept segment whose fingerprint changed is recomputed. Each
    segment's features are saved atomically before the next starts and cancel is honoured
    between segments, so a stopped build keeps all it finished and the next run continues.
    """
    tracker = ProgressTracker(progress, cancel)
    store = FeatureStore(dataset.folder)
    report = BuildReport()
    kept = dataset.kept_segments()
    kept_ids = {s.id for s in kept}
    for stale in store.segment_ids():
        if stale not in kept_ids:
            store.remove(stale)
            (dataset.folder / training_audio_path(stale)).unlink(missing_ok=True)
            report.removed.append(stale)

    tracker.report(0.0, "Checking which segments changed")
    lexicon = lexicon_identity(dataset.folder)
    todo: list[tuple[SegmentRecord, str]] = []
    for segment in kept:
        expected = segment_fingerprint(segment, models, lexicon)
        if store.stored_fingerprint(segment.id) == expected:
            report.unchanged.append(segment.id)
        else:
            todo.append((segment, expected))

    frontend: TextFrontend | None = None
    for done, (segment, expected) in enumerate(todo):
        tracker.step(done, len(todo), f"Features of segment {done + 1} of {len(todo)}")
        if frontend is None:  # loading the English G2P takes seconds: only when needed
            frontend = TextFrontend(load_lexicon(dataset.folder))
        try:
            features = extractor(dataset.folder, segment, models, frontend, expected)
        except JobCancelled:
            raise
        except DiskFullError as exc:
            # Every later segment would fail the same way; what is stored stays as it was.
            kept = (f"the {count(len(report.computed), 'segment')} built before "
                    f"{'is' if len(report.computed) == 1 else 'are'} kept"
                    if report.computed else "nothing was changed")
            raise disk_full_error(dataset.folder, outcome=(
                f"Features stopped at segment {done + 1} of {len(todo)}: {kept}, and the "
                "build continues from there when it runs again.")) from exc
        except VoiceStudioError as exc:
            # A bad segment must not cost the rest: it is reported and its old features go.
            store.remove(segment.id)
            (dataset.folder / training_audio_path(segment.id)).unlink(missing_ok=True)
            report.failed.append((segment.id, str(exc)))
            log.warning("features of segment %s not built: %s", segment.id, exc)
            continue
        store.save(features)
        report.computed.append(segment.id)
    tracker.step(1, 1, f"Features ready: {len(report.computed)} computed, "
                 f"{len(report.unchanged)} unchanged")
    return report
