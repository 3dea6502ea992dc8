"""Dataset use cases: add recordings to a voice, list its segments, build training features.

``add_recordings`` runs import → slice → transcribe → check for each file and saves the
segment index after every file, so a cancel (or a crash) between files loses nothing that was
finished, and running the same command again skips the files already added (recognised by
their content hash, whatever they are called). The speaker check runs over all segments of
the voice at the end, because "the majority voice" is the person being cloned wherever their
clips came from.

``build_dataset`` computes the training features of the kept segments, recomputing only
what changed (see ``training.features``). ``dataset_stats`` is what ``dataset list`` and the
app's dataset page show: counts, speech time, flags and phoneme coverage.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from voicestudio.audio.fingerprint import loudness_contour
from voicestudio.audio.quality import (
    TRANSCRIPT_FLAGS,
    QualityFlag,
    is_garbled_transcript,
    narrowband_warning,
)
from voicestudio.audio.speakers import SpeakerCheckUnavailable
from voicestudio.errors import (
    CorruptFileError,
    DiskFullError,
    JobCancelled,
    MissingModelError,
    UserInputError,
    VoiceStudioError,
)
from voicestudio.hub.families import voice_family
from voicestudio.hub.status import installed_summary, require
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.project.checksums import sha256_file
from voicestudio.project.disk import disk_full_error
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.locks import VoiceInUseError
from voicestudio.project.segments import (
    SEGMENT_SAMPLE_RATE,
    Dataset,
    SegmentRecord,
    TakeRecord,
    WordTiming,
    quality_flags,
)
from voicestudio.project.voice import SUPPORTED_LANGUAGES, Voice, now_iso
from voicestudio.services.heavy_jobs import HEAVY_JOBS
from voicestudio.services.recording_import import collect_media_files
from voicestudio.text.wording import count
from voicestudio.text.zh_normalize import to_simplified
from voicestudio.training.features import BuildReport, FeatureModels, build_features

if TYPE_CHECKING:
    from voicestudio.audio.transcribe import Transcript

log = logging.getLogger(__name__)

ASR_HOW_TO_INSTALL = (
    "Open VoiceStudio → Base models and press Download (it brings one), or run "
    "`voicestudio models download whisper-base` (or import a faster-whisper folder with "
    "`voicestudio models import-asr DIR --name NAME`)."
)
ASR_MISSING_MESSAGE = (
    "No speech-recognition model is installed, so the recordings cannot be transcribed. "
    + ASR_HOW_TO_INSTALL
)
# Whisper sizes from least to most accurate; an imported model of another name sits between.
_SIZES = ("tiny", "base", "small", "medium", "large")
_STAGES_FILES = 0.9  # share of the add job spent on the files; the speaker check gets the rest


# ------------------------------------------------------------------------------------------
# Speech recognition model


class SpeechRecognizer(Protocol):
    """What the add job needs from a speech recogniser (``audio.transcribe.Transcriber``)."""

    def transcribe(
        self, samples: np.ndarray, sample_rate: int, language: str | None = None
    ) -> Transcript: ...


def _size_rank(spec_id: str) -> float:
    name = spec_id.removeprefix("whisper-")
    return next((float(i) for i, size in enumerate(_SIZES) if name.startswith(size)), 1.5)


def choose_asr_model(data_dir: Path, language: str | None) -> str:
    """The installed Whisper model to transcribe ``language`` with (None: detect language).

    The wanted size is what ``choose_whisper_model`` picks for this machine; among installed
    models the one closest to it wins (ties go to the larger). English-only models serve only
    English.
    """
    from voicestudio.audio.transcribe import choose_whisper_model

    everything = list(installed_summary(Path(data_dir)).asr)
    installed = everything if language == "en" else [m for m in everything
                                                     if not m.endswith(".en")]
    if not installed and everything:
        heard = {"zh": "Chinese", None: "more than one language"}.get(language, language)
        raise MissingModelError(
            f"The installed speech-recognition model ({', '.join(everything)}) understands "
            f"English only, and this recording is {heard}. Install one that knows more "
            f"languages. {ASR_HOW_TO_INSTALL}")
    if not installed:
        raise MissingModelError(ASR_MISSING_MESSAGE)
    wanted = f"whisper-{choose_whisper_model(language)}"
    if wanted in installed:
        return wanted
    target = _size_rank(wanted)

    def preference(spec_id: str) -> tuple[float, float, bool]:
        english_only = spec_id.endswith(".en")
        return (abs(_size_rank(spec_id) - target), -_size_rank(spec_id), not english_only)

    return min(installed, key=preference)


@lru_cache(maxsize=1)
def _load_transcriber(folder: str) -> SpeechRecognizer:
    from voicestudio.audio.transcribe import Transcriber

    return Transcriber(Path(folder))


def load_transcriber(data_dir: Path, language: str | None) -> SpeechRecognizer:
    """The Transcriber for ``language``, kept warm between jobs (loading takes seconds)."""
    spec_id = choose_asr_model(data_dir, language)
    return _load_transcriber(str(require(Path(data_dir), spec_id).resolve()))


# ------------------------------------------------------------------------------------------
# Adding recordings


@dataclass
class AddReport:
    added: list[tuple[Path, int]] = field(default_factory=list)  # (file, segments made)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, message)
    already_added: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # checks that could not run

    @property
    def segments(self) -> int:
        return sum(n for _, n in self.added)


def open_dataset(data_dir: Path, voice_name: str) -> Dataset:
    """The dataset of a voice; CorruptFileError (nothing written) if its index is damaged."""
    voice = VoiceLibrary(Path(data_dir)).find(voice_name)
    return Dataset.open(voice)


def _recognition_language(voice: Voice, language: str | None) -> str | None:
    if language in (None, "auto"):
        langs = voice.manifest.languages
        return langs[0] if len(langs) == 1 else None
    if language not in SUPPORTED_LANGUAGES:
        raise UserInputError(f"Unsupported language {language}; choose zh, en or auto.")
    return language


def _add_one(
    dataset: Dataset,
    path: Path,
    sha256: str,
    transcriber: SpeechRecognizer,
    language: str | None,
    tracker: ProgressTracker,
    cleaning: str = "",
) -> int:
    """Import, (clean,) slice, transcribe and check one file; returns its segment count.

    Files are written first and the index last; if anything stops this file (cancel, an
    error) the files written for it are removed, so the folder matches the index.
    """
    from voicestudio.audio.importer import import_file
    from voicestudio.audio.slicer import SpeechSlicer
    from voicestudio.audio.voice_activity import VoiceActivityDetector

    tracker.report(0.0, f"Reading {path.name}")
    try:
        recording = import_file(path, SEGMENT_SAMPLE_RATE)
    except VoiceStudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - a decoder bug must not end the batch
        log.exception("unexpected failure importing %s", path)
        raise CorruptFileError(
            f"‘{path.name}’ could not be imported ({type(exc).__name__}). It was skipped."
        ) from exc
    contour = loudness_contour(recording.samples, recording.sample_rate)
    same = _same_recording_as(dataset, contour, recording.duration_seconds)
    if same is not None:
        raise SameRecordingError(
            f"‘{path.name}’ is the same recording as ‘{same.original_name}’, which this voice "
            "already has (in another format or under another name). It was skipped.")
    if cleaning:
        from voicestudio.audio.denoise import apply_cleaning

        tracker.report(0.05, f"{path.name}: reducing background noise")
        recording = replace(recording, samples=apply_cleaning(
            recording.samples, recording.sample_rate, cleaning))
    take_id = dataset.new_take_id(path.name)
    written: list[Path] = []
    try:
        written.append(dataset.copy_original(path, take_id))
        spans = SpeechSlicer(vad=VoiceActivityDetector()).slice(
            recording.samples, recording.sample_rate, path,
            progress=lambda p: tracker.report(0.1 + 0.15 * p.fraction, f"{path.name}: "
                                              f"{p.message}"),
            cancel=tracker.cancel,
        )
        if not spans:
            raise UserInputError(
                f"No speech was found in ‘{path.name}’ (only silence or noise). It was skipped."
            )
        segments = []
        fallback_lang = language or dataset.voice.manifest.languages[0]
        for number, span in enumerate(spans, start=1):
            tracker.report(0.25 + 0.75 * (number - 1) / max(len(spans), 1),
                           f"{path.name}: transcribing segment {number} of {len(spans)}")
            clip = span.cut(recording.samples)
            transcript = transcriber.transcribe(clip, recording.sample_rate, language)
            segment_id = dataset.new_segment_id(take_id, number)
            audio_path, audio_sha = dataset.write_segment_audio(segment_id, clip)
            written.append(dataset.folder / audio_path)
            lang = transcript.language if transcript.language in SUPPORTED_LANGUAGES \
                else fallback_lang
            text = transcript.text.strip()
            words = [WordTiming(w.text, round(w.start, 3), round(w.end, 3),
                                round(w.probability, 4)) for w in transcript.words]
            if lang == "zh":
                text = to_simplified(text)
                words = [replace(w, text=to_simplified(w.text)) for w in words]
            flags = quality_flags(clip, recording.sample_rate, recording.gain,
                                  transcript.confidence, None)
            if text and is_garbled_transcript(text, lang):
                flags.append(str(QualityFlag.GARBLED_TRANSCRIPT))
            segments.append(SegmentRecord(
                id=segment_id,
                take_id=take_id,
                sample_rate=recording.sample_rate,
                start_sample=span.start_sample,
                end_sample=span.end_sample,
                audio_path=audio_path,
                audio_sha256=audio_sha,
                text=text,
                lang=lang,
                asr_confidence=round(transcript.confidence, 4),
                words=words,
                flags=flags,
                # Nothing to read, or a text that is probably wrong: the person must type or
                # check it before it trains (they can keep it as it is).
                kept=bool(text) and not any(f in TRANSCRIPT_FLAGS for f in flags),
                heard_text=text,
            ))
        tracker.report(1.0, f"{path.name}: {count(len(segments), 'segment')}")
        take = TakeRecord(
            id=take_id,
            path=written[0].relative_to(dataset.folder).as_posix(),
            original_name=path.name,
            sha256=sha256,
            imported=now_iso(),
            duration_seconds=round(recording.duration_seconds, 3),
            gain=recording.gain,
            original_sample_rate=recording.original_sample_rate,
            original_channels=recording.original_channels,
            cleaning=cleaning,
        )
        dataset.add_take(take, segments)
        _save_contour(dataset, take_id, contour)
    except BaseException:
        for file in written:
            file.unlink(missing_ok=True)
        raise
    return len(segments)


CONTOUR_CACHE = "take-contours.npz"


class SameRecordingError(UserInputError):
    """The file's sound is a take the voice already has (another format, name or copy)."""


def _contours(dataset: Dataset) -> dict[str, np.ndarray]:
    """Loudness contours of the voice's takes by take id; an unreadable cache is rebuilt."""
    try:
        with np.load(dataset.voice.subfolder("segments") / CONTOUR_CACHE,
                     allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, KeyError):
        return {}


def _save_contour(dataset: Dataset, take_id: str, contour: np.ndarray) -> None:
    import io

    from voicestudio.project.atomic import atomic_write_bytes

    cache = _contours(dataset)
    live = {t.id for t in dataset.takes}
    cache = {k: v for k, v in cache.items() if k in live} | {take_id: contour}
    buffer = io.BytesIO()
    np.savez(buffer, **cache)
    atomic_write_bytes(dataset.voice.subfolder("segments") / CONTOUR_CACHE, buffer.getvalue())


def _same_recording_as(dataset: Dataset, contour: np.ndarray, seconds: float
                       ) -> TakeRecord | None:
    """The take whose sound this recording is, if any. Only takes of about the same length
    are compared; one added before contours were kept is decoded once to get its own."""
    from voicestudio.audio.fingerprint import MAX_LENGTH_DIFFERENCE_SECONDS, same_recording
    from voicestudio.audio.importer import import_file

    cache = _contours(dataset)
    for take in dataset.takes:
        if abs(take.duration_seconds - seconds) > MAX_LENGTH_DIFFERENCE_SECONDS:
            continue
        known = cache.get(take.id)
        if known is None:
            try:
                original = import_file(dataset.folder / take.path, SEGMENT_SAMPLE_RATE)
            except VoiceStudioError:
                continue  # an original that cannot be read is no evidence either way
            known = loudness_contour(original.samples, original.sample_rate)
            _save_contour(dataset, take.id, known)
        if same_recording(contour, known):
            return take
    return None


SPEAKER_CACHE = "speaker-embeddings.npz"


def _load_embeddings(path: Path) -> dict[str, np.ndarray]:
    """Cached voice embeddings by segment audio hash; an unreadable cache is just rebuilt."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return dict(zip(data["keys"].tolist(), data["embeddings"], strict=True))
    except (OSError, ValueError, KeyError):
        return {}


def _save_embeddings(path: Path, cache: dict[str, np.ndarray]) -> None:
    import io

    from voicestudio.project.atomic import atomic_write_bytes

    buffer = io.BytesIO()
    keys = sorted(cache)
    embeddings = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, 256), np.float32)
    np.savez(buffer, keys=np.array(keys, dtype="U64"), embeddings=embeddings)
    atomic_write_bytes(path, buffer.getvalue())


def check_speakers(
    data_dir: Path, dataset: Dataset, progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Compare every segment's voice with the majority voice and update OTHER_SPEAKER flags.

    Embeddings are cached by segment audio hash (``segments/speaker-embeddings.npz``), so
    adding one more file to a large dataset embeds only its new segments. Raises
    SpeakerCheckUnavailable when the speaker-check model is not installed in ``data_dir``.
    """
    from voicestudio.audio.speakers import majority_similarities, speaker_embedder

    tracker = ProgressTracker(progress, cancel)
    tracker.report(0.0, "Comparing voices")
    path = dataset.voice.subfolder("segments") / SPEAKER_CACHE
    cache = _load_embeddings(path)
    segments = dataset.segments
    todo = [s for s in segments if s.audio_sha256 not in cache]
    embedder = speaker_embedder(data_dir) if todo else None
    try:
        for done, segment in enumerate(todo):
            tracker.step(done, len(todo), f"Comparing voices ({done + 1} of {len(todo)})")
            samples = dataset.segment_samples(segment)
            cache[segment.audio_sha256] = embedder.embed(samples, segment.sample_rate)
    finally:
        if todo:  # keep what was computed, even when stopped half way
            live = {s.audio_sha256 for s in segments}
            _save_embeddings(path, {k: v for k, v in cache.items() if k in live})
    similarities = (
        majority_similarities(np.stack([cache[s.audio_sha256] for s in segments]))
        if segments else None
    )
    values = [None] * len(segments) if similarities is None else [float(v) for v in similarities]
    dataset.set_speaker_similarities({s.id: v for s, v in zip(segments, values, strict=True)})
    tracker.report(1.0, "Voices compared")


def _skip(report: AddReport, path: Path, message: str) -> None:
    log.info("dataset add skipped %s: %s", path, message)
    report.skipped.append((path, message))


def add_recordings(
    data_dir: Path,
    voice_name: str,
    files: Sequence[Path | str],
    language: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    transcriber: SpeechRecognizer | None = None,
    cleaning: str = "",
) -> AddReport:
    """Add recordings to a voice's dataset; bad files are skipped with their message. A
    folder among ``files`` stands for the sound and video files inside it, as on the Edit
    page (``collect_media_files``).

    ``language`` (zh, en or auto) is what Whisper listens for; by default the voice's language
    (detection when it has two). ``transcriber`` replaces the registry's model (tests, the
    app's warm one). ``cleaning`` (``audio.denoise.DENOISE_RECIPE``) reduces background
    noise before slicing; the originals stay as they are. Raises JobCancelled on cancel,
    with every finished file saved.
    """
    data_dir = Path(data_dir)
    voice = VoiceLibrary(data_dir).find(voice_name)
    with HEAVY_JOBS.claim(f"Adding recordings to “{voice.name}”", voice, "adding recordings"):
        # Opened under the lock: what an add that just finished wrote is seen, not redone.
        dataset = Dataset.open(Voice.open(voice.folder))
        return _add_all(data_dir, dataset, collect_media_files(files), language, progress,
                        cancel, transcriber, cleaning)


def _disk_full_while_adding(dataset: Dataset, left: Sequence[Path],
                            report: AddReport) -> DiskFullError:
    """Which files were not added and which were, with a lower bound on the space still
    needed (the copies of the originals alone take their size)."""
    needed = sum(p.stat().st_size for p in left if p.is_file())
    current, *rest = left
    outcome = f"‘{current.name}’ was not added (nothing of it was kept)"
    if rest:
        outcome += ", nor " + ", ".join(f"‘{p.name}’" for p in rest)
    outcome += "."
    if report.added:
        kept = ", ".join(f"‘{p.name}’ ({count(n, 'segment')})" for p, n in report.added)
        outcome += f" Added before the disk filled, and kept: {kept}."
    return disk_full_error(dataset.voice.folder, needed, outcome=outcome)


def _add_all(
    data_dir: Path,
    dataset: Dataset,
    files: Sequence[Path | str],
    language: str | None,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
    transcriber: SpeechRecognizer | None,
    cleaning: str,
) -> AddReport:
    language = _recognition_language(dataset.voice, language)
    if transcriber is None:
        transcriber = load_transcriber(data_dir, language)
    tracker = ProgressTracker(progress, cancel)
    report = AddReport()
    paths = [Path(f).expanduser() for f in files]
    for index, path in enumerate(paths):
        part = tracker.sub(_STAGES_FILES * index / len(paths),
                           _STAGES_FILES * (index + 1) / len(paths))
        part.report(0.0, f"Reading {path.name}")
        try:
            sha256 = sha256_file(path) if path.is_file() else ""
            if sha256 and dataset.take_with_hash(sha256) is not None:
                report.already_added.append(path)
                continue
            report.added.append((path, _add_one(dataset, path, sha256, transcriber, language,
                                                part, cleaning)))
            warning = narrowband_warning(path.name, dataset.takes[-1].original_sample_rate)
            if warning:
                report.notes.append(warning)
        except DiskFullError as exc:
            # A full disk ends the whole job; the files added before this one stay added.
            raise _disk_full_while_adding(dataset, paths[index:], report) from exc
        except (JobCancelled, MissingModelError, VoiceInUseError):
            raise  # a stop or a missing model ends the whole job, not one file
        except SameRecordingError as exc:
            log.info("dataset add: %s", exc)
            report.already_added.append(path)
        except VoiceStudioError as exc:
            _skip(report, path, str(exc))
        except OSError as exc:
            _skip(report, path, f"‘{path.name}’ could not be read ({exc.strerror}). "
                  "It was skipped.")
    try:
        check_speakers(data_dir, dataset, lambda p: tracker.report(
            _STAGES_FILES + (1 - _STAGES_FILES) * p.fraction, p.message), tracker.cancel)
    except SpeakerCheckUnavailable as exc:
        report.notes.append(str(exc))  # the files are added; only the extra check is missing
    tracker.report(1.0, f"{count(report.segments, 'new segment')} from "
                   f"{count(len(report.added), 'file')}")
    return report


# ------------------------------------------------------------------------------------------
# Summary and listing


@dataclass(frozen=True)
class LanguageCoverage:
    lang: str
    covered: int
    total: int
    missing: tuple[str, ...]

    @property
    def fraction(self) -> float:
        return self.covered / self.total if self.total else 0.0


@dataclass(frozen=True)
class DatasetStats:
    segments: int  # all segments in the index
    kept: int  # what training uses
    speech_seconds: float  # of the kept segments
    flagged: int  # segments with at least one flag, whether left out or kept
    coverage: tuple[LanguageCoverage, ...]

    def line(self) -> str:
        """The one-line summary ``dataset list`` and ``dataset build`` print."""
        minutes, seconds = divmod(round(self.speech_seconds), 60)
        parts = [f"{self.kept} of {count(self.segments, 'segment')} kept",
                 f"{minutes}:{seconds:02d} of speech", f"{self.flagged} flagged"]
        parts += [f"{c.lang} sounds covered {c.covered}/{c.total} ({c.fraction:.0%})"
                  for c in self.coverage]
        return ", ".join(parts)

    def to_json(self) -> dict:
        return {
            "segments": self.segments,
            "kept": self.kept,
            "speech_seconds": round(self.speech_seconds, 3),
            "flagged": self.flagged,
            "coverage": {c.lang: {"covered": c.covered, "total": c.total,
                                  "missing": list(c.missing)} for c in self.coverage},
        }


def dataset_stats(dataset: Dataset) -> DatasetStats:
    """Counts, speech time and the phoneme coverage of the kept segments' text."""
    from voicestudio.text.coverage import coverage_units, inventory

    kept = dataset.kept_segments()
    covered: dict[str, set[str]] = {}
    for segment in kept:
        try:
            units = coverage_units(segment.text, segment.lang)
        except UserInputError:
            continue
        covered.setdefault(segment.lang, set()).update(units)
    langs = [lang for lang in dataset.voice.manifest.languages if lang in SUPPORTED_LANGUAGES]
    langs += sorted(set(covered) - set(langs))
    coverage = []
    for lang in langs:
        wanted = inventory(lang)
        have = wanted & covered.get(lang, set())
        coverage.append(LanguageCoverage(lang, len(have), len(wanted),
                                         tuple(sorted(wanted - have))))
    return DatasetStats(
        segments=len(dataset.segments),
        kept=len(kept),
        speech_seconds=sum(s.duration_seconds for s in kept),
        flagged=sum(1 for s in dataset.segments if s.flags),
        coverage=tuple(coverage),
    )


# ------------------------------------------------------------------------------------------
# Features


def build_dataset(
    data_dir: Path,
    voice_name: str,
    device: str = "auto",
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> BuildReport:
    """Compute the missing or outdated training features of a voice's kept segments."""
    from voicestudio.models.devices import resolve_device

    voice = VoiceLibrary(Path(data_dir)).find(voice_name)
    with HEAVY_JOBS.claim(f"Preparing “{voice.name}” for training", voice,
                          "computing training features"):
        dataset = Dataset.open(Voice.open(voice.folder))
        if not dataset.kept_segments():
            raise UserInputError(
                f"{dataset.voice.name} has no segments to train on yet. Record on the Record "
                "page or import recordings on the Edit page (or run `voicestudio dataset add "
                f"\"{dataset.voice.name}\" FILE…`) first."
            )
        models = FeatureModels(Path(data_dir), str(resolve_device(device).device),
                               family=voice_family(dataset.voice).id)
        report = build_features(dataset, models, progress, cancel)
        dataset.refresh()  # the manifest's summary
    return report


_SPACE = re.compile(r"\s+")


def short_text(text: str, width: int) -> str:
    """One line of at most ``width`` characters, for tables."""
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


# GPT-SoVITS refuses prompts outside 3-10 s; ~6 s gives S1 enough context without slowing it.
REFERENCE_SECONDS = (3.0, 10.0)
REFERENCE_IDEAL_SECONDS = 6.0


def best_reference(dataset: Dataset) -> SegmentRecord | None:
    """The kept segment that serves best as the style reference of a trained voice.

    A trained GPT-SoVITS voice still copies its delivery from a reference clip with its exact
    transcript, so prefer an unflagged segment whose text a person confirmed, then the one the
    recogniser was surest of, then the one closest to the ideal length.
    """
    low, high = REFERENCE_SECONDS
    candidates = [
        s for s in dataset.kept_segments()
        if low <= s.duration_seconds <= high and not s.flags and s.text.strip()
    ]
    return max(
        candidates,
        key=lambda s: (
            s.text_checked,
            s.asr_confidence or 0.0,
            -abs(s.duration_seconds - REFERENCE_IDEAL_SECONDS),
        ),
        default=None,
    )
