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
