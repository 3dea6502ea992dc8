"""`voicestudio narrate` end to end on the tiny base models: import, render, check, export;
the same command again resumes without rendering anything."""

from __future__ import annotations

import json

import av
import pytest
import soundfile as sf
from synth_signals import babble

from voicestudio.cli import main
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.narration import list_narrations


@pytest.fixture
def data_dir(tiny_data_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "base-models").symlink_to(tiny_data_dir / "base-models")
    VoiceLibrary(data).create("Reader", ["en"])
    return data


def test_narrate_renders_checks_and_exports_then_resumes(data_dir, tmp_path, capsys):
    book = tmp_path / "tale.md"
    book.write_text("# A Tale\n\n## One\n\nThe sun rose.\n\n## Two\n\nIt was warm.\n",
                    encoding="utf-8")
    ref = tmp_path / "ref.wav"
    sf.write(ref, babble(4.0), 32000)
    out = tmp_path / "out"
    args = ["narrate", str(book), "--voice", "Reader", "--out", str(out), "--ref", str(ref),
            "--ref-text", "One two three, four five.", "--lang", "en", "--format", "mp3",
            "--retries", "0", "--no-asr", "--device", "cpu", "--data-dir", str(data_dir)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "One: 2 sentences" in printed and "Two: 2 sentences" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == ["01 One.mp3", "01 One.srt", "01 One.vtt", "02 Two.mp3", "02 Two.srt",
                     "02 Two.vtt", "report.json", "report.txt"]
    with av.open(str(out / "01 One.mp3")) as container:
        assert container.duration > 0.5e6
        assert "digital voice" in container.metadata.get("comment", "")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["chapters"]) == {"One", "Two"} and len(report["files"]) == 2
    (project,) = list_narrations(VoiceLibrary(data_dir).find("Reader"))
    assert project.title == "A Tale"

    assert main(args) == 0  # the same command: nothing left to render
    captured = capsys.readouterr()
    assert "continued the narration" in captured.err
    assert captured.out.count("0 rendered now") == 2


def test_narrate_bad_input_is_one_line_and_exit_2(data_dir, tmp_path, capsys):
    book = tmp_path / "b.txt"
    book.write_text("Hello there.", encoding="utf-8")
    base = ["--out", str(tmp_path / "o"), "--data-dir", str(data_dir)]
    assert main(["narrate", str(tmp_path / "missing.txt"), "--voice", "Reader", *base]) == 2
    assert "no book file" in capsys.readouterr().err
    assert main(["narrate", str(book), "--voice", "Nobody", *base]) == 2
    assert main(["narrate", str(book), "--voice", "Reader", *base]) == 2  # no clip to copy
    assert "clean clips" in capsys.readouterr().err
