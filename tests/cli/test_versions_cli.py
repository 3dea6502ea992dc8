"""``voicestudio versions``: list, activate, delete, export as GPT-SoVITS files, import."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicestudio.cli import main
from voicestudio.models.s2 import write_tiny_s2_base_model
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ModelVersion, Voice
from voicestudio.synthesis.tiny_models import write_tiny_s1


@pytest.fixture
def voice(isolated_user_dirs) -> Voice:
    """A voice with two 'trained' versions made of tiny random S1/S2 files."""
    voice = VoiceLibrary(isolated_user_dirs).create("Nana Rose", ["en"])
    for n, version_id in enumerate(("20260101-100000", "20260102-100000")):
        folder = voice.subfolder("models") / version_id
        folder.mkdir(parents=True)
        write_tiny_s1(folder / "s1.ckpt", seed=n)
        write_tiny_s2_base_model(folder / "s2.pth", seed=n)
        voice.add_model_version(ModelVersion(
            version_id, f"2026-01-0{n + 1}T10:00:00+00:00", "quick", 61.0,
            f"models/{version_id}/s1.ckpt", f"models/{version_id}/s2.pth",
            scores={"similarity": 0.81 + n / 10, "wer": 0.1}))
    return voice


def test_list_activate_delete(voice, capsys):
    assert main(["versions", "Nana Rose"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out if "2026" in line]
    assert rows[0].startswith("* 20260102-100000") and "similarity 0.91, WER 10%" in rows[0]
    assert rows[1].startswith("  20260101-100000") and "quick" in rows[1] and "61s" in rows[1]

    assert main(["versions", "activate", "Nana Rose", "20260101-100000"]) == 0
    assert Voice.open(voice.folder).active_version().version_id == "20260101-100000"
    assert main(["versions", "Nana Rose"]) == 0
    assert "* 20260101-100000" in capsys.readouterr().out

    assert main(["versions", "delete", "Nana Rose", "20260101-100000"]) == 0
    reopened = Voice.open(voice.folder)
    assert [m.version_id for m in reopened.manifest.models] == ["20260102-100000"]
    assert reopened.active_version().version_id == "20260102-100000"  # the one left speaks
    assert not (voice.folder / "models/20260101-100000").exists()

    capsys.readouterr()
    assert main(["versions", "activate", "Nana Rose", "nope"]) == 2
    assert "no model version “nope”" in capsys.readouterr().err
    assert main(["versions", "export", "Nana Rose"]) == 2
    assert "Usage: voicestudio versions export VOICE ID DIR" in capsys.readouterr().err


def test_export_writes_gptsovits_files_that_import_as_a_new_voice(voice, tmp_path, capsys):
    out_dir = tmp_path / "export"
    assert main(["versions", "export", "Nana Rose", "20260102-100000", str(out_dir)]) == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["Nana_Rose-20260102-100000.ckpt", "Nana_Rose-20260102-100000.pth",
                     "README.txt"]
    source = voice.folder / "models/20260102-100000"
    assert (out_dir / names[0]).read_bytes() == (source / "s1.ckpt").read_bytes()
    assert (out_dir / names[1]).read_bytes() == (source / "s2.pth").read_bytes()
    readme = (out_dir / "README.txt").read_text(encoding="utf-8")
    assert "GPT_weights_v2" in readme and "SoVITS_weights_v2" in readme

    assert main(["versions", "import", "Copy of Nana", str(out_dir / names[0]),
                 str(out_dir / names[1]), "--lang", "en"]) == 0
    copy = VoiceLibrary(voice.folder.parents[1]).find("Copy of Nana")
    active = copy.active_version()
    assert active is not None and active.preset == "imported"
    assert (copy.folder / active.s1_path).read_bytes() == (source / "s1.ckpt").read_bytes()


def test_import_refuses_files_that_are_not_models(isolated_user_dirs, tmp_path, capsys):
    junk = tmp_path / "x.ckpt"
    junk.write_bytes(b"not a model")
    other = tmp_path / "x.pth"
    other.write_bytes(b"nor this")
    assert main(["versions", "import", "Junk", str(junk), str(other)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not VoiceLibrary(Path(isolated_user_dirs)).voices()
