"""A voice's dataset on disk: imported takes, their segments, and the segment index.

``<voice>/segments/index.json`` is the one list of what a voice's dataset holds: every
imported original (kept byte for byte under ``<voice>/takes/``, so nothing a person gave us
is lost), and every segment cut from it with its offsets, transcript, quality flags and
``kept`` choice. Each segment's audio is a 32 kHz WAV under ``<voice>/segments/``.

The index is written atomically after every change and never overwritten when it cannot be
read: a damaged or newer-format file is reported and left alone, because it is the only
record of a person's corrections. Editing a segment's text or bounds changes what its
features are computed from (its audio hash, its text), so ``dataset build`` recomputes only
that one segment.
"""

from __future__ import annotations

import copy
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from voicestudio.audio.quality import TRANSCRIPT_FLAGS, QualityFlag, assess_segment
from voicestudio.audio.speakers import is_other_speaker
from voicestudio.audio.wav import write_wav
from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError
from voicestudio.project.atomic import atomic_write_json, atomic_writer
from voicestudio.project.checksums import sha256_file
from voicestudio.project.documents import read_versioned_json
from voicestudio.project.locks import exclusive_file_lock
from voicestudio.project.voice import SUPPORTED_LANGUAGES, DatasetSummary, Voice, now_iso

INDEX_NAME = "index.json"
INDEX_FORMAT = 1
SEGMENT_SAMPLE_RATE = 32000  # GPT-SoVITS slices and trains at 32 kHz
# Shorter than this is not a segment but a click; the editor must not produce one.
MIN_SEGMENT_SECONDS = 0.2
_SLUG = re.compile(r"[^A-Za-z0-9]+")


@dataclass
class TakeRecord:
    """One imported original, copied unchanged into ``takes/``."""

    id: str
    path: str  # relative to the voice folder
    original_name: str
    sha256: str  # of the original file's bytes
    imported: str
    duration_seconds: float
    # The import's loudness gain: samples / gain is the recording as it was, so quality
    # checks (clipping, too quiet) judge the original and not our normalised copy.
    gain: float
    original_sample_rate: int
    original_channels: int
    # How the decoded take was cleaned before cutting (audio.denoise's recipe; "" for none):
    # every later cut of this take applies the same, so its segments stay alike.
    cleaning: str = ""


@dataclass
class WordTiming:
    """A transcribed word, in seconds from the segment's start (for the editor's display)."""

    text: str
    start: float
    end: float
    probability: float


@dataclass
class SegmentRecord:
    """One segment: where it is in its take, what is said, and whether to train on it."""

    id: str
    take_id: str
    sample_rate: int
    start_sample: int  # in the take decoded at ``sample_rate``
    end_sample: int
    audio_path: str  # 32 kHz WAV relative to the voice folder
    audio_sha256: str  # of the WAV file's bytes: part of the feature fingerprint
    text: str
    lang: str
    asr_confidence: float | None = None
    words: list[WordTiming] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    kept: bool = True
    # True once a person typed or confirmed the text: the ASR confidence no longer applies.
    text_checked: bool = False
    speaker_similarity: float | None = None
    # Deleted by the person: left out of everything, but its record and audio stay so that
    # "restore" (or undo) brings it back exactly.
    deleted: bool = False
    # A person's answer to "is this someone else speaking?"; None leaves it to the check.
    other_speaker_mark: bool | None = None
    # What speech recognition heard, kept when a person corrects the text: where the two
    # differ only in how words are said, the voice's accent setting decides (update_text).
    heard_text: str | None = None

    @property
    def start_seconds(self) -> float:
        return self.start_sample / self.sample_rate

    @property
    def end_seconds(self) -> float:
        return self.end_sample / self.sample_rate

    @property
    def duration_seconds(self) -> float:
        return (self.end_sample - self.start_sample) / self.sample_rate

    def to_json(self) -> dict[str, Any]:
        raw = asdict(self)
        # Seconds are written for people and other tools reading the file; samples are the
        # truth and are what is read back.
        raw["start_seconds"] = round(self.start_seconds, 4)
        raw["end_seconds"] = round(self.end_seconds, 4)
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SegmentRecord:
        values = {k: v for k, v in raw.items() if k not in ("start_seconds", "end_seconds")}
        values["words"] = [WordTiming(**w) for w in values.get("words", [])]
        values["flags"] = [str(f) for f in values.get("flags", [])]
        return cls(**values)


@dataclass
class SegmentIndex:
    takes: list[TakeRecord] = field(default_factory=list)
    segments: list[SegmentRecord] = field(default_factory=list)
    format_version: int = INDEX_FORMAT

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "takes": [asdict(t) for t in self.takes],
            "segments": [s.to_json() for s in self.segments],
        }

    @classmethod
    def read(cls, path: Path) -> SegmentIndex:
        """The index at ``path``; empty when there is none yet, CorruptFileError if unusable."""
        raw = read_versioned_json(path, "segment list", INDEX_FORMAT)
        if raw is None:
            return cls()
        try:
            return cls(
                takes=[TakeRecord(**t) for t in raw["takes"]],
                segments=[SegmentRecord.from_json(s) for s in raw["segments"]],
                format_version=int(raw["format_version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptFileError(
                f"The segment list {path} is damaged ({exc}). It was left untouched; restore "
                "it from a backup or ask for help with the file."
            ) from exc


def quality_flags(
    samples: np.ndarray,
    sample_rate: int,
    gain: float,
    confidence: float | None,
    similarity: float | None,
) -> list[str]:
    """The audio checks' flags for one segment, as stored in the index."""
    quality = assess_segment(samples, sample_rate, gain, confidence, similarity)
    return [str(flag) for flag in quality.flags]


def _slug(text: str, limit: int = 24) -> str:
    return _SLUG.sub("-", text).strip("-")[:limit].strip("-").lower() or "take"


class Dataset:
    """A voice's segment index plus the files it names; every change is saved at once.

    This is the API the segment editor and ``dataset edit`` use (``update_text``,
    ``update_bounds``, ``split``, ``merge_with_next``, ``set_kept``, ``set_deleted``,
    ``set_other_speaker``, and ``apply`` for undo/redo) and the import and build jobs
    build on.
    """

    def __init__(self, voice: Voice, index: SegmentIndex) -> None:
        self.voice = voice
        self.index = index

    @classmethod
    def open(cls, voice: Voice) -> Dataset:
        return cls(voice, SegmentIndex.read(cls.index_path_for(voice)))

    @staticmethod
    def index_path_for(voice: Voice) -> Path:
        return voice.subfolder("segments") / INDEX_NAME

    @property
    def index_path(self) -> Path:
        return self.index_path_for(self.voice)

    @property
    def folder(self) -> Path:
        return self.voice.folder

    # Reading ------------------------------------------------------------------------------
    @property
    def segments(self) -> list[SegmentRecord]:
        """The segments that are not deleted, in recording order."""
        return [s for s in self.index.segments if not s.deleted]

    def deleted_segments(self) -> list[SegmentRecord]:
        return [s for s in self.index.segments if s.deleted]

    @property
    def takes(self) -> list[TakeRecord]:
        return list(self.index.takes)

    def kept_segments(self) -> list[SegmentRecord]:
        """The segments training uses: kept by the person and with text to read."""
        return [s for s in self.index.segments if s.kept and not s.deleted and s.text.strip()]

    def segment(self, segment_id: str) -> SegmentRecord:
        for segment in self.index.segments:
            if segment.id == segment_id:
                return segment
        raise NotFoundError(
            f"There is no segment “{segment_id}” in {self.voice.name}. See "
            f"`voicestudio dataset list {self.voice.name}`."
        )

    def take(self, take_id: str) -> TakeRecord:
        for take in self.index.takes:
            if take.id == take_id:
                return take
        raise CorruptFileError(
            f"The segment list of {self.voice.name} names a recording “{take_id}” it does not "
            "list. Restore segments/index.json from a backup."
        )

    def take_with_hash(self, sha256: str) -> TakeRecord | None:
        return next((t for t in self.index.takes if t.sha256 == sha256), None)

    def segment_samples(self, segment: SegmentRecord) -> np.ndarray:
        """The segment's 32 kHz audio as float32."""
        samples, rate = sf.read(self.folder / segment.audio_path, dtype="float32")
        if rate != segment.sample_rate or samples.ndim != 1:
            raise CorruptFileError(
                f"{segment.audio_path} is not a mono {segment.sample_rate} Hz file; import the "
                "recording again."
            )
        return samples

    def summary(self) -> DatasetSummary:
        kept = self.kept_segments()
        return DatasetSummary(
            segments=len(kept),
            speech_seconds=round(sum(s.duration_seconds for s in kept), 3),
            flagged=sum(1 for s in self.segments if s.flags),  # left out or not
            updated=now_iso(),
        )

    # Writing ------------------------------------------------------------------------------
    @contextmanager
    def _changing(self) -> Iterator[SegmentIndex]:
        """Re-read the index under the lock, let the caller change it, then save it.

        The app's editor and an import job (or a command in a terminal) may hold the same
        dataset at once; re-reading before each change means neither overwrites the other's
        work. Nothing is written if the change raises.
        """
        with index_lock(self.index_path):
            self.index = SegmentIndex.read(self.index_path)
            yield self.index
            self._write()

    def _write(self) -> None:
        """Write the index, then the manifest's summary (the index is the truth)."""
        atomic_write_json(self.index_path, self.index.to_json())
        # Re-read the manifest first: the app may have changed it (a rename, consent) while
        # a long import ran, and only the summary is ours to write.
        self.voice.manifest = Voice.open(self.voice.folder).manifest
        self.voice.manifest.dataset = self.summary()
        self.voice.save()

    def refresh(self) -> None:
        """Re-read the index and rewrite the manifest's summary from it."""
        with self._changing():
            pass

    def new_take_id(self, original_name: str) -> str:
        """A readable id from the file name, unique among takes and files already there."""
        base = _slug(Path(original_name).stem)
        taken = {t.id for t in self.index.takes}
        takes_dir = self.voice.subfolder("takes")
        existing = {p.stem for p in takes_dir.iterdir()} if takes_dir.is_dir() else set()
        candidate, n = base, 1
        while candidate in taken or candidate in existing:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def new_segment_id(self, take_id: str, number: int) -> str:
        taken = {s.id for s in self.index.segments}
        folder = self.voice.subfolder("segments")
        candidate = f"{take_id}-{number:03d}"
        while candidate in taken or (folder / f"{candidate}.wav").exists():
            number += 1
            candidate = f"{take_id}-{number:03d}"
        return candidate

    def copy_original(self, source: Path, take_id: str) -> Path:
        """Copy the original file into ``takes/`` atomically: never half a copy."""
        target = self.voice.subfolder("takes") / f"{take_id}{source.suffix.lower()}"
        with open(source, "rb") as original, atomic_writer(target) as copy:
            shutil.copyfileobj(original, copy)
        return target

    def write_segment_audio(self, segment_id: str, samples: np.ndarray) -> tuple[str, str]:
        """Save a segment's audio; returns (path relative to the voice, sha256 of the file)."""
        path = self.voice.subfolder("segments") / f"{segment_id}.wav"
        write_wav(path, samples, SEGMENT_SAMPLE_RATE)
        return path.relative_to(self.folder).as_posix(), sha256_file(path)

    # Editing ------------------------------------------------------------------------------
    # Every edit re-reads the index under the lock, writes any new audio under a new file
    # name, saves the index atomically, and only then removes audio nothing names any more:
    # a crash at any moment leaves an index whose files all exist and match. Each edit
    # returns the SegmentChange it made, so the editor's undo is ``apply(change.inverse())``.

    def take_samples(self, take_id: str) -> np.ndarray:
        """The take as its segments are cut from it: 32 kHz, loudness-normalised, cleaned
        the way it was on import."""
        from voicestudio.audio.denoise import apply_cleaning
        from voicestudio.audio.importer import import_file

        take = self.take(take_id)
        samples = import_file(self.folder / take.path, SEGMENT_SAMPLE_RATE).samples
        return apply_cleaning(samples, SEGMENT_SAMPLE_RATE, take.cleaning)

    def update_text(self, segment_id: str, text: str, lang: str | None = None) -> SegmentChange:
        """A person's correction of the transcript; it is now checked, so the ASR doubt goes."""
        if lang is not None and lang not in SUPPORTED_LANGUAGES:
            raise UserInputError(f"Unsupported language {lang}; choose zh or en.")
        text = " ".join(text.split())

        accent = self.voice.manifest.accent

        def edit(segment: SegmentRecord) -> None:
            if text != segment.text:
                segment.words = []  # the timings described the old words
            if not segment.text.strip() and text and segment.other_speaker_mark is not True:
                # Left out only for want of words (an empty transcript, the second half of
                # a split without timings): now it has them, so it trains.
                segment.kept = True
            segment.text = text
            segment.lang = lang or segment.lang
            segment.text_checked = True
            segment.flags = [f for f in segment.flags if f not in TRANSCRIPT_FLAGS]
            segment.flags = accent_flags(segment, accent)

        return self._edit_one(segment_id, edit)

    def set_kept(self, segment_id: str, kept: bool) -> SegmentChange:
        """Include the segment in training or leave it out (it stays in the list)."""

        def edit(segment: SegmentRecord) -> None:
            segment.kept = bool(kept)

        return self._edit_one(segment_id, edit)

    def set_deleted(self, segment_id: str, deleted: bool) -> SegmentChange:
        """Delete (hide and leave out of training) or restore a segment; nothing is erased."""

        def edit(segment: SegmentRecord) -> None:
            segment.deleted = bool(deleted)

        return self._edit_one(segment_id, edit)

    def set_other_speaker(self, segment_id: str, marked: bool | None) -> SegmentChange:
        """A person's call on who speaks: True leaves the segment out of training as someone
        else's voice, False keeps it as the person's whatever the check said, None hands the
        decision back to the speaker check."""

        def edit(segment: SegmentRecord) -> None:
            segment.other_speaker_mark = marked
            segment.flags = speaker_flags(segment.flags, segment.speaker_similarity, marked)
            if marked is not None:
                segment.kept = not marked

        return self._edit_one(segment_id, edit)

    def update_bounds(
        self,
        segment_id: str,
        start_seconds: float,
        end_seconds: float,
        take_samples: np.ndarray | None = None,
    ) -> SegmentChange:
        """Move a segment's edges within its take: the audio is cut again from the take.

        ``take_samples`` (the take as imported, at 32 kHz) saves decoding it again when an
        editor already holds it.
        """
        rate = SEGMENT_SAMPLE_RATE
        start, end = round(start_seconds * rate), round(end_seconds * rate)
        samples = self._samples_for(segment_id, take_samples)
        with self._changing() as index:
            segment = self.segment(segment_id)
            self._check_span(index, segment, start, end, samples.size)
            before = copy.deepcopy(segment)
            shift = (segment.start_sample - start) / rate
            moved = replace(
                segment,
                start_sample=start,
                end_sample=end,
                words=[
                    replace(w, start=round(w.start + shift, 3), end=round(w.end + shift, 3))
                    for w in segment.words
                    if w.start + shift >= 0 and w.end + shift <= (end - start) / rate
                ],
            )
            change = self._swap(index, [before], [self._cut(moved, samples)])
        self._after_change(change)
        return change

    def split(
        self, segment_id: str, at_seconds: float, take_samples: np.ndarray | None = None
    ) -> SegmentChange:
        """Cut a segment in two at ``at_seconds`` (from the start of its take)."""
        from voicestudio.project.segment_edits import split_record

        samples = self._samples_for(segment_id, take_samples)
        with self._changing() as index:
            segment = self.segment(segment_id)
            at = round(at_seconds * segment.sample_rate)
            shortest = round(MIN_SEGMENT_SECONDS * segment.sample_rate)
            if not segment.start_sample + shortest <= at <= segment.end_sample - shortest:
                raise UserInputError(
                    f"Split inside the segment, at least {MIN_SEGMENT_SECONDS} s from either "
                    "end: move the playhead there first."
                )
            number = sum(1 for s in index.segments if s.take_id == segment.take_id) + 1
            first, second = split_record(
                segment, at, self.new_segment_id(segment.take_id, number))
            change = self._swap(index, [copy.deepcopy(segment)],
                                [self._cut(first, samples), self._cut(second, samples)])
        self._after_change(change)
        return change

    def next_segment(self, segment_id: str) -> SegmentRecord | None:
        """The segment after this one in the same take (not deleted), if any."""
        segment = self.segment(segment_id)
        later = [s for s in self.segments
                 if s.take_id == segment.take_id and s.start_sample > segment.start_sample]
        return min(later, key=lambda s: s.start_sample, default=None)

    def merge_with_next(
        self, segment_id: str, take_samples: np.ndarray | None = None
    ) -> SegmentChange:
        """Join a segment and the next one of its take into one (the gap between included)."""
        from voicestudio.project.segment_edits import merge_records

        samples = self._samples_for(segment_id, take_samples)
        with self._changing() as index:
            segment = self.segment(segment_id)
            following = self.next_segment(segment_id)
            if following is None:
                raise UserInputError(
                    "This is the last segment of its recording; there is nothing after it to "
                    "merge with.")
            merged = merge_records(segment, following)
            change = self._swap(index, copy.deepcopy([segment, following]),
                                [self._cut(merged, samples)])
        self._after_change(change)
        return change

    def apply(self, change: SegmentChange, take_samples: np.ndarray | None = None) -> None:
        """Put ``change.after`` in place of ``change.before``: how undo and redo save.

        Audio removed by the change it reverses is cut again from the take (the same
        samples, so the same file).
        """
        take_ids = {r.take_id for r in change.before + change.after}
        cache: dict[str, np.ndarray] = {}
        if take_samples is not None and len(take_ids) == 1:
            cache[next(iter(take_ids))] = take_samples
        with self._changing() as index:
            current = [s for s in index.segments
                       if s.id in {r.id for r in change.before + change.after}]
            after = []
            for record in copy.deepcopy(list(change.after)):
                if not self._audio_matches(record):
                    if record.take_id not in cache:
                        cache[record.take_id] = self.take_samples(record.take_id)
                    self._write_cut(record, cache[record.take_id], record.audio_path)
                after.append(record)
            applied = self._swap(index, current, after)
        self._after_change(applied)

    # Editing internals ------------------------------------------------------------------

    def _edit_one(self, segment_id: str, edit: Callable[[SegmentRecord], None]) -> SegmentChange:
        """A change of one segment's fields (no new audio)."""
        with self._changing() as index:
            segment = self.segment(segment_id)
            before = copy.deepcopy(segment)
            after = copy.deepcopy(segment)
            edit(after)
            change = self._swap(index, [before], [after])
        self._after_change(change)
        return change

    def _samples_for(self, segment_id: str, take_samples: np.ndarray | None) -> np.ndarray:
        """The take audio for a cut, decoded outside the lock when the caller has none."""
        if take_samples is not None:
            return take_samples
        return self.take_samples(self.segment(segment_id).take_id)

    def _check_span(
        self, index: SegmentIndex, segment: SegmentRecord, start: int, end: int, size: int
    ) -> None:
        rate = segment.sample_rate
        if start < 0 or end > size or end - start < MIN_SEGMENT_SECONDS * rate:
            raise UserInputError(
                f"A segment must lie inside its recording (0–{size / rate:.2f} s) "
                f"and last at least {MIN_SEGMENT_SECONDS} s."
            )
        for other in index.segments:
            if (other.take_id == segment.take_id and other.id != segment.id
                    and not other.deleted
                    and other.start_sample < end and start < other.end_sample):
                raise UserInputError(
                    f"That would overlap segment {other.id}. Move the edge less far, or merge "
                    "the two segments.")

    def _cut(self, record: SegmentRecord, take_samples: np.ndarray) -> SegmentRecord:
        """Give ``record`` audio for its bounds under a new file name and re-check it."""
        name = f"segments/{record.id}.{record.start_sample}-{record.end_sample}.wav"
        clip = self._write_cut(record, take_samples, name)
        take = self.take(record.take_id)
        confidence = None if record.text_checked else record.asr_confidence
        flags = quality_flags(clip, record.sample_rate, take.gain, confidence,
                              record.speaker_similarity)
        record.flags = speaker_flags(flags, record.speaker_similarity,
                                      record.other_speaker_mark)
        record.flags = accent_flags(record, self.voice.manifest.accent)
        return record

    def _write_cut(self, record: SegmentRecord, take_samples: np.ndarray, name: str) -> np.ndarray:
        clip = take_samples[record.start_sample:record.end_sample]
        path = self.folder / name
        write_wav(path, clip, record.sample_rate)
        record.audio_path, record.audio_sha256 = name, sha256_file(path)
        return clip

    def _audio_matches(self, record: SegmentRecord) -> bool:
        path = self.folder / record.audio_path
        return path.is_file() and sha256_file(path) == record.audio_sha256

    def _swap(
        self, index: SegmentIndex, before: list[SegmentRecord], after: list[SegmentRecord]
    ) -> SegmentChange:
        """Replace ``before`` by ``after`` in the index, in recording order."""
        gone = {r.id for r in before} | {r.id for r in after}
        order = {t.id: n for n, t in enumerate(index.takes)}
        index.segments = sorted(
            [s for s in index.segments if s.id not in gone] + list(after),
            key=lambda s: (order.get(s.take_id, len(order)), s.start_sample, s.id),
        )
        return SegmentChange(tuple(copy.deepcopy(before)), tuple(copy.deepcopy(after)))

    def _after_change(self, change: SegmentChange) -> None:
        """Once the index is saved: drop audio nothing names and features that went stale."""
        from voicestudio.training.feature_store import FeatureStore

        named = {s.audio_path for s in self.index.segments}
        for record in change.before:
            if record.audio_path not in named:
                (self.folder / record.audio_path).unlink(missing_ok=True)
        now = {r.id: r for r in change.after}
        store = FeatureStore(self.folder)
        for record in change.before:
            new = now.get(record.id)
            if new is None or (new.audio_sha256, new.text, new.lang) != (
                    record.audio_sha256, record.text, record.lang):
                store.remove(record.id)

    def add_take(self, take: TakeRecord, segments: Sequence[SegmentRecord]) -> None:
        """Record a take and its segments (files already written) and save the index."""
        self.add_takes([(take, segments)])

    def add_takes(self, takes: Sequence[tuple[TakeRecord, Sequence[SegmentRecord]]]) -> None:
        """Record several takes with one save (importers of many short clips)."""
        with self._changing() as index:
            for take, segments in takes:
                index.takes.append(take)
                index.segments.extend(segments)

    def apply_accent(self, accent: str) -> int:
        """Re-flag every segment as the voice's accent setting ``accent`` says (after the
        setting changed); returns how many segments' flags changed. Writes nothing when none
        did."""
        self.index = SegmentIndex.read(self.index_path)
        if all(accent_flags(s, accent) == s.flags for s in self.index.segments):
            return 0
        changed = 0
        with self._changing() as index:
            for segment in index.segments:
                flags = accent_flags(segment, accent)
                if flags != segment.flags:
                    segment.flags = flags
                    changed += 1
        return changed

    def set_speaker_similarities(self, similarities: Mapping[str, float | None]) -> None:
        """Store the majority-speaker check: segment id -> similarity to the majority voice.

        Segments missing from ``similarities`` (added while the check ran) keep their values.
        """
        with self._changing() as index:
            for segment in index.segments:
                if segment.id not in similarities:
                    continue
                similarity = similarities[segment.id]
                segment.speaker_similarity = None if similarity is None else float(similarity)
                segment.flags = speaker_flags(segment.flags, segment.speaker_similarity,
                                               segment.other_speaker_mark)


@dataclass(frozen=True)
class SegmentChange:
    """What one edit did: the records it replaced and the records it put in their place."""

    before: tuple[SegmentRecord, ...]
    after: tuple[SegmentRecord, ...]

    def inverse(self) -> SegmentChange:
        return SegmentChange(self.after, self.before)


def accent_flags(segment: SegmentRecord, accent: str) -> list[str]:
    """The segment's flags with the pronunciation flag the voice's accent setting gives.

    When the text a person confirmed and what recognition heard differ in how a word is
    said (the same word recognisably, or for Mandarin the same syllable with another tone,
    initial or final), "keep the way they speak" keeps the segment with the standard text
    unflagged — the voice learns the accent — and "standard pronunciation" flags it. Other
    differences are the recogniser's mistakes the person just corrected, not the speaker's.
    """
    from voicestudio.project.voice import ACCENT_STANDARD
    from voicestudio.text.prompt_match import WordDifference, compare_reading

    flag = str(QualityFlag.PRONUNCIATION)
    rest = [f for f in segment.flags if f != flag]
    if accent != ACCENT_STANDARD or not segment.heard_text or not segment.text:
        return rest
    differences = compare_reading(segment.text, segment.heard_text, segment.lang)
    if any(d.kind == WordDifference.ACCENT for d in differences):
        return rest + [flag]
    return rest


def speaker_flags(flags: list[str], similarity: float | None, mark: bool | None) -> list[str]:
    """The OTHER_SPEAKER flag follows a person's mark when there is one, else the check."""
    other = str(QualityFlag.OTHER_SPEAKER)
    rest = [f for f in flags if f != other]
    if mark is None:
        mark = similarity is not None and is_other_speaker(float(similarity))
    return rest + [other] if mark else rest


@contextmanager
def index_lock(index_path: Path) -> Iterator[None]:
    """One change of an index at a time, across threads and processes.

    Held only for a read-modify-write of the index, never while audio is being processed, so
    waiting for it is always short.
    """
    with exclusive_file_lock(Path(index_path).with_name(".index.lock")):
        yield
