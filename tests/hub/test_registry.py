"""The registry: install markers, the tiny set, damaged installs and the messages people see."""

from __future__ import annotations

import json

import pytest
from fakehub import tree_files

from voicestudio.errors import MissingModelError, UserInputError, VoiceStudioError
from voicestudio.hub.catalogue import REQUIRED_IDS, SPECS, asr_spec_id, get_spec
from voicestudio.hub.install import install_lock, staged_install
from voicestudio.hub.layout import staging_dir
from voicestudio.hub.marker import TINY_NOTE
from voicestudio.hub.status import (
    installed_summary,
    model_state,
    require,
    require_file,
    verify_installed,
)


def install_tiny(data_dir, spec_id: str) -> None:
    """What the tiny-set writer does: files in the official layout, source "tiny"."""
    spec = SPECS[spec_id]
    with staged_install(data_dir, spec_id, "tiny") as folder:
        for f in spec.files:
            name = "model.safetensors" if f.name == "pytorch_model.bin" else f.name
            data = b"{}" if name.endswith(".json") else b"tiny " + name.encode()
            (folder / name).write_bytes(data)


def test_nothing_installed(isolated_user_dirs):
    summary = installed_summary(isolated_user_dirs)
    assert summary.present == () and summary.missing == REQUIRED_IDS
    assert not summary.ready and "voicestudio models download" in summary.message
    with pytest.raises(MissingModelError, match="Base models are not installed") as info:
        require(isolated_user_dirs, "s1-v2")
    assert "Open VoiceStudio → Base models" in str(info.value)


def test_tiny_set_is_recognised_and_marked(isolated_user_dirs):
    for spec_id in REQUIRED_IDS:
        install_tiny(isolated_user_dirs, spec_id)

    summary = installed_summary(isolated_user_dirs)
    assert summary.ready and summary.tiny == REQUIRED_IDS
    assert TINY_NOTE in summary.message
    marker = json.loads((isolated_user_dirs / "base-models/s2g-v2/model.json").read_text())
    assert marker["source"] == "tiny" and marker["note"] == TINY_NOTE
    assert require_file(isolated_user_dirs, "s2g-v2").name == "s2G.pth"
    # HuBERT saved by transformers as model.safetensors still answers for the weights file.
    assert require_file(isolated_user_dirs, "hubert").name == "model.safetensors"
    assert model_state(isolated_user_dirs, "hubert").state == "tiny"
    assert tree_files(isolated_user_dirs / "base-models" / ".incoming") == {}


def test_incomplete_staged_install_installs_nothing(isolated_user_dirs):
    with pytest.raises(UserInputError, match="preprocessor_config.json is missing"):
        with staged_install(isolated_user_dirs, "hubert", "tiny") as folder:
            (folder / "config.json").write_text("{}")
            (folder / "pytorch_model.bin").write_bytes(b"x")
    assert model_state(isolated_user_dirs, "hubert").state == "missing"
    assert not staging_dir(isolated_user_dirs, "hubert").exists()


def test_damaged_install_is_reported_not_used(isolated_user_dirs):
    install_tiny(isolated_user_dirs, "bert")
    (isolated_user_dirs / "base-models/bert/tokenizer.json").unlink()

    state = model_state(isolated_user_dirs, "bert")
    assert state.state == "damaged" and "tokenizer.json is missing" in state.problem
    assert installed_summary(isolated_user_dirs).missing[-1] == "bert"
    with pytest.raises(MissingModelError, match="damaged.*models download bert"):
        require(isolated_user_dirs, "bert")


def test_verify_finds_a_changed_file_of_the_same_size(isolated_user_dirs):
    install_tiny(isolated_user_dirs, "s1-v2")
    verify_installed(isolated_user_dirs, "s1-v2")
    ckpt = require_file(isolated_user_dirs, "s1-v2")
    ckpt.write_bytes(ckpt.read_bytes().upper())
    with pytest.raises(MissingModelError, match="does not match its recorded checksum"):
        verify_installed(isolated_user_dirs, "s1-v2")


def test_unknown_ids_and_bad_asr_names(isolated_user_dirs):
    with pytest.raises(UserInputError, match="Unknown base model “s3”"):
        get_spec("s3")
    assert asr_spec_id("Whisper-Small.en") == "whisper-small.en"
    for bad in ("", "../x", "a/b", "x" * 60):
        with pytest.raises(UserInputError):
            asr_spec_id(bad)


def test_every_registry_entry_is_consistent():
    for spec_id, spec in SPECS.items():
        assert spec.id == spec_id and spec.downloadable and spec.files
        names = [f.name for f in spec.files]
        assert len(set(names)) == len(names)
        assert all(f.sha256 is None or len(f.sha256) == 64 for f in spec.files)
    assert REQUIRED_IDS == ("s1-v2", "s2g-v2", "s2d-v2", "hubert", "bert")


def test_one_install_of_a_model_at_a_time(isolated_user_dirs):
    with install_lock(isolated_user_dirs, "bert"):
        with pytest.raises(VoiceStudioError, match="being installed by another"):
            with staged_install(isolated_user_dirs, "bert", "tiny"):
                pass
        with install_lock(isolated_user_dirs, "hubert"):  # other models are free
            pass
    install_tiny(isolated_user_dirs, "bert")  # released when the holder is done
    assert model_state(isolated_user_dirs, "bert").state == "tiny"
