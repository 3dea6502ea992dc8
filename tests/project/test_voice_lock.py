"""One lock per voice: what changes a voice refuses while another process or thread uses it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from voicestudio.errors import NotFoundError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.locks import VoiceInUseError, voice_in_use, voice_lock

REPO_ROOT = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent("""
    import sys
    from voicestudio.project.library import VoiceLibrary
    from voicestudio.project.locks import voice_lock
    voice = VoiceLibrary(sys.argv[1]).find(sys.argv[2])
    with voice_lock(voice, "adding recordings"):
        print("held", flush=True)
        sys.stdin.readline()
""")


@pytest.fixture
def library(tmp_path) -> VoiceLibrary:
    library = VoiceLibrary(tmp_path / "data")
    library.create("Rose", ["en"])
    return library


@pytest.fixture
def held_by_other_process(library):
    """A second process holding Rose's lock until the test ends (or kills it)."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(library.data_dir), "Rose"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )
    try:
        assert child.stdout.readline().strip() == "held"
        yield child
    finally:
        if child.poll() is None:
            child.stdin.write("\n")
            child.stdin.flush()
        child.wait(timeout=30)


def test_a_voice_in_use_elsewhere_cannot_be_deleted_renamed_or_copied(library,
                                                                     held_by_other_process):
    for change in (lambda: library.delete("Rose"), lambda: library.rename("Rose", "Lily"),
                   lambda: library.duplicate("Rose", "Rose 2")):
        with pytest.raises(VoiceInUseError) as refused:
            change()
        message = str(refused.value)
        assert "adding recordings" in message  # says by what
        assert f"process {held_by_other_process.pid}" in message
        assert "Nothing was changed" in message
    assert [e.name for e in library.entries()] == ["Rose"]
    assert library.trash() == []
    holder = voice_in_use(library.find("Rose"))
    assert holder is not None and holder.pid == held_by_other_process.pid


def test_the_lock_goes_with_a_killed_process(library, held_by_other_process):
    os.kill(held_by_other_process.pid, signal.SIGKILL)
    held_by_other_process.wait(timeout=30)
    assert voice_in_use(library.find("Rose")) is None
    library.rename("Rose", "Lily")
    assert [e.name for e in library.entries()] == ["Lily"]


def test_another_thread_is_refused_and_the_same_thread_may_nest(library):
    voice = library.find("Rose")
    refused: list[Exception] = []

    def other_thread() -> None:
        try:
            library.delete("Rose")
        except VoiceInUseError as exc:
            refused.append(exc)

    with voice_lock(voice, "training"):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        renamed = library.rename("Rose", "Lily")  # this thread holds it: nested, allowed
    assert len(refused) == 1 and "training" in str(refused[0])
    assert renamed.name == "Lily"
    library.delete("Lily")  # free again once the holder is done
    assert [e.name for e in library.trash()] == ["Lily"]


def test_a_voice_deleted_before_the_lock_was_taken_is_not_written_anew(library):
    voice = library.find("Rose")
    library.delete("Rose")
    with pytest.raises(NotFoundError, match="renamed or deleted"):
        with voice_lock(voice, "adding recordings"):
            pass
    with pytest.raises(NotFoundError, match="no longer"):
        voice.save()
    assert not voice.folder.exists()
