"""The voice library: create, rename, duplicate, delete to trash and restore, on disk."""

from __future__ import annotations

import json

import pytest

from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import FORMAT_VERSION, ConsentRecord, ModelVersion, Voice


@pytest.fixture
def library(tmp_path) -> VoiceLibrary:
    return VoiceLibrary(tmp_path / "data")


def test_create_makes_folder_with_manifest_and_subfolders(library):
    consent = ConsentRecord(speaker="Rose", given_by="Rose", statement="I agree.")
    voice = library.create("Grandma Rose", ["zh", "en"], consent)
    assert voice.folder.parent == library.voices_dir
    for sub in ("takes", "segments", "models", "narrations"):
        assert (voice.folder / sub).is_dir()
    raw = json.loads((voice.folder / "voice.json").read_text())
    assert raw["name"] == "Grandma Rose"
    assert raw["languages"] == ["zh", "en"]
    assert raw["format_version"] == FORMAT_VERSION
    assert raw["consent"]["given_by"] == "Rose"
    assert [e.name for e in library.entries()] == ["Grandma Rose"]


def test_names_are_unique_case_insensitively_and_validated(library):
    library.create("Rose", ["zh"])
    with pytest.raises(UserInputError, match="already exists"):
        library.create("rose", ["en"])
    with pytest.raises(UserInputError, match="needs a name"):
        library.create("   ", ["zh"])
    with pytest.raises(UserInputError, match="cannot contain"):
        library.create("a/b", ["zh"])
    with pytest.raises(UserInputError, match="Unsupported language"):
        library.create("Jim", ["fr"])


def test_rename_moves_folder_and_keeps_content(library):
    voice = library.create("Rose", ["zh"])
    (voice.folder / "takes" / "take1.txt").write_text("keep me")
    renamed = library.rename("rose", "Nana Rose")
    assert renamed.name == "Nana Rose"
    assert not voice.folder.exists() or voice.folder == renamed.folder
    assert (renamed.folder / "takes" / "take1.txt").read_text() == "keep me"
    assert library.find("Nana Rose").manifest.id == voice.manifest.id


def test_duplicate_is_independent_copy_with_new_identity(library):
    voice = library.create("Rose", ["zh"])
    voice.add_model_version(
        ModelVersion("v1", "2026-01-01", "quick", 60.0, "models/v1/s1.ckpt", "models/v1/s2.pth")
    )
    copy = library.duplicate("Rose", "Rose copy")
    assert copy.manifest.id != voice.manifest.id
    assert len(copy.manifest.models) == 1
    copy.manifest.models.clear()
    copy.save()
    assert len(library.find("Rose").manifest.models) == 1


def test_delete_moves_to_trash_and_restore_brings_it_back(library):
    voice = library.create("Rose", ["zh"])
    (voice.folder / "takes" / "precious.wav").write_bytes(b"RIFF....")
    entry = library.delete("Rose")
    assert library.entries() == []
    assert entry.folder.is_dir() and (entry.folder / "takes" / "precious.wav").exists()
    assert [t.name for t in library.trash()] == ["Rose"]
    restored = library.restore("rose")
    assert restored.name == "Rose"
    assert (restored.folder / "takes" / "precious.wav").read_bytes() == b"RIFF...."
    assert library.trash() == []
    with pytest.raises(NotFoundError):
        library.restore("Rose")


def test_restore_refuses_when_a_new_voice_took_the_name(library):
    library.create("Rose", ["zh"])
    library.delete("Rose")
    library.create("Rose", ["en"])
    with pytest.raises(UserInputError, match="already exists"):
        library.restore("Rose")
    assert len(library.trash()) == 1


def test_corrupt_manifest_is_reported_and_never_overwritten(library):
    voice = library.create("Rose", ["zh"])
    library.create("Jim", ["en"])
    damaged = b'{"name": "Rose", "langu'
    voice.manifest_path.write_bytes(damaged)
    entries = {e.folder.name: e for e in library.entries()}
    assert entries["Rose"].voice is None
    assert "damaged" in entries["Rose"].problem
    assert entries["Jim"].voice is not None
    with pytest.raises(CorruptFileError, match="left untouched"):
        library.find("Rose")
    with pytest.raises(CorruptFileError):
        library.rename("Rose", "Rosie")
    assert voice.manifest_path.read_bytes() == damaged


def test_newer_format_manifest_is_refused_with_update_hint(library):
    voice = library.create("Rose", ["zh"])
    raw = json.loads(voice.manifest_path.read_text())
    raw["format_version"] = FORMAT_VERSION + 1
    voice.manifest_path.write_text(json.dumps(raw))
    before = voice.manifest_path.read_bytes()
    with pytest.raises(CorruptFileError, match="newer VoiceStudio"):
        Voice.open(voice.folder)
    assert voice.manifest_path.read_bytes() == before


def test_two_deleted_voices_with_one_name_are_restored_individually(library):
    first = library.create("Rose", ["zh"])
    (first.folder / "takes" / "a.txt").write_text("first")
    library.delete("Rose")
    second = library.create("Rose", ["en"])
    (second.folder / "takes" / "a.txt").write_text("second")
    library.delete("Rose")
    older = library.trash()[-1]
    restored = library.restore_entry(older)
    assert (restored.folder / "takes" / "a.txt").read_text() == "first"
    assert len(library.trash()) == 1


def test_damaged_voice_can_be_trashed_and_restored_untouched(library):
    voice = library.create("Rose", ["zh"])
    voice.manifest_path.write_text("{broken")
    entry = library.delete("Rose")
    assert library.entries() == []
    assert [t.name for t in library.trash()] == ["Rose"]
    assert library.restore_entry(library.trash()[0]) is None
    assert (library.voices_dir / "Rose" / "voice.json").read_text() == "{broken"
    assert not entry.folder.exists()


def test_accent_setting_survives_reopen_and_old_manifests_default_to_keep(library):
    voice = library.create("Rose", ["zh"])
    assert voice.manifest.accent == "keep"
    voice.set_accent("standard")
    assert Voice.open(voice.folder).manifest.accent == "standard"
    with pytest.raises(UserInputError, match="Unknown accent"):
        voice.set_accent("posh")

    raw = json.loads(voice.manifest_path.read_text())
    del raw["accent"]  # a voice made before the setting existed
    voice.manifest_path.write_text(json.dumps(raw))
    assert Voice.open(voice.folder).manifest.accent == "keep"

    raw["accent"] = "posh"
    voice.manifest_path.write_text(json.dumps(raw))
    with pytest.raises(CorruptFileError, match="damaged"):
        Voice.open(voice.folder)
