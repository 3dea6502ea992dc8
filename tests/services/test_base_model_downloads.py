"""What Download fetches (the Base models page, ``models download`` without ids): the
family's base models, the speaker check, and a speech-recognition model until one is
installed."""

from __future__ import annotations

from voicestudio.audio import transcribe
from voicestudio.hub.catalogue import COMPANION_IDS, required_ids
from voicestudio.hub.install import staged_install
from voicestudio.services import base_model_downloads
from voicestudio.services.base_model_downloads import download_ids


def test_download_brings_speech_recognition_sized_for_the_machine_until_one_is_there(
        tmp_path, monkeypatch):
    monkeypatch.setattr(transcribe, "cuda_available", lambda: False)
    monkeypatch.setattr(transcribe.os, "cpu_count", lambda: 2)
    assert base_model_downloads.speech_recognition_id() == "whisper-base"  # multilingual
    for family in ("v2", "v2Pro"):
        assert download_ids(tmp_path, family) == (
            *required_ids(family), *COMPANION_IDS, "whisper-base")
    monkeypatch.setattr(transcribe.os, "cpu_count", lambda: 16)
    assert download_ids(tmp_path, "v2")[-1] == "whisper-small"

    with staged_install(tmp_path, "whisper-tiny", "import") as folder:  # one of any size
        for file in ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt"):
            (folder / file).write_text("{}")
    assert download_ids(tmp_path, "v2") == (*required_ids("v2"), *COMPANION_IDS)
