"""Counts read as English: "1 segment", "1 model", "2 models"."""

from __future__ import annotations

from voicestudio.cli import main
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ModelVersion
from voicestudio.text.wording import count


def test_count_uses_the_singular_for_one():
    assert [count(n, "segment") for n in (0, 1, 2)] == ["0 segments", "1 segment", "2 segments"]
    assert count(1, "child", "children") == "1 child" and count(3, "child", "children") == \
        "3 children"


def test_voices_list_says_one_model_not_one_models(tmp_path, capsys):
    voice = VoiceLibrary(tmp_path).create("Rose", ["en"])
    voice.add_model_version(ModelVersion("v1", "2026-05-01T10:00:00Z", "quick", 60.0,
                                         "models/v1/s1.ckpt", "models/v1/s2G.pth"))
    assert main(["voices", "list", "--data-dir", str(tmp_path)]) == 0
    row = capsys.readouterr().out.splitlines()[0].split("\t")
    assert row[2:4] == ["0 segments", "1 model"]
