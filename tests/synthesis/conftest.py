"""Shared set-up for the synthesis tests: one tiny base-model set.

The tiny set is installed once per session through the real CLI command (`voicestudio models
install-tiny`), so that command is exercised and every synthesis test reads the exact layout
a user's data folder has.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from voicestudio.cli import main


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("tiny-data")
    assert main(["models", "install-tiny", "--data-dir", str(data_dir)]) == 0
    return data_dir
