"""An interrupted manifest save leaves the previous or the new manifest, never a torn one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from voicestudio.errors import DiskFullError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice


@pytest.fixture
def voice(tmp_path) -> Voice:
    return VoiceLibrary(tmp_path / "data").create("Rose", ["zh"])


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_failure_at_each_step_keeps_previous_manifest(voice, monkeypatch, step):
    before = voice.manifest_path.read_bytes()
    target = {"write": "os.fdopen", "fsync": "os.fsync", "replace": "os.replace"}[step]

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(target, fail)
    voice.manifest.name = "Changed"
    with pytest.raises(DiskFullError) as caught:
        voice.save()
    monkeypatch.undo()
    assert "is full" in str(caught.value) and "Nothing was changed" in str(caught.value)
    assert voice.manifest_path.read_bytes() == before
    assert Voice.open(voice.folder).name == "Rose"
    leftovers = [p.name for p in voice.folder.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_killed_writer_always_leaves_a_readable_manifest(voice, tmp_path):
    """SIGKILL a process that keeps rewriting the manifest, at several moments."""
    script = textwrap.dedent(
        f"""
        import sys
        from voicestudio.project.voice import Voice
        v = Voice.open({str(voice.folder)!r})
        i = 0
        print("ready", flush=True)
        while True:
            i += 1
            v.manifest.name = f"Rose {{i}}"
            v.manifest.languages = ["zh"] * (1 + i % 500)  # vary the size of the file
            v.save()
        """
    )
    mid_write = 0  # kills that landed while a new manifest was half written
    for attempt in range(40):
        proc = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.037 * (attempt % 7))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reopened = Voice.open(voice.folder)
        assert reopened.name.startswith("Rose")
        # A temporary beside the manifest means the kill came between creating the new file
        # and renaming it into place: exactly the moment a non-atomic save would tear.
        leftovers = list(voice.folder.glob(".voice.json.*.tmp"))
        if leftovers:
            mid_write += 1
            for leftover in leftovers:
                leftover.unlink()
        if mid_write >= 3:
            break
    assert mid_write >= 3, "no kill landed in the middle of a save; the test proved nothing"


def test_saved_files_get_normal_permissions(voice):
    mode = voice.manifest_path.stat().st_mode & 0o777
    assert mode & 0o044, "manifest should be readable like any file the person saves"
