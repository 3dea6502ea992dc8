"""A full disk: a plain message that says so and that nothing changed, never a traceback.

The simulated tests make every fsync fail with ENOSPC (what a full drive does to a write that
is being made durable); the command tests fill a real, tiny tmpfs when this machine lets
the tests mount one (root, as in CI).
"""

from __future__ import annotations

import errno
import json

import pytest
from small_disk import fill, mounted_tmpfs

from voicestudio.cli import main
from voicestudio.errors import DiskFullError
from voicestudio.project import atomic
from voicestudio.project.atomic import atomic_write_json
from voicestudio.project.library import VoiceLibrary


@pytest.fixture
def enospc_on_fsync(monkeypatch):
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)


def test_a_save_on_a_full_disk_says_so_and_keeps_the_old_file(tmp_path, enospc_on_fsync):
    target = tmp_path / "voice.json"
    target.write_text('{"old": true}')
    with pytest.raises(DiskFullError) as caught:
        atomic_write_json(target, {"new": True})
    message = str(caught.value)
    assert "is full" in message and "Nothing was changed" in message and "voice.json" in message
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["voice.json"]  # no temporary left


def test_a_voice_not_created_for_lack_of_space_leaves_no_half_made_folder(tmp_path,
                                                                          enospc_on_fsync):
    library = VoiceLibrary(tmp_path / "data")
    with pytest.raises(DiskFullError, match="was not created"):
        library.create("Rose", ["en"])
    assert list(library.voices_dir.iterdir()) == []
    assert library.entries() == []


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs as the data folder, or a skip where mounting is not allowed."""
    with mounted_tmpfs(tmp_path) as mount:
        yield mount


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_commands_on_a_full_disk_give_one_line_and_change_nothing(small_disk, capsys):
    data = str(small_disk / "data")
    assert main(["--data-dir", data, "voices", "create", "Rose", "--lang", "en"]) == 0
    manifest = (small_disk / "data" / "voices" / "Rose" / "voice.json").read_text()
    fill(small_disk)
    for argv in (["voices", "create", "Lily", "--lang", "en"],
                 ["voices", "rename", "Rose", "Rosie"],
                 ["models", "install-tiny"]):
        code, err = _run(capsys, "--data-dir", data, *argv)
        assert code == 2, (argv, err)
        last = err.strip().splitlines()[-1]  # after the progress line, if any
        assert last.startswith("error: The disk holding") and "is full" in last, (argv, err)
        assert "Nothing was changed" in last and "Traceback" not in err, err
    voices = small_disk / "data" / "voices"
    assert sorted(p.name for p in voices.iterdir() if not p.name.startswith(".locks")) == \
        ["Rose"]  # no .creating-… folder, no Lily
    assert (voices / "Rose" / "voice.json").read_text() == manifest


def test_a_streamed_save_that_fills_a_real_disk_says_how_far_it_got(small_disk):
    """A save streamed in chunks (a training state, a copied recording) knows how much it had
    written, not how much it needed: the message must not pass one off as the other."""
    target = small_disk / "state.pt"
    target.write_bytes(b"old state")
    chunk = b"\1" * 1_000_000
    with pytest.raises(DiskFullError) as caught, atomic.atomic_writer(target) as out:
        for _ in range(5):  # 5 MB onto a 3 MB disk
            out.write(chunk)
    message = str(caught.value)
    assert "the save stopped after writing" in message and "more were needed" not in message
    assert "Nothing was changed: state.pt is as it was" in message
    assert target.read_bytes() == b"old state"
    assert [p.name for p in small_disk.iterdir()] == ["state.pt"]  # no temporary left
