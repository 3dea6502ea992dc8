"""Exports read back with the right durations, chapter marks, subtitles and compliance."""

from __future__ import annotations

import re

import av
import numpy as np
import pytest
import soundfile as sf
from narration_fakes import CountingRenderer
from synth_signals import babble

from voicestudio.audio.mastering import LoudnessRules, check, master, measure
from voicestudio.errors import UserInputError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.narration import DISCLOSURE, create_narration
from voicestudio.synthesis.narration import NarrationEngine
from voicestudio.synthesis.narration_export import export_narration

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c"
                    "4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082")


@pytest.fixture
def engine(tmp_path) -> NarrationEngine:
    voice = VoiceLibrary(tmp_path / "data").create("Reader", ["en"])
    project = create_narration(voice, "Small Book", "A. Author")
    project.settings.seed = 7  # the stand-in's audio follows the seeds: same audio each run
    project.add_chapter("Chapter One", "The sun rose over the hills. Birds sang.\n\nIt was warm.")
    project.add_chapter("Chapter Two", "Night came slowly. The stars were out.")
    project.set_cover(PNG, ".png")
    project.save()
    engine = NarrationEngine(project, CountingRenderer())
    for chapter in project.chapters:
        engine.render_chapter(chapter.id)
    return engine


def _cues(path):
    text = path.read_text(encoding="utf-8")
    stamps = re.findall(r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d) --> (\d\d):(\d\d):(\d\d)[,.](\d\d\d)",
                        text)
    return [(int(a) * 3600 + int(b) * 60 + int(c) + int(d) / 1000,
             int(e) * 3600 + int(f) * 60 + int(g) + int(h) / 1000) for a, b, c, d, e, f, g, h
            in stamps]


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_chapter_files_and_subtitles_match_the_rendered_audio(engine, tmp_path, fmt):
    result = export_narration(engine, tmp_path / "out", fmt)
    assert [p.name for p in result.files] == [f"01 Chapter One.{fmt}", f"02 Chapter Two.{fmt}"]
    for path, chapter in zip(result.files, engine.project.chapters, strict=True):
        audio = engine.chapter_audio(chapter.id)
        info = sf.info(path)
        assert info.frames == audio.audio.size and info.samplerate == 32000
        cues = _cues(path.with_suffix(".srt"))
        assert len(cues) == len(audio.sentences)
        flat = [t for cue in cues for t in cue]
        assert flat == sorted(flat) and cues[-1][1] <= info.duration + 1e-3
        for (start, end), (s0, s1) in zip(cues, audio.spans, strict=True):
            assert start == pytest.approx(s0 / 32000, abs=1e-3)
            assert end == pytest.approx(s1 / 32000, abs=1e-3)
        assert path.with_suffix(".vtt").read_text().startswith("WEBVTT")
    assert "figures only" in result.report_path.read_text()


def test_m4b_has_chapter_marks_metadata_and_cover(engine, tmp_path):
    result = export_narration(engine, tmp_path / "out", "m4b", preset="apple")
    (path,) = result.files
    assert path.suffix == ".m4b"
    with av.open(str(path)) as container:
        marks = container.chapters()
        assert [m["metadata"]["title"] for m in marks] == ["Chapter One", "Chapter Two"]
        seconds = [(m["start"] * m["time_base"], m["end"] * m["time_base"]) for m in marks]
        assert seconds[0][0] == 0 and seconds[0][1] == seconds[1][0]
        assert float(seconds[1][1]) == pytest.approx(container.duration / 1e6, abs=0.1)
        assert container.metadata["comment"] == DISCLOSURE
        assert container.metadata["album"] == "Small Book"
        assert any(s.disposition & av.stream.Disposition.attached_pic for s in container.streams)
    # each chapter mark is as long as its chapter's audio plus the mastering's room tone
    # (0.75 s at the head, 2 s at the tail)
    for (start, end), chapter in zip(seconds, engine.project.chapters, strict=True):
        body = engine.chapter_audio(chapter.id).audio.size / 32000
        assert float(end - start) == pytest.approx(body + 0.75 + 2.0, abs=0.05)
    cues = _cues(path.with_suffix(".srt"))
    assert len(cues) == 7 and [t for c in cues for t in c] == sorted(t for c in cues for t in c)
    assert cues[4][0] > float(seconds[1][0])  # chapter two's cues start inside its mark
    (report,) = result.reports
    assert report.passed, report.problems


def test_acx_mp3_is_mastered_into_compliance_and_says_the_policy(engine, tmp_path):
    result = export_narration(engine, tmp_path / "out", preset="acx")
    assert all(p.suffix == ".mp3" for p in result.files)
    for report in result.reports:
        assert report.passed, report.problems
        assert report.sample_rate == 44100
        assert -23 <= report.measured.rms_db <= -18 and report.measured.peak_db <= -3
    with av.open(str(result.files[0])) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name.startswith("mp3") and stream.sample_rate == 44100
        assert abs(container.bit_rate - 192000) < 8000
    text = result.report_path.read_text()
    assert "invited" in text and "PASS" in text and "digital voice" in text
    with pytest.raises(UserInputError, match="Unknown preset"):
        export_narration(engine, tmp_path / "x", preset="nope")


def test_compliance_fails_a_raw_file_and_passes_it_mastered():
    rules = LoudnessRules()
    raw = np.concatenate([babble(6.0, level=0.95, seed=s) for s in range(3)])
    raw += np.random.default_rng(0).normal(0, 0.01, raw.size).astype(np.float32)  # hiss
    problems = check(measure(raw, 32000), rules)
    assert any("peak" in p for p in problems) and any("noise floor" in p for p in problems)
    assert any("head" in p for p in problems)
    clean = np.concatenate([babble(6.0, level=0.95, seed=s) for s in range(3)])
    mastered = master(clean, 32000, rules)
    figures = measure(mastered, 32000)
    assert check(figures, rules) == [], figures
    assert 0.5 <= figures.head_seconds <= 1.0 and 1.0 <= figures.tail_seconds <= 5.0
