"""Fixtures for the hub tests: a loopback hub and an address where nothing listens."""

from __future__ import annotations

import os
import socket

import huggingface_hub.constants
import pytest
from fakehub import FakeHub, serving

# A proxy from the environment must not swallow loopback requests.
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake_hub(monkeypatch) -> FakeHub:
    """A running loopback hub; huggingface_hub's offline switch (set by tests/conftest) is off."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with serving() as hub:
        yield hub


@pytest.fixture
def unused_endpoint(monkeypatch) -> str:
    """An address where nothing listens: connecting is refused, like a machine offline."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
