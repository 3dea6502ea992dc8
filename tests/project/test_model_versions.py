"""Which model version speaks for a voice: the chosen one, else the newest."""

from __future__ import annotations

import pytest

from voicestudio.errors import NotFoundError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ModelVersion, Voice, now_iso


def _version(version_id: str) -> ModelVersion:
    return ModelVersion(version_id, now_iso(), "quick", 30.0, f"models/{version_id}/s1.ckpt",
                        f"models/{version_id}/s2.pth", scores={"similarity": 0.8})


def test_the_chosen_version_speaks_and_survives_a_reopen(isolated_user_dirs):
    voice = VoiceLibrary(isolated_user_dirs).create("Rose", ["en"])
    assert voice.active_version() is None
    voice.add_model_version(_version("a"))
    voice.add_model_version(_version("b"))
    assert voice.active_version().version_id == "b"  # nothing chosen: the newest
    voice.set_active_version("a")
    reopened = Voice.open(voice.folder)
    assert reopened.active_version().version_id == "a"
    assert reopened.active_version().scores == {"similarity": 0.8}
    with pytest.raises(NotFoundError, match="no model version “zz”"):
        reopened.set_active_version("zz")
    reopened.manifest.models = [m for m in reopened.manifest.models if m.version_id != "a"]
    assert reopened.active_version().version_id == "b"  # the chosen one is gone: the newest
