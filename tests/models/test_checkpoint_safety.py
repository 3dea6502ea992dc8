"""Opening a model file never runs code from it; broken files give a clear message."""

from __future__ import annotations

import builtins
import os
import random
import zipfile
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from voicestudio.errors import CorruptFileError, NotFoundError
from voicestudio.models.checkpoint_format import detect_checkpoint_version
from voicestudio.models.s2 import load_s2_checkpoint, random_s2_generator, save_s2_checkpoint
from voicestudio.models.safe_pickle import (
    UnsafeModelFileError,
    dump_checkpoint_bytes,
    safe_load,
)


class _ShellCommand:
    """Unpickles as os.system(command): what a booby-trapped voice model would contain."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _PythonCode:
    """Unpickles as exec(code)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return (builtins.exec, (self.code,))


def _payloads(marker: Path) -> list[object]:
    return [
        _ShellCommand(f"touch '{marker}'"),
        _PythonCode(f"open({str(marker)!r}, 'w').close()"),
    ]


@pytest.mark.parametrize("which", [0, 1])
def test_malicious_config_is_refused_without_running(tmp_path: Path, which: int) -> None:
    marker = tmp_path / "pwned"
    weights = {"enc_p.text_embedding.weight": torch.zeros(732, 4, dtype=torch.float16)}
    booby_trap = OrderedDict(weight=weights, config=_payloads(marker)[which], info="x")
    path = tmp_path / "shared_voice.pth"
    torch.save(booby_trap, path)

    with pytest.raises(UnsafeModelFileError, match="run code"):
        safe_load(path)
    with pytest.raises(UnsafeModelFileError):
        load_s2_checkpoint(path)
    with pytest.raises(UnsafeModelFileError):
        detect_checkpoint_version(path)
    assert not marker.exists()


def test_trap_behind_a_version_tag_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "tagged.pth"
    torch.save({"weight": {}, "config": _ShellCommand(f"touch '{marker}'")}, path)
    data = path.read_bytes()
    path.write_bytes(b"01" + data[2:])  # tag "01" = v2: passes the header check
    with pytest.raises(UnsafeModelFileError):
        load_s2_checkpoint(path)
    assert not marker.exists()


def test_trap_inside_an_otherwise_valid_model_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "valid.pth"
    save_s2_checkpoint(path, random_s2_generator(seed=0))
    trapped = safe_load(path)  # weights + utils.HParams config, all harmless
    trapped["info"] = _ShellCommand(f"touch '{marker}'")
    (tmp_path / "trapped.pth").write_bytes(dump_checkpoint_bytes(trapped))
    with pytest.raises(UnsafeModelFileError):
        load_s2_checkpoint(tmp_path / "trapped.pth")
    assert not marker.exists()


def test_truncated_and_random_files_are_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "voice.pth"
    save_s2_checkpoint(path, random_s2_generator(seed=0))
    data = path.read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    (tmp_path / "noise.pth").write_bytes(os.urandom(4096))
    (tmp_path / "empty.pth").write_bytes(b"")
    for name in ("cut.pth", "noise.pth", "empty.pth"):
        with pytest.raises(CorruptFileError):
            load_s2_checkpoint(tmp_path / name)
    with pytest.raises(NotFoundError):
        load_s2_checkpoint(tmp_path / "missing.pth")


def test_damaged_pickles_only_ever_give_a_clear_error(tmp_path: Path) -> None:
    """Flip bytes in the pickle part of a valid file: either it still loads, or exactly a
    CorruptFileError says it is damaged. Never "could run code" (damage is not malice), and
    never a raw error from inside torch."""
    path = tmp_path / "voice.pth"
    save_s2_checkpoint(path, random_s2_generator(seed=0))
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("data.pkl"))
    start, end = info.header_offset, info.header_offset + 30 + len(info.filename) + info.file_size
    damaged = tmp_path / "damaged.pth"
    outcomes: dict[str, int] = {}
    # Seeds whose damage reads, to torch, like a refused global in 2 of 60 files.
    rngs = [random.Random(4), random.Random(9)]
    for rng in [r for r in rngs for _ in range(60)]:  # 60 files from each, in turn
        mutated = bytearray(data)
        for _ in range(3):
            mutated[rng.randrange(start, end)] = rng.randrange(256)
        damaged.write_bytes(bytes(mutated))
        try:
            load_s2_checkpoint(damaged)
            outcome = "loaded"
        except Exception as exc:  # noqa: BLE001 - the type is what is asserted
            outcome = type(exc).__name__
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert set(outcomes) <= {"loaded", "CorruptFileError"}, outcomes
    assert outcomes.get("CorruptFileError", 0) >= 30, outcomes  # the damage was noticed


def test_a_refused_global_is_found_in_the_pickle_itself(tmp_path: Path) -> None:
    """What makes a file "unsafe" is a global the loader refuses, read from the opcodes."""
    from voicestudio.models.safe_pickle import refused_globals

    path = tmp_path / "trap.pth"
    torch.save({"config": _ShellCommand("true")}, path)
    assert refused_globals(path.read_bytes()) in (["posix.system"], ["os.system"], ["nt.system"])
    save_s2_checkpoint(path, random_s2_generator(seed=0))
    assert refused_globals(path.read_bytes()) == ["utils.HParams"]  # unless allowed:
    from voicestudio.models.safe_pickle import UPSTREAM_HPARAMS_GLOBAL, HParams

    assert refused_globals(path.read_bytes(), [(HParams, UPSTREAM_HPARAMS_GLOBAL)]) == []
