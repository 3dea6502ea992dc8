"""Import a GPT-SoVITS training list (``.list``) and its audio as a voice's dataset.

A ``.list`` is what GPT-SoVITS's own tools write after slicing and transcribing: one clip a
line, ``audio path|speaker|language|text``. The clips are already cut and their text was
usually checked by a person, so each file becomes one take with one segment over the whole
clip, its text marked as checked; nothing is sliced or transcribed again. The paths in a
list often point at the machine it was made on, so a clip is also looked for by name next
to the list and in the audio folder given.

Lines that cannot be used (a missing or unreadable clip, a language we do not speak, no
text) are reported one by one and never stop the rest.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from voicestudio.errors import (
    JobCancelled,
    NotFoundError,
    UserInputError,
    VoiceStudioError,
)
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.project.checksums import sha256_file
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.segments import (
    SEGMENT_SAMPLE_RATE,
    Dataset,
    SegmentRecord,
    TakeRecord,
    quality_flags,
    speaker_flags,
)
from voicestudio.project.voice import SUPPORTED_LANGUAGES, Voice, now_iso
from voicestudio.services.heavy_jobs import HEAVY_JOBS

log = logging.getLogger(__name__)

# Upstream writes ZH/EN (v1), zh/en (v2) and all_zh/all_en (its WebUI's "only this
# language" choices); all mean one language for the whole line.
_LANGUAGE_PREFIX = "all_"
# Files are saved in groups, so a long list costs a few index writes, not one per clip,
# and a cancel keeps every group already saved.
_SAVE_EVERY = 25


@dataclass(frozen=True)
class ListEntry:
    line: int
    audio: str
    speaker: str
    lang: str  # as written in the file
    text: str


@dataclass
class ListImportReport:
    voice: str
    created_voice: bool = False
    imported: list[str] = field(default_factory=list)  # segment ids
    already_added: list[str] = field(default_factory=list)  # audio paths as listed
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)


def read_list(path: Path) -> Iterator[ListEntry | tuple[int, str]]:
    """The list's entries; a line that is not ``path|speaker|language|text`` is yielded as
    (line number, message)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise NotFoundError(f"There is no list file {path}.") from exc
    except UnicodeDecodeError as exc:
        raise UserInputError(
            f"{Path(path).name} is not a text file in UTF-8; is it a GPT-SoVITS .list?"
        ) from exc
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.split("|", 3)
        if len(parts) != 4:
            yield number, "not of the form audio|speaker|language|text"
            continue
        audio, speaker, lang, words = (p.strip() for p in parts)
        yield ListEntry(number, audio, speaker, lang, words)


def list_language(written: str) -> str | None:
    """Our language code for the list's, or None for a language we cannot train."""
    lang = written.strip().lower().removeprefix(_LANGUAGE_PREFIX)
    return lang if lang in SUPPORTED_LANGUAGES else None


def find_clip(listed: str, list_file: Path, audio_dir: Path | None) -> Path | None:
    """Where a listed clip is on this machine: as written, else by name beside the list or
    in ``audio_dir`` (lists made on Windows use backslashes)."""
    as_written = Path(listed)
    name = PureWindowsPath(listed).name if "\\" in listed else PurePosixPath(listed).name
    folders = [f for f in (audio_dir, list_file.parent) if f is not None]
    candidates = [as_written] if as_written.is_absolute() else [
        folder / as_written for folder in folders]
    candidates += [folder / name for folder in folders]
    return next((c for c in candidates if c.is_file()), None)


def _voice_for(library: VoiceLibrary, name: str, langs: list[str]) -> tuple[Voice, bool]:
    try:
        return library.find(name), False
    except NotFoundError:
        return library.create(name, langs or ["en"]), True


def import_list(
    data_dir: Path,
    voice_name: str,
    list_file: Path,
    audio_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ListImportReport:
    """Add every usable clip of ``list_file`` to the voice (created if it does not exist).

    Clips of a speaker other than the list's main one are kept apart as another speaker, so
    a list with an interviewer's lines does not teach the voice the interviewer.
    """
    list_file = Path(list_file).expanduser()
    audio_dir = Path(audio_dir).expanduser() if audio_dir else None
    entries, report_skips = [], []
    for item in read_list(list_file):
        (entries if isinstance(item, ListEntry) else report_skips).append(item)
    usable_langs = [list_language(e.lang) for e in entries]
    langs = [lang for lang, _ in Counter(x for x in usable_langs if x).most_common()]
    if not entries:
        raise UserInputError(f"{list_file.name} lists no clips (lines of "
                             "audio|speaker|language|text).")
    # The slot first: a refused import must not leave a new, empty voice behind.
    with HEAVY_JOBS.claim(f"Importing the training list {list_file.name}"):
        voice, created = _voice_for(VoiceLibrary(Path(data_dir)), voice_name, langs)
        report = ListImportReport(voice.name, created, skipped=report_skips)
        with HEAVY_JOBS.claim("", voice, "importing a training list"):
            _import_entries(Dataset.open(Voice.open(voice.folder)), entries, list_file,
                            audio_dir, report, ProgressTracker(progress, cancel))
    report.skipped.sort()
    return report


def _import_entries(
    dataset: Dataset,
    entries: list[ListEntry],
    list_file: Path,
    audio_dir: Path | None,
    report: ListImportReport,
    tracker: ProgressTracker,
) -> None:
    from voicestudio.audio.importer import import_file

    main_speaker = Counter(e.speaker for e in entries).most_common(1)[0][0]
    pending: list[tuple[TakeRecord, list[SegmentRecord]]] = []
    written = []
    seen = {t.sha256 for t in dataset.takes}
    try:
        for done, entry in enumerate(entries):
            tracker.step(done, len(entries), f"Clip {done + 1} of {len(entries)}")
            lang = list_language(entry.lang)
            clip_path = find_clip(entry.audio, list_file, audio_dir)
            if lang is None:
                report.skipped.append((entry.line, f"language “{entry.lang}” is not one "
                                       "VoiceStudio can learn (zh or en)"))
                continue
            if clip_path is None:
                report.skipped.append((entry.line, f"the clip {entry.audio} was not found; "
                                       "pass the folder that holds it with --audio-dir"))
                continue
            sha = sha256_file(clip_path)
            if sha in seen:
                report.already_added.append(entry.audio)
                continue
            try:
                recording = import_file(clip_path, SEGMENT_SAMPLE_RATE)
            except JobCancelled:
                raise
            except VoiceStudioError as exc:
                report.skipped.append((entry.line, str(exc)))
                continue
            seen.add(sha)
            take_id = dataset.new_take_id(clip_path.name)  # sees the files copied so far
            written.append(dataset.copy_original(clip_path, take_id))
            segment_id = f"{take_id}-001"
            audio_path, audio_sha = dataset.write_segment_audio(segment_id, recording.samples)
            written.append(dataset.folder / audio_path)
            other = entry.speaker != main_speaker
            flags = speaker_flags(quality_flags(recording.samples, SEGMENT_SAMPLE_RATE,
                                                recording.gain, None, None), None, other)
            segment = SegmentRecord(
                id=segment_id, take_id=take_id, sample_rate=SEGMENT_SAMPLE_RATE,
                start_sample=0, end_sample=recording.samples.size, audio_path=audio_path,
                audio_sha256=audio_sha, text=" ".join(entry.text.split()), lang=lang,
                flags=flags,
                kept=bool(entry.text.strip()) and not other, text_checked=True,
                other_speaker_mark=True if other else None,
            )
            take = TakeRecord(
                id=take_id, path=written[-2].relative_to(dataset.folder).as_posix(),
                original_name=clip_path.name, sha256=sha, imported=now_iso(),
                duration_seconds=round(recording.duration_seconds, 3), gain=recording.gain,
                original_sample_rate=recording.original_sample_rate,
                original_channels=recording.original_channels,
            )
            pending.append((take, [segment]))
            if len(pending) >= _SAVE_EVERY:
                _save(dataset, pending, report)
                written.clear()
    except BaseException:
        for path in written:  # clips of the group that was not saved
            path.unlink(missing_ok=True)
        raise
    _save(dataset, pending, report)
    tracker.step(1, 1, f"{len(report.imported)} clips imported")


def _save(dataset: Dataset, pending: list, report: ListImportReport) -> None:
    if pending:
        dataset.add_takes(pending)
        report.imported += [s.id for _, segments in pending for s in segments]
        pending.clear()
