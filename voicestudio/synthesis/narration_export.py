"""Exporting a rendered narration: chapter files or one M4B, subtitles, a compliance report.

* per chapter WAV / FLAC / MP3 (MP3 with ID3 tags), or the whole book as one M4B (AAC in
  MP4) with a chapter mark per chapter, the book's metadata and its cover;
* SRT and VTT subtitles from the sentence timings (for the M4B, one pair for the book);
* publishing presets: each a format and the loudness rules of a place people publish, with
  mastering (``audio.mastering``) to meet them;
* a compliance report per file, measured on the file as written and decoded again (what
  the distributor will measure), not on the audio before encoding.

The synthetic-narration disclosure travels in every file's metadata and in the report.
"""

from __future__ import annotations

import fractions
import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from voicestudio.audio.decode import decode_file
from voicestudio.audio.mastering import Measurement, check, master, measure
from voicestudio.audio.publishing import FORMATS, PRESETS, PublishingPreset
from voicestudio.audio.resample import resample
from voicestudio.errors import UserInputError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.project.atomic import atomic_write_text, atomic_writer
from voicestudio.synthesis.narration import ChapterAudio, NarrationEngine


@dataclass
class FileReport:
    path: str
    title: str
    format: str
    sample_rate: int
    measured: Measurement
    problems: list[str]
    chapters: int = 1

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    subtitles: list[Path] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.reports)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt_text(cues: Sequence[Cue]) -> str:
    blocks = [f"{n}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n"
              for n, c in enumerate(cues, start=1)]
    return "\n".join(blocks)


def vtt_text(cues: Sequence[Cue]) -> str:
    return "WEBVTT\n\n" + "\n".join(
        f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{c.text}\n" for c in cues)


@dataclass
class _Prepared:
    title: str
    audio: np.ndarray
    sample_rate: int
    cues: list[Cue]


def _prepare(chapter: ChapterAudio, title: str, preset: PublishingPreset | None,
             sample_rate: int) -> _Prepared:
    """Resampled and (with a preset) mastered audio, with its sentence cues in seconds."""
    audio = resample(chapter.audio, chapter.sample_rate, sample_rate)
    head = 0.0
    if preset is not None:
        rules = preset.rules
        head = sum(rules.head_seconds) / 2
        audio = master(audio, sample_rate, rules, head=head)
    cues = [Cue(head + start / chapter.sample_rate, head + end / chapter.sample_rate,
                sentence.words)
            for (start, end), sentence in zip(chapter.spans, chapter.sentences, strict=True)]
    return _Prepared(title, audio, sample_rate, cues)


def _file_name(number: int, title: str) -> str:
    cleaned = re.sub(r'[/\\:*?"<>|]+', " ", title)
    cleaned = " ".join(cleaned.split())[:60] or "Chapter"
    return f"{number:02d} {cleaned}"


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or baseline/progressive JPEG, read from its header."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    index = 2
    while index + 9 < len(data) and data[:2] == b"\xff\xd8":
        if data[index] != 0xFF:
            break
        marker, length = data[index + 1], int.from_bytes(data[index + 2:index + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return (int.from_bytes(data[index + 7:index + 9], "big"),
                    int.from_bytes(data[index + 5:index + 7], "big"))
        index += 2 + length
    raise UserInputError("The cover image is damaged or not a JPEG/PNG; choose another.")


def _encode(path: Path, audio: np.ndarray, sample_rate: int, fmt: str, bitrate_kbps: int,
            metadata: dict[str, str], chapters: Sequence[tuple[float, float, str]] = (),
            cover: tuple[bytes, str] | None = None) -> None:
    """Write one file atomically: WAV/FLAC through libsndfile, MP3/M4B through FFmpeg."""
    if fmt in ("wav", "flac"):
        buffer = io.BytesIO()
        sf.write(buffer, np.clip(audio, -1, 1), sample_rate, subtype="PCM_16",
                 format=fmt.upper())
        with atomic_writer(path) as out:
            out.write(buffer.getvalue())
        return
    buffer = io.BytesIO()
    container = av.open(buffer, "w", format="mp4" if fmt == "m4b" else "mp3")
    for key, value in metadata.items():
        if value:
            container.metadata[key] = value
    stream = container.add_stream("aac" if fmt == "m4b" else "libmp3lame", rate=sample_rate,
                                  layout="mono")
    stream.bit_rate = bitrate_kbps * 1000
    picture = None
    if cover is not None and fmt == "m4b":
        png = cover[1] == ".png"
        picture = container.add_stream("png" if png else "mjpeg")
        picture.width, picture.height = image_size(cover[0])
        picture.pix_fmt = "rgb24" if png else "yuvj420p"
        picture.disposition = av.stream.Disposition.attached_pic
    if chapters:
        base = fractions.Fraction(1, 1000)
        container.set_chapters([
            {"id": n, "start": round(start * 1000), "end": round(end * 1000),
             "time_base": base, "metadata": {"title": title}}
            for n, (start, end, title) in enumerate(chapters, start=1)])
    if picture is not None:
        packet = av.Packet(cover[0])
        packet.stream = picture
        packet.pts = packet.dts = 0
        packet.time_base = fractions.Fraction(1, 90000)
        container.mux(packet)
    samples = np.ascontiguousarray(np.clip(audio, -1, 1), dtype=np.float32)
    size = 1152 if fmt == "mp3" else 1024
    for first in range(0, samples.size, size):
        chunk = samples[first:first + size]
        frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = first
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    with atomic_writer(path) as out:
        out.write(buffer.getvalue())


def _report(path: Path, title: str, fmt: str, preset: PublishingPreset | None,
            chapters: int = 1) -> FileReport:
    decoded = decode_file(path)
    measured = measure(decoded.samples, decoded.sample_rate)
    problems = [] if preset is None else check(measured, preset.rules)
    if preset is not None and decoded.sample_rate != preset.sample_rate:
        problems.append(f"{decoded.sample_rate} Hz; {preset.sample_rate} Hz is required")
    return FileReport(str(path), title, fmt, decoded.sample_rate, measured, problems, chapters)


def export_narration(
    engine: NarrationEngine,
    out_dir: Path,
    fmt: str | None = None,
    preset: str | None = None,
    chapter_ids: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Export the project's chapters (all, or ``chapter_ids``) into ``out_dir``."""
    chosen = PRESETS.get(preset) if preset else None
    if preset and chosen is None:
        raise UserInputError(f"Unknown preset '{preset}'; choose one of: {', '.join(PRESETS)}.")
    fmt = fmt or (chosen.format if chosen else "m4b")
    if fmt not in FORMATS:
        raise UserInputError(f"Unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}.")
    project = engine.project
    chapters = [project.chapter(i) for i in chapter_ids] if chapter_ids else [
        c for c in project.chapters if c.text.strip() or c.title.strip()]
    if not chapters:
        raise UserInputError("This narration has no chapters to export. Import a book first.")
    rate = chosen.sample_rate if chosen else (44100 if fmt in ("mp3", "m4b") else 32000)
    bitrate = chosen.bitrate_kbps if chosen else (192 if fmt == "mp3" else 128)
    tracker = ProgressTracker(progress, cancel)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metadata = {"album": project.title, "artist": project.author,
                "composer": project.narrator, "comment": project.disclosure,
                "description": project.disclosure}
    cover = None
    if project.cover_path is not None and project.cover_path.is_file():
        cover = (project.cover_path.read_bytes(), project.cover_path.suffix.lower())
    result = ExportResult()
    prepared = []
    for number, chapter in enumerate(chapters):
        tracker.step(number, len(chapters) + 1, f"Mastering “{chapter.title}”")
        prepared.append(_prepare(engine.chapter_audio(chapter.id), chapter.title, chosen, rate))
    if fmt == "m4b":
        tracker.report(len(chapters) / (len(chapters) + 1), "Writing the audiobook")
        audio = np.concatenate([p.audio for p in prepared])
        marks, cues, offset = [], [], 0.0
        for item in prepared:
            length = item.audio.size / rate
            marks.append((offset, offset + length, item.title))
            cues.extend(Cue(c.start + offset, c.end + offset, c.text) for c in item.cues)
            offset += length
        path = out_dir / f"{_file_name(0, project.title)[3:]}.m4b"
        _encode(path, audio, rate, "m4b", bitrate, {**metadata, "title": project.title},
                marks, cover)
        result.files.append(path)
        result.subtitles.extend(_write_subtitles(path, cues))
        result.reports.append(_report(path, project.title, fmt, chosen, len(prepared)))
    else:
        for number, item in enumerate(prepared, start=1):
            tracker.step(number - 1, len(prepared), f"Writing “{item.title}”")
            path = out_dir / f"{_file_name(number, item.title)}.{fmt}"
            _encode(path, item.audio, rate, fmt, bitrate,
                    {**metadata, "title": item.title, "track": str(number)})
            result.files.append(path)
            result.subtitles.extend(_write_subtitles(path, item.cues))
            result.reports.append(_report(path, item.title, fmt, chosen))
    result.report_path = _write_report(out_dir, engine, chosen, fmt, result)
    tracker.report(1.0, "Export finished: " + ("every file complies" if result.passed else
                                               "some files do not comply; see the report"))
    return result


def _write_subtitles(audio_path: Path, cues: Sequence[Cue]) -> list[Path]:
    srt, vtt = audio_path.with_suffix(".srt"), audio_path.with_suffix(".vtt")
    atomic_write_text(srt, srt_text(cues))
    atomic_write_text(vtt, vtt_text(cues))
    return [srt, vtt]


def _write_report(out_dir: Path, engine: NarrationEngine, preset: PublishingPreset | None,
                  fmt: str, result: ExportResult) -> Path:
    project = engine.project
    lines = [f"Compliance report: {project.title}",
             f"Preset: {preset.name if preset else 'none (figures only)'}; format: {fmt}",
             f"Disclosure (in every file's metadata): {project.disclosure}"]
    if preset is not None and preset.policy:
        lines.append(f"Before you upload: {preset.policy}")
    lines.append("")
    lines.append("Sentence checks per chapter:")
    counts = {}
    for chapter in project.chapters:
        plan = engine.plan(chapter)
        states = [engine.state(plan, i).value for i in range(len(plan.records))]
        counts[chapter.title] = {state: states.count(state) for state in sorted(set(states))}
        flagged = [f"      - sentence {i + 1} “{plan.records[i].words}”: "
                   + "; ".join(plan.records[i].take.problems)
                   for i, state in enumerate(states) if state == "failed check"]
        lines.append(f"  {chapter.title}: {len(states)} sentences, " + ", ".join(
            f"{n} {state}" for state, n in counts[chapter.title].items()))
        lines.extend(flagged)
    lines.append("")
    lines.append("Files:")
    for report in result.reports:
        m = report.measured
        verdict = "PASS" if report.passed else "FAIL"
        if preset is None:
            verdict = "measured"
        lines.append(
            f"{verdict}  {Path(report.path).name}: {m.seconds / 60:.1f} min, RMS "
            f"{m.rms_db:.1f} dB, peak {m.peak_db:.1f} dB, noise floor {m.noise_floor_db:.1f} "
            f"dB, room tone {m.head_seconds:.2f} s head / {m.tail_seconds:.2f} s tail, "
            f"{report.sample_rate} Hz")
        lines.extend(f"      - {problem}" for problem in report.problems)
    raw = {"title": project.title, "preset": preset.key if preset else None, "format": fmt,
           "disclosure": project.disclosure, "policy": preset.policy if preset else "",
           "chapters": counts,
           "files": [{**asdict(r), "passed": r.passed} for r in result.reports]}
    atomic_write_text(out_dir / "report.json", json.dumps(raw, indent=2, ensure_ascii=False))
    path = out_dir / "report.txt"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
