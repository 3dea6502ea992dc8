"""Fixtures of the training tests; the tiny models themselves live in ``tiny_training``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_training import write_features

from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice


@pytest.fixture(autouse=True)
def one_cpu_thread():
    """Tiny models spend their time in per-op overhead, which extra threads only multiply
    (several times slower on a busy two-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_voice(isolated_user_dirs: Path) -> Voice:
    voice = VoiceLibrary(isolated_user_dirs).create("Tiny", ["en"])
    write_features(voice.folder)
    return voice
