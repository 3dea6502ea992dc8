"""The voice bank: export writes one open archive (FLAC clips, LJSpeech metadata.csv, a
GPT-SoVITS .list, consent, manifest, README); import restores the voice from it exactly."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import soundfile as sf
from segment_voice import make_segmented_voice

from voicestudio.cli import main
from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ACCENT_STANDARD, ConsentRecord
from voicestudio.services.dataset import open_dataset
from voicestudio.services.voice_bank import export_bank, import_bank


@pytest.fixture
def voice(tmp_path):
    voice = make_segmented_voice(tmp_path, "Grandma Rose")
    voice.manifest.consent = ConsentRecord("Rose", "Rose herself", "I agree to my voice "
                                           "being recreated for my family.")
    voice.set_accent(ACCENT_STANDARD)
    dataset = open_dataset(tmp_path, voice.name)
    dataset.update_text(dataset.segments[0].id, "The lake | was calm that morning")
    dataset.set_kept(dataset.segments[1].id, False)  # left out: no clip, but restored
    dataset.set_deleted(dataset.segments[2].id, True)
    return voice


def test_export_then_import_round_trips_every_segment(tmp_path, voice, capsys):
    before = open_dataset(tmp_path, voice.name)
    bank_path = tmp_path / "rose.zip"
    code = main(["--data-dir", str(tmp_path), "bank", "export", voice.name, str(bank_path)])
    out = capsys.readouterr().out
    assert code == 0 and "2 clips" in out

    with zipfile.ZipFile(bank_path) as bank:
        names = set(bank.namelist())
        kept = before.kept_segments()
        assert {f"wavs/{s.id}.flac" for s in kept} <= names
        assert {"README.txt", "metadata.csv", "voice.list", "segments.json", "voice.json",
                "consent.json", f"originals/{before.takes[0].path.split('/')[-1]}"} <= names
        metadata = bank.read("metadata.csv").decode().splitlines()
        assert metadata[0] == f"{kept[0].id}|The lake was calm that morning|" \
                              "The lake was calm that morning|en"
        gpt_list = bank.read("voice.list").decode().splitlines()
        assert gpt_list[1] == f"wavs/{kept[1].id}.flac|Rose|en|{kept[1].text}"
        readme = bank.read("README.txt").decode()
        assert "Grandma Rose" in readme and "Rose herself agreed" in readme
        for segment in kept:  # lossless: the FLAC decodes to the segment's own samples
            flac, rate = sf.read(io.BytesIO(bank.read(f"wavs/{segment.id}.flac")),
                                 dtype="int16")
            wav, _ = sf.read(before.folder / segment.audio_path, dtype="int16")
            assert rate == 32000 and np.array_equal(flac, wav)

    code = main(["--data-dir", str(tmp_path), "bank", "import", str(bank_path),
                 "--name", "Rose again"])
    assert code == 0, capsys.readouterr().err
    after = open_dataset(tmp_path, "Rose again")
    assert after.voice.manifest.consent == voice.manifest.consent
    assert after.voice.manifest.accent == ACCENT_STANDARD
    assert [s.id for s in after.index.segments] == [s.id for s in before.index.segments]
    for old, new in zip(before.index.segments, after.index.segments, strict=True):
        assert (new.text, new.lang, new.kept, new.deleted, new.flags, new.start_sample,
                new.end_sample) == (old.text, old.lang, old.kept, old.deleted, old.flags,
                                    old.start_sample, old.end_sample)
        assert np.array_equal(sf.read(after.folder / new.audio_path, dtype="int16")[0],
                              sf.read(before.folder / old.audio_path, dtype="int16")[0])
    take = after.takes[0]
    assert (after.folder / take.path).read_bytes() == \
        (before.folder / before.takes[0].path).read_bytes()


def test_import_refuses_a_taken_name_and_a_damaged_file_leaving_nothing(tmp_path, voice):
    bank_path = export_bank(tmp_path, voice.name, tmp_path).path
    assert bank_path.name == "Grandma Rose.voicebank.zip"
    with pytest.raises(UserInputError):
        import_bank(tmp_path, bank_path)  # "Grandma Rose" exists already
    damaged = tmp_path / "damaged.zip"
    data = bytearray(bank_path.read_bytes())
    damaged.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(CorruptFileError, match="damaged"):
        import_bank(tmp_path, damaged, "Copy")
    assert [e.name for e in VoiceLibrary(tmp_path).entries()] == ["Grandma Rose"]


def test_a_voice_with_nothing_kept_has_no_bank(tmp_path):
    voice = VoiceLibrary(tmp_path).create("Empty", ["en"])
    with pytest.raises(UserInputError, match="nothing to put"):
        export_bank(tmp_path, voice.name, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_an_archive_naming_files_outside_the_voice_is_refused(tmp_path, voice):
    import json

    bank_path = export_bank(tmp_path, voice.name, tmp_path / "rose.zip").path
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(bank_path) as good, zipfile.ZipFile(evil, "w") as bad:
        for item in good.infolist():
            data = good.read(item)
            if item.filename == "segments.json":
                index = json.loads(data)
                index["segments"][0]["id"] = "../../escaped"
                data = json.dumps(index).encode()
            bad.writestr(item, data)
    with pytest.raises(CorruptFileError, match="not imported"):
        import_bank(tmp_path, evil, "Evil")
    assert not list(tmp_path.rglob("escaped*"))
    assert [e.name for e in VoiceLibrary(tmp_path).entries()] == ["Grandma Rose"]
