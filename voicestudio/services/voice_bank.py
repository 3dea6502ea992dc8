"""The voice bank: one open archive of everything needed to rebuild a voice on any model.

Models come and go; a recording of a grandmother reading does not. The archive is a plain
ZIP that any computer opens, laid out so that today's and tomorrow's training tools can read
it without VoiceStudio::

    README.txt       what this is, in plain words, for whoever finds it
    metadata.csv     LJSpeech-style, no header: clip id|text|text|language (UTF-8, "|")
    voice.list       GPT-SoVITS training list: wavs/<id>.flac|speaker|language|text
    wavs/<id>.flac   every kept segment, 32 kHz 16-bit mono FLAC (lossless)
    originals/...    the recordings exactly as they were given, byte for byte
    segments.json    VoiceStudio's segment list (cut points, flags, choices), to restore
    voice.json       the voice's settings (name, languages, accent)
    consent.json     who agreed to this voice being cloned, and how (if recorded)

``metadata.csv`` repeats the text in its third column because LJSpeech readers take the
"normalised text" from there; the language follows as a fourth. Importing restores a voice
with the same segments, texts and choices; trained models are not included (they belong to
one base model and can be trained again from this).
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import soundfile as sf

from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.project.atomic import atomic_writer
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.segments import (
    SEGMENT_SAMPLE_RATE,
    Dataset,
    SegmentIndex,
    SegmentRecord,
    TakeRecord,
)
from voicestudio.project.voice import ACCENT_CHOICES, Voice, VoiceManifest

log = logging.getLogger(__name__)

BANK_FORMAT = 1
BANK_SUFFIX = ".voicebank.zip"
MANIFEST, CONSENT, SEGMENTS = "voice.json", "consent.json", "segments.json"
METADATA, GPT_SOVITS_LIST, README = "metadata.csv", "voice.list", "README.txt"
CLIPS, ORIGINALS = "wavs", "originals"


@dataclass
class BankReport:
    voice: str
    path: Path
    clips: int  # kept segments written / restored as audio
    segments: int  # all segment records carried
    originals: int


def _clean_line(text: str) -> str:
    """One line without the column separator: a "|" inside a transcript would shift the
    columns for every tool that reads the file."""
    return " ".join(text.replace("|", " ").split())


def _flac_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def _readme(voice: Voice, clips: int, seconds: float) -> str:
    consent = voice.manifest.consent
    agreed = (f"{consent.given_by} agreed on {consent.date[:10]} that {consent.speaker}'s voice "
              f"may be recreated: “{consent.statement}”" if consent else
              "No consent was recorded in VoiceStudio for this voice.")
    minutes = seconds / 60
    return f"""VOICE BANK: {voice.name}
{'=' * (12 + len(voice.name))}

This folder keeps the recorded voice of {voice.name}: {clips} short clips, about
{minutes:.0f} minutes of speech in all, each with the words that are spoken in it, and the
original recordings they were cut from.

It was made with VoiceStudio so that the voice can be rebuilt later, with VoiceStudio or
with any other voice program, even ones that do not exist yet. Please keep it somewhere
safe, and keep a second copy (a USB stick, a cloud drive) — the recordings cannot be made
again.

Consent: {agreed}
Please respect it when using the voice.

What is inside
--------------
  wavs/           the clips, as FLAC sound files (lossless; any music player opens them)
  originals/      the recordings exactly as they were given to VoiceStudio
  metadata.csv    one line per clip: clip name | words spoken | words spoken | language
                  (the usual layout for voice training, known as "LJSpeech")
  voice.list      the same list for GPT-SoVITS: clip file | speaker | language | words
  segments.json   where each clip was cut from its recording, and which were left out
  voice.json      the voice's name, languages and pronunciation choice
  consent.json    the consent above, if one was recorded

To bring this voice back into VoiceStudio: Edit page → "Import voice bank…", or
    voicestudio bank import "this file.zip"
All text files are UTF-8; languages are written zh (Mandarin) and en (English).
Archive format {BANK_FORMAT}.
"""


def export_bank(
    data_dir: Path,
    voice_name: str,
    target: Path,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> BankReport:
    """Write the voice bank of ``voice_name`` to ``target`` (atomically: never half a file)."""
    voice = VoiceLibrary(Path(data_dir)).find(voice_name)
    dataset = Dataset.open(voice)
    kept = dataset.kept_segments()
    if not kept:
        raise UserInputError(
            f"{voice.name} has no kept segments yet, so there is nothing to put in a voice "
            "bank. Import or record some first.")
    target = Path(target).expanduser()
    if target.is_dir():
        target = target / f"{voice.name}{BANK_SUFFIX}"
    tracker = ProgressTracker(progress, cancel)
    speaker = _clean_line(voice.manifest.consent.speaker if voice.manifest.consent
                          else voice.name)
    metadata, gpt_list = [], []
    with atomic_writer(target) as raw, zipfile.ZipFile(raw, "w") as bank:
        for done, segment in enumerate(kept):
            tracker.step(done, len(kept) + 1, f"Saving clip {done + 1} of {len(kept)}")
            samples, rate = sf.read(dataset.folder / segment.audio_path, dtype="int16")
            name = f"{CLIPS}/{segment.id}.flac"
            bank.writestr(name, _flac_bytes(samples, rate), zipfile.ZIP_STORED)
            text = _clean_line(segment.text)
            metadata.append(f"{segment.id}|{text}|{text}|{segment.lang}")
            gpt_list.append(f"{name}|{speaker}|{segment.lang}|{text}")
        tracker.step(len(kept), len(kept) + 1, "Saving the original recordings")
        for take in dataset.takes:
            bank.write(dataset.folder / take.path,
                       f"{ORIGINALS}/{PurePosixPath(take.path).name}", zipfile.ZIP_STORED)
        deflate = zipfile.ZIP_DEFLATED
        bank.writestr(METADATA, "\n".join(metadata) + "\n", deflate)
        bank.writestr(GPT_SOVITS_LIST, "\n".join(gpt_list) + "\n", deflate)
        bank.writestr(SEGMENTS, json.dumps(
            dataset.index.to_json() | {"bank_format": BANK_FORMAT},
            ensure_ascii=False, indent=1), deflate)
        bank.writestr(MANIFEST, json.dumps(voice.manifest.to_json(), ensure_ascii=False,
                                           indent=2), deflate)
        if voice.manifest.consent:
            bank.writestr(CONSENT, json.dumps(asdict(voice.manifest.consent),
                                              ensure_ascii=False, indent=2), deflate)
        speech = sum(s.duration_seconds for s in kept)
        bank.writestr(README, _readme(voice, len(kept), speech), deflate)
    tracker.step(1, 1, f"Voice bank saved: {len(kept)} clips")
    return BankReport(voice.name, target, len(kept), len(dataset.index.segments),
                      len(dataset.takes))


def _read_json(bank: zipfile.ZipFile, name: str, source: Path) -> dict:
    try:
        return json.loads(bank.read(name).decode("utf-8"))
    except KeyError as exc:
        raise CorruptFileError(f"{source.name} is not a VoiceStudio voice bank (it has no "
                               f"{name}).") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(f"{name} inside {source.name} is damaged.") from exc


def _open_bank(source: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except FileNotFoundError as exc:
        raise NotFoundError(f"There is no file {source}.") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorruptFileError(
            f"{source.name} is not a voice bank, or it is damaged (it is not a readable ZIP "
            "file).") from exc


def import_bank(
    data_dir: Path,
    source: Path,
    name: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> BankReport:
    """Restore a voice bank as a new voice; on any failure no half voice is left behind."""
    source = Path(source).expanduser()
    library = VoiceLibrary(Path(data_dir))
    tracker = ProgressTracker(progress, cancel)
    with _open_bank(source) as bank:
        raw_manifest = _read_json(bank, MANIFEST, source)
        archived = VoiceManifest.from_json(raw_manifest, source / MANIFEST)
        raw_index = _read_json(bank, SEGMENTS, source)
        if int(raw_index.get("bank_format", 0)) > BANK_FORMAT:
            raise UserInputError(f"{source.name} was made by a newer VoiceStudio; update "
                                 "VoiceStudio to import it.")
        try:
            index = SegmentIndex(
                takes=[TakeRecord(**t) for t in raw_index["takes"]],
                segments=[SegmentRecord.from_json(s) for s in raw_index["segments"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptFileError(f"The segment list inside {source.name} is damaged "
                                   f"({exc}).") from exc
        _check_names(index, source)
        voice = library.create(name or archived.name, archived.languages, archived.consent)
        try:
            if archived.accent in ACCENT_CHOICES:
                voice.set_accent(archived.accent)
            clips = _restore_files(bank, voice, index, tracker, source)
        except BaseException:
            shutil.rmtree(voice.folder, ignore_errors=True)
            raise
    return BankReport(voice.name, voice.folder, clips, len(index.segments), len(index.takes))


_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")


def _check_names(index: SegmentIndex, source: Path) -> None:
    """Ids become file names: an archive is someone else's file, so "../" is refused."""
    names = [t.id for t in index.takes] + [s.id for s in index.segments]
    names += [PurePosixPath(t.path).name for t in index.takes]
    bad = [n for n in names if not _SAFE_ID.fullmatch(n) or ".." in n]
    if bad:
        raise CorruptFileError(f"{source.name} names files in a way VoiceStudio does not "
                               f"accept ({bad[0]!r}); it was not imported.")


def _member(bank: zipfile.ZipFile, name: str, source: Path) -> bytes:
    try:
        return bank.read(name)
    except KeyError as exc:
        raise CorruptFileError(f"{source.name} is incomplete: {name} is missing.") from exc
    except (zipfile.BadZipFile, OSError) as exc:  # a CRC error: the archive is damaged
        raise CorruptFileError(f"{name} inside {source.name} is damaged.") from exc


def _restore_files(
    bank: zipfile.ZipFile,
    voice: Voice,
    index: SegmentIndex,
    tracker: ProgressTracker,
    source: Path,
) -> int:
    """Originals into ``takes/``, clips into ``segments/``, then the index, last."""
    dataset = Dataset.open(voice)
    takes_dir = voice.subfolder("takes")
    for take in index.takes:
        file_name = PurePosixPath(take.path).name  # never a path from the archive itself
        target = takes_dir / file_name
        with atomic_writer(target) as out:
            out.write(_member(bank, f"{ORIGINALS}/{file_name}", source))
        take.path = target.relative_to(voice.folder).as_posix()
    names = set(bank.namelist())
    take_audio: dict[str, np.ndarray] = {}
    clips = 0
    for done, segment in enumerate(index.segments):
        tracker.step(done, len(index.segments), f"Restoring clip {done + 1} of "
                     f"{len(index.segments)}")
        clip_name = f"{CLIPS}/{segment.id}.flac"
        if clip_name in names:
            try:
                samples, _ = sf.read(io.BytesIO(_member(bank, clip_name, source)),
                                     dtype="int16")
            except sf.LibsndfileError as exc:
                raise CorruptFileError(f"{clip_name} inside {source.name} is damaged.") \
                    from exc
            clips += 1
        else:  # left out of training when exported: cut again from its original
            if segment.take_id not in take_audio:
                take_audio[segment.take_id] = _take_samples(voice, index, segment.take_id)
            samples = take_audio[segment.take_id][segment.start_sample:segment.end_sample]
        segment.audio_path, segment.audio_sha256 = dataset.write_segment_audio(
            segment.id, samples)
    dataset.add_takes(_by_take(index))
    return clips


def _take_samples(voice: Voice, index: SegmentIndex, take_id: str) -> np.ndarray:
    """A restored take decoded as the segment editor cuts it (it is not in the index yet)."""
    from voicestudio.audio.importer import import_file

    take = next((t for t in index.takes if t.id == take_id), None)
    if take is None:
        raise CorruptFileError(f"A segment in the voice bank names a recording “{take_id}” "
                               "the bank does not hold.")
    return import_file(voice.folder / take.path, SEGMENT_SAMPLE_RATE).samples


def _by_take(index: SegmentIndex) -> Iterable[tuple]:
    return [(take, [s for s in index.segments if s.take_id == take.id])
            for take in index.takes]

